# shellcheck shell=bash
# A routed topology for pping on a router (sourced): a client, a router with
# two interfaces, a delay relay on the router's WAN side, and a server with
# two subnets behind it.
#
#   RT_NS_CLI        RT_NS_RTR (ip_forward=1)        RT_NS_RLY         RT_NS_SRV
#   eth0 <-------> lan0        wan0 <--------> rly0 [delay] rly1 <---> eth0
#   10.210.1.2/24  10.210.1.1  10.210.0.1/24                           10.210.0.2/24
#                                                                      10.210.2.2/24 (RT_SRV_IP)
#                                                                      10.210.3.2/24 (RT_SRVX_IP)
#
# The router's WAN link and the server's interface share one L2 segment
# through tests/tools/delay_relay.c, which delays each frame by
# ONEWAY_DELAY_MS each way; the LAN side is a plain veth pair, no delay.
# The router reaches 10.210.2.0/24 and 10.210.3.0/24 via the server's
# link address; client and server route everything through the router.
#
#   trap 'rt_down' EXIT
#   rt_up ONEWAY_DELAY_MS      build it, wait until the client pings both
#                              server addresses; non-zero on failure
#   rt_lan_up                  (re)create the client <-> lan0 link (after a
#                              test deleted lan0)
#   in_rcli / in_rtr / in_rsrv CMD...
#   rt_down                    stop everything in the namespaces, delete
#                              them (idempotent, safe after a partial rt_up)
#
# Environment: DELAY_RELAY (default <repo>/build/tests/delay_relay),
# RT_NS_PREFIX (default pp<pid>-rt), PPING_KEEP_NS=1 keeps the namespaces.

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

RT_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${DELAY_RELAY:=$RT_REPO_ROOT/build/tests/delay_relay}"
: "${RT_NS_PREFIX:=pp$$-rt}"

RT_NS_CLI=$RT_NS_PREFIX-cli
RT_NS_RTR=$RT_NS_PREFIX-rtr
RT_NS_RLY=$RT_NS_PREFIX-rly
RT_NS_SRV=$RT_NS_PREFIX-srv
RT_CLI_IP=10.210.1.2 RT_LAN_IP=10.210.1.1
RT_WAN_IP=10.210.0.1 RT_SRV_LINK_IP=10.210.0.2
RT_SRV_IP=10.210.2.2 RT_SRVX_IP=10.210.3.2
RT_SRV_NET=10.210.2.0/24 RT_SRVX_NET=10.210.3.0/24
RT_RELAY_PID='' RT_RELAY_LOG=''

in_rcli() { ip netns exec "$RT_NS_CLI" "$@"; }
in_rtr() { ip netns exec "$RT_NS_RTR" "$@"; }
in_rsrv() { ip netns exec "$RT_NS_SRV" "$@"; }

_rt_err() { echo "router.sh: $*" >&2; }

# The client's link to the router. Software checksums on both ends (see
# netns.sh): the router forwards the client's frames onto the relayed link.
rt_lan_up() {
	ip -n "$RT_NS_CLI" link add eth0 type veth peer name lan0 netns "$RT_NS_RTR" || return 1
	ip netns exec "$RT_NS_CLI" ethtool -K eth0 tx off >/dev/null || return 1
	ip netns exec "$RT_NS_RTR" ethtool -K lan0 tx off >/dev/null || return 1
	ip -n "$RT_NS_CLI" addr add "$RT_CLI_IP/24" dev eth0 || return 1
	ip -n "$RT_NS_RTR" addr add "$RT_LAN_IP/24" dev lan0 || return 1
	ip -n "$RT_NS_CLI" link set eth0 up || return 1
	ip -n "$RT_NS_RTR" link set lan0 up || return 1
	ip -n "$RT_NS_CLI" route add default via "$RT_LAN_IP" || return 1
}

rt_up() {
	local delay=${1:?rt_up: one-way delay in ms required} ns i

	if [[ ! -x $DELAY_RELAY ]]; then
		_rt_err "relay binary not found: $DELAY_RELAY (build it, or set DELAY_RELAY)"
		return 1
	fi
	for ns in "$RT_NS_CLI" "$RT_NS_RTR" "$RT_NS_RLY" "$RT_NS_SRV"; do
		if [[ -e /run/netns/$ns ]]; then
			_rt_err "namespace $ns already exists (stale run?)"
			return 1
		fi
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		# No IPv6 anywhere: the stacks stay quiet on the links.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	ip netns exec "$RT_NS_RTR" sysctl -qw net.ipv4.ip_forward=1 || return 1

	rt_lan_up || return 1
	ip -n "$RT_NS_RTR" link add wan0 type veth peer name rly0 netns "$RT_NS_RLY" || return 1
	ip -n "$RT_NS_SRV" link add eth0 type veth peer name rly1 netns "$RT_NS_RLY" || return 1
	ip netns exec "$RT_NS_RTR" ethtool -K wan0 tx off >/dev/null || return 1
	ip netns exec "$RT_NS_SRV" ethtool -K eth0 tx off >/dev/null || return 1
	for i in rly0 rly1; do
		ip netns exec "$RT_NS_RLY" ethtool -K "$i" gro off gso off tso off >/dev/null || return 1
		ip -n "$RT_NS_RLY" link set "$i" promisc on up || return 1
	done
	ip -n "$RT_NS_RTR" addr add "$RT_WAN_IP/24" dev wan0 || return 1
	ip -n "$RT_NS_RTR" link set wan0 up || return 1
	ip -n "$RT_NS_SRV" addr add "$RT_SRV_LINK_IP/24" dev eth0 || return 1
	ip -n "$RT_NS_SRV" addr add "$RT_SRV_IP/24" dev eth0 || return 1
	ip -n "$RT_NS_SRV" addr add "$RT_SRVX_IP/24" dev eth0 || return 1
	ip -n "$RT_NS_SRV" link set eth0 up || return 1
	ip -n "$RT_NS_SRV" route add default via "$RT_WAN_IP" || return 1
	ip -n "$RT_NS_RTR" route add "$RT_SRV_NET" via "$RT_SRV_LINK_IP" || return 1
	ip -n "$RT_NS_RTR" route add "$RT_SRVX_NET" via "$RT_SRV_LINK_IP" || return 1

	RT_RELAY_LOG=$(mktemp "${TMPDIR:-/tmp}/$RT_NS_PREFIX-relay.XXXXXX.log") || return 1
	# ip netns exec execs the relay, so $! is its pid; disowned so that a
	# bare `wait` does not block on it.
	ip netns exec "$RT_NS_RLY" "$DELAY_RELAY" -a rly0 -b rly1 -d "$delay" \
		</dev/null >"$RT_RELAY_LOG" 2>&1 &
	RT_RELAY_PID=$!
	disown "$RT_RELAY_PID"
	for i in $(seq 50); do
		grep -q ready "$RT_RELAY_LOG" && break
		if ! kill -0 "$RT_RELAY_PID" 2>/dev/null; then
			_rt_err "delay_relay exited: $(cat "$RT_RELAY_LOG")"
			return 1
		fi
		sleep 0.1
	done
	for i in $(seq 50); do
		in_rcli ping -n -q -c 1 -W 1 "$RT_SRV_IP" >/dev/null 2>&1 &&
			in_rcli ping -n -q -c 1 -W 1 "$RT_SRVX_IP" >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	_rt_err "no connectivity client -> router -> server; relay log: $(cat "$RT_RELAY_LOG")"
	return 1
}

rt_down() {
	local ns pids i

	if [[ ${PPING_KEEP_NS:-0} == 1 ]]; then
		echo "PPING_KEEP_NS=1: keeping namespaces $RT_NS_CLI $RT_NS_RTR $RT_NS_RLY $RT_NS_SRV" \
			"(relay pid ${RT_RELAY_PID:-none})" >&2
		return 0
	fi
	if [[ -n $RT_RELAY_PID ]]; then
		kill -TERM "$RT_RELAY_PID" 2>/dev/null
		for i in $(seq 20); do
			kill -0 "$RT_RELAY_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RT_RELAY_PID" 2>/dev/null
		RT_RELAY_PID=
	fi
	if [[ -n $RT_RELAY_LOG ]]; then
		rm -f "$RT_RELAY_LOG"
		RT_RELAY_LOG=
	fi
	for ns in "$RT_NS_CLI" "$RT_NS_RTR" "$RT_NS_RLY" "$RT_NS_SRV"; do
		[[ -e /run/netns/$ns ]] || continue
		# Whatever a test left running in there (servers, daemons).
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null
			for i in $(seq 20); do
				[[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
				sleep 0.05
			done
			pids=$(ip netns pids "$ns" 2>/dev/null)
			# shellcheck disable=SC2086
			[[ -z $pids ]] || kill -KILL $pids 2>/dev/null
		fi
		ip netns del "$ns" 2>/dev/null || _rt_err "could not delete $ns"
	done
	return 0
}
