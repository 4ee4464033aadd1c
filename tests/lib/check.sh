# Verdict helpers shared by the test scripts (sourced).
_fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; _fails=$((_fails + 1)); }
skip() { echo "SKIP $1: ${2:-}"; }
# Exit status of a suite: non-zero if any test failed.
summary() { [ "$_fails" -eq 0 ]; exit $?; }
