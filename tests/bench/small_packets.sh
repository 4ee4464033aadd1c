#!/usr/bin/env bash
# What pping costs a workload of small segments: nginx in one namespace
# serves a 100-byte file, wrk in the other fetches it over a plain veth pair
# (no delay relay), without pping and with pping (default options, standard
# output to a file) on the client's veth0. Target: with/without >= 0.95 in
# requests/s.
#
# "close": every request on a new connection (Connection: close), so each
# request is a handshake, one request, one response and the teardown, about
# ten packets, and pping opens and closes a flow per request. "keep-alive":
# request/response on WRK_CONNS persistent connections. Packets/s are the
# client veth's tx + rx packet counters over the run.
#
# Each repetition runs both modes without and with pping, alternating which
# goes first; SMALLPKT_REPS (default 5) repetitions of SMALLPKT_SECS
# (default 4) s each of wrk -t2 -c64. The table shows medians and the
# median [lowest, highest] of the per-repetition ratios.
# Environment: SMALLPKT_SECS, SMALLPKT_REPS, SMALLPKT_CONNS (default 64),
# SMALLPKT_MODES (default "close keep-alive"), SMALLPKT_PPING_ARGS (extra
# pping options, e.g. "-a 1s"; default none). Needs root, ./pping, nginx
# and wrk (scripts/deps.sh installs them).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/bench.sh
. tests/lib/nginx.sh
. tests/lib/pair.sh

SECS=${SMALLPKT_SECS:-4}
REPS=${SMALLPKT_REPS:-5}
CONNS=${SMALLPKT_CONNS:-64}
MODES=${SMALLPKT_MODES:-close keep-alive}
PPING_ARGS=${SMALLPKT_PPING_ARGS:-}
TARGET=0.95
IP_A=10.204.0.1 IP_B=10.204.0.2 PORT=8080

for tool in nginx wrk; do
	if ! command -v "$tool" >/dev/null; then
		echo "small_packets: $tool not installed (run ./scripts/deps.sh)" >&2
		exit 1
	fi
done

NGINX_PID=
WRK_PID=
bench_teardown() { pair_down; }
bench_init smallpkt WRK_PID NGINX_PID

# nginx with its own configuration (tests/lib/nginx.sh); keep-alive
# connections may carry any number of requests.
nginx_config "$WORK" "$IP_B:$PORT" "sendfile on; keepalive_requests 1000000;"
URL=http://$IP_B:$PORT/small

# A fresh pair and nginx for every run: hundreds of thousands of short
# connections leave state behind in a namespace (TIME_WAIT at the cap, port
# search) and each later run there is slower than the one before, which
# would bias whichever mode runs later.
setup() {
	# shellcheck disable=SC2119 # pair_up without extra link options
	if ! { pair_up &&
		ip -n "$PAIR_A" addr add "$IP_A/24" dev veth0 &&
		ip -n "$PAIR_B" addr add "$IP_B/24" dev veth0 &&
		ip netns exec "$PAIR_A" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" &&
		ip netns exec "$PAIR_B" sysctl -qw net.core.somaxconn=4096 \
			net.ipv4.tcp_max_syn_backlog=4096; }; then
		echo "small_packets: could not build the veth pair" >&2
		return 1
	fi
	# ip netns exec execs nginx (daemon off), so $! is nginx's master.
	ip netns exec "$PAIR_B" nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" \
		</dev/null >/dev/null 2>&1 &
	NGINX_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$PAIR_A" curl -s -f -m 1 -o /dev/null "$URL" && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "small_packets: nginx does not serve $URL: $(tail -3 "$WORK/error.log" 2>/dev/null)" >&2
	return 1
}
teardown() {
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
	fi
	pair_down
}

# "TX RX" packets of the client's veth0.
if_packets() {
	ip netns exec "$PAIR_A" cat /sys/class/net/veth0/statistics/tx_packets \
		/sys/class/net/veth0/statistics/rx_packets | paste -sd' ' -
}

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
HZ=$(getconf CLK_TCK)

# run_once MODE PPING REP: append "mode pping rep req/s pkt/s daemon-cpu%"
# to data.
run_once() {
	local mode=$1 pp=$2 rep=$3 hdr=() pk0 pk1 t0 t1 rps errs c0=0 c1=0
	[ "$mode" = close ] && hdr=(-H "Connection: close")
	setup || return 1
	if [ "$pp" = pping ]; then
		# shellcheck disable=SC2086 # a list of options
		pping_start "$PAIR_A" -i veth0 -w "$WORK/pping.out" $PPING_ARGS || return 1
	fi
	[ "$pp" = pping ] && c0=$(cpu_ticks "$PP_PID")
	pk0=$(if_packets)
	t0=$(date +%s.%N)
	ip netns exec "$PAIR_A" wrk -t2 -c"$CONNS" -d"${SECS}s" "${hdr[@]}" "$URL" \
		>"$WORK/wrk.out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID"
	WRK_PID=
	t1=$(date +%s.%N)
	pk1=$(if_packets)
	if [ "$pp" = pping ]; then
		c1=$(cpu_ticks "$PP_PID")
		pping_stop INT 5
		if [ "$PP_STATUS" != 0 ] || ! grep -q "RTT samples [1-9]" "$PP_ERR"; then
			echo "small_packets: pping status $PP_STATUS, no RTT samples: $(tail -3 "$PP_ERR")" >&2
			return 1
		fi
		grep -o "events lost [0-9]*" "$PP_ERR" | awk -v m="$mode" '$3 > 0 {
			print "small_packets: " m ": pping " $0 > "/dev/stderr" }'
		pping_cleanup_files
		rm -f "$WORK/pping.out"
	fi
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out")
	errs=$(awk '/Socket errors:|Non-2xx/' "$WORK/wrk.out")
	if [ -z "$rps" ]; then
		echo "small_packets: wrk failed: $(head -c 300 "$WORK/wrk.out")" >&2
		return 1
	fi
	[ -n "$errs" ] && echo "small_packets: $mode $pp: wrk reports $errs" >&2
	teardown
	awk -v m="$mode" -v p="$pp" -v r="$rep" -v rps="$rps" -v a="$pk0" -v b="$pk1" \
		-v t0="$t0" -v t1="$t1" -v cpu=$((c1 - c0)) -v hz="$HZ" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		printf "%s %s %d %.1f %.1f %.1f\n", m, p, r, rps,
			(y[1] - x[1] + y[2] - x[2]) / (t1 - t0), 100 * cpu / hz / (t1 - t0) }' >>"$WORK/data"
}

for rep in $(seq "$REPS"); do
	for mode in $MODES; do
		if [ $((rep % 2)) = 1 ]; then order="none pping"; else order="pping none"; fi
		for pp in $order; do
			run_once "$mode" "$pp" "$rep" || exit 1
		done
	done
done

col() { awk -v m="$1" -v p="$2" "\$1 == m && \$2 == p { print \$$3 }" "$WORK/data"; }
ratios() {
	awk -v m="$1" '$1 == m { v[$3, $2] = $4; r[$3] = 1 }
		END { for (i in r) if (v[i, "none"] > 0) print v[i, "pping"] / v[i, "none"] }' "$WORK/data"
}

echo "nginx (1 worker) serving 100 bytes, wrk -t2 -c$CONNS over a plain veth pair," \
	"pping (${PPING_ARGS:-default options}, output to a file) on the client's veth0;"
echo "close: a new connection per request; keep-alive: persistent connections;" \
	"medians of $REPS interleaved repetitions of $SECS s; target >= $TARGET;"
echo "daemon CPU: pping's user space (utime + stime) in % of one core during the runs with it"
printf "%-10s %10s %11s %6s %-6s %-24s %10s %11s %s\n" mode "req/s none" "req/s pping" ratio \
	">=$TARGET" "per-rep ratio [min, max]" "pkt/s none" "pkt/s pping" "daemon CPU"
for mode in $MODES; do
	none=$(col "$mode" none 4 | median)
	with=$(col "$mode" pping 4 | median)
	ratio=$(awk -v a="$with" -v b="$none" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
	verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print ((r >= t) ? "pass" : "MISS") }')
	printf "%-10s %10.0f %11.0f %6s %-6s %-24s %10.0f %11.0f %9.1f%%\n" "$mode" "$none" "$with" \
		"$ratio" "$verdict" "$(ratios "$mode" | spread)" \
		"$(col "$mode" none 5 | median)" "$(col "$mode" pping 5 | median)" \
		"$(col "$mode" pping 6 | median)"
done
echo "reproduce: SMALLPKT_SECS=$SECS SMALLPKT_REPS=$REPS SMALLPKT_CONNS=$CONNS" \
	"SMALLPKT_MODES=\"$MODES\" SMALLPKT_PPING_ARGS=\"$PPING_ARGS\" tests/bench/small_packets.sh"
