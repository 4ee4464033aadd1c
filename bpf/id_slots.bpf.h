/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The identifier slots of a flow direction (struct id_slot, pping.h), used
 * by both RTT methods: timestamps store a TSval, SEQ/ACK the end of a range.
 * Each slot is tagged with its method, so a flow that changes method never
 * reads one kind of identifier as the other.
 *
 * A slot is reserved with a compare-and-exchange of its send time to BUSY,
 * filled, and published by a second one with the send time; a matcher
 * takes it by a compare-and-exchange back to 0. So a matcher never sees a
 * send time with another identifier's value, and two CPUs never take the
 * same identifier.
 */
#ifndef PPING_ID_SLOTS_BPF_H
#define PPING_ID_SLOTS_BPF_H

#include "flow.bpf.h"

/* Time since t, or 0 if another CPU read a later clock than ours. */
static __always_inline __u64 elapsed_since(__u64 now, __u64 t)
{
	return (__s64)(now - t) > 0 ? now - t : 0;
}

/*
 * A slot a new identifier of kind tag may take: free, holding one of the
 * other method (the flow changed method: it can never be matched), or
 * holding one so old that no reply will come for it (the reply never
 * passed this hook, e.g. with asymmetric routing).
 */
static __always_inline bool id_slot_free(const struct id_slot *s, __u64 sent,
					 __u32 tag, __u64 now)
{
	if (!sent)
		return true;
	if (sent == PPING_ID_SLOT_BUSY)
		return false;
	if ((s->tag_ago & PPING_ID_SLOT_TS) != tag)
		return true;
	return elapsed_since(now, sent) >= PPING_TS_STALE_NS;
}

/*
 * Put identifier id of kind tag (PPING_ID_SLOT_TS or 0), sent at now in
 * the burst that started at burst, into a slot of st. False if every slot
 * is taken.
 */
static __always_inline bool id_slot_store(struct flow_dir_state *st, __u32 id,
					  __u32 tag, __u64 now, __u64 burst)
{
	__u64 sent;
	int i;

	/* A send time is never 0 (free) nor BUSY. */
	if (now <= PPING_ID_SLOT_BUSY)
		now = PPING_ID_SLOT_BUSY + 1;
#pragma unroll
	for (i = 0; i < PPING_ID_SLOTS; i++) {
		struct id_slot *s = &st->ids[i];

		sent = *(volatile __u64 *)&s->sent;
		if (!id_slot_free(s, sent, tag, now))
			continue;
		if (__sync_val_compare_and_swap(&s->sent, sent,
						PPING_ID_SLOT_BUSY) != sent)
			continue;
		s->id = id;
		/* Signed: a burst started within the same 256 ns grain as
		 * the one before is dated just after it, so it may start a
		 * little after this send time (claim_slot). */
		s->tag_ago = tag | ((__u32)(now - burst) & PPING_ID_SLOT_AGO_MASK);
		__sync_val_compare_and_swap(&s->sent, PPING_ID_SLOT_BUSY, now);
		return true;
	}
	return false;
}

/* The start of the burst a slot's identifier sent at sent belongs to. */
static __always_inline __u64 id_slot_burst(__u64 sent, __u32 tag_ago)
{
	__s32 ago = (__s32)(tag_ago << 1) >> 1;   /* sign-extend 31 bits */

	return sent - (__s64)ago;
}

#endif /* PPING_ID_SLOTS_BPF_H */
