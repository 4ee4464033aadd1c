/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Matching replies to identifiers. The first packet that echoes a TSval
 * (TSecr) of the opposite direction takes its identifier: from the flow's
 * slots, or, for the few that did not fit there, from the timestamp map.
 * Later echoes of the same value find nothing in the slots and are
 * skipped without touching the map, which is what keeps the per-packet
 * cost of a bulk flow's ACK stream low.
 */
#ifndef PPING_MATCH_BPF_H
#define PPING_MATCH_BPF_H

#include "maps.bpf.h"
#include "packet.bpf.h"
#include "aggregate.bpf.h"
#include "events.bpf.h"
#include "identifiers.bpf.h"

static __always_inline __u32 saturate_u32(__u64 v)
{
	return v > PPING_RTT_SAT ? PPING_RTT_SAT : (__u32)v;
}

static __always_inline void update_rtt_stats(struct flow_dir_state *st,
					     __u64 rtt_ns)
{
	__u32 rtt = saturate_u32(rtt_ns);

	/* Plain stores: a lost update between two CPUs only skews a
	 * statistic by one sample, and is cheaper than a lock. */
	if (!st->min_rtt || rtt < st->min_rtt)
		st->min_rtt = rtt;
	if (!st->srtt)
		st->srtt = rtt;
	else
		st->srtt = st->srtt - (st->srtt >> 3) + (rtt >> 3);
	st->last_rtt = rtt;
}

/* tsecr lies in [id_first, id_last], wrap-aware. */
static __always_inline bool may_be_identifier(const struct flow_dir_state *st,
					      __u32 tsecr)
{
	__u32 first = *(volatile __u32 *)&st->id_first;
	__u32 last = *(volatile __u32 *)&st->id_last;

	return last && (__s32)(tsecr - first) >= 0 && (__s32)(last - tsecr) >= 0;
}

/*
 * A burst may produce several matches; print only its first, so a burst
 * never floods the output (at most one line per flow direction and
 * interval). Burst ids are their start times, so a late match of an older
 * burst cannot reopen reporting for a newer one.
 */
static __always_inline bool claim_report(struct flow_dir_state *st, __u64 burst)
{
	__u64 old = *(volatile __u64 *)&st->reported_burst;

	if (burst <= old)
		return false;
	return __sync_val_compare_and_swap(&st->reported_burst, old, burst) == old;
}

/* A sample from an identifier sent at sent: not one left over from before
 * the TSval clock wrapped (stale), nor from a later clock than ours. Reads
 * the exact time the sample ends at into h->now. */
static __always_inline bool sample_fresh(__u64 sent, struct hook_pkt *h,
					 struct pping_counters *cnt)
{
	__u64 now = pkt_now(h, cnt);

	/* Either way the identifier is gone: counted, so every one is
	 * accounted for (matched, stale, passed or outstanding). */
	if (now < sent || now - sent >= PPING_TS_STALE_NS) {
		cnt->ts_stale++;
		return false;
	}
	return true;
}

/*
 * Take the identifier tk out of the map: true with its send time in
 * *sent if this program's delete won (two CPUs can never report the same
 * identifier twice) and it is not stale (left over from before a TSval
 * or sequence clock wrapped).
 */
static __always_inline bool take_identifier(const struct ts_key *tk,
					    struct hook_pkt *h,
					    struct pping_counters *cnt,
					    struct ts_value *sent)
{
	struct ts_value *tv = bpf_map_lookup_elem(&ts_map, tk);

	if (!tv)
		return false;
	*sent = *tv;
	if (bpf_map_delete_elem(&ts_map, tk) != 0)
		return false;
	cnt->ts_deleted++;
	return sample_fresh(sent->sent, h, cnt);
}

/*
 * A sample of direction id_dir's identifiers, by any method: into the
 * direction's RTT statistics and the counters, and printed if it is the
 * first match of its burst. h->now is exact: the caller took the RTT from it.
 */
static __always_inline void report_sample(const struct flow_key *key,
					  struct flow_state *fs, __u8 id_dir,
					  __u64 rtt, __u64 burst, __u8 method,
					  const struct hook_pkt *h,
					  struct pping_counters *cnt)
{
	struct flow_dir_state *st = &fs->dir[id_dir & 1];

	update_rtt_stats(st, rtt);
	cnt->rtt_samples++;
	cnt->samples[method < PPING_METHOD_MAX ? method : 0]++;
	if (!claim_report(st, burst)) {
		cnt->rtt_unreported++;
		return;
	}
	if (config.agg_kernel) {
		agg_sample(key, rtt, h->now, (__u32)id_dir << 8 | method, cnt);
		return;
	}
	emit_rtt_event(key, fs, id_dir, rtt, h->now, method,
		       h->hook == PPING_HOOK_EGRESS ? PPING_EV_MATCH_ON_EGRESS : 0,
		       hook_pkt_seq(h), cnt);
}

/*
 * Does an echo of tsecr fall within the identifiers in st's slots: is
 * there one of them at or after it?
 */
static __always_inline bool ts_slot_covers(const struct flow_dir_state *st,
					   __u32 tsecr)
{
	const struct id_slot *s;
	int i;

#pragma unroll
	for (i = 0; i < PPING_ID_SLOTS; i++) {
		s = &st->ids[i];
		if (*(volatile __u64 *)&s->sent > PPING_ID_SLOT_BUSY &&
		    (s->tag_ago & PPING_ID_SLOT_TS) && (__s32)(s->id - tsecr) >= 0)
			return true;
	}
	return false;
}

/*
 * Take the identifier an echo of tsecr closes from the flow slots of st:
 * true with its send time and burst if this CPU took it. An echo within
 * the identifiers outstanding also drops, counted, those it has passed
 * (older TSvals): once an identifier's own echo has come, an older one's
 * will not be matched any more (as with the identifier map, where such an
 * echo claims the last-TSecr word). An echo beyond all of them drops
 * nothing: on some paths the echo of an identifier still comes after one
 * of a later TSval that was not an identifier (seen with BIG TCP).
 */
static __always_inline bool ts_slot_take(struct flow_dir_state *st, __u32 tsecr,
					 bool within, __u64 *sent_at, __u64 *burst,
					 struct pping_counters *cnt)
{
	bool took = false;
	__u32 id, tag_ago;
	__u64 sent;
	int i;

#pragma unroll
	for (i = 0; i < PPING_ID_SLOTS; i++) {
		struct id_slot *s = &st->ids[i];

		sent = *(volatile __u64 *)&s->sent;
		if (sent <= PPING_ID_SLOT_BUSY)
			continue;
		tag_ago = s->tag_ago;
		id = s->id;
		if (!(tag_ago & PPING_ID_SLOT_TS) || (__s32)(tsecr - id) < 0)
			continue;   /* SEQ/ACK, or not echoed yet */
		if (id != tsecr && !within)
			continue;   /* passed by an echo beyond them all: kept */
		if (__sync_val_compare_and_swap(&s->sent, sent, 0) != sent)
			continue;
		if (id != tsecr) {
			cnt->ts_passed++;
			continue;
		}
		took = true;
		*sent_at = sent;
		*burst = pping_id_slot_burst(sent, tag_ago);
	}
	return took;
}

static __always_inline void match_packet(const struct flow_key *key,
					 struct flow_state *fs,
					 const struct pkt_info *p,
					 struct hook_pkt *h,
					 struct pping_counters *cnt)
{
	__u8 ts_dir = (h->dir ^ 1) & 1;   /* whose TSvals this packet echoes */
	struct flow_dir_state *st = &fs->dir[ts_dir];
	struct ts_value sent;
	struct ts_key tk;

	if (!(p->tcp_flags & TCP_FLAG_ACK_B))
		return;
	if (config.ts_slots &&
	    ts_slot_take(st, p->tsecr, ts_slot_covers(st, p->tsecr),
			 &sent.sent, &sent.burst, cnt)) {
		if (sample_fresh(sent.sent, h, cnt))
			report_sample(key, fs, ts_dir, h->now - sent.sent,
				      sent.burst, PPING_METHOD_TS, h, cnt);
		return;
	}
	/* Most echoes are of TSvals that never became identifiers (the rate
	 * limit skips them): answer those from the flow state, without a
	 * write to it or a lookup in the identifier map. */
	if (!may_be_identifier(st, p->tsecr))
		return;
	if (!claim_newer_tsecr(&st->last_tsecr, p->tsecr))
		return;

	ts_key_init(&tk, key, p->tsecr, ts_dir);
	if (!take_identifier(&tk, h, cnt, &sent))
		return;
	report_sample(key, fs, ts_dir, h->now - sent.sent, sent.burst,
		      PPING_METHOD_TS, h, cnt);
	/* An identifier's own echo came: older ones in the slots are
	 * passed for good. */
	if (config.ts_slots)
		ts_slot_take(st, p->tsecr, true, &sent.sent, &sent.burst, cnt);
}

#endif /* PPING_MATCH_BPF_H */
