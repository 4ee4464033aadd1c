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

# Two lanes run side by side, each suite after the one before it in its
# lane; the side lane's output is printed once the main lane is done. The
# side lane holds suites that need no interface traffic of their own
# timing (the unit tests on injected clocks, replays of files, offline
# checks) or that compare only within their own run: about a quarter of
# the time, which the main lane's waits on delayed paths leave the CPUs
# for. Nothing of either lane may depend on the host being idle: tests
# find their own programs by the daemon's fds (pping_own_prog_ids), and
# suites that look at the host's global state (probe, deb, service, the
# fallbacks' map census) stay in the main lane; the side lane's suites
# attach nothing outside their own namespaces, pin nothing and install
# nothing. PPING_TEST_LANES=1 runs everything in one lane.
SUITES=(
	"relay:./tests/relay_selftest.sh"
	"rtt:./tests/e2e/test_rtt.sh"
	"seqack:./tests/e2e/test_seqack.sh"
	"icmp:./tests/e2e/test_icmp.sh"
	"accuracy:./tests/e2e/test_accuracy.sh"
	"sampling:./tests/e2e/test_sampling.sh"
	"gso:./tests/e2e/test_gso.sh"
	"lifecycle:./tests/e2e/test_lifecycle.sh"
	"metrics:./tests/e2e/test_metrics.sh"
	"service:./tests/e2e/test_service.sh"
	"aggregate:./tests/e2e/test_aggregate.sh"
	"overload:./tests/e2e/test_overload.sh"
	"fallbacks:./tests/e2e/test_fallbacks.sh"
	"faults:./tests/e2e/test_faults.sh"
	"router:./tests/e2e/test_router.sh"
	"probe:./tests/e2e/test_probe.sh"
	"deb:./tests/e2e/test_deb.sh"
	# The same tests with the ASan+UBSan build (make sanitize-build):
	# any sanitizer report fails the suite. faults measures RTTs on a
	# delayed path under load of its own, so it stays in this lane.
	"faults-asan:./tests/sanitize.sh tests/e2e/test_faults.sh"
	"lifecycle-asan:./tests/sanitize.sh tests/e2e/test_lifecycle.sh"
)
SIDE_SUITES=(
	"unit:./build/tests/test_bpf"
	"replay:./tests/e2e/test_replay.sh"
	"options:./tests/e2e/test_options.sh"
	"plot:./tests/e2e/test_plot.sh"
	"rules:./tests/e2e/test_rules.sh"
	"output:./tests/e2e/test_output.sh"
	"unit-asan:./tests/sanitize.sh unit"
	"replay-asan:./tests/sanitize.sh tests/e2e/test_replay.sh"
)

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL setup: tests need root (BPF, network namespaces)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

passed=0 failed=0 skipped=0
dir=$(mktemp -d)
side_pid= pid=
# On an interrupt the running suites end too: each lane's runs in a
# process group of its own (set -m; started in the background, a suite
# would otherwise ignore the terminal's SIGINT), which the trap ends
# whole. Each suite cleans up on its own signal.
trap '[ -n "$side_pid" ] && kill -- -"$side_pid" 2>/dev/null
      [ -n "$pid" ] && kill -- -"$pid" 2>/dev/null; rm -rf "$dir"' EXIT

selected() {
	[ -z "${PPING_TEST_ONLY:-}" ] || [[ $1 =~ ^(${PPING_TEST_ONLY})$ ]]
}

# run NAME CMD: run a suite, its output to $dir/NAME.out, its exit status
# and seconds to $dir/NAME.rc.
run() {
	local start=$SECONDS rc
	$2 >"$dir/$1.out" 2>&1
	rc=$?
	echo "$rc $((SECONDS - start))" >"$dir/$1.rc"
}

# tally NAME: count a finished suite's results and print its verdict.
tally() {
	local name=$1 out=$dir/$1.out rc secs p f k line t why
	read -r rc secs <"$dir/$name.rc"
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
	echo "  ($name: $p passed, $f failed, $k skipped in ${secs}s)"
}

main=("${SUITES[@]}") side=("${SIDE_SUITES[@]}")
if [ "${PPING_TEST_LANES:-2}" = 1 ]; then
	main=("${SIDE_SUITES[@]}" "${SUITES[@]}") side=()
fi

# The side lane, in a process group of its own (set -m) so that an
# interrupt can end it whole.
set -m
(
	for s in "${side[@]}"; do
		selected "${s%%:*}" && run "${s%%:*}" "${s#*:}"
	done
) </dev/null &
side_pid=$!
set +m

# The main lane, streamed.
for s in "${main[@]}"; do
	name=${s%%:*}
	selected "$name" || continue
	echo "== $name"
	set -m
	run "$name" "${s#*:}" &
	pid=$!
	set +m
	while [ ! -e "$dir/$name.out" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
	tail -f --pid=$pid -n +1 "$dir/$name.out" 2>/dev/null | sed 's/^/  /'
	wait $pid
	pid=
	tally "$name"
done

if [ ${#side[@]} -gt 0 ] && kill -0 "$side_pid" 2>/dev/null; then
	for s in "${side[@]}"; do
		name=${s%%:*}
		if selected "$name" && [ ! -e "$dir/$name.rc" ]; then
			echo "== waiting for the side lane (now: $name)"
			break
		fi
	done
fi
wait "$side_pid"
side_pid=
for s in "${side[@]}"; do
	name=${s%%:*}
	selected "$name" || continue
	echo "== $name (side lane)"
	sed 's/^/  /' "$dir/$name.out"
	tally "$name"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
