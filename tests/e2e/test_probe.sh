#!/usr/bin/env bash
# pping --probe: the kernel features pping uses, one line each, and what
# pping would use for tc, XDP and cleanup.
#  - On this machine it exits 0 (pping -i runs here), with every feature
#    line present, aligned, and answered yes or no (lockdown: its mode).
#  - Its cleanup mechanism is the one the daemon picks (the daemon's -v
#    message and its exit summary), and so are its tc and XDP attachments
#    (the daemon's "attached to" line, with -I tc and -I xdp).
#  - It leaves the host as it was: links, tc and XDP attachments, qdiscs,
#    mounts and bpffs (it works in namespaces of its own).
#  - Without privileges it exits 1 and says "not allowed", naming the
#    missing capabilities; it writes nothing on stderr without -v.
# Uses $PP_BIN (tests/sanitize.sh points it at the sanitizer build).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/pping.sh
. tests/lib/pair.sh

PPING=$PP_BIN
TMP=$(mktemp -d)
teardown() {
	pair_down
	rm -rf "$TMP"
}
trap teardown EXIT

# Everything of the host a probe could change if it did not keep to its own
# namespaces.
host_state() {
	ip -d link show
	bpftool net show 2>&1
	tc qdisc show 2>&1
	# (not the nsfs mounts of named namespaces: other tests make those)
	findmnt -rn -o TARGET,FSTYPE | grep -v ' nsfs$' | sort
	ls -R /sys/fs/bpf 2>&1
}
# value KEY: what the probe answered for a feature line (from column 28).
value() { awk -v k="$1" 'substr($0, 1, 26) == sprintf("%-26s", k) && substr($0, 27, 1) == " " { print substr($0, 28) }' "$TMP/probe.out"; }
# use KEY: the first word of what pping would use ("KEY: WORD ...").
use() { sed -n "s/^$1: \([a-z]*\).*/\1/p" "$TMP/probe.out"; }

# ---- the report ---------------------------------------------------------------
host_state >"$TMP/host.before"
$PPING --probe >"$TMP/probe.out" 2>"$TMP/probe.err"
rc=$?
host_state >"$TMP/host.after"
sed 's/^/    /' "$TMP/probe.out"

if [ $rc -eq 0 ] && grep -q '^verdict: pping -i can run here$' "$TMP/probe.out"; then
	pass probe-exits-0-here
else
	fail probe-exits-0-here "exit $rc, $(grep '^verdict' "$TMP/probe.out")"
fi

bad=""
for k in "bpf permission" "kernel btf" "ring buffer" "datapath loads" \
	 "tcx links" "clsact filters" "xdp links" "xdp netlink" \
	 "libxdp dispatcher" "xdp generic mode" "map-element iterators" \
	 "syscall programs" "batched map syscalls" "test runs (--read)"; do
	v=$(value "$k")
	# "yes", "yes (detail)" or "no: reason": a no always says why.
	[[ $v =~ ^(yes( \(.+\))?|no:\ .+)$ ]] || bad+=" [$k: '${v:-missing}']"
done
[[ $(value lockdown) =~ ^(none|integrity|confidentiality)( |$)|^not\ readable:\ .+ ]] ||
	bad+=" [lockdown: '$(value lockdown)']"
[[ $(use "tc attachment") =~ ^(tcx|clsact)$ ]] || bad+=" [tc attachment]"
[[ $(use "xdp (-I xdp)") =~ ^(dispatcher|link|netlink|none)$ ]] || bad+=" [xdp]"
[[ $(use cleanup) =~ ^(iter|foreach|batch)$ ]] || bad+=" [cleanup]"
[ "$(grep -c . "$TMP/probe.out")" -eq 20 ] || bad+=" [$(grep -c . "$TMP/probe.out") lines, not 20]"
[ -z "$bad" ] && pass probe-lines-yes-or-no || fail probe-lines-yes-or-no "$bad"

# What this machine is known to answer (MACHINE-NOTES.md): a machine that
# changes gets a failure to look at, not a silent pass.
known=""
for k in "bpf permission" "ring buffer" "datapath loads" "tcx links" \
	 "syscall programs" "test runs (--read)"; do
	[[ $(value "$k") == yes* ]] || known+=" [$k: $(value "$k")]"
done
grep -q '^cleanup: foreach$' "$TMP/probe.out" ||
	known+=" [$(grep '^cleanup:' "$TMP/probe.out")]"
if [[ $(value "map-element iterators") == no:* ]] &&
   ! [[ $(value "map-element iterators") == *"(iter/bpf_map_elem): "* ]]; then
	known+=" [iterators refused without naming the program type]"
fi
[ -z "$known" ] && pass probe-answers-this-machine || fail probe-answers-this-machine "$known"

[ -s "$TMP/probe.err" ] && fail probe-quiet-stderr "without -v: $(head -3 "$TMP/probe.err")" ||
	pass probe-quiet-stderr

if diff -u "$TMP/host.before" "$TMP/host.after" >"$TMP/host.diff"; then
	pass probe-leaves-host-unchanged
else
	fail probe-leaves-host-unchanged "$(head -20 "$TMP/host.diff")"
fi

# ---- the daemon agrees --------------------------------------------------------
if ! pair_up; then
	fail pair "cannot create the test namespaces"
	summary
fi
ip netns exec "$PAIR_A" "$PPING" -i veth0 -v -d 1s -c 200ms >/dev/null 2>"$TMP/d.err"
rc=$?
words=$(grep '^pping: map cleanup: ' "$TMP/d.err" | tail -1)
said=$(sed -n 's/^pping: map cleanup: .*(--cleanup-mechanism \([a-z]*\)[,)].*/\1/p' <<<"$words")
summ=$(sed -n 's/^pping: cleanup: [0-9]* runs (mechanism \([a-z]*\)).*/\1/p' "$TMP/d.err")
runs=$(sed -n 's/^pping: cleanup: \([0-9]*\) runs.*/\1/p' "$TMP/d.err")
if [ $rc -eq 0 ] && [ "$said" = "$(use cleanup)" ] && [ "$summ" = "$(use cleanup)" ] &&
   [ "${runs:-0}" -gt 0 ]; then
	pass probe-cleanup-is-the-daemons
else
	fail probe-cleanup-is-the-daemons "probe: $(use cleanup); daemon (exit $rc): '$words' -> $said, summary: ${summ:-none} after ${runs:-no} runs"
fi

tc_how=$(sed -n 's/^pping: attached to veth0: egress \([a-z]*\), .*/\1/p' "$TMP/d.err")
[ "$tc_how" = "$(use "tc attachment")" ] && pass probe-tc-is-the-daemons ||
	fail probe-tc-is-the-daemons "probe: $(use "tc attachment"), daemon: ${tc_how:-none}"

ip netns exec "$PAIR_A" "$PPING" -i veth0 -I xdp -v -d 200ms >/dev/null 2>"$TMP/x.err"
rc=$?
xdp_how=$(sed -n 's/^pping: attached to veth0: .*, ingress xdp (\([a-z]*\))$/\1/p' "$TMP/x.err")
if [ "$(use "xdp (-I xdp)")" = none ] && [ $rc -ne 0 ]; then
	skip probe-xdp-is-the-daemons "kernel refused XDP: $(grep '^xdp (-I xdp)' "$TMP/probe.out")"
elif [ $rc -eq 0 ] && [ "$xdp_how" = "$(use "xdp (-I xdp)")" ]; then
	pass probe-xdp-is-the-daemons
else
	fail probe-xdp-is-the-daemons "probe: $(use "xdp (-I xdp)"), daemon (exit $rc): ${xdp_how:-none}: $(grep -v '^pping: map ' "$TMP/x.err" | tail -3)"
fi

# ---- without privileges -------------------------------------------------------
if command -v setpriv >/dev/null; then
	setpriv --inh-caps=-all --bounding-set=-all -- "$PPING" --probe \
		>"$TMP/np.out" 2>"$TMP/np.err"
	rc=$?
	v=$(grep '^verdict:' "$TMP/np.out")
	if [ $rc -eq 1 ] && [[ $v == "verdict: pping -i cannot run here: bpf permission: not allowed: "* ]] &&
	   [[ $v == *CAP_BPF* ]] && grep -q '^bpf permission  *no: not allowed' "$TMP/np.out"; then
		pass probe-not-allowed-exits-1
	else
		fail probe-not-allowed-exits-1 "exit $rc: $v"
	fi
else
	fail probe-not-allowed-exits-1 "setpriv missing (util-linux)"
fi

# ---- interfaces -------------------------------------------------------------
# -i adds a line per interface, found without attaching: a veth declares
# native XDP (Linux 6.3 netdev xdp-features; older kernels say unknown);
# an interface that is not there makes the exit status 1.
ip netns exec "$PAIR_A" "$PPING" --probe -i veth0 >"$TMP/if.out" 2>"$TMP/if.err"
rc=$?
line=$(grep '^interface veth0:' "$TMP/if.out")
if [ $rc -eq 0 ] && [[ $line == "interface veth0: index "*", Ethernet, native XDP "* ]] &&
   [[ $line == *"native XDP yes"* || $line == *"native XDP unknown (the kernel has no netdev"* ]]; then
	pass probe-interface-line
else
	fail probe-interface-line "exit $rc: ${line:-no interface line}: $(tail -2 "$TMP/if.out")"
fi
ip netns exec "$PAIR_A" "$PPING" --probe -i veth0,nosuch9 >"$TMP/if2.out" 2>"$TMP/if2.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^interface nosuch9: no' "$TMP/if2.out" &&
   grep -q "no interface named 'nosuch9'" "$TMP/if2.err"; then
	pass probe-interface-missing
else
	fail probe-interface-missing "exit $rc: $(grep '^interface\|^verdict' "$TMP/if2.out" | tr '\n' ';')"
fi

help=$($PPING --help)
grep -q -- '--probe' <<<"$help" && grep -q 'probe' doc/pping.8 &&
	grep -q '^## Kernel requirements' README.md && pass probe-documented ||
	fail probe-documented "--help, doc/pping.8 or README.md's Kernel requirements lacks it"

summary
