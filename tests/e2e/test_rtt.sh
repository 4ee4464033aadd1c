#!/usr/bin/env bash
# Real TCP (iperf3) between two namespaces through a path with a known delay
# (tests/tools/delay_relay.c); pping on the client must report a median RTT within
# 1 ms of the path RTT measured by ping, for IPv4 and IPv6, with tc and with
# XDP ingress.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=${ONEWAY_MS:-5}
TOLERANCE_MS=1.0
MIN_SAMPLES=15

trap 'pping_cleanup_files; topo_down' EXIT
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi

for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$SRV_IP4; else dst=$SRV_IP6; fi
	ping_ms=$(measure_ping_rtt "$NS_CLI" "$dst" 15)
	for hook in tc xdp; do
		name="rtt-ipv$fam-$hook"
		in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
		srv=$!
		sleep 0.3
		if ! pping_start "$NS_CLI" -i "$CLI_IF" -I "$hook" -r 10ms; then
			fail "$name" "pping did not start"
			kill $srv 2>/dev/null; wait $srv 2>/dev/null
			continue
		fi
		# Paced below what the relay forwards, so no queue builds up
		# and the path RTT stays what ping measured.
		in_cli iperf3 -c "$dst" -t 3 -b 20M >/dev/null 2>&1
		pping_stop INT; st=$PP_STATUS
		wait $srv 2>/dev/null
		vals=$(rtt_values "$PP_OUT" ":5201\\+")
		n=$(grep -c . <<<"$vals")
		med=$(median <<<"$vals")
		echo "  $name: ping ${ping_ms} ms, pping median ${med:-none} ms over $n samples"
		if [ "$st" != 0 ]; then
			fail "$name" "pping exit status $st: $(tail -3 "$PP_ERR")"
		elif [ "$n" -lt $MIN_SAMPLES ]; then
			fail "$name" "only $n RTT samples (want >= $MIN_SAMPLES)"
		elif awk -v a="$med" -v b="$ping_ms" -v t=$TOLERANCE_MS \
			'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
			pass "$name"
		else
			fail "$name" "median $med ms vs ping $ping_ms ms (tolerance $TOLERANCE_MS ms)"
		fi
		pping_cleanup_files
	done
done
summary
