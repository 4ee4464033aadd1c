/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the datapath's RTT histograms (in-kernel aggregation, -a live;
 * bpf/aggregate.bpf.h) into the aggregation tables. Each read turns the
 * generation the programs add to, waits for programs still adding to the
 * old one, then takes and deletes the old generation's histograms: every
 * sample is read once, by the read that follows it.
 */
#ifndef PPING_AGG_KERNEL_H
#define PPING_AGG_KERNEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "aggregate.h"

struct agg_kernel {
	int hists_fd;            /* agg_hists */
	int windows_fd;          /* agg_windows */
	volatile __u32 *gen;     /* runtime.agg_gen, in the programs' .data */
	bool settle;             /* live: programs run concurrently with reads */
	struct agg_key *keys;    /* room for every entry of agg_hists */
	struct subnet_key *untracked;   /* ... and of windows to delete */
	__u32 max_keys;
	__u64 reads, entries;    /* reads done, entries (subnet and method) taken */
	__u64 last_read;         /* the programs' clock at the last read */
};

/* For aggregation a, which forgets a subnet's window with the subnet and
 * keeps the datapath's map of its subnets (tracked_fd) and
 * rt->agg_table_full in step with its table; rt is the programs'
 * runtime (.data), whose agg_gen the reads turn. */
int agg_kernel_open(struct agg_kernel *k, struct aggregate *a, int hists_fd,
		    int windows_fd, int tracked_fd, volatile struct pping_runtime *rt,
		    bool settle);
void agg_kernel_close(struct agg_kernel *k);

/* Add the samples the datapath aggregated since the last read to a, and
 * its queueing-delay windows to a's subnets; now is the programs' clock. */
int agg_kernel_read(struct agg_kernel *k, struct aggregate *a, __u64 now);

#endif /* PPING_AGG_KERNEL_H */
