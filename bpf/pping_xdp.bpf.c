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
		now = config.test_clock ? xdp_test_now(ctx) : 0;
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

char LICENSE[] SEC("license") = "GPL";
