/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring buffer events. A reservation that fails is counted, never dropped
 * silently: the daemon reports events_lost.
 */
#ifndef PPING_EVENTS_BPF_H
#define PPING_EVENTS_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"

/*
 * Waking the daemon for every event costs a wake-up per event on both
 * sides (an irq_work here, a poll return there). The daemon reads the ring
 * at least every 100 ms anyway, so wake it only when a backlog builds up:
 * an eighth of the ring holds thousands of events, far from full.
 *
 * Only the record that carries the backlog across a multiple of that
 * eighth wakes it. Waking on every record above the mark would cost an
 * irq_work per event exactly when the daemon is already behind (measured:
 * 5.7 us per event with 100k flows opening at once, against 0.78 us). Two
 * CPUs reserving together may both see past a mark and skip it; the next
 * mark, or the daemon's own 100 ms poll, still comes.
 */
#define PPING_WAKEUP_BACKLOG_SHIFT 3
#define PPING_EVENT_RING_BYTES \
	(BPF_RINGBUF_HDR_SZ + ((sizeof(struct pping_event) + 7) & ~7UL))

static __always_inline __u64 submit_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	__u64 mark = -(size >> PPING_WAKEUP_BACKLOG_SHIFT);   /* ring sizes are powers of 2 */

	/* avail includes this reserved record; a replay reads the ring
	 * itself between test runs */
	if (config.replay || avail < PPING_EVENT_RING_BYTES)
		return BPF_RB_NO_WAKEUP;
	return (avail & mark) != ((avail - PPING_EVENT_RING_BYTES) & mark) ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_flow_counts(struct pping_event *e,
					     const struct flow_state *fs)
{
	e->pkts[PPING_DIR_OUT] = fs->dir[PPING_DIR_OUT].pkts;
	e->pkts[PPING_DIR_IN] = fs->dir[PPING_DIR_IN].pkts;
	e->bytes[PPING_DIR_OUT] = fs->dir[PPING_DIR_OUT].bytes;
	e->bytes[PPING_DIR_IN] = fs->dir[PPING_DIR_IN].bytes;
}

static __always_inline void emit_rtt_event(const struct flow_key *key,
					   const struct flow_state *fs,
					   __u8 ts_dir, __u64 rtt, __u64 now,
					   __u8 method, __u16 flags, __u32 pkt_seq,
					   struct pping_counters *cnt)
{
	const struct flow_dir_state *st = &fs->dir[ts_dir & 1];
	struct pping_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cnt->events_lost++;
		return;
	}
	e->type = PPING_EVENT_RTT;
	e->flow_event = 0;
	e->reason = 0;
	e->dir = ts_dir;
	e->flags = flags;
	e->method = method;
	e->pad = 0;
	e->time_ns = now;
	e->rtt = rtt;
	e->min_rtt = st->min_rtt;
	e->srtt = st->srtt;
	fill_flow_counts(e, fs);
	/* The loss counts are a closing event's: nothing to read here. */
	__builtin_memset(e->retrans, 0, sizeof(e->retrans));
	__builtin_memset(e->reordered, 0, sizeof(e->reordered));
	e->flow = *key;
	e->pkt_seq = pkt_seq;
	e->pad2 = 0;
	bpf_ringbuf_submit(e, submit_flags());
}

static __always_inline void emit_flow_event(const struct flow_key *key,
					    const struct flow_state *fs,
					    __u8 what, __u8 reason, __u8 dir,
					    __u64 now, __u32 pkt_seq,
					    struct pping_counters *cnt)
{
	struct pping_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cnt->events_lost++;
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = PPING_EVENT_FLOW;
	e->flow_event = what;
	e->reason = reason;
	e->dir = dir;
	e->time_ns = now;
	if (fs) {
		pping_event_fill_flow(e, fs);
	}
	e->flow = *key;
	e->pkt_seq = pkt_seq;
	bpf_ringbuf_submit(e, submit_flags());
}

#endif /* PPING_EVENTS_BPF_H */
