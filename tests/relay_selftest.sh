#!/usr/bin/env bash
# Self-test of the test path itself (tests/lib/netns.sh + tests/delay_relay):
# before trusting pping's RTTs against this path, check that the path adds
# the delay it claims and carries TCP. Needs root.
#
#   tests/relay_selftest.sh        (DELAY_RELAY=... to use another binary)
#
# Prints one "PASS name" / "FAIL name: details" line per check and exits
# non-zero if any check failed. INFO lines are measurements, not checks.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/netns.sh
. "$here/lib/netns.sh"

# One-way delay under test: the path RTT is twice this.
ONEWAY_MS=5
RTT_LO_MS=10.0          # 2 x ONEWAY_MS
RTT_HI_MS=10.6          # + allowance for the veth/stack RTT and relay latency
PINGS=25
MIN_MBPS=10             # TCP must really flow, not merely connect

failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
info() { echo "INFO $*"; }
trap topo_down EXIT

# Convenience when run before the Makefile has built the relay.
if [[ ! -x $DELAY_RELAY && $DELAY_RELAY == "$PP_REPO_ROOT/build/tests/delay_relay" ]]; then
	if ! mkdir -p "$(dirname "$DELAY_RELAY")" ||
		! gcc -O2 -Wall -Wextra -Werror -o "$DELAY_RELAY" "$here/delay_relay.c"; then
		fail build "gcc failed"
		exit 1
	fi
fi

# check_rtt NAME DEST: median ping RTT within [RTT_LO_MS, RTT_HI_MS]
check_rtt() {
	local rtt

	rtt=$(measure_ping_rtt "$NS_CLI" "$2" "$PINGS") || { fail "$1" "no ping replies"; return; }
	if awk -v r="$rtt" -v lo="$RTT_LO_MS" -v hi="$RTT_HI_MS" 'BEGIN { exit !(r >= lo && r <= hi) }'; then
		pass "$1 (median ${rtt} ms)"
	else
		fail "$1" "median ${rtt} ms not in [$RTT_LO_MS, $RTT_HI_MS]"
	fi
}

# check_no_leftovers NAME RELAY_PID: topo_down removed everything
check_no_leftovers() {
	local left

	left=$(ip netns list | awk '{ print $1 }' | grep -- "^$PP_NS_PREFIX-" | tr '\n' ' ')
	if [[ -n $left ]]; then
		fail "$1" "namespaces left: $left"
	elif kill -0 "$2" 2>/dev/null; then
		fail "$1" "relay pid $2 still running"
	else
		pass "$1"
	fi
}

# --- 1. delayed path: RTT for both families, and TCP throughput ----------
if ! topo_up "$ONEWAY_MS"; then
	fail "topo_up $ONEWAY_MS" "see messages above"
	exit 1
fi
pass "topo_up $ONEWAY_MS (one-way ms)"
relay_pid=$RELAY_PID

check_rtt "rtt_ipv4" "$SRV_IP4"
check_rtt "rtt_ipv6" "$SRV_IP6"

# TCP through the relay. This is what breaks if frames are forwarded with
# partial (offloaded) checksums: ping keeps working, TCP stalls.
iperf3_server -B "$SRV_IP4"
srv_pid=$SRV_PID
json=$(timeout 30 ip netns exec "$NS_CLI" iperf3 -c "$SRV_IP4" -t 3 -J 2>&1)
wait "$srv_pid" 2>/dev/null
mbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' <<<"$json" 2>/dev/null)
retrans=$(jq -r '.end.sum_sent.retransmits // "?"' <<<"$json" 2>/dev/null)
if [[ $mbps =~ ^[0-9]+$ ]] && ((mbps > MIN_MBPS)); then
	pass "tcp_iperf3 (${mbps} Mbit/s, ${retrans} retransmits)"
else
	err=$(jq -r '.error // empty' <<<"$json" 2>/dev/null)
	fail "tcp_iperf3" "${mbps:-?} Mbit/s <= $MIN_MBPS${err:+; $err}"
fi

topo_down
check_no_leftovers "teardown" "$relay_pid"

# --- 2. zero delay: what the relay itself adds to the RTT ----------------
if topo_up 0; then
	relay_pid=$RELAY_PID
	info "relay overhead: RTT with 0 ms delay: ipv4 $(measure_ping_rtt "$NS_CLI" "$SRV_IP4" "$PINGS") ms," \
		"ipv6 $(measure_ping_rtt "$NS_CLI" "$SRV_IP6" "$PINGS") ms (median)"
	topo_down
	check_no_leftovers "teardown_zero_delay" "$relay_pid"
else
	fail "topo_up 0" "see messages above"
fi

if ((failures)); then
	echo "relay_selftest: $failures check(s) failed"
	exit 1
fi
echo "relay_selftest: all checks passed"
