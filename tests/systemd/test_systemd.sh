#!/usr/bin/env bash
# The unit under a real systemd (issue 17). Boots systemd as PID 1 in a
# container (systemd-nspawn --boot of a Debian tree made with debootstrap,
# cached in build/systemd/, the same release as this machine so that the
# package's dependencies are the ones it was built against), installs the
# package there with dpkg, gives the container a veth pair to a namespace
# that sends it TCP traffic (iperf3), and checks with systemctl and
# journalctl that:
#   - pping@IF reaches active, attaches, and its RTT lines reach the journal;
#   - it runs as a dynamic user (not root) with nothing in its effective,
#     permitted, inheritable and ambient sets once attached, no_new_privs,
#     and a bounding set within the unit's CapabilityBoundingSet;
#   - `systemctl reload` makes it reopen a -w file that was moved away
#     (same process, the new file gets the records, the old one no more),
#     and so does the logrotate snippet (/etc/logrotate.d/pping) run for real;
#   - `systemctl stop` leaves nothing: its programs and TCX links are gone
#     and no tc filter is left on the interface;
#   - deleting the interface stops the unit cleanly (BindsTo= the device:
#     inactive, result success, no restart): when systemd hears of it first
#     (the usual case), when udev is late and pping's own once-a-second
#     check has ended it first, and when that check falls just as systemd
#     stops the unit (a few percent of deletions; made certain here by
#     holding pping with SIGSTOP across a check);
#   - an enabled instance starts when its interface appears (WantedBy=).
#
# The package: PPING_DEB, else the one in build/deb/ (make test-systemd
# builds it). The tree is rebuilt when the packages it needs change
# (PPING_SYSTEMD_REBUILD=1 forces it); the Debian mirror is the one apt
# uses here (PPING_DEBIAN_MIRROR overrides). PPING_KEEP_NS=1 keeps the
# container running at the end, for a look (the command to enter it is
# printed).
#
# What a container on this machine needs, found by trying (see README,
# "Running as a service"): the host has no systemd (PID 1 is something
# else) and cgroups v1 with a name=systemd hierarchy and a cgroup2 one
# beside the controllers; systemd-nspawn copes with that (the container's
# systemd runs in hybrid mode) given:
#   --register=no --keep-unit   else nspawn asks the host's systemd for a
#                               scope: "Failed to open system bus: No such
#                               file or directory";
#   a cgroup of its own         nspawn puts itself and the container in
#                               supervisor/ and payload/ below its own
#                               cgroup, so it is started in a fresh one;
#   --volatile=overlay          the cached tree is never written: all a
#                               run changes goes to a tmpfs;
#   --capability=CAP_BPF,CAP_PERFMON  not in nspawn's default set
#                               (CAP_NET_ADMIN comes with its own network);
#   --system-call-filter=bpf    nspawn's seccomp filter refuses bpf(2)
#                               otherwise: every service in the container
#                               gets EPERM ("not allowed to use BPF");
#   device units                a container's /sys is read-only, and then
#                               systemd has no device units at all:
#                               `systemctl start pping@IF` fails at once
#                               with result 'dependency'. So the test makes
#                               the container's own /sys writable, starts
#                               udevd there (it only tags devices: every
#                               rule file but 99-systemd.rules is masked in
#                               the tree, and coldplug triggers network
#                               devices only) and re-executes PID 1, which
#                               listens for udev only if udevd ran when it
#                               started. /proc/sys stays read-only: a
#                               container systemd with a writable /proc/sys
#                               sets host-wide sysctls (fs.file-max,
#                               fs.protected_*) at boot.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh

need_tools systemd-tools systemd-nspawn debootstrap nsenter iperf3 ip ss ping bpftool \
	capsh dpkg-deb pgrep timeout || summary

if [ "$(id -u)" -ne 0 ]; then
	fail setup "needs root (debootstrap, systemd-nspawn, BPF)"
	summary
fi

ARCH=$(dpkg --print-architecture)
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$SUITE" ] || SUITE=bookworm
CACHE=$PWD/build/systemd
TREE=$CACHE/$SUITE-root
MACHINE=pp$$sd
PEER_NS=pp$$-sdpeer
CG=pping-systemd-$$
IF=host0                       # the container's end of nspawn's --network-veth
CTR_IP=10.213.0.2
PEER_IP=10.213.0.1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-systemd.XXXXXX")
NSPAWN_PID=
LEADER=
SRV_PID=
CG_DIRS=()

# ---- helpers ----------------------------------------------------------------

ms() { date +%s%3N; }

# in_ctr CMD...: CMD in the container (all its namespaces), clean
# environment, at most 60 s.
in_ctr() {
	timeout 60 nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@"
}
unit_prop() { in_ctr systemctl show -p "$1" --value "pping@$IF.service"; }
main_pid() { unit_prop MainPID; }

# wait_until SECONDS CMD...: poll CMD every 0.1 s; status 1 on timeout.
wait_until() {
	local end=$(($(ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(ms)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
is_active() { [ "$(in_ctr systemctl is-active "pping@$IF.service")" = active ]; }
# The unit has ended: inactive or failed (auto-restart counts as activating).
has_ended() {
	local s
	s=$(unit_prop ActiveState)
	[ "$s" = inactive ] || [ "$s" = failed ]
}

# traffic: a second of TCP (with timestamps) from the peer namespace to the
# iperf3 server in the container, through the container's veth.
traffic() {
	nsenter --net="/run/netns/$PEER_NS" iperf3 -c "$CTR_IP" -t 1 -b 20M >/dev/null 2>&1
}

# RTT lines of the standard format, for the flows of that traffic.
RTT_RE="^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+ [0-9.]+ ms [0-9.]+ ms TCP .*${CTR_IP//./\\.}:5201"
journal_rtt_lines() { in_ctr journalctl -q -u "pping@$IF.service" -o cat --no-pager | grep -cE "$RTT_RE"; }
file_rtt_lines() { in_ctr cat "$1" 2>/dev/null | grep -cE "$RTT_RE"; }
file_has_rtt() { [ "$(file_rtt_lines "$1")" -gt 0 ]; }
journal_has_rtt() { [ "$(journal_rtt_lines)" -gt 0 ]; }

# bpf_ids PID: "prog N" and "link N" for every BPF program and link PID
# holds a descriptor of (its fdinfo), one a line.
bpf_ids() {
	in_ctr sh -c "cat /proc/$1/fdinfo/* 2>/dev/null" |
		sed -n 's/^\(prog\|link\)_id:[[:space:]]*\([0-9]*\)$/\1 \2/p' | sort -u
}
# tc filters on the interface (pping's clsact fallback), if any.
tc_filters() {
	in_ctr tc filter show dev "$IF" ingress 2>/dev/null
	in_ctr tc filter show dev "$IF" egress 2>/dev/null
}
# attached: the running instance holds a TCX link or has a tc filter.
attached() {
	local pid
	pid=$(main_pid)
	[ "${pid:-0}" -gt 0 ] || return 1
	bpf_ids "$pid" | grep -q '^link ' || [ -n "$(tc_filters)" ]
}
# ids_left IDS: those of IDS ("prog N"/"link N" lines) the kernel still has.
ids_left() {
	local kind id
	while read -r kind id; do
		[ -n "$id" ] || continue
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind $id"
	done <<<"$1"
}
nothing_left() { [ -z "$(ids_left "$1")" ] && [ -z "$(tc_filters)" ]; }

start_attached() {
	in_ctr systemctl start "pping@$IF.service" || return 1
	wait_until 10 attached
}

# Unit state and the end of its journal, for FAIL lines.
unit_story() {
	echo "state $(unit_prop ActiveState)/$(unit_prop SubState), result $(unit_prop Result);" \
		"journal: $(in_ctr journalctl -q -u "pping@$IF.service" -o cat --no-pager -n 30 |
			grep -vE "$RTT_RE|^pping: (packets egress|maps:|cleanup:)" | tail -n 6 | tr '\n' '|')"
}

cleanup() {
	if [ "${PPING_KEEP_NS:-0}" = 1 ] && [ -n "$LEADER" ]; then
		echo "PPING_KEEP_NS=1: kept container $MACHINE (nsenter -t $LEADER -a bash)," \
			"namespace $PEER_NS, nspawn pid $NSPAWN_PID, iperf3 server pid $SRV_PID, $TMP" >&2
		return
	fi
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$NSPAWN_PID"
		wait_until 20 eval '! kill -0 "$NSPAWN_PID" 2>/dev/null' || {
			[ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		}
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	ip netns del "$PEER_NS" 2>/dev/null
	local d
	for d in "${CG_DIRS[@]}"; do
		# The container's cgroups empty as its processes exit.
		wait_until 5 eval "find '$d' -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d '$d' ]" ||
			echo "cgroup $d not removed" >&2
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the package ------------------------------------------------------------

if [ -n "${PPING_DEB:-}" ]; then
	DEB=$PPING_DEB
else
	debs=(build/deb/pping_*_"$ARCH".deb)
	DEB=${debs[${#debs[@]} - 1]}
fi
if [ ! -f "$DEB" ]; then
	fail package "no package in build/deb/ (make test-systemd builds it, or set PPING_DEB)"
	summary
fi
DEB=$(readlink -f "$DEB")
echo "  package: $(basename "$DEB")"

# ---- the tree ---------------------------------------------------------------

# debian_mirror: the URI apt uses here for SUITE's main component
# (deb822 .sources or one-line sources.list), else deb.debian.org.
debian_mirror() {
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" '
		BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; suite = 0; main = 0; deb = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/ && $i ~ /(^|[ \t])deb([ \t]|$)/) deb = 1
				if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
				if ($i ~ /^Suites:/ && (" " $i " ") ~ ("[ \t]" s "[ \t]")) suite = 1
				if ($i ~ /^Components:/ && (" " $i " ") ~ /[ \t]main[ \t]/) main = 1
			}
			if (deb && suite && main && uri != "") { print uri; exit }
		}')
	[ -n "$m" ] || m=$(sed -n "s/^deb \(\[[^]]*\] \)\?\([^ ]*\) $SUITE .*main.*/\2/p" \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# What the container needs: systemd as init, udev for device units, dbus,
# ip/tc, bpftool (the container's view of what is attached), logrotate (the
# package's snippet), and the package's own dependencies (first of each
# alternative, without versions).
PKGS=$( {
	echo systemd systemd-sysv udev dbus iproute2 procps bpftool logrotate
	dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//'
} | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
PKGS=${PKGS% }

build_tree() {
	local new=$TREE.new mirror start
	mirror=${PPING_DEBIAN_MIRROR:-$(debian_mirror)}
	start=$SECONDS
	rm -rf "$new"
	mkdir -p "$CACHE"
	if ! debootstrap --variant=minbase --include="${PKGS// /,}" "$SUITE" "$new" "$mirror" \
		>"$CACHE/debootstrap.log" 2>&1; then
		fail tree "debootstrap $SUITE from $mirror failed: $(tail -n 5 "$CACHE/debootstrap.log" | tr '\n' '|') (all of it: $CACHE/debootstrap.log)"
		rm -rf "$new"
		return 1
	fi
	# Only what the test needs runs: no network management, no sysctls,
	# no getty; udevd only tags devices for systemd, and coldplug
	# triggers network devices only (the host's other devices are not
	# the container's to trigger).
	systemctl --root="$new" mask systemd-networkd.service systemd-networkd.socket \
		systemd-networkd-wait-online.service systemd-sysctl.service \
		console-getty.service getty.target systemd-timesyncd.service >/dev/null 2>&1
	local f
	for f in "$new"/lib/udev/rules.d/*.rules; do
		[ "${f##*/}" = 99-systemd.rules ] || ln -sf /dev/null "$new/etc/udev/rules.d/${f##*/}"
	done
	mkdir -p "$new/etc/systemd/system/systemd-udev-trigger.service.d"
	printf '[Service]\nExecStart=\nExecStart=-udevadm trigger --type=devices --action=add --subsystem-match=net\n' \
		>"$new/etc/systemd/system/systemd-udev-trigger.service.d/pping-test.conf"
	echo pping-test >"$new/etc/hostname"
	systemd-machine-id-setup --root="$new" >/dev/null 2>&1
	# Journal in /run: boots leave nothing in the tree.
	rm -rf "$new/var/log/journal"
	echo "$PKGS" >"$new/.pping-test-packages"
	rm -rf "$TREE" && mv "$new" "$TREE"
	echo "  tree: debootstrap $SUITE from $mirror in $((SECONDS - start))s"
}

if [ "${PPING_SYSTEMD_REBUILD:-0}" != 1 ] && [ -x "$TREE/lib/systemd/systemd" ] &&
	[ "$(cat "$TREE/.pping-test-packages" 2>/dev/null)" = "$PKGS" ]; then
	echo "  tree: $TREE (cached)"
	pass tree
elif build_tree; then
	pass tree
else
	summary
fi

# ---- boot -------------------------------------------------------------------

ip netns add "$PEER_NS" && ip -n "$PEER_NS" link set lo up || {
	fail boot "cannot create network namespace $PEER_NS"
	summary
}

# A cgroup of its own in each hierarchy nspawn uses, unless a systemd on
# the host manages them.
if [ ! -d /run/systemd/system ]; then
	for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
		case $(stat -f -c %T "$h" 2>/dev/null) in
		cgroupfs | cgroup2fs) mkdir -p "$h/$CG" && CG_DIRS+=("$h/$CG") ;;
		esac
	done
fi

boot_start=$(ms)
(
	for d in "${CG_DIRS[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
	# nspawn in the peer namespace: --network-veth puts the host end
	# (ve-...) there and host0 in the container.
	exec nsenter --net="/run/netns/$PEER_NS" systemd-nspawn --quiet \
		--directory="$TREE" --volatile=overlay --boot -M "$MACHINE" \
		--register=no --keep-unit --network-veth \
		--capability=CAP_BPF,CAP_PERFMON --system-call-filter=bpf \
		--bind-ro="$DEB:/root/pping.deb"
) >"$TMP/console.log" 2>&1 </dev/null &
NSPAWN_PID=$!

ctr_up() {
	kill -0 "$NSPAWN_PID" 2>/dev/null || return 0   # gone: stop waiting
	LEADER=$(pgrep -P "$NSPAWN_PID" | head -n 1)
	[ -n "$LEADER" ] && [ -S "/proc/$LEADER/root/run/systemd/private" ]
}
wait_until 60 ctr_up
if ! kill -0 "$NSPAWN_PID" 2>/dev/null || [ -z "$LEADER" ]; then
	wait "$NSPAWN_PID" 2>/dev/null
	fail boot "systemd-nspawn exited ($?) before its systemd answered: $(tail -n 15 "$TMP/console.log" | tr '\n' '|')"
	summary
fi
state=$(in_ctr systemctl is-system-running --wait 2>&1)
boot_ms=$(($(ms) - boot_start))
init=$(in_ctr cat /proc/1/comm)
if [ "$init" = systemd ] && [ "$state" = running ]; then
	pass boot
	echo "  $(in_ctr systemctl --version | head -n 1) as PID 1, running after ${boot_ms} ms"
else
	fail boot "PID 1 is '$init', state '$state' after ${boot_ms} ms; failed units: $(in_ctr systemctl --failed --plain --no-legend | tr '\n' '|')"
	summary
fi

# Device units: the container's /sys (a sysfs of its own network
# namespace) writable, udevd, PID 1 re-executed to listen to it.
setup_ms=$(ms)
if out=$(in_ctr mount -o remount,rw /sys 2>&1 &&
	in_ctr mount -o remount,rw /sys/devices 2>&1 &&
	in_ctr systemctl start systemd-udevd.service 2>&1 &&
	in_ctr systemctl daemon-reexec 2>&1 &&
	in_ctr systemctl restart systemd-udev-trigger.service 2>&1 &&
	in_ctr udevadm settle 2>&1) &&
	wait_until 5 eval '[ "$(in_ctr systemctl is-active sys-subsystem-net-devices-$IF.device)" = active ]'; then
	pass device-unit
	echo "  sys-subsystem-net-devices-$IF.device active after $(($(ms) - setup_ms)) ms"
else
	fail device-unit "sys-subsystem-net-devices-$IF.device is $(in_ctr systemctl is-active "sys-subsystem-net-devices-$IF.device"): $out"
	summary
fi

# ---- install ----------------------------------------------------------------

out=$(in_ctr dpkg -i /root/pping.deb 2>&1); rc=$?
enabled=$(in_ctr systemctl is-enabled "pping@$IF.service" 2>&1)
reload_needed=$(unit_prop NeedDaemonReload)
if [ $rc -eq 0 ] && [ "$enabled" = disabled ] && [ "$reload_needed" = no ] && ! is_active; then
	pass install
else
	fail install "dpkg -i exit $rc, pping@$IF is-enabled '$enabled', NeedDaemonReload '$reload_needed': $(tail -n 5 <<<"$out" | tr '\n' '|')"
	summary
fi

# ---- network: host0 in the container, ve-* in the peer namespace ------------

VETH=$(ip -n "$PEER_NS" -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2; exit }')
if [ -z "$VETH" ] ||
	! ip -n "$PEER_NS" addr add "$PEER_IP/24" dev "$VETH" ||
	! ip -n "$PEER_NS" link set "$VETH" up ||
	! in_ctr ip addr add "$CTR_IP/24" dev "$IF" ||
	! in_ctr ip link set "$IF" up ||
	! wait_until 5 nsenter --net="/run/netns/$PEER_NS" ping -c 1 -W 1 "$CTR_IP" >/dev/null 2>&1; then
	fail network "no path between $PEER_NS ($VETH, $PEER_IP) and the container ($IF, $CTR_IP)"
	summary
fi
nsenter -t "$LEADER" -n iperf3 -s -B "$CTR_IP" >/dev/null 2>&1 &
SRV_PID=$!
wait_until 5 eval "nsenter -t $LEADER -n ss -Hltn 'sport = :5201' | grep -q LISTEN"

# ---- start, journal ---------------------------------------------------------

t=$(ms)
if ! in_ctr systemctl start "pping@$IF.service"; then
	fail start "systemctl start failed: $(unit_story)"
	summary
fi
if wait_until 10 attached && sleep 1 && is_active && [ "$(unit_prop NRestarts)" = 0 ]; then
	pass start
	echo "  active and attached after $(($(ms) - t)) ms (MainPID $(main_pid))"
else
	fail start "not active and attached: $(unit_story)"
	summary
fi

traffic
if wait_until 5 journal_has_rtt; then
	pass rtt-journal
	echo "  $(journal_rtt_lines) RTT lines in journalctl -u pping@$IF"
else
	fail rtt-journal "no RTT line in the journal after traffic: $(unit_story)"
fi

# ---- privileges -------------------------------------------------------------

PID=$(main_pid)
status=$(in_ctr cat "/proc/$PID/status")
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$status"; }
unit_caps=$(unit_prop CapabilityBoundingSet)
unit_ambient=$(unit_prop AmbientCapabilities)
bnd=$(capsh --decode="$(field CapBnd)" | sed 's/^[^=]*=//')
problems=""
read -r ruid euid suid fsuid <<<"$(field Uid)"
[ "${ruid:-0}" -gt 0 ] && [ "$euid" = "$ruid" ] && [ "$suid" = "$ruid" ] && [ "$fsuid" = "$ruid" ] ||
	problems+=" Uid: $(field Uid);"
[ "$(unit_prop DynamicUser)" = yes ] || problems+=" DynamicUser is not yes;"
for s in CapEff CapPrm CapInh CapAmb; do
	[ "$(field $s)" = 0000000000000000 ] || problems+=" $s $(field $s);"
done
[ "$(field NoNewPrivs)" = 1 ] || problems+=" NoNewPrivs $(field NoNewPrivs);"
for c in ${bnd//,/ }; do
	[[ " $unit_caps " == *" $c "* ]] || problems+=" $c in the bounding set, not in the unit's ($unit_caps);"
done
[ -n "$unit_caps" ] && [ "$unit_ambient" = "$unit_caps" ] ||
	problems+=" the unit grants '$unit_ambient', bounds '$unit_caps';"
if [ -z "$problems" ]; then
	pass privileges
	echo "  uid $ruid, CapEff/CapPrm/CapInh/CapAmb 0, NoNewPrivs 1, bounding set {${bnd:-}} within the unit's {$unit_caps}"
else
	fail privileges "$problems"
fi

# ---- reload: -w file moved away, systemctl reload, then logrotate -----------

LOG=/var/log/pping/$IF.log
in_ctr sh -c "echo 'PPING_OPTS=\"-w $LOG\"' >/etc/default/pping-$IF"
if in_ctr systemctl restart "pping@$IF.service" && wait_until 10 attached &&
	traffic && wait_until 5 file_has_rtt "$LOG"; then
	pid1=$(main_pid)
	in_ctr mv "$LOG" "$LOG.moved"
	in_ctr systemctl reload "pping@$IF.service"; rc=$?
	wait_until 5 in_ctr test -f "$LOG"; appeared=$?
	old=$(file_rtt_lines "$LOG.moved")
	traffic
	wait_until 5 file_has_rtt "$LOG"; got=$?
	problems=""
	[ $rc -eq 0 ] || problems+=" systemctl reload exit $rc;"
	[ $appeared -eq 0 ] || problems+=" no new $LOG after the reload;"
	[ $got -eq 0 ] || problems+=" no RTT line in the new $LOG;"
	[ "$(file_rtt_lines "$LOG.moved")" = "$old" ] || problems+=" the moved file still grows;"
	[ "$(main_pid)" = "$pid1" ] && is_active || problems+=" not the same running process ($pid1, now $(main_pid));"
	[ -z "$problems" ] && pass reload-reopens ||
		fail reload-reopens "$problems $(unit_story)"

	# The package's logrotate snippet: rotate, postrotate reloads.
	out=$(in_ctr logrotate -f /etc/logrotate.d/pping 2>&1); rc=$?
	problems=""
	[ $rc -eq 0 ] || problems+=" logrotate exit $rc: $out;"
	file_has_rtt "$LOG.1" || problems+=" $LOG.1 has no RTT line;"
	wait_until 5 in_ctr test -f "$LOG" || problems+=" no new $LOG;"
	traffic
	wait_until 5 file_has_rtt "$LOG" || problems+=" no RTT line in the new $LOG;"
	[ "$(main_pid)" = "$pid1" ] && is_active || problems+=" not the same running process;"
	[ -z "$problems" ] && pass logrotate-reloads ||
		fail logrotate-reloads "$problems $(unit_story)"
else
	fail reload-reopens "with $LOG: no RTT line in it: $(unit_story)"
	fail logrotate-reloads "not tried (see reload-reopens)"
fi
in_ctr rm -f "/etc/default/pping-$IF"

# ---- stop -------------------------------------------------------------------

ids=$(bpf_ids "$(main_pid)")
nprog=$(grep -c '^prog ' <<<"$ids"); nlink=$(grep -c '^link ' <<<"$ids")
in_ctr systemctl stop "pping@$IF.service"; rc=$?
if [ $rc -eq 0 ] && [ "$nprog" -gt 0 ] && wait_until 5 nothing_left "$ids" &&
	[ "$(unit_prop ActiveState)" = inactive ] && [ "$(unit_prop Result)" = success ]; then
	pass stop-detaches
	echo "  its $nprog programs and $nlink links are gone, no tc filter on $IF"
else
	fail stop-detaches "stop exit $rc; of $nprog programs and $nlink links, left: $(ids_left "$ids" | tr '\n' ' ') tc: $(tc_filters | tr '\n' ' '); $(unit_story)"
fi

# ---- the interface goes away ------------------------------------------------

# gone_test NAME HOW: start pping@IF, delete IF, expect the unit to end
# inactive with result success and nothing left. pping checks its
# interface once a second and exits 1 when it is gone; systemd stops the
# unit when udev reports the device gone. HOW says who comes first:
#   prompt  as it happens: udev and systemd, within milliseconds, almost
#           always before pping's next check;
#   late    udevd held (SIGSTOP) until pping has exited on its own, as
#           when udev is slow: systemd cancels the restart it scheduled;
#   check   pping held (SIGSTOP) across its check, so it runs the check the
#           moment systemd's SIGTERM (and SIGCONT) wakes it: its exit 1
#           lands while systemd is stopping the unit. Unheld, this happens
#           to a few percent of deletions (pping's check falls in the
#           milliseconds between the deletion and systemd's SIGTERM).
gone_test() {
	local name=$1 how=$2 ids udevd pid t problems="" saw
	if ! start_attached; then
		fail "$name" "did not start: $(unit_story)"
		return
	fi
	pid=$(main_pid)
	ids=$(bpf_ids "$pid")
	udevd=$(in_ctr systemctl show -p MainPID --value systemd-udevd.service)
	case $how in
	late) in_ctr kill -STOP "$udevd" ;;
	check) in_ctr kill -STOP "$pid" && sleep 1.2 ;;   # its 1 s check falls due
	esac
	t=$(ms)
	in_ctr ip link del "$IF"
	if [ "$how" = late ]; then
		wait_until 5 eval '[ "$(main_pid)" = 0 ]'
		in_ctr kill -CONT "$udevd"
	fi
	wait_until 10 has_ended || problems+=" still $(unit_prop ActiveState) after 10 s;"
	saw=$(in_ctr journalctl -q -u "pping@$IF.service" _PID="$pid" -o cat --no-pager |
		grep -c "interface $IF .*disappeared")
	[ "$(unit_prop ActiveState)" = inactive ] && [ "$(unit_prop Result)" = success ] ||
		problems+=" ended $(unit_prop ActiveState) with result $(unit_prop Result)$([ "$saw" -gt 0 ] &&
			echo ": pping saw the interface gone itself and exited $(unit_prop ExecMainStatus)$([ "$how" = check ] &&
				echo " while systemd was stopping the unit, so systemd counts the stop as a failure (SuccessExitStatus= does not list that status)")");"
	wait_until 5 nothing_left "$ids" || problems+=" left: $(ids_left "$ids" | tr '\n' ' ');"
	if [ -z "$problems" ]; then
		pass "$name"
		echo "  inactive, result success, $(($(ms) - t)) ms after ip link del$([ "$saw" -gt 0 ] && echo " (pping had seen it gone)")"
	else
		fail "$name" "$problems $(unit_story)"
	fi
	in_ctr systemctl reset-failed "pping@$IF.service" 2>/dev/null
}

# The interface comes back (a veth inside the container; no traffic needed).
recreate_if() {
	in_ctr ip link add "$IF" type veth peer name "${IF}p" &&
		wait_until 5 eval '[ "$(in_ctr systemctl is-active sys-subsystem-net-devices-$IF.device)" = active ]'
}

gone_test interface-gone prompt

# An enabled instance starts when the interface appears.
out=$(in_ctr systemctl enable "pping@$IF.service" 2>&1); rc=$?
if [ $rc -eq 0 ] && recreate_if && wait_until 10 attached; then
	pass interface-appears
else
	fail interface-appears "enable exit $rc ($out), interface back: $(in_ctr ip -br link show "$IF" 2>&1); $(unit_story)"
	recreate_if
fi
in_ctr systemctl stop "pping@$IF.service"
in_ctr systemctl disable "pping@$IF.service" >/dev/null 2>&1

gone_test interface-gone-udev-late late
recreate_if || fail setup "cannot recreate $IF in the container"
gone_test interface-gone-during-check check

summary
