/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deciding which packets become identifiers. See SAMPLING_DESIGN.md.
 *
 * A packet may be timestamped only if it is the first one of its flow
 * direction to carry its TSval (later packets with the same TSval would
 * under-estimate the RTT by up to one TS clock tick), if it can elicit an
 * immediate reply (payload, SYN or FIN — never a pure ACK), and if the flow
 * direction's rate limit has passed or its current burst has room. Both
 * "first" and the sampling slot are claimed with compare-and-exchange, so
 * two CPUs racing on the same flow cannot both win.
 */
#ifndef PPING_SAMPLING_BPF_H
#define PPING_SAMPLING_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "packet.bpf.h"
#include "identifiers.bpf.h"
#include "clock.bpf.h"

static __always_inline bool can_elicit_reply(const struct pkt_info *p)
{
	return p->payload_len > 0 ||
	       (p->tcp_flags & (TCP_FLAG_SYN_B | TCP_FLAG_FIN_B));
}

static __always_inline __u32 min_u32(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

/*
 * Time between bursts of one flow direction: --rate-limit, or with
 * --rtt-rate a multiple of the direction's RTT once it has one. The
 * smoothed variant uses the lower of srtt and the latest sample: srtt only
 * moves 1/8 per sample, and a longer interval means fewer samples, so after
 * an RTT spike it would stay high (and keep sampling sparse) long after the
 * path recovered; the latest sample lets the interval shrink at once.
 */
static __always_inline __u64 sample_interval(const struct flow_dir_state *st)
{
	__u32 rtt;

	if (!runtime.rtt_rate_fp)
		return runtime.rate_limit_ns;
	if (runtime.rtt_type == PPING_RTT_SMOOTHED)
		rtt = min_u32(st->srtt, st->last_rtt);
	else
		rtt = st->min_rtt;
	if (!rtt)
		return runtime.rate_limit_ns;
	return ((__u64)rtt * runtime.rtt_rate_fp) >> PPING_RTT_RATE_SHIFT;
}

/*
 * The interval in force: under degradation level L it is at least
 * PPING_DEGRADE_BASE_NS and multiplied by 2^L, so the identifier map
 * relieves itself whatever the configured sampling.
 */
static __always_inline __u64 effective_interval(const struct flow_dir_state *st)
{
	return pping_degraded_interval(sample_interval(st), runtime.level);
}

/*
 * With only the tick clock's time (h->now a lower bound, the exact time
 * less than config.tick_bound_ns later), is the slot closed at any time the
 * packet can have? Then the packet is rate limited without reading the
 * clock, as most packets of a flow are: a new burst cannot begin even at
 * the latest time, and the burst has no room or its window has passed
 * even at the earliest.
 */
static __always_inline bool slot_surely_closed(const struct flow_dir_state *st,
					       const struct hook_pkt *h)
{
	__u64 old = *(volatile __u64 *)&st->slot;
	__u64 start = old & ~PPING_SLOT_COUNT_MASK;

	if (h->exact || !old)
		return false;
	if (elapsed_since(h->now + config.tick_bound_ns, start) >= effective_interval(st))
		return false;
	return (old & PPING_SLOT_COUNT_MASK) >= runtime.burst ||
	       elapsed_since(h->now, start) >= runtime.burst_window_ns;
}

/*
 * Claim the right to create an identifier for the packet: either the first
 * of a new burst (the interval since the current burst began has passed)
 * or one more within the burst (fewer than runtime.burst so far, and still
 * inside the burst window). Start and count share one word, so exactly one
 * CPU wins each claim. Returns the burst's start time (its id, never 0),
 * or 0 if not claimed; h->now is exact once it returns a burst.
 */
static __always_inline __u64 claim_slot(struct flow_dir_state *st,
					struct hook_pkt *h,
					struct pping_counters *cnt)
{
	__u64 old, start, count, new, now;
	int i;

	if (slot_surely_closed(st, h)) {
		cnt->rate_limited++;
		return 0;
	}
	now = pkt_now(h, cnt);
	for (i = 0; i < CLAIM_TRIES; i++) {
		old = *(volatile __u64 *)&st->slot;
		start = old & ~PPING_SLOT_COUNT_MASK;
		count = old & PPING_SLOT_COUNT_MASK;
		if (!old || elapsed_since(now, start) >= effective_interval(st)) {
			/* A burst's start is its id (one report per burst):
			 * two bursts begun within one 256 ns grain (no rate
			 * limit; a replay's microsecond timestamps) must
			 * still differ, so a new one is always later. */
			new = now & ~PPING_SLOT_COUNT_MASK;
			if (old && new <= start)
				new = start + PPING_SLOT_COUNT_MASK + 1;
			new |= 1;
		} else if (count < runtime.burst &&
			   elapsed_since(now, start) < runtime.burst_window_ns) {
			new = old + 1;
		} else {
			cnt->rate_limited++;
			return 0;
		}
		if (__sync_val_compare_and_swap(&st->slot, old, new) == old)
			return new & ~PPING_SLOT_COUNT_MASK;
		cnt->claims_lost++;
	}
	return 0;
}

/*
 * The TSval is already an outstanding identifier. Normally that one is
 * kept (it left first), but one left from a TSval clock that has since
 * wrapped around is stale: replace it. Returns 0 if replaced, else -EEXIST.
 */
static __always_inline long replace_if_stale(const struct ts_key *tk,
					     const struct ts_value *tv,
					     struct pping_counters *cnt)
{
	struct ts_value *old = bpf_map_lookup_elem(&ts_map, tk);

	if (!old || elapsed_since(tv->sent, old->sent) < PPING_TS_STALE_NS)
		return -EEXIST;
	cnt->ts_stale++;
	return bpf_map_update_elem(&ts_map, tk, tv, BPF_EXIST) ? -EEXIST : 0;
}

/*
 * Store an identifier; true if it is now in the map, new or in place of a
 * stale one (counted as such). An identifier already there left first and
 * is kept.
 */
static __always_inline bool store_identifier(const struct ts_key *tk,
					     const struct ts_value *tv,
					     struct pping_counters *cnt)
{
	long err = bpf_map_update_elem(&ts_map, tk, tv, BPF_NOEXIST);

	if (err == 0) {
		cnt->ts_created++;   /* a replacement below is counted as stale */
		cnt->ts_in_map++;
		return true;
	}
	/* Full, or no memory for the entry (the map allocates them):
	 * either way a refusal, which degradation answers. */
	if (err != -EEXIST) {
		cnt->ts_map_full++;
		return false;
	}
	if (replace_if_stale(tk, tv, cnt) == 0)
		return true;
	cnt->ts_exists++;
	return false;
}

/*
 * Let the matching side know which echoes can find an identifier in
 * ts_map: those from id_first to id_last. When every echo so far has passed the newest
 * identifier (last_tsecr, wrap-aware), none older can be matched any more
 * (echoes only count when they are newer), so the range starts again at
 * this one. Published after the insert; the echo comes a round trip later.
 */
static __always_inline void publish_identifier(struct flow_dir_state *st,
					       __u32 tsval)
{
	__u32 seen = *(volatile __u32 *)&st->last_tsecr;
	__u32 last = st->id_last;

	if (!last || (seen && (__s32)(seen - last) >= 0))
		st->id_first = tsval;
	st->id_last = tsval;
}

static __always_inline void sample_packet(const struct flow_key *key,
					  struct flow_state *fs,
					  const struct pkt_info *p,
					  struct hook_pkt *h,
					  struct pping_counters *cnt)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];
	struct ts_value tv;
	struct ts_key tk;

	if (!can_elicit_reply(p))
		return;
	if (!claim_newer_ts(&st->last_tsval, p->tsval))
		return;
	tv.burst = claim_slot(st, h, cnt);
	if (!tv.burst)
		return;
	tv.sent = h->now;

	/* In the flow entry when a slot is free: the reply then finds it
	 * without a second lookup. */
	if (config.ts_slots &&
	    id_slot_store(st, p->tsval, PPING_ID_SLOT_TS, h->now, tv.burst)) {
		cnt->ts_created++;
		return;
	}
	ts_key_init(&tk, key, p->tsval, h->dir);
	if (store_identifier(&tk, &tv, cnt))
		publish_identifier(st, p->tsval);
}

#endif /* PPING_SAMPLING_BPF_H */
