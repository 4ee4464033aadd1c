#!/usr/bin/env bash
# Flows without TCP timestamps (issue 16): both ends of the delayed path
# run with net.ipv4.tcp_timestamps=0 (per namespace; it covers IPv6 too),
# so every segment lacks the option and pping measures by SEQ/ACK. Real
# TCP (iperf3) through the delay relay:
#   seq-ipv{4,6}-{tc,xdp}  the median SEQ/ACK RTT within 1 ms of ping's,
#                          every sample marked "(seq)", none by timestamps
#   seq-json               JSON records say "method":"seq", and the exit
#                          summary counts the samples under SEQ/ACK
#   seq-method-ts          --method ts measures nothing on such flows
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/netns.sh
. tests/lib/pping.sh

ONEWAY_MS=${ONEWAY_MS:-5}
TOLERANCE_MS=1.0
MIN_SAMPLES=15

trap 'pping_cleanup_files; topo_down' EXIT
if ! topo_up "$ONEWAY_MS"; then
	fail topology "could not build the delayed path"
	summary
fi
for ns in "$NS_CLI" "$NS_SRV"; do
	if ! ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=0; then
		fail topology "cannot turn TCP timestamps off in $ns"
		summary
	fi
done

# A 3 s iperf3 run paced below what the relay forwards (no queue), with
# pping on the client given the options in "$@".
traffic() {
	local dst=$1 srv
	shift
	in_srv timeout 30 iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	if ! pping_start "$NS_CLI" -i "$CLI_IF" "$@"; then
		kill $srv 2>/dev/null
		wait $srv 2>/dev/null
		return 1
	fi
	in_cli iperf3 -c "$dst" -t 3 -b 20M >/dev/null 2>&1
	pping_stop INT
	wait $srv 2>/dev/null
	return 0
}

# "RTT samples by method: timestamps N, SEQ/ACK N, ICMP N" of the exit
# summary's total line: the figure after NAME.
method_samples() {
	grep -E '^pping: RTT samples by method' "$PP_ERR" |
		sed -E "s|.*[ :]$1 ([0-9]+).*|\\1|"
}

for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$SRV_IP4; else dst=$SRV_IP6; fi
	ping_ms=$(measure_ping_rtt "$NS_CLI" "$dst" 15)
	for hook in tc xdp; do
		name="seq-ipv$fam-$hook"
		if ! traffic "$dst" -I "$hook" -r 10ms; then
			fail "$name" "pping did not start: $(tail -3 "$PP_ERR")"
			continue
		fi
		vals=$(rtt_values "$PP_OUT" ":5201\\+")
		n=$(grep -c . <<<"$vals")
		unmarked=$(awk '$3 == "ms" && $6 == "TCP" && !/ \(seq\)$/' "$PP_OUT" | wc -l)
		med=$(median <<<"$vals")
		echo "  $name: ping ${ping_ms} ms, pping median ${med:-none} ms over $n samples; $(method_samples SEQ/ACK) by SEQ/ACK, $(method_samples timestamps) by timestamps"
		if [ "$PP_STATUS" != 0 ]; then
			fail "$name" "pping exit status $PP_STATUS: $(tail -3 "$PP_ERR")"
		elif [ "$n" -lt $MIN_SAMPLES ]; then
			fail "$name" "only $n RTT samples (want >= $MIN_SAMPLES)"
		elif [ "$unmarked" != 0 ] || [ "$(method_samples timestamps)" != 0 ]; then
			fail "$name" "$unmarked lines without (seq), $(method_samples timestamps) samples by timestamps"
		elif awk -v a="$med" -v b="$ping_ms" -v t=$TOLERANCE_MS \
			'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
			pass "$name"
		else
			fail "$name" "median $med ms vs ping $ping_ms ms (tolerance $TOLERANCE_MS ms)"
		fi
		pping_cleanup_files
	done
done

# --- seq-json ---------------------------------------------------------------
name=seq-json
if ! traffic "$SRV_IP4" -F jsonl -r 10ms; then
	fail $name "pping did not start: $(tail -3 "$PP_ERR")"
else
	rtts=$(grep -c '"rtt":' "$PP_OUT")
	seqs=$(grep -c '"rtt":[0-9]*,"method":"seq"' "$PP_OUT")
	summed=$(method_samples SEQ/ACK)
	echo "  $name: $rtts RTT records, $seqs with \"method\":\"seq\"; exit summary: ${summed:-?} SEQ/ACK samples"
	if [ "$PP_STATUS" != 0 ] || [ "$rtts" -lt $MIN_SAMPLES ] || [ "$seqs" != "$rtts" ]; then
		fail $name "status $PP_STATUS, $rtts RTT records, $seqs by SEQ/ACK"
	elif [ -z "$summed" ] || [ "$summed" -lt "$rtts" ]; then
		fail $name "the exit summary counts ${summed:-no} SEQ/ACK samples for $rtts records"
	else
		pass $name
	fi
fi
pping_cleanup_files

# --- seq-method-ts ----------------------------------------------------------
name=seq-method-ts
if ! traffic "$SRV_IP4" --method ts -r 10ms; then
	fail $name "pping did not start: $(tail -3 "$PP_ERR")"
else
	n=$(rtt_values "$PP_OUT" ":5201\\+" | grep -c .)
	if [ "$PP_STATUS" = 0 ] && [ "$n" = 0 ] && [ "$(method_samples SEQ/ACK)" = 0 ]; then
		pass $name
	else
		fail $name "status $PP_STATUS, $n RTT lines with --method ts on flows without timestamps"
	fi
fi
pping_cleanup_files
summary
