#!/usr/bin/env bash
# Faults: what happens when things go wrong around the daemon.
#  - A second pping on the same interface: with tc hooks both coexist (TCX
#    links stack, and pping's programs pass every packet on to the next),
#    and each reports the path RTT on its own; stopping one leaves the other
#    measuring. With -I xdp the second refuses (XDP without libxdp's
#    dispatcher holds the interface alone): exit 1, a message naming the
#    interface, and the first keeps its program and keeps measuring.
#  - The ring buffer overflowing (the daemon stopped with SIGSTOP while a
#    generator makes ~10k events/s, so the 4 MiB ring fills): every event
#    is either printed or counted lost, exactly; /metrics shows the loss
#    while the daemon runs, the exit summary at the end.
#  - A full flow map and a full identifier map (--max-flows 16 /
#    --max-timestamps 16 against 64 flows): the refused inserts are counted
#    in /metrics and the exit summary, the admitted flows keep their RTTs.
#  - SIGKILL of the daemon AND its children at once (a guard that cannot
#    act): nothing of its stays attached or loaded, for tc and XDP.
#  - After attaching, the daemon runs with no capabilities (CapEff, CapPrm,
#    CapBnd all 0) and still reports RTTs, serves /metrics, cleans up
#    closed flows and detaches at exit.
#  - An unknown interface with -w and --metrics: exit 1 naming it, without
#    creating the output file (test_options checks the plain case).
# Uses $PP_BIN (tests/sanitize.sh points it at the sanitizer build).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh
. tests/lib/pair.sh

ONEWAY_MS=5
TOLERANCE_MS=1.0
MIN_SAMPLES=15
FLOWGEN=./build/tests/flowgen
NS_FG=pp$$-fg
METRICS_PORT=9477

PP2_PID= PP2_OUT= PP2_ERR=
KILL_LATER=()
teardown() {
	local p
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	[ -n "$PP2_PID" ] && kill -KILL "$PP2_PID" 2>/dev/null
	for p in "${KILL_LATER[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	pping_cleanup_files
	rm -f "$PP2_OUT" "$PP2_ERR" "${GEN_OUT:-}" "${WFILE:-}"
	ip netns del "$NS_FG" 2>/dev/null
	pair_down
	topo_down
}
trap teardown EXIT

within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
# A figure of the exit summary: summary_num FILE "events lost"
summary_num() { grep -o "$2 [0-9]*" "$1" | head -1 | awk '{ print $NF }'; }
# One sample of a /metrics page: metric NS 'name{labels}'
metric() {
	ip netns exec "$1" curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" |
		awk -v m="$2" '$1 == m { print $2 }'
}
# Ids of the BPF programs a process holds (programs and links), from its
# fdinfo: this instance's, whatever else runs on the machine.
pid_prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un
}
cap_field() { awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status; }

# A second daemon next to the one pping_start runs (pping.sh keeps one).
pp2_start() {
	local ns=$1
	shift
	PP2_OUT=$(mktemp) PP2_ERR=$(mktemp)
	ip netns exec "$ns" "$PP_BIN" -v "$@" >"$PP2_OUT" 2>"$PP2_ERR" &
	PP2_PID=$!
	wait_line "$PP2_PID" "$PP2_ERR" "attached to"
}
pp2_wait() {   # wait up to 5 s; status in PP2_STATUS
	local i
	for i in $(seq 100); do
		kill -0 "$PP2_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$PP2_PID" 2>/dev/null && { wait "$PP2_PID"; PP2_STATUS=timeout; return; }
	wait "$PP2_PID"
	PP2_STATUS=$?
}

# iperf3 for SECS through the delayed path (paced below what the relay
# forwards, so no queue builds and the RTT stays what ping measured).
iperf() {
	in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	in_cli iperf3 -c "$SRV_IP4" -t "$1" -b 20M >/dev/null 2>&1
	wait $srv 2>/dev/null
}
# rtt_check NAME FILE: enough samples, median within tolerance of ping.
rtt_ok() {
	local vals n med
	vals=$(rtt_values "$2" ":5201\\+")
	n=$(grep -c . <<<"$vals")
	med=$(median <<<"$vals")
	echo "    $1: $n samples, median ${med:-none} ms (ping $PING_MS ms)"
	[ "$n" -ge $MIN_SAMPLES ] && within "$med" "$PING_MS" $TOLERANCE_MS
}

# --- second instance ---------------------------------------------------------
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi
PING_MS=$(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 15)

second_tc() {
	local name=second-instance-tc before after
	pping_start "$NS_CLI" -i "$CLI_IF" -I tc -r 10ms || { fail $name "first did not start"; return; }
	if ! pp2_start "$NS_CLI" -i "$CLI_IF" -I tc -r 10ms; then
		fail $name "second did not start: $(tail -2 "$PP2_ERR")"
		pping_stop INT
		return
	fi
	iperf 3
	# The second goes; the first must go on measuring alone.
	kill -INT "$PP2_PID"; pp2_wait
	before=$(rtt_values "$PP_OUT" | wc -l)
	iperf 2
	pping_stop INT
	after=$(rtt_values "$PP_OUT" | wc -l)
	echo "    first: $before RTT lines while both ran, $((after - before)) after the second stopped"
	if [ "$PP_STATUS" != 0 ] || [ "$PP2_STATUS" != 0 ]; then
		fail $name "exit status $PP_STATUS and $PP2_STATUS: $(tail -1 "$PP_ERR") / $(tail -1 "$PP2_ERR")"
	elif ! rtt_ok first "$PP_OUT" || ! rtt_ok second "$PP2_OUT"; then
		fail $name "one instance did not measure the path RTT"
	elif [ $((after - before)) -lt $MIN_SAMPLES ]; then
		fail $name "the first stopped measuring when the second left ($((after - before)) RTTs)"
	else
		pass $name
	fi
	pping_cleanup_files
	rm -f "$PP2_OUT" "$PP2_ERR"; PP2_PID=
}

xdp_prog_on() {   # id of the XDP program on the client interface, if any
	in_cli ip -j link show dev "$CLI_IF" | jq -r '.[0].xdp.prog.id // empty'
}

second_xdp() {
	local name=second-instance-xdp id_before id_after
	pping_start "$NS_CLI" -i "$CLI_IF" -I xdp -r 10ms || { fail $name "first did not start: $(tail -2 "$PP_ERR")"; return; }
	id_before=$(xdp_prog_on)
	pp2_start "$NS_CLI" -i "$CLI_IF" -I xdp -r 10ms
	pp2_wait
	id_after=$(xdp_prog_on)
	echo "    second: status $PP2_STATUS: $(grep -v '^libxdp\|^libbpf' "$PP2_ERR" | tail -1)"
	iperf 3
	pping_stop INT
	if [ "$PP2_STATUS" != 1 ]; then
		fail $name "second exited with status $PP2_STATUS, want 1"
	elif ! grep -q "cannot attach XDP to $CLI_IF: another XDP program" "$PP2_ERR"; then
		fail $name "no message naming $CLI_IF and the cause: $(tail -2 "$PP2_ERR")"
	elif [ -z "$id_before" ] || [ "$id_before" != "$id_after" ]; then
		fail $name "XDP program on $CLI_IF was '$id_before', after the second '$id_after'"
	elif [ "$PP_STATUS" != 0 ] || ! rtt_ok first "$PP_OUT"; then
		fail $name "the first was harmed: status $PP_STATUS"
	elif [ -n "$(xdp_prog_on)" ]; then
		fail $name "an XDP program is left on $CLI_IF"
	else
		pass $name
	fi
	pping_cleanup_files
	rm -f "$PP2_OUT" "$PP2_ERR"; PP2_PID=
}

# --- capabilities after attaching ------------------------------------------
caps_dropped() {
	local hook=$1 name=caps-dropped-$1 eff prm bnd closed served i
	pping_start "$NS_CLI" -i "$CLI_IF" -I "$hook" -r 10ms -c 200ms --metrics $METRICS_PORT ||
		{ fail "$name" "did not start"; return; }
	for i in $(seq 20); do
		grep -q "dropped capabilities" "$PP_ERR" && break
		sleep 0.05
	done
	eff=$(cap_field "$PP_PID" CapEff) prm=$(cap_field "$PP_PID" CapPrm)
	bnd=$(cap_field "$PP_PID" CapBnd)
	# Short connections that close, so cleanup has closed flows to remove.
	for i in 1 2 3; do iperf 1; done
	served=$(metric "$NS_CLI" 'pping_rtt_samples_total{method="ts"}')
	sleep 1.5   # closed flows linger a moment before cleanup takes them
	pping_stop INT
	closed=$(grep -o 'removed flows closed [0-9]*' "$PP_ERR" | awk '{ print $4 }')
	echo "    $hook: CapEff $eff CapPrm $prm CapBnd $bnd; /metrics RTT samples ${served:-none}; cleanup removed ${closed:-?} closed flows"
	if [ "$eff" != 0000000000000000 ] || [ "$prm" != 0000000000000000 ] ||
	   [ "$bnd" != 0000000000000000 ]; then
		fail "$name" "capabilities left: CapEff $eff CapPrm $prm CapBnd $bnd"
	elif [ "$PP_STATUS" != 0 ] || ! rtt_ok "$hook" "$PP_OUT"; then
		fail "$name" "status $PP_STATUS, no RTTs without capabilities: $(tail -2 "$PP_ERR")"
	elif [ -z "$served" ] || [ "$served" -lt 1 ]; then
		fail "$name" "/metrics not served (or no samples) without capabilities"
	elif [ "${closed:-0}" -lt 1 ] || grep -q "^pping: map cleanup failed" "$PP_ERR"; then
		fail "$name" "cleanup did not work without capabilities: $(grep cleanup "$PP_ERR" | tail -2)"
	elif [ "$hook" = xdp ] && [ -n "$(xdp_prog_on)" ]; then
		fail "$name" "the XDP program stayed attached after exit"
	else
		pass "$name"
	fi
	pping_cleanup_files
}

second_tc
second_xdp
caps_dropped tc
caps_dropped xdp
topo_down

# --- ring buffer overflow and full maps ---------------------------------------
ip netns add "$NS_FG" &&
	ip -n "$NS_FG" link add fgA type veth peer name fgB &&
	ip -n "$NS_FG" link set fgA up && ip -n "$NS_FG" link set fgB up &&
	ip -n "$NS_FG" link set lo up ||
	{ fail flowgen-setup "cannot create the namespace and veth pair"; summary; }
GEN_OUT=$(mktemp)

# The ring holds ~35k events of 120 bytes. 1024 flows answered every 100 ms
# make ~10k RTT events/s with -r 0; 6 s without a reader overflow it.
ring_overflow() {
	local name=ring-overflow lost lost_m printed want gen
	pping_start "$NS_FG" -i fgA -r 0 --metrics $METRICS_PORT || { fail $name "did not start"; return; }
	ip netns exec "$NS_FG" "$FLOWGEN" -a fgA -b fgB -n 1024 -t 8 -r 5 >"$GEN_OUT" 2>&1 &
	gen=$!
	sleep 1
	kill -STOP "$PP_PID"
	sleep 6
	kill -CONT "$PP_PID"
	wait $gen
	sleep 0.5
	lost_m=$(metric "$NS_FG" pping_events_lost_total)
	pping_stop INT
	lost=$(summary_num "$PP_ERR" "events lost")
	printed=$(grep -c . "$PP_OUT")
	want=$(sed -n 's/.*RTT samples \([0-9]*\) (not printed \([0-9]*\)).*flows opened \([0-9]*\) closed \([0-9]*\).*/\1 \2 \3 \4/p' "$PP_ERR" |
		awk '{ print $1 - $2 + $3 + $4 }')
	echo "    $(cat "$GEN_OUT")"
	echo "    events: $printed printed + ${lost:-?} lost, $want made; /metrics showed ${lost_m:-none} lost while running"
	if [ "$PP_STATUS" != 0 ]; then
		fail $name "status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif [ -z "$lost" ] || [ "$lost" -lt 1000 ]; then
		fail $name "ring did not overflow, or the loss was not counted (events lost ${lost:-?})"
	elif [ $((printed + lost)) -ne "$want" ]; then
		fail $name "$printed printed + $lost lost != $want events made: some vanished silently"
	elif [ -z "$lost_m" ] || [ "$lost_m" -lt 1000 ]; then
		fail $name "/metrics did not report the loss while running (${lost_m:-no page})"
	else
		pass $name
	fi
	pping_cleanup_files
}

# map_full NAME WHICH PPING_OPTIONS...: 64 flows, a packet every 10 ms,
# answered after 50 ms (5 identifiers outstanding per flow).
map_full() {
	local name=$1 label=$2 full_m full n bad
	shift 2
	pping_start "$NS_FG" -i fgA -r 0 --no-degrade --metrics $METRICS_PORT "$@" ||
		{ fail "$name" "did not start"; return; }
	ip netns exec "$NS_FG" "$FLOWGEN" -a fgA -b fgB -n 64 -p 10 -t 3 -r 50 >"$GEN_OUT" 2>&1
	full_m=$(metric "$NS_FG" "pping_map_insert_failures_total{map=\"$label\"}")
	pping_stop INT
	if [ "$label" = flows ]; then
		full=$(summary_num "$PP_ERR" "flow map full")
	else
		full=$(summary_num "$PP_ERR" "map full")
	fi
	n=$(rtt_values "$PP_OUT" | wc -l)
	bad=$(rtt_values "$PP_OUT" | awk '$1 < 49.8 || $1 > 80' | wc -l)
	echo "    $name: inserts refused ${full:-?} (/metrics ${full_m:-none}); $n RTTs, $bad outside 50-80 ms"
	grep '^pping: maps:' "$PP_ERR" | sed 's/^/    /'
	if [ "$PP_STATUS" != 0 ]; then
		fail "$name" "status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif [ -z "$full" ] || [ "$full" -lt 1 ]; then
		fail "$name" "the exit summary counts no refused insert"
	elif [ -z "$full_m" ] || [ "$full_m" -lt 1 ]; then
		fail "$name" "/metrics counts no refused insert while running"
	elif [ "$n" -lt 10 ] || [ "$bad" -ne 0 ]; then
		fail "$name" "$n RTTs, $bad wrong: the admitted flows were not measured correctly"
	elif [ "$label" = flows ] && ! grep -q '^pping: maps: flows 16 of 16 (100%)' "$PP_ERR"; then
		fail "$name" "the exit summary does not show the flow map full"
	else
		pass "$name"
	fi
	pping_cleanup_files
}

ring_overflow
map_full flow-map-full flows --max-flows 16
map_full timestamp-map-full timestamps --max-timestamps 16
ip netns del "$NS_FG"

# --- SIGKILL of the daemon and its guard together ---------------------------
if ! pair_up || ! ip -n "$PAIR_A" link set lo up; then
	fail pair-setup "could not create the veth pair"
	summary
fi
kill_all() {
	local hook=$1 name=sigkill-all-$1 ids kids left i xdp
	pping_start "$PAIR_A" -i veth0 -I "$hook" || { fail "$name" "did not start"; return; }
	ids=$(pid_prog_ids "$PP_PID")
	kids=$(pgrep -P "$PP_PID")
	KILL_LATER+=($kids)
	# Stopped first, so a guard cannot act in the instant between the
	# two kills: this is the daemon and its guard dying together.
	[ -n "$kids" ] && kill -STOP $kids
	kill -KILL "$PP_PID"
	[ -n "$kids" ] && kill -KILL $kids
	pping_stop none 2
	for i in $(seq 30); do
		left=$(pping_progs_alive $ids)
		xdp=$(ip -n "$PAIR_A" -j link show veth0 | jq -r '.[0].xdp.prog.id // empty')
		[ "$left" -eq 0 ] && [ -z "$xdp" ] && break
		sleep 0.1
	done
	echo "    $hook: $(wc -w <<<"$ids") programs held, $(wc -w <<<"$kids") child processes; after the kill: $left programs, XDP '${xdp}'"
	if [ -z "$ids" ]; then
		fail "$name" "found no programs in the daemon's fds"
	elif [ "$left" -ne 0 ]; then
		fail "$name" "$left of its programs still loaded"
	elif [ -n "$xdp" ]; then
		fail "$name" "XDP program $xdp still attached to veth0"
	else
		pass "$name"
	fi
	pping_cleanup_files
}
kill_all tc
kill_all xdp

# --- unknown interface, with outputs that must not be created ---------------
WFILE=$(mktemp -u "${TMPDIR:-/tmp}/pping-faults.XXXXXX")
err=$(ip netns exec "$PAIR_A" "$PP_BIN" -i nosuch0 -I xdp -w "$WFILE" --metrics $METRICS_PORT 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && grep -q "nosuch0" <<<"$err" && [ ! -e "$WFILE" ]; then
	pass unknown-interface-no-output
else
	fail unknown-interface-no-output "exit $rc, $WFILE $( [ -e "$WFILE" ] && echo created || echo absent): $err"
fi
summary
