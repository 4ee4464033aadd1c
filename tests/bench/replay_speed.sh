#!/usr/bin/env bash
# Replay speed of `pping --read`: packets per second through the BPF
# programs (BPF_PROG_TEST_RUN, one run per packet; a test run executes on
# the calling CPU), on one thread and on one per CPU (--threads), against a
# plain libpcap read of the same file. Targets: at least 1M packets/s on
# one core (issue 7); --threads 2 at least 1.7 x --threads 1 of the same
# build, with byte-identical output (issue 18).
#
# Capture: tests/tools/pcapgen, REPLAY_FLOWS (default 1000) flows of
# REPLAY_EXCHANGES (default 500) request/reply/ACK exchanges, plus handshake
# and FIN exchange: about 1.5M packets, 1 ms server RTT, 2 ms client RTT,
# one exchange per flow every 10 ms (5 s of capture time), 100-byte
# payloads captured with a snap length of 128 bytes (as `tcpdump -s 128`
# would).
#
# Readers, each run REPLAY_REPS (default 3) times, interleaved; the table
# shows medians:
#   libpcap          tests/tools/pcapgen --count: pcap_next_ex over the file,
#                    touching each packet's last byte (the floor)
#   tcpdump          tcpdump -r FILE -w /dev/null (read and re-write)
#   pping            pping --read FILE -F jsonl -w /dev/null -v --threads 1:
#                    default sampling (100 ms rate limit: 1 identifier per
#                    flow direction and 100 ms)
#   pping-tN         the same with --threads N, N the online CPUs
#   pping-rl0        the same with --rate-limit 0 and --threads 1: every
#                    data packet is an identifier, every reply a sample
#                    (1M RTT records formatted and written)
#   pping-rl0-tN     the same with --threads N, N the online CPUs; its
#                    output must be cmp-equal to pping-rl0's
# packets/s is packets over wall time: pping's from its own -v line (the
# replay loop alone, without loading the programs), the others from the
# whole command. CPU is user + system seconds of the whole command.
# "vs libpcap" is the reader's packets/s over libpcap's.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/bench.sh

GEN=build/tests/pcapgen
FLOWS=${REPLAY_FLOWS:-1000}
EXCH=${REPLAY_EXCHANGES:-500}
NCPU=$(nproc)
SPEEDUP_TARGET=1.7
REPS=${REPLAY_REPS:-3}
TARGET=1000000

if [ ! -x "$GEN" ] || [ ! -x ./pping ]; then
	echo "replay_speed: needs ./pping and $GEN (make pping $GEN)" >&2
	exit 1
fi
bench_init replay-bench
CAP=$WORK/bench.pcap

"$GEN" -o "$CAP" -n "$FLOWS" -k "$EXCH" --spacing 10ms --rtt-server 1ms \
	--rtt-client 2ms --payload 100 --snaplen 128 --expect >"$WORK/exp" || exit 1
PKTS=$(awk '$1 == "count" && $2 == "packets" { print $3 }' "$WORK/exp")
echo "capture: $PKTS packets, $FLOWS flows, $(( $(stat -c %s "$CAP") / 1048576 )) MiB," \
	"$(awk -v k="$EXCH" 'BEGIN { printf "%.1f", (k + 2) * 0.01 }') s of capture time"
# Warm the page cache, so no reader pays for the disk.
cat "$CAP" >/dev/null

# timed OUTFILE CMD...: "WALL_S CPU_S" of the command into OUTFILE.
timed() {
	local out=$1 t0 t1 c0 c1
	shift
	t0=$(date +%s%N)
	c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	"$@"
	t1=$(date +%s%N)
	c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	# children's ticks (cutime + cstime) are counted once the child is reaped
	awk -v w=$((t1 - t0)) -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f %.2f\n", w / 1e9, c / hz }' >"$out"
}

identical=yes
for r in $(seq "$REPS"); do
	timed "$WORK/libpcap.$r" "$GEN" --count "$CAP" >"$WORK/libpcap.out.$r"
	timed "$WORK/tcpdump.$r" tcpdump -r "$CAP" -w /dev/null 2>/dev/null
	timed "$WORK/pping.$r" ./pping --read "$CAP" -F jsonl -w /dev/null -v --threads 1 \
		2>"$WORK/pping.err.$r"
	timed "$WORK/pping-tN.$r" ./pping --read "$CAP" -F jsonl -w /dev/null -v --threads "$NCPU" \
		2>"$WORK/pping-tN.err.$r"
	timed "$WORK/pping-rl0.$r" ./pping --read "$CAP" --rate-limit 0 --threads 1 -F jsonl \
		-w "$WORK/rl0.out" -v 2>"$WORK/pping-rl0.err.$r"
	timed "$WORK/pping-rl0-tN.$r" ./pping --read "$CAP" --rate-limit 0 --threads "$NCPU" \
		-F jsonl -w "$WORK/rl0-tN.out" -v 2>"$WORK/pping-rl0-tN.err.$r"
	cmp -s "$WORK/rl0.out" "$WORK/rl0-tN.out" || identical=no
	rm -f "$WORK/rl0.out" "$WORK/rl0-tN.out"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# rate READER: median packets/s
rate() {
	local r
	for r in $(seq "$REPS"); do
		case $1 in
		libpcap)
			sed -n 's/.*(\([0-9]*\) packets\/s).*/\1/p' "$WORK/libpcap.out.$r" ;;
		tcpdump)
			awk -v n="$PKTS" '{ print n / $1 }' "$WORK/tcpdump.$r" ;;
		pping*)
			sed -n 's/^pping: replayed .*(\([0-9]*\) packets\/s.*/\1/p' "$WORK/$1.err.$r" ;;
		esac
	done | median
}
cpu() {
	local r
	for r in $(seq "$REPS"); do awk '{ print $2 }' "$WORK/$1.$r"; done | median
}

base=$(rate libpcap)
printf '%-11s %14s %10s %11s\n' reader packets/s "CPU s" "vs libpcap"
for rd in libpcap tcpdump pping pping-tN pping-rl0 pping-rl0-tN; do
	pps=$(rate $rd)
	printf '%-11s %14.0f %10s %11.3f\n' "$rd" "${pps:-0}" "$(cpu $rd)" \
		"$(awk -v a="${pps:-0}" -v b="$base" 'BEGIN { print b ? a / b : 0 }')"
done
for rd in pping pping-rl0; do
	pps=$(rate $rd)
	samples=$(sed -n 's/.*RTT samples \([0-9]*\).*/\1/p' "$WORK/$rd.err.1")
	echo "$rd: $samples RTT samples per run; >= 1M packets/s: $(awk -v p="${pps:-0}" -v t=$TARGET 'BEGIN { print (p >= t) ? "yes" : "no" }')"
done
one=$(rate pping)
all=$(rate pping-tN)
echo "--threads $NCPU vs --threads 1 at the default rate limit: $(awk -v a="${all:-0}" -v b="${one:-0}" 'BEGIN { printf "%.2f", b ? a / b : 0 }') x"
one=$(rate pping-rl0)
all=$(rate pping-rl0-tN)
echo "--threads $NCPU vs --threads 1 at --rate-limit 0: $(awk -v a="${all:-0}" -v b="${one:-0}" 'BEGIN { printf "%.2f", b ? a / b : 0 }') x" \
	"(target >= $SPEEDUP_TARGET x on 2 CPUs: $(awk -v a="${all:-0}" -v b="${one:-0}" -v t=$SPEEDUP_TARGET 'BEGIN { print (b && a / b >= t) ? "met" : "missed" }')); output byte-identical: $identical"
