// SPDX-License-Identifier: GPL-2.0
/*
 * XDP ingress entry point. A separate object from the tc programs because
 * libxdp must load it itself (as an extension of its dispatcher) so other
 * XDP programs can share the interface; its maps are the tc object's.
 */
#include "pping.bpf.h"
#include "clock.bpf.h"

SEC("xdp")
int pping_xdp_ingress(struct xdp_md *ctx)
{
	__u32 tick = 0;
	__u8 exact = 1;
	__u64 now;

	if (config.tick_clock) {
		/* Timed later, if at all (clock.bpf.h): a unit test's
		 * injected time is passed on in now until then. */
		now = config.test_clock ? xdp_test_word(ctx, 0) : 0;
		tick = xdp_tick(ctx);
		exact = 0;
	} else {
		/* bpf_ktime_get_ns() unless the unit tests inject the time
		 * (clock.bpf.h): a load-time switch, so the verifier drops
		 * the test path and live only the switch's load is left. */
		now = xdp_now(ctx);
	}
	/* Built once the time is known (see pping_tc.bpf.c). */
	struct hook_pkt h = {
		.now = now,
		.len = ctx->data_end - ctx->data,
		.segs = 1,
		.hook = PPING_HOOK_INGRESS,
		.dir = PPING_DIR_IN,
		.iface = iface_slot(ctx->ingress_ifindex),
		.exact = exact,
		.tick = tick,   /* never a replay: XDP is not replayed */
	};

	handle_packet((void *)(long)ctx->data,
		      (void *)(long)ctx->data_end, &h);
	return XDP_PASS;
}

/*
 * A replay (--read) by XDP test runs, both directions: an XDP test run
 * builds no sk_buff and no socket, and costs about 1.3 us here against
 * 2.1 for a tc one. The capture's time, the original length, the place in
 * the batch and the direction come in the metadata (struct
 * pping_replay_meta), as tc takes them from its __sk_buff. Loaded only for
 * a replay; never attached.
 */
SEC("xdp")
int pping_xdp_replay(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct pping_replay_meta *m = (void *)(long)ctx->data_meta;

	if ((void *)(m + 1) > data || m->dir == PPING_REPLAY_PROBE)
		return XDP_PASS;
	struct hook_pkt h = {
		.now = m->time_ns,
		.len = m->len,
		.segs = 1,   /* as a tc test run's, whose gso_segs is 0 */
		.hook = m->dir == PPING_DIR_OUT ? PPING_HOOK_EGRESS : PPING_HOOK_INGRESS,
		.dir = m->dir & 1,
		.exact = 1,
		.pkt_seq = m->seq,
	};

	handle_packet(data, (void *)(long)ctx->data_end, &h);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
