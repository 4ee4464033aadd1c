/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cleanup without BPF programs: the maps are read out in batches
 * (bpf_map_lookup_batch), the rules of cleanup_rules.h applied in the
 * daemon, and the entries to go deleted in batches. The last resort of
 * user/cleanup.c, for kernels that refuse both map-element iterators and
 * syscall programs.
 */
#ifndef PPING_CLEANUP_BATCH_H
#define PPING_CLEANUP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "pping.h"

struct pping_bpf;

struct cleanup_batch {
	int flow_fd, ts_fd;
	__s64 *flow_count;          /* mmapped flow_count map: kept exact */
	__u64 *sampled;             /* mmapped sampled-flows bitmap */
	size_t count_len, sampled_len;
	void *keys, *vals, *del;    /* one batch of entries, and keys to delete */
	__u8 *reasons;              /* why each key in del goes */
	__u32 *vidx;                /* ... and where its value is in vals */
	__u64 now;                  /* the clock of the pass in progress */
	/* Where the closing events of flows removed without a FIN or RST go
	 * (the kernel mechanisms put them in the ring buffer); NULL: none. */
	void (*closing)(void *ctx, const struct pping_event *e);
	void *closing_ctx;
	__u64 call_max_ns;          /* longest single map syscall so far */
	__u64 calls;                /* map syscalls so far */
};

/* Probe: does this kernel do batched lookups on a hash map? 0, or -errno. */
int cleanup_batch_probe(void);

int cleanup_batch_open(struct cleanup_batch *cb, const struct pping_bpf *b);

/*
 * Walk the flow map (flows) or the identifier map, adding to st; the
 * caller resets call_max_ns and calls to time a pass.
 */
int cleanup_batch_walk(struct cleanup_batch *cb, bool flows,
		       const struct cleanup_params *p, struct cleanup_stats *st);

void cleanup_batch_close(struct cleanup_batch *cb);

#endif /* PPING_CLEANUP_BATCH_H */
