# Verdict helpers shared by the test scripts (sourced).
_fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; _fails=$((_fails + 1)); }
skip() { echo "SKIP $1: ${2:-}"; }
# Exit status of a suite: non-zero if any test failed.
summary() { [ "$_fails" -eq 0 ]; exit $?; }

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
