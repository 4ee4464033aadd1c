/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Adaptive degradation: the policy that turns map fill into a degradation
 * level, and the level into timeouts, evictions and admission. Pure logic,
 * no BPF: upkeep.c applies what it decides. See SAMPLING_DESIGN.md,
 * "Degradation".
 */
#ifndef PPING_DEGRADE_H
#define PPING_DEGRADE_H

#include <stdbool.h>
#include <linux/types.h>
#include "pping.h"

/* Fill (fraction of a map's entries) that raises / lowers the level. */
#define DEGRADE_HIGH_WATERMARK 0.90
#define DEGRADE_LOW_WATERMARK  0.50

struct degrade_cfg {
	bool adaptive;        /* false: level stays 0 (--no-degrade) */
	__u64 max_flows;
	__u64 max_ts;
};

/* What one cleanup interval observed. */
struct degrade_input {
	__u64 flows;          /* entries in the flow map */
	__u64 ts;             /* entries in the identifier map */
	__u64 flows_refused;  /* new flows refused because the map was full */
	__u64 flows_deferred; /* new flows refused because sampled this epoch */
	__u64 ts_refused;     /* identifiers refused because the map was full */
};

/* What to do about it. */
struct degrade_action {
	int level;
	int prev_level;
	bool new_epoch;         /* clear the sampled-flows bitmap */
	__u64 sampled_admit;    /* runtime.sampled_admit */
	struct cleanup_params params;   /* timeouts and evictions for this run */
};

struct degrade {
	struct degrade_cfg cfg;
	int level;
	int highest;
	__u64 changes;
	__u64 epochs;
};

void degrade_init(struct degrade *d, const struct degrade_cfg *cfg);

/* Flow entries at the low watermark: sampled flows are admitted below it. */
__u64 degrade_low_flows(const struct degrade *d);


void degrade_step(struct degrade *d, const struct degrade_input *in,
		  struct degrade_action *act);

/* The cleanup timeouts in force at a level. */
void degrade_timeouts(int level, struct cleanup_params *p);

#endif /* PPING_DEGRADE_H */
