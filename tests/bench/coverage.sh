#!/usr/bin/env bash
# Coverage under overload: the share of flows that get at least one RTT
# reported when there are 1, 2, 4 and 8 times more concurrent flows than
# the flow map holds (--max-flows 256), with adaptive degradation and
# without (--no-degrade), and how long it took to reach 95% of the flows.
# Traffic: tests/tools/flowgen.c, one data segment per flow every 100 ms, 20 ms
# RTT, for COVERAGE_SECS (default 20) seconds.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh

NS=pp$$-cov
MAX_FLOWS=256
SECS=${COVERAGE_SECS:-20}
bench_teardown() { ip netns del "$NS" 2>/dev/null; }
bench_init cov
GEN_OUT=$WORK/flowgen.out

ip netns add "$NS" &&
ip -n "$NS" link add fgA type veth peer name fgB &&
ip -n "$NS" link set fgA up && ip -n "$NS" link set fgB up || exit 1

# Seconds from the first RTT line until 95% of N flows had one.
time_to_95() {
	awk -v n="$1" '$3 == "ms" && $5 == "ms" && $6 == "TCP" {
		split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
		if (!start) start = s
		if (!seen[$7]++ && ++covered >= 0.95 * n && !done) {
			printf "%.1f", s - start; done = 1 } }
		END { if (!done) printf "never" }' "$PP_OUT"
}

printf "%-9s %6s  %-22s %-22s %s\n" overload flows "adaptive covered" \
	"--no-degrade covered" "adaptive: s to 95%"
for k in 1 2 4 8; do
	flows=$((MAX_FLOWS * k))
	row=()
	for mode in adaptive fixed; do
		extra=()
		[ $mode = fixed ] && extra=(--no-degrade)
		pping_start "$NS" -i fgA --max-flows $MAX_FLOWS "${extra[@]}" || exit 1
		ip netns exec "$NS" ./build/tests/flowgen -a fgA -b fgB -n $flows \
			-t "$SECS" -r 20 >"$GEN_OUT" 2>&1
		pping_stop INT 5
		c=$(awk '$3 == "ms" && $5 == "ms" && $6 == "TCP" { print $7 }' "$PP_OUT" | sort -u | wc -l)
		row+=("$(printf "%d (%.1f%%)" "$c" "$(awk -v a="$c" -v b=$flows 'BEGIN { print 100 * a / b }')")")
		[ $mode = adaptive ] && t95=$(time_to_95 $flows)
		pping_cleanup_files
	done
	printf "%-9s %6d  %-22s %-22s %s\n" "${k}x" $flows "${row[0]}" "${row[1]}" "$t95"
done
