/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 64-bit hash of a flow key that indexes the sampled-flows bitmap. The
 * datapath tests the bitmap and every cleanup mechanism marks it (in the
 * kernel or, for batched cleanup, in the daemon through the mmapped map),
 * so both sides must hash alike. Collisions only make an unsampled flow
 * wait as if it had been sampled, so a multiply-xorshift fold of the five
 * key words is enough.
 */
#ifndef PPING_FLOW_HASH_H
#define PPING_FLOW_HASH_H

#include "pping.h"

static inline __attribute__((always_inline)) __u64
pping_flow_hash(const struct flow_key *key)
{
	const __u64 *w = (const __u64 *)key;
	__u64 h = 0;
	int i;

#ifdef __bpf__
#pragma unroll
#endif
	for (i = 0; i < (int)(sizeof(*key) / sizeof(__u64)); i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h ^ (h >> 32);
}

#endif /* PPING_FLOW_HASH_H */
