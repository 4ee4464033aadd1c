# shellcheck shell=bash
# Test topology for pping: client and server in their own network namespaces,
# joined through a relay namespace that adds delay (no netem on the test
# machines, so tests/tools/delay_relay.c does it).
#
#   NS_CLI                    NS_RLY                      NS_SRV
#   veth0 10.200.0.1/24  <->  rly0 [delay_relay] rly1 <->  veth0 10.200.0.2/24
#         fd00:200::1/64                                        fd00:200::2/64
#
# Client and server share one L2 segment; the relay forwards raw frames.
# DELAY IS ONE-WAY: topo_up 5 delays each direction by 5 ms, so the path RTT
# is about 10 ms (exported as TOPO_RTT_MS).
#
# Source this file, then:
#   trap topo_down EXIT
#   topo_up ONEWAY_DELAY_MS [JITTER_MS]
#   in_cli CMD...  /  in_srv CMD...  /  in_rly CMD...
#   measure_ping_rtt "$NS_CLI" "$SRV_IP4" 20
#
# Environment:
#   DELAY_RELAY     relay binary (default: <repo>/build/tests/delay_relay)
#   DELAY_RELAY_ARGS extra relay options, e.g. "-v" or "-s 0" (word-split)
#   PP_NS_PREFIX    namespace name prefix (default: pp<pid of the shell>)
#   PPING_KEEP_NS=1 debug: topo_down leaves everything up and prints names
#
# Requires root, iproute2, ethtool, iputils ping.

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

PP_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${DELAY_RELAY:=$PP_REPO_ROOT/build/tests/delay_relay}"
: "${PP_NS_PREFIX:=pp$$}"

export NS_CLI="$PP_NS_PREFIX-cli"
export NS_RLY="$PP_NS_PREFIX-rly"
export NS_SRV="$PP_NS_PREFIX-srv"
export CLI_IF=veth0 SRV_IF=veth0
export CLI_IP4=10.200.0.1 SRV_IP4=10.200.0.2
export CLI_IP6=fd00:200::1 SRV_IP6=fd00:200::2
# Set by topo_up:
#   RELAY_PID RELAY_LOG TOPO_ONEWAY_DELAY_MS TOPO_JITTER_MS TOPO_RTT_MS
RELAY_PID=
RELAY_LOG=

in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_rly() { ip netns exec "$NS_RLY" "$@"; }

# tcpdump_cli SNAPLEN FILE ERR [FILTER]: capture the iperf3 traffic (tcp port
# 5201, or FILTER) on the client's interface into FILE, with ns timestamps, tcpdump's
# messages in ERR; its pid in TD_PID (ip netns exec execs it, so SIGINT
# reaches tcpdump and makes it flush and close FILE). Returns once it
# listens, or 1 if it never does. -Z root: FILE is written as root in a
# root-owned directory. --immediate-mode: otherwise packets wait in the
# kernel's ring until a block fills or a second passes, and those still
# waiting at SIGINT are lost ("received by filter" above "captured").
tcpdump_cli() {
	local snaplen=$1 file=$2 err=$3 filter=${4:-tcp port 5201}

	ip netns exec "$NS_CLI" tcpdump -Z root -i "$CLI_IF" -s "$snaplen" \
		--immediate-mode --time-stamp-precision nano -w "$file" \
		"$filter" 2>"$err" &
	TD_PID=$!
	wait_line "$TD_PID" "$err" "listening on"
}

# iperf3_server_stop: the one-shot server exits by itself once its client
# is done, but not if the client never got through: up to 2 s for that,
# then it is killed. SRV_PID is emptied.
iperf3_server_stop() {
	local i

	for i in $(seq 40); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

# iperf3_server [ARGS...]: a one-shot iperf3 server in the server
# namespace, its pid in SRV_PID (ip netns exec execs it, so that is iperf3's
# own); returns once it listens on port 5201, or 1 if it never does.
iperf3_server() {
	local i

	ip netns exec "$NS_SRV" timeout 60 iperf3 -s -1 "$@" >/dev/null 2>&1 &
	SRV_PID=$!
	for i in $(seq 50); do
		in_srv ss -Hltn 'sport = :5201' 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

_pp_err() { echo "netns.sh: $*" >&2; }

# topo_up ONEWAY_DELAY_MS [JITTER_MS]
# Build the topology, start the relay, and wait until both address families
# ping across. Returns non-zero on failure, leaving cleanup to topo_down.
topo_up() {
	local delay=${1:?topo_up: one-way delay in ms required} jitter=${2:-0}
	local ns i

	if [[ ! -x $DELAY_RELAY ]]; then
		_pp_err "relay binary not found: $DELAY_RELAY (build it, or set DELAY_RELAY)"
		return 1
	fi
	for ns in "$NS_CLI" "$NS_RLY" "$NS_SRV"; do
		if [[ -e /run/netns/$ns ]]; then
			_pp_err "namespace $ns already exists (stale run? try topo_down)"
			return 1
		fi
		ip netns add "$ns" || return 1
	done

	# Sysctls first: "default" applies to interfaces created afterwards.
	# Endpoints: no DAD or router solicitations, so addresses are usable
	# at once and idle links stay quiet. Relay: no IPv6 at all, so its
	# own stack never talks on the segment.
	for ns in "$NS_CLI" "$NS_SRV"; do
		ip netns exec "$ns" sysctl -qw \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 || return 1
	done
	ip netns exec "$NS_RLY" sysctl -qw \
		net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1

	# Create each pair directly inside its namespaces: no name clashes
	# with the host or with concurrent runs.
	ip -n "$NS_CLI" link add veth0 type veth peer name rly0 netns "$NS_RLY" || return 1
	ip -n "$NS_SRV" link add veth0 type veth peer name rly1 netns "$NS_RLY" || return 1

	for ns in "$NS_CLI" "$NS_SRV"; do
		# With tx checksum offload on, frames leave as CHECKSUM_PARTIAL
		# with only a stub TCP checksum, and TSO sends 64 KiB
		# super-frames: a relay re-sending raw frames then delivers
		# bad checksums (ping works, TCP stalls). Software checksums
		# avoid that (the relay copes anyway, via PACKET_VNET_HDR).
		# TSO/GSO stay at their defaults: ethtool still shows TSO on
		# and the stack (and a TC hook) still builds GSO packets, but
		# without checksum offload they are segmented in software just
		# before the driver, so the link carries MTU-sized frames.
		ip netns exec "$ns" ethtool -K veth0 tx off >/dev/null || return 1
		ip -n "$ns" link set lo up || return 1
		ip -n "$ns" link set veth0 up || return 1
	done
	ip -n "$NS_CLI" addr add "$CLI_IP4/24" dev veth0 || return 1
	ip -n "$NS_SRV" addr add "$SRV_IP4/24" dev veth0 || return 1
	ip -n "$NS_CLI" addr add "$CLI_IP6/64" dev veth0 nodad || return 1
	ip -n "$NS_SRV" addr add "$SRV_IP6/64" dev veth0 nodad || return 1

	# Relay side: no aggregation, so the relay handles (and delays)
	# individual MTU-sized frames as they would cross a real link.
	ip -n "$NS_RLY" link set lo up || return 1
	for i in rly0 rly1; do
		ip netns exec "$NS_RLY" ethtool -K "$i" gro off gso off tso off >/dev/null || return 1
		ip -n "$NS_RLY" link set "$i" promisc on up || return 1
	done

	RELAY_LOG=$(mktemp "${TMPDIR:-/tmp}/$PP_NS_PREFIX-relay.XXXXXX.log") || return 1
	# ip netns exec execs the relay itself, so $! is the relay's PID.
	# disown: a bare `wait` in a test must not block on the relay. (It
	# stays our child, so it is reaped at once when topo_down stops it.)
	# shellcheck disable=SC2086 # DELAY_RELAY_ARGS is a list of options
	ip netns exec "$NS_RLY" "$DELAY_RELAY" -a rly0 -b rly1 -d "$delay" -j "$jitter" \
		${DELAY_RELAY_ARGS:-} </dev/null >"$RELAY_LOG" 2>&1 &
	RELAY_PID=$!
	disown "$RELAY_PID"
	export RELAY_PID RELAY_LOG
	export TOPO_ONEWAY_DELAY_MS=$delay TOPO_JITTER_MS=$jitter
	TOPO_RTT_MS=$(awk -v d="$delay" 'BEGIN { printf "%g", 2 * d }')
	export TOPO_RTT_MS

	# Wait for the relay, then for both families to work end to end.
	for i in $(seq 50); do
		grep -q ready "$RELAY_LOG" && break
		if ! kill -0 "$RELAY_PID" 2>/dev/null; then
			_pp_err "delay_relay exited: $(cat "$RELAY_LOG")"
			return 1
		fi
		sleep 0.1
	done
	for i in $(seq 50); do
		in_cli ping -n -q -c 1 -W 1 "$SRV_IP4" >/dev/null 2>&1 &&
			in_cli ping -n -q -c 1 -W 1 "$SRV_IP6" >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	_pp_err "no connectivity through the relay; relay log: $(cat "$RELAY_LOG")"
	return 1
}

# topo_down: stop the relay and everything else running in our namespaces,
# then delete them. Idempotent; safe from an EXIT trap after a partial
# topo_up, and under set -e (nothing in here may fail the caller). The
# relay's counters go to stderr.
topo_down() {
	local ns pids i

	if [[ ${PPING_KEEP_NS:-0} == 1 ]]; then
		echo "PPING_KEEP_NS=1: keeping namespaces $NS_CLI $NS_RLY $NS_SRV" \
			"(relay pid ${RELAY_PID:-none}, log ${RELAY_LOG:-none});" \
			"remove with: PP_NS_PREFIX=$PP_NS_PREFIX bash -c" \
			"'. $PP_REPO_ROOT/tests/lib/netns.sh; topo_down'" >&2
		return 0
	fi
	if [[ -n ${RELAY_PID:-} ]]; then
		kill -TERM "$RELAY_PID" 2>/dev/null || true
		# The relay prints its counters on SIGTERM; give it a moment.
		for i in $(seq 20); do
			kill -0 "$RELAY_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RELAY_PID" 2>/dev/null || true
		RELAY_PID=
	fi
	if [[ -n ${RELAY_LOG:-} ]]; then
		grep -h 'forwarded' "$RELAY_LOG" >&2 2>/dev/null || true
		rm -f "$RELAY_LOG"
		RELAY_LOG=
	fi
	for ns in "$NS_CLI" "$NS_RLY" "$NS_SRV"; do
		[[ -e /run/netns/$ns ]] || continue
		# Whatever the test started in there (servers, monitors...).
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			for i in $(seq 20); do
				[[ -z $(ip netns pids "$ns" 2>/dev/null || true) ]] && break
				sleep 0.05
			done
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || _pp_err "could not delete $ns"
	done
	return 0
}

# measure_ping_rtt NS DEST COUNT
# Ping DEST from namespace NS COUNT times, 0.2 s apart, and print the median
# RTT in ms (the median shrugs off the first, neighbour-resolving probe and
# scheduler hiccups that would skew the mean). Fails only if no reply came.
# Resolution: ping prints 3 significant digits (time=0.123, 5.07, 10.1), so
# an RTT of 10-100 ms is only known to +-0.05 ms.
measure_ping_rtt() {
	local ns=${1:?NS} dest=${2:?DEST} count=${3:?COUNT}

	{ ip netns exec "$ns" ping -n -c "$count" -i 0.2 -W 2 "$dest" 2>/dev/null || true; } |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
		awk '{ v[NR] = $1 }
		     END {
			if (NR == 0) exit 1
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f\n", m
		     }'
}
