// SPDX-License-Identifier: GPL-2.0
/*
 * Periodic cleanup, as two map iterators the daemon runs once per cleanup
 * interval: each visits every entry of its map in the kernel and deletes
 * what has outlived its purpose. Walking in the kernel costs no copy of the
 * map to userspace (see SAMPLING_DESIGN.md for the measured comparison with
 * batched map operations). The rules' values come from the daemon in
 * params, scaled by the degradation level.
 */
#include "occupancy.bpf.h"

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

volatile struct cleanup_params params;
struct cleanup_stats stats;

static __always_inline __u64 clean_now(void)
{
	return params.now ? params.now : bpf_ktime_get_ns();
}

/* now - t, or 0 when t is later (stamped on another CPU just now). */
static __always_inline __u64 age_of(__u64 now, __u64 t)
{
	return (__s64)(now - t) > 0 ? now - t : 0;
}

static __always_inline __u64 opened_age(__u64 now, __u32 opened)
{
	__u32 ticks = (__u32)(now >> PPING_OPENED_SHIFT) - opened;

	return (__s32)ticks > 0 ? (__u64)ticks << PPING_OPENED_SHIFT : 0;
}

/* Why a flow should go now, or -1 to keep it. Order matters: the first
 * matching reason is the one counted. */
static __always_inline int flow_verdict(const struct flow_state *fs, __u64 now)
{
	__u32 fins = fs->flags & (PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN);
	__u64 quiet = age_of(now, fs->last_seen);
	bool answered = fs->dir[0].min_rtt || fs->dir[1].min_rtt;
	bool reported = fs->dir[0].reported_burst || fs->dir[1].reported_burst;

	/* A reset flow is deleted by the datapath; one left behind lost a
	 * race with a late packet of the same flow. */
	if (fs->flags & PPING_FLOW_RST)
		return CLEAN_FLOW_CLOSED;
	if (fins == (PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN) &&
	    quiet >= params.closed_ns)
		return CLEAN_FLOW_CLOSED;
	if (fins && quiet >= params.half_closed_ns)
		return CLEAN_FLOW_HALF_CLOSED;
	if (!answered && opened_age(now, fs->opened) >= params.unanswered_ns)
		return CLEAN_FLOW_UNANSWERED;
	if (quiet >= params.idle_ns)
		return CLEAN_FLOW_IDLE;
	if (reported &&
	    stats.flows_removed[CLEAN_FLOW_EVICTED] < params.evict_budget)
		return CLEAN_FLOW_EVICTED;
	return -1;
}

SEC("iter/bpf_map_elem")
int cleanup_flows(struct bpf_iter__bpf_map_elem *ctx)
{
	const struct flow_state *v = ctx->value;
	const struct flow_key *k = ctx->key;
	struct flow_key key;
	int reason;

	if (!k || !v)
		return 0;
	stats.flows_seen++;
	if (v->dir[0].reported_burst || v->dir[1].reported_burst)
		stats.flows_sampled++;
	reason = flow_verdict(v, clean_now());
	if (reason < 0 || reason >= CLEAN_FLOW_REASONS)
		return 0;
	key = *k;   /* the delete needs the key on the stack */
	if (!flow_delete(&key)) {
		stats.delete_failed++;
		return 0;
	}
	stats.flows_removed[reason]++;
	if (reason == CLEAN_FLOW_EVICTED)
		sampled_mark(flow_hash(&key), params.sampled_mask);
	return 0;
}

/*
 * An identifier lives a multiple of its flow direction's smoothed RTT: a
 * reply later than that is not coming (the segment or its ACK was lost, or
 * a later TSval was echoed). Bounded below by the floor, which leaves room
 * for delayed ACKs, and above by the cap, which is also the lifetime while
 * the direction has no RTT yet.
 */
static __always_inline __u64 ts_lifetime(__u32 srtt)
{
	__u64 life;

	if (!srtt)
		return params.ts_cap_ns;
	life = (__u64)srtt * params.ts_rtt_mult;
	if (life < params.ts_floor_ns)
		life = params.ts_floor_ns;
	if (life > params.ts_cap_ns)
		life = params.ts_cap_ns;
	return life;
}

SEC("iter/bpf_map_elem")
int cleanup_ts(struct bpf_iter__bpf_map_elem *ctx)
{
	const struct ts_value *v = ctx->value;
	const struct ts_key *k = ctx->key;
	struct flow_state *fs;
	struct ts_key key;
	__u64 age;
	int reason;

	if (!k || !v)
		return 0;
	stats.ts_seen++;
	/* Most identifiers a pass meets are younger than the floor: they
	 * cannot have expired, and skipping the flow lookup for them more
	 * than halves the pass. An orphan is found once it is that old. */
	age = age_of(clean_now(), v->sent);
	if (age < params.ts_floor_ns)
		return 0;
	key = *k;
	fs = bpf_map_lookup_elem(&flow_map, &key.flow);
	if (!fs)
		reason = CLEAN_TS_ORPHANED;
	else if (age >= ts_lifetime(fs->dir[key.dir & 1].srtt))
		reason = CLEAN_TS_EXPIRED;
	else
		return 0;
	if (bpf_map_delete_elem(&ts_map, &key) != 0) {
		stats.delete_failed++;
		return 0;
	}
	stats.ts_removed[reason]++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
