#!/usr/bin/env bash
# Runs one test command against the ASan+UBSan build (make sanitize-build,
# in build-san/) and fails if a sanitizer reported anything, even in a
# process whose own test passed (a daemon run whose stderr the test threw
# away, a leak found at exit).
#   tests/sanitize.sh unit            the unit tests, sanitized
#   tests/sanitize.sh tests/e2e/X.sh  an e2e suite with PP_BIN=build-san/pping
# Reports go to files (log_path), one per process, so none is lost in a
# test's own output; each one becomes a FAIL line with its first lines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/check.sh

SAN_OUT=${SAN_OUT:-build-san}
what=${1:?usage: tests/sanitize.sh unit|SUITE}

for bin in "$SAN_OUT/pping" "$SAN_OUT/tests/test_bpf"; do
	# A plain binary here would pass without checking anything.
	if ! nm "$bin" 2>/dev/null | grep -q __asan_init; then
		fail sanitize-build "$bin is missing or not built with SANITIZE=1 (run make sanitize-build)"
		summary
	fi
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/pping-san.XXXXXX")
trap 'rm -rf "$logs"' EXIT
# halt_on_error=0 for UBSan: report every finding of a run, not the first.
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=0"
export PP_BIN=$PWD/$SAN_OUT/pping

if [ "$what" = unit ]; then
	"./$SAN_OUT/tests/test_bpf"
else
	"./$what"
fi
rc=$?

n=0
for f in "$logs"/*; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	fail "sanitizer-report-$n" "$(basename "$f"): $(grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$f" | tr '\n' ' ')"
	sed 's/^/    /' "$f" | head -40
done
[ "$n" -eq 0 ] && pass "sanitizer-clean"
[ "$rc" -eq 0 ] || _fails=$((_fails + 1))
summary
