// SPDX-License-Identifier: GPL-2.0
/* tc entry points: egress always, ingress unless XDP is chosen. */
#include "pping.bpf.h"

/* Let the next program (or the qdisc's default action) decide: pping only
 * observes. Same value as TCX_NEXT for TCX links. */
#define PPING_TC_CONTINUE (-1)

static __always_inline int run_tc(struct __sk_buff *skb, __u8 hook, __u8 dir)
{
	struct hook_pkt h = {
		.segs = skb->gso_segs ? skb->gso_segs : 1,
		.hook = hook,
		.dir = dir,
	};

	if (replay) {
		__u32 wire_len = skb->wire_len;

		/* Otherwise clang loads len or wire_len from an offset it
		 * selects, and the verifier refuses a computed context offset. */
		barrier_var(wire_len);
		h.now = skb->tstamp;
		h.len = wire_len;
	} else {
		h.now = bpf_ktime_get_ns();
		h.len = skb->len;
	}
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
