#!/usr/bin/env bash
# ICMP and ICMPv6 echo (issue 16): ping through the delayed path while
# pping runs on the client. Both see the same exchanges, so pping's median
# must be within 0.3 ms of ping's own (ping's figures carry 3 significant
# digits: 10.1 ms is known to +-0.05 ms).
#   icmp-ipv{4,6}-{tc,xdp}  lines say ICMP/ICMPv6 with the echo id as port,
#                           median within 0.3 ms of ping's
#   icmp-json               "protocol":"ICMP", "method":"icmp"
#   icmp-local              -l on the server: the requests arriving there are
#                           identifiers and the replies leaving close them,
#                           marked (local): the RTT towards the local side,
#                           which is the server's own answer time (< 1 ms)
#   icmp-replay             the pings captured by tcpdump and replayed with
#                           --read: every captured exchange measured, the median
#                           within 0.3 ms of ping's
#   icmp-off                --no-icmp: no ICMP line
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=${ONEWAY_MS:-5}
TOLERANCE_MS=0.3
COUNT=12

trap 'pping_cleanup_files; topo_down' EXIT
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi

# ping NS DEST, 0.1 s apart; its RTTs (ms) go to $WORK_PING, one per line.
WORK_PING=$(mktemp "${TMPDIR:-/tmp}/pp$$-ping.XXXXXX")
trap 'pping_cleanup_files; topo_down; rm -f "$WORK_PING"' EXIT
run_ping() {
	ip netns exec "$1" ping -n -c $COUNT -i 0.1 -W 2 "$2" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' >"$WORK_PING"
}

# RTTs (ms) of the ICMP lines of protocol PROTO in the standard output.
icmp_values() {
	awk -v p="$2" '$3 == "ms" && $5 == "ms" && $6 == p { print $2 }' "$1"
}

within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$SRV_IP4 proto=ICMP; else dst=$SRV_IP6 proto=ICMPv6; fi
	for hook in tc xdp; do
		name="icmp-ipv$fam-$hook"
		if ! pping_start "$NS_CLI" -i "$CLI_IF" -I "$hook" -r 10ms; then
			fail "$name" "pping did not start: $(tail -3 "$PP_ERR")"
			continue
		fi
		run_ping "$NS_CLI" "$dst"
		pping_stop INT
		vals=$(icmp_values "$PP_OUT" "$proto")
		n=$(grep -c . <<<"$vals")
		med=$(median <<<"$vals")
		pmed=$(median <"$WORK_PING")
		# The flow is named by the echo id, the same on both ends.
		bad=$(awk -v p="$proto" '$6 == p { split($7, e, "+"); n1 = split(e[1], a, ":"); n2 = split(e[2], b, ":"); if (a[n1] != b[n2]) print }' "$PP_OUT" | wc -l)
		echo "  $name: ping median ${pmed:-none} ms over $(grep -c . "$WORK_PING") replies, pping median ${med:-none} ms over $n samples"
		if [ "$PP_STATUS" != 0 ]; then
			fail "$name" "pping exit status $PP_STATUS: $(tail -3 "$PP_ERR")"
		elif [ "$n" -lt $((COUNT - 2)) ]; then
			fail "$name" "only $n ICMP samples for $COUNT pings"
		elif [ "$bad" != 0 ]; then
			fail "$name" "$bad lines whose two ends have different echo ids"
		elif within "$med" "$pmed" $TOLERANCE_MS; then
			pass "$name"
		else
			fail "$name" "median $med ms vs ping's $pmed ms (tolerance $TOLERANCE_MS ms)"
		fi
		pping_cleanup_files
	done
done

# --- icmp-json --------------------------------------------------------------
name=icmp-json
if pping_start "$NS_CLI" -i "$CLI_IF" -F jsonl -r 10ms; then
	run_ping "$NS_CLI" "$SRV_IP4"
	run_ping "$NS_CLI" "$SRV_IP6"
	pping_stop INT
	v4=$(grep -c '"protocol":"ICMP".*"method":"icmp"' "$PP_OUT")
	v6=$(grep -c '"protocol":"ICMPv6".*"method":"icmp"' "$PP_OUT")
	echo "  $name: $v4 ICMP and $v6 ICMPv6 RTT records"
	if [ "$PP_STATUS" = 0 ] && [ "$v4" -ge $((COUNT - 2)) ] && [ "$v6" -ge $((COUNT - 2)) ] &&
	   grep -qE '^pping: RTT samples by method: timestamps 0, SEQ/ACK 0, ICMP [1-9]' "$PP_ERR"; then
		pass $name
	else
		fail $name "status $PP_STATUS, $v4 ICMP and $v6 ICMPv6 records: $(grep 'by method' "$PP_ERR")"
	fi
else
	fail $name "pping did not start: $(tail -3 "$PP_ERR")"
fi
pping_cleanup_files

# --- icmp-local -------------------------------------------------------------
name=icmp-local
if pping_start "$NS_SRV" -i "$SRV_IF" -l -r 10ms; then
	run_ping "$NS_CLI" "$SRV_IP4"
	pping_stop INT
	vals=$(awk '$6 == "ICMP" && / \(local\)$/ { print $2 }' "$PP_OUT")
	n=$(grep -c . <<<"$vals")
	med=$(median <<<"$vals")
	echo "  $name: $n samples marked (local) on the server, median ${med:-none} ms"
	if [ "$PP_STATUS" = 0 ] && [ "$n" -ge $((COUNT - 2)) ] &&
	   awk -v m="$med" 'BEGIN { exit !(m > 0 && m < 1) }'; then
		pass $name
	else
		fail $name "status $PP_STATUS, $n local samples, median ${med:-none} ms"
	fi
else
	fail $name "pping did not start: $(tail -3 "$PP_ERR")"
fi
pping_cleanup_files

# --- icmp-replay ------------------------------------------------------------
name=icmp-replay
PCAP=$(mktemp "${TMPDIR:-/tmp}/pp$$-icmp.XXXXXX")
if ! tcpdump_cli 128 "$PCAP" "$PCAP.err" 'icmp or icmp6'; then
	fail $name "tcpdump did not start: $(cat "$PCAP.err")"
else
	run_ping "$NS_CLI" "$SRV_IP4"
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	# The pings are 0.1 s apart in capture time, give or take the machine's
	# jitter, so the rate limit must be below that for every exchange to count
	# (the default 100 ms skipped some). The exchanges to measure are the
	# replies the capture holds.
	./pping --read "$PCAP" -r 10ms >"$WORK_PING.out" 2>"$WORK_PING.err"
	st=$?
	replies=$(tcpdump -r "$PCAP" -nn 'icmp[icmptype] == icmp-echoreply' 2>/dev/null | wc -l)
	vals=$(icmp_values "$WORK_PING.out" ICMP)
	n=$(grep -c . <<<"$vals")
	med=$(median <<<"$vals")
	echo "  $name: $n samples replaying the capture of $replies replies, median ${med:-none} ms (ping $(median <"$WORK_PING") ms)"
	if [ "$st" = 0 ] && [ "$n" = "$replies" ] && [ "$n" -ge $((COUNT - 2)) ] &&
	   within "$med" "$(median <"$WORK_PING")" $TOLERANCE_MS; then
		pass $name
	else
		fail $name "status $st, $n samples, median ${med:-none}: $(tail -2 "$WORK_PING.err")"
	fi
fi
rm -f "$PCAP" "$PCAP.err" "$WORK_PING.out" "$WORK_PING.err"

# --- icmp-off ---------------------------------------------------------------
name=icmp-off
if pping_start "$NS_CLI" -i "$CLI_IF" --no-icmp -r 10ms; then
	run_ping "$NS_CLI" "$SRV_IP4"
	pping_stop INT
	n=$(awk '$6 == "ICMP"' "$PP_OUT" | wc -l)
	if [ "$PP_STATUS" = 0 ] && [ "$n" = 0 ] && [ -s "$WORK_PING" ]; then
		pass $name
	else
		fail $name "status $PP_STATUS, $n ICMP lines with --no-icmp"
	fi
else
	fail $name "pping did not start: $(tail -3 "$PP_ERR")"
fi
pping_cleanup_files
summary
