// SPDX-License-Identifier: GPL-2.0
/* tc entry points: egress always, ingress unless XDP is chosen. */
#include "pping.bpf.h"
#include "clock.bpf.h"

/* Let the next program (or the qdisc's default action) decide: pping only
 * observes. Same value as TCX_NEXT for TCX links. */
#define PPING_TC_CONTINUE (-1)

static __always_inline int run_tc(struct __sk_buff *skb, __u8 hook, __u8 dir)
{
	__u32 len, seq = 0, tick = 0;
	__u8 exact = 1;
	__u64 now;

	if (config.replay) {
		__u32 wire_len = skb->wire_len, big_len = skb->cb[0];

		seq = skb->cb[1];
		/* Otherwise clang loads len or wire_len from an offset it
		 * selects, and the verifier refuses a computed context offset. */
		barrier_var(wire_len);
		barrier_var(big_len);
		barrier_var(seq);
		now = skb->tstamp;
		/* cb[0]: the original length where wire_len cannot carry it
		 * (PPING_TEST_RUN_WIRE_LEN_MAX, a BIG TCP packet); cb[1]:
		 * the packet's place in its batch, which its events carry. */
		len = big_len ? big_len : wire_len;
	} else if (config.tick_clock) {
		/* Timed later, if at all (clock.bpf.h): a unit test's
		 * injected time is passed on in now until then. */
		now = config.test_clock ? skb->tstamp : 0;
		tick = tc_tick(skb);
		exact = 0;
		len = skb->len;
	} else {
		/* bpf_ktime_get_ns() unless the unit tests inject the time
		 * (clock.bpf.h): a load-time switch, so the verifier drops
		 * the test path and live only the switch's load is left. */
		now = tc_now(skb);
		len = skb->len;
	}
	/* Built once the time and length are known: filled in afterwards,
	 * clang zeroes the whole struct first (four more stores a packet). */
	struct hook_pkt h = {
		.now = now,
		.len = len,
		.segs = skb->gso_segs ? skb->gso_segs : 1,
		.hook = hook,
		.dir = dir,
		.iface = iface_slot(skb->ifindex),
		.exact = exact,
		.pkt_seq = config.replay ? seq : tick,
	};

	handle_packet((void *)(long)skb->data,
		      (void *)(long)skb->data_end, &h);
	return PPING_TC_CONTINUE;
}

SEC("tc")
int pping_tc_egress(struct __sk_buff *skb)
{
	return run_tc(skb, PPING_HOOK_EGRESS, PPING_DIR_OUT);
}

SEC("tc")
int pping_tc_ingress(struct __sk_buff *skb)
{
	return run_tc(skb, PPING_HOOK_INGRESS, PPING_DIR_IN);
}

char LICENSE[] SEC("license") = "GPL";
