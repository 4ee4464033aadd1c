/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Identifiers, for sampling and matching alike: which TSval or sequence
 * number is newer, the claims that let exactly one CPU take a value, the
 * identifier map's key, and the identifier slots of a flow direction
 * (struct id_slot, pping.h), used by both RTT methods: timestamps store a
 * TSval, SEQ/ACK the end of a range. Each slot is tagged with its method,
 * so a flow that changes method never reads one kind of identifier as the
 * other.
 *
 * A slot is reserved with a compare-and-exchange of its send time to BUSY,
 * filled, and published by a second one with the send time; a matcher
 * takes it by a compare-and-exchange back to 0. So a matcher never sees a
 * send time with another identifier's value, and two CPUs never take the
 * same identifier.
 */
#ifndef PPING_IDENTIFIERS_BPF_H
#define PPING_IDENTIFIERS_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "pping.h"

/*
 * A compare-and-exchange that fails means another CPU changed the word
 * first; the claim is then judged again against the new value, because it
 * may still be valid (another CPU claimed an older TSval, or, with no rate
 * limit, a different slot). Bounded so a hot flow cannot keep a CPU here.
 */
#define CLAIM_TRIES 3

/* TSval a is newer than the packed last value (wrap-aware, strictly). */
static __always_inline bool ts_newer(__u32 a, __u64 last)
{
	return !(last & PPING_TS_VALID) || (__s32)(a - (__u32)last) > 0;
}

/*
 * Advance a packed last-TSval word to tsval if tsval is newer. Returns true
 * for exactly one caller per new value; an older (reordered) value never
 * moves the word back, so there is no ping-pong between old and new.
 */
static __always_inline bool claim_newer_ts(__u64 *last, __u32 tsval)
{
	__u64 old;
	int i;

	for (i = 0; i < CLAIM_TRIES; i++) {
		old = *(volatile __u64 *)last;
		if (!ts_newer(tsval, old))
			return false;
		if (__sync_val_compare_and_swap(last, old,
						PPING_TS_VALID | tsval) == old)
			return true;
	}
	return false;
}

/*
 * The same for the 32-bit last-TSecr word, where 0 means "none yet": a
 * genuine TSecr of 0 then only costs one extra lookup later, since this
 * word just saves lookups (the delete still prevents double reports).
 */
static __always_inline bool claim_newer_tsecr(__u32 *last, __u32 tsecr)
{
	__u32 old;
	int i;

	for (i = 0; i < CLAIM_TRIES; i++) {
		old = *(volatile __u32 *)last;
		if (old && (__s32)(tsecr - old) <= 0)
			return false;
		if (__sync_val_compare_and_swap(last, old, tsecr) == old)
			return true;
	}
	return false;
}

/* The identifier map key of TSval tsval sent in direction dir of key. */
static __always_inline void ts_key_init(struct ts_key *tk,
					const struct flow_key *key,
					__u32 tsval, __u8 dir)
{
	tk->flow = *key;
	tk->tsval = tsval;
	tk->dir = dir;
	tk->pad[0] = tk->pad[1] = tk->pad[2] = 0;
}

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


#endif /* PPING_IDENTIFIERS_BPF_H */
