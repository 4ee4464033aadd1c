/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keeping the maps useful on a long run: once per cleanup interval, measure
 * their fill, let the degradation policy decide, apply its decision to the
 * datapath and run a cleanup pass with its timeouts.
 */
#ifndef PPING_UPKEEP_H
#define PPING_UPKEEP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "cleanup.h"
#include "degrade.h"
#include "pping.h"

struct pping_bpf;

struct map_fill {
	__u64 flows, max_flows;
	__u64 ts, max_ts;
};

struct upkeep {
	struct pping_bpf *bpf;
	bool cleaning;              /* cleanup opened and run */
	struct cleanup cleanup;
	struct degrade deg;
	__u64 *sampled;             /* the sampled-flows bitmap, mmapped */
	size_t sampled_len;
	struct pping_counters prev; /* counters at the previous tick */
	__u64 rate_limit_ns;        /* as configured */
	__u64 interval_ns;          /* -c, as configured (0: no cleanup) */
};

/* interval_ns: clean that often (0: no cleanup), with mechanism mech
 * (CLEANUP_AUTO: probe). */
int upkeep_open(struct upkeep *u, struct pping_bpf *b, __u64 interval_ns,
		enum cleanup_mech mech, bool adaptive, __u64 rate_limit_ns);

/*
 * One cleanup interval has passed. now is the programs' clock (the
 * capture's time in a replay); 0: the kernel's monotonic clock. Returns 0
 * or a negative errno.
 */
int upkeep_tick(struct upkeep *u, __u64 now);

/* Entries in the two maps now (exact, from counters; no map walk). */
int upkeep_fill(struct upkeep *u, const struct pping_counters *c,
		struct map_fill *f);

void upkeep_print_summary(FILE *f, struct upkeep *u,
			  const struct pping_counters *c);

void upkeep_close(struct upkeep *u);

#endif /* PPING_UPKEEP_H */
