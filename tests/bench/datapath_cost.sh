#!/usr/bin/env bash
# Cost per program run of pping_tc_egress and pping_tc_ingress, against a
# no-op tc program that runs on the same packets at the same time (the
# floor: entering a program and the kernel's own run_time_ns accounting,
# kernel.bpf_stats_enabled=1). Target: at most floor + 80 ns per run at 64
# flows. Reference (ePPing's README): its programs cost 196-339 ns per run
# from 1 to 64 flows where a no-op costs 39-44 ns.
#
# Path: tests/lib/netns.sh with 1 ms one-way delay. Traffic: iperf3 from the
# client, 1 flow and 64 flows, paced by iperf3 to DATAPATH_RATE_MBIT in
# total (default 200, split evenly over the flows), DATAPATH_SECS (default
# 2) s per run; with the client's GSO/TSO on (the default) and off
# (ethtool -K veth0 gso off tso off). pping watches the client's veth0
# (-r 100ms, -F jsonl) without -a, with -a 1s and with -a 1s --metrics.
#
# What one run is: egress runs once per sk_buff the stack sends. TCP builds
# GSO packets whatever the device offers (the kernel keeps GSO on for TCP
# since 4.19); with gso off they are only segmented later, after tc egress,
# so tc egress still sees multi-segment packets. The table therefore shows
# segments per run: the interface's tx_packets (egress) or rx_packets
# (ingress) over the program's run count. Ingress runs once per frame that
# arrives (the relay sends MTU-sized frames, mostly ACKs here).
#
# The no-op sits on a clsact qdisc of the same interface, one on egress and
# one on ingress; TCX (pping) runs first, returns TCX_NEXT, then the clsact
# filter runs, so both count the same packets.
#
# Beside it runs tests/bench/flow_lookup.bpf.c: the least a per-flow
# monitor does for a packet (find its flow in a hash map keyed as pping's,
# count the packet there). "lookup" is its ns per run above the same
# floor: what finding per-flow state costs on these packets, whatever the
# monitor does besides.
#
# Runs are interleaved (for each repetition: GSO on/off x 1/64 flows x each
# configuration) DATAPATH_REPS times (default 5); the tables show medians
# over the repetitions. "above floor" is the median of each run's pping
# ns/run minus the same run's no-op ns/run; "<=floor+80" says whether that
# median meets the target. "-a minus default" is the median of the paired
# differences (repetition i of -a against repetition i of the default).
# "insns" is each program's length after the verifier: without -a the
# verifier drops subnet_account() as dead code, so the two lengths differ.
#
# Environment: DATAPATH_SECS, DATAPATH_REPS, DATAPATH_RATE_MBIT,
# DATAPATH_FLOWS (default "1 64"), DATAPATH_GSO (default "on off"),
# DATAPATH_CONFIGS (default "default agg agg_metrics"; also "small_maps":
# --max-flows 4096 --max-timestamps 4096, to see what the size of the maps
# costs through cache misses; "agg_events": -a with the daemon building the
# histograms from events, against "agg" where the datapath builds them).
# Prints the tables on stdout (scripts/bench.sh keeps them in
# build/bench-results.txt). Needs root, ./pping and build/tests/delay_relay.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/netns.sh
. tests/lib/bench.sh

SECS=${DATAPATH_SECS:-2}
REPS=${DATAPATH_REPS:-5}
RATE=${DATAPATH_RATE_MBIT:-200}
FLOWS=${DATAPATH_FLOWS:-1 64}
GSO_MODES=${DATAPATH_GSO:-on off}
CONFIGS=${DATAPATH_CONFIGS:-default agg agg_metrics}
TARGET_NS=80
METRICS_PORT=9464

STATS_PREV=
QDISC=
IPERF_PID=

bench_teardown() {
	if [ -n "$QDISC" ]; then
		in_cli tc qdisc del dev "$CLI_IF" clsact 2>/dev/null
	fi
	topo_down 2>/dev/null
	[ -n "$STATS_PREV" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_PREV"
}
bench_init dpcost IPERF_PID

cfg_args() {
	case $1 in
	default) echo "-r 100ms" ;;
	agg) echo "-r 100ms -a 1s" ;;
	agg_metrics) echo "-r 100ms -a 1s --metrics $METRICS_PORT" ;;
	small_maps) echo "-r 100ms --max-flows 4096 --max-timestamps 4096" ;;
	agg_events) echo "-r 100ms -a 1s --aggregate-in events" ;;
	esac
}
cfg_label() {
	case $1 in
	default) echo "default" ;;
	agg) echo "-a 1s" ;;
	agg_metrics) echo "-a 1s --metrics" ;;
	small_maps) echo "4k-entry maps" ;;
	agg_events) echo "-a 1s, events" ;;
	esac
}

# The reference programs: the no-op (the floor) and the flow lookup.
REFS="noop flow_lookup"
MULTIARCH=$(gcc -print-multiarch 2>/dev/null)
for obj in $REFS; do
	if ! ${CLANG:-clang} -g -O2 -target bpf -Wall -Werror \
		${MULTIARCH:+-I/usr/include/$MULTIARCH} \
		-c "tests/bench/$obj.bpf.c" -o "$WORK/$obj.o"; then
		echo "datapath_cost: could not compile tests/bench/$obj.bpf.c" >&2
		exit 1
	fi
done

if ! topo_up 1; then
	echo "datapath_cost: could not build the delayed path" >&2
	exit 1
fi
STATS_PREV=$(sysctl -n kernel.bpf_stats_enabled) || exit 1
sysctl -qw kernel.bpf_stats_enabled=1 || exit 1

# One no-op and one flow lookup per direction, on a clsact qdisc beside
# pping's TCX links (both return TC_ACT_UNSPEC: the next filter runs).
QDISC=1
in_cli tc qdisc add dev "$CLI_IF" clsact || exit 1
for dir in egress ingress; do
	for obj in $REFS; do
		in_cli tc filter add dev "$CLI_IF" $dir bpf da obj "$WORK/$obj.o" sec tc || exit 1
	done
done
# filter_id DIR NAME: the id of the clsact program NAME on DIR.
filter_id() {
	in_cli tc -j filter show dev "$CLI_IF" "$1" |
		jq -r --arg n "$2" '[.[] | select(.options.prog.name == $n) | .options.prog.id][0] // empty'
}
NOOP_EGRESS=$(filter_id egress noop)
NOOP_INGRESS=$(filter_id ingress noop)
LOOKUP_EGRESS=$(filter_id egress flow_lookup)
LOOKUP_INGRESS=$(filter_id ingress flow_lookup)
REF_IDS="$NOOP_EGRESS $NOOP_INGRESS $LOOKUP_EGRESS $LOOKUP_INGRESS"
if [ "$(echo "$REF_IDS" | wc -w)" != 4 ]; then
	echo "datapath_cost: no-op or flow lookup program ids not found" >&2
	exit 1
fi

GSO_MAX_SEGS=$(in_cli ip -d -j link show "$CLI_IF" | jq -r '.[0].gso_max_segs')
[ -n "$GSO_MAX_SEGS" ] && [ "$GSO_MAX_SEGS" != null ] || exit 1

in_srv iperf3 -s -D >/dev/null 2>&1
sleep 0.3

# "NAME ID" of this pping instance's tc programs: the programs behind its
# open BPF fds (other pping instances may run on the machine at the same
# time, so "ids that appeared since start" is not enough).
pping_tc_progs() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$PP_PID"/fdinfo/* 2>/dev/null |
		awk '{ print $2 }' | sort -un | paste -sd, -)
	[ -n "$ids" ] || return 1
	bpftool prog show -j | jq -r --argjson ids "[$ids]" \
		'.[] | select(.id as $i | $ids | index($i)) |
		 select(.name == "pping_tc_egress" or .name == "pping_tc_ingress") |
		 "\(.name) \(.id)"'
}

# "ID RUN_CNT RUN_TIME_NS INSNS" for each of the ids given; INSNS is the
# program's length after the verifier (which drops code that a load-time
# constant such as aggregate_subnets makes dead).
prog_stats() {
	bpftool prog show -j | jq -r --argjson ids "[$(echo "$@" | tr ' ' ,)]" \
		'.[] | select(.id as $i | $ids | index($i)) |
		 "\(.id) \(.run_cnt // 0) \(.run_time_ns // 0) \(.bytes_xlated / 8)"'
}

# "TX_PACKETS RX_PACKETS" of the client's interface.
if_packets() {
	in_cli cat /sys/class/net/"$CLI_IF"/statistics/tx_packets \
		/sys/class/net/"$CLI_IF"/statistics/rx_packets | paste -sd' ' -
}

# GSO off: ethtool alone does not change what tc egress sees (TCP builds
# GSO packets anyway and they are segmented after the hook), so the device's
# gso_max_segs goes to 1 as well: the stack then builds one-segment packets.
set_gso() {
	local segs=$GSO_MAX_SEGS
	[ "$1" = off ] && segs=1
	in_cli ethtool -K "$CLI_IF" gso "$1" tso "$1" >/dev/null 2>&1 &&
		in_cli ip link set "$CLI_IF" gso_max_segs "$segs"
}

# One run: pping in configuration $1, $2 parallel flows, GSO $4. Appends
# "cfg flows rep hook runs ns/run noop_runs noop_ns/run mbit insns gso
# segments lookup_runs lookup_ns/run" to $WORK/data.
run_once() {
	local cfg=$1 flows=$2 rep=$3 gso=$4 eg in before after mbit scraped=-
	local pk0 pk1 want_subnets
	set_gso "$gso" || { echo "datapath_cost: ethtool -K gso $gso failed" >&2; return 1; }
	# shellcheck disable=SC2046 # cfg_args is a list of options
	pping_start "$NS_CLI" -i "$CLI_IF" -F jsonl $(cfg_args "$cfg") || return 1
	read -r eg in < <(pping_tc_progs | sort | awk '{ print $2 }' | paste -sd' ' -)
	if [ -z "${in:-}" ]; then
		echo "datapath_cost: pping's tc programs not found" >&2
		return 1
	fi
	# shellcheck disable=SC2086 # a list of ids
	before=$(prog_stats "$eg" "$in" $REF_IDS)
	pk0=$(if_packets)
	in_cli iperf3 -c "$SRV_IP4" -t "$SECS" -P "$flows" \
		-b "$(awk -v r="$RATE" -v n="$flows" 'BEGIN { printf "%gM", r / n }')" \
		-J >"$WORK/iperf.json" 2>&1 &
	IPERF_PID=$!
	if [ "$cfg" = agg_metrics ]; then
		sleep "$(awk -v s="$SECS" 'BEGIN { print s / 2 }')"
		scraped=$(in_cli curl -s -m 2 "http://127.0.0.1:$METRICS_PORT/metrics" |
			grep -c '^pping_')
	fi
	wait "$IPERF_PID"
	IPERF_PID=
	# shellcheck disable=SC2086 # a list of ids
	after=$(prog_stats "$eg" "$in" $REF_IDS)
	pk1=$(if_packets)
	if [ "$(sysctl -n kernel.bpf_stats_enabled)" != 1 ]; then
		echo "datapath_cost: kernel.bpf_stats_enabled was turned off during the run" >&2
		pping_stop INT 5
		return 1
	fi
	pping_stop INT 5
	mbit=$(jq -r '.end.sum_received.bits_per_second / 1e6' "$WORK/iperf.json" 2>/dev/null)
	if [ -z "$mbit" ] || [ "$mbit" = null ]; then
		echo "datapath_cost: iperf3 failed: $(head -c 300 "$WORK/iperf.json")" >&2
		return 1
	fi
	# -a must really have counted traffic, or the comparison is void.
	case $cfg in agg*) want_subnets=1 ;; *) want_subnets= ;; esac
	if [ -n "$want_subnets" ] &&
		! jq -c 'select(.type == "subnet" and .tx_packets > 0)' "$PP_OUT" 2>/dev/null |
		grep -q .; then
		echo "datapath_cost: $cfg run printed no subnet traffic: $(head -c 300 "$PP_OUT") $(tail -3 "$PP_ERR")" >&2
		return 1
	fi
	if [ "$scraped" = 0 ]; then
		echo "datapath_cost: /metrics served no pping_ series" >&2
		return 1
	fi
	pping_cleanup_files
	awk -v cfg="$cfg" -v flows="$flows" -v rep="$rep" -v mbit="$mbit" \
		-v gso="$gso" -v pk0="$pk0" -v pk1="$pk1" \
		-v eg="$eg" -v in_="$in" -v ne="$NOOP_EGRESS" -v ni="$NOOP_INGRESS" \
		-v le="$LOOKUP_EGRESS" -v li="$LOOKUP_INGRESS" '
		NR == FNR { c0[$1] = $2; t0[$1] = $3; next }
		{ dc[$1] = $2 - c0[$1]; dt[$1] = $3 - t0[$1]; ins[$1] = $4 }
		function ns(id) { return dc[id] ? dt[id] / dc[id] : 0 }
		END {
			split(pk0, a, " "); split(pk1, b, " ")
			printf "%s %d %d egress %d %.2f %d %.2f %.1f %d %s %d %d %.2f\n", cfg, flows,
				rep, dc[eg], ns(eg), dc[ne], ns(ne), mbit, ins[eg], gso, b[1] - a[1],
				dc[le], ns(le)
			printf "%s %d %d ingress %d %.2f %d %.2f %.1f %d %s %d %d %.2f\n", cfg, flows,
				rep, dc[in_], ns(in_), dc[ni], ns(ni), mbit, ins[in_], gso, b[2] - a[2],
				dc[li], ns(li)
		}' <(echo "$before") <(echo "$after") >>"$WORK/data"
}

for rep in $(seq "$REPS"); do
	for gso in $GSO_MODES; do
		for flows in $FLOWS; do
			for cfg in $CONFIGS; do
				run_once "$cfg" "$flows" "$rep" "$gso" || exit 1
			done
		done
	done
done
set_gso on

# Data columns: 1 cfg, 2 flows, 3 rep, 4 hook, 5 runs, 6 ns/run,
# 7 no-op runs, 8 no-op ns/run, 9 Mbit/s, 10 program instructions,
# 11 gso, 12 interface packets (tx for egress, rx for ingress),
# 13 flow lookup runs, 14 flow lookup ns/run.
col() {   # col CFG FLOWS GSO HOOK AWK-EXPR: the expression over matching rows
	awk -v c="$1" -v f="$2" -v g="$3" -v h="$4" \
		"\$1 == c && \$2 == f && \$11 == g && \$4 == h { print $5 }" "$WORK/data"
}
# Per repetition, above-floor ns of CFG minus that of the default.
paired() {
	awk -v c="$1" -v f="$2" -v g="$3" -v h="$4" '$2 == f && $11 == g && $4 == h {
		if ($1 == c) a[$3] = $6 - $8; else if ($1 == "default") d[$3] = $6 - $8 }
		END { for (r in a) if (r in d) print a[r] - d[r] }' "$WORK/data"
}

echo "pping on the client veth, tc egress and ingress hooks (TCX), $SECS s of iperf3" \
	"per run paced to $RATE Mbit/s in total, 1 ms one-way delay;"
echo "medians of $REPS interleaved runs; ns per program run (egress: per sk_buff," \
	"GSO packets included; ingress: per frame); segs/run = interface packets per run;"
echo "floor = no-op tc program (clsact) on the same packets; target: pping <= floor +" \
	"$TARGET_NS ns at 64 flows (ePPing: 196-339 ns, no-op 39-44 ns);"
echo "lookup = a program that only finds the packet's flow in a hash map and counts" \
	"it (tests/bench/flow_lookup.bpf.c), ns above the same floor"
printf "%-16s %5s %-4s %-8s %6s %7s %8s %8s %8s %11s %-10s %7s %7s\n" config flows gso hook \
	insns runs segs/run ns/run "no-op ns" "above floor" "<=floor+$TARGET_NS" lookup Mbit/s
# shellcheck disable=SC2016 # awk expressions, expanded by awk
for gso in $GSO_MODES; do
	for flows in $FLOWS; do
		for cfg in $CONFIGS; do
			for hook in egress ingress; do
				above=$(col "$cfg" "$flows" "$gso" "$hook" '$6 - $8' | median)
				verdict=$(awk -v a="$above" -v t="$TARGET_NS" \
					'BEGIN { print ((a <= t) ? "pass" : "MISS") }')
				printf "%-16s %5d %-4s %-8s %6.0f %7.0f %8.2f %8.1f %8.1f %11.1f %-10s %7.1f %7.0f\n" \
					"$(cfg_label "$cfg")" "$flows" "$gso" "$hook" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$10' | median)" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$5' | median)" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '($5 ? $12 / $5 : 0)' | median)" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$6' | median)" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$8' | median)" \
					"$above" "$verdict" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$14 - $8' | median)" \
					"$(col "$cfg" "$flows" "$gso" "$hook" '$9' | median)"
			done
		done
	done
done
awk '{ n++; if ($5 == $7 && $7 == $13) same++ }
	END { printf "pping, the no-op and the lookup ran equally often in %d of %d measurements\n", same, n }' "$WORK/data"

DIFF_FMT="%+.1f [%+.0f, %+.0f]"   # differences in ns, signed
agg_cfgs=$(echo "$CONFIGS" | tr ' ' '\n' | grep -v '^default$' | paste -sd' ' -)
if [ -n "$agg_cfgs" ] && echo "$CONFIGS" | grep -qw default; then
	echo
	echo "configuration minus default, ns per run above the floor: median of the paired" \
		"runs [lowest, highest]"
	printf "%-16s %5s %-4s  %-24s %s\n" config flows gso egress ingress
	for gso in $GSO_MODES; do
		for flows in $FLOWS; do
			for cfg in $agg_cfgs; do
				printf "%-16s %5d %-4s  %-24s %s\n" "$(cfg_label "$cfg")" "$flows" "$gso" \
					"$(paired "$cfg" "$flows" "$gso" egress | spread "$DIFF_FMT")" \
					"$(paired "$cfg" "$flows" "$gso" ingress | spread "$DIFF_FMT")"
			done
		done
	done
fi
echo "reproduce: DATAPATH_SECS=$SECS DATAPATH_REPS=$REPS DATAPATH_RATE_MBIT=$RATE" \
	"DATAPATH_FLOWS=\"$FLOWS\" DATAPATH_GSO=\"$GSO_MODES\" DATAPATH_CONFIGS=\"$CONFIGS\"" \
	"tests/bench/datapath_cost.sh"
