#!/usr/bin/env bash
# What pping costs a bulk transfer: unpaced iperf3 between two namespaces
# over a plain veth pair (no delay relay, so the CPU is the bottleneck and
# pping's cost shows), 1 flow and 8 parallel flows, without pping and with
# pping (default options, standard output to a file) on the client's veth0.
# Target: with/without >= 0.98.
#
# "fwd": the client sends, so pping's egress hook sees the data (GSO
# packets of up to 64 KB) and its ingress hook the ACKs; "rev" (iperf3 -R):
# the server sends, pping's ingress sees the data (veth hands the sender's
# GSO packets over whole) and its egress the ACKs.
#
# Each repetition runs every (direction, flows) pair without and with
# pping, alternating which goes first; THROUGHPUT_REPS (default 9)
# repetitions of THROUGHPUT_SECS (default 2) s after a 1 s warm-up that
# iperf3 leaves out (-O 1). The table shows the medians of the receiver's
# Gbit/s, their ratio, and the median [lowest, highest] of the per-
# repetition ratios. On a shared 2-CPU machine single runs vary by 10% or
# more, hence the many short paired runs. Environment: THROUGHPUT_SECS,
# THROUGHPUT_REPS, THROUGHPUT_FLOWS (default "1 8"), THROUGHPUT_DIRS
# (default "fwd"; "fwd rev" adds the reverse direction).
# Needs root and ./pping.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/bench.sh
. tests/lib/pair.sh

SECS=${THROUGHPUT_SECS:-2}
REPS=${THROUGHPUT_REPS:-9}
FLOWS=${THROUGHPUT_FLOWS:-1 8}
DIRS=${THROUGHPUT_DIRS:-fwd}
TARGET=0.98
IP_A=10.203.0.1 IP_B=10.203.0.2

SRV_PID=
CLI_PID=
bench_teardown() { pair_down; }
bench_init tput CLI_PID SRV_PID

# shellcheck disable=SC2119 # pair_up without extra link options
if ! { pair_up &&
	ip -n "$PAIR_A" addr add "$IP_A/24" dev veth0 &&
	ip -n "$PAIR_B" addr add "$IP_B/24" dev veth0; }; then
	echo "throughput: could not build the veth pair" >&2
	exit 1
fi
# ip netns exec execs iperf3, so $! is the server's own PID.
ip netns exec "$PAIR_B" iperf3 -s -B "$IP_B" >/dev/null 2>&1 &
SRV_PID=$!
sleep 0.5
kill -0 "$SRV_PID" 2>/dev/null || { echo "throughput: iperf3 server did not start" >&2; exit 1; }

# run_once DIR FLOWS MODE REP: append "dir flows mode rep gbit" to data.
run_once() {
	local dir=$1 flows=$2 mode=$3 rep=$4 rev='' gbit
	[ "$dir" = rev ] && rev=-R
	if [ "$mode" = pping ]; then
		pping_start "$PAIR_A" -i veth0 -w "$WORK/pping.out" || return 1
	fi
	ip netns exec "$PAIR_A" iperf3 -c "$IP_B" $rev -P "$flows" -t "$SECS" -O 1 \
		-J >"$WORK/iperf.json" 2>&1 &
	CLI_PID=$!
	wait "$CLI_PID"
	CLI_PID=
	if [ "$mode" = pping ]; then
		pping_stop INT 5
		if [ "$PP_STATUS" != 0 ] || ! grep -q "RTT samples [1-9]" "$PP_ERR"; then
			echo "throughput: pping status $PP_STATUS, no RTT samples: $(tail -3 "$PP_ERR")" >&2
			return 1
		fi
		pping_cleanup_files
		rm -f "$WORK/pping.out"
	fi
	gbit=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$WORK/iperf.json" 2>/dev/null)
	if [ -z "$gbit" ] || [ "$gbit" = null ]; then
		echo "throughput: iperf3 failed: $(head -c 300 "$WORK/iperf.json")" >&2
		return 1
	fi
	echo "$dir $flows $mode $rep $gbit" >>"$WORK/data"
}

for rep in $(seq "$REPS"); do
	for dir in $DIRS; do
		for flows in $FLOWS; do
			if [ $((rep % 2)) = 1 ]; then order="none pping"; else order="pping none"; fi
			for mode in $order; do
				run_once "$dir" "$flows" "$mode" "$rep" || exit 1
			done
		done
	done
done

gbits() { awk -v d="$1" -v f="$2" -v m="$3" '$1 == d && $2 == f && $3 == m { print $5 }' "$WORK/data"; }
ratios() {
	awk -v d="$1" -v f="$2" '$1 == d && $2 == f { g[$4, $3] = $5; r[$4] = 1 }
		END { for (i in r) if (g[i, "none"] > 0) print g[i, "pping"] / g[i, "none"] }' "$WORK/data"
}

echo "unpaced iperf3 over a plain veth pair, pping (default options, output to a file)" \
	"on the client's veth0;"
echo "fwd: client sends (pping egress sees the data), rev: iperf3 -R (pping ingress sees" \
	"the data); medians of $REPS interleaved repetitions of $SECS s; target >= $TARGET"
printf "%-4s %5s %13s %13s %7s %-7s %s\n" dir flows "Gbit/s none" "Gbit/s pping" ratio \
	">=$TARGET" "per-rep ratio [min, max]"
for dir in $DIRS; do
	for flows in $FLOWS; do
		none=$(gbits "$dir" "$flows" none | median)
		with=$(gbits "$dir" "$flows" pping | median)
		ratio=$(awk -v a="$with" -v b="$none" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
		verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print ((r >= t) ? "pass" : "MISS") }')
		printf "%-4s %5d %13.2f %13.2f %7s %-7s %s\n" "$dir" "$flows" "$none" "$with" \
			"$ratio" "$verdict" "$(ratios "$dir" "$flows" | spread)"
	done
done
echo "reproduce: THROUGHPUT_SECS=$SECS THROUGHPUT_REPS=$REPS THROUGHPUT_FLOWS=\"$FLOWS\"" \
	"THROUGHPUT_DIRS=\"$DIRS\" tests/bench/throughput.sh"
