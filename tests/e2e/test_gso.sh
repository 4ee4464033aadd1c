#!/usr/bin/env bash
# Egress sees GSO super-packets. With BIG TCP (IPv6 GSO above 64 KiB) their
# IP length field is 0; pping must still parse them, or it misses most bulk
# data and, worse, times a later small packet that repeats a TSval the big
# one carried first. Checks: every egress packet of the transfer is parsed
# as TCP, and every identifier stored is matched, but those whose segment
# was lost (passed by the echo of a newer one, each with a resend).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/pping.sh
. tests/lib/pair.sh

NS_A=$PAIR_A NS_B=$PAIR_B
trap 'pping_cleanup_files; pair_down' EXIT

pair_up gso_max_size 131072 &&
ip -n "$NS_B" link set veth0 gro_max_size 131072 &&
ip -n "$NS_A" addr add fd00:202::1/64 dev veth0 nodad &&
ip -n "$NS_B" addr add fd00:202::2/64 dev veth0 nodad ||
	{ fail setup "cannot build a BIG TCP veth pair"; summary; }

ip netns exec "$NS_B" timeout 20 iperf3 -s -1 >/dev/null 2>&1 &
srv=$!
sleep 0.3
pping_start "$NS_A" -i veth0 -r 10ms || { fail bigtcp-ipv6 "pping did not start"; summary; }
ip netns exec "$NS_A" iperf3 -6 -c fd00:202::2 -t 2 >/dev/null 2>&1
pping_stop INT
wait $srv 2>/dev/null

# One figure of the exit summary ("... RTT samples 187 ...").
figure() { grep -o "$1 [0-9]*" "$PP_ERR" | head -1 | awk '{ print $NF }'; }
e=$(figure "packets egress")
te=$(grep -o "(TCP [0-9]*" "$PP_ERR" | head -1 | awk '{ print $NF }')
s=$(figure "RTT samples")
n=$(figure "identifiers stored")
passed=$(figure "passed by a newer echo")
resent=$(figure "TCP segments retransmitted")
echo "  egress packets $e, parsed as TCP $te; identifiers $n, samples $s, passed by a newer echo ${passed:-?}; segments retransmitted ${resent:-?}"
if [ "$PP_STATUS" != 0 ] || [ -z "$e" ]; then
	fail bigtcp-ipv6 "pping status $PP_STATUS: $(tail -2 "$PP_ERR")"
elif [ $((e - te)) -gt 10 ]; then
	# A few are neighbour discovery and MLD, which are not TCP.
	fail bigtcp-ipv6 "$((e - te)) of $e egress packets not parsed as TCP"
elif [ "$s" -lt 50 ] || [ -z "$passed" ] || [ -z "$resent" ] ||
	[ $((n - s - passed)) -gt 3 ]; then
	fail bigtcp-ipv6 "$s samples from $n identifiers, ${passed:-?} passed by a newer echo"
elif [ "$passed" -gt "$resent" ]; then
	# An identifier is passed when its segment never arrived (the
	# receiver's backlog overflows on a loaded machine: 2 to 8 of about
	# 180 here, with hundreds of segments resent); each one is a loss,
	# so a resend.
	fail bigtcp-ipv6 "$passed identifiers passed by a newer echo, but only $resent segments resent"
else
	pass bigtcp-ipv6
fi
summary
