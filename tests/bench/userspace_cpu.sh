#!/usr/bin/env bash
# CPU time of pping's user space per RTT event: the daemon (ring buffer
# consumer, formatting, writing, cleanup, aggregation) driven at about 10k
# RTT events/s. Targets: at most 2% of one core at 10k events/s, no events
# lost.
#
# Traffic: tests/tools/flowgen.c on a veth pair in one namespace, USERCPU_FLOWS
# (default 1000) flows each sending one data segment every 100 ms and
# getting it acknowledged 20 ms later, so USERCPU_FLOWS x 10 matched
# identifiers per second, evenly spread (no bursts for the ring buffer to
# batch), for USERCPU_SECS (default 6) s. pping watches the sending end with
# --rate-limit 0, so every segment is timestamped and every ACK is an event.
# Outputs: standard format to a file (-w), jsonl to a file, and -a 1s
# (aggregation only: one record per subnet and second is written), with
# the datapath building the histograms (the default live: no RTT events)
# and with the daemon building them from the events (--aggregate-in
# events). "events" counts the RTT samples reported either way.
#
# CPU: the sum of se.sum_exec_runtime over the daemon's threads
# (/proc/PID/task/*/sched, ns resolution; utime + stime from /proc/PID/stat
# count 10 ms ticks) from just before the traffic starts to just after it
# ends, so loading, attaching and the exit path are left out. Events: the
# exit summary's "RTT samples N (not printed M)", N - M being the events
# sent to user space; "printed" counts RTT records in the output file.
# "CPU s/10k" is CPU seconds per 10,000 events, which is also the share of
# one core at 10k events/s (0.02 s per 10k = 2%). Configurations run
# interleaved USERCPU_REPS (default 3) times; the table shows medians, and
# the events lost summed over all runs. "wake-ups/event" is the daemon's
# context switches per event: near 1 means it sleeps in poll() and is woken
# for nearly every event. Needs root, ./pping and
# build/tests/flowgen.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/bench.sh

SECS=${USERCPU_SECS:-6}
REPS=${USERCPU_REPS:-3}
FLOWS=${USERCPU_FLOWS:-1000}
CONFIGS="text jsonl agg agg_events"
TARGET_PCT=2
NS=pp$$-ucpu
FLOWGEN=build/tests/flowgen

if [ ! -x "$FLOWGEN" ]; then
	echo "userspace_cpu: $FLOWGEN not built (make $FLOWGEN)" >&2
	exit 1
fi
GEN_PID=
bench_teardown() { ip netns del "$NS" 2>/dev/null; }
bench_init ucpu GEN_PID

if ! { ip netns add "$NS" &&
	ip -n "$NS" link add fgA type veth peer name fgB &&
	ip -n "$NS" link set fgA up && ip -n "$NS" link set fgB up; }; then
	echo "userspace_cpu: could not build the veth pair" >&2
	exit 1
fi

cfg_args() {
	case $1 in
	text) echo "-w $WORK/pping.out" ;;
	jsonl) echo "-F jsonl -w $WORK/pping.out" ;;
	agg) echo "-a 1s -w $WORK/pping.out" ;;
	agg_events) echo "-a 1s --aggregate-in events -w $WORK/pping.out" ;;
	esac
}
cfg_label() {
	case $1 in
	text) echo "standard -w" ;;
	jsonl) echo "jsonl -w" ;;
	agg) echo "-a 1s -w" ;;
	agg_events) echo "-a 1s, events" ;;
	esac
}

# CPU seconds the daemon's threads have run so far.
cpu_s() {
	cat /proc/"$1"/task/*/sched 2>/dev/null |
		awk '$1 == "se.sum_exec_runtime" { ms += $3 } END { printf "%.6f\n", ms / 1000 }'
}

# Context switches of the daemon's threads so far: one per wake-up from
# poll() when it has nothing else to do.
ctx_switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# One figure of the exit summary ("... RTT samples 187 ...").
figure() { grep -o "$1 [0-9]*" "$PP_ERR" | head -1 | awk '{ print $NF }'; }

# run_once CFG REP: append "cfg rep cpu_s elapsed_s samples unreported
# lost printed context-switches" to data.
run_once() {
	local cfg=$1 rep=$2 c0 c1 x0 x1 elapsed samples unrep lost printed
	rm -f "$WORK/pping.out"
	# shellcheck disable=SC2046 # cfg_args is a list of options
	pping_start "$NS" -i fgA -r 0 $(cfg_args "$cfg") || return 1
	c0=$(cpu_s "$PP_PID")
	x0=$(ctx_switches "$PP_PID")
	ip netns exec "$NS" "$FLOWGEN" -a fgA -b fgB -n "$FLOWS" -t "$SECS" -r 20 \
		>"$WORK/gen.out" 2>&1 &
	GEN_PID=$!
	wait "$GEN_PID"
	GEN_PID=
	# The last ACKs are sent 20 ms after the last segment; give the
	# daemon a moment to read and write their events.
	sleep 0.2
	c1=$(cpu_s "$PP_PID")
	x1=$(ctx_switches "$PP_PID")
	pping_stop INT 5
	elapsed=$(grep -o 'elapsed_ms [0-9]*' "$WORK/gen.out" | awk '{ print $2 / 1000 + 0.2 }')
	samples=$(figure "RTT samples")
	unrep=$(grep -o "not printed [0-9]*" "$PP_ERR" | head -1 | awk '{ print $NF }')
	lost=$(figure "events lost")
	if [ "$PP_STATUS" != 0 ] || [ -z "$elapsed" ] || [ -z "$samples" ] || [ -z "$lost" ]; then
		echo "userspace_cpu: $cfg run failed: pping status $PP_STATUS, $(cat "$WORK/gen.out")" \
			"$(tail -3 "$PP_ERR")" >&2
		return 1
	fi
	case $cfg in
	text) printed=$(awk '$3 == "ms" && $5 == "ms" && $6 == "TCP"' "$WORK/pping.out" | wc -l) ;;
	jsonl) printed=$(grep -c '"rtt":' "$WORK/pping.out") ;;
	agg | agg_events) printed=- ;;
	esac
	pping_cleanup_files
	echo "$cfg $rep $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.6f", b - a }')" \
		"$elapsed $samples ${unrep:-0} $lost $printed $((x1 - x0))" >>"$WORK/data"
}

for rep in $(seq "$REPS"); do
	for cfg in $CONFIGS; do
		run_once "$cfg" "$rep" || exit 1
	done
done

# Data columns: 1 cfg, 2 rep, 3 cpu s, 4 elapsed s, 5 RTT samples,
# 6 not printed, 7 events lost, 8 RTT records printed, 9 context switches.
col() { awk -v c="$1" "\$1 == c { print $2 }" "$WORK/data"; }

echo "pping -r 0 on one end of a veth pair, tests/flowgen: $FLOWS flows x 10 segments/s," \
	"20 ms RTT, $SECS s per run; medians of $REPS interleaved runs;"
echo "CPU = the daemon's threads from traffic start to end; CPU s/10k = CPU seconds per" \
	"10,000 events = % of a core at 10k events/s; target <= $TARGET_PCT%, 0 lost"
printf "%-12s %9s %9s %9s %10s %11s %-6s %11s %s\n" output events/s printed/s "CPU s/10k" \
	"core % now" "events lost" "<=$TARGET_PCT%" "RTT samples" "wake-ups/event"
# shellcheck disable=SC2016 # awk expressions, expanded by awk
for cfg in $CONFIGS; do
	per10k=$(col "$cfg" '($5 - $6) ? $3 / (($5 - $6) / 1e4) : 0' | median)
	lost=$(col "$cfg" '$7' | awk '{ s += $1 } END { print s + 0 }')
	verdict=$(awk -v p="$per10k" -v t="$TARGET_PCT" -v l="$lost" \
		'BEGIN { print ((100 * p <= t && l == 0) ? "pass" : "MISS") }')
	if [ "$cfg" = agg ] || [ "$cfg" = agg_events ]; then
		printed=-
	else
		printed=$(printf "%.0f" "$(col "$cfg" '$8 / $4' | median)")
	fi
	printf "%-12s %9.0f %9s %9.4f %9.2f%% %11s %-6s %11.0f %14.2f\n" "$(cfg_label "$cfg")" \
		"$(col "$cfg" '($5 - $6) / $4' | median)" "$printed" "$per10k" \
		"$(col "$cfg" '100 * $3 / $4' | median)" "$lost" "$verdict" \
		"$(col "$cfg" '$5' | median)" \
		"$(col "$cfg" '($5 - $6) ? $9 / ($5 - $6) : 0' | median)"
done
echo "reproduce: USERCPU_SECS=$SECS USERCPU_REPS=$REPS USERCPU_FLOWS=$FLOWS tests/bench/userspace_cpu.sh"
