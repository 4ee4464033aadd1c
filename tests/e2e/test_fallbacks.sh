#!/usr/bin/env bash
# Fallbacks (issue 14): every optional kernel feature has a fallback chosen
# by probing at start, and each can be forced; here each forced path runs,
# so none is dead code on this kernel.
#  - Attachment: --tc-attach tcx|clsact, and with -I xdp --xdp-attach
#    link|netlink|dispatcher. pping runs on the client of a path with a
#    known delay while iperf3 sends; the median RTT it reports must be
#    within 1 ms of ping's, -v must say it attached the way it was forced,
#    and after SIGINT nothing of it may be left: no clsact qdisc, no tc
#    filter, no XDP program on the interface, none of its programs or maps
#    loaded, no guard process. clsact and netlink attachments outlive a
#    killed daemon: after SIGKILL its guard must remove them. A clsact
#    qdisc that was there before pping stays (only its filters go).
#  - Cleanup: --cleanup-mechanism foreach|batch|iter with -c 200ms while
#    short TCP connections (tests/tools/tcp_pulse.c) open and close: the exit
#    summary names the mechanism, cleanup removed every closed flow, and
#    the RTTs are the path's.
#  - Overload through a fallback: test_overload.sh's check (1024 flows,
#    --max-flows 256: >= 95% of flows get an RTT, every RTT the
#    generator's, the degradation level rises and recovers) with
#    --cleanup-mechanism batch (auto, foreach, is test_overload.sh's).
#  - auto -I xdp says its fallback (no libxdp dispatcher) exactly once.
# A forced path the kernel refuses is a SKIP only if `pping --probe` says
# the kernel refuses it too, pping exited 1 saying "the kernel refused",
# and nothing of it was left; the reason quotes pping's message. A path the
# probe allows is measured, and so is a refused one if a kernel allows it.
# A daemon's programs are told from others' (tests may run concurrently)
# by map sizes of its own (--max-timestamps, --max-flows): its programs are
# those using a ts_map or flow_map of that size.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh
. tests/lib/overload.sh

ONEWAY_MS=5
TOLERANCE_MS=1.0
MIN_SAMPLES=15
PULSE=./build/tests/tcp_pulse
PPING=$PP_BIN   # for help_lists
PULSE_PORT=5300
PULSE_RUNS=4 PULSE_CONNS=4
OV_SECS=${FALLBACK_OVERLOAD_SECS:-8}
# Map sizes that mark this run's daemons (one per daemon; see tagged_maps).
TAG=$((70001 + ($$ % 4096) * 16))
PROBE_OUT=$(mktemp "${TMPDIR:-/tmp}/pping-probe.XXXXXX")
PROBE_PID= PULSE_SRV=
GUARDS=()

teardown() {
	local p
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	for p in "${GUARDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "$PROBE_PID" ] && kill -KILL "$PROBE_PID" 2>/dev/null
	pping_cleanup_files
	rm -f "$PROBE_OUT"
	overload_teardown
	topo_down
}
trap teardown EXIT

need_tools tools iperf3 jq bpftool tc ethtool || summary
for b in "$PP_BIN" "$DELAY_RELAY" "$PULSE" "$OV_FLOWGEN"; do
	[ -x "$b" ] || { fail build "$b is not built (make pping build/tests/delay_relay build/tests/flowgen build/tests/tcp_pulse)"; summary; }
done
help_lists fallback-options --tc-attach --xdp-attach --cleanup-mechanism

within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# What `pping --probe` says of a feature line: "yes ...", "no: ...", or
# nothing if the probe did not say.
probe_says() {
	awk -v k="$1" '{ key = substr($0, 1, 26); sub(/ +$/, "", key) }
		key == k { print substr($0, 28); exit }' "$PROBE_OUT"
}

# fb_start NS PATTERN ARGS...: pping -v ARGS in NS (as pping_start, whose
# PP_* variables it sets), waiting until stderr matches PATTERN. Status 0
# once it does, 1 if the daemon exited first (its status in PP_STATUS), 2
# if neither within 5 s.
fb_start() {
	local ns=$1 pattern=$2
	shift 2
	PP_OUT=$(mktemp "${TMPDIR:-/tmp}/pping-out.XXXXXX")
	PP_ERR=$(mktemp "${TMPDIR:-/tmp}/pping-err.XXXXXX")
	PP_STATUS=
	ip netns exec "$ns" "$PP_BIN" -v "$@" >"$PP_OUT" 2>"$PP_ERR" &
	PP_PID=$!
	wait_line "$PP_PID" "$PP_ERR" "$pattern" && return 0
	kill -0 "$PP_PID" 2>/dev/null && return 2
	pping_stop none 1
	return 1
}

# fb_timeout NAME WHAT: the daemon fb_start waited for did not say WHAT
# within 5 s: it is stopped, and NAME fails with its last messages.
fb_timeout() {
	pping_stop INT
	fail "$1" "$2 within 5 s: $(grep '^pping:' "$PP_ERR" | tail -2)"
	pping_cleanup_files
}

# This run's programs and maps still in the kernel: those of a daemon run
# with --max-timestamps TAG (and --max-flows TAG where it could be) are the
# ones using its ts_map or flow_map, which have TAG entries.
tagged_maps() {
	bpftool map show -j 2>/dev/null |
		jq -r --argjson n "$1" '.[] | select((.name == "ts_map" or .name == "flow_map") and .max_entries == $n) | .id'
}
tagged_progs() {
	local maps
	maps=$(tagged_maps "$1" | jq -sc .)
	bpftool prog show -j 2>/dev/null |
		jq -r --argjson m "$maps" '.[] | select(any((.map_ids // [])[]; . as $x | $m | index($x))) | "\(.id) \(.name)"'
}

# attachments TAG [GUARD_PIDS...]: what of a daemon is on the client
# interface and in the kernel now (empty if nothing).
attachments() {
	local tag=$1 p x left=
	shift
	in_cli tc qdisc show dev "$CLI_IF" | grep -q clsact && left+="clsact qdisc; "
	for p in ingress egress; do
		x=$(in_cli tc filter show dev "$CLI_IF" "$p" 2>/dev/null | grep -m1 .)
		[ -n "$x" ] && left+="tc $p filter: $x; "
	done
	x=$(in_cli ip -j link show dev "$CLI_IF" | jq -r '.[0].xdp.prog | select(.) | "\(.id) \(.name)"')
	[ -n "$x" ] && left+="XDP program $x on $CLI_IF; "
	x=$(tagged_progs "$tag" | tr '\n' ' ')
	[ -n "$x" ] && left+="programs loaded: $x; "
	x=$(tagged_maps "$tag" | tr '\n' ' ')
	[ -n "$x" ] && left+="maps loaded: $x; "
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && left+="guard process $p alive; "
	done
	echo "$left"
}

# leftovers TAG [GUARD_PIDS...]: what is left of a stopped daemon (empty if
# nothing), after up to 3 s for the kernel to free what its exit released.
leftovers() {
	local i left
	for i in $(seq 30); do
		left=$(attachments "$@")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# refused NAME FEATURE TAG: the daemon exited before it ran; a SKIP if the
# kernel refused FEATURE (the probe agrees, pping exited 1 saying so) and
# nothing of it is left, else a FAIL.
refused() {
	local name=$1 feature=$2 tag=$3 probe msg left
	probe=$(probe_says "$feature")
	msg=$(grep -m1 "^pping: .*the kernel refused" "$PP_ERR")
	left=$(leftovers "$tag")
	echo "    $name: exit $PP_STATUS: ${msg:-$(grep '^pping:' "$PP_ERR" | tail -1)}"
	if [ -n "$left" ]; then
		fail "$name" "left behind after it exited with status $PP_STATUS: $left"
	elif [ "$PP_STATUS" != 1 ] || [ -z "$msg" ]; then
		fail "$name" "exit $PP_STATUS without saying the kernel refused it: $(grep '^pping:' "$PP_ERR" | tail -2)"
	elif [ "${probe%%:*}" != no ]; then
		fail "$name" "pping --probe says '$feature: ${probe:-nothing}', but the daemon refused: $msg"
	else
		skip "$name" "kernel refused $feature (pping --probe: ${probe#no: }); pping exited 1 with: ${msg#pping: }"
	fi
}

# The RTT lines of flows to PORT: enough of them, median within the
# tolerance of ping's RTT. Prints a line; status 0 if good.
rtt_ok() {
	local name=$1 port=$2 vals n med
	vals=$(rtt_values "$PP_OUT" ":$port\\+")
	n=$(grep -c . <<<"$vals")
	med=$(median <<<"$vals")
	echo "    $name: $n RTT samples, median ${med:-none} ms (ping $PING_MS ms)"
	[ "$n" -ge $MIN_SAMPLES ] && within "$med" "$PING_MS" $TOLERANCE_MS
}

# path_verdict NAME PORT LEFT: the last checks of a case whose daemon ran
# and exited well: its RTTs on PORT are the path's, and nothing of it
# (LEFT, from leftovers) stayed behind.
path_verdict() {
	if ! rtt_ok "$1" "$2"; then
		fail "$1" "the RTTs are not the path's (ping $PING_MS ms, tolerance $TOLERANCE_MS ms)"
	elif [ -n "$3" ]; then
		fail "$1" "left behind after SIGINT: $3"
	else
		pass "$1"
	fi
}

# --- the delayed path, and what the kernel allows ------------------------------
"$PP_BIN" --probe >"$PROBE_OUT" 2>&1 &
PROBE_PID=$!
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi
wait "$PROBE_PID"
PROBE_PID=
sed -n '/^tc attachment:/,/^cleanup:/s/^/    probe: /p' "$PROBE_OUT"
PING_MS=$(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 15)
if [ -z "$PING_MS" ]; then
	fail ping "no ping reply through the delayed path"
	summary
fi

# --- 1. forced attachment paths ----------------------------------------------
# attach_case NAME FEATURE EGRESS INGRESS ARGS...: pping ARGS on the client
# while iperf3 runs; -v must say "attached to veth0: egress EGRESS, ingress
# INGRESS".
attach_case() {
	local name=$1 feature=$2 want="attached to $CLI_IF: egress $3, ingress $4"
	local tag=$((TAG++)) got guards left probe
	shift 4
	if ! iperf3_server; then
		fail "$name" "the iperf3 server did not start"
		return
	fi
	fb_start "$NS_CLI" "attached to" -i "$CLI_IF" -r 10ms --max-flows "$tag" --max-timestamps "$tag" "$@"
	case $? in
	1)	kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
		refused "$name" "$feature" "$tag"
		pping_cleanup_files
		return ;;
	2)	kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
		fb_timeout "$name" "did not attach"
		return ;;
	esac
	got=$(grep -m1 -o "attached to .*" "$PP_ERR")
	guards=$(pgrep -P "$PP_PID" | tr '\n' ' ')
	GUARDS+=($guards)
	# Paced below what the relay forwards, so no queue builds up and the
	# path RTT stays what ping measured.
	in_cli iperf3 -c "$SRV_IP4" -t 3 -b 20M >/dev/null 2>&1
	wait "$SRV_PID" 2>/dev/null
	pping_stop INT
	# shellcheck disable=SC2086
	left=$(leftovers "$tag" $guards)
	probe=$(probe_says "$feature")
	[ "${probe%%:*}" = no ] &&
		echo "    note: pping --probe said '$feature: $probe', but it attached"
	if [ "$got" != "$want" ]; then
		fail "$name" "-v said '${got:-nothing}', want '$want'"
	elif [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(grep '^pping:' "$PP_ERR" | tail -2)"
	else
		path_verdict "$name" 5201 "$left"
	fi
	pping_cleanup_files
}

# sigkill_case NAME FEATURE WHAT ARGS...: a daemon whose attachment (WHAT,
# a pattern of attachments' description) outlives it is killed; its guard
# must remove the attachment and exit, and nothing of the daemon may be
# left.
sigkill_case() {
	local name=$1 feature=$2 what=$3 tag=$((TAG++)) guards before left
	shift 3
	fb_start "$NS_CLI" "attached to" -i "$CLI_IF" --max-flows "$tag" --max-timestamps "$tag" "$@"
	case $? in
	1)	refused "$name" "$feature" "$tag"; pping_cleanup_files; return ;;
	2)	fb_timeout "$name" "did not attach"; return ;;
	esac
	guards=$(pgrep -P "$PP_PID" | tr '\n' ' ')
	GUARDS+=($guards)
	before=$(attachments "$tag")
	kill -KILL "$PP_PID"
	pping_stop none 2 2>/dev/null   # no "Killed" line from bash
	# shellcheck disable=SC2086
	left=$(leftovers "$tag" $guards)
	echo "    $name: before the kill: $before"
	echo "    $name: guard ${guards:-none}: $(grep -m1 'daemon ended without cleaning up' "$PP_ERR")"
	if [ -z "$guards" ]; then
		fail "$name" "no guard process ($(grep -m1 -o 'attached to .*' "$PP_ERR"))"
	elif ! grep -qE -- "$what" <<<"$before"; then
		fail "$name" "no '$what' while it ran: ${before:-nothing}"
	elif [ -n "$left" ]; then
		fail "$name" "left behind after SIGKILL of the daemon: $left"
	elif ! grep -q "daemon ended without cleaning up; detached its programs" "$PP_ERR"; then
		fail "$name" "the guard did not say it detached the programs"
	else
		pass "$name"
	fi
	pping_cleanup_files
}

# A clsact qdisc that was there before pping (someone else's) stays after
# it; only pping's own filters go.
shared_clsact() {
	local name=tc-attach-clsact-existing-qdisc tag=$((TAG++)) got left i
	in_cli tc qdisc add dev "$CLI_IF" clsact ||
		{ fail "$name" "cannot add a clsact qdisc"; return; }
	fb_start "$NS_CLI" "attached to" -i "$CLI_IF" --max-flows "$tag" --max-timestamps "$tag" \
		-I tc --tc-attach clsact
	case $? in
	1)	in_cli tc qdisc del dev "$CLI_IF" clsact
		refused "$name" "clsact filters" "$tag"; pping_cleanup_files; return ;;
	2)	fb_timeout "$name" "did not attach"
		in_cli tc qdisc del dev "$CLI_IF" clsact; return ;;
	esac
	got=$(grep -m1 -o "attached to .*" "$PP_ERR")
	sleep 0.3
	pping_stop INT
	for i in $(seq 30); do
		left=$(attachments "$tag")
		[ "$left" = "clsact qdisc; " ] && break
		sleep 0.1
	done
	if [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(grep '^pping:' "$PP_ERR" | tail -2)"
	elif [ "$got" != "attached to $CLI_IF: egress clsact, ingress clsact" ]; then
		fail "$name" "-v said '${got:-nothing}'"
	elif [ "$left" != "clsact qdisc; " ]; then
		fail "$name" "after SIGINT, want only the clsact qdisc that was there before: ${left:-the qdisc is gone}"
	else
		pass "$name"
	fi
	in_cli tc qdisc del dev "$CLI_IF" clsact 2>/dev/null
	pping_cleanup_files
}

attach_case tc-attach-tcx "tcx links" tcx tcx -I tc --tc-attach tcx
attach_case tc-attach-clsact "clsact filters" clsact clsact -I tc --tc-attach clsact
attach_case xdp-attach-link "xdp links" tcx "xdp (link)" -I xdp --xdp-attach link
attach_case xdp-attach-netlink "xdp netlink" tcx "xdp (netlink)" -I xdp --xdp-attach netlink
attach_case xdp-attach-dispatcher "libxdp dispatcher" tcx "xdp (dispatcher)" -I xdp --xdp-attach dispatcher
shared_clsact
sigkill_case sigkill-clsact-guard "clsact filters" "clsact qdisc.*ingress filter.*egress filter" -I tc --tc-attach clsact
sigkill_case sigkill-xdp-netlink-guard "xdp netlink" "XDP program [0-9]+ pping_xdp" -I xdp --xdp-attach netlink

# --- 2. forced cleanup mechanisms --------------------------------------------
# cleanup_case MECH FEATURE: pping -c 200ms --cleanup-mechanism MECH while
# PULSE_RUNS rounds of PULSE_CONNS short connections open and close.
cleanup_case() {
	local mech=$1 feature=$2 name=cleanup-$1 tag=$((TAG++)) i line runs got closed flows left conns
	conns=$((PULSE_RUNS * PULSE_CONNS))
	in_srv "$PULSE" -s -p $PULSE_PORT -t 60 >/dev/null 2>&1 &
	PULSE_SRV=$!
	for i in $(seq 50); do
		in_srv ss -Hltn "sport = :$PULSE_PORT" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	fb_start "$NS_CLI" "map cleanup: .*forced" -i "$CLI_IF" -r 10ms -c 200ms \
		--cleanup-mechanism "$mech" --max-flows "$tag" --max-timestamps "$tag"
	case $? in
	1)	kill "$PULSE_SRV" 2>/dev/null; wait "$PULSE_SRV" 2>/dev/null
		if grep -q "cannot clean the maps with .* (--cleanup-mechanism $mech): the kernel refused" "$PP_ERR"; then
			refused "$name" "$feature" "$tag"
		else
			left=$(leftovers "$tag")
			fail "$name" "exit $PP_STATUS without the refusal message: $(grep '^pping:' "$PP_ERR" | tail -2)${left:+; left behind: $left}"
		fi
		pping_cleanup_files
		return ;;
	2)	kill "$PULSE_SRV" 2>/dev/null; wait "$PULSE_SRV" 2>/dev/null
		fb_timeout "$name" "no 'map cleanup: ... (forced)'"
		return ;;
	esac
	# PSH on every segment: the server ACKs each one at once (no delayed
	# ACK to add its interval to the RTT).
	for i in $(seq $PULSE_RUNS); do
		in_cli "$PULSE" -c "$SRV_IP4" -p $PULSE_PORT -i 4000 -t 0.5 -n $PULSE_CONNS -P >/dev/null 2>&1
	done
	sleep 1.5   # a closed flow goes after 1 s of quiet
	pping_stop INT
	kill "$PULSE_SRV" 2>/dev/null; wait "$PULSE_SRV" 2>/dev/null
	line=$(grep -m1 '^pping: cleanup:' "$PP_ERR")
	runs=$(sed -n 's/^pping: cleanup: \([0-9]*\) runs.*/\1/p' <<<"$line")
	got=$(sed -n 's/^pping: cleanup: [0-9]* runs (mechanism \([a-z]*\)).*/\1/p' <<<"$line")
	closed=$(grep -o 'removed flows closed [0-9]*' <<<"$line" | awk '{ print $4 }')
	flows=$(grep -o '^pping: maps: flows [0-9]*' "$PP_ERR" | awk '{ print $4 }')
	left=$(leftovers "$tag")
	echo "    $line"
	echo "    $name: $conns connections closed; cleanup removed ${closed:-?} closed flows, ${flows:-?} flows left in the map"
	if [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(grep '^pping:' "$PP_ERR" | tail -2)"
	elif [ "$got" != "$mech" ]; then
		fail "$name" "the exit summary names mechanism '${got:-none}': $line"
	elif [ "${runs:-0}" -lt 10 ] || grep -q "^pping: map cleanup (.*) failed" "$PP_ERR"; then
		fail "$name" "${runs:-no} cleanup runs, or a run failed: $(grep 'cleanup' "$PP_ERR" | tail -2)"
	elif [ "${closed:-0}" -lt "$conns" ] || [ "${flows:-1}" != 0 ]; then
		fail "$name" "removed ${closed:-?} closed flows of $conns, ${flows:-?} left in the flow map"
	else
		path_verdict "$name" $PULSE_PORT "$left"
	fi
	pping_cleanup_files
}

cleanup_case foreach "syscall programs"
cleanup_case batch "batched map syscalls"
cleanup_case iter "map-element iterators"

# --- 4. the auto XDP path says its fallback once ------------------------------
# Without -v (what an operator sees) and with -v (the daemon's own lines;
# libxdp's own warnings show there too and are not the daemon's).
auto_xdp_once() {
	local name=auto-xdp-fallback-said-once err rc n nv want_n=1 want_how="xdp (link)" got
	if [ "$(probe_says "libxdp dispatcher" | cut -c1-3)" = yes ]; then
		want_n=0 want_how="xdp (dispatcher)"
	fi
	err=$(in_cli "$PP_BIN" -i "$CLI_IF" -I xdp -d 1s 2>&1 >/dev/null)
	rc=$?
	n=$(grep -ci "dispatcher" <<<"$err")
	fb_start "$NS_CLI" "attached to" -i "$CLI_IF" -I xdp -d 1s
	pping_stop none 5
	nv=$(grep -ci "^pping: .*dispatcher" "$PP_ERR")
	got=$(grep -m1 -o "ingress .*" <<<"$(grep -m1 'attached to' "$PP_ERR")")
	echo "    $name: $(grep -i dispatcher <<<"$err" | head -3)"
	echo "    $name: $n such line(s) without -v, $nv of the daemon's with -v; $got"
	if [ "$rc" != 0 ] || [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $rc, with -v $PP_STATUS: $(grep '^pping:' "$PP_ERR" | tail -2)"
	elif [ "$n" != "$want_n" ] || [ "$nv" != "$want_n" ]; then
		fail "$name" "$n line(s) about the dispatcher without -v and $nv with -v, want $want_n: $(grep -i dispatcher <<<"$err" | tr '\n' '|')"
	elif [ "$want_n" = 1 ] && ! grep -q "^pping: libxdp's dispatcher is not available on this kernel; XDP attached as a bpf_link" <<<"$err"; then
		fail "$name" "the line is not the daemon's fallback message: $(grep -i dispatcher <<<"$err")"
	elif [ "$got" != "ingress $want_how" ]; then
		fail "$name" "attached '${got:-?}', want 'ingress $want_how'"
	else
		pass "$name"
	fi
	pping_cleanup_files
}
auto_xdp_once
topo_down

# --- 3. overload through the batch fallback ----------------------------------
overload_batch() {
	local tag=$((TAG++)) line ok=1 i left
	overload_setup || { fail overload-batch-setup "cannot create the namespace and veth pair"; return; }
	overload_run 25 --cleanup-mechanism batch --max-timestamps "$tag" || ok=0
	[ -z "$PP_STATUS" ] && pping_stop none 1
	if [ "$PP_STATUS" = 1 ] && grep -q "the kernel refused" "$PP_ERR"; then
		refused overload-batch "batched map syscalls" "$tag"
		pping_cleanup_files
		return
	elif [ $ok = 0 ]; then
		fail overload-batch "run failed: $(grep '^pping:' "$PP_ERR" | tail -3)"
		pping_cleanup_files
		return
	fi
	echo "    batch cleanup: $COVERED of $OV_FLOWS flows got an RTT ($(ov_pct "$COVERED" "$OV_FLOWS")%)"
	overload_check_coverage overload-batch-coverage
	overload_check_rtt overload-batch-rtt-correct
	overload_check_level overload-batch-level-recovers
	line=$(grep -m1 '^pping: cleanup:' "$PP_ERR")
	for i in $(seq 30); do
		left=$(tagged_progs "$tag" | tr '\n' ' ')
		[ -z "$left" ] && break
		sleep 0.1
	done
	if ! grep -q "^pping: cleanup: [0-9]* runs (mechanism batch)" <<<"$line"; then
		fail overload-batch-mechanism "the exit summary does not name batch: $line"
	elif grep -q "^pping: map cleanup (.*) failed" "$PP_ERR"; then
		fail overload-batch-mechanism "a cleanup run failed: $(grep 'map cleanup (' "$PP_ERR" | head -2)"
	elif [ -n "$left" ]; then
		fail overload-batch-mechanism "programs still loaded after SIGINT: $left"
	else
		pass overload-batch-mechanism
	fi
	pping_cleanup_files
}
overload_batch
summary
