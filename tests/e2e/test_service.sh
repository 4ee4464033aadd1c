#!/usr/bin/env bash
# Packaging: the systemd unit verifies and keeps its promises (restart
# policy, device binding, capability set), `make install` / `make uninstall`
# put and remove every file, the man page renders cleanly and documents
# every option of --help with its default and range, and pping really runs
# with nothing but the unit's capabilities, its system call filter and its
# address families.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

PPING=$PWD/pping
UNIT=scripts/pping@.service
MAN=doc/pping.8
NS=pp$$-svc
TMP=$(mktemp -d)
# An unprivileged uid and gid, as DynamicUser= would allocate.
SVC_UID=61934
cleanup() {
	if [ "${PPING_KEEP_NS:-0}" = 1 ]; then
		echo "kept namespace $NS and $TMP" >&2
		return
	fi
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# unit_values KEY: every value of KEY= in the unit, space-separated.
unit_values() {
	sed -n "s/^$1=//p" "$UNIT" | tr '\n' ' ' | sed 's/ *$//'
}
sorted_words() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# The capability set the unit grants, e.g. "CAP_BPF CAP_NET_ADMIN ...".
CAPS=$(unit_values CapabilityBoundingSet | sorted_words)
AMBIENT=$(unit_values AmbientCapabilities | sorted_words)
# setpriv spelling: "+bpf,+net_admin,...".
setpriv_caps() {
	local c out=
	for c in "$@"; do
		c=${c#CAP_}
		out="$out,+${c,,}"
	done
	echo "${out#,}"
}

# run_with_caps CAP... -- PPING_ARGS...: pping in $NS as an unprivileged
# uid holding exactly CAP... (bounding, inheritable and ambient), as the
# unit starts it with DynamicUser= and AmbientCapabilities=.
run_with_caps() {
	local caps=()
	while [ "$1" != "--" ]; do caps+=("$1"); shift; done
	shift
	local s
	s=$(setpriv_caps "${caps[@]}")
	ip netns exec "$NS" setpriv --reuid=$SVC_UID --regid=$SVC_UID --clear-groups \
		--bounding-set="-all${s:+,$s}" --inh-caps="-all${s:+,$s}" \
		--ambient-caps="-all${s:+,$s}" -- "$PPING" "$@"
}

# Tools the checks below use without naming them when they fail: a missing
# one is a FAIL (make deps installs them), and the checks still run.
need_tools service-tools iperf3 man ip

# ---- the unit ---------------------------------------------------------------

want_caps="CAP_BPF CAP_NET_ADMIN CAP_PERFMON"
problems=""
[ "$CAPS" = "$want_caps" ] || problems+=" CapabilityBoundingSet='$CAPS' (want '$want_caps');"
[ "$AMBIENT" = "$want_caps" ] || problems+=" AmbientCapabilities='$AMBIENT' (want '$want_caps');"
[ "$(unit_values Restart)" = on-failure ] || problems+=" Restart is not on-failure;"
[ "$(unit_values RestartPreventExitStatus)" = 2 ] ||
	problems+=" a bad command line (exit 2) would restart;"
[ "$(unit_values BindsTo)" = 'sys-subsystem-net-devices-%i.device' ] ||
	problems+=" not BindsTo the interface's device;"
grep -qx 'After=sys-subsystem-net-devices-%i.device' "$UNIT" ||
	problems+=" not After the interface's device;"
grep -qE '^ExecStart=@SBINDIR@/pping -i %I .*\$PPING_OPTS' "$UNIT" ||
	problems+=" ExecStart does not run @SBINDIR@/pping -i %I \$PPING_OPTS;"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNIT" ||
	problems+=" no ExecReload sending SIGHUP;"
[ "$(unit_values DynamicUser)" = yes ] || problems+=" runs as root (DynamicUser is not yes);"
[ -z "$problems" ] && pass unit-content || fail unit-content "$problems"

# ---- make install / uninstall -----------------------------------------------

# -o pping: install the binary under test, never rebuild it here.
make_q() { make -s --no-print-directory -o pping "$@"; }

# installed_ok ROOT SBINDIR MANDIR UNITDIR BINDIR: what is wrong, if anything.
installed_problems() {
	local root=$1 sbin=$2 man=$3 unit=$4 bin=$5 p="" v
	if [ -x "$root$sbin/pping" ]; then
		v=$("$root$sbin/pping" --version 2>&1)
		[ "$v" = "$("$PPING" --version)" ] || p+=" installed --version says '$v';"
	else
		p+=" no executable $sbin/pping;"
	fi
	cmp -s "$MAN" "$root$man/man8/pping.8" || p+=" man page not at $man/man8/pping.8;"
	if [ -f "$root$unit/pping@.service" ]; then
		grep -qx "ExecStart=$sbin/pping -i %I \$PPING_OPTS" "$root$unit/pping@.service" ||
			p+=" installed unit's ExecStart: $(grep ^ExecStart= "$root$unit/pping@.service");"
		grep -q @SBINDIR@ "$root$unit/pping@.service" && p+=" @SBINDIR@ left in the unit;"
		[ "$(stat -c %a "$root$unit/pping@.service")" = 644 ] || p+=" unit is not mode 644;"
	else
		p+=" no unit at $unit/pping@.service;"
	fi
	if [ -f scripts/pping-plot ] && [ ! -x "$root$bin/pping-plot" ]; then
		p+=" no executable $bin/pping-plot;"
	fi
	echo "$p"
}

D=$TMP/destdir
out=$(make_q install DESTDIR="$D" PREFIX=/usr 2>&1); rc=$?
p=$(installed_problems "$D" /usr/sbin /usr/share/man /usr/lib/systemd/system /usr/bin)
[ $rc -eq 0 ] && [ -z "$p" ] && pass install-prefix-usr ||
	fail install-prefix-usr "make install exit $rc: $out;$p"

out=$(make_q uninstall DESTDIR="$D" PREFIX=/usr 2>&1); rc=$?
left=$(find "$D" -type f 2>/dev/null)
[ $rc -eq 0 ] && [ -z "$left" ] && pass uninstall ||
	fail uninstall "make uninstall exit $rc: $out; left:" $left

D=$TMP/destdir-default
out=$(make_q install DESTDIR="$D" 2>&1); rc=$?
p=$(installed_problems "$D" /usr/local/sbin /usr/local/share/man \
	/usr/local/lib/systemd/system /usr/local/bin)
[ $rc -eq 0 ] && [ -z "$p" ] && pass install-default-prefix ||
	fail install-default-prefix "make install exit $rc: $out;$p"

# systemd-analyze verify wants an instance and an ExecStart that exists, and
# checks the man: reference; install for real into a prefix of its own.
V=$TMP/prefix
if ! command -v systemd-analyze >/dev/null; then
	fail unit-verifies "systemd-analyze missing (make deps installs systemd)"
elif ! out=$(make_q install PREFIX="$V" 2>&1); then
	fail unit-verifies "make install PREFIX=$V: $out"
else
	ln -s 'pping@.service' "$V/lib/systemd/system/pping@eth0.service"
	out=$(cd "$TMP" && MANPATH=$V/share/man systemd-analyze verify \
		"$V/lib/systemd/system/pping@eth0.service" 2>&1); rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ] && pass unit-verifies ||
		fail unit-verifies "exit $rc: $out"
fi

# ---- the man page -----------------------------------------------------------

out=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && pass man-renders-clean ||
	fail man-renders-clean "man exit $rc: $out"

help=$("$PPING" --help)
# The runs below use -w and --metrics as the unit's users would; a --help
# without them is a failure, and those runs go ahead all the same.
help_lists help-lists-write-and-metrics --write --metrics

# help_entries: "--long<TAB>text of its entry" per option of --help.
help_entries() {
	awk '
	function flush() { if (opt != "") print opt "\t" text; opt = ""; text = "" }
	/^  (-[A-Za-z], )?--[a-z]/ || /^      --[a-z]/ {
		flush()
		match($0, /--[a-z0-9-]+/)
		opt = substr($0, RSTART, RLENGTH)
		text = $0
		next
	}
	/^                           / && opt != "" { text = text " " $0; next }
	{ flush() }
	END { flush() }' <<<"$help"
}

# man_entries: "--long<TAB>plain text of its entry" per .TP entry of the
# OPTIONS section whose tag names a long option.
man_entries() {
	awk '
	function flush() { if (opt != "") print opt "\t" text; opt = ""; text = "" }
	/^\.SH/ { flush(); in_opts = ($0 ~ /^\.SH OPTIONS/); next }
	!in_opts { next }
	/^\.TP/ { flush(); tag = 1; next }
	{
		line = $0
		sub(/^\.[A-Z]+ */, "", line)
		gsub(/\\-/, "-", line); gsub(/\\f[BIRP]/, "", line)
		gsub(/\\\(mu/, "x", line); gsub(/"/, "", line)
		if (tag) {
			tag = 0
			if (match(line, /--[a-z0-9-]+/)) {
				opt = substr(line, RSTART, RLENGTH)
				text = line
			}
			next
		}
		if (opt != "") text = text " " line
	}
	END { flush() }' "$MAN"
}

declare -A MANTXT
while IFS=$'\t' read -r o t; do MANTXT[$o]=$t; done < <(man_entries)
declare -A HELPTXT
while IFS=$'\t' read -r o t; do HELPTXT[$o]=$t; done < <(help_entries)

missing=""
for o in "${!HELPTXT[@]}"; do
	[ -n "${MANTXT[$o]+x}" ] || missing+=" $o"
done
[ ${#HELPTXT[@]} -ge 10 ] && [ -z "$missing" ] &&
	pass man-documents-every-option ||
	fail man-documents-every-option "${#HELPTXT[@]} options in --help; no man entry for:$missing"

stale=""
for o in "${!MANTXT[@]}"; do
	[ -n "${HELPTXT[$o]+x}" ] || stale+=" $o"
done
[ -z "$stale" ] && pass man-has-no-stale-option ||
	fail man-has-no-stale-option "in the man page but not in --help:$stale"

# Every one-word default and every "A to B" range of an option's --help
# entry must appear in its man entry.
drift=""
for o in "${!HELPTXT[@]}"; do
	[ -n "${MANTXT[$o]+x}" ] || continue
	h=${HELPTXT[$o]} m=${MANTXT[$o]}
	while read -r v; do
		[ -z "$v" ] && continue
		grep -qiE "default(s to)?:? $v([^0-9A-Za-z]|$)" <<<"$m" ||
			drift+=" $o: default $v;"
	done < <(grep -oE 'default:? [A-Za-z0-9.]+[;)]' <<<"$h" |
		 sed -E 's/default:? //; s/[;)]$//')
	while read -r r; do
		[ -z "$r" ] && continue
		grep -qF -- "$r" <<<"$m" || drift+=" $o: range '$r';"
	done < <(grep -oE '[0-9][0-9.]*[a-z]* to [0-9][0-9.]*[a-z]*' <<<"$h")
done
[ -z "$drift" ] && pass man-defaults-and-ranges-match-help ||
	fail man-defaults-and-ranges-match-help "$drift"

# ---- pping under the unit's privileges --------------------------------------

ip netns add "$NS" && ip -n "$NS" link set lo up || { fail setup "cannot create $NS"; summary; }

# A short TCP exchange on the namespace's loopback while pping runs, so the
# runs below measure RTTs and run cleanup (the iterators), not just attach.
traffic() {
	ip netns exec "$NS" timeout 5 iperf3 -s -1 -B 127.0.0.1 -p 5299 >/dev/null 2>&1 &
	sleep 0.3
	ip netns exec "$NS" iperf3 -c 127.0.0.1 -p 5299 -t 1 -b 20M >/dev/null 2>&1
	wait $!
}

read -r -a cap_list <<<"$CAPS"
if ! command -v setpriv >/dev/null; then
	fail caps-unit-set-runs "setpriv missing (make deps installs util-linux)"
else
	run_with_caps "${cap_list[@]}" -- -i lo -d 2s -c 200ms -v \
		>"$TMP/caps.out" 2>"$TMP/caps.err" &
	pid=$!
	sleep 0.5
	traffic
	wait $pid; rc=$?
	rtts=$(grep -c ' ms .* ms TCP ' "$TMP/caps.out")
	runs=$(sed -n 's/^pping: cleanup: \([0-9]*\) runs.*/\1/p' "$TMP/caps.err")
	if [ $rc -eq 0 ] && grep -q "attached to lo" "$TMP/caps.err" &&
	   [ "$rtts" -gt 0 ] && [ "${runs:-0}" -gt 0 ]; then
		pass caps-unit-set-runs
	else
		fail caps-unit-set-runs "uid $SVC_UID with $CAPS: exit $rc, $rtts RTT lines, ${runs:-no} cleanup runs; stderr: $(grep -v '^pping: map ' "$TMP/caps.err" | head -5)"
	fi

	# Each capability is needed, and its absence is reported as a
	# missing privilege (naming the capabilities), not as something else.
	for c in "${cap_list[@]}"; do
		less=()
		for k in "${cap_list[@]}"; do [ "$k" = "$c" ] || less+=("$k"); done
		err=$(run_with_caps "${less[@]}" -- -i lo -d 1s 2>&1 >/dev/null); rc=$?
		name=caps-without-${c#CAP_}
		name=${name,,}
		if [ $rc -eq 1 ] && grep -q "$c" <<<"$err"; then
			pass "$name"
		else
			fail "$name" "exit $rc (want 1 and an error naming $c): $err"
		fi
	done
fi

# ---- the unit's system call filter and address families ---------------------

# expand_filter WORD...: the system calls a SystemCallFilter= allows.
expand_filter() {
	local w
	for w in "$@"; do
		if [[ $w == @* ]]; then
			systemd-analyze --no-pager syscall-filter "$w" </dev/null 2>/dev/null |
				sed -n 's/^    \([@a-z0-9_-]\+\)$/\1/p' | while read -r s; do
					if [[ $s == @* ]]; then expand_filter "$s"; else echo "$s"; fi
				done
		else
			echo "$w"
		fi
	done
}

if ! command -v strace >/dev/null; then
	fail syscall-filter-covers-pping "strace missing (make deps installs it)"
else
	read -r -a filter <<<"$(unit_values SystemCallFilter)"
	expand_filter "${filter[@]}" | sort -u >"$TMP/allowed"
	extra=()
	# Writable by the service's uid only, as its LogsDirectory= is.
	chmod 711 "$TMP"
	install -d -o $SVC_UID -g $SVC_UID "$TMP/logs"
	extra+=(-w "$TMP/logs/out.jsonl" -F jsonl --metrics 127.0.0.1:9399)
	ip netns exec "$NS" strace -f -qq -o "$TMP/strace" \
		setpriv --reuid=$SVC_UID --regid=$SVC_UID --clear-groups \
		--bounding-set="-all,$(setpriv_caps "${cap_list[@]}")" \
		--inh-caps="-all,$(setpriv_caps "${cap_list[@]}")" \
		--ambient-caps="-all,$(setpriv_caps "${cap_list[@]}")" -- \
		"$PPING" -i lo -d 2s -c 200ms "${extra[@]}" >/dev/null 2>"$TMP/strace.err" &
	pid=$!
	sleep 0.6
	traffic
	ip netns exec "$NS" timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9399 &&
		printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' >/dev/null 2>&1
	wait $pid; rc=$?
	# Only what pping and its watchdog call, after setpriv exec'd it.
	used=$(awk 'seen { print } /execve\(".*\/pping"/ { seen = 1 }' "$TMP/strace" |
	       sed -nE 's/^[0-9]+ +([a-z_0-9]+)\(.*/\1/p' | sort -u)
	denied=$(comm -23 <(echo "$used") "$TMP/allowed" | tr '\n' ' ')
	if [ $rc -eq 0 ] && [ -n "$used" ] && [ -z "$denied" ]; then
		pass syscall-filter-covers-pping
	else
		fail syscall-filter-covers-pping "exit $rc; calls outside SystemCallFilter: ${denied:-none} $(head -3 "$TMP/strace.err")"
	fi
	fams=$(sed -nE 's/.*socket\((AF_[A-Z0-9]+),.*/\1/p' "$TMP/strace" | sort -u | tr '\n' ' ')
	allowed_fams=" $(unit_values RestrictAddressFamilies) "
	bad=""
	for f in $fams; do [[ $allowed_fams == *" $f "* ]] || bad+=" $f"; done
	[ -n "$fams" ] && [ -z "$bad" ] && pass address-families-cover-pping ||
		fail address-families-cover-pping "pping opened:$fams; not in RestrictAddressFamilies:$bad"
fi

# ---- reload -----------------------------------------------------------------

# systemctl reload sends SIGHUP: without -w it must change nothing.
ip netns exec "$NS" "$PPING" -i lo -d 3s >/dev/null 2>"$TMP/hup.err" &
pid=$!
sleep 1
kill -HUP $pid 2>/dev/null
sleep 0.3
if kill -0 $pid 2>/dev/null; then
	kill -TERM $pid; wait $pid; rc=$?
	[ $rc -eq 0 ] && pass reload-without-write ||
		fail reload-without-write "after SIGHUP and SIGTERM: exit $rc"
else
	wait $pid; rc=$?
	fail reload-without-write "SIGHUP ended pping (exit $rc): $(tail -2 "$TMP/hup.err")"
fi

# With -w, the logrotate recipe in the unit: move the file, reload, and the
# next records go to a new file of that name.
log=$TMP/rot.log
ip netns exec "$NS" "$PPING" -i lo -d 4s -r 0 -w "$log" 2>"$TMP/rot.err" &
pid=$!
sleep 0.5
traffic
mv "$log" "$log.1" 2>/dev/null
kill -HUP $pid
sleep 0.3
traffic
wait $pid; rc=$?
a=$(grep -c ' ms ' "$log.1" 2>/dev/null); b=$(grep -c ' ms ' "$log" 2>/dev/null)
[ $rc -eq 0 ] && [ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt 0 ] &&
	pass reload-reopens-write-file ||
	fail reload-reopens-write-file "exit $rc; RTT lines before the move ${a:-none}, after ${b:-none}: $(tail -2 "$TMP/rot.err")"

summary
