#!/usr/bin/env bash
# The Debian package (make deb, debian/): it builds (or is up to date),
# lintian passes it (no error, warning or info tag that debian/ does not
# override with a reason, and no stale override), it holds the binary, both
# manual pages, pping-plot, the template unit, /etc/default/pping and the
# logrotate snippet as conffiles and nothing else; /etc/default/pping sets
# nothing and lists exactly the options of --help that fit the unit, with
# --help's defaults; the logrotate snippet rotates what it should and not
# its own rotations.
# Then it is installed on this machine with dpkg (the real maintainer
# scripts, with PID 1 not systemd, and dependencies checked against this
# system's), the installed pping runs (--version, --probe), no instance is
# enabled; dpkg -r keeps the conffiles and logs, dpkg -P removes everything:
# every file it had, its conffiles, the logs of the unit and the links of an
# instance an administrator enabled. If pping is already installed here,
# the install tests fail without touching it.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-deb.XXXXXX")
INSTALLED_BY_US=0
MADE_LOG_PRIVATE=0
MADE_LOGS=0
IFACE=pptest$$
cleanup() {
	if [ "$INSTALLED_BY_US" = 1 ] &&
		dpkg-query -W -f='${Status}' pping 2>/dev/null | grep -qv 'not-installed'; then
		dpkg --purge pping >/dev/null 2>&1
	fi
	rm -f "/etc/systemd/system/sys-subsystem-net-devices-$IFACE.device.wants/pping@$IFACE.service"
	rmdir "/etc/systemd/system/sys-subsystem-net-devices-$IFACE.device.wants" 2>/dev/null
	if [ "$MADE_LOGS" = 1 ]; then
		rm -rf /var/log/pping /var/log/private/pping
		[ "$MADE_LOG_PRIVATE" = 1 ] && rmdir /var/log/private 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

need_tools deb-tools dpkg-buildpackage dh lintian help2man logrotate dpkg-deb man systemctl ||
	summary

ARCH=$(dpkg --print-architecture)

# ---- build ------------------------------------------------------------------

start=$SECONDS
out=$(make -s --no-print-directory deb 2>&1); rc=$?
took=$((SECONDS - start))
debs=(build/deb/pping_*_"$ARCH".deb)
DEB=${debs[0]}
if [ $rc -ne 0 ] || [ ${#debs[@]} -ne 1 ] || [ ! -f "$DEB" ]; then
	fail deb-builds "make deb exit $rc after ${took}s, packages: ${debs[*]}: $(tail -n 30 <<<"$out")"
	summary
fi
VER=$(dpkg-deb -f "$DEB" Version)
if [[ $VER =~ ^0\.0\+git[0-9]{8}\.[0-9]{6}\.([0-9a-f]{7,40})(\+dirty)?$ ]] &&
	[ "$(basename "$DEB")" = "pping_${VER}_$ARCH.deb" ]; then
	COMMIT=${BASH_REMATCH[1]}
	pass deb-builds
	echo "  $DEB in ${took}s"
else
	COMMIT=unknown
	fail deb-builds "version '$VER' is not 0.0+gitYYYYMMDD.HHMMSS.COMMIT[+dirty], or $DEB not named after it"
fi

# A second make deb finds the package up to date: it must not rebuild.
before=$(stat -c %Y "$DEB")
out=$(make -s --no-print-directory deb 2>&1); rc=$?
[ $rc -eq 0 ] && [ -f "$DEB" ] && [ "$(stat -c %Y "$DEB")" = "$before" ] &&
	! grep -q LINTIAN <<<"$out" && pass deb-up-to-date ||
	fail deb-up-to-date "second make deb exit $rc rebuilt it or lost it: $out"

# ---- lintian ----------------------------------------------------------------

CHANGES=build/deb/pping_${VER}_$ARCH.changes
# Errors, warnings and info tags all fail (unused-override is one); what
# debian/ overrides is listed (O:) with its reason in the overrides file.
out=$(lintian --fail-on error,warning,info --display-info "$CHANGES" 2>&1); rc=$?
out=$(grep -v '^running with root privileges' <<<"$out")
if [ $rc -eq 0 ] && ! grep -qE '^[EWI]: ' <<<"$out"; then
	pass deb-lintian
	# (--show-overrides alone makes lintian exit 2: only for this list)
	lintian --show-overrides "$CHANGES" 2>&1 | grep '^O: ' | sed 's/^/  /'
else
	fail deb-lintian "lintian exit $rc: $out"
fi

# ---- contents ---------------------------------------------------------------

X=$TMP/x
dpkg-deb -x "$DEB" "$X"
want=(
	/usr/sbin/pping /usr/bin/pping-plot
	/usr/share/man/man8/pping.8.gz /usr/share/man/man1/pping-plot.1.gz
	/lib/systemd/system/pping@.service
	/etc/default/pping /etc/logrotate.d/pping
	/usr/share/doc/pping/copyright /usr/share/doc/pping/changelog.gz
	/usr/share/lintian/overrides/pping
)
p=""
for f in "${want[@]}"; do [ -f "$X$f" ] || p+=" no $f;"; done
[ -x "$X/usr/sbin/pping" ] && [ -x "$X/usr/bin/pping-plot" ] || p+=" pping or pping-plot not executable;"
files=$(cd "$X" && find . -type f | sed 's/^\.//' | sort)
extra=$(comm -13 <(printf '%s\n' "${want[@]}" | sort) - <<<"$files" | tr '\n' ' ')
[ -z "$extra" ] || p+=" unexpected files: $extra;"
conf=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles | sort | tr '\n' ' ')
[ "$conf" = "/etc/default/pping /etc/logrotate.d/pping " ] || p+=" conffiles: '$conf';"
UNIT=$X/lib/systemd/system/pping@.service
grep -qx 'ExecStart=/usr/sbin/pping -i %I $PPING_OPTS' "$UNIT" ||
	p+=" unit: $(grep ^ExecStart= "$UNIT");"
grep -qx 'EnvironmentFile=-/etc/default/pping' "$UNIT" || p+=" unit does not read /etc/default/pping;"
dep=$(dpkg-deb -f "$DEB" Depends)
for l in libbpf1 libxdp1 libpcap0.8 libmicrohttpd12 libc6; do
	grep -qw "$l" <<<"$dep" || p+=" Depends lacks $l ($dep);"
done
grep -q gnuplot <<<"$(dpkg-deb -f "$DEB" Recommends)" || p+=" does not recommend gnuplot;"
# Nothing enables or starts an instance: only the unit's own hooks run.
scripts=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./postinst ./prerm ./postrm 2>/dev/null |
	grep -vE '^[[:space:]]*#')
grep -qE 'deb-systemd-helper (enable|update-state)|deb-systemd-invoke (start|restart)|systemctl (enable|start)' \
	<<<"$scripts" && p+=" a maintainer script enables or starts a unit;"
# The BPF objects are inside the binary (skeletons), not beside it: one
# embedded ELF object for the BPF machine (e_machine 247) per bpf/*.bpf.c.
nbpf=$(python3 -c '
import re, sys
b = open(sys.argv[1], "rb").read()
print(sum(1 for m in re.finditer(rb"\x7fELF\x02\x01", b) if b[m.start() + 18:m.start() + 20] == b"\xf7\x00"))
' "$X/usr/sbin/pping" 2>&1)
nsrc=$(ls bpf/*.bpf.c | wc -l)
[ "$nbpf" = "$nsrc" ] || p+=" $nbpf BPF objects inside the binary, $nsrc in bpf/;"
[ -z "$p" ] && pass deb-contents || fail deb-contents "$p"

# ---- /etc/default/pping -------------------------------------------------------

DEF=$X/etc/default/pping
HELP=$("$X/usr/sbin/pping" --help 2>&1)
# Options that make no sense in the unit: it gives -i, runs until stopped,
# and does not replay captures (--read, --threads, --local-net, --replay-runs).
NOT_FOR_UNIT="--interface --read --threads --local-net --replay-runs --probe --duration --version --help"
help_opts=$(grep -oE '^ {2,6}(-[A-Za-z], )?--[a-z0-9-]+' <<<"$HELP" | grep -oE -- '--[a-z0-9-]+' | sort -u)
def_opts=$(grep -oE '^#   --[a-z0-9-]+' "$DEF" | grep -oE -- '--[a-z0-9-]+' | sort -u)
p=""
# Nothing active: every line a comment or blank, and sh sets nothing from it.
bad=$(grep -nvE '^(#.*)?$' "$DEF")
[ -z "$bad" ] || p+=" lines that are not comments: $bad;"
set_opts=$(env -i sh -c '. "$1"; echo "${PPING_OPTS-unset}"' sh "$DEF" 2>&1)
[ "$set_opts" = unset ] || p+=" sourcing it sets PPING_OPTS='$set_opts';"
for o in $help_opts; do
	[[ " $NOT_FOR_UNIT " == *" $o "* ]] && continue
	grep -qx -- "$o" <<<"$def_opts" || p+=" --help's $o not listed;"
done
for o in $def_opts; do
	grep -qx -- "$o" <<<"$help_opts" || p+=" $o is not an option of --help;"
	[[ " $NOT_FOR_UNIT " == *" $o "* ]] && p+=" $o does not fit the unit;"
done
# Each default it states is the one --help states for that option.
while IFS= read -r line; do
	o=$(grep -oE -- '--[a-z0-9-]+' <<<"$line" | head -n 1)
	d=$(grep -oE 'default:? [^);,]+' <<<"$line" | head -n 1 | sed -E 's/^default:? //')
	[ -n "$d" ] || continue
	# The option's lines of --help: its own (indented by 2 to 6) and the
	# continuation lines up to the next option or heading.
	block=$(awk -v o="$o" '
		/^  +(-[A-Za-z], )?--[a-z0-9-]/ && match($0, /^ +/) && RLENGTH <= 6 {
			split(substr($0, RLENGTH + 1), w, " ")
			cur = (w[1] == o || w[2] == o)
		}
		/^[^ ]/ || /^$/ { cur = 0 }
		cur { print }' <<<"$HELP" | tr -s ' \n' ' ')
	grep -qE -- "default:? $(sed 's/[.[\*^$]/\\&/g' <<<"$d")([^0-9A-Za-z]|$)" <<<"$block" ||
		p+=" $o: default '$d' here, --help: '$block';"
done < <(grep -E '^#   --' "$DEF")
long=$(awk 'length > 100 { printf " %d", NR }' "$DEF")
[ -z "$long" ] || p+=" lines over 100 characters:$long;"
[ -z "$p" ] && pass deb-default-file || fail deb-default-file "$p"

# ---- logrotate --------------------------------------------------------------

LR=$X/etc/logrotate.d/pping
out=$(logrotate -d "$LR" 2>&1); rc=$?
p=""
[ $rc -eq 0 ] && ! grep -qi 'error' <<<"$out" || p+=" logrotate -d exit $rc: $out;"
# The same rules on a directory of ours: -w files rotate, their earlier
# rotations move on and get compressed but are never rotated themselves.
# The postrotate step does nothing without systemd as PID 1 (as here) and
# must not fail.
L=$TMP/log
mkdir -p "$L"
sed "s|/var/log/pping/|$L/|g" "$LR" >"$TMP/lr.conf"
for f in eth0.jsonl eth1.log eth2.json eth3.txt eth4.ppviz; do echo data >"$L/$f"; done
echo old >"$L/eth0.jsonl.1"
out=$(logrotate -f -s "$TMP/lr.state" "$TMP/lr.conf" 2>&1); rc=$?
[ $rc -eq 0 ] || p+=" logrotate -f exit $rc: $out;"
for f in eth0.jsonl eth1.log eth2.json eth3.txt eth4.ppviz; do
	[ -f "$L/$f.1" ] && [ ! -e "$L/$f" ] || p+=" $f not rotated (nocreate: pping makes it anew);"
done
[ -f "$L/eth0.jsonl.2.gz" ] || p+=" the earlier rotation did not become eth0.jsonl.2.gz;"
left=$(cd "$L" && ls | grep -E '\.[0-9]+(\.gz)?\.[0-9]+' | tr '\n' ' ')
[ -z "$left" ] || p+=" rotated a rotation: $left;"
grep -q "systemctl try-reload-or-restart 'pping@\*.service'" "$LR" ||
	p+=" postrotate does not reload the running instances;"
systemctl --help 2>&1 | grep -q try-reload-or-restart || p+=" systemctl lacks try-reload-or-restart;"
[ -z "$p" ] && pass deb-logrotate || fail deb-logrotate "$p"

# ---- install, remove, purge -------------------------------------------------

# Every path of the system with "pping" in its name where a package, its
# maintainer scripts, systemctl or the unit could leave one.
pping_paths() {
	find -H /etc /usr /lib /var/lib/systemd /var/lib/dpkg/info /var/log \
		-path /usr/local -prune -o -iname '*pping*' -print 2>/dev/null | sort -u
}

status=$(dpkg-query -W -f='${Status}' pping 2>/dev/null)
why=""
if [ -n "$status" ] && [ "$status" != "unknown ok not-installed" ]; then
	why="pping is already installed here ($status)"
elif [ -e /var/log/pping ] || [ -L /var/log/pping ] || [ -e /var/log/private/pping ]; then
	why="/var/log/pping or /var/log/private/pping exists (purging the package removes them)"
fi
if [ -n "$why" ]; then
	for t in deb-install deb-installed-runs deb-not-enabled deb-reinstall deb-remove deb-purge; do
		fail $t "$why: this test installs and purges a package of its own, and leaves what it did not make alone (dpkg --purge pping, then run it again)"
	done
	summary
fi

BEFORE=$(pping_paths)
[ -d /var/log/private ] || MADE_LOG_PRIVATE=1

INSTALLED_BY_US=1
out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" 2>&1); rc=$?
status=$(dpkg-query -W -f='${Status} ${Version}' pping 2>/dev/null)
if [ $rc -eq 0 ] && [ "$status" = "install ok installed $VER" ] && ! grep -qi 'warning\|error' <<<"$out"; then
	pass deb-install
else
	fail deb-install "dpkg -i exit $rc, status '$status': $out"
fi
LIST=$(dpkg -L pping 2>/dev/null)

p=""
v=$(/usr/sbin/pping --version 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $v == "pping $COMMIT"* ]] || p+=" /usr/sbin/pping --version exit $rc: '$v' (want pping $COMMIT...);"
out=$(/usr/sbin/pping --probe 2>&1); rc=$?
[ $rc -eq 0 ] || p+=" /usr/sbin/pping --probe exit $rc: $out;"
out=$(/usr/bin/pping-plot --help 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '^usage: pping-plot' <<<"$out" || p+=" pping-plot --help exit $rc: $out;"
for m in "8 pping" "1 pping-plot"; do
	f=/usr/share/man/man${m% *}/${m#* }.${m% *}.gz
	# shellcheck disable=SC2086 # section and name: two words
	grep -qx "$f" <<<"$(man -aw $m 2>&1)" || p+=" man -aw $m does not find $f;"
	out=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	[ -z "$out" ] || p+=" man $m warns: $out;"
done
out=$(logrotate -d /etc/logrotate.d/pping 2>&1) || p+=" logrotate -d of the installed snippet: $out;"
[ -z "$p" ] && pass deb-installed-runs || fail deb-installed-runs "$p"

# No instance enabled, nothing in deb-systemd-helper's state, and the
# template itself cannot be enabled without an instance.
p=""
e=$(systemctl --root=/ is-enabled "pping@$IFACE.service" 2>&1)
[ "$e" = disabled ] || p+=" systemctl is-enabled pping@$IFACE: $e;"
links=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
	/var/lib/systemd/deb-systemd-helper-masked -name '*pping*' 2>/dev/null | tr '\n' ' ')
[ -z "$links" ] || p+=" enabled or recorded: $links;"
[ -z "$p" ] && pass deb-not-enabled || fail deb-not-enabled "$p"

# Installing the same package again runs the upgrade paths of the scripts.
out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" 2>&1); rc=$?
status=$(dpkg-query -W -f='${Status}' pping 2>/dev/null)
[ $rc -eq 0 ] && [ "$status" = "install ok installed" ] && pass deb-reinstall ||
	fail deb-reinstall "dpkg -i exit $rc, status '$status': $out"

# What the unit would have left: its logs (LogsDirectory= with DynamicUser=:
# /var/log/pping -> private/pping) and an instance the administrator enabled.
MADE_LOGS=1
mkdir -p /var/log/private/pping
chmod 0700 /var/log/private
echo '{}' >/var/log/private/pping/eth0.jsonl
echo '{}' >/var/log/private/pping/eth0.jsonl.1
ln -sfn private/pping /var/log/pping
out=$(systemctl --root=/ enable "pping@$IFACE.service" 2>&1)
link=/etc/systemd/system/sys-subsystem-net-devices-$IFACE.device.wants/pping@$IFACE.service
[ -L "$link" ] || fail deb-remove "systemctl --root=/ enable pping@$IFACE made no link: $out"

# dpkg -r: the programs go, the configuration and the logs stay.
out=$(dpkg -r pping 2>&1); rc=$?
status=$(dpkg-query -W -f='${Status}' pping 2>/dev/null)
p=""
[ $rc -eq 0 ] && [ "$status" = "deinstall ok config-files" ] || p+=" dpkg -r exit $rc, status '$status': $out;"
for f in /usr/sbin/pping /usr/bin/pping-plot /lib/systemd/system/pping@.service \
	/usr/share/man/man8/pping.8.gz; do
	[ -e "$f" ] && p+=" $f still there;"
done
for f in /etc/default/pping /etc/logrotate.d/pping /var/log/pping/eth0.jsonl; do
	[ -e "$f" ] || p+=" $f removed (it is configuration or a log: only purge removes it);"
done
[ -z "$p" ] && pass deb-remove || fail deb-remove "$p"

# dpkg -P: nothing of it is left.
out=$(dpkg -P pping 2>&1); rc=$?
status=$(dpkg-query -W -f='${Status}' pping 2>/dev/null)
p=""
if [ $rc -ne 0 ] || { [ -n "$status" ] && [ "$status" != "unknown ok not-installed" ]; }; then
	p+=" dpkg -P exit $rc, status '$status': $out;"
fi
while IFS= read -r f; do
	[ -z "$f" ] && continue
	[ -d "$f" ] && continue # directories, shared ones too (/usr/bin, /lib...): below
	[ -e "$f" ] || [ -L "$f" ] && p+=" $f left;"
done <<<"$LIST"
for f in /etc/default/pping /etc/logrotate.d/pping /lib/systemd/system/pping@.service \
	/usr/share/man/man8/pping.8.gz /usr/share/man/man1/pping-plot.1.gz \
	/var/log/pping /var/log/private/pping "$link"; do
	[ -e "$f" ] || [ -L "$f" ] && p+=" $f left;"
done
[ -d "${link%/*}" ] && p+=" ${link%/*} left;"
AFTER=$(pping_paths)
new=$(comm -13 <(echo "$BEFORE") <(echo "$AFTER") | tr '\n' ' ')
[ -z "${new// /}" ] || p+=" new paths named pping: $new;"
[ -z "$p" ] && pass deb-purge || fail deb-purge "$p"
INSTALLED_BY_US=0

summary
