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
	struct hook_pkt h = {
		/* bpf_ktime_get_ns() unless the unit tests inject the time
		 * (clock.bpf.h): a load-time switch, so the verifier drops
		 * the test path and live only the switch's load is left. */
		.now = xdp_now(ctx),
		.len = ctx->data_end - ctx->data,
		.segs = 1,
		.hook = PPING_HOOK_INGRESS,
		.dir = PPING_DIR_IN,
		.iface = iface_slot(ctx->ingress_ifindex),
	};

	handle_packet((void *)(long)ctx->data,
		      (void *)(long)ctx->data_end, &h);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
