/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deciding which packets become identifiers. See SAMPLING_DESIGN.md.
 *
 * A packet may be timestamped only if it is the first one of its flow
 * direction to carry its TSval (later packets with the same TSval would
 * under-estimate the RTT by up to one TS clock tick), if it can elicit an
 * immediate reply (payload, SYN or FIN — never a pure ACK), and if the flow
 * direction's rate limit has passed. Both "first" and "rate limit" are
 * claimed with compare-and-exchange, so two CPUs racing on the same flow
 * cannot both win.
 */
#ifndef PPING_SAMPLING_BPF_H
#define PPING_SAMPLING_BPF_H

#include "config.bpf.h"
#include "flow.bpf.h"

/*
 * Advance a packed last-TSval word to tsval if tsval is newer. Returns true
 * for exactly one caller per new value; an older (reordered) value never
 * moves the word back, so there is no ping-pong between old and new.
 */
static __always_inline bool claim_newer_ts(__u64 *last, __u32 tsval)
{
	__u64 old = *(volatile __u64 *)last;

	if (!ts_newer(tsval, old))
		return false;
	return __sync_val_compare_and_swap(last, old,
					   PPING_TS_VALID | tsval) == old;
}

static __always_inline bool can_elicit_reply(const struct pkt_info *p)
{
	return p->payload_len > 0 ||
	       (p->tcp_flags & (TCP_FLAG_SYN_B | TCP_FLAG_FIN_B));
}

/* Claim the flow direction's rate-limit slot for time now. */
static __always_inline bool claim_rate_slot(struct flow_dir_state *st,
					    __u64 now,
					    struct pping_counters *cnt)
{
	__u64 last = *(volatile __u64 *)&st->last_ts_time;

	if (last && now - last < runtime.rate_limit_ns) {
		cnt->rate_limited++;
		return false;
	}
	if (__sync_val_compare_and_swap(&st->last_ts_time, last, now) != last) {
		cnt->claims_lost++;
		return false;
	}
	return true;
}

static __always_inline void sample_packet(const struct flow_key *key,
					  struct flow_state *fs,
					  const struct pkt_info *p,
					  const struct hook_pkt *h,
					  struct pping_counters *cnt)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];
	struct ts_key tk;
	long err;

	if (!can_elicit_reply(p))
		return;
	if (!claim_newer_ts(&st->last_tsval, p->tsval))
		return;
	if (!claim_rate_slot(st, h->now, cnt))
		return;

	tk.flow = *key;
	tk.tsval = p->tsval;
	tk.dir = h->dir;
	tk.pad[0] = tk.pad[1] = tk.pad[2] = 0;
	err = bpf_map_update_elem(&ts_map, &tk, &h->now, BPF_NOEXIST);
	if (err == 0)
		cnt->ts_created++;
	else if (err == -EEXIST)
		cnt->ts_exists++;
	else
		cnt->ts_map_full++;
}

#endif /* PPING_SAMPLING_BPF_H */
