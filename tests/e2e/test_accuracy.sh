#!/usr/bin/env bash
# pping's RTTs against ground truth from a packet capture of the same
# traffic. tcpdump records the client's veth0 while pping (--rate-limit 0,
# so every new TSval is an identifier) watches it; tests/tools/pcap_rtt computes
# from the capture, with its own code, the RTT of every TSval there (first
# eligible packet out with a new TSval, first ACK in echoing it). Over the
# iperf3 connections (port 5201), both must agree: medians within 0.1 ms,
# 90th percentiles within 0.5 ms, sample counts within 3%, and, pairing each
# pping sample with the capture's sample of the same flow that completed at
# the same moment, at most 3% left unpaired on either side (nothing missed,
# nothing reported twice). For IPv4 and IPv6, tc and XDP ingress, at 10, 50
# and 200 ms path RTT. The kernel's own view of the data connection (ss -ti
# rtt and minrtt) is printed beside, not asserted on.
#
# What may legitimately differ: pping timestamps at its hooks, tcpdump at
# the packet taps. tc egress runs before the tap, tc ingress after it, XDP
# ingress before it, so pping's RTTs are a few to some tens of microseconds
# longer (shorter with XDP on the arriving side): far inside the tolerances.
#
#   ACC_RTTS="10 50 200"   path RTTs in ms to test
#   ACC_SECONDS            iperf3 duration per combination (default: 2 s,
#                          3 s at 200 ms, which needs a second of slow start)
#   PPING_KEEP_NS=1        keep the namespaces and, in the work directory
#                          named at exit, each combination's capture, pping
#                          output and both sample lists
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh
. tests/lib/samples.sh

PCAP_RTT=${PCAP_RTT:-build/tests/pcap_rtt}
ACC_RTTS=${ACC_RTTS:-10 50 200}
MEDIAN_TOL_MS=0.1
P90_TOL_MS=0.5
COUNT_TOL_PCT=3
MIN_SAMPLES=100
# Paced well below what the relay forwards, so no queue builds and the RTT
# stays the path's. Small writes (one segment each, iperf3 paces them every
# millisecond) give about one new TSval per TS clock tick, so many samples
# in a short run; 64 KiB writes would share a TSval per burst.
RATE=10M
WRITE_LEN=1400
SNAPLEN=160        # Ethernet + IPv6 + TCP with options fit in 134 bytes

# A missing tool is a failure, not a skip: make deps installs them.
need_tools accuracy iperf3 tcpdump ss || summary
if [ ! -x "$PCAP_RTT" ]; then
	fail accuracy "$PCAP_RTT not built (make $PCAP_RTT)"
	summary
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-accuracy.XXXXXX")
SRV_PID='' TD_PID='' SS_PID='' TOPO_UP=''
# shellcheck disable=SC2317 # called from the EXIT trap
teardown() {
	local p
	for p in "$PP_PID" "$TD_PID" "$SRV_PID" "$SS_PID"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	pping_cleanup_files
	if [ "${PPING_KEEP_NS:-0}" = 1 ]; then
		echo "PPING_KEEP_NS=1: keeping $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	if [ -n "$TOPO_UP" ]; then topo_down; fi
}
trap teardown EXIT

# ---- statistics -------------------------------------------------------------

# within A B TOL: |A - B| <= TOL
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t + 1e-9) }'
}

# ---- one combination ----------------------------------------------------------

# ss_sampler FAMILY: every 0.25 s, the kernel's rtt and minrtt (ms) of the
# iperf3 connection of that family that has moved the most data (the data
# connection, not the control one), as "RTT MINRTT" lines.
ss_sampler() {
	while :; do
		in_cli ss -Htin -"$1" 'dport = :5201' 2>/dev/null |
			awk '/rtt:/ {
				b = 0; r = ""; m = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^bytes_acked:/) b = substr($i, 13) + 0
					if ($i ~ /^rtt:/) { r = substr($i, 5); sub(/\/.*/, "", r) }
					if ($i ~ /^minrtt:/) m = substr($i, 8)
				}
				if (r != "" && b >= best) { best = b; line = r " " m }
			     }
			     END { if (line != "") print line }'
		sleep 0.25
	done
}

# run NAME FAMILY HOOK SECONDS [AGAIN]: one case; sets RUN_AGAIN where
# the capture lost packets on a first run (AGAIN empty).
run() {
	local name=$1 fam=$2 hook=$3 secs=$4 again=${5:-} dst st ist
	local cap=$WORK/$name.pcap pp=$WORK/$name.jsonl
	local ppl=$WORK/$name.pping pcl=$WORK/$name.pcap.txt ssf=$WORK/$name.ss
	local tde=$WORK/$name.tcpdump.err pce=$WORK/$name.pcap_rtt.err
	local pairs ssr ssm drops captured received pn pmed pp90 cn cmed cp90 pa po co dm dx

	if [ "$fam" = 4 ]; then dst=$SRV_IP4; else dst=$SRV_IP6; fi
	rm -f "$pp"   # pping -w appends, and a case may run twice

	iperf3_server

	if ! tcpdump_cli $SNAPLEN "$cap" "$tde"; then
		fail "$name" "tcpdump did not start: $(cat "$tde")"
		kill "$SRV_PID" "$TD_PID" 2>/dev/null; wait "$SRV_PID" "$TD_PID" 2>/dev/null
		SRV_PID='' TD_PID=''
		return
	fi

	if ! pping_start "$NS_CLI" -i "$CLI_IF" -I "$hook" --rate-limit 0 \
		-F jsonl -w "$pp"; then
		fail "$name" "pping did not start"
		kill "$SRV_PID" 2>/dev/null; kill -INT "$TD_PID" 2>/dev/null
		wait "$SRV_PID" "$TD_PID" 2>/dev/null
		SRV_PID='' TD_PID=''
		return
	fi

	ss_sampler "$fam" >"$ssf" 2>/dev/null &
	SS_PID=$!
	in_cli timeout $((secs + 30)) iperf3 -c "$dst" -t "$secs" -b $RATE \
		-l $WRITE_LEN >/dev/null 2>&1
	ist=$?
	kill "$SS_PID" 2>/dev/null; wait "$SS_PID" 2>/dev/null
	SS_PID=
	iperf3_server_stop
	# The last ACKs (of the FINs) arrive a round trip after iperf3 ends:
	# both observers must still be there to see them.
	sleep "$(awk -v r="$TOPO_RTT_MS" 'BEGIN { print 2 * r / 1000 + 0.2 }')"
	pping_stop INT; st=$PP_STATUS
	kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null
	TD_PID=

	# Like with like: the RTTs of connections to port 5201 that pping
	# matched on arriving packets (the only kind without -l).
	json_samples "$pp" 5201 >"$ppl"
	"$PCAP_RTT" -l "$CLI_IP4" -l "$CLI_IP6" -p 5201 "$cap" >"$pcl" 2>"$pce"

	read -r pn pmed pp90 <<<"$(cut -d' ' -f2 "$ppl" | sample_stats)"
	read -r cn cmed cp90 <<<"$(cut -d' ' -f2 "$pcl" | sample_stats)"
	pairs=$(pair_samples "$ppl" "$pcl")
	read -r ssr ssm <<<"$(sort -g "$ssf" | awk '{ r[NR] = $1; if (NR == 1 || $2 < m) m = $2 }
		END { if (NR) printf "%s %s\n", r[int((NR + 1) / 2)], m; else print "- -" }')"
	drops=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' "$tde")
	captured=$(sed -n 's/^\([0-9]*\) packets* captured.*/\1/p' "$tde")
	received=$(sed -n 's/^\([0-9]*\) packets* received by filter.*/\1/p' "$tde")

	echo "$name: pcap n=$cn median $cmed p90 $cp90 ms; pping n=$pn median $pmed p90 $pp90 ms;" \
		"ss rtt $ssr minrtt $ssm ms"
	read -r pa po co dm dx _ _ <<<"$pairs"
	echo "  $name: paired $pa, pping only $po, pcap only $co; RTT pping-pcap mean $dm us, max |diff| $dx us"

	if [ "$ist" != 0 ]; then
		fail "$name" "iperf3 client failed (exit status $ist)"
	elif [ "$st" != 0 ]; then
		fail "$name" "pping exit status $st: $(tail -3 "$PP_ERR")"
	elif [ "${drops:-x}" != 0 ] || [ "${captured:-x}" != "${received:-y}" ]; then
		# The capture, not pping, failed: without ground truth the
		# case says nothing, so it runs once more before it fails.
		if [ -z "$again" ]; then
			echo "  $name: tcpdump lost packets ($(tail -3 "$tde" | tr '\n' ' ')); running the case again"
			RUN_AGAIN=1
		else
			fail "$name" "tcpdump lost packets (no ground truth), twice: $(tail -3 "$tde" | tr '\n' ' ')"
		fi
	elif ! grep -q '^pping: .*events lost 0$' "$PP_ERR"; then
		fail "$name" "pping lost events: $(grep 'events lost' "$PP_ERR")"
	elif [ "$cn" -lt $MIN_SAMPLES ]; then
		fail "$name" "only $cn RTTs in the capture (want >= $MIN_SAMPLES): $(cat "$pce")"
	elif ! within "$pn" "$cn" "$(awk -v c="$cn" -v p=$COUNT_TOL_PCT 'BEGIN { print c * p / 100 }')"; then
		fail "$name" "pping reported $pn samples, the capture has $cn (tolerance $COUNT_TOL_PCT%)"
	elif ! within "$((po + co))" 0 "$(awk -v c="$cn" -v p=$COUNT_TOL_PCT 'BEGIN { print c * p / 100 }')"; then
		fail "$name" "$po samples only pping reported, $co only the capture has (tolerance $COUNT_TOL_PCT% of $cn)"
	elif ! within "$pmed" "$cmed" $MEDIAN_TOL_MS; then
		fail "$name" "median $pmed ms vs capture $cmed ms (tolerance $MEDIAN_TOL_MS ms)"
	elif ! within "$pp90" "$cp90" $P90_TOL_MS; then
		fail "$name" "p90 $pp90 ms vs capture $cp90 ms (tolerance $P90_TOL_MS ms)"
	else
		pass "$name"
	fi
	pping_cleanup_files
	if [ "${PPING_KEEP_NS:-0}" != 1 ]; then
		rm -f "$cap" "$pp" "$ppl" "$pcl" "$ssf" "$tde" "$pce"
	fi
}

# ---- main ---------------------------------------------------------------------

base_prefix=$PP_NS_PREFIX
for rtt in $ACC_RTTS; do
	oneway=$(awk -v r="$rtt" 'BEGIN { printf "%g", r / 2 }')
	# One topology per RTT, with its own names, so PPING_KEEP_NS=1 can
	# keep them all.
	PP_NS_PREFIX=$base_prefix-$rtt
	NS_CLI=$PP_NS_PREFIX-cli NS_RLY=$PP_NS_PREFIX-rly NS_SRV=$PP_NS_PREFIX-srv
	TOPO_UP=1
	if ! topo_up "$oneway"; then
		fail "accuracy-${rtt}ms" "could not build the delayed path"
		topo_down
		TOPO_UP=''
		continue
	fi
	secs=${ACC_SECONDS:-$([ "$rtt" -ge 200 ] && echo 3 || echo 2)}
	for fam in 4 6; do
		for hook in tc xdp; do
			RUN_AGAIN=
			run "accuracy-ipv$fam-$hook-${rtt}ms" $fam $hook "$secs"
			[ -n "$RUN_AGAIN" ] &&
				run "accuracy-ipv$fam-$hook-${rtt}ms" $fam $hook "$secs" again
		done
	done
	topo_down
	TOPO_UP=''
done
summary
