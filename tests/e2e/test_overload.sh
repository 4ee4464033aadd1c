#!/usr/bin/env bash
# Overload: 4x more concurrent flows than the flow map holds. A synthetic
# generator (tests/flowgen.c) plays 1024 TCP flows with a known RTT through
# a veth pair in one namespace: data leaves through A's egress, the ACKs
# come back in A's ingress. pping runs on A with --max-flows 256.
# Checks: with adaptive degradation at least 95% of the flows get an RTT
# reported, every reported RTT is the generator's RTT, and the degradation
# level rose and came back to 0 after the load stopped. The same run with
# --no-degrade is measured and printed for comparison (the first flows keep
# the map there) and must cover fewer flows.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/pping.sh

NS=pp$$-ov
FLOWS=${OVERLOAD_FLOWS:-1024}
MAX_FLOWS=${OVERLOAD_MAX_FLOWS:-256}
SECS=${OVERLOAD_SECS:-20}
RTT_MS=20
FLOWGEN=./build/tests/flowgen
GEN_OUT=$(mktemp)

cleanup() {
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	pping_cleanup_files
	rm -f "$GEN_OUT"
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT

ip netns add "$NS" &&
ip -n "$NS" link add fgA type veth peer name fgB &&
ip -n "$NS" link set fgA up && ip -n "$NS" link set fgB up ||
	{ fail overload-setup "cannot create the namespace and veth pair"; summary; }

# Run pping with the given extra options against FLOWS flows for SECS
# seconds; then wait up to $1 s for the level to return to 0. Sets COVERED
# (flows with at least one RTT line), LATE_MAX_US (the generator's worst
# ACK lateness) and leaves pping's output in PP_OUT/PP_ERR.
run_load() {
	local settle=$1 i
	shift
	pping_start "$NS" -i fgA --max-flows "$MAX_FLOWS" "$@" || return 1
	ip netns exec "$NS" "$FLOWGEN" -a fgA -b fgB -n "$FLOWS" -t "$SECS" \
		-r "$RTT_MS" >"$GEN_OUT" 2>&1 || { cat "$GEN_OUT"; return 1; }
	local stopped=$SECONDS
	SETTLED=
	for i in $(seq $((settle * 10))); do
		grep -q "degradation level 1 -> 0" "$PP_ERR" &&
			{ SETTLED=$((SECONDS - stopped)); break; }
		sleep 0.1
	done
	pping_stop INT 5
	COVERED=$(awk '$3 == "ms" && $5 == "ms" && $6 == "TCP" { print $7 }' "$PP_OUT" | sort -u | wc -l)
	LATE_MAX_US=$(grep -o 'late_max_us [0-9]*' "$GEN_OUT" | awk '{ print $2 }')
	echo "    $(cat "$GEN_OUT")"
	grep "^pping: maps:\|^pping: cleanup:" "$PP_ERR" | sed 's/^/    /'
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }

if ! run_load 30; then
	fail overload-adaptive "run failed: $(tail -3 "$PP_ERR" 2>/dev/null)"
	summary
fi
adaptive=$COVERED
echo "    adaptive degradation: $adaptive of $FLOWS flows got an RTT ($(pct "$adaptive" "$FLOWS")%)"
grep "degradation level" "$PP_ERR" | grep -- "->" | sed 's/^pping: /    /; s/: flow map/:/; s/; rate limit.*//' | head -12

# Coverage: at least 95% of the flows.
if [ "$PP_STATUS" = 0 ] && [ $((adaptive * 100)) -ge $((FLOWS * 95)) ]; then
	pass overload-coverage
else
	fail overload-coverage "$adaptive of $FLOWS flows covered (status $PP_STATUS)"
fi

# Every RTT is the generator's: 20 ms, plus at most its own lateness in
# sending the ACK and a scheduling margin; never less.
hi=$(awk -v r=$RTT_MS -v l="${LATE_MAX_US:-0}" 'BEGIN { printf "%.3f", r + l / 1000 + 1 }')
bad=$(rtt_values "$PP_OUT" | awk -v lo=$((RTT_MS)) -v hi="$hi" '$1 < lo - 0.2 || $1 > hi' | wc -l)
n=$(rtt_values "$PP_OUT" | wc -l)
med=$(rtt_values "$PP_OUT" | median)
echo "    $n RTT lines, median $med ms, $bad outside [$(awk -v r=$RTT_MS 'BEGIN{print r - 0.2}'), $hi] ms"
if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
	pass overload-rtt-correct
else
	fail overload-rtt-correct "$bad of $n RTTs outside the expected range"
fi

# The level rose under the load and came back to 0 once it stopped.
echo "    level back to 0 about ${SETTLED:-?} s after the load stopped"
if grep -q "degradation level 0 -> 1" "$PP_ERR" &&
   grep -q "degradation level 1 -> 0" "$PP_ERR" &&
   grep -q "^pping: maps:.*degradation level 0 (highest [1-9]" "$PP_ERR"; then
	pass overload-level-recovers
else
	fail overload-level-recovers "$(grep 'degradation level' "$PP_ERR" | tail -3)"
fi
pping_cleanup_files

# The same load without adaptive degradation, for comparison.
if run_load 0 --no-degrade; then
	echo "    without adaptive degradation: $COVERED of $FLOWS flows got an RTT ($(pct "$COVERED" "$FLOWS")%)"
	if [ "$COVERED" -lt "$adaptive" ]; then
		pass overload-compare
	else
		fail overload-compare "--no-degrade covered $COVERED flows, adaptive $adaptive"
	fi
else
	fail overload-compare "run failed: $(tail -3 "$PP_ERR" 2>/dev/null)"
fi
summary
