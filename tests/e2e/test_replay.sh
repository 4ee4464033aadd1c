#!/usr/bin/env bash
# Offline mode (pping --read FILE) against captures whose RTTs are known:
# synthetic ones from tests/tools/pcapgen.c (every RTT, timestamp and
# sample count is known exactly, see its header comment) and one taken by
# tcpdump during a live run, which the live pping measured too.
#
#   help-lists-replay-options  --help lists --read and --local-net (a
#                      FAIL if not; the tests below run all the same)
#   exact-rtt-*        --rate-limit 0 -F jsonl: every sample equals a
#                      generated one to the ns (RTT, both ends), none
#                      missing, none extra; without --local-net both
#                      directions (-counts-both-directions: so many of each
#                      RTT), with --local-net CLIENT_NET only the clients'
#                      identifiers (server replies), with -l both
#   local-net-direction  with --local-net, no sample matched on egress
#   wrap               the same when both ends' TSvals wrap past 2^32
#   malformed          odd packets (bad option lengths, no ACK, fragments,
#                      data offset 4, cut captures, duplicate echoes) add
#                      no sample and change none
#   link-types-ipv4/6  en10mb, sll, sll2, raw, ipv4/ipv6 and pcapng files of
#                      one scenario give byte-identical output
#   deterministic-*    two replays of one file: cmp-equal output (jsonl,
#                      jsonl -a 1s, standard)
#   aggregate-capture-time  -a 1s over 6 s of capture: about 6 intervals
#   cleanup-capture-time
#                      a flow quiet for 400 s of capture time is removed as
#                      idle (exit summary "idle 1") and reopens when it
#                      speaks again, though the replay takes well under a
#                      second; cleanup-short-gap-keeps-flow: quiet 100 s
#                      (below the 300 s idle timeout): "idle 0"
#   hour-capture       a capture spanning an hour replays in under 5 s, every
#                      sample reported, cleanup at least once a minute of
#                      capture time (a replay paces passes by packets too)
#   timestamps-*       json "timestamp" (epoch ns) and ppviz times equal the
#                      capture time of the echoing packet
#   verbose-summary    -v: "replayed N packets of N read ... packets/s, N threads"
#   truncated-*        a file cut inside a packet record: exit 1, stderr
#                      names the file and the packet, and exactly the
#                      samples of the packets before it are in the output
#                      (-w, a json array stays valid); also pcapng
#   corrupt-record     an impossible record length: the same
#   garbage-file, missing-file, unsupported-link-type: exit 1 naming the
#                      file; empty-capture (a header, no packet): exit 0,
#                      no output
#   deterministic-evicting  degradation evicting flows (3000 flows,
#                      --max-flows 512): two replays on one thread still
#                      identical
#   threads-identical-*  --threads 2 and 3 give byte for byte the output of
#                      --threads 1 (400 flows, both families, many records
#                      at equal capture times, cleanup removing closed and
#                      idle flows): standard, jsonl, jsonl -a 1s, ppviz
#   usage-threads-*    --threads without --read, or above 64: exit 2
#   replay-runs-*      XDP test runs (the default here) and the tc programs'
#                      runs (--replay-runs tc) give byte for byte the same
#                      output (standard, jsonl, jsonl -a 1s; 1 and 2 threads,
#                      the threads-identical capture); auto runs XDP (-v
#                      says which) without a word where the kernel takes
#                      them; a bad value exits 2 naming it
#   write-error        -w /dev/full: exit 1, "cannot write output"
#   local-net-both-ends  --local-net covering both ends gives the output of
#                      naming the lower (client) side
#   start-at-zero      a capture whose times start at 0: every sample
#   time-jump          one timestamp 100000 s ahead: warned with its packet
#                      number, and -a 100ms skips the gap (few records)
#   usage-*            --read with -i: exit 2; --local-net with a bad CIDR
#                      or without --read: exit 2 naming --local-net
#   live-vs-replay-ipv4/6
#                      tcpdump on the client's interface while a live pping
#                      (--rate-limit 0) watches it over a 20 ms path; the
#                      replay of the capture with --local-net CLIENT_ADDR
#                      has the live run's median within 0.1 ms and its
#                      sample count within 3 %, and the samples
#                      tests/tools/pcap_rtt computes from the capture, to the ns
#                      but for packets whose capture time stepped back
#                      (replay-equals-pcap_rtt-ipv4/6); iperf3, tcpdump or
#                      tests/tools/pcap_rtt missing is a FAIL, never a skip
#
#   PPING_KEEP_NS=1   keep the namespaces and the work directory
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

PPING=$PP_BIN   # the sanitized build under tests/sanitize.sh
GEN=${PCAPGEN:-build/tests/pcapgen}
PCAP_RTT=${PCAP_RTT:-build/tests/pcap_rtt}
MEDIAN_TOL_MS=0.1
COUNT_TOL_PCT=3

if [ ! -x "$GEN" ]; then
	fail replay "$GEN not built (make $GEN)"
	summary
fi
# A --help without these options is a failure; the tests below run anyway.
help_lists help-lists-replay-options --read --local-net

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-replay.XXXXXX")
TD_PID='' SRV_PID='' TOPO_UP=''
# shellcheck disable=SC2317 # called from the EXIT trap
teardown() {
	local p
	for p in "$PP_PID" "$TD_PID" "$SRV_PID"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	pping_cleanup_files
	if [ -n "$TOPO_UP" ]; then topo_down; fi
	if [ "${PPING_KEEP_NS:-0}" = 1 ]; then
		echo "PPING_KEEP_NS=1: keeping $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap teardown EXIT

# ---- helpers ----------------------------------------------------------------

# rtt_records FILE: the RTT records of a json/jsonl output as
# "TIMESTAMP RTT SRC_IP SRC_PORT DEST_IP DEST_PORT MATCH_ON_EGRESS", in
# output order. awk, not jq: jq holds numbers as doubles, which would round
# epoch nanoseconds to 256 ns.
rtt_records() {
	awk 'function f(k,   r) {
		if (!match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)")) return ""
		r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/"/, "", r)
		return r
	     }
	     { gsub(/\},\{/, "}\n{") }   # -F json: one array, split it
	     { n = split($0, rec, "\n")
	       for (i = 1; i <= n; i++) {
		 $0 = rec[i]
		 if (f("rtt") != "")
			print f("timestamp"), f("rtt"), f("src_ip"), f("src_port"),
			      f("dest_ip"), f("dest_port"), f("match_on_egress")
	       } }' "$1"
}

# expected EXPECT_FILE [SRC_REGEX]: the generator's samples as
# "EPOCH_NS RTT SRC_IP SRC_PORT DST_IP DST_PORT", those whose replying end
# matches SRC_REGEX (default: all).
expected() {
	awk -v re="${2:-.}" '$1 == "sample" && $5 ~ re { print $3, $4, $5, $6, $7, $8 }' "$1"
}

# count_of EXPECT_FILE NAME: a "count NAME N" line of the generator.
count_of() {
	awk -v n="$2" '$1 == "count" && $2 == n { print $3 }' "$1"
}

# same_samples NAME WANT GOT: compare two sample lists (any order for the
# exact-RTT checks, the caller sorts if it wants); pass or say what differs.
same_samples() {
	local name=$1 want=$2 got=$3 nw ng d
	nw=$(grep -c . "$want"); ng=$(grep -c . "$got")
	if cmp -s "$want" "$got"; then
		pass "$name"
		return 0
	fi
	d=$(diff "$want" "$got" | grep '^[<>]' | head -4 | tr '\n' ';')
	fail "$name" "$ng samples reported, $nw expected; first differences (< expected, > reported): $d"
	return 1
}

# gen NAME ARGS...: $WORK/NAME.pcap and its ground truth $WORK/NAME.exp
gen() {
	local name=$1
	shift
	"$GEN" -o "$WORK/$name.pcap" --expect "$@" >"$WORK/$name.exp" 2>"$WORK/$name.gen.err" || {
		echo "pcapgen $*: $(cat "$WORK/$name.gen.err")" >&2
		return 1
	}
}

# replay OUT ERR ARGS...: pping --read with ARGS; exit status in RP_STATUS.
replay() {
	local out=$1 err=$2
	shift 2
	$PPING "$@" >"$out" 2>"$err"
	RP_STATUS=$?
}

now_ns() { date +%s%N; }

within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t + 1e-9) }'
}

# ---- exact RTTs -------------------------------------------------------------------

# exact NAME EXP PCAP SRC_REGEX PPING_ARGS...: the reported samples, as
# "RTT SRC SPORT DST DPORT" sorted, equal the expected ones.
exact() {
	local name=$1 exp=$2 cap=$3 re=$4 out=$WORK/$1.out err=$WORK/$1.err
	shift 4
	replay "$out" "$err" --read "$cap" --rate-limit 0 -F jsonl -v "$@"
	if [ "$RP_STATUS" != 0 ]; then
		fail "$name" "exit $RP_STATUS: $(tail -2 "$err")"
		return
	fi
	expected "$exp" "$re" | cut -d' ' -f2- | sort >"$WORK/$name.want"
	rtt_records "$out" | cut -d' ' -f2-6 | sort >"$WORK/$name.got"
	if [ ! -s "$WORK/$name.want" ]; then
		fail "$name" "test bug: no expected samples"
		return
	fi
	same_samples "$name" "$WORK/$name.want" "$WORK/$name.got"
}

RS=12345678 RC=345678   # ns: distinct, and not round, on purpose
SCEN=(-n 20 -k 50 --rtt-server "$RS" --rtt-client "$RC" --spacing 50ms)
if ! gen v4 -f 4 "${SCEN[@]}" || ! gen v6 -f 6 "${SCEN[@]}"; then
	fail exact-rtt "pcapgen failed"
	summary
fi

exact exact-rtt-ipv4 "$WORK/v4.exp" "$WORK/v4.pcap" .
exact exact-rtt-ipv6 "$WORK/v6.exp" "$WORK/v6.pcap" .
# Counts stated on their own too (the lists above already imply them).
n=$(rtt_records "$WORK/exact-rtt-ipv4.out" | grep -c .)
want=$(count_of "$WORK/v4.exp" samples)
ns=$(rtt_records "$WORK/exact-rtt-ipv4.out" | awk -v r=$RS '$2 == r' | grep -c .)
nc=$(rtt_records "$WORK/exact-rtt-ipv4.out" | awk -v r=$RC '$2 == r' | grep -c .)
if [ "$n" = "$want" ] && [ "$ns" = "$(count_of "$WORK/v4.exp" samples_server)" ] &&
   [ "$nc" = "$(count_of "$WORK/v4.exp" samples_client)" ]; then
	pass exact-rtt-counts-both-directions
else
	fail exact-rtt-counts-both-directions "$n samples ($ns of $RS ns, $nc of $RC ns), expected $want ($(count_of "$WORK/v4.exp" samples_server) + $(count_of "$WORK/v4.exp" samples_client))"
fi
exact exact-rtt-ipv4-local-net "$WORK/v4.exp" "$WORK/v4.pcap" '^10\.2\.' --local-net 10.1.0.0/16
exact exact-rtt-ipv6-local-net "$WORK/v6.exp" "$WORK/v6.pcap" '^fd00:2::' --local-net fd00:1::/64
exact exact-rtt-local-net-include-local "$WORK/v4.exp" "$WORK/v4.pcap" . --local-net 10.1.0.0/16 -l
# The local side named by its single addresses, several --local-net.
gen mixed -f 46 -n 6 -k 10 --rtt-server 7ms --rtt-client 3ms --spacing 20ms || fail gen mixed
exact exact-rtt-mixed-local-addrs "$WORK/mixed.exp" "$WORK/mixed.pcap" '^(10\.2\.|fd00:2::)' \
	--local-net 10.1.0.1 --local-net fd00:1::1/128
# With --local-net, the clients' replies come back on the egress side:
# none of the reported samples may be marked as matched on egress.
if rtt_records "$WORK/exact-rtt-ipv4-local-net.out" | awk '$7 != "false"' | grep -q .; then
	fail local-net-direction "samples matched on egress without -l"
else
	pass local-net-direction
fi

gen wrap -f 46 -n 4 -k 40 --wrap --rtt-server 5ms --rtt-client 2ms --spacing 10ms || fail gen wrap
exact wrap "$WORK/wrap.exp" "$WORK/wrap.pcap" .

gen mal -f 46 -n 4 -k 20 --malformed --rtt-server 8ms --rtt-client 1ms --spacing 20ms || fail gen mal
exact malformed "$WORK/mal.exp" "$WORK/mal.pcap" .
exact malformed-local-net "$WORK/mal.exp" "$WORK/mal.pcap" '^(10\.2\.|fd00:2::)' \
	--local-net 10.1.0.0/16 --local-net fd00:1::/64

# -v summary: every packet of the file replayed, and a rate.
pk=$(count_of "$WORK/v4.exp" packets)
if grep -qE "^pping: replayed $pk packets of $pk read from .*v4\.pcap in [0-9.]+ s \([0-9]+ packets/s, [0-9]+ threads?, (XDP|tc) test runs\)" \
	"$WORK/exact-rtt-ipv4.err"; then
	pass verbose-summary
else
	fail verbose-summary "want 'replayed $pk packets of $pk read ... packets/s, N threads, HOW test runs)': $(grep replayed "$WORK/exact-rtt-ipv4.err")"
fi

# ---- link types ----------------------------------------------------------------

# link_types FAMILY: every link type (and pcapng) of one scenario, output
# cmp-equal to the en10mb pcap's.
link_types() {
	local fam=$1 l ng ref='' out err name bad='' raw4
	raw4=ipv$fam
	for l in en10mb sll sll2 raw $raw4; do
		for ng in "" --pcapng; do
			name=link-$fam-$l${ng:+-pcapng}
			if ! "$GEN" -o "$WORK/$name.cap" -L "$l" ${ng:+"$ng"} -f "$fam" -n 5 -k 20 \
				--malformed --rtt-server 3ms --rtt-client 1ms --spacing 10ms \
				--start 1700000100.000000007 >/dev/null 2>"$WORK/$name.gen.err"; then
				bad="$bad $name(pcapgen: $(cat "$WORK/$name.gen.err"))"
				continue
			fi
			out=$WORK/$name.out err=$WORK/$name.err
			replay "$out" "$err" --read "$WORK/$name.cap" --rate-limit 0 -F jsonl
			if [ "$RP_STATUS" != 0 ]; then
				bad="$bad $name(exit $RP_STATUS: $(tail -1 "$err"))"
			elif [ -z "$ref" ]; then
				ref=$out
				if [ "$(rtt_records "$ref" | grep -c .)" -eq 0 ]; then
					bad="$bad $name(no samples)"
				fi
			elif ! cmp -s "$ref" "$out"; then
				if cmp -s <(rtt_records "$ref" | cut -d' ' -f1-6) \
					  <(rtt_records "$out" | cut -d' ' -f1-6); then
					bad="$bad $name(same samples, other bytes: $(diff "$ref" "$out" | grep '^>' | head -1))"
				else
					bad="$bad $name(other samples)"
				fi
			fi
		done
	done
	if [ -z "$bad" ]; then
		pass "link-types-ipv$fam"
	else
		fail "link-types-ipv$fam" "differ from en10mb pcap:$bad"
	fi
}
link_types 4
link_types 6

# ---- determinism -----------------------------------------------------------------

gen det -f 46 -n 50 -k 60 --malformed --rtt-server 4ms --rtt-client 2ms --spacing 100ms || fail gen det
for args in "-F jsonl" "-F jsonl -a 1s" "-F standard"; do
	name=deterministic-$(tr -d ' ' <<<"${args#-F }" | tr -s '-' '-')
	# shellcheck disable=SC2086 # args is a list of options
	replay "$WORK/det1.out" "$WORK/det1.err" --read "$WORK/det.pcap" --rate-limit 0 $args
	s1=$RP_STATUS
	# shellcheck disable=SC2086
	replay "$WORK/det2.out" "$WORK/det2.err" --read "$WORK/det.pcap" --rate-limit 0 $args
	s2=$RP_STATUS
	lines=$(grep -c . "$WORK/det1.out")
	if [ "$s1" != 0 ] || [ "$s2" != 0 ]; then
		fail "$name" "exit $s1/$s2: $(tail -1 "$WORK/det1.err")"
	elif [ "$lines" -lt 5 ]; then
		fail "$name" "only $lines lines of output"
	elif cmp -s "$WORK/det1.out" "$WORK/det2.out"; then
		pass "$name"
	else
		fail "$name" "$(cmp "$WORK/det1.out" "$WORK/det2.out" 2>&1)"
	fi
done
# Several threads: both directions of a flow on one thread, the events put
# back in packet order at the end of each batch, so the output is the one
# thread's, byte for byte (with records of many flows at equal capture
# times, which only the packets' order sorts). 3 threads on 2 CPUs too.
gen thr -f 46 -n 400 -k 30 --rtt-server 3ms --rtt-client 1ms --spacing 10ms --idle-gap 400s ||
	fail gen thr
for args in "-F standard" "-F jsonl" "-F jsonl -a 1s" "-F ppviz"; do
	name=threads-identical-$(tr -d ' ' <<<"${args#-F }" | tr -s '-' '-')
	# shellcheck disable=SC2086 # args is a list of options
	replay "$WORK/thr1.out" "$WORK/thr1.err" --read "$WORK/thr.pcap" --rate-limit 0 --threads 1 $args
	s1=$RP_STATUS
	bad=
	for t in 2 3; do
		# shellcheck disable=SC2086
		replay "$WORK/thr$t.out" "$WORK/thr$t.err" --read "$WORK/thr.pcap" --rate-limit 0 --threads $t $args
		if [ "$RP_STATUS" != 0 ] || ! cmp -s "$WORK/thr1.out" "$WORK/thr$t.out"; then
			bad="--threads $t: exit $RP_STATUS, $(cmp "$WORK/thr1.out" "$WORK/thr$t.out" 2>&1 | head -1)"
			break
		fi
	done
	lines=$(grep -c . "$WORK/thr1.out")
	if [ "$s1" != 0 ]; then
		fail "$name" "exit $s1 with --threads 1: $(tail -1 "$WORK/thr1.err")"
	elif [ "$lines" -lt 5 ]; then
		fail "$name" "only $lines lines of output"
	elif [ -n "$bad" ]; then
		fail "$name" "$bad"
	elif ! grep -Eq "removed flows closed [1-9][0-9]*, .* idle [1-9]" "$WORK/thr3.err"; then
		fail "$name" "cleanup removed no flow: $(grep -m1 'cleanup:' "$WORK/thr3.err")"
	else
		pass "$name"
	fi
done

# The two ways of feeding packets to the programs: the same processing, so
# the same output, byte for byte.
for args in "-F standard --threads 1" "-F jsonl --threads 2" "-F jsonl -a 1s --threads 2"; do
	name=replay-runs-$(tr -d ' ' <<<"${args#-F }" | tr -s '-' '-')
	bad=
	for how in xdp tc; do
		# shellcheck disable=SC2086 # args is a list of options
		replay "$WORK/runs-$how.out" "$WORK/runs-$how.err" --read "$WORK/thr.pcap" \
			--rate-limit 0 --replay-runs $how $args
		if [ "$RP_STATUS" != 0 ]; then
			bad="--replay-runs $how: exit $RP_STATUS: $(tail -1 "$WORK/runs-$how.err")"
			break
		fi
	done
	if [ -z "$bad" ] && ! cmp -s "$WORK/runs-xdp.out" "$WORK/runs-tc.out"; then
		bad="xdp and tc differ: $(cmp "$WORK/runs-xdp.out" "$WORK/runs-tc.out" 2>&1 | head -1)"
	fi
	if [ -n "$bad" ]; then
		fail "$name" "$bad"
	elif [ "$(grep -c . "$WORK/runs-tc.out")" -lt 5 ]; then
		fail "$name" "only $(grep -c . "$WORK/runs-tc.out") lines of output"
	else
		pass "$name"
	fi
done
# auto: XDP runs where the kernel takes them (said by -v), silently; else
# tc runs, said once (a kernel refusal: a SKIP naming it).
replay "$WORK/runs-auto.out" "$WORK/runs-auto.err" --read "$WORK/thr.pcap" -F jsonl -v
refusal=$(grep -m1 "replaying by tc test runs" "$WORK/runs-auto.err")
if [ "$RP_STATUS" != 0 ]; then
	fail replay-runs-auto "exit $RP_STATUS: $(grep -m1 . "$WORK/runs-auto.err")"
elif [ -n "$refusal" ]; then
	if grep -q "packets/s, .*, tc test runs)" "$WORK/runs-auto.err"; then
		skip replay-runs-auto "kernel refused XDP test runs with metadata: ${refusal#pping: }"
	else
		fail replay-runs-auto "said it falls back to tc runs, but ran: $(grep replayed "$WORK/runs-auto.err")"
	fi
elif grep -q "packets/s, .*, XDP test runs)" "$WORK/runs-auto.err"; then
	pass replay-runs-auto
else
	fail replay-runs-auto "neither XDP test runs nor a fallback said: $(grep replayed "$WORK/runs-auto.err")"
fi

# -a: the intervals follow the capture's clock: the run spans 6 s of
# capture time, so there are about 6 global records whatever the wall time.
replay "$WORK/agg.out" "$WORK/agg.err" --read "$WORK/det.pcap" --rate-limit 0 -F jsonl -a 1s
ng=$(grep -c '"type":"global"' "$WORK/agg.out")
if [ "$RP_STATUS" = 0 ] && [ "$ng" -ge 5 ] && [ "$ng" -le 8 ]; then
	pass aggregate-capture-time
else
	fail aggregate-capture-time "exit $RP_STATUS, $ng global records for 6 s of capture (want 5 to 8)"
fi

# ---- cleanup by capture time ------------------------------------------------------

# cleanup_summary ERR FIELD: a number of the "pping: cleanup:" exit line.
cleanup_field() {
	sed -n "s/^pping: cleanup: .*[ ,]$2 \([0-9]*\).*/\1/p" "$1" | head -1
}

# Flow 1 talks every second for 800 s; flow 0 too, but is quiet for GAP
# in the middle. The idle timeout is 300 s.
for gap in 400 100; do
	gen "idle$gap" -n 2 -k 800 --spacing 1s --rtt-server 10ms --rtt-client 1ms --idle-gap "${gap}s" ||
		fail gen idle
	t0=$(now_ns)
	replay "$WORK/idle$gap.out" "$WORK/idle$gap.err" --read "$WORK/idle$gap.pcap" --rate-limit 0 -F jsonl -v
	wall_ms=$(( ($(now_ns) - t0) / 1000000 ))
	idle=$(cleanup_field "$WORK/idle$gap.err" idle)
	runs=$(sed -n 's/^pping: cleanup: \([0-9]*\) runs.*/\1/p' "$WORK/idle$gap.err")
	reopen=$(grep -c '"flow_event":"opening","reason":"first observed packet"' "$WORK/idle$gap.out")
	nrtt=$(rtt_records "$WORK/idle$gap.out" | grep -c .)
	want=$(count_of "$WORK/idle$gap.exp" samples)
	echo "  idle gap ${gap}s: wall ${wall_ms} ms, cleanup runs ${runs:-?}, idle removals ${idle:-?}, reopened $reopen, samples $nrtt of $want"
	if [ "$gap" = 400 ]; then
		if [ "$RP_STATUS" != 0 ]; then
			fail cleanup-capture-time "exit $RP_STATUS: $(tail -2 "$WORK/idle$gap.err")"
		elif [ "${idle:-x}" != 1 ]; then
			fail cleanup-capture-time "idle removals ${idle:-none} (want 1): $(grep 'cleanup:' "$WORK/idle$gap.err")"
		elif [ "$reopen" != 1 ]; then
			fail cleanup-capture-time "flow 0 did not reopen after its idle removal ($reopen 'first observed packet' openings)"
		elif [ "$wall_ms" -ge 1000 ]; then
			fail cleanup-capture-time "replay took $wall_ms ms of wall time for 1200 s of capture"
		elif [ "$nrtt" != "$want" ]; then
			fail cleanup-capture-time "$nrtt samples, $want expected"
		else
			pass cleanup-capture-time
		fi
	else
		if [ "$RP_STATUS" = 0 ] && [ "${idle:-x}" = 0 ] && [ "$reopen" = 0 ] && [ "$nrtt" = "$want" ]; then
			pass cleanup-short-gap-keeps-flow
		else
			fail cleanup-short-gap-keeps-flow "exit $RP_STATUS, idle removals ${idle:-none}, reopened $reopen, samples $nrtt of $want"
		fi
	fi
done

# An hour of capture time (4 flows, one exchange a second each).
gen hour -n 4 -k 3600 --spacing 1s --rtt-server 20ms --rtt-client 1ms || fail gen hour
t0=$(now_ns)
replay "$WORK/hour.out" "$WORK/hour.err" --read "$WORK/hour.pcap" --rate-limit 0 -F jsonl -v
wall_ms=$(( ($(now_ns) - t0) / 1000000 ))
runs=$(sed -n 's/^pping: cleanup: \([0-9]*\) runs.*/\1/p' "$WORK/hour.err")
nrtt=$(rtt_records "$WORK/hour.out" | grep -c .)
want=$(count_of "$WORK/hour.exp" samples)
echo "  hour capture: $(count_of "$WORK/hour.exp" packets) packets, wall $wall_ms ms, cleanup runs ${runs:-?}, samples $nrtt of $want"
if [ "$RP_STATUS" != 0 ]; then
	fail hour-capture "exit $RP_STATUS: $(tail -2 "$WORK/hour.err")"
elif [ "$wall_ms" -ge 5000 ]; then
	fail hour-capture "replaying an hour of capture took $wall_ms ms (want < 5 s)"
elif [ "${runs:-0}" -lt 59 ] || [ "${runs:-0}" -gt 3601 ]; then
	# A replay paces passes by packets too, but never leaves more than 60
	# intervals of capture time without one (SAMPLING_DESIGN.md).
	fail hour-capture "${runs:-no} cleanup runs for 3600 s of capture at -c 1s (want 59 to 3601)"
elif [ "$nrtt" != "$want" ]; then
	fail hour-capture "$nrtt samples, $want expected"
else
	pass hour-capture
fi

# ---- timestamps ---------------------------------------------------------------------

gen ts -f 46 -n 3 -k 5 --start 1712345678.987654321 --rtt-server 1234567 --rtt-client 7654321 \
	--spacing 100ms || fail gen ts
replay "$WORK/ts.out" "$WORK/ts.err" --read "$WORK/ts.pcap" --rate-limit 0 -F jsonl
expected "$WORK/ts.exp" >"$WORK/ts.want"
rtt_records "$WORK/ts.out" | cut -d' ' -f1-6 >"$WORK/ts.got"
same_samples timestamps-json "$WORK/ts.want" "$WORK/ts.got"
# ppviz: "EPOCH.NS RTT_S MIN_S SRC:PORT+DST:PORT", the same times.
replay "$WORK/ts.ppviz" "$WORK/ts.err" --read "$WORK/ts.pcap" --rate-limit 0 -F ppviz
awk '{ s = $1; sub(/\./, "", s); print s }' "$WORK/ts.ppviz" >"$WORK/ts.ppviz.got"
cut -d' ' -f1 "$WORK/ts.want" >"$WORK/ts.ppviz.want"
same_samples timestamps-ppviz "$WORK/ts.ppviz.want" "$WORK/ts.ppviz.got"
# standard: the capture's time of day (TZ=UTC) of the first sample, the
# SYN-ACK, 1.234567 ms after the first packet.
TZ=UTC $PPING --read "$WORK/ts.pcap" --rate-limit 0 >"$WORK/ts.std" 2>/dev/null
first=$(awk '$3 == "ms" { print $1; exit }' "$WORK/ts.std")
want="$(date -u -d @1712345678 +%H:%M:%S).988888888"
if [ "$first" = "$want" ]; then
	pass timestamps-standard
else
	fail timestamps-standard "first RTT line at ${first:-nothing}, want $want (UTC)"
fi

# ---- damaged files -----------------------------------------------------------------------

# truncated NAME PKT GEN_ARGS...: cut the file in the middle of packet PKT.
truncated() {
	local name=$1 pkt=$2 off len want got err=$WORK/$1.err out=$WORK/$1.json
	shift 2
	if ! "$GEN" -o "$WORK/$name.cap" --expect --offset-of "$pkt" "$@" >"$WORK/$name.exp"; then
		fail "$name" "pcapgen failed"
		return
	fi
	read -r _ _ off len < <(grep '^offset ' "$WORK/$name.exp")
	truncate -s $((off + len / 2)) "$WORK/$name.cap"
	# -F json -w: the file must still be a complete JSON array.
	replay /dev/null "$err" --read "$WORK/$name.cap" --rate-limit 0 -F json -w "$out"
	awk -v p="$pkt" '$1 == "sample" && $2 < p { print $3, $4, $5, $6, $7, $8 }' \
		"$WORK/$name.exp" >"$WORK/$name.want"
	rtt_records "$out" | cut -d' ' -f1-6 >"$WORK/$name.got"
	want=$(grep -c . "$WORK/$name.want"); got=$(grep -c . "$WORK/$name.got")
	if [ "$RP_STATUS" != 1 ]; then
		fail "$name" "exit $RP_STATUS (want 1): $(tail -2 "$err")"
	elif ! grep -q -- "$WORK/$name.cap" "$err" || ! grep -qE "packet $pkt\b" "$err"; then
		fail "$name" "stderr does not name the file and packet $pkt: $(grep -v '^pping: \(packets\|maps\|cleanup\)' "$err" | tail -2)"
	elif ! jq -e 'type == "array"' "$out" >/dev/null 2>&1; then
		fail "$name" "the json output is not a complete array: $(tail -c 100 "$out")"
	elif [ "$want" -lt 10 ]; then
		fail "$name" "test bug: only $want samples before packet $pkt"
	else
		same_samples "$name" "$WORK/$name.want" "$WORK/$name.got"
	fi
}
truncated truncated-pcap 301 -f 46 -n 3 -k 40 --spacing 10ms --rtt-server 2ms --rtt-client 1ms
truncated truncated-pcapng 301 --pcapng -L sll2 -f 46 -n 3 -k 40 --spacing 10ms --rtt-server 2ms --rtt-client 1ms

# A record claiming 0x7fffffff captured bytes (packet 201's caplen field).
if "$GEN" -o "$WORK/corrupt.cap" --expect --offset-of 201 -n 2 -k 60 --spacing 10ms \
	--rtt-server 2ms --rtt-client 1ms >"$WORK/corrupt.exp"; then
	read -r _ _ off _ < <(grep '^offset ' "$WORK/corrupt.exp")
	printf '\377\377\377\177' | dd of="$WORK/corrupt.cap" bs=1 seek=$((off + 8)) conv=notrunc status=none
	replay "$WORK/corrupt.out" "$WORK/corrupt.err" --read "$WORK/corrupt.cap" --rate-limit 0 -F jsonl
	awk '$1 == "sample" && $2 < 201 { print $3, $4, $5, $6, $7, $8 }' "$WORK/corrupt.exp" >"$WORK/corrupt.want"
	rtt_records "$WORK/corrupt.out" | cut -d' ' -f1-6 >"$WORK/corrupt.got"
	if [ "$RP_STATUS" != 1 ]; then
		fail corrupt-record "exit $RP_STATUS (want 1): $(tail -2 "$WORK/corrupt.err")"
	elif ! grep -q -- "$WORK/corrupt.cap" "$WORK/corrupt.err" || ! grep -qE "packet 201\b" "$WORK/corrupt.err"; then
		fail corrupt-record "stderr does not name the file and packet 201: $(head -2 "$WORK/corrupt.err")"
	else
		same_samples corrupt-record "$WORK/corrupt.want" "$WORK/corrupt.got"
	fi
else
	fail corrupt-record "pcapgen failed"
fi

yes 'not a capture' | head -c 4096 >"$WORK/garbage.cap"
replay "$WORK/garbage.out" "$WORK/garbage.err" --read "$WORK/garbage.cap"
if [ "$RP_STATUS" = 1 ] && grep -q -- "$WORK/garbage.cap" "$WORK/garbage.err"; then
	pass garbage-file
else
	fail garbage-file "exit $RP_STATUS (want 1), stderr: $(head -2 "$WORK/garbage.err")"
fi

# A pcap of Ethernet frames relabelled as BSD loopback (DLT_NULL, the
# header's link type field at offset 20).
cp "$WORK/v4.pcap" "$WORK/null.cap"
printf '\0\0\0\0' | dd of="$WORK/null.cap" bs=1 seek=20 conv=notrunc status=none
replay "$WORK/null.out" "$WORK/null.err" --read "$WORK/null.cap"
if [ "$RP_STATUS" = 1 ] && grep -q -- "$WORK/null.cap" "$WORK/null.err"; then
	pass unsupported-link-type
else
	fail unsupported-link-type "exit $RP_STATUS (want 1), stderr: $(head -2 "$WORK/null.err")"
fi

# A file header and no packet: nothing to report, not an error.
head -c 24 "$WORK/v4.pcap" >"$WORK/empty.cap"
replay "$WORK/empty.out" "$WORK/empty.err" --read "$WORK/empty.cap" -F jsonl
if [ "$RP_STATUS" = 0 ] && [ ! -s "$WORK/empty.out" ]; then
	pass empty-capture
else
	fail empty-capture "exit $RP_STATUS (want 0), $(grep -c . "$WORK/empty.out") lines out: $(head -2 "$WORK/empty.err")"
fi

replay "$WORK/missing.out" "$WORK/missing.err" --read "$WORK/no-such-file.pcap"
if [ "$RP_STATUS" = 1 ] && grep -q "no-such-file.pcap" "$WORK/missing.err"; then
	pass missing-file
else
	fail missing-file "exit $RP_STATUS (want 1), stderr: $(head -2 "$WORK/missing.err")"
fi

# ---- usage -------------------------------------------------------------------------------

expect_usage usage-read-with-interface "--interface|-i" --read "$WORK/v4.pcap" -i lo
expect_usage usage-local-net-bad-prefix "--local-net" --read "$WORK/v4.pcap" --local-net 10.1.0.0/33
expect_usage usage-local-net-not-an-address "--local-net" --read "$WORK/v4.pcap" --local-net example.com
expect_usage usage-local-net-empty-prefix "--local-net" --read "$WORK/v4.pcap" --local-net 10.1.0.0/
expect_usage usage-local-net-without-read "--local-net" -i lo --local-net 10.1.0.0/16
expect_usage usage-threads-without-read "--threads" -i lo --threads 2
expect_usage usage-threads-range "--threads" --read "$WORK/v4.pcap" --threads 65
expect_usage replay-runs-bad-value "--replay-runs" --read "$WORK/v4.pcap" --replay-runs udp

# ---- edge cases --------------------------------------------------------------------

# Degradation evicts flows in the order cleanup walks the map: a replay
# fixes the hash seed, so even evicting runs are identical on one thread
# (on several, which flow wins a free entry depends on timing).
gen evict -n 3000 -k 40 --spacing 1s || fail gen evict
replay "$WORK/ev1.out" "$WORK/ev1.err" --read "$WORK/evict.pcap" --max-flows 512 -F jsonl --threads 1
s1=$RP_STATUS
replay "$WORK/ev2.out" "$WORK/ev2.err" --read "$WORK/evict.pcap" --max-flows 512 -F jsonl --threads 1
evicted=$(sed -n 's/.* evicted \([0-9]*\);.*/\1/p' "$WORK/ev1.err")
if [ "$s1" != 0 ] || [ "$RP_STATUS" != 0 ]; then
	fail deterministic-evicting "exit $s1/$RP_STATUS: $(tail -1 "$WORK/ev2.err")"
elif [ "${evicted:-0}" -eq 0 ]; then
	fail deterministic-evicting "no flow evicted: the test does not test eviction"
elif cmp -s "$WORK/ev1.out" "$WORK/ev2.out"; then
	pass deterministic-evicting
else
	fail deterministic-evicting "two replays differ ($evicted flows evicted)"
fi

# A full disk ends the replay with status 1 and says so.
replay "$WORK/full.out" "$WORK/full.err" --read "$WORK/det.pcap" --rate-limit 0 -F jsonl -w /dev/full
if [ "$RP_STATUS" = 1 ] && grep -q "cannot write output" "$WORK/full.err"; then
	pass write-error
else
	fail write-error "exit $RP_STATUS, stderr: $(tail -1 "$WORK/full.err")"
fi

# Both ends inside --local-net: one flow per connection, measured as the
# lower address's side (here the clients'), the same as naming the clients.
replay "$WORK/both.out" "$WORK/both.err" --read "$WORK/v4.pcap" --rate-limit 0 -F jsonl --local-net 10.0.0.0/8
replay "$WORK/cli.out" "$WORK/cli.err" --read "$WORK/v4.pcap" --rate-limit 0 -F jsonl --local-net 10.1.0.0/16
n=$(rtt_records "$WORK/both.out" | grep -c .)
if [ "$n" -gt 0 ] && cmp -s "$WORK/both.out" "$WORK/cli.out"; then
	pass local-net-both-ends
else
	fail local-net-both-ends "$n samples; output differs from --local-net 10.1.0.0/16"
fi

# A capture starting at time 0 (relative timestamps): every sample.
gen zero --start 0 -n 2 -k 5 --rtt-server 3ms --rtt-client 1ms --spacing 20ms || fail gen zero
exact start-at-zero "$WORK/zero.exp" "$WORK/zero.pcap" .

# One timestamp far ahead (100000 s): reported, and -a closes the interval
# it falls in and skips the gap instead of printing a million records.
read -r _ _ off _ < <("$GEN" -o "$WORK/jump.pcap" --offset-of 9 -n 2 -k 20 --spacing 20ms)
sec=$(od -An -tu4 -j "$off" -N4 "$WORK/jump.pcap" | tr -d ' ')
printf "$(printf '%08x' $((sec + 100000)) | sed 's/\(..\)\(..\)\(..\)\(..\)/\\x\4\\x\3\\x\2\\x\1/')" |
	dd of="$WORK/jump.pcap" bs=1 seek="$off" conv=notrunc status=none
replay "$WORK/jump.out" "$WORK/jump.err" --read "$WORK/jump.pcap" -a 100ms
lines=$(grep -c . "$WORK/jump.out")
if [ "$RP_STATUS" = 0 ] && [ "$lines" -lt 100 ] && grep -q "packet 10 is .* earlier than the one before" "$WORK/jump.err"; then
	pass time-jump
else
	fail time-jump "exit $RP_STATUS, $lines records, stderr: $(head -c 300 "$WORK/jump.err")"
fi

# ---- a live capture ---------------------------------------------------------------------------

# live FAMILY: tcpdump and a live pping on the client's veth0 during an
# iperf3 run, then the replay of the capture.
live() {
	local fam=$1 name=live-vs-replay-ipv$1 dst lnet cap=$WORK/live$1.pcap
	local lv=$WORK/live$1.jsonl rp=$WORK/live$1.replay.jsonl tde=$WORK/live$1.td.err
	local ln lm rn rm pn st

	if [ "$fam" = 4 ]; then dst=$SRV_IP4 lnet=$CLI_IP4/32; else dst=$SRV_IP6 lnet=$CLI_IP6/128; fi
	iperf3_server
	if ! tcpdump_cli 160 "$cap" "$tde" ||
	   ! pping_start "$NS_CLI" -i "$CLI_IF" --rate-limit 0 -F jsonl -w "$lv"; then
		fail "$name" "tcpdump or pping did not start: $(cat "$tde")"
		kill "$SRV_PID" "$TD_PID" 2>/dev/null; wait "$SRV_PID" "$TD_PID" 2>/dev/null
		SRV_PID='' TD_PID=''
		return
	fi
	in_cli timeout 40 iperf3 -c "$dst" -t 3 -b 10M -l 1400 >/dev/null 2>&1
	st=$?
	iperf3_server_stop
	sleep 0.3   # the last ACKs, a round trip after iperf3 ends
	pping_stop INT
	kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null
	TD_PID=
	if [ "$st" != 0 ] || [ "$PP_STATUS" != 0 ]; then
		fail "$name" "iperf3 exit $st, live pping exit $PP_STATUS: $(tail -2 "$PP_ERR")"
		pping_cleanup_files
		return
	fi
	pping_cleanup_files

	replay "$rp" "$WORK/live$1.replay.err" --read "$cap" --local-net "$lnet" --rate-limit 0 -F jsonl -v
	if [ "$RP_STATUS" != 0 ]; then
		fail "$name" "replay exit $RP_STATUS: $(tail -2 "$WORK/live$1.replay.err")"
		return
	fi
	# RTTs of the connections to port 5201, in ns.
	port_rtts() { rtt_records "$1" | awk '$4 == 5201 || $6 == 5201 { print $2 }'; }
	read -r ln lm < <(port_rtts "$lv" | sort -g | awk '{ v[NR] = $1 / 1e6 }
		END { if (!NR) { print 0, 0; exit }
		      printf "%d %.4f\n", NR, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	read -r rn rm < <(port_rtts "$rp" | sort -g | awk '{ v[NR] = $1 / 1e6 }
		END { if (!NR) { print 0, 0; exit }
		      printf "%d %.4f\n", NR, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "  $name: live n=$ln median $lm ms; replay n=$rn median $rm ms"
	if [ "$ln" -lt 100 ]; then
		fail "$name" "only $ln live samples"
	elif ! within "$rn" "$ln" "$(awk -v c="$ln" -v p=$COUNT_TOL_PCT 'BEGIN { print c * p / 100 }')"; then
		fail "$name" "replay $rn samples, live $ln (tolerance $COUNT_TOL_PCT %)"
	elif ! within "$rm" "$lm" $MEDIAN_TOL_MS; then
		fail "$name" "replay median $rm ms, live $lm ms (tolerance $MEDIAN_TOL_MS ms)"
	else
		pass "$name"
	fi

	# The replay against the capture's own arithmetic: the same samples,
	# to the ns (both take the capture's times), except where the capture
	# steps back in time (tcpdump on a veth can, by a microsecond, or by
	# a hundred on a loaded machine): the replay gives such a packet the
	# time of the one before, and says how many it did (-v), so a sample
	# may differ by the steps between its two packets: at most all the
	# steps back of the capture, summed from the capture itself.
	local name2=replay-equals-pcap_rtt-ipv$fam back res step
	if [ ! -x "$PCAP_RTT" ]; then
		fail "$name2" "$PCAP_RTT not built (make $PCAP_RTT)"
	else
		"$PCAP_RTT" -l "${lnet%/*}" -p 5201 "$cap" 2>/dev/null | awk '{ print $1, $2 }' | sort >"$WORK/live$1.pcap_rtt"
		rtt_records "$rp" | awk '$4 == 5201 || $6 == 5201 { print $1, $2 }' | sort >"$WORK/live$1.replay.ts"
		pn=$(grep -c . "$WORK/live$1.pcap_rtt")
		rn=$(grep -c . "$WORK/live$1.replay.ts")
		back=$(sed -n 's/.* \([0-9]*\) packets were earlier than the one before.*/\1/p' "$WORK/live$1.replay.err"); back=${back:-0}
		# "DIFFERING MAX_ABS_DIFF_NS" over the pairs of equal rank. Epoch
		# ns have 19 digits, beyond a double's 53 bits (awk would round
		# a difference to 256 ns): seconds and nanoseconds apart.
		res=$(paste -d' ' "$WORK/live$1.pcap_rtt" "$WORK/live$1.replay.ts" |
			awk 'function ns(a, b,  la, lb, s) { la = length(a); lb = length(b)
				s = (substr(a, 1, la - 9) - substr(b, 1, lb - 9)) * 1e9
				return s + (substr(a, la - 8) - substr(b, lb - 8)) }
			     { if ($1 != $3 || $2 != $4) { n++
				d = ns($3, $1); if (d < 0) d = -d; if (d > m) m = d
				d = $4 - $2; if (d < 0) d = -d; if (d > m) m = d } }
			     END { printf "%d %d\n", n, m }')
		step=$(tcpdump -r "$cap" -nn --time-stamp-precision nano -tt 2>/dev/null |
			awk '{ split($1, f, "."); if (NR == 1) s0 = f[1]
			       t = (f[1] - s0) * 1e9 + f[2]   # ns since the first second: exact
			       if (NR > 1 && t < p) m += p - t; p = t }
			     END { printf "%d\n", m }')
		echo "  $name2: pcap_rtt $pn samples, replay $rn; differing ${res% *} (at most ${res#* } ns), capture stepped back ${back:-?} times (${step:-?} ns in all)"
		if [ "$pn" -lt 100 ]; then
			fail "$name2" "only $pn samples from pcap_rtt"
		elif [ "$pn" != "$rn" ]; then
			fail "$name2" "pcap_rtt $pn samples, replay $rn"
		elif [ "${res% *}" -gt "${back:-0}" ] || [ "${res#* }" -gt "${step:-0}" ]; then
			fail "$name2" "${res% *} samples differ (by up to ${res#* } ns); the capture stepped back ${back:-?} times, ${step:-?} ns in all"
		else
			pass "$name2"
		fi
	fi
}

need_tools live-vs-replay iperf3 tcpdump || summary
TOPO_UP=1
if ! topo_up 10; then
	fail live-vs-replay "could not build the delayed path"
	summary
fi
live 4
live 6
summary
