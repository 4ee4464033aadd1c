#!/usr/bin/env bash
# The daemon's life: clean stop on SIGINT/SIGTERM and after --duration, with
# its exit summary; nothing left attached after SIGINT or SIGKILL (tc and
# XDP); a deleted interface ends it within 5 s with a message and status 1.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/pping.sh
. tests/lib/pair.sh

NS_A=$PAIR_A
teardown() {
	pping_cleanup_files
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	pair_down
}
trap teardown EXIT

# These tests need an interface, not a delay: a plain veth pair.
link_up() {
	pair_up && ip -n "$PAIR_A" addr add 10.201.0.1/24 dev veth0 &&
		ip -n "$PAIR_B" addr add 10.201.0.2/24 dev veth0
}

xdp_on_link() {
	ip -n "$NS_A" link show veth0 2>/dev/null | grep -q "prog/xdp"
}

# start_own NAME HOOK: pping on veth0 of NS_A, the programs it holds in
# IDS; fails NAME (status 1) if it did not start or holds none.
start_own() {
	IDS=
	if ! pping_start "$NS_A" -i veth0 -I "$2"; then
		fail "$1" "did not start"
		return 1
	fi
	IDS=$(pping_own_prog_ids)
	[ -n "$IDS" ] && return 0
	fail "$1" "no pping programs loaded while running"
	pping_stop KILL
	pping_cleanup_files
	return 1
}

# stop_test NAME HOOK SIGNAL WANT_STATUS
stop_test() {
	local name=$1 hook=$2 sig=$3 want=$4 ids st left i
	start_own "$name" "$hook" || return
	ids=$IDS
	pping_stop "$sig"; st=$PP_STATUS
	# After SIGKILL the watchdog needs a moment to detach XDP.
	for i in $(seq 40); do
		left=$(pping_progs_alive $ids)
		[ "$left" -eq 0 ] && ! xdp_on_link && break
		sleep 0.1
	done
	if [ "$want" != any ] && [ "$st" != "$want" ]; then
		fail "$name" "exit status $st, want $want: $(tail -2 "$PP_ERR")"
	elif [ "$left" -ne 0 ]; then
		fail "$name" "$left program(s) still loaded: $(bpftool prog show | grep pping_)"
	elif xdp_on_link; then
		fail "$name" "an XDP program is still attached to the interface"
	elif [ "$sig" != KILL ] && ! grep -q "packets egress" "$PP_ERR"; then
		fail "$name" "no exit summary on stderr"
	else
		pass "$name"
	fi
	pping_cleanup_files
}

if ! link_up; then
	fail setup "could not create the veth pair"
	summary
fi

stop_test sigint-tc tc INT 0
stop_test sigterm-tc tc TERM 0
stop_test sigint-xdp xdp INT 0
stop_test sigkill-tc tc KILL any
stop_test sigkill-xdp xdp KILL any

# --duration ends the run by itself with status 0.
start=$(date +%s%N)
err=$(ip netns exec "$NS_A" "$PP_BIN" -i veth0 -d 1s 2>&1 >/dev/null); st=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $st -eq 0 ] && [ $ms -ge 900 ] && [ $ms -lt 4000 ] && grep -q "packets egress" <<<"$err"; then
	pass duration
else
	fail duration "status $st after $ms ms: $err"
fi

# The monitored interface disappears: exit within 5 s, status 1, a message.
for hook in tc xdp; do
	name="interface-vanishes-$hook"
	start_own "$name" "$hook" || continue
	ids=$IDS
	ip -n "$NS_A" link del veth0
	pping_stop none 5; st=$PP_STATUS
	if [ "$st" = 1 ] && grep -q "disappeared" "$PP_ERR" &&
	   [ "$(pping_progs_alive $ids)" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "status $st, stderr: $(tail -2 "$PP_ERR")"
	fi
	pping_cleanup_files
	pair_down
	link_up || { fail setup "could not recreate the veth pair"; break; }
done
summary
