#!/usr/bin/env bash
# scripts/pping-plot on synthetic pping -F jsonl output of a known shape: the
# PNG it writes (signature, size), the values it hands gnuplot (ns -> ms,
# time axis), series limiting, aggregate input, and its errors. Needs jq and
# gnuplot, no BPF and no namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh

PLOT=$PWD/scripts/pping-plot
# A missing tool is a failure, not a skip: make deps installs them.
need_tools plot jq gnuplot || summary

dir=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-plot.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Events: three flows over 10 s, starting at 1764070000 s since the epoch:
#   A 10.200.0.2:5201+10.200.0.1:40000        20 ms, every 100 ms: 100 samples
#   B [fd00:200::2]:5202+[fd00:200::1]:40002   50 ms, every 200 ms:  50 samples
#   C 10.200.0.3:443+10.200.0.1:40004          80 ms, every 500 ms:  20 samples
# A's first RTT is 20123456 ns, its minimum 20012345 ns. Opening and closing
# flow events and a global record must be ignored. Timestamps are built as
# strings: they have more digits than a double holds.
gen_events() {
	awk 'function ts(ms) { return sprintf("%d%09d", 1764070000 + int(ms / 1000), (ms % 1000) * 1000000) }
	function flow(sip, sp, dip, dp) {
		return sprintf("\"src_ip\":\"%s\",\"src_port\":%d,\"dest_ip\":\"%s\",\"dest_port\":%d,\"protocol\":\"TCP\"", sip, sp, dip, dp)
	}
	function rtt(ms, f, r, m) {
		printf "{\"timestamp\":%s,%s,\"rtt\":%d,\"min_rtt\":%d,\"sent_packets\":10,\"sent_bytes\":15000,\"rec_packets\":8,\"rec_bytes\":600,\"match_on_egress\":false}\n", ts(ms), f, r, m
	}
	function ev(ms, f, what, why) {
		printf "{\"timestamp\":%s,%s,\"flow_event\":\"%s\",\"reason\":\"%s\",\"triggered_by\":\"src\"}\n", ts(ms), f, what, why
	}
	BEGIN {
		A = flow("10.200.0.2", 5201, "10.200.0.1", 40000)
		B = flow("fd00:200::2", 5202, "fd00:200::1", 40002)
		C = flow("10.200.0.3", 443, "10.200.0.1", 40004)
		ev(0, A, "opening", "SYN"); ev(0, B, "opening", "SYN"); ev(0, C, "opening", "first observed packet")
		for (ms = 0; ms < 10000; ms += 100) {
			if (ms == 0) rtt(ms, A, 20123456, 20123456)
			else rtt(ms, A, 20000000 + (ms % 700) * 1000, 20012345)
			if (ms % 200 == 0) rtt(ms, B, 50000000 + (ms % 300) * 1000, 50000000)
			if (ms % 500 == 0) rtt(ms, C, 80000000 + ms * 1000, 80000000)
		}
		printf "{\"timestamp\":%s,\"type\":\"global\",\"interval_ns\":1000000000,\"packets\":5}\n", ts(9999)
		ev(9999, A, "closing", "FIN"); ev(9999, B, "closing", "RST")
	}'
}

# Aggregates: two subnets, ten 1 s intervals. 10.200.0.0/24: p50 20 ms, p95
# 25 ms, window minimum 19.5 ms; its interval at 5 s has no samples (nulls:
# a gap in the plot). fd00:200::/64: p50 50 ms, 3 samples per interval.
# 10.9.0.0/16 never has a sample: no series.
gen_subnets() {
	awk 'function ts(s) { return sprintf("%d000000000", 1764070000 + s) }
	function rec(s, net, n, p50, p95, wmin) {
		printf "{\"timestamp\":%s,\"type\":\"subnet\",\"interval_ns\":1000000000,\"subnet\":\"%s\",\"rtt_count\":%d,", ts(s), net, n
		if (n == 0)
			printf "\"rtt_min\":null,\"rtt_p50\":null,\"rtt_p95\":null,\"rtt_p99\":null,\"rtt_max\":null,\"window_min_rtt\":null,"
		else
			printf "\"rtt_min\":%d,\"rtt_p50\":%d,\"rtt_p95\":%d,\"rtt_p99\":%d,\"rtt_max\":%d,\"window_min_rtt\":%d,", wmin, p50, p95, p95, p95, wmin
		printf "\"qdelay_p50\":null,\"qdelay_p95\":null,\"qdelay_p99\":null,\"qdelay_max\":null,\"tx_packets\":100,\"tx_bytes\":150000,\"rx_packets\":80,\"rx_bytes\":6000}\n"
	}
	BEGIN {
		for (s = 1; s <= 10; s++) {
			rec(s, "10.200.0.0/24", s == 5 ? 0 : 12, 20000000, 25000000, 19500000)
			rec(s, "fd00:200::/64", 3, 50000000, 52000000, 49000000)
			rec(s, "10.9.0.0/16", 0)
			printf "{\"timestamp\":%s,\"type\":\"global\",\"interval_ns\":1000000000,\"packets\":180}\n", ts(s)
		}
	}'
}

gen_events >"$dir/events.jsonl"
gen_subnets >"$dir/subnets.jsonl"

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk, or nothing if FILE does
# not start with the PNG signature.
png_size() {
	[ "$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a ] || return 1
	od -An -tu1 -j16 -N8 "$1" |
		awk '{ printf "%dx%d", (($1 * 256 + $2) * 256 + $3) * 256 + $4, (($5 * 256 + $6) * 256 + $7) * 256 + $8 }'
}

# run NAME ARGS...: run pping-plot, leaving stdout, stderr and exit status in
# $dir/NAME.out, $dir/NAME.err and $rc.
run() {
	local name=$1
	shift
	"$PLOT" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
	rc=$?
}
errof() { tr '\n' ' ' <"$dir/$1.err"; }

# --- the image ----------------------------------------------------------------
run png -o "$dir/a.png" --size 640x480 "$dir/events.jsonl"
sz=$(png_size "$dir/a.png")
if [ $rc -eq 0 ] && [ "$sz" = 640x480 ]; then
	pass png-written-with-size
else
	fail png-written-with-size "exit $rc, size '${sz:-not a PNG}': $(errof png)"
fi

run png-default -o "$dir/b.png" <"$dir/events.jsonl"
sz=$(png_size "$dir/b.png")
if [ $rc -eq 0 ] && [ "$sz" = 1000x600 ] && grep -q "wrote $dir/b.png" "$dir/png-default.err"; then
	pass png-from-stdin-default-size
else
	fail png-from-stdin-default-size "exit $rc, size '${sz:-not a PNG}': $(errof png-default)"
fi

PPING_PLOT_TERMINAL=png "$PLOT" -o "$dir/c.png" --size 300x200 "$dir/events.jsonl" 2>"$dir/png-libgd.err"
rc=$?
sz=$(png_size "$dir/c.png")
if [ $rc -eq 0 ] && [ "$sz" = 300x200 ]; then
	pass png-terminal-fallback
else
	fail png-terminal-fallback "exit $rc, size '${sz:-not a PNG}': $(errof png-libgd)"
fi

# --- the data gnuplot draws ---------------------------------------------------
# series.tsv: rank, flow, samples: most samples first, IPv6 in brackets,
# flow events and the global record not counted.
want=$(printf '%s\n' \
	"1	10.200.0.2:5201+10.200.0.1:40000	100" \
	"2	[fd00:200::2]:5202+[fd00:200::1]:40002	50" \
	"3	10.200.0.3:443+10.200.0.1:40004	20")
TZ=UTC run keep-utc -o "$dir/d.png" --keep-data "$dir/keep-utc" "$dir/events.jsonl"
got=$(cat "$dir/keep-utc/series.tsv" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
	pass series-named-and-ranked
else
	fail series-named-and-ranked "exit $rc, series.tsv: $(tr '\t\n' ' |' <<<"$got") $(errof keep-utc)"
fi

# ns -> ms with all six decimals: A's first sample, its minimum line, and
# B's and C's levels; x is epoch seconds in UTC.
a1=$(head -n 1 "$dir/keep-utc/series-1.dat" 2>/dev/null)
a2=$(sed -n 2p "$dir/keep-utc/series-1.dat" 2>/dev/null)
b1=$(head -n 1 "$dir/keep-utc/series-2.dat" 2>/dev/null | cut -f2)
c_max=$(cut -f2 "$dir/keep-utc/series-3.dat" 2>/dev/null | sort -g | tail -n 1)
if [ "$a1" = "$(printf '1764070000.000000\t20.123456\t20.123456\tNaN')" ] &&
   [ "$a2" = "$(printf '1764070000.100000\t20.100000\t20.012345\tNaN')" ] &&
   [ "$b1" = 50.000000 ] && [ "$c_max" = 89.500000 ]; then
	pass rtt-in-ms
else
	fail rtt-in-ms "A rows '$a1' / '$a2', B first '$b1', C max '$c_max'"
fi

# Wall-clock axis: local time, the offset taken from TZ (UTC+2 here,
# written POSIX-style so no tz database is needed).
TZ=XXX-2 run keep-tz --keep-data "$dir/keep-tz" -o "$dir/e.png" "$dir/events.jsonl"
x1=$(head -n 1 "$dir/keep-tz/series-1.dat" 2>/dev/null | cut -f1)
if [ $rc -eq 0 ] && [ "$x1" = 1764077200.000000 ] &&
   grep -q "local time (UTC+02:00), from 2025-11-25 13:26:40" "$dir/keep-tz/plot.gp"; then
	pass x-axis-local-time
else
	fail x-axis-local-time "exit $rc, first x '$x1', xlabel: $(grep xlabel "$dir/keep-tz/plot.gp" 2>/dev/null)"
fi

run keep-el --elapsed --keep-data "$dir/keep-el" -o "$dir/f.png" "$dir/events.jsonl"
xs=$(cut -f1 "$dir/keep-el/series-1.dat" 2>/dev/null | sed -n '1p;$p' | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$xs" = "0.000000 9.900000 " ]; then
	pass x-axis-elapsed
else
	fail x-axis-elapsed "exit $rc, first and last x: '$xs' $(errof keep-el)"
fi

# Input split in two files given in reverse order: same data, sorted by time.
head -n 150 "$dir/events.jsonl" >"$dir/part1.jsonl"
tail -n +151 "$dir/events.jsonl" >"$dir/part2.jsonl"
TZ=UTC run parts --keep-data "$dir/keep-parts" -o "$dir/g.png" "$dir/part2.jsonl" - <"$dir/part1.jsonl"
if [ $rc -eq 0 ] && diff -r "$dir/keep-utc" "$dir/keep-parts" >/dev/null; then
	pass several-files-any-order
else
	fail several-files-any-order "exit $rc: $(diff -r "$dir/keep-utc" "$dir/keep-parts" 2>&1 | head -n 5 | tr '\n' ' ') $(errof parts)"
fi

# --- series limit ---------------------------------------------------------------
run limit --max-series 2 --keep-data "$dir/keep-limit" -o "$dir/h.png" "$dir/events.jsonl"
n=$(wc -l <"$dir/keep-limit/series.tsv" 2>/dev/null)
if [ $rc -eq 0 ] && grep -q "^pping-plot: 3 series, plotting 2 (1 left out)$" "$dir/limit.err" &&
   [ "$n" = 2 ] && ! grep -q 10.200.0.3 "$dir/keep-limit/series.tsv" &&
   grep -q "the 2 of 3 flows with the most samples (1 left out)" "$dir/keep-limit/plot.gp" &&
   [ "$(png_size "$dir/h.png")" = 1000x600 ]; then
	pass max-series-leaves-out-fewest
else
	fail max-series-leaves-out-fewest "exit $rc, $n series kept: $(errof limit)"
fi

run nolimit -o "$dir/i.png" "$dir/events.jsonl"
if [ $rc -eq 0 ] && grep -q "^pping-plot: 3 series, plotting 3$" "$dir/nolimit.err"; then
	pass all-series-when-under-limit
else
	fail all-series-when-under-limit "exit $rc: $(errof nolimit)"
fi

# --- aggregate input -------------------------------------------------------------
TZ=UTC run agg --keep-data "$dir/keep-agg" -o "$dir/j.png" "$dir/subnets.jsonl"
got=$(tr '\t\n' ' |' <"$dir/keep-agg/series.tsv" 2>/dev/null)
rows=$(wc -l <"$dir/keep-agg/series-1.dat" 2>/dev/null)
gap=$(sed -n 5p "$dir/keep-agg/series-1.dat" 2>/dev/null)
row=$(sed -n 6p "$dir/keep-agg/series-1.dat" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$got" = "1 10.200.0.0/24 108|2 fd00:200::/64 30|" ] && [ "$rows" = 10 ] &&
   [ "$gap" = "$(printf '1764070005.000000\tNaN\tNaN\tNaN')" ] &&
   [ "$row" = "$(printf '1764070006.000000\t20.000000\t25.000000\t19.500000')" ] &&
   grep -q "per subnet" "$dir/keep-agg/plot.gp" && grep -q filledcurves "$dir/keep-agg/plot.gp" &&
   [ "$(png_size "$dir/j.png")" = 1000x600 ]; then
	pass aggregate-detected
else
	fail aggregate-detected "exit $rc, series '$got', $rows rows of 10.200.0.0/24, 5th '$gap', 6th '$row': $(errof agg)"
fi

run agg-as-flow --by flow -o "$dir/k.png" "$dir/subnets.jsonl"
if [ $rc -eq 1 ] && grep -q "use --by subnet" "$dir/agg-as-flow.err" && [ ! -e "$dir/k.png" ]; then
	pass aggregate-by-flow-refused
else
	fail aggregate-by-flow-refused "exit $rc: $(errof agg-as-flow)"
fi

# --- errors ---------------------------------------------------------------------
run empty -o "$dir/l.png" </dev/null
if [ $rc -eq 1 ] && grep -q "no RTT records in the input" "$dir/empty.err" && [ ! -e "$dir/l.png" ]; then
	pass empty-input
else
	fail empty-input "exit $rc: $(errof empty)"
fi

grep flow_event "$dir/events.jsonl" >"$dir/flow-events.jsonl"
run only-flow-events -o "$dir/m.png" "$dir/flow-events.jsonl"
if [ $rc -eq 1 ] && grep -q "no RTT records" "$dir/only-flow-events.err"; then
	pass flow-events-only
else
	fail flow-events-only "exit $rc: $(errof only-flow-events)"
fi

{ head -n 2 "$dir/events.jsonl"; echo '{"timestamp":1764070000000000000,"rtt":'; tail -n 3 "$dir/events.jsonl"; } >"$dir/bad.jsonl"
run bad-json -o "$dir/n.png" "$dir/bad.jsonl"
if [ $rc -eq 1 ] && grep -q "bad.jsonl: line 3: not valid JSON" "$dir/bad-json.err" && [ ! -e "$dir/n.png" ]; then
	pass invalid-json-names-line
else
	fail invalid-json-names-line "exit $rc: $(errof bad-json)"
fi

printf '01:47:21.177082437 20.172411 ms 20.172411 ms TCP 10.200.0.2:5201+10.200.0.1:41126\n' >"$dir/text.out"
run text-input -o "$dir/o.png" "$dir/text.out"
if [ $rc -eq 1 ] && grep -q "line 1: not valid JSON (pping text output? record with pping -F jsonl)" "$dir/text-input.err"; then
	pass text-output-recognised
else
	fail text-output-recognised "exit $rc: $(errof text-input)"
fi

run missing-file -o "$dir/p.png" "$dir/no-such-file"
if [ $rc -eq 1 ] && grep -q "cannot read '$dir/no-such-file'" "$dir/missing-file.err"; then
	pass missing-file
else
	fail missing-file "exit $rc: $(errof missing-file)"
fi

bad=""
for args in "--bogus" "-x" "--max-series 0" "--max-series 101" "--max-series two" \
	    "--size 10x10" "--size 800" "--by host" "-o" "--elapsed=yes"; do
	# shellcheck disable=SC2086 # each entry is a list of arguments
	"$PLOT" "$dir/events.jsonl" $args >/dev/null 2>"$dir/usage.err" </dev/null
	rc=$?
	{ [ $rc -eq 2 ] && grep -q "^usage: pping-plot" "$dir/usage.err"; } || bad="$bad [$args: exit $rc]"
done
[ -z "$bad" ] && pass bad-options-exit-2 || fail bad-options-exit-2 "$bad"

run help --help
missing=""
for o in --output --by --title --max-series --size --elapsed --keep-data --help \
	 PPING_PLOT_KEEP PPING_PLOT_TERMINAL "default 8" "default: pping-rtt.png" gnuplot-nox; do
	grep -q -- "$o" "$dir/help.out" || missing="$missing $o"
done
[ $rc -eq 0 ] && [ -z "$missing" ] && pass help || fail help "exit $rc, missing:$missing"

# Missing tool: a PATH with everything the script uses except jq.
mkdir "$dir/bin"
for t in bash awk sort head tail cut wc cat cp mv rm mkdir mktemp date grep tr gnuplot; do
	ln -s "$(command -v $t)" "$dir/bin/$t"
done
PATH=$dir/bin "$dir/bin/bash" "$PLOT" -o "$dir/q.png" "$dir/events.jsonl" >/dev/null 2>"$dir/nojq.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "jq not found (install the Debian package jq)" "$dir/nojq.err"; then
	pass missing-tool-named
else
	fail missing-tool-named "exit $rc: $(errof nojq)"
fi

# Temporary files go away, on success and on failure.
mkdir "$dir/tmp"
TMPDIR=$dir/tmp "$PLOT" -o "$dir/r.png" "$dir/events.jsonl" 2>/dev/null
TMPDIR=$dir/tmp "$PLOT" -o "$dir/r.png" "$dir/bad.jsonl" 2>/dev/null
left=$(ls -A "$dir/tmp")
[ -z "$left" ] && pass temp-files-removed || fail temp-files-removed "left behind: $left"

summary
