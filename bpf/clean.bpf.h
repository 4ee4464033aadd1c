/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cleanup in the kernel: apply the rules of cleanup_rules.h to one entry
 * of the flow or identifier map, with the values the daemon puts in params
 * (scaled by the degradation level), and delete it if it has outlived its
 * purpose. Both in-kernel cleanup mechanisms use these (user/cleanup.c,
 * SAMPLING_DESIGN.md "Cleanup mechanisms"); each is an object of its own,
 * so that the for-each walks, which need no kernel BTF, do not carry the
 * iterators' CO-RE relocations (libbpf would then want kernel BTF to load
 * either).
 */
#ifndef PPING_CLEAN_BPF_H
#define PPING_CLEAN_BPF_H

#include "occupancy.bpf.h"
#include "cleanup_rules.h"

struct cleanup_params params;
struct cleanup_stats stats;

static __always_inline __u64 clean_now(void)
{
	return params.now ? params.now : bpf_ktime_get_ns();
}

/* What became of an entry a pass examined. */
enum clean_result {
	CLEAN_GONE = -1,   /* to go, but deleted by someone else meanwhile */
	CLEAN_KEPT = 0,
	CLEAN_DELETED = 1,
};

/*
 * Reserve the closing event of a flow that is to go, filled while its
 * entry is still there (a deleted element may serve a new flow at once).
 * It is submitted only if the delete succeeds. A full ring buffer loses
 * it, counted as any lost event.
 */
static __always_inline struct pping_event *
closing_reserve(const struct flow_key *k, const struct flow_state *v,
		int reason, __u64 now)
{
	__u8 why = cleanup_closing_reason(reason, v);
	struct pping_counters *cnt;
	struct pping_event *e;
	__u32 slot = k->iface;

	if (!why)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cnt = bpf_map_lookup_elem(&counters, &slot);
		if (cnt)
			cnt->events_lost++;
		return NULL;
	}
	cleanup_closing_event(e, k, v, why, now);
	return e;
}

/* Apply the flow rules to one entry. */
static __always_inline enum clean_result clean_flow(const struct flow_key *k,
				       const struct flow_state *v)
{
	struct pping_event *ev;
	struct flow_key key;
	__u64 now = clean_now();
	int reason;

	stats.flows_seen++;
	if (cleanup_flow_sampled(v))
		stats.flows_sampled++;
	reason = cleanup_flow_verdict(v, &params, now,
				      stats.flows_removed[CLEAN_FLOW_EVICTED]);
	if (reason < 0 || reason >= CLEAN_FLOW_REASONS)
		return CLEAN_KEPT;
	ev = closing_reserve(k, v, reason, now);
	key = *k;   /* the delete needs the key on the stack */
	if (!flow_delete(&key)) {
		if (ev)
			bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
		stats.delete_failed++;
		return CLEAN_GONE;
	}
	/* The daemon reads the ring after the pass: no wake-up needed. */
	if (ev)
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	stats.flows_removed[reason]++;
	if (reason == CLEAN_FLOW_EVICTED)
		sampled_mark(flow_hash(&key), params.sampled_mask);
	return CLEAN_DELETED;
}

/* Apply the identifier rules to one entry. */
static __always_inline enum clean_result clean_ts(const struct ts_key *k,
				     const struct ts_value *v)
{
	__u64 now = clean_now();
	struct flow_state *fs;
	struct ts_key key;
	int reason;

	stats.ts_seen++;
	if (!cleanup_ts_may_expire(v, &params, now))
		return CLEAN_KEPT;
	key = *k;
	fs = bpf_map_lookup_elem(&flow_map, &key.flow);
	reason = cleanup_ts_verdict(&key, v, fs, &params, now);
	if (reason < 0 || reason >= CLEAN_TS_REASONS)
		return CLEAN_KEPT;
	if (bpf_map_delete_elem(&ts_map, &key) != 0) {
		stats.delete_failed++;
		return CLEAN_GONE;
	}
	stats.ts_removed[reason]++;
	return CLEAN_DELETED;
}

#endif /* PPING_CLEAN_BPF_H */
