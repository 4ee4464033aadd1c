#!/usr/bin/env bash
# Runs every test suite of `make test`. Each suite prints one line per test:
# "PASS name", "FAIL name: why" or "SKIP name: why". This script streams
# them, counts them, and ends with the line "N passed, N failed, N skipped".
# PPING_TEST_ONLY=rtt (a regex of suite names) runs a subset.
#
# What may be skipped: only a test this kernel refuses to run, and its
# reason must say so with the words "kernel refused" and name the refusal
# (the unit tests print e.g. "SKIP cleanup_flow_timeouts[iter]: kernel
# refused iter: ..."; shell suites use skip() of tests/lib/check.sh). A
# missing tool (make deps installs every one), a missing option or a binary
# not built is a failure. So a SKIP line whose reason lacks "kernel
# refused" is counted as failed, with a line "FAIL name: skipped without a
# kernel refusal: reason"; real kernel refusals stay counted as skipped.
# A suite that fails, or ends, without saying which test failed fails too:
# one that exits non-zero with no FAIL line, and one that prints no
# verdict at all (it stopped before its tests without saying why).
# The exit status is non-zero if anything failed, so `make test` and
# .ci/run fail on a skip that is not a kernel refusal.
set -u
cd "$(dirname "$0")/.."

SUITES=(
	"unit:./build/tests/test_bpf"
	"relay:./tests/relay_selftest.sh"
	"options:./tests/e2e/test_options.sh"
	"rtt:./tests/e2e/test_rtt.sh"
	"seqack:./tests/e2e/test_seqack.sh"
	"icmp:./tests/e2e/test_icmp.sh"
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
	"fallbacks:./tests/e2e/test_fallbacks.sh"
	"faults:./tests/e2e/test_faults.sh"
	"router:./tests/e2e/test_router.sh"
	"probe:./tests/e2e/test_probe.sh"
	"rules:./tests/e2e/test_rules.sh"
	"deb:./tests/e2e/test_deb.sh"
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
	p=$(grep -c '^PASS' "$out"); f=$(grep -c '^FAIL' "$out"); k=0
	# Only a kernel refusal may skip a test; any other SKIP is a failure.
	while IFS= read -r line; do
		t=${line#SKIP }
		if [[ $t == *": "* ]]; then why=${t#*: } t=${t%%: *}; else why=; t=${t%:}; fi
		if [[ $why == *"kernel refused"* ]]; then
			k=$((k + 1))
		else
			echo "  FAIL $t: skipped without a kernel refusal: ${why:-(no reason given)}"
			f=$((f + 1))
		fi
	done < <(grep '^SKIP' "$out")
	# A suite that fails without saying which test failed still fails.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  FAIL $name: suite exited with status $rc"
		f=1
	fi
	# So does one that reports no test at all (it stopped before its
	# tests, e.g. on a missing precondition, without a FAIL line).
	if [ $((p + f + k)) -eq 0 ]; then
		echo "  FAIL $name: suite exited with status $rc without a PASS, FAIL or SKIP line"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
	echo "  ($name: $p passed, $f failed, $k skipped in $((SECONDS - start))s)"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
