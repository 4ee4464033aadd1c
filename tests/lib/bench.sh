# shellcheck shell=bash
# What the benchmark scripts share (sourced from the repository root; it
# sources pping.sh):
#   bench_init NAME [PID_VAR...]
#       a work directory in WORK (pping-NAME.XXXXXX under TMPDIR), and the
#       one exit trap: it kills and reaps the processes whose pids the named
#       variables hold (an empty one is skipped), stops pping if it still
#       runs and removes its files, runs the script's bench_teardown if it
#       defines one (namespaces, qdiscs, settings to restore), then removes
#       WORK. SIGINT and SIGTERM exit 130, through the same trap.
#   spread [FMT]
#       "MEDIAN [MIN, MAX]" of the numbers on stdin, printed with FMT
#       (default "%.3f [%.3f, %.3f]"), or "-" if there are none

# shellcheck source=tests/lib/pping.sh
. "$(dirname "${BASH_SOURCE[0]}")/pping.sh"

WORK=
BENCH_PID_VARS=

bench_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/pping-$1.XXXXXX") || exit 1
	shift
	BENCH_PID_VARS="$*"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

spread() {
	sort -g | awk -v fmt="${1:-%.3f [%.3f, %.3f]}" '{ v[NR] = $1 } END {
		if (!NR) { printf "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf fmt, m, v[1], v[NR] }'
}

bench_cleanup() {
	local v p
	for v in $BENCH_PID_VARS; do
		p=${!v:-}
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$PP_PID" ] && kill -0 "$PP_PID" 2>/dev/null; then
		pping_stop INT 5
	fi
	pping_cleanup_files
	if declare -F bench_teardown >/dev/null; then
		bench_teardown
	fi
	rm -rf "$WORK"
}
