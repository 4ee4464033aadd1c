# Verdict helpers shared by the test scripts (sourced).
_fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; _fails=$((_fails + 1)); }
# skip NAME WHY: only for a test this kernel refuses to run, and WHY must
# say so with the words "kernel refused" and name what was refused, e.g.
#   skip "cleanup[iter]" "kernel refused iter: bpf_iter_link_create: EPERM"
# Anything else a test lacks is a failure, not a skip: a missing tool
# (make deps installs every one; see need_tools), a missing option, a
# binary not built. tests/run.sh counts a SKIP without "kernel refused" as
# a failure, and so does this function: it prints a FAIL line instead.
skip() {
	case ${2:-} in
	*"kernel refused"*) echo "SKIP $1: $2" ;;
	*) fail "$1" "skipped without a kernel refusal: ${2:-}" ;;
	esac
}
# Exit status of a suite: non-zero if any test failed.
summary() { [ "$_fails" -eq 0 ]; exit $?; }

# need_tools NAME TOOL...: a FAIL line naming each TOOL that is not on the
# PATH (make deps installs them all); status 1 if any is missing.
need_tools() {
	local name=$1 t missing=0
	shift
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			fail "$name" "$t is not installed (make deps installs it)"
			missing=1
		fi
	done
	return $missing
}

# help_lists NAME OPTION...: pass NAME if `$PPING --help` lists every
# OPTION, else a FAIL line naming the missing ones. Status 1 if any is
# missing; a caller goes on with its tests (they fail on their own if the
# option really is gone), it never skips them.
help_lists() {
	local name=$1 o help missing=""
	shift
	help=$($PPING --help 2>&1)
	for o in "$@"; do
		grep -q -- "$o" <<<"$help" || missing+=" $o"
	done
	if [ -z "$missing" ]; then
		pass "$name"
		return 0
	fi
	fail "$name" "$PPING --help does not list:$missing"
	return 1
}

# expect_usage NAME PATTERN ARGS...: $PPING ARGS exits 2 with stderr
# matching PATTERN (a bad command line names what was wrong).
expect_usage() {
	local name=$1 pattern=$2 err rc
	shift 2
	err=$($PPING "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 2 ] && grep -qE -- "$pattern" <<<"$err"; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $err"
	fi
}
