// SPDX-License-Identifier: GPL-2.0
/*
 * Cleanup by for-each walks: SEC("syscall") programs calling
 * bpf_for_each_map_elem, run by the daemon with BPF_PROG_TEST_RUN. A
 * for-each holds the CPU for the whole walk and always starts at the
 * map's first bucket. Deleting is what makes a walk long (a mass expiry),
 * so a call stops after a budget of deletions and the daemon runs it
 * again, passing over the entries earlier calls kept.
 */
#include "clean.bpf.h"

struct cleanup_walk walk;

/* Is this entry one an earlier call of the walk kept (pass over it)? */
static __always_inline bool walk_passed(void)
{
	return walk.index++ < walk.skip;
}

/* Count an examined entry; true (stop the walk here) once this call has
 * deleted its budget. An entry someone else deleted meanwhile is no more
 * in the map either, but cost nothing. */
static __always_inline bool walk_examined(enum clean_result r)
{
	walk.examined++;
	if (r == CLEAN_GONE)
		walk.vanished++;
	if (r != CLEAN_DELETED)
		return false;
	walk.removed++;
	if (walk.removed < walk.budget)
		return false;
	walk.stopped = 1;
	return true;
}

static long walk_flow(void *map, const struct flow_key *k,
		      const struct flow_state *v, void *ctx)
{
	(void)map;
	(void)ctx;
	if (walk_passed())
		return 0;
	return walk_examined(clean_flow(k, v));
}

static long walk_ts(void *map, const struct ts_key *k,
		    const struct ts_value *v, void *ctx)
{
	(void)map;
	(void)ctx;
	if (walk_passed())
		return 0;
	return walk_examined(clean_ts(k, v));
}

static __always_inline void walk_start(void)
{
	walk.index = 0;
	walk.examined = 0;
	walk.removed = 0;
	walk.vanished = 0;
	walk.stopped = 0;
}

SEC("syscall")
int walk_flows(void *ctx)
{
	(void)ctx;
	walk_start();
	bpf_for_each_map_elem(&flow_map, walk_flow, NULL, 0);
	return 0;
}

SEC("syscall")
int walk_timestamps(void *ctx)
{
	(void)ctx;
	walk_start();
	bpf_for_each_map_elem(&ts_map, walk_ts, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
