#!/usr/bin/env bash
# Output formats and the output file (-F, -w, SIGHUP) with real TCP (iperf3)
# through a path with a known delay (tests/tools/delay_relay.c, 10 ms each way):
# json and jsonl records have exactly ePPing's fields with the right JSON
# types and values (RTT near the ping RTT, timestamps inside the run, the
# flow's addresses and ports, IPv6 in RFC 5952 form); ppviz lines have its
# layout; -w appends; json refuses a file with content; SIGHUP rotation
# splits the records between the two files, losing and repeating none, with
# both files valid at once; output is flushed while the daemon runs.
# Strict JSON parsing is done by python3's json module (an independent
# parser, exact integers); jq checks the fields.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=10
TOLERANCE_MS=1.0
# Timestamps are CLOCK_MONOTONIC plus an offset resynced every second;
# allow a little for that against `date +%s%N`.
SLACK_NS=10000000
MIN_SAMPLES=15

# A missing tool is a failure, not a skip: make deps installs them.
need_tools output iperf3 jq python3 || summary

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-output.XXXXXX")
SRV_PID=
# shellcheck disable=SC2317 # called from the EXIT trap
teardown() {
	[ -n "$PP_PID" ] && kill -KILL "$PP_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	pping_cleanup_files
	if [ "${PPING_KEEP_NS:-0}" = 1 ]; then
		echo "PPING_KEEP_NS=1: keeping $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	topo_down
}
trap teardown EXIT

# ---- helpers ---------------------------------------------------------------

now_ns() { date +%s%N; }


server_wait() {
	[ -n "$SRV_PID" ] && wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

# traffic DEST SECONDS: paced below what the relay forwards, so the path RTT
# stays what ping measured.
traffic() {
	in_cli iperf3 -c "$1" -t "$2" -b 20M >/dev/null 2>&1
}

# RTT events pping printed, from its exit summary: samples - not printed.
printed_rtt() {
	sed -n 's/.*RTT samples \([0-9]*\) (not printed \([0-9]*\)).*/\1 \2/p' "$1" |
		awk '{ print $1 - $2; exit }'
}

# pyjson check json|jsonl FILE: strict parse; prints the record count, or
# the problem with status 1. json: exactly one value, an array of objects;
# jsonl: newline-terminated lines, each one object on its own. Duplicate
# keys and NaN/Infinity are errors in both.
# pyjson lines json|jsonl FILE: the records, one per line, keys sorted,
# integers exact (for duplicate checks).
pyjson() {
	python3 - "$@" <<'EOF'
import json, sys

mode, fmt, path = sys.argv[1:4]

def pairs(kv):
    keys = [k for k, _ in kv]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %s" % keys)
    return dict(kv)

def bad_const(c):
    raise ValueError("non-JSON constant " + c)

def loads(s):
    return json.loads(s, object_pairs_hook=pairs, parse_constant=bad_const)

try:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if fmt == "json":
        recs = loads(text)      # raises on empty input and trailing values
        if not isinstance(recs, list):
            raise ValueError("top level is %s, not an array" % type(recs).__name__)
    else:
        if text and not text.endswith("\n"):
            raise ValueError("last line not terminated")
        recs = []
        for n, line in enumerate(text.split("\n")[:-1], 1):
            try:
                recs.append(loads(line))
            except ValueError as e:
                raise ValueError("line %d: %s: %r" % (n, e, line[:200]))
    for r in recs:
        if not isinstance(r, dict):
            raise ValueError("record is not an object: %r" % (r,))
except (OSError, ValueError) as e:
    print("%s: %s" % (path, e))
    sys.exit(1)
if mode == "check":
    print(len(recs))
else:
    for r in recs:
        print(json.dumps(r, sort_keys=True, separators=(",", ":")))
EOF
}

# as_array json|jsonl FILE: the records as one JSON array on stdout (for jq).
as_array() {
	if [ "$1" = json ]; then cat "$2"; else jq -nR '[inputs | fromjson]' "$2"; fi
}

# Every record has exactly the documented keys with the documented types and
# value sets; prints one line per bad record (at most 5).
# shellcheck disable=SC2016 # jq's variables, not the shell's
JQ_SCHEMA='
def rtt_keys: ["dest_ip","dest_port","match_on_egress","method","min_rtt",
	"protocol","rec_bytes","rec_packets","rtt","sent_bytes","sent_packets",
	"src_ip","src_port","timestamp"];
def flow_keys: ["dest_ip","dest_port","flow_event","protocol","reason",
	"src_ip","src_port","timestamp","triggered_by"];
def tcp_closing_keys: ["dest_ip","dest_port","flow_event","out_of_order_packets",
	"protocol","reason","retrans_packets","src_ip","src_port","timestamp",
	"triggered_by"];
def uint: type == "number" and . >= 0 and . == floor;
def port: uint and . >= 1 and . <= 65535;
def common: (.timestamp | uint) and (.src_port | port) and (.dest_port | port)
	and (.src_ip | type == "string") and (.dest_ip | type == "string")
	and (.protocol | IN("TCP", "ICMP", "ICMPv6"));
def problem:
	if has("rtt") then
		if (keys != rtt_keys) then "RTT event keys \(keys)"
		elif (common | not) then "RTT event common fields"
		elif ([.rtt, .min_rtt, .sent_packets, .sent_bytes, .rec_packets,
		       .rec_bytes] | all(uint) | not) then "RTT event numbers"
		elif (.match_on_egress | type) != "boolean" then "match_on_egress type"
		elif (.method | IN("ts", "seq", "icmp") | not) then "method \(.method)"
		elif .rtt <= 0 or .min_rtt <= 0 or .min_rtt > .rtt then "rtt/min_rtt values"
		else empty end
	elif has("flow_event") then
		if (keys != (if .flow_event == "closing" and .protocol == "TCP"
			     then tcp_closing_keys else flow_keys end)) then "flow event keys \(keys)"
		elif (has("retrans_packets") and ([.retrans_packets,
		       .out_of_order_packets] | all(uint) | not)) then "closing event counts"
		elif (common | not) then "flow event common fields"
		elif (.flow_event | IN("opening", "closing") | not) then "flow_event value"
		elif (.reason | IN("SYN", "SYN-ACK", "first observed packet", "FIN",
			"RST", "idle timeout", "no reply", "eviction") | not) then "reason value"
		elif (.triggered_by | IN("src", "dest", "cleanup") | not) then "triggered_by value"
		elif ((.triggered_by == "cleanup") != (.reason | IN("idle timeout",
			"no reply", "eviction"))) then "triggered_by cleanup with reason \(.reason)"
		else empty end
	else "neither an RTT nor a flow event" end;
[.[] | problem as $p | "\($p): \(tojson)"] | .[:5][]'

# check_records NAME FMT FILE T0 T1 SRV CLI PING_MS [PRINTED]
# The checks shared by output-json and output-jsonl; prints the first
# problem found (nothing if none). SRV/CLI are the canonical addresses.
check_records() {
	local fmt=$2 file=$3 t0=$4 t1=$5 srv=$6 cli=$7 ping_ms=$8 printed=${9:-}
	local arr=$WORK/arr.json bad n nrtt med

	if ! n=$(pyjson check "$fmt" "$file"); then
		echo "not valid $fmt: $n"; return
	fi
	if ! as_array "$fmt" "$file" >"$arr"; then
		echo "jq cannot read it"; return
	fi
	[ "$(jq length "$arr")" = "$n" ] || { echo "jq and python count differently"; return; }
	bad=$(jq -r "$JQ_SCHEMA" "$arr")
	[ -z "$bad" ] || { echo "bad records: $bad"; return; }
	# Time window of the run (jq doubles are exact to ~256 ns here).
	bad=$(jq -r --argjson a "$t0" --argjson b "$t1" --argjson s $SLACK_NS \
		'.[] | select(.timestamp < $a - $s or .timestamp > $b + $s) | tojson' "$arr" | head -3)
	[ -z "$bad" ] || { echo "timestamps outside the run [$t0, $t1]: $bad"; return; }
	# RTT events name the flow from the replying end: the server.
	bad=$(jq -r --arg s "$srv" --arg c "$cli" '.[] | select(has("rtt")) |
		select(.src_ip != $s or .src_port != 5201 or .dest_ip != $c or
		       .match_on_egress != false) | tojson' "$arr" | head -3)
	[ -z "$bad" ] || { echo "RTT events not $srv:5201+$cli:*: $bad"; return; }
	# Flow events: the two ends, and the client sent the SYN.
	bad=$(jq -r --arg s "$srv" --arg c "$cli" '.[] | select(has("flow_event")) |
		select(([.src_ip, .dest_ip] | sort) != ([$s, $c] | sort) or
		       ((if .src_ip == $s then .src_port else .dest_port end) != 5201)) | tojson' \
		"$arr" | head -3)
	[ -z "$bad" ] || { echo "flow events with other ends: $bad"; return; }
	jq -e --arg c "$cli" 'any(.[]; .flow_event == "opening" and .reason == "SYN" and
		(if .src_ip == $c then .triggered_by == "src" else .triggered_by == "dest" end))' \
		"$arr" >/dev/null || { echo "no opening event due to SYN triggered by the client"; return; }
	jq -e 'any(.[]; .flow_event == "closing")' "$arr" >/dev/null ||
		{ echo "no closing event"; return; }
	nrtt=$(jq '[.[] | select(has("rtt"))] | length' "$arr")
	[ "$nrtt" -ge $MIN_SAMPLES ] || { echo "only $nrtt RTT events (want >= $MIN_SAMPLES)"; return; }
	if [ -n "$printed" ] && [ "$nrtt" != "$printed" ]; then
		echo "$nrtt RTT records, but pping printed $printed"; return
	fi
	med=$(jq -r '.[] | select(has("rtt")) | .rtt / 1e6' "$arr" | median)
	echo "  $1: ping $ping_ms ms, median rtt ${med:-none} ms over $nrtt RTT records of $n" >"$WORK/info"
	within "$med" "$ping_ms" $TOLERANCE_MS ||
		{ echo "median rtt $med ms vs ping $ping_ms ms (tolerance $TOLERANCE_MS ms)"; return; }
}

# within A B TOL: |A - B| <= TOL
within() {
	[ -n "$1" ] && awk -v a="$1" -v b="$2" -v t="$3" \
		'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# run_capture DEST SECONDS PPING_ARGS...: one pping run around one iperf3
# test; sets T0/T1 (wall clock before the start and after the stop),
# PP_STATUS and PRINTED. Returns 1 if pping did not start.
run_capture() {
	local dst=$1 secs=$2
	shift 2
	T0=$(now_ns)
	iperf3_server || { echo "iperf3 server did not start" >&2; return 1; }
	pping_start "$NS_CLI" -i "$CLI_IF" -r 50ms "$@" || { server_wait; return 1; }
	traffic "$dst" "$secs"
	server_wait
	# The last ACKs of the close, before the final count.
	sleep 0.3
	pping_stop INT
	T1=$(now_ns)
	PRINTED=$(printed_rtt "$PP_ERR")
}

# refused_run ARGS...: run pping in the client namespace expecting it to
# refuse to start; sets ERR (its stderr), ST (its status) and LEFT (pping
# programs that appeared and stayed, held by no process: left attached).
# Other suites load pping programs at the same time (make test runs two
# lanes): those are held by their daemons, and one that is starting or
# exiting as this looks is gone at the next of 3 attempts; a real leak
# stays every time.
refused_run() {
	local before after _
	for _ in 1 2 3; do
		before=$(pping_prog_ids | sort)
		ERR=$(in_cli timeout 5 "$PP_BIN" -i "$CLI_IF" "$@" 2>&1 >/dev/null)
		ST=$?
		after=$(pping_prog_ids | sort)
		LEFT=$(comm -13 <(echo "$before") <(echo "$after") |
			comm -23 - <(held_prog_ids) | tr '\n' ' ')
		[ -z "$LEFT" ] && break
	done
}

# ---- setup -----------------------------------------------------------------

if ! topo_up $ONEWAY_MS; then
	fail topology "could not build the delayed path"
	summary
fi
PING4=$(measure_ping_rtt "$NS_CLI" "$SRV_IP4" 10)
PING6=$(measure_ping_rtt "$NS_CLI" "$SRV_IP6" 10)
if [ -z "$PING4" ] || [ -z "$PING6" ]; then
	fail topology "no ping replies (v4 '${PING4}', v6 '${PING6}')"
	summary
fi
echo "  path RTT by ping: IPv4 $PING4 ms, IPv6 $PING6 ms"

# ---- output-json (IPv4) ----------------------------------------------------

name=output-json
f=$WORK/run.json
if ! run_capture "$SRV_IP4" 3 -F json -w "$f"; then
	fail $name "pping did not start"
elif [ "$PP_STATUS" != 0 ]; then
	fail $name "pping exit status $PP_STATUS: $(tail -3 "$PP_ERR")"
elif [ -s "$PP_OUT" ]; then
	fail $name "stdout not empty with -w: $(head -c 200 "$PP_OUT")"
else
	why=$(check_records $name json "$f" "$T0" "$T1" "$SRV_IP4" "$CLI_IP4" "$PING4" "$PRINTED")
	cat "$WORK/info" 2>/dev/null; rm -f "$WORK/info"
	if [ -n "$why" ]; then fail $name "$why"; else pass $name; fi
fi
pping_cleanup_files

# ---- output-jsonl and output-ipv6-canonical (IPv6) -------------------------

name=output-jsonl
f=$WORK/run6.jsonl
# Oracle for the canonical text: python's RFC 5952 compression.
canon() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).compressed)' "$1"; }
SRV6C=$(canon "$SRV_IP6") CLI6C=$(canon "$CLI_IP6")
ok6=0
if ! run_capture "$SRV_IP6" 3 -F jsonl -w "$f"; then
	fail $name "pping did not start"
elif [ "$PP_STATUS" != 0 ]; then
	fail $name "pping exit status $PP_STATUS: $(tail -3 "$PP_ERR")"
else
	ok6=1
	lines=$(wc -l <"$f")
	why=$(check_records $name jsonl "$f" "$T0" "$T1" "$SRV6C" "$CLI6C" "$PING6" "$PRINTED")
	cat "$WORK/info" 2>/dev/null; rm -f "$WORK/info"
	if [ -n "$why" ]; then
		fail $name "$why"
	elif [ "$(pyjson check jsonl "$f")" != "$lines" ]; then
		fail $name "$lines lines but a different number of records"
	else
		pass $name
	fi
fi
pping_cleanup_files

name=output-ipv6-canonical
if [ $ok6 = 0 ]; then
	fail $name "no IPv6 run"
else
	# Every address in the file, each against its canonical form.
	addrs=$(pyjson lines jsonl "$f" | jq -r '.src_ip, .dest_ip' | sort -u)
	bad=
	for a in $addrs; do
		c=$(canon "$a" 2>/dev/null)
		[ "$a" = "$c" ] || bad="$bad $a (canonical: ${c:-not an address})"
	done
	want=$(printf '%s\n' "$SRV6C" "$CLI6C" | sort -u)
	if [ -n "$bad" ]; then
		fail $name "not canonical:$bad"
	elif [ "$addrs" != "$want" ]; then
		fail $name "addresses $(tr '\n' ' ' <<<"$addrs"), want $(tr '\n' ' ' <<<"$want")"
	else
		pass $name
	fi
fi

# ---- output-ppviz (IPv4) ---------------------------------------------------

name=output-ppviz
f=$WORK/run.ppviz
if ! run_capture "$SRV_IP4" 3 -F ppviz -w "$f"; then
	fail $name "pping did not start"
elif [ "$PP_STATUS" != 0 ]; then
	fail $name "pping exit status $PP_STATUS: $(tail -3 "$PP_ERR")"
else
	re='^[0-9]+\.[0-9]{9} [0-9]+\.[0-9]{9} [0-9]+\.[0-9]{9} [^ ]+:[0-9]+\+[^ ]+:[0-9]+$'
	n=$(wc -l <"$f")
	badline=$(grep -Ev "$re" "$f" | head -2)
	# Whole seconds and ns digits as integers: no float rounding.
	badtime=$(awk -v a="$T0" -v b="$T1" -v s=$SLACK_NS '{
		split($1, t, "."); ns = t[1] * 1e9 + t[2]
		if (ns < a - s || ns > b + s) { print; exit } }' "$f")
	badmin=$(awk '{ if ($3 + 0 > $2 + 0) { print; exit } }' "$f")
	badflow=$(grep -v "^[^ ]* [^ ]* [^ ]* $SRV_IP4:5201+$CLI_IP4:[0-9]*\$" "$f" | head -2)
	med=$(awk '{ printf "%.6f\n", $2 * 1000 }' "$f" | median)
	echo "  $name: ping $PING4 ms, median rtt ${med:-none} ms over $n lines (printed $PRINTED)"
	if [ "$n" -lt $MIN_SAMPLES ]; then
		fail $name "only $n lines"
	elif [ -n "$badline" ]; then
		fail $name "lines not in ppviz layout (flow events?): $badline"
	elif [ "$n" != "$PRINTED" ]; then
		fail $name "$n lines, but pping printed $PRINTED RTT events"
	elif [ -n "$badtime" ]; then
		fail $name "epoch outside the run [$T0, $T1]: $badtime"
	elif [ -n "$badmin" ]; then
		fail $name "min_rtt > rtt: $badmin"
	elif [ -n "$badflow" ]; then
		fail $name "not named from the replying end $SRV_IP4:5201: $badflow"
	elif ! within "$med" "$PING4" $TOLERANCE_MS; then
		fail $name "median rtt $med ms vs ping $PING4 ms"
	else
		pass $name
	fi
fi
pping_cleanup_files

# ---- output-append ---------------------------------------------------------

name=output-append
f=$WORK/append.jsonl
snap=$WORK/append.first
why=
if ! run_capture "$SRV_IP4" 1 -F jsonl -w "$f"; then
	why="first run did not start"
elif [ "$PP_STATUS" != 0 ]; then
	why="first run: exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
else
	cp "$f" "$snap"
	n1=$(wc -l <"$snap") end1=$T1
	pping_cleanup_files
	if ! run_capture "$SRV_IP4" 1 -F jsonl -w "$f"; then
		why="second run did not start"
	elif [ "$PP_STATUS" != 0 ]; then
		why="second run: exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	else
		n2=$(wc -l <"$f")
		tail -n +$((n1 + 1)) "$f" >"$WORK/append.second"
		r2=$(grep -c '"rtt":' "$WORK/append.second")
		old2=$(jq -cR --argjson e "$end1" 'fromjson | select(.timestamp < $e)' \
			"$WORK/append.second" 2>/dev/null | head -c 300)
		if [ "$n1" -lt 3 ]; then
			why="first run wrote only $n1 records"
		elif ! cmp -s "$snap" <(head -n "$n1" "$f"); then
			why="the first run's $n1 lines changed"
		elif [ "$n2" -le "$n1" ]; then
			why="$n2 lines after the second run, $n1 after the first"
		elif ! m=$(pyjson check jsonl "$f"); then
			why="not valid jsonl: $m"
		elif [ "$r2" != "$PRINTED" ]; then
			why="second run added $r2 RTT records, pping printed $PRINTED"
		elif [ -n "$old2" ]; then
			why="second part holds records from the first run: $old2"
		fi
	fi
fi
if [ -n "$why" ]; then fail $name "$why"; else pass $name; fi
pping_cleanup_files

# ---- output-json-refuses-existing ------------------------------------------

name=output-json-refuses-existing
f=$WORK/existing.json
printf '[\n{"some":"earlier run"}\n]\n' >"$f"
cp "$f" "$WORK/existing.orig"
refused_run -F json -w "$f"
if [ "$ST" != 1 ]; then
	fail $name "exit status $ST, want 1: $ERR"
elif ! grep -qF "$f" <<<"$ERR"; then
	fail $name "message does not name the file: $ERR"
elif ! cmp -s "$f" "$WORK/existing.orig"; then
	fail $name "the file changed: $(head -c 200 "$f")"
elif [ -n "$LEFT" ]; then
	fail $name "BPF programs left behind: $LEFT"
elif in_cli bpftool net show dev "$CLI_IF" 2>/dev/null | grep -qi pping; then
	fail $name "something attached to $CLI_IF: $(in_cli bpftool net show dev "$CLI_IF")"
else
	echo "  $name: $ERR"
	# An existing empty file is accepted; the run leaves an empty array.
	f=$WORK/empty.json
	: >"$f"
	if ! pping_start "$NS_CLI" -i "$CLI_IF" -F json -w "$f"; then
		fail $name "an empty existing file is refused: $(tail -2 "$PP_ERR")"
	else
		pping_stop INT
		if [ "$PP_STATUS" != 0 ]; then
			fail $name "empty file: exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
		elif ! n=$(pyjson check json "$f"); then
			fail $name "empty file: not valid json afterwards: $n"
		else
			pass $name
		fi
	fi
	pping_cleanup_files
fi

# ---- output-write-unwritable -----------------------------------------------

name=output-write-unwritable
f=$WORK/no-such-dir/out.jsonl
refused_run -F jsonl -w "$f"
if [ "$ST" != 1 ]; then
	fail $name "exit status $ST, want 1: $ERR"
elif ! grep -qF "$f" <<<"$ERR"; then
	fail $name "message does not name the file: $ERR"
elif [ -n "$LEFT" ]; then
	fail $name "BPF programs left behind: $LEFT"
else
	pass $name
fi

# ---- output-sighup-rotate-{jsonl,json} -------------------------------------

# Traffic for 4 s; after 2 s the file is moved away and pping gets SIGHUP.
# FILE.1 must hold the records from before, FILE those from after, every
# RTT record pping printed in exactly one of them, both valid (json: FILE.1
# already while pping still runs).
rotate_test() {
	local fmt=$1 name=output-sighup-rotate-$1 f=$WORK/rot.$1 cli t_mv t_hup i
	local n_old n_new r_old r_new dups old_max new_min
	local j_old=$WORK/rot-old.lines j_new=$WORK/rot-new.lines

	T0=$(now_ns)
	if ! iperf3_server || ! pping_start "$NS_CLI" -i "$CLI_IF" -r 50ms -F "$fmt" -w "$f"; then
		fail "$name" "pping or iperf3 did not start"
		server_wait
		return
	fi
	in_cli iperf3 -c "$SRV_IP4" -t 4 -b 20M >/dev/null 2>&1 &
	cli=$!
	sleep 2
	t_mv=$(now_ns)
	mv "$f" "$f.1"
	kill -HUP "$PP_PID"
	t_hup=$(now_ns)
	for i in $(seq 40); do
		grep -q "reopened" "$PP_ERR" && break
		sleep 0.025
	done
	if [ "$fmt" = json ] && ! n_old=$(pyjson check json "$f.1"); then
		fail "$name" "the rotated file is not valid json while pping runs: $n_old"
		wait $cli; server_wait; pping_stop INT
		return
	fi
	wait $cli
	server_wait
	sleep 0.3
	pping_stop INT
	PRINTED=$(printed_rtt "$PP_ERR")
	if [ "$PP_STATUS" != 0 ]; then
		fail "$name" "exit status $PP_STATUS: $(tail -2 "$PP_ERR")"; return
	fi
	if ! grep -q "reopened" "$PP_ERR"; then
		fail "$name" "no reopen reported: $(grep -i sighup "$PP_ERR")"; return
	fi
	if ! n_old=$(pyjson check "$fmt" "$f.1"); then
		fail "$name" "rotated file: $n_old"; return
	fi
	if ! n_new=$(pyjson check "$fmt" "$f"); then
		fail "$name" "new file: $n_new"; return
	fi
	pyjson lines "$fmt" "$f.1" >"$j_old"
	pyjson lines "$fmt" "$f" >"$j_new"
	r_old=$(grep -c '"rtt":' "$j_old")
	r_new=$(grep -c '"rtt":' "$j_new")
	dups=$(sort "$j_old" "$j_new" | uniq -d | head -2)
	# Extremes by exact integer comparison of the timestamp text.
	old_max=$(grep -o '"timestamp":[0-9]*' "$j_old" | cut -d: -f2 | sort -n | tail -1)
	new_min=$(grep -o '"timestamp":[0-9]*' "$j_new" | cut -d: -f2 | sort -n | head -1)
	echo "  $name: $r_old + $r_new RTT records ($n_old + $n_new records), pping printed $PRINTED;" \
		"rotated file up to t_mv$(awk -v a="$old_max" -v b="$t_mv" 'BEGIN { printf "%+.0f", (a - b) / 1e6 }') ms," \
		"new file from t_mv$(awk -v a="$new_min" -v b="$t_mv" 'BEGIN { printf "%+.0f", (a - b) / 1e6 }') ms"
	if [ "$r_old" -lt 5 ] || [ "$r_new" -lt 5 ]; then
		fail "$name" "RTT records: $r_old before, $r_new after the rotation (want >= 5 each)"
	elif [ "$((r_old + r_new))" != "$PRINTED" ]; then
		fail "$name" "$r_old + $r_new RTT records in the two files, pping printed $PRINTED"
	elif [ -n "$dups" ]; then
		fail "$name" "records in both files: $dups"
	# Records of the last batch before the reopen may be up to a poll
	# period (100 ms) younger than the signal.
	elif [ "$old_max" -gt $((t_hup + 300000000)) ]; then
		fail "$name" "rotated file holds records from after the rotation ($old_max > $t_hup)"
	elif [ "$new_min" -lt $((t_mv - 300000000)) ]; then
		fail "$name" "new file holds records from before the rotation ($new_min < $t_mv)"
	elif [ "$old_max" -gt $((new_min + 1000000)) ]; then
		fail "$name" "files overlap in time: rotated up to $old_max, new from $new_min"
	else
		pass "$name"
	fi
}
rotate_test jsonl
pping_cleanup_files
rotate_test json
pping_cleanup_files

# ---- output-sighup-json-unmoved --------------------------------------------

# SIGHUP without moving a json file: the file has content, so reopening it
# is refused and pping keeps writing the same array.
name=output-sighup-json-unmoved
f=$WORK/unmoved.json
if ! iperf3_server || ! pping_start "$NS_CLI" -i "$CLI_IF" -r 50ms -F json -w "$f"; then
	fail $name "pping or iperf3 did not start"
	server_wait
else
	in_cli iperf3 -c "$SRV_IP4" -t 2 -b 20M >/dev/null 2>&1 &
	cli=$!
	sleep 1
	kill -HUP "$PP_PID"
	wait $cli
	server_wait
	sleep 0.3
	pping_stop INT
	PRINTED=$(printed_rtt "$PP_ERR")
	if [ "$PP_STATUS" != 0 ]; then
		fail $name "exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif ! n=$(pyjson check json "$f"); then
		fail $name "$n"
	elif r=$(jq '[.[] | select(has("rtt"))] | length' "$f") && [ "$r" != "$PRINTED" ]; then
		fail $name "$r RTT records, pping printed $PRINTED"
	elif ! grep -qi "keeping the current output file" "$PP_ERR"; then
		fail $name "no message about keeping the file: $(grep -i -A1 sighup "$PP_ERR")"
	else
		pass $name
	fi
fi
pping_cleanup_files

# ---- output-sighup-rotate-json-empty ---------------------------------------

# Rotation before any record: the rotated part of the run is an empty run,
# which in json is "[]", not an empty (invalid) file.
name=output-sighup-rotate-json-empty
f=$WORK/rot-empty.json
if ! pping_start "$NS_CLI" -i "$CLI_IF" -F json -w "$f"; then
	fail $name "pping did not start"
else
	mv "$f" "$f.1"
	kill -HUP "$PP_PID"
	for i in $(seq 40); do
		grep -q "reopened" "$PP_ERR" && break
		sleep 0.025
	done
	m1=$(pyjson check json "$f.1"); s1=$?
	pping_stop INT
	m2=$(pyjson check json "$f"); s2=$?
	if [ "$PP_STATUS" != 0 ]; then
		fail $name "exit status $PP_STATUS: $(tail -2 "$PP_ERR")"
	elif [ $s1 != 0 ]; then
		fail $name "rotated file ($(stat -c %s "$f.1") bytes) is not valid json: $m1"
	elif [ $s2 != 0 ]; then
		fail $name "new file: $m2"
	else
		pass $name
	fi
fi
pping_cleanup_files

# ---- output-flush ----------------------------------------------------------

# A sparse sampling rate (one sample per 500 ms) writes a few hundred bytes a
# second: without a flush per batch nothing would reach the file for many
# seconds. The first RTT record must be in the file within 1 s of the
# traffic starting, and everything (the closing events too) before exit.
name=output-flush
f=$WORK/flush.jsonl
if ! iperf3_server || ! pping_start "$NS_CLI" -i "$CLI_IF" -r 500ms -d 60s -F jsonl -w "$f"; then
	fail $name "pping or iperf3 did not start"
	server_wait
else
	t_start=$(now_ns)
	in_cli iperf3 -c "$SRV_IP4" -t 2 -b 20M >/dev/null 2>&1 &
	cli=$!
	seen=
	for i in $(seq 60); do
		if grep -q '"rtt":' "$f" 2>/dev/null; then
			seen=$(( ($(now_ns) - t_start) / 1000000 ))
			break
		fi
		sleep 0.05
	done
	wait $cli
	server_wait
	sleep 0.5
	alive=0; kill -0 "$PP_PID" 2>/dev/null && alive=1
	n_live=$(wc -l <"$f")
	closing_live=$(grep -c '"closing"' "$f")
	pping_stop INT
	n_end=$(wc -l <"$f")
	echo "  $name: first RTT record in the file after ${seen:-never} ms; $n_live records while running, $n_end at exit"
	if [ $alive = 0 ]; then
		fail $name "pping was not running any more"
	elif [ -z "$seen" ] || [ "$seen" -gt 1000 ]; then
		fail $name "no RTT record in the file within 1 s of the traffic (${seen:-not within 3 s})"
	elif [ "$closing_live" -lt 1 ]; then
		fail $name "closing events not in the file 0.5 s after the flows closed"
	elif [ "$n_end" != "$n_live" ]; then
		fail $name "$((n_end - n_live)) records held back until exit"
	elif [ "$PP_STATUS" != 0 ]; then
		fail $name "exit status $PP_STATUS"
	else
		pass $name
	fi
fi
pping_cleanup_files

# ---- output-sighup-stdout --------------------------------------------------

name=output-sighup-stdout
if ! iperf3_server || ! pping_start "$NS_CLI" -i "$CLI_IF" -r 50ms -F jsonl; then
	fail $name "pping or iperf3 did not start"
	server_wait
else
	kill -HUP "$PP_PID"
	sleep 0.3
	alive=0; kill -0 "$PP_PID" 2>/dev/null && alive=1
	traffic "$SRV_IP4" 1
	server_wait
	sleep 0.3
	pping_stop INT
	r=$(grep -c '"rtt":' "$PP_OUT")
	if [ $alive = 0 ]; then
		wait "$PP_PID" 2>/dev/null
		fail $name "SIGHUP ended pping: $(tail -2 "$PP_ERR")"
	elif [ "$PP_STATUS" != 0 ]; then
		fail $name "exit status $PP_STATUS after SIGINT: $(tail -2 "$PP_ERR")"
	elif [ "$r" -lt 5 ]; then
		fail $name "only $r RTT records on stdout after the SIGHUP"
	elif ! m=$(pyjson check jsonl "$PP_OUT"); then
		fail $name "stdout: $m"
	else
		pass $name
	fi
fi
pping_cleanup_files

# ---- output-bad-format -----------------------------------------------------

name=output-bad-format
err=$(in_cli timeout 10 "$PP_BIN" -i "$CLI_IF" -F foo 2>&1 >/dev/null); st=$?
err2=$(in_cli timeout 10 "$PP_BIN" -i "$CLI_IF" -F ppviz -a 1s 2>&1 >/dev/null); st2=$?
if [ $st != 2 ]; then
	fail $name "-F foo: exit status $st, want 2: $err"
elif ! grep -q -- "--format" <<<"$err"; then
	fail $name "-F foo: message does not name --format: $err"
elif ! { grep -qw standard <<<"$err" && grep -qw ppviz <<<"$err" &&
	 grep -qw json <<<"$err" && grep -qw jsonl <<<"$err"; }; then
	fail $name "-F foo: message does not list the formats: $err"
elif [ $st2 != 2 ]; then
	fail $name "-F ppviz -a 1s: exit status $st2, want 2: $err2"
elif [ -z "$err2" ]; then
	fail $name "-F ppviz -a 1s: no message"
else
	echo "  $name: $err | $err2"
	pass $name
fi

summary
