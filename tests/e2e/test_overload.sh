#!/usr/bin/env bash
# Overload: 4x more concurrent flows than the flow map holds. A synthetic
# generator (tests/tools/flowgen.c) plays 1024 TCP flows with a known RTT through
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
. tests/lib/overload.sh

trap overload_teardown EXIT
overload_setup ||
	{ fail overload-setup "cannot create the namespace and veth pair"; summary; }

if ! overload_run 30; then
	fail overload-adaptive "run failed: $(tail -3 "$PP_ERR" 2>/dev/null)"
	summary
fi
adaptive=$COVERED
echo "    adaptive degradation: $adaptive of $OV_FLOWS flows got an RTT ($(ov_pct "$adaptive" "$OV_FLOWS")%)"
grep "degradation level" "$PP_ERR" | grep -- "->" | sed 's/^pping: /    /; s/: flow map/:/; s/; rate limit.*//' | head -12

overload_check_coverage overload-coverage
overload_check_rtt overload-rtt-correct
overload_check_level overload-level-recovers
overload_check_closings overload-closing-events
pping_cleanup_files

# The same load without adaptive degradation, for comparison.
if overload_run 0 --no-degrade; then
	echo "    without adaptive degradation: $COVERED of $OV_FLOWS flows got an RTT ($(ov_pct "$COVERED" "$OV_FLOWS")%)"
	if [ "$COVERED" -lt "$adaptive" ]; then
		pass overload-compare
	else
		fail overload-compare "--no-degrade covered $COVERED flows, adaptive $adaptive"
	fi
else
	fail overload-compare "run failed: $(tail -3 "$PP_ERR" 2>/dev/null)"
fi
pping_cleanup_files

# A mixed workload (issue 16): every other flow sends no TCP options, as
# hosts without timestamps do, and is measured by SEQ/ACK; both kinds
# share the maps and the rate limit. The same 1024 flows, without the
# overload (the maps hold them all), for 4 s.
OV_FLOWGEN_ARGS=(-N)
OV_MAX_FLOWS=4096 OV_SECS=4
if overload_run 0; then
	seq_flows=$(awk '$3 == "ms" && $5 == "ms" && $6 == "TCP" && / \(seq\)$/ { print $7 }' "$PP_OUT" | sort -u | wc -l)
	echo "    mixed workload: $COVERED of $OV_FLOWS flows got an RTT ($(ov_pct "$COVERED" "$OV_FLOWS")%), $seq_flows of them by SEQ/ACK"
	overload_check_coverage overload-mixed-coverage
	overload_check_rtt overload-mixed-rtt-correct
	# Half the flows have no timestamps: about half the covered ones
	# must be measured by SEQ/ACK (and no flow by both).
	if [ $((seq_flows * 100)) -ge $((COVERED * 45)) ] && [ $((seq_flows * 100)) -le $((COVERED * 55)) ]; then
		pass overload-mixed-methods
	else
		fail overload-mixed-methods "$seq_flows of $COVERED covered flows by SEQ/ACK, want about half"
	fi
else
	fail overload-mixed-coverage "run failed: $(tail -3 "$PP_ERR" 2>/dev/null)"
fi
summary
