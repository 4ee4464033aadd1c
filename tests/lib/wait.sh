# shellcheck shell=bash
# Waiting for a background process to say something (sourced):
#   wait_line PID FILE PATTERN   until a line of FILE matches the extended
#                                regular expression PATTERN (status 0), or
#                                PID has exited or 5 s have passed (1)

wait_line() {
	local pid=$1 file=$2 pattern=$3

	for _ in $(seq 100); do
		grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
