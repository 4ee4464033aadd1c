#!/usr/bin/env bash
# Soak (make soak; not part of make test): pping on the client side of a
# delayed path (tests/delay_relay, RTT 2 x SOAK_DELAY_MS) for SOAK_SECONDS
# (default 600) while
#   - wrk opens a new connection for every request (Connection: close) to
#     nginx serving 100 bytes: hundreds of short flows per second, each
#     opened, measured and closed, so the maps churn all the time;
#   - SOAK_BULK (default 2) iperf3 flows run for the whole time;
# and pping (options SOAK_PPING_ARGS, default -r 10ms) writes JSON lines
# (-F jsonl -w) to a file. Every SOAK_INTERVAL
# seconds the script samples the daemon's RSS (/proc/PID/status VmRSS) and,
# from the daemon's own /metrics, the entries of the flow and identifier
# maps (the highest of five readings over a cleanup period), the RTT events
# it received and the events lost.
# At the end it prints the series and asserts:
#   soak-rss          after the warm-up (SOAK_WARMUP, default a quarter of
#                     the run, at most 60 s) RSS never exceeds its value at
#                     the end of the warm-up by more than SOAK_RSS_SLACK_KB
#                     (default 1024)
#   soak-maps         both maps stay below a quarter of their capacity, and
#                     the mean fill of the last quarter of the run is at most
#                     1.5 x that of the first post-warm-up quarter + 50 (no
#                     growth trend)
#   soak-reports      every 10 s window of the run has at least
#                     SOAK_MIN_PER_WINDOW (default 10) RTT records in the
#                     file, and their median is the path RTT within 2 ms
#   soak-exit         pping exits 0 on SIGINT with its summary, the load
#                     generators ran without errors
# SOAK_IFACES=2 (make soak-router): pping watches both interfaces of the
# relay namespace (rly0 towards the client, rly1 towards the server) in
# one process, with -l, as on a router; the RTT checks then take each
# interface's samples of the far leg (through the relay's delay: those
# matched on egress) and want records from both interfaces in every window.
# Needs root, nginx, wrk, iperf3, curl, jq; build with make all
# build/tests/delay_relay (make soak does).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh
. tests/lib/nginx.sh

SECS=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-5}
DELAY_MS=${SOAK_DELAY_MS:-5}
CONNS=${SOAK_CONNS:-8}
BULK=${SOAK_BULK:-2}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-1024}
MIN_PER_WINDOW=${SOAK_MIN_PER_WINDOW:-10}
# A rate limit well below the default keeps more identifiers outstanding,
# so the identifier map churns too.
PPING_ARGS=${SOAK_PPING_ARGS:--r 10ms}
WARMUP=${SOAK_WARMUP:-$(( SECS / 4 < 60 ? SECS / 4 : 60 ))}
IFACES=${SOAK_IFACES:-1}
PORT=8080
METRICS_PORT=9478

for tool in nginx wrk iperf3 curl jq; do
	command -v "$tool" >/dev/null || { fail soak-setup "$tool is not installed (make deps)"; summary; }
done
[ "$SECS" -ge 60 ] || { fail soak-setup "SOAK_SECONDS must be at least 60"; summary; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pping-soak.XXXXXX")
cleanup() {
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	pping_cleanup_files
	topo_down
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! topo_up "$DELAY_MS"; then
	fail soak-setup "could not build the delayed path"
	summary
fi
# Hundreds of thousands of connections: wide port range, reuse TIME_WAIT.
in_cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
in_srv sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
in_cli ip link set lo up
# nginx serving one small object (tests/lib/nginx.sh).
# nginx, all its files in $WORK; workers run as nobody.
nginx_config "$WORK" "$SRV_IP4:$PORT"
URL=http://$SRV_IP4:$PORT/small
in_srv nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do
	in_cli curl -s -f -m 1 -o /dev/null "$URL" && break
	sleep 0.1
done
in_cli curl -s -f -m 1 -o /dev/null "$URL" ||
	{ fail soak-setup "nginx does not serve $URL: $(tail -3 "$WORK/error.log")"; summary; }
for i in $(seq "$BULK"); do
	in_srv iperf3 -s -p $((5200 + i)) -D >/dev/null 2>&1
done
sleep 0.3

OUTFILE=$WORK/pping.jsonl
PP_NS=$NS_CLI PP_IFS=$CLI_IF
if [ "$IFACES" = 2 ]; then
	# The relay's two sides, as a router's; -l for the leg through it.
	PP_NS=$NS_RLY PP_IFS=rly0,rly1 PPING_ARGS="$PPING_ARGS -l"
	ip -n "$NS_RLY" link set lo up
fi
# shellcheck disable=SC2086 # a list of options
if ! pping_start "$PP_NS" -i "$PP_IFS" -F jsonl -w "$OUTFILE" --metrics $METRICS_PORT $PPING_ARGS; then
	fail soak-setup "pping did not start"
	summary
fi
T0=$(date +%s)
echo "soak: ${SECS} s, pping $PPING_ARGS, path RTT $((2 * DELAY_MS)) ms, wrk -c$CONNS with a new connection per request, $BULK iperf3 flows, sample every ${INTERVAL} s, warm-up ${WARMUP} s"

in_cli wrk -t1 -c"$CONNS" -d"${SECS}s" -H "Connection: close" "$URL" >"$WORK/wrk.out" 2>&1 &
WRK=$!
IPERFS=()
for i in $(seq "$BULK"); do
	# Paced well below what the relay forwards, so no queue builds up.
	in_cli iperf3 -c "$SRV_IP4" -p $((5200 + i)) -t "$SECS" -b 10M >"$WORK/iperf$i.out" 2>&1 &
	IPERFS+=($!)
done

metric() {
	awk -v m="$2" '$1 == m { print $2 }' <<<"$1"
}
SERIES=$WORK/series   # t rss_kb flows ts rtt_events lost
printf '%6s %8s %7s %7s %11s %7s\n' t rss_kB flows idents rtt_events lost
while :; do
	sleep "$(awk -v i="$INTERVAL" 'BEGIN { print (i > 1.25 ? i - 1.25 : 0) }')"
	t=$(( $(date +%s) - T0 ))
	# The load ends at SECS: a sample after it is not of the soak.
	[ "$t" -ge "$SECS" ] && break
	kill -0 "$PP_PID" 2>/dev/null || break
	rss=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$PP_PID"/status)
	# Closed flows stay until the first cleanup pass a second after
	# their last packet, so the fill is a saw tooth with a period of one
	# pass: take the highest of five readings over a period, or the
	# series shows whichever phase the sampling happens to hit.
	flows= ts=
	for _ in 1 2 3 4 5; do
		page=$(ip netns exec "$PP_NS" curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics")
		f=$(metric "$page" 'pping_map_entries{map="flows"}')
		i=$(metric "$page" 'pping_map_entries{map="timestamps"}')
		[ -n "$f" ] && [ "$f" -gt "${flows:--1}" ] && flows=$f
		[ -n "$i" ] && [ "$i" -gt "${ts:--1}" ] && ts=$i
		sleep 0.25
	done
	rtt=$(metric "$page" pping_rtt_events_total)
	lost=$(metric "$page" pping_events_lost_total)
	echo "$t $rss ${flows:--} ${ts:--} ${rtt:--} ${lost:--}" >>"$SERIES"
	printf '%6s %8s %7s %7s %11s %7s\n' "$t" "$rss" "${flows:--}" "${ts:--}" "${rtt:--}" "${lost:--}"
done
wait $WRK
wrk_rc=$?
iperf_rc=0
for p in "${IPERFS[@]}"; do wait "$p" || iperf_rc=1; done
pping_stop INT 10
echo

# --- the series ---------------------------------------------------------------
capacity=$(grep -o 'flows [0-9]* of [0-9]*' "$PP_ERR" | awk '{ print $4 }')
capacity_ts=$(grep -o 'identifiers [0-9]* of [0-9]*' "$PP_ERR" | awk '{ print $4 }')
stats() {   # column of the series after the warm-up: min mean max
	awk -v c="$1" -v w="$WARMUP" '$1 > w && $c != "-" {
		if (n == 0 || $c < lo) lo = $c; if ($c > hi) hi = $c; s += $c; n++ }
		END { if (n) printf "min %d mean %.0f max %d", lo, s / n, hi; else print "no samples" }' "$SERIES"
}
base_rss=$(awk -v w="$WARMUP" '$1 <= w { r = $2 } END { print r }' "$SERIES")
max_rss=$(awk -v w="$WARMUP" '$1 > w && $2 > m { m = $2 } END { print m + 0 }' "$SERIES")
last_rss=$(tail -1 "$SERIES" | awk '{ print $2 }')
first_rss=$(head -1 "$SERIES" | awk '{ print $2 }')
echo "series: $(wc -l <"$SERIES") samples over $(tail -1 "$SERIES" | awk '{ print $1 }') s"
echo "  RSS kB: first $first_rss, end of warm-up $base_rss, after it max $max_rss, last $last_rss"
echo "  flow map entries (of ${capacity:-?}) after warm-up: $(stats 3)"
echo "  identifier map entries (of ${capacity_ts:-?}) after warm-up: $(stats 4)"

# The RTT records the checks take: all of them with one interface; with
# the relay's two, each side's samples of the far leg (the RTT through the
# relay, matched on egress with -l).
RTTFILE=$WORK/rtt.jsonl
if [ "$IFACES" = 2 ]; then
	grep '"rtt":' "$OUTFILE" | grep '"match_on_egress":true' >"$RTTFILE"
	per_if=$(grep -o '"interface":"[a-z0-9]*"' "$RTTFILE" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	echo "  far-leg RTT records per interface: ${per_if:-none}"
else
	grep '"rtt":' "$OUTFILE" >"$RTTFILE"
fi
# RTT records per 10 s window of the file (timestamps in ns since the epoch).
awk 'match($0, /"timestamp":[0-9]+/) && /"rtt":/ {
	t = substr($0, RSTART + 12, RLENGTH - 12) / 1e9
	w = int(t / 10); n[w]++; if (!first || w < first) first = w; if (w > last) last = w }
     END { for (w = first; w <= last; w++) print w - first, n[w] + 0 }' "$RTTFILE" >"$WORK/windows"
# The first and last windows are partial (pping started and stopped in them).
full=$(sed '1d;$d' "$WORK/windows")
nwin=$(grep -c . <<<"$full")
min_win=$(awk 'NR == 1 || $2 < m { m = $2 } END { print m + 0 }' <<<"$full")
max_win=$(awk '$2 > m { m = $2 } END { print m + 0 }' <<<"$full")
empty=$(awk -v k="$MIN_PER_WINDOW" '$2 < k' <<<"$full" | wc -l)
med_rtt=$(awk 'match($0, /"rtt":[0-9]+/) { print substr($0, RSTART + 6, RLENGTH - 6) / 1e6 }' "$RTTFILE" | median)
records=$(wc -l <"$OUTFILE")
echo "  file: $records records, $(du -h "$OUTFILE" | cut -f1); RTT records per full 10 s window: min $min_win, max $max_win over $nwin windows; median RTT $med_rtt ms"
echo "  wrk: $(grep -E 'requests in|Socket errors|Non-2xx' "$WORK/wrk.out" | tr -s ' ' | tr '\n' ';')"
for i in $(seq "$BULK"); do
	echo "  iperf3 $i: $(grep -E 'sender$' "$WORK/iperf$i.out" | tr -s ' ' | tail -1)"
done
grep '^pping: ' "$PP_ERR" | grep -v "^pping: map \|config\|interface\|attached\|serving\|capabilities\|maps take" | sed 's/^/  /'

# --- verdicts ------------------------------------------------------------------
if [ -n "$base_rss" ] && [ "$max_rss" -le $((base_rss + RSS_SLACK_KB)) ]; then
	pass soak-rss
else
	fail soak-rss "RSS rose from ${base_rss:-?} kB after the warm-up to $max_rss kB (slack $RSS_SLACK_KB kB)"
fi

read -r f_max t_max < <(awk -v w="$WARMUP" '$1 > w { if ($3 > a) a = $3; if ($4 > b) b = $4 } END { print a + 0, b + 0 }' "$SERIES")
trend() {   # column: mean of the first and the last quarter after warm-up
	awk -v c="$1" -v w="$WARMUP" '$1 > w { v[n++] = $c }
		END { q = int(n / 4); if (q < 1) q = 1
		      for (i = 0; i < q; i++) { a += v[i]; b += v[n - 1 - i] }
		      printf "%.0f %.0f\n", a / q, b / q }' "$SERIES"
}
read -r f_early f_late < <(trend 3)
read -r t_early t_late < <(trend 4)
echo "  fill trend: flows $f_early -> $f_late, identifiers $t_early -> $t_late (first vs last quarter after warm-up)"
if [ -z "$capacity" ] || [ -z "$capacity_ts" ]; then
	fail soak-maps "no map capacities in pping's summary"
elif [ $((f_max * 4)) -ge "$capacity" ] || [ $((t_max * 4)) -ge "$capacity_ts" ]; then
	fail soak-maps "a map reached a quarter of its capacity: flows $f_max of $capacity, identifiers $t_max of $capacity_ts"
elif awk -v a="$f_early" -v b="$f_late" -v c="$t_early" -v d="$t_late" \
	'BEGIN { exit !(b > 1.5 * a + 50 || d > 1.5 * c + 50) }'; then
	fail soak-maps "map fill grew: flows $f_early -> $f_late, identifiers $t_early -> $t_late"
else
	pass soak-maps
fi

if [ "$nwin" -lt $((SECS / 10 - 2)) ]; then
	fail soak-reports "RTT records span only $nwin full 10 s windows of a ${SECS} s run"
elif [ "$empty" -ne 0 ]; then
	fail soak-reports "$empty 10 s windows with fewer than $MIN_PER_WINDOW RTT records: $(awk -v k="$MIN_PER_WINDOW" '$2 < k { printf "%ss:%s ", $1 * 10, $2 }' <<<"$full")"
elif ! awk -v m="$med_rtt" -v r=$((2 * DELAY_MS)) 'BEGIN { d = m - r; if (d < 0) d = -d; exit !(d <= 2) }'; then
	fail soak-reports "median RTT $med_rtt ms, path $((2 * DELAY_MS)) ms"
elif [ "$IFACES" = 2 ] && { ! grep -q '"interface":"rly0"' "$RTTFILE" ||
			    ! grep -q '"interface":"rly1"' "$RTTFILE"; }; then
	fail soak-reports "far-leg RTT records from only one of the relay's interfaces: ${per_if:-none}"
else
	pass soak-reports
fi

if [ "$PP_STATUS" != 0 ] || ! grep -q "packets egress" "$PP_ERR"; then
	fail soak-exit "pping exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
elif [ "$wrk_rc" -ne 0 ] || [ "$iperf_rc" -ne 0 ] || grep -q 'Non-2xx' "$WORK/wrk.out"; then
	fail soak-exit "load generators failed: wrk $wrk_rc, iperf3 $iperf_rc"
else
	pass soak-exit
fi
summary
