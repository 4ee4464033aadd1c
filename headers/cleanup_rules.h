/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The removal rules of cleanup, as pure functions of an entry, the pass's
 * parameters and its clock. One definition serves every cleanup mechanism:
 * the BPF programs of bpf/clean.bpf.h (map iterators, or a
 * for-each walk run by BPF_PROG_TEST_RUN) and the daemon's batched walk
 * (user/cleanup_batch.c), so the mechanisms cannot drift apart.
 */
#ifndef PPING_CLEANUP_RULES_H
#define PPING_CLEANUP_RULES_H

#include <stdbool.h>
#include "pping.h"

#define CLEANUP_RULE static inline __attribute__((always_inline))

/* now - t, or 0 when t is later (stamped on another CPU just now). */
CLEANUP_RULE __u64 cleanup_age(__u64 now, __u64 t)
{
	return (__s64)(now - t) > 0 ? now - t : 0;
}

CLEANUP_RULE __u64 cleanup_opened_age(__u64 now, __u32 opened)
{
	__u32 ticks = (__u32)(now >> PPING_OPENED_SHIFT) - opened;

	return (__s32)ticks > 0 ? (__u64)ticks << PPING_OPENED_SHIFT : 0;
}

/*
 * Why a flow should go now (enum cleanup_flow_reason), or -1 to keep it.
 * Order matters: the first matching reason is the one counted. evicted is
 * how many flows this pass has evicted so far, against the budget.
 */
CLEANUP_RULE int cleanup_flow_verdict(const struct flow_state *fs,
				      const struct cleanup_params *p,
				      __u64 now, __u64 evicted)
{
	__u32 fins = fs->flags & (PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN);
	__u64 quiet = cleanup_age(now, fs->last_seen);
	bool answered = fs->dir[0].min_rtt || fs->dir[1].min_rtt;
	bool reported = fs->dir[0].reported_burst || fs->dir[1].reported_burst;

	/* A reset flow is deleted by the datapath; one left behind lost a
	 * race with a late packet of the same flow. */
	if (fs->flags & PPING_FLOW_RST)
		return CLEAN_FLOW_CLOSED;
	if (fins == (PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN) &&
	    quiet >= p->closed_ns)
		return CLEAN_FLOW_CLOSED;
	if (fins && quiet >= p->half_closed_ns)
		return CLEAN_FLOW_HALF_CLOSED;
	if (!answered && cleanup_opened_age(now, fs->opened) >= p->unanswered_ns)
		return CLEAN_FLOW_UNANSWERED;
	if (quiet >= p->idle_ns)
		return CLEAN_FLOW_IDLE;
	if (reported && evicted < p->evict_budget)
		return CLEAN_FLOW_EVICTED;
	return -1;
}

/* Has this flow had an RTT reported (counted as sampled by a pass)? */
CLEANUP_RULE bool cleanup_flow_sampled(const struct flow_state *fs)
{
	return fs->dir[0].reported_burst || fs->dir[1].reported_burst;
}

/*
 * An identifier lives a multiple of its flow direction's smoothed RTT: a
 * reply later than that is not coming (the segment or its ACK was lost, or
 * a later TSval was echoed). Bounded below by the floor, which leaves room
 * for delayed ACKs, and above by the cap, which is also the lifetime while
 * the direction has no RTT yet.
 */
CLEANUP_RULE __u64 cleanup_ts_lifetime(const struct cleanup_params *p,
				       __u32 srtt)
{
	__u64 life;

	if (!srtt)
		return p->ts_cap_ns;
	life = (__u64)srtt * p->ts_rtt_mult;
	if (life < p->ts_floor_ns)
		life = p->ts_floor_ns;
	if (life > p->ts_cap_ns)
		life = p->ts_cap_ns;
	return life;
}

/*
 * Most identifiers a pass meets are younger than the floor: they cannot
 * have expired, and a mechanism skips the flow lookup for them (it more
 * than halves the pass). An orphan is found once it is that old.
 */
CLEANUP_RULE bool cleanup_ts_may_expire(const struct ts_value *v,
					const struct cleanup_params *p,
					__u64 now)
{
	return cleanup_age(now, v->sent) >= p->ts_floor_ns;
}

/*
 * Why an identifier that may expire should go (enum cleanup_ts_reason),
 * or -1 to keep it; fs is its flow's entry, NULL if the flow is gone.
 */
CLEANUP_RULE int cleanup_ts_verdict(const struct ts_key *k,
				    const struct ts_value *v,
				    const struct flow_state *fs,
				    const struct cleanup_params *p, __u64 now)
{
	if (!fs)
		return CLEAN_TS_ORPHANED;
	if (cleanup_age(now, v->sent) >= cleanup_ts_lifetime(p, fs->dir[k->dir & 1].srtt))
		return CLEAN_TS_EXPIRED;
	return -1;
}

/*
 * The closing event a flow removed for `reason` gets (enum
 * pping_flow_reason), or 0 if it needs none: a flow that saw a FIN or RST
 * has had its closing event from the datapath.
 */
CLEANUP_RULE __u8 cleanup_closing_reason(int reason, const struct flow_state *fs)
{
	if (fs->flags & PPING_FLOW_CLOSING)
		return 0;
	switch (reason) {
	case CLEAN_FLOW_UNANSWERED:
		return PPING_REASON_UNANSWERED;
	case CLEAN_FLOW_IDLE:
		return PPING_REASON_IDLE;
	case CLEAN_FLOW_EVICTED:
		return PPING_REASON_EVICTED;
	}
	return 0;
}

/*
 * Fill the closing event of a flow cleanup removes, as the datapath's
 * closing events are filled (the local side's RTTs, both directions'
 * counts), at the pass's clock. No packet triggered it: dir is OUT and
 * flagged PPING_EV_BY_CLEANUP.
 */
CLEANUP_RULE void cleanup_closing_event(struct pping_event *e,
					const struct flow_key *k,
					const struct flow_state *fs,
					__u8 reason, __u64 now)
{
	e->type = PPING_EVENT_FLOW;
	e->flow_event = PPING_FLOW_CLOSING_EV;
	e->reason = reason;
	e->dir = PPING_DIR_OUT;
	e->flags = PPING_EV_BY_CLEANUP;
	e->method = 0;
	e->pad = 0;
	e->time_ns = now;
	e->rtt = 0;
	pping_event_fill_flow(e, fs);
	e->flow = *k;
	e->pkt_seq = 0;
	e->pad2 = 0;
}

#endif /* PPING_CLEANUP_RULES_H */
