#!/usr/bin/env bash
# Command-line handling: bad values exit 2 naming the option and the allowed
# form; an unknown interface exits 1 naming it; valid durations are accepted
# in every form users type.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

PPING=./pping
NS=pp$$-opt
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT


expect_usage bad-rate-unit      "--rate-limit.*0 to 60s"   -i lo -r 5x
expect_usage bad-rate-negative  "--rate-limit.*0 to 60s"   -i lo -r -1
expect_usage bad-rate-too-big   "--rate-limit.*0 to 60s"   -i lo -r 61s
expect_usage bad-rate-empty     "--rate-limit"             -i lo --rate-limit=
expect_usage bad-ingress-hook   "--ingress-hook.*tc or xdp" -i lo -I ebpf
expect_usage bad-xdp-mode       "--xdp-mode.*native, generic or unspecified" -i lo -x fast
expect_usage bad-duration-zero  "--duration"               -i lo -d 0
expect_usage bad-duration-text  "--duration"               -i lo -d soon
expect_usage bad-rtt-rate-zero   "--rtt-rate.*0.001 to 1000" -i lo -R 0
expect_usage bad-rtt-rate-text   "--rtt-rate.*0.001 to 1000" -i lo --rtt-rate fast
expect_usage bad-rtt-type        "--rtt-type.*min or smoothed" -i lo -t avg
expect_usage bad-burst-zero      "--burst.*1 to 255"        -i lo --burst 0
expect_usage bad-burst-too-big   "--burst.*1 to 255"        -i lo --burst 256
expect_usage bad-burst-fraction  "--burst.*1 to 255"        -i lo --burst 2.5
expect_usage bad-burst-window    "--burst-window.*0 to 1s"  -i lo --burst-window 2s
expect_usage bad-max-flows-small "--max-flows.*16 to 16777216" -i lo --max-flows 15
expect_usage bad-max-flows-big   "--max-flows.*16 to 16777216" -i lo --max-flows 16777217
expect_usage bad-max-timestamps  "--max-timestamps.*16 to 16777216" -i lo --max-timestamps -5
expect_usage bad-cleanup-interval "--cleanup-interval.*1ms to 1h" -i lo -c 2h
expect_usage bad-cleanup-tiny    "--cleanup-interval.*1ms to 1h" -i lo -c 10us
expect_usage interface-too-long  "--interface.*1 to 15 characters" -i abcdefghijklmnopqrst
expect_usage unknown-option     "unknown option '--bogus'" -i lo --bogus
expect_usage missing-value      "needs a value"            -i lo -r
expect_usage missing-interface  "--interface or --read is required"
expect_usage stray-argument     "unexpected argument 'eth0'" -i lo eth0

err=$($PPING -i nosuchif0 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && grep -q "nosuchif0" <<<"$err"; then
	pass unknown-interface
else
	fail unknown-interface "exit $rc, stderr: $err"
fi

help=$($PPING --help); rc=$?
missing=""
for o in --interface --rate-limit --rtt-rate --rtt-type --burst --burst-window \
	 --include-local --ingress-hook --xdp-mode --duration --verbose --version \
	 --max-flows --max-timestamps --cleanup-interval --no-degrade "default 1s;" \
	 --help "default 100ms" "default tc" "default 1;" "default 4ms" "default min"; do
	grep -q -- "$o" <<<"$help" || missing="$missing $o"
done
[ $rc -eq 0 ] && [ -z "$missing" ] && pass help-lists-every-option ||
	fail help-lists-every-option "exit $rc, missing:$missing"

ver=$($PPING --version); rc=$?
[ $rc -eq 0 ] && grep -q '^pping ' <<<"$ver" && pass version || fail version "exit $rc: $ver"

# Accepted duration forms, checked through the configuration pping reports
# at -v on a real attach (loopback of a private namespace).
ip netns add "$NS" && ip -n "$NS" link set lo up
for spec in "100ms:100000000" "0.1s:100000000" "500us:500000" "100:100000000" \
	    "0:0" "2.5ms:2500000" "1m:60000000000"; do
	arg=${spec%%:*} want=${spec#*:}
	err=$(ip netns exec "$NS" $PPING -i lo -r "$arg" -d 50ms -v 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 0 ] && grep -q "rate limit $want ns" <<<"$err"; then
		pass "rate-limit-form-$arg"
	else
		fail "rate-limit-form-$arg" "exit $rc, stderr: $err"
	fi
done

# The sampling options reach the datapath configuration.
err=$(ip netns exec "$NS" $PPING -i lo -d 50ms -v -R 1.5 -t smoothed --burst 3 --burst-window 2ms 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && grep -q "rtt-rate 1.5 (smoothed), burst 3 within 2000000 ns" <<<"$err"; then
	pass sampling-options-applied
else
	fail sampling-options-applied "exit $rc, stderr: $err"
fi

# Map sizes reach the maps before load; cleanup off is reported as such.
err=$(ip netns exec "$NS" $PPING -i lo -d 50ms -v --max-flows 1000 --max-timestamps 3000 -c 0 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && grep -q "map flow_map: 1000 entries" <<<"$err" &&
   grep -q "map ts_map: up to 3000 entries" <<<"$err" &&
   grep -q "flows 0 of 1000 (0%), identifiers 0 of 3000" <<<"$err" &&
   grep -q "^pping: cleanup: off" <<<"$err"; then
	pass map-sizes-applied
else
	fail map-sizes-applied "exit $rc, stderr: $err"
fi
summary
