#!/usr/bin/env bash
# `make demo`: two namespaces joined by a path with 20 ms of round-trip
# delay, real TCP traffic over IPv4 and IPv6, and pping on the client's
# interface for about 10 seconds. Everything is removed afterwards.
#
# A second pping on the same interface records JSON lines (-F jsonl) into
# build/demo.jsonl, which scripts/pping-plot turns into build/demo.png.
# With DEMO_UPDATE_DOC=1 that plot is also copied to doc/demo.png, the
# figure the README shows.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

ONEWAY_MS=${ONEWAY_MS:-10}
SECS=${SECS:-10}
JSONL=$PWD/build/demo.jsonl
PNG=build/demo.png

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (BPF, namespaces)" >&2; exit 1; }
json_err=$(mktemp "${TMPDIR:-/tmp}/pping-demo.XXXXXX") || exit 1
trap 'topo_down; rm -f "$json_err"' EXIT

# The recording needs a pping with --format (and --write); an older build
# still gives the text demo.
record=0
./pping --help 2>/dev/null | grep -q -- --format && record=1

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
# The recording keeps the default rate limit (100ms): five times the
# samples of the lines above, for a denser plot. Both ppings' programs sit
# on the same hooks; each returns "continue", so both see every packet.
# --write appends, so start from an empty file.
pj=
if [ $record -eq 1 ]; then
	mkdir -p build && rm -f "$JSONL"
	in_cli ./pping -i "$CLI_IF" -d "${SECS}s" -F jsonl -w "$JSONL" 2>"$json_err" &
	pj=$!
fi
sleep 1
# A paced IPv4 bulk flow, and an IPv6 flow that starts later.
in_cli iperf3 -c "$SRV_IP4" -p 5201 -t $((SECS - 3)) -b 10M >/dev/null 2>&1 &
sleep 2
in_cli iperf3 -c "$SRV_IP6" -p 5202 -t $((SECS - 5)) -b 5M >/dev/null 2>&1 &
wait $pp
rc_json=0
[ -z "$pj" ] || { wait "$pj"; rc_json=$?; }
echo "------------------------------------------------------------------------"
echo "demo: each line: time, RTT, minimum RTT so far, flow (reply sender first)"

if [ $record -eq 0 ]; then
	echo "demo: this pping has no --format: no JSON recording, no plot"
	exit 0
fi
if [ $rc_json -ne 0 ]; then
	echo "demo: the recording pping failed (exit $rc_json):" >&2
	cat "$json_err" >&2
	exit 1
fi
echo "demo: recorded $(wc -l <"$JSONL") JSON lines in $JSONL"
scripts/pping-plot -o "$PNG" --title "pping demo: iperf3 over IPv4 and IPv6, path RTT $((2 * ONEWAY_MS)) ms" \
	"$JSONL" || exit 1
echo "demo: plot of the RTTs: $PNG (again: scripts/pping-plot -o FILE.png $JSONL)"
if [ "${DEMO_UPDATE_DOC:-0}" = 1 ]; then
	mkdir -p doc && cp "$PNG" doc/demo.png || exit 1
	echo "demo: copied to doc/demo.png"
fi
