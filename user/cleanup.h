/* SPDX-License-Identifier: GPL-2.0 */
/* Running the map cleanup iterators (bpf/pping_cleanup.bpf.c). */
#ifndef PPING_CLEANUP_H
#define PPING_CLEANUP_H

#include <linux/types.h>
#include "pping.h"

struct pping_bpf;
struct pping_cleanup;
struct bpf_link;

struct cleanup_totals {
	__u64 runs;
	struct cleanup_stats sum;   /* seen fields summed over the runs too */
	__u64 wall_ns;              /* time spent in the iterators */
	__u64 wall_max_ns;          /* longest single run */
	__u64 cpu_ns;               /* CPU time of the daemon in them */
};

struct cleanup {
	struct pping_cleanup *skel;
	struct bpf_link *flows_link;
	struct bpf_link *ts_link;
	struct cleanup_totals totals;
	__u64 last_flows_ns;        /* wall time of the last pass, per map */
	__u64 last_ts_ns;
};

/* Load the iterators on the maps of a loaded datapath. */
int cleanup_open(struct cleanup *c, const struct pping_bpf *b);

/* One pass over the flow map, then the identifier map. */
int cleanup_run(struct cleanup *c, const struct cleanup_params *p,
		struct cleanup_stats *out);

void cleanup_close(struct cleanup *c);

#endif /* PPING_CLEANUP_H */
