#!/usr/bin/env bash
# `make demo`: two namespaces joined by a path with 20 ms of round-trip
# delay, real TCP traffic over IPv4 and IPv6, and pping on the client's
# interface for about 10 seconds. Everything is removed afterwards.
set -u
cd "$(dirname "$0")/.."
. tests/lib/netns.sh

ONEWAY_MS=${ONEWAY_MS:-10}
SECS=${SECS:-10}

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (BPF, namespaces)" >&2; exit 1; }
trap topo_down EXIT

echo "demo: building a path with ${ONEWAY_MS} ms each way (RTT about $((2 * ONEWAY_MS)) ms)"
topo_up "$ONEWAY_MS" || exit 1
echo "demo: ping says the RTT is $(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 5) ms"

in_srv iperf3 -s -p 5201 >/dev/null 2>&1 &
in_srv iperf3 -s -p 5202 >/dev/null 2>&1 &
sleep 0.5

echo "demo: running: ip netns exec $NS_CLI ./pping -i $CLI_IF --rate-limit 500ms -d ${SECS}s"
echo "------------------------------------------------------------------------"
in_cli ./pping -i "$CLI_IF" --rate-limit 500ms -d "${SECS}s" &
pp=$!
sleep 1
# A paced IPv4 bulk flow, and an IPv6 flow that starts later.
in_cli iperf3 -c "$SRV_IP4" -p 5201 -t $((SECS - 3)) -b 10M >/dev/null 2>&1 &
sleep 2
in_cli iperf3 -c "$SRV_IP6" -p 5202 -t $((SECS - 5)) -b 5M >/dev/null 2>&1 &
wait $pp
echo "------------------------------------------------------------------------"
echo "demo: each line: time, RTT, minimum RTT so far, flow (reply sender first)"
