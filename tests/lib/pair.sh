# shellcheck shell=bash
# Two namespaces joined by a plain veth pair (veth0 in each), for tests that
# need an interface but no delay (sourced). PAIR_A/PAIR_B are the names.
#   pair_up [IP LINK SET ARGS FOR A...]   create, bring up; 0 on success
#   pair_down                             delete both (idempotent)

PAIR_A=pp$$-pa
PAIR_B=pp$$-pb

pair_up() {
	ip netns add "$PAIR_A" 2>/dev/null
	ip netns add "$PAIR_B" 2>/dev/null
	ip -n "$PAIR_A" link add veth0 type veth peer name veth0 netns "$PAIR_B" &&
		{ [ $# -eq 0 ] || ip -n "$PAIR_A" link set veth0 "$@"; } &&
		ip -n "$PAIR_A" link set veth0 up && ip -n "$PAIR_B" link set veth0 up
}

pair_down() {
	ip netns del "$PAIR_A" 2>/dev/null
	ip netns del "$PAIR_B" 2>/dev/null
	return 0
}
