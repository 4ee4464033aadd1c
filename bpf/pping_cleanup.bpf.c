// SPDX-License-Identifier: GPL-2.0
/*
 * Periodic cleanup in the kernel: visit every entry of the flow and
 * identifier maps and delete what has outlived its purpose, by the rules
 * of cleanup_rules.h with the values the daemon puts in params (scaled by
 * the degradation level). Walking in the kernel costs no copy of the maps
 * to userspace.
 *
 * Two ways to walk, one per kernel policy; the daemon loads one of them
 * (user/cleanup.c, SAMPLING_DESIGN.md "Cleanup mechanisms"):
 * - map-element iterators, run by reading the iterator's fd; the kernel
 *   reschedules between entries. Some kernels refuse to load them
 *   (lockdown with the BPF LSM: EPERM before verification).
 * - SEC("syscall") programs calling bpf_for_each_map_elem, run by
 *   BPF_PROG_TEST_RUN. A for-each holds the CPU for the whole walk (as an
 *   iterator's read() does: map iterators do not reschedule) and always
 *   starts at the map's first bucket. Deleting is what makes a walk long
 *   (a mass expiry), so a call stops after a budget of deletions and the
 *   daemon runs it again, passing over the entries earlier calls kept.
 */
#include "occupancy.bpf.h"
#include "cleanup_rules.h"

struct cleanup_params params;
struct cleanup_stats stats;
struct cleanup_walk walk;

static __always_inline __u64 clean_now(void)
{
	return params.now ? params.now : bpf_ktime_get_ns();
}

/* Apply the flow rules to one entry; true if it was deleted. */
static __always_inline bool clean_flow(const struct flow_key *k,
				       const struct flow_state *v)
{
	struct flow_key key;
	int reason;

	stats.flows_seen++;
	if (cleanup_flow_sampled(v))
		stats.flows_sampled++;
	reason = cleanup_flow_verdict(v, &params, clean_now(),
				      stats.flows_removed[CLEAN_FLOW_EVICTED]);
	if (reason < 0 || reason >= CLEAN_FLOW_REASONS)
		return false;
	key = *k;   /* the delete needs the key on the stack */
	if (!flow_delete(&key)) {
		stats.delete_failed++;
		return false;
	}
	stats.flows_removed[reason]++;
	if (reason == CLEAN_FLOW_EVICTED)
		sampled_mark(flow_hash(&key), params.sampled_mask);
	return true;
}

/* Apply the identifier rules to one entry; true if it was deleted. */
static __always_inline bool clean_ts(const struct ts_key *k,
				     const struct ts_value *v)
{
	__u64 now = clean_now();
	struct flow_state *fs;
	struct ts_key key;
	int reason;

	stats.ts_seen++;
	if (!cleanup_ts_may_expire(v, &params, now))
		return false;
	key = *k;
	fs = bpf_map_lookup_elem(&flow_map, &key.flow);
	reason = cleanup_ts_verdict(&key, v, fs, &params, now);
	if (reason < 0 || reason >= CLEAN_TS_REASONS)
		return false;
	if (bpf_map_delete_elem(&ts_map, &key) != 0) {
		stats.delete_failed++;
		return false;
	}
	stats.ts_removed[reason]++;
	return true;
}

/* ------------------------------------------------------------------------
 * Map-element iterators
 * ------------------------------------------------------------------------ */

/* Iterator context, as the kernel defines it (only the fields used). */
struct bpf_iter_meta {
	void *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	void *map;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

SEC("iter/bpf_map_elem")
int cleanup_flows(struct bpf_iter__bpf_map_elem *ctx)
{
	if (ctx->key && ctx->value)
		clean_flow(ctx->key, ctx->value);
	return 0;
}

SEC("iter/bpf_map_elem")
int cleanup_ts(struct bpf_iter__bpf_map_elem *ctx)
{
	if (ctx->key && ctx->value)
		clean_ts(ctx->key, ctx->value);
	return 0;
}

/* ------------------------------------------------------------------------
 * Bounded for-each walks
 * ------------------------------------------------------------------------ */

/* Is this entry one an earlier call of the walk kept (pass over it)? */
static __always_inline bool walk_passed(void)
{
	return walk.index++ < walk.skip;
}

/* Count an examined entry; true (stop the walk here) once this call has
 * deleted its budget. */
static __always_inline bool walk_examined(bool deleted)
{
	walk.examined++;
	if (!deleted)
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
