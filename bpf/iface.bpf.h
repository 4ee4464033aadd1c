/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which monitored interface a packet is on, as its slot (PPING_MAX_IFACES
 * in pping.h): part of its flow's key and the index of the counters. With
 * one interface, and in a replay, every packet is slot 0 and the lookup
 * is pruned away (config.multi_iface is a load-time switch); with several,
 * it is one array lookup, which the verifier inlines.
 */
#ifndef PPING_IFACE_BPF_H
#define PPING_IFACE_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"

static __always_inline __u8 iface_slot(__u32 ifindex)
{
	__u32 *slot;

	if (!config.multi_iface)
		return 0;
	slot = bpf_map_lookup_elem(&iface_slots, &ifindex);
	return slot ? (__u8)*slot : 0;
}

#endif /* PPING_IFACE_BPF_H */
