/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which new flows get an entry in the flow map. See SAMPLING_DESIGN.md,
 * "Degradation": normally every flow with a timestamp option does. Under
 * degradation (runtime.level > 0) a flow that was evicted after an RTT was
 * reported in this epoch only gets one while the map is below the low
 * watermark, so the entries above it go to flows that have no sample yet.
 */
#ifndef PPING_ADMISSION_BPF_H
#define PPING_ADMISSION_BPF_H

#include "config.bpf.h"
#include "occupancy.bpf.h"

static __always_inline bool flow_admit(const struct flow_key *key,
				       struct pping_counters *cnt)
{
	__s64 *count = flow_count_ptr();
	__s64 n;

	if (!count)
		return true;
	n = *(volatile __s64 *)count;
	/* A full map would refuse the insert anyway; skipping it saves the
	 * bucket lock on every packet of every flow that does not fit. */
	if (runtime.flow_limit && n >= (__s64)runtime.flow_limit) {
		cnt->flow_map_full++;
		return false;
	}
	if (!runtime.level || n < (__s64)runtime.sampled_admit)
		return true;
	if (!sampled_test(flow_hash(key), runtime.sampled_mask))
		return true;
	cnt->flows_deferred++;
	return false;
}

#endif /* PPING_ADMISSION_BPF_H */
