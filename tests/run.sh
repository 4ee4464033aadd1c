#!/usr/bin/env bash
# Runs every test suite of `make test`. Each suite prints one line per test:
# "PASS name", "FAIL name: why" or "SKIP name: why". This script streams
# them, counts them, and ends with the line "N passed, N failed, N skipped".
# PPING_TEST_ONLY=rtt (a regex of suite names) runs a subset.
set -u
cd "$(dirname "$0")/.."

SUITES=(
	"unit:./build/tests/test_bpf"
	"relay:./tests/relay_selftest.sh"
	"options:./tests/e2e/test_options.sh"
	"rtt:./tests/e2e/test_rtt.sh"
	"accuracy:./tests/e2e/test_accuracy.sh"
	"replay:./tests/e2e/test_replay.sh"
	"sampling:./tests/e2e/test_sampling.sh"
	"gso:./tests/e2e/test_gso.sh"
	"lifecycle:./tests/e2e/test_lifecycle.sh"
	"output:./tests/e2e/test_output.sh"
	"metrics:./tests/e2e/test_metrics.sh"
	"service:./tests/e2e/test_service.sh"
	"aggregate:./tests/e2e/test_aggregate.sh"
	"plot:./tests/e2e/test_plot.sh"
	"overload:./tests/e2e/test_overload.sh"
	"faults:./tests/e2e/test_faults.sh"
	# The same tests with the ASan+UBSan build (make sanitize-build):
	# any sanitizer report fails the suite.
	"unit-asan:./tests/sanitize.sh unit"
	"lifecycle-asan:./tests/sanitize.sh tests/e2e/test_lifecycle.sh"
	"faults-asan:./tests/sanitize.sh tests/e2e/test_faults.sh"
	"replay-asan:./tests/sanitize.sh tests/e2e/test_replay.sh"
)

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL setup: tests need root (BPF, network namespaces)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for s in "${SUITES[@]}"; do
	name=${s%%:*}
	cmd=${s#*:}
	if [ -n "${PPING_TEST_ONLY:-}" ] && ! [[ $name =~ ^(${PPING_TEST_ONLY})$ ]]; then
		continue
	fi
	echo "== $name"
	start=$SECONDS
	$cmd >"$out" 2>&1 &
	pid=$!
	tail -f --pid=$pid -n +1 "$out" 2>/dev/null | sed 's/^/  /'
	wait $pid
	rc=$?
	p=$(grep -c '^PASS' "$out"); f=$(grep -c '^FAIL' "$out"); k=$(grep -c '^SKIP' "$out")
	# A suite that fails without saying which test failed still fails.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  FAIL $name: suite exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
	echo "  ($name: $p passed, $f failed, $k skipped in $((SECONDS - start))s)"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
