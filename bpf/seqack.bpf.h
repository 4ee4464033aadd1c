/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sequence space of a flow direction, and RTT samples from it for flows
 * that carry no timestamps (SEQ/ACK). See SAMPLING_DESIGN.md, "Flows
 * without timestamps".
 *
 * Every TCP flow tracks the end of the highest range each direction has
 * sent (snd_max), whatever its RTT method: a segment that resends data at
 * or below it is a retransmission, one that starts beyond it leaves a gap
 * (data reordered or lost before this hook). Both are counted as a loss
 * signal.
 *
 * A flow measured by SEQ/ACK takes as identifier the end of a range sent
 * for the first time (seq + payload, SYN and FIN counting one), and closes
 * the sample at the first ACK that moves the cumulative point to or past
 * it. Karn's rule: a retransmission drops every outstanding identifier of
 * its direction. One whose range ends after the resent data starts waits
 * for it; one that ends before has had no ACK either (an ACK covering it
 * would have closed it, and the sender resends only what it has seen no
 * ACK for), so its ACK now comes after a retransmission timeout. Either
 * sample would measure the loss recovery, not the path.
 */
#ifndef PPING_SEQACK_BPF_H
#define PPING_SEQACK_BPF_H

#include "parse.bpf.h"
#include "packet.bpf.h"
#include "identifiers.bpf.h"
#include "sampling.bpf.h"
#include "match.bpf.h"

/* Sequence number a is after b, modulo 2^32. */
static __always_inline bool seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* Just past the sequence space a segment occupies; SYN and FIN count one. */
static __always_inline __u32 seq_end(const struct pkt_info *p)
{
	return p->seq + p->payload_len +
	       !!(p->tcp_flags & TCP_FLAG_SYN_B) + !!(p->tcp_flags & TCP_FLAG_FIN_B);
}

/* What a segment that occupies sequence space is, against snd_max. */
enum seg_kind {
	SEG_NONE = 0,    /* no sequence space, or a race lost: nothing to do */
	SEG_NEW,         /* starts at snd_max: sent for the first time */
	SEG_GAP,         /* starts beyond snd_max: new, with a hole before it */
	SEG_RESENT,      /* starts below snd_max: a retransmission */
	SEG_PROBE,       /* one byte below snd_max: a keep-alive or window probe */
	SEG_LATE,        /* below snd_max with an older TSval: an original
			  * arriving after later data (reordered), not resent */
};

/*
 * Classify the segment and advance snd_max past it. Only the CPU whose
 * compare-and-exchange moves snd_max gets SEG_NEW or SEG_GAP, so a range
 * is new for exactly one packet. A keep-alive carrying its optional byte
 * (seq = snd_max - 1) resends nothing an ACK could measure and is not a
 * loss; Linux sends both keep-alives and window probes without payload,
 * and those occupy no sequence space at all.
 */
static __always_inline int seq_classify(struct flow_dir_state *st,
					const struct pkt_info *p, __u32 end,
					__u32 *max_seen)
{
	__u64 old;
	__u32 max;
	int kind, i;

	for (i = 0; i < CLAIM_TRIES; i++) {
		old = *(volatile __u64 *)&st->snd_max;
		max = (__u32)old;
		*max_seen = max;
		if (!(old & PPING_TS_VALID)) {
			kind = SEG_NEW;
		} else if (!seq_after(end, max)) {
			if (p->payload_len == 1 && end == max &&
			    !(p->tcp_flags & (TCP_FLAG_SYN_B | TCP_FLAG_FIN_B)))
				return SEG_PROBE;
			return SEG_RESENT;
		} else if (seq_after(max, p->seq)) {
			kind = SEG_RESENT;   /* resent data followed by new */
		} else {
			kind = seq_after(p->seq, max) ? SEG_GAP : SEG_NEW;
		}
		if (__sync_val_compare_and_swap(&st->snd_max, old,
						PPING_TS_VALID | end) == old)
			return kind;
	}
	return SEG_NONE;
}

/*
 * Karn's rule: drop the outstanding identifiers of the direction. Each
 * drop is a compare-and-exchange on the slot's send time, so a matcher
 * and this cannot both take it.
 */
static __always_inline void seq_invalidate(struct flow_dir_state *st,
					   struct pping_counters *cnt)
{
	int i;

#pragma unroll
	for (i = 0; i < PPING_ID_SLOTS; i++) {
		struct id_slot *s = &st->ids[i];
		__u64 sent = *(volatile __u64 *)&s->sent;

		/* A resent segment carries a new TSval: timestamp
		 * identifiers stay unambiguous and are kept. */
		if (sent <= PPING_ID_SLOT_BUSY || (s->tag_ago & PPING_ID_SLOT_TS))
			continue;
		if (__sync_val_compare_and_swap(&s->sent, sent, 0) == sent)
			cnt->seq_invalidated++;
	}
}

/*
 * Wire segments of a resent packet that resend data: all of them, or of a
 * GSO packet that resends data and then sends new, those up to snd_max (at
 * the packet's mean segment size). A capture behind the hook, which sees
 * the segments, counts the same.
 */
static __always_inline __u32 resent_segs(const struct pkt_info *p,
					 const struct hook_pkt *h, __u32 max,
					 __u32 end)
{
	__u32 mss, old;

	if (h->segs <= 1 || !seq_after(end, max))
		return h->segs;
	mss = p->payload_len / h->segs;
	if (!mss)
		return 1;
	old = max - p->seq;
	return (old + mss - 1) / mss;
}

/*
 * Track the sequence space of the packet's direction: count
 * retransmissions and gaps, apply Karn's rule, and say whether the
 * segment is sent for the first time (only such a segment may become a
 * SEQ/ACK identifier).
 */
static __always_inline int seq_track(struct flow_state *fs,
				     const struct pkt_info *p,
				     const struct hook_pkt *h,
				     struct pping_counters *cnt,
				     __u32 *resent)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];
	__u32 end = seq_end(p), max = 0, n;
	int kind;

	if (end == p->seq)
		return SEG_NONE;   /* a pure ACK, or a probe without payload */
	kind = seq_classify(st, p, end, &max);
	/* A resend carries a TSval at least as new as anything sent before
	 * it; an older one is the original itself, overtaken on the way
	 * (its gap was counted when the later data came). Only where this
	 * hook keeps the direction's newest TSval (it timestamps it). */
	if (kind == SEG_RESENT && p->has_ts && (st->last_tsval & PPING_TS_VALID) &&
	    (__s32)(p->tsval - (__u32)st->last_tsval) < 0)
		return SEG_LATE;
	if (kind == SEG_RESENT) {
		n = resent_segs(p, h, max, end);
		*resent = n;
		__sync_fetch_and_add(&st->retrans, n);
		cnt->retrans += n;
		seq_invalidate(st, cnt);
	} else if (kind == SEG_GAP) {
		__sync_fetch_and_add(&st->reordered, 1);
		cnt->reordered++;
	}
	return kind;
}

/*
 * Make the range just sent an identifier, if the sampling slot of its
 * direction allows (the same rate limit, bursts and degradation as
 * timestamps).
 */
static __always_inline void seq_sample(struct flow_state *fs,
				       const struct pkt_info *p,
				       struct hook_pkt *h,
				       struct pping_counters *cnt)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];
	__u64 burst;

	burst = claim_slot(st, h, cnt);
	if (!burst)
		return;
	if (id_slot_store(st, seq_end(p), 0, h->now, burst))
		cnt->seq_created++;
	else
		cnt->seq_no_slot++;
}

/*
 * An ACK of the other direction's data. Only one that moves the
 * cumulative point forward can close a sample (duplicate ACKs, SACK-only
 * ACKs, window updates and resets do not), and it closes every identifier it
 * covers; the oldest of them is the sample, as a delayed ACK's timestamp
 * echo is of the first segment it acknowledges.
 */
static __always_inline void seq_match(const struct flow_key *key,
				      struct flow_state *fs,
				      const struct pkt_info *p,
				      struct hook_pkt *h,
				      struct pping_counters *cnt)
{
	__u8 data_dir = (h->dir ^ 1) & 1;   /* whose data this ACK covers */
	struct flow_dir_state *st = &fs->dir[data_dir];
	__u64 first = 0, burst = 0;
	int i;

	/* A reset's ACK number says what arrived before the connection was
	 * given up, not when: it is sent when the application closes or
	 * the stack gives up, however long after the data. */
	if ((p->tcp_flags & (TCP_FLAG_ACK_B | TCP_FLAG_RST_B)) != TCP_FLAG_ACK_B)
		return;
	/* The ACK point lives with the ACKs' own direction: only this hook
	 * moves it, on a line the data's hook does not store to. */
	if (!claim_newer_ts(&fs->dir[h->dir & 1].ack_sent, p->ack_seq))
		return;

#pragma unroll
	for (i = 0; i < PPING_ID_SLOTS; i++) {
		struct id_slot *s = &st->ids[i];
		__u64 sent = *(volatile __u64 *)&s->sent;
		__u32 tag_ago = s->tag_ago;

		if (sent <= PPING_ID_SLOT_BUSY || (tag_ago & PPING_ID_SLOT_TS) ||
		    seq_after(s->id, p->ack_seq))
			continue;
		if (__sync_val_compare_and_swap(&s->sent, sent, 0) != sent)
			continue;
		if (!first || sent < first) {
			first = sent;
			burst = pping_id_slot_burst(sent, tag_ago);
		}
	}
	if (!first || pkt_now(h, cnt) < first)
		return;

	report_sample(key, fs, data_dir, h->now - first, burst ? burst : 1,
		      PPING_METHOD_SEQ, h, cnt);
}

#endif /* PPING_SEQACK_BPF_H */
