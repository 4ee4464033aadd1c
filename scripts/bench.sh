#!/usr/bin/env bash
# `make bench`: figures that belong in a benchmark, not in timed tests.
# Every figure compares things measured in the same run (this machine is
# shared and noisy). Prints the tables and keeps them in
# build/bench-results.txt.
set -u
cd "$(dirname "$0")/.."

RESULTS=build/bench-results.txt
mkdir -p build
{
	echo "# pping benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, pping $(git describe --always --dirty 2>/dev/null)"
	echo
	echo "## Loading the datapath: the verifier's work and the time (build/tests/bench_load_cost)"
	./build/tests/bench_load_cost
	echo
	echo "## Map cleanup cost (build/tests/bench_cleanup_cost)"
	./build/tests/bench_cleanup_cost ${BENCH_CLEANUP_SIZES:-131072 1048576}
	echo "The same with the identifier map preallocated (-P):"
	./build/tests/bench_cleanup_cost -P 131072
	echo
	echo "## Flow scale: map memory, ns per packet, ns per RTT sample under -a, the tick clock (build/tests/bench_flow_scale -a -c)"
	./build/tests/bench_flow_scale -a -c ${BENCH_FLOW_SIZES:-1000 100000 1000000}
	echo
	echo "## Flow scale with the flow map allocated as flows come (build/tests/bench_flow_scale -p)"
	./build/tests/bench_flow_scale -p ${BENCH_FLOW_SIZES:-1000 100000 1000000}
	echo
	echo "## Identifiers beyond the flows' slots: the identifier map allocated as they come (-m) and preallocated (-m -P), interleaved"
	for rep in 1 2; do
		for prealloc in "" -P; do
			echo "bench_flow_scale -m${prealloc:+ $prealloc}, repetition $rep:"
			./build/tests/bench_flow_scale -m $prealloc ${BENCH_IDMAP_SIZES:-1000 100000} |
				sed -n '/no-op floor/,$p'
		done
	done
	echo
	echo "## Coverage under overload (tests/bench/coverage.sh)"
	./tests/bench/coverage.sh
	echo
	echo "## Datapath cost per program run (tests/bench/datapath_cost.sh)"
	./tests/bench/datapath_cost.sh
	echo
	echo "## Bulk throughput with and without pping (tests/bench/throughput.sh)"
	./tests/bench/throughput.sh
	echo
	echo "## Small packets: HTTP requests/s with and without pping (tests/bench/small_packets.sh)"
	./tests/bench/small_packets.sh
	echo
	echo "## User-space CPU per 10k RTT events (tests/bench/userspace_cpu.sh)"
	./tests/bench/userspace_cpu.sh
	echo
	echo "## Offline replay speed, pping --read (tests/bench/replay_speed.sh)"
	./tests/bench/replay_speed.sh
} 2>&1 | tee "$RESULTS"
echo "results written to $RESULTS"
