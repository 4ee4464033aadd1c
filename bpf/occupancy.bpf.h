/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How full the flow map is and which flows have had their turn: the exact
 * entry count, and the bitmap of flows evicted after an RTT was reported.
 * Shared by the datapath (which reads them) and cleanup (which evicts).
 */
#ifndef PPING_OCCUPANCY_BPF_H
#define PPING_OCCUPANCY_BPF_H

#include <stdbool.h>
#include "maps.bpf.h"
#include "flow_hash.h"

/* The sampled-flows bitmap is indexed by a hash both sides compute. */
static __always_inline __u64 flow_hash(const struct flow_key *key)
{
	return pping_flow_hash(key);
}

static __always_inline __u64 *sampled_word(__u64 hash, __u64 mask)
{
	__u32 idx = (__u32)((hash & mask) >> 6);

	return bpf_map_lookup_elem(&sampled_flows, &idx);
}

static __always_inline bool sampled_test(__u64 hash, __u64 mask)
{
	__u64 *word = sampled_word(hash, mask);

	return word && (*word & (1ULL << (hash & 63)));
}

static __always_inline void sampled_mark(__u64 hash, __u64 mask)
{
	__u64 *word = sampled_word(hash, mask);

	if (word)
		__sync_fetch_and_or(word, 1ULL << (hash & 63));
}

static __always_inline __s64 *flow_count_ptr(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&flow_count, &zero);
}

static __always_inline void flow_count_add(__s64 delta)
{
	__s64 *n = flow_count_ptr();

	if (n)
		__sync_fetch_and_add(n, delta);
}

/* Delete a flow entry; keeps flow_count exact. Returns true if deleted here. */
static __always_inline bool flow_delete(const struct flow_key *key)
{
	if (bpf_map_delete_elem(&flow_map, key) != 0)
		return false;
	flow_count_add(-1);
	return true;
}

#endif /* PPING_OCCUPANCY_BPF_H */
