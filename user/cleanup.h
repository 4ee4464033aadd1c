/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Map cleanup: one pass over the flow map, then the identifier map, by the
 * rules of cleanup_rules.h, through whichever mechanism the kernel allows.
 * The mechanisms (SAMPLING_DESIGN.md "Cleanup mechanisms" has the
 * measurements behind the order auto tries them in: foreach, iter, batch):
 *  - iter:    map-element iterators (bpf/pping_clean_iter.bpf.c), read by fd;
 *  - foreach: SEC("syscall") programs calling bpf_for_each_map_elem
 *             (bpf/pping_clean_walk.bpf.c), run
 *             by BPF_PROG_TEST_RUN, a flood of deletions split over calls;
 *  - batch:   batched map syscalls, the rules applied in the daemon
 *             (user/cleanup_batch.c).
 */
#ifndef PPING_CLEANUP_H
#define PPING_CLEANUP_H

#include <stddef.h>
#include <linux/types.h>
#include "pping.h"
#include "cleanup_batch.h"

struct pping_bpf;
struct pping_clean_iter;
struct pping_clean_walk;
struct bpf_link;

enum cleanup_mech {
	CLEANUP_AUTO = 0,      /* the first the kernel allows */
	CLEANUP_ITER,
	CLEANUP_FOREACH,
	CLEANUP_BATCH,
	CLEANUP_MECHS,
};

struct cleanup_totals {
	__u64 runs;
	struct cleanup_stats sum;   /* seen fields summed over the runs too */
	__u64 wall_ns;              /* time spent in passes */
	__u64 wall_max_ns;          /* longest single pass */
	__u64 call_max_ns;          /* longest single kernel call of any pass */
	__u64 cpu_ns;               /* CPU time of the daemon in them */
};

struct cleanup {
	enum cleanup_mech mech;     /* the one in use, never AUTO once open */
	struct pping_clean_iter *iter; /* iter */
	struct bpf_link *flows_link;
	struct bpf_link *ts_link;
	struct pping_clean_walk *walk; /* foreach */
	struct cleanup_params *params;  /* iter, foreach: in the object's .bss */
	struct cleanup_stats *stats;
	struct cleanup_batch batch; /* batch */
	__u64 walk_budget;          /* foreach: least deletions per call; 0: default */
	struct cleanup_totals totals;
	__u64 last_flows_ns;        /* wall time of the last pass, per map */
	__u64 last_ts_ns;
	__u64 last_call_max_ns;     /* longest kernel call of the last pass */
	__u64 last_calls;           /* kernel calls of the last pass */
};

/* The mechanisms CLEANUP_AUTO tries, in order (n gets how many): pping
 * --probe reports the daemon's choice from it. */
const enum cleanup_mech *cleanup_auto_order(size_t *n);

/* "iter", "foreach", "batch" ("auto" for CLEANUP_AUTO). */
const char *cleanup_mech_name(enum cleanup_mech m);
/* Name to mechanism; -1 if unknown. */
int cleanup_mech_parse(const char *s, enum cleanup_mech *m);

/*
 * Can this kernel run mechanism m? Loads it on maps of its own (a few
 * entries) and runs it once. 0, or -errno with the reason in why.
 */
int cleanup_probe(enum cleanup_mech m, char *why, size_t len);

/*
 * Open cleanup on the maps of a loaded datapath with mechanism want, or
 * with the first the kernel allows for CLEANUP_AUTO (saying once on stderr
 * which one it fell back to, and why). A forced mechanism the kernel
 * refuses is an error.
 */
/*
 * Where the closing events of flows a pass removes without a FIN or RST
 * go when the mechanism cannot put them in the ring buffer (batch).
 */
void cleanup_set_closing(struct cleanup *c,
			 void (*fn)(void *ctx, const struct pping_event *e),
			 void *ctx);

int cleanup_open(struct cleanup *c, const struct pping_bpf *b,
		 enum cleanup_mech want);

/* One pass over the flow map, then the identifier map. */
int cleanup_run(struct cleanup *c, const struct cleanup_params *p,
		struct cleanup_stats *out);

void cleanup_close(struct cleanup *c);

#endif /* PPING_CLEANUP_H */
