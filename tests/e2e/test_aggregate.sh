#!/usr/bin/env bash
# Aggregation (-a): per-subnet records with RTT percentiles, queueing delay
# and traffic, and a global record, checked against the known path RTT,
# against pping's own exit summary, and against a queue we build on purpose
# (a token bucket on the client's egress, the bufferbloat operators look for).
# Live, the datapath builds the RTT histograms (--aggregate-in auto: kernel);
# the same checks pass with the daemon building them from events, and a
# capture of the queue replayed both ways gives the very same records.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=10
TOLERANCE_MS=1.0

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-aggregate.XXXXXX")
TD_PID=''
trap '[ -n "$TD_PID" ] && kill "$TD_PID" 2>/dev/null; pping_cleanup_files; topo_down; rm -rf "$WORK"' EXIT
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi
ping4=$(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 10)
echo "  path RTT by ping: $ping4 ms"

in_srv iperf3 -s -p 5201 -D >/dev/null 2>&1
in_srv iperf3 -s -p 5202 -D >/dev/null 2>&1
sleep 0.3

# jq over the records of one type; prints nothing if none.
records() { jq -c "select(.type == \"$2\")" "$1"; }
# |a - b| <= t
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
# "RTT samples N (not printed M)" of the exit summary: N - M were reported.
reported_samples() {
	sed -n 's/.*RTT samples \([0-9]*\) (not printed \([0-9]*\)).*/\1 \2/p' "$1" |
		awk '{ print $1 - $2 }'
}

# --- records of one subnet: percentiles against the path, sums against the
# exit summary and the interface's own packet counters ---------------------
# Linux counts a packet per wire frame on the veth; the subnet counts
# segments (a GSO packet counts all of its), so the two must agree, up to
# the few ARP/ND frames of the run.
if_packets() {   # "TX RX" packets of the client interface
	in_cli ip -s -j link show dev "$CLI_IF" |
		jq -r '.[0].stats64 | "\(.tx.packets) \(.rx.packets)"'
}
if pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms -a 1s -F jsonl; then
	read -r tx0 rx0 < <(if_packets)
	in_cli iperf3 -c "$SRV_IP4" -p 5201 -t 4 -b 5M >/dev/null 2>&1
	sleep 0.3
	read -r tx1 rx1 < <(if_packets)
	pping_stop INT
	subnets=$(records "$PP_OUT" subnet)
	globals=$(records "$PP_OUT" global)
	n_sub=$(grep -c . <<<"$subnets")
	p50s=$(jq -r 'select(.rtt_count > 0) | .rtt_p50 / 1e6' <<<"$subnets")
	med=$(median <<<"$p50s")
	echo "  aggregate: $n_sub subnet records, median p50 ${med:-none} ms"
	if [ "$PP_STATUS" != 0 ] || [ "$n_sub" -lt 3 ]; then
		fail aggregate-rtt "status $PP_STATUS, $n_sub subnet records: $(tail -2 "$PP_ERR")"
	elif [ "$(jq -r .subnet <<<"$subnets" | sort -u)" != "10.200.0.0/24" ]; then
		fail aggregate-rtt "subnets: $(jq -r .subnet <<<"$subnets" | sort -u | tr '\n' ' ')"
	elif ! within "$med" "$ping4" "$TOLERANCE_MS"; then
		fail aggregate-rtt "median p50 $med ms vs ping $ping4 ms"
	elif ! jq -e 'select(.rtt_count > 0) |
			.rtt_min <= .rtt_p50 and .rtt_p50 <= .rtt_p95 and
			.rtt_p95 <= .rtt_p99 and .rtt_p99 <= .rtt_max and
			.window_min_rtt <= .rtt_min and .qdelay_p50 <= .qdelay_p99' \
			<<<"$subnets" | grep -qv true; then
		pass aggregate-rtt
	else
		fail aggregate-rtt "percentiles out of order: $(head -1 <<<"$subnets")"
	fi

	sum_rtts=$(jq -s 'map(.rtt_count) | add' <<<"$subnets")
	want=$(reported_samples "$PP_ERR")
	kernel=$(grep -E '^pping: RTTs aggregated in the kernel' "$PP_ERR")
	echo "  ${kernel#pping: }"
	if [ -z "$kernel" ] || ! grep -q 'not added (map full) 0, of untracked subnets (table full) 0, without a window (map full) 0,' <<<"$kernel"; then
		# (A sample added while a read turned the generation is not
		# lost unless the read had taken its entry already: not
		# required to be 0, the sample count below says if one was.)
		fail aggregate-sample-count "live -a did not aggregate in the kernel, or its maps were full: ${kernel:-no summary line}"
	elif [ -n "$want" ] && [ "$sum_rtts" = "$want" ] && [ "$want" -gt 10 ]; then
		pass aggregate-sample-count
	else
		fail aggregate-sample-count "records hold $sum_rtts samples, pping reported ${want:-?}"
	fi

	sub_tx=$(jq -s 'map(.tx_packets) | add' <<<"$subnets")
	sub_rx=$(jq -s 'map(.rx_packets) | add' <<<"$subnets")
	tx=$(jq -s 'map(.tx_bytes) | add' <<<"$subnets")
	echo "  traffic: subnet tx $sub_tx rx $sub_rx packets; interface tx $((tx1 - tx0)) rx $((rx1 - rx0)); subnet tx $tx bytes"
	# 4 s at 5 Mbit/s is about 2.5 MB sent.
	if within "$sub_tx" $((tx1 - tx0)) 10 && within "$sub_rx" $((rx1 - rx0)) 10 &&
		[ "$sub_tx" -gt 1000 ] && [ "$tx" -gt 2000000 ]; then
		pass aggregate-traffic
	else
		fail aggregate-traffic "subnet tx $sub_tx rx $sub_rx, interface tx $((tx1 - tx0)) rx $((rx1 - rx0)), tx bytes $tx"
	fi

	# Coverage: iperf3 makes two connections (control and data), so a
	# record with TCP traffic counts one or two flows, never more sampled
	# flows than flows, and the seconds of the transfer have their flow
	# sampled.
	covered=$(jq -s 'map(select(.tcp_flows_sampled >= 1)) | length' <<<"$subnets")
	odd=$(jq -c 'select(.tcp_flows > 2 or .tcp_flows_sampled > .tcp_flows or
		(.tx_packets + .rx_packets > 0 and .tcp_flows == 0))' <<<"$subnets" | head -2)
	echo "  coverage: $(jq -r '"\(.tcp_flows_sampled)/\(.tcp_flows)"' <<<"$subnets" | tr '\n' ' ')(sampled/seen per record)"
	if [ -z "$odd" ] && [ "$covered" -ge 3 ]; then
		pass aggregate-coverage
	else
		fail aggregate-coverage "$covered records with a sampled flow; odd records: $odd"
	fi

	n_glob=$(grep -c . <<<"$globals")
	bad_iv=$(jq -r 'select(.interval_ns < 0.9e9 or .interval_ns > 1.1e9) | .interval_ns' \
		<<<"$globals" | head -n -1 | grep -c .)
	if [ "$n_glob" -ge 4 ] && [ "$n_glob" -le 7 ] && [ "$bad_iv" -eq 0 ] &&
		jq -e 'has("packets") and has("tcp_packets_with_ts") and
			has("tcp_packets_without_ts") and has("events_lost") and
			.tcp_packets == .tcp_packets_with_ts + .tcp_packets_without_ts' \
			<<<"$globals" >/dev/null; then
		pass aggregate-global
	else
		fail aggregate-global "$n_glob global records, $bad_iv with an interval off 1 s: $(head -1 <<<"$globals")"
	fi
else
	fail aggregate-rtt "pping did not start"
fi
pping_cleanup_files

# --- the daemon building the histograms from events ---------------------------
name=aggregate-in-events
if pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms -a 1s -F jsonl --aggregate-in events; then
	in_cli iperf3 -c "$SRV_IP4" -p 5201 -t 2 -b 5M >/dev/null 2>&1
	sleep 0.3
	pping_stop INT
	subnets=$(records "$PP_OUT" subnet)
	med=$(jq -r 'select(.rtt_count > 0) | .rtt_p50 / 1e6' <<<"$subnets" | median)
	sum_rtts=$(jq -s 'map(.rtt_count) | add' <<<"$subnets")
	want=$(reported_samples "$PP_ERR")
	echo "  $name: median p50 ${med:-none} ms over $sum_rtts samples (pping reported ${want:-?})"
	if [ "$PP_STATUS" != 0 ] || grep -q '^pping: RTTs aggregated in the kernel' "$PP_ERR"; then
		fail $name "status $PP_STATUS, or aggregated in the kernel: $(tail -2 "$PP_ERR")"
	elif [ -z "$want" ] || [ "$sum_rtts" != "$want" ] || [ "$want" -le 10 ]; then
		fail $name "records hold $sum_rtts samples, pping reported ${want:-?}"
	elif ! within "${med:-0}" "$ping4" "$TOLERANCE_MS"; then
		fail $name "median p50 ${med:-none} ms vs ping $ping4 ms"
	else
		pass $name
	fi
else
	fail $name "pping did not start"
fi
pping_cleanup_files

# --- prefixes and the subnet bound ------------------------------------------
run_two_families() {
	pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms -a 500ms -F jsonl "$@" || return 1
	local v4
	in_cli iperf3 -c "$SRV_IP4" -p 5201 -t 2 -b 2M >/dev/null 2>&1 &
	v4=$!
	in_cli iperf3 -c "$SRV_IP6" -p 5202 -t 2 -b 2M >/dev/null 2>&1
	wait $v4
	sleep 0.2
	pping_stop INT
}

if run_two_families --aggregate-subnets-v4 16 --aggregate-subnets-v6 64; then
	got=$(records "$PP_OUT" subnet | jq -r 'select(.rtt_count > 0) | .subnet' | sort -u | tr '\n' ' ')
	if [ "$got" = "10.200.0.0/16 fd00:200::/64 " ]; then
		pass aggregate-prefix
	else
		fail aggregate-prefix "subnets with RTTs: '$got'"
	fi
else
	fail aggregate-prefix "pping did not start"
fi
pping_cleanup_files

if run_two_families --aggregate-max-subnets 1; then
	got=$(records "$PP_OUT" subnet | jq -r .subnet | sort -u | grep -c .)
	over=$(records "$PP_OUT" global | jq -s 'map(.overflow_rtts + .overflow_packets) | add')
	if [ "$got" = 1 ] && [ "$over" -gt 0 ]; then
		pass aggregate-max-subnets
	else
		fail aggregate-max-subnets "$got subnets reported, overflow $over"
	fi
else
	fail aggregate-max-subnets "pping did not start"
fi
pping_cleanup_files

# --- queueing delay: a standing queue at a bottleneck on the path ----------
# A token bucket of 8 Mbit/s with room for 120 kB (up to 120 ms of queue)
# on the relay's port towards the server: the relay's frames queue there as
# at a bloated router. (A queue on the client's own egress would not
# stand: TCP small queues keep a local sender's qdisc short.) First 3 s of
# light traffic set the window minimum, then four bulk flows fill the
# queue, and ping, queued behind them, says how long it is.
if in_rly tc qdisc replace dev rly1 root tbf rate 8mbit burst 16kb limit 120kb &&
	tcpdump_cli 128 "$WORK/queue.pcap" "$WORK/td.err" &&
	pping_start "$NS_CLI" -i "$CLI_IF" -r 10ms -a 1s -F jsonl --qdelay-window 60s; then
	# Small writes, so the light flow's paced bursts do not queue.
	in_cli iperf3 -c "$SRV_IP4" -p 5201 -t 3 -b 1M -l 1400 >/dev/null 2>&1
	t_load=$(date +%s%N)
	in_cli iperf3 -c "$SRV_IP4" -p 5201 -P 4 -t 6 >/dev/null 2>&1 &
	bulk=$!
	sleep 2.5
	t_ping=$(date +%s%N)
	ping_load=$(in_cli ping -c 12 -i 0.25 "$SRV_IP4" | sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p')
	t_ping_end=$(date +%s%N)
	wait $bulk
	pping_stop INT
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	TD_PID=''
	quiet=$(records "$PP_OUT" subnet | jq -c "select(.rtt_count > 0 and .timestamp < $t_load)")
	# Intervals that ended while ping was measuring the standing queue.
	loaded=$(records "$PP_OUT" subnet |
		jq -c "select(.rtt_count > 0 and .timestamp > $t_ping + 0.5e9 and .timestamp <= $t_ping_end + 0.5e9)")
	q_quiet=$(jq -r '.qdelay_p50 / 1e6' <<<"$quiet" | median)
	q_load=$(jq -r '.qdelay_p50 / 1e6' <<<"$loaded" | median)
	wmin=$(jq -r '.window_min_rtt / 1e6' <<<"$loaded" | median)
	rtt_load=$(jq -r '.rtt_p50 / 1e6' <<<"$loaded" | median)
	echo "  queue: quiet qdelay p50 ${q_quiet:-none} ms; loaded: RTT p50 ${rtt_load:-none} ms" \
		"(ping ${ping_load:-none} ms), qdelay p50 ${q_load:-none} ms, window min ${wmin:-none} ms"
	if [ -z "$q_quiet" ] || [ -z "$q_load" ] || [ -z "$ping_load" ]; then
		fail aggregate-queueing-delay "no records or no ping: $(tail -2 "$PP_ERR")"
	elif ! awk -v q="$q_quiet" 'BEGIN { exit !(q < 5) }'; then
		fail aggregate-queueing-delay "queueing delay $q_quiet ms without a queue (want < 5)"
	elif ! awk -v q="$q_load" 'BEGIN { exit !(q > 30) }'; then
		fail aggregate-queueing-delay "queueing delay $q_load ms with a standing queue (want > 30)"
	elif ! within "$wmin" "$ping4" "$TOLERANCE_MS"; then
		fail aggregate-queueing-delay "window minimum $wmin ms, path $ping4 ms"
	elif ! within "$rtt_load" "$ping_load" 10; then
		fail aggregate-queueing-delay "RTT p50 $rtt_load ms under load, ping $ping_load ms (tolerance 10 ms)"
	elif ! within "$rtt_load" "$(awk -v a="$wmin" -v b="$q_load" 'BEGIN { print a + b }')" 3.0; then
		fail aggregate-queueing-delay "RTT p50 $rtt_load ms is not window min $wmin + qdelay $q_load ms"
	else
		pass aggregate-queueing-delay
	fi
else
	fail aggregate-queueing-delay "could not add the token bucket or start pping"
fi
in_rly tc qdisc del dev rly1 root >/dev/null 2>&1
pping_cleanup_files

# --- the kernel's histograms and the daemon's, on the same packets ----------
# The queue's capture replayed (one thread: the queueing-delay window
# depends on the order of samples) with the datapath building the
# histograms and with the daemon building them from events: every record
# the same, to the byte, queueing delays included.
name=aggregate-kernel-equals-events
replay_agg() {
	./pping --read "$WORK/queue.pcap" --local-net "$CLI_IP4/32" -r 10ms -a 1s \
		--qdelay-window 60s -F jsonl --threads 1 --aggregate-in "$1" \
		>"$WORK/replay.$1" 2>"$WORK/replay.$1.err"
}
if [ ! -s "$WORK/queue.pcap" ]; then
	fail $name "no capture of the queue: $(cat "$WORK/td.err" 2>/dev/null)"
elif ! replay_agg kernel || ! replay_agg events; then
	fail $name "replay failed: $(tail -2 "$WORK/replay.kernel.err" "$WORK/replay.events.err")"
else
	n=$(jq -s 'map(select(.type == "subnet") | .rtt_count) | add' "$WORK/replay.kernel")
	qmax=$(jq -s 'map(select(.type == "subnet") | .qdelay_max) | max / 1e6' "$WORK/replay.kernel")
	echo "  $name: $n samples, queueing delay up to $qmax ms; $(grep -c . "$WORK/replay.kernel") records each way"
	if ! grep -q '^pping: RTTs aggregated in the kernel' "$WORK/replay.kernel.err"; then
		fail $name "--aggregate-in kernel did not aggregate in the kernel"
	elif [ "${n:-0}" -lt 100 ] || ! awk -v q="$qmax" 'BEGIN { exit !(q > 30) }'; then
		fail $name "$n samples, queueing delay up to $qmax ms: not the queue's capture"
	elif ! cmp -s "$WORK/replay.kernel" "$WORK/replay.events"; then
		fail $name "the records differ: $(diff "$WORK/replay.kernel" "$WORK/replay.events" | head -3 | tr '\n' ' ')"
	else
		pass $name
	fi
fi

# --- option values ------------------------------------------------------------
bad=0
for args in "-a 50ms" "-a 2h" "--aggregate-subnets-v4 33" "--aggregate-subnets-v6 129" \
	"--aggregate-max-subnets 0" "--aggregate-max-subnets 4097" "--qdelay-window 0" \
	"--qdelay-window 2h" "--aggregate-in disk"; do
	opt=${args%% *}
	[ "$opt" = -a ] && opt=--aggregate
	# shellcheck disable=SC2086
	msg=$(./pping -i lo $args 2>&1 >/dev/null); st=$?
	if [ $st -ne 2 ] || ! grep -q -- "$opt" <<<"$msg"; then
		echo "  '$args': status $st, '$msg'"
		bad=$((bad + 1))
	fi
done
if [ $bad -eq 0 ]; then pass aggregate-bad-values; else fail aggregate-bad-values "$bad cases"; fi

summary
