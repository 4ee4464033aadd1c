#!/usr/bin/env bash
# pping on a router monitoring two interfaces at once (issue 17):
#
#   client --- lan0 [router, ip_forward] wan0 --- delay relay (10 ms each
#   way) --- server (10.210.2.2 measured, 10.210.3.2 excluded)
#
# (topology in tests/lib/router.sh). Traffic: the client uploads to the
# server (iperf3, port 5201) and downloads from it (iperf3 -R, port 5202)
# at once, so on each interface the packets leaving it are answered
# promptly by one end or the other.
#  - router-legs: -i lan0 -i wan0 -l -F jsonl: every record names lan0 or
#    wan0 and the client and the server as its ends, the replying end is
#    the one the interface and match_on_egress say; wan0's RTT towards the
#    server is ping router->server's, lan0's towards the client is ping
#    router->client's (within 1 ms, median). router-legs-local: with -l
#    each interface also measures the other leg (lan0's local samples are
#    the WAN leg, wan0's the LAN leg). router-exit-summary: one line per
#    interface, in -i order, then the total, which is their sum.
#  - router-text-names: standard lines end in " dev lan0"/" dev wan0"
#    (after "(local)"), with the right replying end; with one interface no
#    line has " dev" and the exit summary has no per-interface line.
#  - router-aggregate: -i lan0 -i wan0 -l -a 1s: the subnet records of
#    each interface, built in the datapath, have each leg's RTT for each
#    replying subnet, and hold every sample pping reported.
#  - router-exclude: --exclude of the second server subnet: while only its
#    traffic flows the flow and identifier maps stay empty
#    (pping_map_entries, read during the traffic) and
#    pping_packets_excluded_total grows; then, with it still flowing, the
#    other subnet is measured; no record names an excluded address, and
#    the exit summary counts the excluded packets.
#    router-metrics-interface: pping_packets_total and the per-subnet
#    histograms carry an interface label; no series for the excluded net.
#  - router-nothing-left[SIG,HOOK]: after SIGINT and after SIGKILL of the
#    daemon and its children, none of its links and programs exists and
#    nothing is on lan0 or wan0 (XDP, tc filters, clsact), tc and XDP.
#  - router-xdp, router-xdp-local: router-legs with -I xdp.
#  - router-iface-gone: lan0 deleted while pping runs: it says so (name
#    and index), goes on, measures wan0 afterwards, exits 0 on SIGINT with
#    nothing left. router-last-iface-gone: deleting lan0 then wan0 ends it
#    with status 1 and nothing left (last: it breaks the topology).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/pping.sh
. tests/lib/router.sh
# measure_ping_rtt (netns.sh's own namespaces are never created here).
. tests/lib/netns.sh

ONEWAY_MS=10
TOL_MS=1.0
MIN_SAMPLES=15
TCP_PULSE=./build/tests/tcp_pulse
METRICS_PORT=9100   # in the router's namespace: no clash with other runs

SRV_PIDS=() BG_PIDS=() PP_KIDS=
teardown() {
	local p
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	for p in "${SRV_PIDS[@]}" "${BG_PIDS[@]}" $PP_KIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	pping_cleanup_files
	rm -f "${M1:-}" "${M2:-}"
	rt_down
}
trap teardown EXIT

need_tools router-tools iperf3 jq curl bpftool ethtool ping tc ss || summary
for b in "$PP_BIN" "$DELAY_RELAY" "$TCP_PULSE"; do
	[ -x "$b" ] || { fail router-build "$b is not built (make pping build/tests/delay_relay build/tests/tcp_pulse)"; summary; }
done
if ! rt_up "$ONEWAY_MS"; then
	fail router-topology "could not build client - router - relay - server"
	summary
fi

within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

PING_SRV=$(measure_ping_rtt "$RT_NS_RTR" "$RT_SRV_IP" 10)
PING_CLI=$(measure_ping_rtt "$RT_NS_RTR" "$RT_CLI_IP" 10)
echo "  ping from the router: server $PING_SRV ms, client $PING_CLI ms"
if [ -z "$PING_SRV" ] || [ -z "$PING_CLI" ]; then
	fail router-topology "ping from the router got no answer (server '$PING_SRV', client '$PING_CLI')"
	summary
fi

# --- helpers ---------------------------------------------------------------

# rt_pping_start N ARGS...: pping in the router namespace, returns once it
# has attached to N interfaces (1 if it did not).
rt_pping_start() {
	local n=$1 i
	shift
	pping_start "$RT_NS_RTR" "$@" || return 1
	for i in $(seq 100); do
		[ "$(grep -c '^pping: attached to' "$PP_ERR")" -ge "$n" ] && return 0
		kill -0 "$PP_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# iperf_srv PORT: a one-shot iperf3 server on the server; returns once it
# listens.
iperf_srv() {
	local i
	ip netns exec "$RT_NS_SRV" timeout 30 iperf3 -s -1 -p "$1" >/dev/null 2>&1 &
	SRV_PIDS+=($!)
	for i in $(seq 50); do
		in_rsrv ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# srv_done: the one-shot servers end with their client; 2 s at most.
srv_done() {
	local p i
	for p in "${SRV_PIDS[@]}"; do
		for i in $(seq 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SRV_PIDS=()
}

# both_ways SECS: the client uploads to the server (port 5201) and
# downloads from it (5202, iperf3 -R) at once, paced below what the relay
# forwards so no queue builds up.
both_ways() {
	local secs=$1 up
	if ! iperf_srv 5201 || ! iperf_srv 5202; then srv_done; return 1; fi
	in_rcli timeout $((secs + 10)) iperf3 -c "$RT_SRV_IP" -p 5201 -t "$secs" -b 20M >/dev/null 2>&1 &
	up=$!
	in_rcli timeout $((secs + 10)) iperf3 -c "$RT_SRV_IP" -p 5202 -R -t "$secs" -b 20M >/dev/null 2>&1
	wait $up
	srv_done
}

# RTT samples (ms) of the JSON records of interface IF with
# match_on_egress LOCAL (true or false).
json_rtts() {
	jq -r --arg i "$2" --argjson l "$3" \
		'select(.rtt != null and .interface == $i and .match_on_egress == $l) | .rtt / 1e6' "$1"
}

# leg_check FILE IF LOCAL PING_MS WHAT: prints a line; status 0 if there
# are enough samples and their median is within TOL_MS of PING_MS. The
# problem, if any, in LEG_WHY.
leg_check() {
	local vals n med
	vals=$(json_rtts "$1" "$2" "$3")
	n=$(grep -c . <<<"$vals")
	med=$(median <<<"$vals")
	echo "    $2 $5: $n samples, median ${med:-none} ms (ping $4 ms)"
	LEG_WHY="$2 $5: $n samples, median ${med:-none} ms vs ping $4 ms"
	[ "$n" -ge $MIN_SAMPLES ] && within "$med" "$4" $TOL_MS
}

# A daemon's links and programs, from its fds (this instance's, whatever
# else runs on the machine).
held_progs() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
held_links() { grep -h '^link_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }

# rt_attached "PROGS" "LINKS" "PIDS": what of a daemon is on the router's
# interfaces or in the kernel (empty if nothing): XDP programs, clsact and
# tc filters on lan0/wan0 (where they still exist), its links (TCX, XDP)
# and programs, its child processes.
rt_attached() {
	local progs=$1 links=$2 pids=$3 left="" ifc x p all
	for ifc in lan0 wan0; do
		ip -n "$RT_NS_RTR" link show dev "$ifc" >/dev/null 2>&1 || continue
		x=$(ip -n "$RT_NS_RTR" -j link show dev "$ifc" | jq -r '.[0].xdp.prog.id // empty')
		[ -n "$x" ] && left+="XDP program $x on $ifc; "
		in_rtr tc qdisc show dev "$ifc" | grep -q clsact && left+="clsact qdisc on $ifc; "
		for p in ingress egress; do
			x=$(in_rtr tc filter show dev "$ifc" "$p" 2>/dev/null | grep -m1 .)
			[ -n "$x" ] && left+="tc $p filter on $ifc: $x; "
		done
	done
	all=$(bpftool link show -j 2>/dev/null | jq -r '.[].id')
	for x in $links; do
		grep -qx "$x" <<<"$all" && left+="link $x; "
	done
	# shellcheck disable=SC2086
	x=$(pping_progs_alive $progs)
	[ "$x" -ne 0 ] && left+="$x program(s) of its still loaded; "
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && left+="child process $p alive; "
	done
	echo "$left"
}

# rt_leftovers ...: rt_attached after up to 3 s for the kernel to free
# what the exit released.
rt_leftovers() {
	local i left
	for i in $(seq 30); do
		left=$(rt_attached "$@")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# pping did not start: a SKIP if the kernel refused (it says so), else a FAIL.
not_started() {
	local msg
	pping_stop none 1
	msg=$(grep -m1 'kernel refused' "$PP_ERR")
	if [ -n "$msg" ]; then
		skip "$1" "kernel refused: ${msg#pping: }"
	else
		fail "$1" "pping did not attach to both interfaces: $(grep -v '^libbpf\|^libxdp' "$PP_ERR" | tail -2)"
	fi
	pping_cleanup_files
}

# --- router-legs, router-xdp: per-leg RTTs, labels, the exit summary --------
legs() {
	local name=$1 hook=$2 lines objs bad_iface bad_rep why="" lwhy="" left progs links
	if ! rt_pping_start 2 -i lan0 -i wan0 -l -F jsonl -r 10ms -I "$hook"; then
		not_started "$name"
		return
	fi
	progs=$(held_progs "$PP_PID") links=$(held_links "$PP_PID")
	both_ways 3
	pping_stop INT
	left=$(rt_leftovers "$progs" "$links" "")

	lines=$(grep -c . "$PP_OUT")
	objs=$(jq -c . "$PP_OUT" 2>/dev/null | grep -c .)
	# Every record: interface lan0 or wan0, the client and the server as
	# its two ends.
	bad_iface=$(jq -c --arg c "$RT_CLI_IP" --arg s "$RT_SRV_IP" \
		'select((.interface != "lan0" and .interface != "wan0") or ([.src_ip, .dest_ip] | sort) != ([$c, $s] | sort))' \
		"$PP_OUT" 2>/dev/null | head -2)
	# The replying end (src_ip) of an RTT sample: the server for wan0's
	# own samples and lan0's local ones, the client for lan0's own and
	# wan0's local ones.
	bad_rep=$(jq -c --arg c "$RT_CLI_IP" --arg s "$RT_SRV_IP" \
		'select(.rtt != null) | select(.src_ip != (if (.interface == "wan0") != .match_on_egress then $s else $c end))' \
		"$PP_OUT" 2>/dev/null | head -2)
	echo "    $name: $lines records"
	leg_check "$PP_OUT" wan0 false "$PING_SRV" "towards the server" || why+="$LEG_WHY; "
	leg_check "$PP_OUT" lan0 false "$PING_CLI" "towards the client" || why+="$LEG_WHY; "
	leg_check "$PP_OUT" lan0 true "$PING_SRV" "local side (the WAN leg)" || lwhy+="$LEG_WHY; "
	leg_check "$PP_OUT" wan0 true "$PING_CLI" "local side (the LAN leg)" || lwhy+="$LEG_WHY; "

	if [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif [ "$lines" -eq 0 ] || [ "$objs" -ne "$lines" ]; then
		fail "$name" "$lines lines, $objs JSON objects"
	elif [ -n "$bad_iface" ]; then
		fail "$name" "records with a wrong interface or ends: $bad_iface"
	elif [ -n "$bad_rep" ]; then
		fail "$name" "RTT samples whose replying end does not fit the interface: $bad_rep"
	elif [ -n "$why" ]; then
		fail "$name" "$why"
	elif [ -n "$left" ]; then
		fail "$name" "left behind after SIGINT: $left"
	else
		pass "$name"
	fi
	if [ "$PP_STATUS" != 0 ] || [ -n "$lwhy" ]; then
		fail "$name-local" "${lwhy:-exit status $PP_STATUS}"
	else
		pass "$name-local"
	fi
	[ "$hook" = tc ] && exit_summary
	pping_cleanup_files
}

# router-exit-summary (from router-legs' run): "pping: lan0: packets ...",
# "pping: wan0: packets ..." in -i order, then the total, their sum.
exit_summary() {
	local name=router-exit-summary order sums
	order=$(grep -E '^pping: ((lan0|wan0): )?packets egress' "$PP_ERR" |
		sed -E 's/^pping: (lan0|wan0)?:? ?packets egress.*/\1/; s/^$/total/' | tr '\n' ' ')
	# egress, ingress, RTT samples, flows opened: lan0 + wan0 - total
	sums=$(grep -E '^pping: ((lan0|wan0): )?packets egress' "$PP_ERR" | awk '
		{ s = ($2 == "lan0:" || $2 == "wan0:") ? 1 : -1
		  for (i = 1; i < NF; i++) {
			if ($i == "egress") e += s * $(i + 1)
			if ($i == "ingress") g += s * $(i + 1)
			if ($i == "samples") r += s * $(i + 1)
			if ($i == "opened") o += s * $(i + 1)
		  } }
		END { print e + 0, g + 0, r + 0, o + 0 }')
	echo "    exit summary lines: $order(lan0 + wan0 - total: $sums)"
	if [ "$order" != "lan0 wan0 total " ]; then
		fail $name "summary lines in the order '$order', want 'lan0 wan0 total': $(grep 'packets egress' "$PP_ERR")"
	elif [ "$sums" != "0 0 0 0" ]; then
		fail $name "the total is not the sum of the interfaces' lines (egress, ingress, samples, flows: $sums)"
	else
		pass $name
	fi
}

# --- router-text-names -------------------------------------------------------
# The standard format names the interface last; the first endpoint of an
# RTT line is the replying end.
text_names() {
	local name=router-text-names bad nl nw nloc why=
	if ! rt_pping_start 2 -i lan0 -i wan0 -l -r 10ms; then
		not_started "$name"
		return
	fi
	both_ways 2
	pping_stop INT
	[ "$PP_STATUS" = 0 ] || why+="two interfaces: exit status $PP_STATUS; "
	bad=$(grep -vE ' dev (lan0|wan0)$' "$PP_OUT" | head -2)
	[ -n "$bad" ] && why+="lines not ending in ' dev lan0|wan0': $bad; "
	# RTT lines: $7 is SRC:PORT+DST:PORT, SRC the replying end.
	bad=$(awk -v c="$RT_CLI_IP:" -v s="$RT_SRV_IP:" '
		$3 == "ms" && $5 == "ms" && $6 == "TCP" {
			loc = ($8 == "(local)"); dev = $NF
			want = ((dev == "wan0") != loc) ? s : c
			if (index($7, want) != 1 || $(NF - 1) != "dev") print
		}' "$PP_OUT" | head -2)
	[ -n "$bad" ] && why+="RTT lines whose replying end does not fit: $bad; "
	nl=$(rtt_values "$PP_OUT" ' dev lan0$' | wc -l)
	nw=$(rtt_values "$PP_OUT" ' dev wan0$' | wc -l)
	nloc=$(rtt_values "$PP_OUT" ' \(local\) dev (lan0|wan0)$' | wc -l)
	echo "    two interfaces: $nl RTT lines on lan0, $nw on wan0, $nloc of them (local)"
	[ "$nl" -ge $MIN_SAMPLES ] && [ "$nw" -ge $MIN_SAMPLES ] && [ "$nloc" -ge $MIN_SAMPLES ] ||
		why+="too few RTT lines (lan0 $nl, wan0 $nw, local $nloc); "
	pping_cleanup_files

	if ! rt_pping_start 1 -i wan0 -r 10ms; then
		not_started "$name"
		return
	fi
	both_ways 2
	pping_stop INT
	nw=$(rtt_values "$PP_OUT" | wc -l)
	echo "    wan0 alone: $nw RTT lines"
	[ "$PP_STATUS" = 0 ] || why+="one interface: exit status $PP_STATUS; "
	[ "$nw" -ge $MIN_SAMPLES ] || why+="one interface: only $nw RTT lines; "
	bad=$(grep -m2 ' dev ' "$PP_OUT")
	[ -n "$bad" ] && why+="one interface, yet ' dev' in: $bad; "
	bad=$(rtt_values "$PP_OUT" "TCP $RT_SRV_IP:" | wc -l)
	[ "$bad" -eq "$nw" ] || why+="one interface: $((nw - bad)) RTT lines not replied by the server; "
	[ "$(grep -c 'packets egress' "$PP_ERR")" -eq 1 ] && ! grep -q '^pping: wan0: packets' "$PP_ERR" ||
		why+="one interface, yet a per-interface summary line: $(grep 'packets egress' "$PP_ERR" | head -1); "
	pping_cleanup_files
	if [ -z "$why" ]; then pass $name; else fail $name "$why"; fi
}

# --- router-aggregate: -a over two interfaces, -l ---------------------------------
# Each interface's subnet records, the datapath building the histograms:
# every (interface, replying subnet) pair has its leg's RTT, and the
# records hold every reported sample.
aggregate_ifaces() {
	local name=router-aggregate why="" pair ifc net ping med n sum want kernel
	if ! rt_pping_start 2 -i lan0 -i wan0 -l -r 10ms -a 1s -F jsonl; then
		not_started "$name"
		return
	fi
	both_ways 3
	pping_stop INT
	[ "$PP_STATUS" = 0 ] || why+="exit status $PP_STATUS: $(tail -1 "$PP_ERR"); "
	for pair in "wan0 $RT_SRV_NET $PING_SRV" "lan0 ${RT_CLI_IP%.*}.0/24 $PING_CLI" \
		"lan0 $RT_SRV_NET $PING_SRV" "wan0 ${RT_CLI_IP%.*}.0/24 $PING_CLI"; do
		read -r ifc net ping <<<"$pair"
		med=$(jq -r --arg i "$ifc" --arg n "$net" \
			'select(.type == "subnet" and .interface == $i and .subnet == $n and .rtt_count > 0) | .rtt_p50 / 1e6' \
			"$PP_OUT" | median)
		n=$(jq -s --arg i "$ifc" --arg n "$net" \
			'map(select(.type == "subnet" and .interface == $i and .subnet == $n) | .rtt_count) | add // 0' "$PP_OUT")
		echo "    $ifc, replies from $net: $n samples, median p50 ${med:-none} ms (ping $ping ms)"
		[ "$n" -ge $MIN_SAMPLES ] && within "${med:-0}" "$ping" $TOL_MS ||
			why+="$ifc $net: $n samples, median p50 ${med:-none} ms vs ping $ping ms; "
	done
	sum=$(jq -s 'map(select(.type == "subnet") | .rtt_count) | add // 0' "$PP_OUT")
	want=$(sed -n 's/^pping: packets.*RTT samples \([0-9]*\) (not printed \([0-9]*\)).*/\1 \2/p' "$PP_ERR" |
		tail -1 | awk '{ print $1 - $2 }')
	kernel=$(grep '^pping: RTTs aggregated in the kernel' "$PP_ERR")
	[ "$sum" = "$want" ] || why+="records hold $sum samples, pping reported ${want:-?}; "
	grep -q 'not added (map full) 0, of untracked subnets (table full) 0, without a window (map full) 0,' <<<"$kernel" ||
		why+="not aggregated in the kernel, or samples lost: ${kernel:-no summary line}; "
	if [ -z "$why" ]; then pass $name; else fail $name "$why"; fi
	pping_cleanup_files
}

# --- router-exclude, router-metrics-interface ------------------------------------
metric() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }
scrape() { in_rtr curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" >"$1"; }

exclude() {
	local name=router-exclude pulse up flows1 ts1 ex1 flows2 ex2 mentions excl med n why="" mwhy="" x
	M1=$(mktemp) M2=$(mktemp)
	if ! rt_pping_start 2 -i lan0,wan0 -l -F jsonl -r 10ms --exclude "$RT_SRVX_NET" \
		--metrics $METRICS_PORT; then
		not_started "$name"
		return
	fi
	ip netns exec "$RT_NS_SRV" timeout 15 "$TCP_PULSE" -s -p 5300 -t 12 2>/dev/null &
	SRV_PIDS+=($!)
	for x in $(seq 50); do
		in_rsrv ss -Hltn 'sport = :5300' | grep -q . && break
		sleep 0.05
	done
	# The excluded subnet's traffic alone, then with the measured one.
	ip netns exec "$RT_NS_CLI" "$TCP_PULSE" -c "$RT_SRVX_IP" -p 5300 -i 2000 -t 6 2>/dev/null &
	pulse=$!
	BG_PIDS+=("$pulse")
	sleep 1.5
	scrape "$M1"
	iperf_srv 5201
	in_rcli timeout 12 iperf3 -c "$RT_SRV_IP" -p 5201 -t 2 -b 20M >/dev/null 2>&1 &
	up=$!
	sleep 1
	scrape "$M2"
	kill -0 $pulse 2>/dev/null || why+="the excluded traffic had stopped before the second scrape; "
	wait $up
	wait $pulse
	srv_done
	pping_stop INT

	flows1=$(metric "$M1" 'pping_map_entries{map="flows"}')
	ts1=$(metric "$M1" 'pping_map_entries{map="timestamps"}')
	ex1=$(metric "$M1" pping_packets_excluded_total)
	flows2=$(metric "$M2" 'pping_map_entries{map="flows"}')
	ex2=$(metric "$M2" pping_packets_excluded_total)
	mentions=$(grep -c "10\.210\.3\." "$PP_OUT")
	excl=$(grep '^pping: packets egress' "$PP_ERR" | sed -n 's/.*excluded by filters \([0-9]*\).*/\1/p')
	n=$(json_rtts "$PP_OUT" wan0 false | wc -l)
	med=$(json_rtts "$PP_OUT" wan0 false | median)
	echo "    excluded traffic alone: flows ${flows1:-?}, identifiers ${ts1:-?}, packets excluded ${ex1:-?};" \
		"with the measured subnet: flows ${flows2:-?}, excluded ${ex2:-?}"
	echo "    records naming 10.210.3.x: $mentions; exit summary excluded ${excl:-none};" \
		"wan0 towards $RT_SRV_IP: $n samples, median ${med:-none} ms (ping $PING_SRV ms)"
	[ "$PP_STATUS" = 0 ] || why+="exit status $PP_STATUS: $(tail -1 "$PP_ERR"); "
	[ "${flows1:-x}" = 0 ] && [ "${ts1:-x}" = 0 ] ||
		why+="state made for excluded traffic: flows ${flows1:-none}, identifiers ${ts1:-none}; "
	[ "${ex1:-0}" -gt 0 ] 2>/dev/null && [ "${ex2:-0}" -gt "$ex1" ] 2>/dev/null ||
		why+="pping_packets_excluded_total did not grow (${ex1:-none}, ${ex2:-none}); "
	# iperf3's control and data connections, once per interface; the
	# excluded connection, still running, has none.
	[ "${flows2:-x}" = 4 ] || why+="${flows2:-no} flow entries while 2 measured connections ran through 2 interfaces (want 4); "
	[ "$mentions" -eq 0 ] || why+="$mentions records name an excluded address: $(grep -m1 '10\.210\.3\.' "$PP_OUT"); "
	[ "${excl:-0}" -gt 0 ] || why+="the exit summary shows no excluded packets: $(grep '^pping: packets egress' "$PP_ERR"); "
	[ "$n" -ge $MIN_SAMPLES ] && within "$med" "$PING_SRV" $TOL_MS ||
		why+="the other subnet was not measured ($n samples, median ${med:-none} ms); "
	if [ -z "$why" ]; then pass $name; else fail $name "$why"; fi

	for x in lan0 wan0; do
		grep -q "^pping_packets_total{interface=\"$x\",hook=\"egress\",protocol=\"tcp\"} [1-9]" "$M2" ||
			mwhy+="no pping_packets_total{interface=\"$x\",hook=\"egress\",...} > 0; "
		grep -q "^pping_rtt_seconds_count{interface=\"$x\",subnet=\"$RT_SRV_NET\",method=\"ts\"} [1-9]" "$M2" ||
			mwhy+="no pping_rtt_seconds_count{interface=\"$x\",subnet=\"$RT_SRV_NET\"} > 0; "
	done
	x=$(grep -E '^pping_(packets_total|rtt_seconds_count)\{' "$M2" | grep -v 'interface="\(lan0\|wan0\)"' | head -1)
	[ -n "$x" ] && mwhy+="series without an interface label: $x; "
	x=$(grep -m1 "subnet=\"$RT_SRVX_NET\"" "$M2")
	[ -n "$x" ] && mwhy+="series for the excluded subnet: $x; "
	if [ -z "$mwhy" ]; then pass router-metrics-interface; else fail router-metrics-interface "$mwhy"; fi
	pping_cleanup_files
}

# --- router-nothing-left ---------------------------------------------------------
nothing_left() {
	local sig=$1 hook=$2 name="router-nothing-left[$1,$2]" progs links kids during left nl want
	if ! rt_pping_start 2 -i lan0,wan0 -I "$hook"; then
		not_started "$name"
		return
	fi
	progs=$(held_progs "$PP_PID") links=$(held_links "$PP_PID")
	kids=$(pgrep -P "$PP_PID")
	PP_KIDS=$kids
	nl=$(wc -w <<<"$links")
	# TCX egress on both, and TCX or XDP ingress on both: 4 links.
	want=4
	during=$(rt_attached "$progs" "$links" "")
	if [ "$sig" = KILL ]; then
		# Stopped first, so that a child cannot act between the kills.
		# shellcheck disable=SC2086
		[ -n "$kids" ] && kill -STOP $kids
		kill -KILL "$PP_PID"
		# shellcheck disable=SC2086
		[ -n "$kids" ] && kill -KILL $kids
		pping_stop none 2
	else
		pping_stop "$sig"
	fi
	left=$(rt_leftovers "$progs" "$links" "$kids")
	echo "    $name: $(wc -w <<<"$progs") programs, $nl links, $(wc -w <<<"$kids") child processes while running; exit $PP_STATUS"
	if [ "$nl" -ne $want ] || [ -z "$during" ]; then
		fail "$name" "while running: $nl links held (want $want), seen: ${during:-nothing}"
	elif [ "$sig" != KILL ] && [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif [ -n "$left" ]; then
		fail "$name" "left behind: $left"
	else
		pass "$name"
	fi
	PP_KIDS=
	pping_cleanup_files
}

# --- router-iface-gone, router-last-iface-gone ------------------------------------
# Waits up to 5 s for PATTERN on pping's stderr.
err_says() { wait_line "$PP_PID" "$PP_ERR" "$1"; }

iface_gone() {
	local name=router-iface-gone idx progs links n med why="" left alive
	if ! rt_pping_start 2 -i lan0,wan0 -F jsonl -r 10ms; then
		not_started "$name"
		return
	fi
	progs=$(held_progs "$PP_PID") links=$(held_links "$PP_PID")
	idx=$(ip -n "$RT_NS_RTR" -j link show dev lan0 | jq '.[0].ifindex')
	ip -n "$RT_NS_RTR" link del lan0
	err_says "disappeared" || why+="no message within 5 s; "
	grep -q "^pping: interface lan0 (index $idx) disappeared; monitoring the 1 left$" "$PP_ERR" ||
		why+="not the message for lan0 (index $idx): $(grep -m1 disappeared "$PP_ERR"); "
	# wan0 goes on: the router's own connection to the server.
	iperf_srv 5201
	in_rtr timeout 12 iperf3 -c "$RT_SRV_IP" -p 5201 -t 2 -b 20M >/dev/null 2>&1
	srv_done
	kill -0 "$PP_PID" 2>/dev/null && alive=yes || alive=no
	pping_stop INT
	left=$(rt_leftovers "$progs" "$links" "")
	n=$(jq -r --arg s "$RT_SRV_IP" --arg r "$RT_WAN_IP" \
		'select(.rtt != null and .interface == "wan0" and .src_ip == $s and .dest_ip == $r) | .rtt / 1e6' "$PP_OUT" | wc -l)
	med=$(jq -r --arg s "$RT_SRV_IP" --arg r "$RT_WAN_IP" \
		'select(.rtt != null and .interface == "wan0" and .src_ip == $s and .dest_ip == $r) | .rtt / 1e6' "$PP_OUT" | median)
	echo "    lan0 (index $idx) deleted: pping alive after: $alive; wan0 afterwards: $n samples, median ${med:-none} ms (ping $PING_SRV ms); exit $PP_STATUS"
	[ "$alive" = yes ] || why+="pping ended when lan0 went; "
	[ "$PP_STATUS" = 0 ] || why+="exit status $PP_STATUS after SIGINT, want 0: $(tail -1 "$PP_ERR"); "
	[ "$n" -ge $MIN_SAMPLES ] && within "$med" "$PING_SRV" $TOL_MS ||
		why+="wan0 not measured after lan0 went ($n samples, median ${med:-none} ms); "
	[ -z "$left" ] || why+="left behind: $left; "
	if [ -z "$why" ]; then pass $name; else fail $name "$why"; fi
	pping_cleanup_files

	# Both go: status 1 once none is left.
	name=router-last-iface-gone why=
	if ! rt_lan_up; then
		fail $name "could not recreate lan0"
		return
	fi
	if ! rt_pping_start 2 -i lan0,wan0; then
		not_started "$name"
		return
	fi
	progs=$(held_progs "$PP_PID") links=$(held_links "$PP_PID")
	ip -n "$RT_NS_RTR" link del lan0
	err_says "interface lan0 .* disappeared; monitoring the 1 left" || why+="no message for lan0; "
	kill -0 "$PP_PID" 2>/dev/null || why+="pping ended with wan0 still there; "
	idx=$(ip -n "$RT_NS_RTR" -j link show dev wan0 | jq '.[0].ifindex')
	ip -n "$RT_NS_RTR" link del wan0
	pping_stop none 5
	left=$(rt_leftovers "$progs" "$links" "")
	echo "    lan0 then wan0 (index $idx) deleted: exit $PP_STATUS: $(grep -m1 'wan0.*disappeared' "$PP_ERR")"
	[ "$PP_STATUS" = 1 ] || why+="exit status $PP_STATUS, want 1; "
	grep -q "^pping: interface wan0 (index $idx) disappeared; stopping$" "$PP_ERR" ||
		why+="no message for wan0 (index $idx): $(grep 'disappeared' "$PP_ERR" | tail -1); "
	[ -z "$left" ] || why+="left behind: $left; "
	if [ -z "$why" ]; then pass $name; else fail $name "$why"; fi
	pping_cleanup_files
}

legs router-legs tc
text_names
aggregate_ifaces
exclude
nothing_left INT tc
nothing_left INT xdp
nothing_left KILL tc
nothing_left KILL xdp
legs router-xdp xdp
iface_gone
summary
