/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet context every helper takes besides the parsed headers
 * (struct pkt_info, parse.bpf.h): what the hook knows about the packet.
 */
#ifndef PPING_PACKET_BPF_H
#define PPING_PACKET_BPF_H

#include <linux/types.h>
#include "config.bpf.h"

/* What a hook knows about the packet besides its headers. */
struct hook_pkt {
	__u64 now;     /* ns, monotonic: exact once `exact` is set; before
			* that (config.tick_clock) a lower bound, less than
			* config.tick_bound_ns early: see clock.bpf.h */
	__u32 len;     /* frame bytes seen by the hook */
	__u32 segs;    /* wire packets (a GSO packet counts all its segments) */
	__u8 hook;     /* enum pping_hook */
	__u8 dir;      /* enum pping_dir of this packet */
	__u8 iface;    /* slot of the interface (iface.bpf.h) */
	__u8 exact;    /* now is the exact time of this packet */
	union {        /* one or the other: a replay has no tick clock */
		__u32 pkt_seq; /* a replay: the packet's place in its batch (pping_event) */
		__u32 tick;    /* config.tick_clock: the jiffies counter (low bits) */
	};
};

/* The packet's place in a replay's batch, which its events carry; 0 live. */
static __always_inline __u32 hook_pkt_seq(const struct hook_pkt *h)
{
	return config.replay ? h->pkt_seq : 0;
}

#endif /* PPING_PACKET_BPF_H */
