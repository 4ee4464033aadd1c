# shellcheck shell=bash
# Running pping inside a test namespace (sourced).
#   pping_start NS ARGS...   start it with -v, wait until it is attached
#   pping_stop SIGNAL [T]    signal it, wait up to T s; status in PP_STATUS
#   pping_new_prog_ids       ids of the BPF programs loaded since pping_start
#   pping_own_prog_ids       ids of the BPF programs the running daemon holds
#   held_prog_ids [PID]      ids of the BPF programs any process (or PID) holds
#   pping_progs_alive IDS    how many of IDS still exist in the kernel
#   rtt_values FILE          RTTs in ms of the standard-format lines

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

PP_BIN=${PP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/pping}
PP_PID= PP_OUT= PP_ERR= PP_IDS_BEFORE= PP_STATUS=

pping_prog_ids() {
	bpftool prog show -j 2>/dev/null |
		jq -r '.[] | select(.name | startswith("pping_")) | .id' | sort -n
}

pping_start() {
	local ns=$1
	shift
	PP_OUT=$(mktemp "${TMPDIR:-/tmp}/pping-out.XXXXXX")
	PP_ERR=$(mktemp "${TMPDIR:-/tmp}/pping-err.XXXXXX")
	PP_IDS_BEFORE=$(pping_prog_ids)
	ip netns exec "$ns" "$PP_BIN" -v "$@" >"$PP_OUT" 2>"$PP_ERR" &
	PP_PID=$!
	wait_line "$PP_PID" "$PP_ERR" "attached to" && return 0
	echo "pping did not attach: $(cat "$PP_ERR")" >&2
	return 1
}

# Programs loaded since pping_start (this instance's, on an otherwise idle
# machine; the BPF ids are never reused while the machine runs).
pping_new_prog_ids() {
	comm -13 <(echo "$PP_IDS_BEFORE") <(pping_prog_ids)
}

# Every program some process (or process PID) holds, through a program or
# link fd: a program loaded but held by none was left attached by a
# process gone.
held_prog_ids() {
	local fds=/proc/[0-9]*/fdinfo/*

	[ -n "${1:-}" ] && fds=/proc/$1/fdinfo/*
	# shellcheck disable=SC2086 # the glob expands here
	grep -hs '^prog_id:' $fds | awk '{ print $2 }' | sort -u
}

# The programs the running daemon holds: exactly this instance's, whatever
# other pping instances run meanwhile (make test runs suites side by side).
pping_own_prog_ids() { held_prog_ids "$PP_PID"; }

pping_progs_alive() {
	local n=0 id all
	all=$(bpftool prog show -j 2>/dev/null | jq -r '.[].id')
	for id in "$@"; do
		grep -qx "$id" <<<"$all" && n=$((n + 1))
	done
	echo $n
}

# Wait up to T seconds for the daemon to exit; its exit status (or
# "timeout") goes to PP_STATUS. SIGNAL may be "none" to only wait. Not for
# use in $(...): a subshell cannot wait for the daemon.
pping_stop() {
	local sig=$1 t=${2:-5} i
	[ "$sig" != none ] && kill -s "$sig" "$PP_PID" 2>/dev/null
	for i in $(seq $((t * 20))); do
		kill -0 "$PP_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$PP_PID" 2>/dev/null; then
		kill -KILL "$PP_PID" 2>/dev/null
		wait "$PP_PID" 2>/dev/null
		PP_STATUS=timeout
		return
	fi
	wait "$PP_PID"
	PP_STATUS=$?
}

pping_cleanup_files() {
	rm -f "$PP_OUT" "$PP_ERR"
}

# RTT lines: "HH:MM:SS.n RTT ms MINRTT ms TCP SRC+DST"; print RTT, one per
# line, for flows whose text matches PATTERN.
rtt_values() {
	local file=$1 pattern=${2:-.}
	awk -v pat="$pattern" '$3 == "ms" && $5 == "ms" && $6 == "TCP" && $0 ~ pat { print $2 }' "$file"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) exit 1;
		printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
