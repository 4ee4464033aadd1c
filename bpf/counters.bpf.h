/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU counters (struct pping_counters), one slot per monitored
 * interface; the daemon sums them over the CPUs.
 */
#ifndef PPING_COUNTERS_BPF_H
#define PPING_COUNTERS_BPF_H

#include "maps.bpf.h"

/* The counters of the interface in this slot, on this CPU. */
static __always_inline struct pping_counters *get_counters(__u32 slot)
{
	return bpf_map_lookup_elem(&counters, &slot);
}

#endif /* PPING_COUNTERS_BPF_H */
