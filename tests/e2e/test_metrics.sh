#!/usr/bin/env bash
# --metrics: the Prometheus page pping serves. promtool accepts it; every
# family is there, counters only grow, histograms are well formed; a real
# Prometheus server scraping it every second computes a median RTT within
# 2 ms of the path RTT; the listen address is loopback unless told
# otherwise, IPv6 works, bad addresses and busy ports are refused cleanly;
# other paths and methods get 404 and 405.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=${ONEWAY_MS:-10}
# The median comes from buckets 12-25 % wide, interpolated linearly (all
# samples of a 20.1 ms path sit in 16.78-20.97 ms, so Prometheus says
# 18.87 ms): it cannot tell 17 from 20.9 ms. The mean, from _sum, can.
QUANTILE_TOLERANCE_MS=2.0
MEAN_TOLERANCE_MS=1.0
TRAFFIC_S=8
# Each test process has its own namespaces: fixed ports cannot clash.
PORT=9464 PROM_PORT=9090

FAMILIES="pping_build_info pping_packets_total
pping_tcp_packets_without_timestamp_total pping_rtt_samples_total
pping_rtt_events_total pping_timestamp_entries_created_total
pping_claims_lost_total pping_rate_limited_total
pping_map_insert_failures_total pping_flows_deferred_total pping_map_entries
pping_map_capacity pping_map_fill_ratio pping_degradation_level
pping_degradation_changes_total pping_events_lost_total
pping_cleanup_runs_total pping_cleanup_seconds_total pping_cleanup_max_seconds
pping_cleanup_max_call_seconds pping_cleanup_info pping_cleanup_interval_seconds
pping_packets_excluded_total pping_tcp_retransmits_total pping_retransmits_total
pping_subnet_tcp_flows_total pping_subnet_tcp_flows_sampled_total
pping_tcp_out_of_order_total pping_seq_identifiers_total
pping_subnets pping_subnet_overflow_rtts_total pping_rtt_seconds
pping_queueing_delay_seconds pping_exact_clock_reads_total
pping_tick_overruns_total"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pping-metrics.XXXXXX")
PROM_PID=

prom_stop() {
	if [ -n "$PROM_PID" ]; then
		kill -TERM "$PROM_PID" 2>/dev/null
		wait "$PROM_PID" 2>/dev/null
		PROM_PID=
	fi
}

teardown() {
	prom_stop
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	pping_cleanup_files
	topo_down
	rm -rf "$WORK"
}
trap teardown EXIT

# fetch URL FILE [CURL ARGS...]: the HTTP status, body to FILE, from inside
# the client namespace ("000" if no connection).
fetch() {
	local url=$1 file=$2
	shift 2
	in_cli curl -sS -m 3 -o "$file" -w '%{http_code}' "$@" "$url" 2>/dev/null
}

# value FILE SERIES: the sample value of an exact series (name{labels}).
value() {
	awk -v s="$2" '$1 == s { print $2; exit }' "$1"
}

# sum_of FILE NAME: sum over all series of family member NAME.
sum_of() {
	awk -v n="$1" 'BEGIN { t = 0 }
		{ m = $1; sub(/\{.*/, "", m) } m == n { t += $2 }
		END { printf "%.0f\n", t }' "$2"
}

missing_families() {
	local f
	for f in $FAMILIES; do
		grep -q "^# TYPE $f " "$1" || echo -n "$f "
	done
}

# Counter series (and histogram _bucket/_sum/_count) of scrape A that are
# missing or smaller in the later scrape B; prints the culprits, fails if
# any, or if there was nothing to compare.
counters_grow() {
	awk 'FNR == 1 { f++ }
	     /^# TYPE / { if ($4 == "counter") c[$3] = 1; if ($4 == "histogram") h[$3] = 1; next }
	     /^#/ { next }
	     { name = $1; sub(/\{.*/, "", name); base = name
	       sub(/_(bucket|sum|count)$/, "", base)
	       if (!(name in c) && !(base != name && base in h)) next
	       if (f == 1) a[$1] = $2; else b[$1] = $2 }
	     END { for (s in a) {
			n++
			if (!(s in b)) { print "gone: " s; bad = 1 }
			else if (b[s] + 0 < a[s] + 0) { print s " " a[s] " -> " b[s]; bad = 1 }
		   }
		   if (!n) { print "no counter series"; bad = 1 }
		   exit bad }' "$1" "$2"
}

# Every histogram series of FILE: le bounds 8 per octave for the RTT and 4
# per octave for queueing delay, from 8.192e-06,
# cumulative counts non-decreasing in le, +Inf equal to _count. Prints what
# is wrong; fails if anything is, or if there is no series at all.
histograms_ok() {
	local file=$1 keys k base labels cnt err=0
	keys=$(sed -n 's/^\([a-z_]*\)_bucket{\(.*\),le="[^"]*"} .*/\1{\2}/p' "$file" | sort -u)
	if [ -z "$keys" ]; then
		echo "no histogram series"
		return 1
	fi
	for k in $keys; do
		base=${k%%\{*} labels=${k#*\{}
		labels=${labels%\}}
		cnt=$(value "$file" "${base}_count{$labels}")
		grep -F "${base}_bucket{$labels,le=" "$file" |
			sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' | sort -g |
			awk -v k="$k" -v cnt="$cnt" -v steps="$( [ "$base" = pping_rtt_seconds ] && echo 8 || echo 4)" '
			{ le[NR] = $1; v[NR] = $2 }
			END {
				if (le[1] + 0 != 8.192e-06) bad = bad " first le " le[1]
				for (i = 2; i <= NR; i++)
					if (v[i] + 0 < v[i - 1] + 0) { bad = bad " count falls at le " le[i]; break }
				for (i = 1; i + steps < NR; i++) {
					r = le[i + steps] / le[i]
					if (r < 1.999999 || r > 2.000001) { bad = bad " not " steps " per octave at le " le[i]; break }
				}
				if (le[NR] != "+Inf") bad = bad " no +Inf bucket"
				else if (cnt == "" || v[NR] != cnt) bad = bad " +Inf " v[NR] " vs _count " cnt
				if (bad != "") { print k ":" bad; exit 1 }
			}' || err=1
	done
	return $err
}

within() {   # within A B TOL: |A - B| <= TOL
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

listening() {   # listening NS ADDR:PORT
	ip netns exec "$1" ss -Hltn "sport = :${2##*:}" | awk '{ print $4 }' | grep -qxF "$2"
}

# Programs loaded since PP_IDS_BEFORE that no process holds (through a
# program or link fd): what an exited pping left attached. Programs of
# other ppings running meanwhile (concurrent suites) are held by them, so
# they do not count. Waits up to 3 s for a watchdog to finish undoing.
leaked_prog_ids() {
	local ids held
	for _ in $(seq 30); do
		held=$(held_prog_ids)
		ids=$(comm -23 <(pping_new_prog_ids | sort) <(echo "$held"))
		[ -z "$ids" ] && return
		sleep 0.1
	done
	echo "$ids" | tr "\n" " "
}

xdp_on_link() {
	ip -n "$NS_CLI" link show "$CLI_IF" 2>/dev/null | grep -q "prog/xdp"
}

if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi

# --- metrics-promtool, metrics-families: scrapes during and after traffic.
in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
srv=$!
sleep 0.3
if ! pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms --metrics "$PORT"; then
	fail metrics-promtool "pping did not start"
	fail metrics-families "pping did not start"
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
else
	in_cli iperf3 -c "$SRV_IP4" -t 3 -b 20M >/dev/null 2>&1 &
	cli=$!
	sleep 1.5
	st_a=$(fetch "http://127.0.0.1:$PORT/metrics" "$WORK/a")
	sleep 1
	st_b=$(fetch "http://127.0.0.1:$PORT/metrics" "$WORK/b")
	wait $cli; wait $srv 2>/dev/null
	sleep 0.3   # the last events reach the daemon
	st_c=$(fetch "http://127.0.0.1:$PORT/metrics" "$WORK/c")

	if [ "$st_a" != 200 ]; then
		fail metrics-promtool "GET /metrics during traffic: HTTP $st_a"
	else
		promtool check metrics <"$WORK/a" >"$WORK/lint.out" 2>&1; rc=$?
		case $rc in
		0) pass metrics-promtool ;;
		3)  # Lint problems only: the page parses. Shown, not fatal.
			sed 's/^/  promtool lint: /' "$WORK/lint.out"
			pass metrics-promtool ;;
		*) fail metrics-promtool "promtool exit $rc: $(head -3 "$WORK/lint.out")" ;;
		esac
	fi

	name=metrics-families
	missing=$(missing_families "$WORK/c")
	rtt_samples=$(value "$WORK/c" 'pping_rtt_samples_total{method="ts"}')
	egress=$(awk '$1 ~ /^pping_packets_total\{hook="egress"/ { t += $2 } END { print t + 0 }' "$WORK/c")
	ingress=$(awk '$1 ~ /^pping_packets_total\{hook="ingress"/ { t += $2 } END { print t + 0 }' "$WORK/c")
	hist_count=$(value "$WORK/c" "pping_rtt_seconds_count{subnet=\"10.200.0.0/24\",method=\"ts\"}")
	all_counts=$(sum_of pping_rtt_seconds_count "$WORK/c")
	overflow=$(value "$WORK/c" pping_subnet_overflow_rtts_total)
	events=$(value "$WORK/c" pping_rtt_events_total)
	cov_seen=$(value "$WORK/c" 'pping_subnet_tcp_flows_total{subnet="10.200.0.0/24"}')
	cov_sampled=$(value "$WORK/c" 'pping_subnet_tcp_flows_sampled_total{subnet="10.200.0.0/24"}')
	retrans_tx=$(value "$WORK/c" 'pping_retransmits_total{subnet="10.200.0.0/24",direction="tx"}')
	clock_reads=$(value "$WORK/c" pping_exact_clock_reads_total)
	echo "  $name: exact clock reads ${clock_reads:-none} for $((egress + ingress)) packets"
	echo "  $name: rtt samples ${rtt_samples:-none}, events ${events:-none}," \
		"packets egress $egress ingress $ingress, 10.200.0.0/24 count ${hist_count:-none}," \
		"flows sampled ${cov_sampled:-none} of ${cov_seen:-none}, retransmits tx ${retrans_tx:-none}"
	if [ "$st_b" != 200 ] || [ "$st_c" != 200 ]; then
		fail $name "GET /metrics: HTTP $st_b, then $st_c"
	elif [ -n "$missing" ]; then
		fail $name "families missing: $missing"
	elif ! why=$(counters_grow "$WORK/a" "$WORK/b") ||
	     ! why=$(counters_grow "$WORK/b" "$WORK/c"); then
		fail $name "counters went down: $(head -3 <<<"$why" | tr '\n' ';')"
	elif [ "${rtt_samples:-0}" -le 0 ]; then
		fail $name "pping_rtt_samples_total is ${rtt_samples:-absent} after traffic"
	elif [ "$egress" -le 0 ] || [ "$ingress" -le 0 ]; then
		fail $name "packets egress $egress, ingress $ingress: want both > 0"
	elif [ -z "$hist_count" ] || [ "$hist_count" -le 0 ]; then
		fail $name "no pping_rtt_seconds series for subnet 10.200.0.0/24: $(grep '_count{' "$WORK/c" | tr '\n' ';')"
	elif [ $((all_counts + ${overflow:-0})) -ne "${events:-0}" ]; then
		fail $name "histogram counts $all_counts + overflow $overflow != pping_rtt_events_total $events"
	elif ! why=$(histograms_ok "$WORK/c"); then
		fail $name "$(head -3 <<<"$why" | tr '\n' ';')"
	elif [ "${cov_seen:-0}" -lt 1 ] || [ "${cov_sampled:-0}" -lt 1 ] ||
	     [ "$cov_sampled" -gt "$cov_seen" ] || [ -z "$retrans_tx" ]; then
		fail $name "coverage of 10.200.0.0/24: ${cov_sampled:-none} of ${cov_seen:-none} flows sampled; retransmits tx ${retrans_tx:-none}"
	elif [ "${clock_reads:-0}" -le 0 ] || [ "$clock_reads" -ge $((egress + ingress)) ]; then
		fail $name "exact clock reads ${clock_reads:-none} for $((egress + ingress)) packets: the tick clock should time most of them"
	else
		pass $name
	fi
	pping_stop INT
	[ "$PP_STATUS" = 0 ] || echo "  pping exit status $PP_STATUS: $(tail -2 "$PP_ERR")"

	# The cleanup mechanism: one info series, naming what the exit
	# summary names, and one of the three the daemon has.
	name=metrics-cleanup-mechanism
	served=$(sed -n 's/^pping_cleanup_info{mechanism="\([a-z]*\)"} 1$/\1/p' "$WORK/c")
	said=$(sed -n 's/^pping: cleanup: [0-9]* runs (mechanism \([a-z]*\)).*/\1/p' "$PP_ERR")
	echo "  $name: /metrics says ${served:-nothing}, the exit summary ${said:-nothing}"
	if [ "$(grep -c '^pping_cleanup_info{' "$WORK/c")" != 1 ]; then
		fail $name "want exactly one pping_cleanup_info series: $(grep '^pping_cleanup_info' "$WORK/c" | tr '\n' ';')"
	elif [ -z "$served" ] || [ "$served" != "$said" ]; then
		fail $name "mechanism on /metrics '${served}' differs from the exit summary's '${said}'"
	elif ! [[ $served =~ ^(iter|foreach|batch)$ ]]; then
		fail $name "unknown mechanism '$served'"
	else
		pass $name
	fi
	pping_cleanup_files
fi

# --- metrics-prometheus-quantile: the real server, scraping every second.
name=metrics-prometheus-quantile
prom_query() {   # prom_query EXPR: the first result's value, or nothing
	in_cli curl -sS -m 3 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" 2>/dev/null |
		jq -r 'select(.status == "success") | .data.result[0].value[1] // empty'
}
ping_ms=$(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 15)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pping
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
srv=$!
if ! pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms --metrics "127.0.0.1:$PORT"; then
	fail $name "pping did not start"
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
else
	# ip netns exec execs the server: $! is Prometheus itself.
	in_cli prometheus --config.file="$WORK/prometheus.yml" \
		--storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" \
		</dev/null >"$WORK/prometheus.log" 2>&1 &
	PROM_PID=$!
	ready=0
	for _ in $(seq 100); do
		if [ "$(fetch "http://127.0.0.1:$PROM_PORT/-/ready" /dev/null)" = 200 ]; then
			ready=1
			break
		fi
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ $ready = 0 ]; then
		fail $name "Prometheus not ready: $(tail -3 "$WORK/prometheus.log" | tr '\n' ';')"
		kill $srv 2>/dev/null; wait $srv 2>/dev/null
	else
		# Paced below what the relay forwards: no queue, so the path
		# RTT stays what ping measured.
		in_cli iperf3 -c "$SRV_IP4" -t "$TRAFFIC_S" -b 20M >/dev/null 2>&1
		wait $srv 2>/dev/null
		sleep 2.5   # two more scrapes: every sample is in the TSDB
		up=$(prom_query 'up{job="pping"}')
		n=$(prom_query 'sum(pping_rtt_seconds_count)')
		# On the cumulative buckets: a short run has few scrapes, and
		# this uses all of its samples whatever the rate window.
		q=$(prom_query 'histogram_quantile(0.5, sum by (le) (pping_rtt_seconds_bucket))')
		qr=$(prom_query 'histogram_quantile(0.5, sum by (le) (rate(pping_rtt_seconds_bucket[30s])))')
		mean=$(prom_query 'sum(pping_rtt_seconds_sum) / sum(pping_rtt_seconds_count)')
		q_ms=$(awk -v v="$q" 'BEGIN { if (v != "") printf "%.3f", v * 1000 }')
		qr_ms=$(awk -v v="$qr" 'BEGIN { if (v != "") printf "%.3f", v * 1000 }')
		mean_ms=$(awk -v v="$mean" 'BEGIN { if (v != "") printf "%.3f", v * 1000 }')
		echo "  $name: ping ${ping_ms:-none} ms, Prometheus median ${q_ms:-none} ms" \
			"(rate[30s]: ${qr_ms:-none} ms, mean ${mean_ms:-none} ms) over ${n:-no} samples, up ${up:-none}"
		if [ "$up" != 1 ]; then
			fail $name "Prometheus sees the target as up=${up:-absent}: $(tail -2 "$WORK/prometheus.log" | tr '\n' ';')"
		elif [ -z "$ping_ms" ]; then
			fail $name "ping got no reply"
		elif [ -z "$q_ms" ] || [ "${n:-0}" -lt 20 ]; then
			fail $name "no quantile (${n:-no} samples in Prometheus)"
		elif ! within "$q_ms" "$ping_ms" $QUANTILE_TOLERANCE_MS; then
			fail $name "median $q_ms ms vs ping $ping_ms ms (tolerance $QUANTILE_TOLERANCE_MS ms)"
		elif ! within "${mean_ms:-0}" "$ping_ms" $MEAN_TOLERANCE_MS; then
			fail $name "mean (_sum/_count) ${mean_ms:-none} ms vs ping $ping_ms ms (tolerance $MEAN_TOLERANCE_MS ms)"
		else
			pass $name
		fi
	fi
	prom_stop
	pping_stop INT
	pping_cleanup_files
fi

# --- metrics-kernel-aggregation: -a with --metrics, the datapath building
# the histograms (no RTT events): with --metrics its histograms are read
# every second, not only at the end of an interval (30 s here, far after
# the scrape), so a scrape two reads after the traffic ended holds every
# sample the -a records hold, and no RTT event was sent.
name=metrics-kernel-aggregation
in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
srv=$!
sleep 0.3
if ! pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms -a 30s -F jsonl --metrics "$PORT"; then
	fail $name "pping did not start"
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
else
	in_cli iperf3 -c "$SRV_IP4" -t 2 -b 20M >/dev/null 2>&1
	wait $srv 2>/dev/null
	sleep 2.5
	st=$(fetch "http://127.0.0.1:$PORT/metrics" "$WORK/k")
	pping_stop INT
	counts=$(sum_of pping_rtt_seconds_count "$WORK/k")
	overflow=$(value "$WORK/k" pping_subnet_overflow_rtts_total)
	events=$(value "$WORK/k" pping_rtt_events_total)
	recorded=$(jq -s 'map(select(.type == "subnet") | .rtt_count) | add // 0' "$PP_OUT")
	echo "  $name: histogram counts $counts (overflow ${overflow:-none}), RTT events ${events:-none}; the -a records hold $recorded samples"
	if [ "$st" != 200 ] || [ "$PP_STATUS" != 0 ]; then
		fail $name "GET /metrics: HTTP $st; pping exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif ! grep -q '^pping: RTTs aggregated in the kernel' "$PP_ERR"; then
		fail $name "-a with --metrics did not aggregate in the kernel"
	elif [ "$recorded" -le 10 ] || [ $((counts + ${overflow:-0})) -ne "$recorded" ]; then
		fail $name "histogram counts $counts + overflow ${overflow:-none} != $recorded samples in the records"
	elif [ "${events:-x}" != 0 ]; then
		fail $name "pping_rtt_events_total is ${events:-absent}: want 0, the datapath aggregates"
	elif ! why=$(histograms_ok "$WORK/k"); then
		fail $name "$(head -3 <<<"$why" | tr '\n' ';')"
	else
		pass $name
	fi
	pping_cleanup_files
fi

# --- metrics-default-loopback, metrics-404: no address means 127.0.0.1.
if ! pping_start "$NS_CLI" -i "$CLI_IF" --metrics "$PORT"; then
	fail metrics-default-loopback "pping did not start"
	fail metrics-404 "pping did not start"
else
	name=metrics-default-loopback
	lo=$(fetch "http://127.0.0.1:$PORT/metrics" "$WORK/lo")
	veth=$(fetch "http://$CLI_IP4:$PORT/metrics" /dev/null)
	# And from the other end of the link, as a remote scraper would.
	remote=$(in_srv curl -sS -m 2 -o /dev/null -w '%{http_code}' \
		"http://$CLI_IP4:$PORT/metrics" 2>/dev/null)
	socks=$(in_cli ss -Hltn "sport = :$PORT" | awk '{ print $4 }' | tr '\n' ' ')
	if [ "$lo" != 200 ] || ! grep -q '^pping_build_info' "$WORK/lo"; then
		fail $name "127.0.0.1:$PORT gave HTTP $lo"
	elif [ "$veth" != 000 ] || [ "$remote" != 000 ]; then
		fail $name "$CLI_IP4:$PORT answers (HTTP $veth here, $remote from the server)"
	elif [ "$socks" != "127.0.0.1:$PORT " ]; then
		fail $name "listening sockets: $socks"
	else
		pass $name
	fi

	name=metrics-404
	other=$(fetch "http://127.0.0.1:$PORT/other" /dev/null)
	root=$(fetch "http://127.0.0.1:$PORT/" /dev/null)
	post=$(fetch "http://127.0.0.1:$PORT/metrics" /dev/null -X POST -d x=1)
	put=$(fetch "http://127.0.0.1:$PORT/metrics" /dev/null -X PUT -d x=1)
	# The server still works after those.
	again=$(fetch "http://127.0.0.1:$PORT/metrics" /dev/null)
	if [ "$other" = 404 ] && [ "$root" = 404 ] && [ "$post" = 405 ] &&
	   [ "$put" = 405 ] && [ "$again" = 200 ]; then
		pass $name
	else
		fail $name "/other $other, / $root (want 404); POST $post, PUT $put (want 405); GET after $again"
	fi
	pping_stop INT
	[ "$PP_STATUS" = 0 ] || fail metrics-404 "pping exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	pping_cleanup_files
fi

# --- metrics-ipv6
name=metrics-ipv6
if ! pping_start "$NS_CLI" -i "$CLI_IF" --metrics "[::1]:$PORT"; then
	fail $name "pping did not start"
else
	v6=$(fetch "http://[::1]:$PORT/metrics" "$WORK/v6" -g)
	v4=$(fetch "http://127.0.0.1:$PORT/metrics" /dev/null)
	if [ "$v6" != 200 ] || ! grep -q '^pping_build_info' "$WORK/v6"; then
		fail $name "[::1]:$PORT gave HTTP $v6"
	elif ! listening "$NS_CLI" "[::1]:$PORT"; then
		fail $name "no socket on [::1]:$PORT: $(in_cli ss -Hltn | tr '\n' ';')"
	elif [ "$v4" != 000 ]; then
		fail $name "127.0.0.1:$PORT answers too (HTTP $v4)"
	else
		pass $name
	fi
	pping_stop INT
	pping_cleanup_files
fi

# --- metrics-bad-address: usage errors, and a port already taken.
name=metrics-bad-address
why=
for arg in 70000 foo:80 "[::1]" 0 "[::1]:" "127.0.0.1:" "::1:9100"; do
	err=$(in_cli "$PP_BIN" -i "$CLI_IF" --metrics "$arg" 2>&1 >/dev/null); st=$?
	if [ $st != 2 ] || ! grep -q -- "--metrics" <<<"$err"; then
		why+="'--metrics $arg': status $st, \"$(head -1 <<<"$err")\"; "
	fi
done
in_cli python3 -m http.server --bind 127.0.0.1 "$PORT" >/dev/null 2>&1 &
busy=$!
for _ in $(seq 50); do
	listening "$NS_CLI" "127.0.0.1:$PORT" && break
	sleep 0.1
done
if ! listening "$NS_CLI" "127.0.0.1:$PORT"; then
	why+="could not occupy port $PORT; "
else
	for hook in tc xdp; do
		# shellcheck disable=SC2034 # read by pping_new_prog_ids
		PP_IDS_BEFORE=$(pping_prog_ids)
		err=$(in_cli "$PP_BIN" -v -i "$CLI_IF" -I $hook --metrics "$PORT" 2>&1 >/dev/null); st=$?
		ids=$(leaked_prog_ids)
		if [ $st != 1 ]; then
			why+="busy port ($hook): status $st, want 1; "
		elif ! grep -v '^libbpf\|^pping: config' <<<"$err" | grep -q "127.0.0.1.*$PORT"; then
			why+="busy port ($hook): message does not name 127.0.0.1 and $PORT: $(tail -2 <<<"$err" | tr '\n' ' '); "
		elif ! grep -q "attached to" <<<"$err"; then
			# Not wrong, but then the detach path went untested.
			echo "  $name: ($hook) failed before attaching"
		fi
		if [ -n "$ids" ]; then
			# shellcheck disable=SC2086 # a list of ids
			why+="busy port ($hook): $(pping_progs_alive $ids) program(s) left loaded: $ids; "
		fi
		if xdp_on_link; then
			why+="busy port ($hook): an XDP program is left on $CLI_IF; "
		fi
		if in_cli tc filter show dev "$CLI_IF" ingress 2>/dev/null | grep -q pping; then
			why+="busy port ($hook): a tc filter is left on $CLI_IF; "
		fi
	done
	echo "  $name: busy port message: $(grep -i 'metrics' <<<"$err" | grep -v '^pping: config' | tail -1)"
fi
kill $busy 2>/dev/null; wait $busy 2>/dev/null
if [ -z "$why" ]; then
	pass $name
else
	fail $name "$why"
fi
summary
