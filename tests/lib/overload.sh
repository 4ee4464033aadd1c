# shellcheck shell=bash
# Overload runs (sourced after check.sh and pping.sh): 4x more concurrent
# flows than the flow map holds. A synthetic generator (tests/tools/flowgen.c)
# plays OV_FLOWS TCP flows with a known RTT through a veth pair in one
# namespace: data leaves through fgA's egress, the ACKs come back in fgA's
# ingress. pping runs on fgA with --max-flows OV_MAX_FLOWS. Used by
# tests/e2e/test_overload.sh (auto cleanup mechanism, and --no-degrade) and
# tests/e2e/test_fallbacks.sh (a forced cleanup mechanism).
#
#   overload_setup                  namespace OV_NS with the pair fgA/fgB
#   overload_teardown               kill the daemon, delete it all
#   overload_run SETTLE ARGS...     one loaded run (pping ARGS), see below
#   overload_check_coverage NAME    >= 95% of the flows got an RTT
#   overload_check_rtt NAME         every RTT is the generator's
#   overload_check_level NAME       the degradation level rose and came back
#   ov_pct A B                      100 * A / B with one decimal
#
# Settings (override after sourcing, or by the OVERLOAD_* environment):
#   OV_NS OV_FLOWS OV_MAX_FLOWS OV_SECS OV_RTT_MS OV_FLOWGEN

OV_NS=pp$$-ov
OV_FLOWS=${OVERLOAD_FLOWS:-1024}
OV_MAX_FLOWS=${OVERLOAD_MAX_FLOWS:-256}
OV_SECS=${OVERLOAD_SECS:-12}
OV_RTT_MS=20
OV_FLOWGEN=./build/tests/flowgen
OV_FLOWGEN_ARGS=()     # more flowgen options (e.g. -N for a mixed workload)
OV_GEN_OUT=
# Set by overload_run: COVERED LATE_MAX_US SETTLED (and PP_OUT/PP_ERR).
COVERED= LATE_MAX_US= SETTLED=

overload_setup() {
	OV_GEN_OUT=$(mktemp) &&
	ip netns add "$OV_NS" &&
	ip -n "$OV_NS" link add fgA type veth peer name fgB &&
	ip -n "$OV_NS" link set fgA up && ip -n "$OV_NS" link set fgB up
}

overload_teardown() {
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	pping_cleanup_files
	[ -n "$OV_GEN_OUT" ] && rm -f "$OV_GEN_OUT"
	ip netns del "$OV_NS" 2>/dev/null
	return 0
}

# overload_run SETTLE ARGS...: run pping with the given extra options
# against OV_FLOWS flows for OV_SECS seconds; then wait up to SETTLE s for
# the level to return to 0. Sets COVERED (flows with at least one RTT
# line), LATE_MAX_US (the generator's worst ACK lateness), SETTLED (s from
# the end of the load to level 0, empty if it did not) and leaves pping's
# output in PP_OUT/PP_ERR, its exit status in PP_STATUS.
overload_run() {
	local settle=$1 i
	shift
	pping_start "$OV_NS" -i fgA --max-flows "$OV_MAX_FLOWS" "$@" || return 1
	ip netns exec "$OV_NS" "$OV_FLOWGEN" -a fgA -b fgB -n "$OV_FLOWS" -t "$OV_SECS" \
		-r "$OV_RTT_MS" "${OV_FLOWGEN_ARGS[@]}" >"$OV_GEN_OUT" 2>&1 ||
		{ cat "$OV_GEN_OUT"; return 1; }
	local stopped=$SECONDS
	SETTLED=
	for i in $(seq $((settle * 10))); do
		grep -q "degradation level 1 -> 0" "$PP_ERR" &&
			{ SETTLED=$((SECONDS - stopped)); break; }
		sleep 0.1
	done
	pping_stop INT 5
	COVERED=$(awk '$3 == "ms" && $5 == "ms" && $6 == "TCP" { print $7 }' "$PP_OUT" | sort -u | wc -l)
	LATE_MAX_US=$(grep -o 'late_max_us [0-9]*' "$OV_GEN_OUT" | awk '{ print $2 }')
	echo "    $(cat "$OV_GEN_OUT")"
	grep "^pping: maps:\|^pping: cleanup:" "$PP_ERR" | sed 's/^/    /'
}

ov_pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }

# Coverage: at least 95% of the flows, and a clean exit.
overload_check_coverage() {
	local name=$1
	if [ "$PP_STATUS" = 0 ] && [ $((COVERED * 100)) -ge $((OV_FLOWS * 95)) ]; then
		pass "$name"
	else
		fail "$name" "$COVERED of $OV_FLOWS flows covered (status $PP_STATUS)"
	fi
}

# Every RTT is the generator's: OV_RTT_MS, plus at most its own lateness in
# sending the ACK and a scheduling margin; never less.
overload_check_rtt() {
	local name=$1 hi bad n med
	hi=$(awk -v r=$OV_RTT_MS -v l="${LATE_MAX_US:-0}" 'BEGIN { printf "%.3f", r + l / 1000 + 1 }')
	bad=$(rtt_values "$PP_OUT" | awk -v lo=$((OV_RTT_MS)) -v hi="$hi" '$1 < lo - 0.2 || $1 > hi' | wc -l)
	n=$(rtt_values "$PP_OUT" | wc -l)
	med=$(rtt_values "$PP_OUT" | median)
	echo "    $n RTT lines, median $med ms, $bad outside [$(awk -v r=$OV_RTT_MS 'BEGIN{print r - 0.2}'), $hi] ms"
	if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "$bad of $n RTTs outside the expected range"
	fi
}

# Flows cleanup removed without a FIN or RST got a closing event naming
# why (issue 16): as many "closing due to eviction" lines as the exit
# summary's cleanup line counts evicted flows that had not closed, so at
# least one when any was evicted and never more than were evicted.
overload_check_closings() {
	local name=$1 lines evicted
	lines=$(grep -c 'closing due to eviction$' "$PP_OUT")
	evicted=$(sed -n 's/^pping: cleanup:.* evicted \([0-9]*\);.*/\1/p' "$PP_ERR")
	echo "    closing events by eviction: $lines (cleanup evicted ${evicted:-?} flows)"
	if [ -z "$evicted" ]; then
		fail "$name" "no cleanup line in the exit summary"
	elif [ "$evicted" -gt 0 ] && [ "$lines" -ge 1 ] && [ "$lines" -le "$evicted" ]; then
		pass "$name"
	else
		fail "$name" "$lines closing lines for $evicted evicted flows"
	fi
}

# The level rose under the load and came back to 0 once it stopped.
overload_check_level() {
	local name=$1
	echo "    level back to 0 about ${SETTLED:-?} s after the load stopped"
	if grep -q "degradation level 0 -> 1" "$PP_ERR" &&
	   grep -q "degradation level 1 -> 0" "$PP_ERR" &&
	   grep -q "^pping: maps:.*degradation level 0 (highest [1-9]" "$PP_ERR"; then
		pass "$name"
	else
		fail "$name" "$(grep 'degradation level' "$PP_ERR" | tail -3)"
	fi
}
