/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection state: finding or creating the flow entry for a packet,
 * counting its traffic, and the opening/closing events.
 */
#ifndef PPING_FLOW_BPF_H
#define PPING_FLOW_BPF_H

#include "parse.bpf.h"
#include "packet.bpf.h"
#include "counters.bpf.h"
#include "events.bpf.h"
#include "admission.bpf.h"
#include "identifiers.bpf.h"
#include "clock.bpf.h"

static __always_inline void flow_key_from_pkt(struct flow_key *key,
					      const struct pkt_info *p,
					      const struct hook_pkt *h)
{
	if (h->dir == PPING_DIR_OUT) {
		__builtin_memcpy(key->local_addr, p->saddr, 16);
		__builtin_memcpy(key->remote_addr, p->daddr, 16);
		key->local_port = p->sport;
		key->remote_port = p->dport;
	} else {
		__builtin_memcpy(key->local_addr, p->daddr, 16);
		__builtin_memcpy(key->remote_addr, p->saddr, 16);
		key->local_port = p->dport;
		key->remote_port = p->sport;
	}
	key->ipv = p->ipv;
	key->proto = p->proto;
	key->iface = h->iface;
	key->pad = 0;
}

static __always_inline __u8 opening_reason(const struct pkt_info *p)
{
	if (p->tcp_flags & TCP_FLAG_SYN_B)
		return (p->tcp_flags & TCP_FLAG_ACK_B) ? PPING_REASON_SYN_ACK :
							 PPING_REASON_SYN;
	return PPING_REASON_FIRST_PACKET;
}

/*
 * A SYN on a known tuple starts a new connection when the old one was
 * closing, or when its TSval went backwards (the peer picked a new random
 * timestamp offset): the old last-TSval would otherwise block sampling.
 * A retransmitted SYN has a newer TSval and keeps the entry. Without
 * timestamps, a retransmitted SYN is the one whose sequence space ends at
 * the direction's snd_max; any other SYN has a new initial sequence number.
 */
static __always_inline bool flow_is_reused(const struct flow_state *fs,
					   const struct pkt_info *p, __u8 dir)
{
	const struct flow_dir_state *st = &fs->dir[dir & 1];

	if ((p->tcp_flags & (TCP_FLAG_SYN_B | TCP_FLAG_ACK_B)) != TCP_FLAG_SYN_B)
		return false;
	if (fs->flags & PPING_FLOW_CLOSING)
		return true;
	if (p->has_ts)
		return !ts_newer(p->tsval, st->last_tsval);
	return (st->snd_max & PPING_TS_VALID) &&
	       (__u32)st->snd_max != p->seq + 1 + p->payload_len;
}

/*
 * Find the flow of a packet with a timestamp option, creating it if needed.
 * Only the CPU whose insert succeeds reports the opening, so two hooks seeing
 * the first packets at once cannot both announce it. Packets that close a
 * flow never create one.
 */
static __always_inline struct flow_state *
flow_get(const struct flow_key *key, const struct pkt_info *p,
	 struct hook_pkt *h, struct pping_counters *cnt)
{
	struct flow_state *fs, *init;
	__u32 zero = 0;
	long err;

	fs = bpf_map_lookup_elem(&flow_map, key);
	if (fs) {
		if (!flow_is_reused(fs, p, h->dir))
			return fs;
		flow_delete(key);
	}
	if (p->tcp_flags & (TCP_FLAG_FIN_B | TCP_FLAG_RST_B))
		return NULL;
	if (!flow_admit(key, cnt))
		return NULL;

	init = bpf_map_lookup_elem(&flow_template, &zero);
	if (!init)
		return NULL;
	/* The opening event's time, and the age cleanup judges a young
	 * flow by: exact. */
	pkt_now(h, cnt);
	init->last_seen = h->now;
	init->opened = (__u32)(h->now >> PPING_OPENED_SHIFT);
	err = bpf_map_update_elem(&flow_map, key, init, BPF_NOEXIST);
	if (err == 0) {
		flow_count_add(1);
		cnt->flows_opened++;
		emit_flow_event(key, NULL, PPING_FLOW_OPENING, opening_reason(p),
				h->dir, h->now, hook_pkt_seq(h), cnt);
	} else if (err != -EEXIST) {
		cnt->flow_map_full++;
		return NULL;
	}
	return bpf_map_lookup_elem(&flow_map, key);
}

#define LAST_SEEN_GRAIN_NS 1000000ULL

static __always_inline void flow_account(struct flow_state *fs,
					 const struct hook_pkt *h)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];

	/* Plain adds: only the hook that sees this direction's packets
	 * writes them, and a flow's packets come on one CPU (one queue). If
	 * they do not, a lost add miscounts a packet: not worth a locked
	 * instruction on every packet. */
	st->pkts += h->segs;
	st->bytes += h->len;
	/* Both hooks pass here, usually on different CPUs: a store on every
	 * packet would move the line between them each time. Cleanup reads
	 * last_seen to a second, so a millisecond's staleness is free, and
	 * so is a tick's: now may be the tick clock's, which can lag an exact
	 * time another CPU stored (hence signed). */
	if ((__s64)(h->now - *(volatile __u64 *)&fs->last_seen) >
	    (__s64)LAST_SEEN_GRAIN_NS)
		fs->last_seen = h->now;
}

/*
 * FIN or RST. The first of them reports the closing (fetch-or makes that
 * decision atomic); a reset connection is forgotten at once, a FIN-closed
 * one stays so the final ACKs can still be matched, until cleanup removes it.
 */
static __always_inline void flow_close(const struct flow_key *key,
				       struct flow_state *fs,
				       const struct pkt_info *p,
				       struct hook_pkt *h,
				       struct pping_counters *cnt)
{
	bool rst = p->tcp_flags & TCP_FLAG_RST_B;
	__u32 bit, old;

	if (rst)
		bit = PPING_FLOW_RST;
	else
		bit = h->dir == PPING_DIR_OUT ? PPING_FLOW_FIN_OUT : PPING_FLOW_FIN_IN;

	old = __sync_fetch_and_or(&fs->flags, bit | PPING_FLOW_CLOSING);
	if (!(old & PPING_FLOW_CLOSING)) {
		cnt->flows_closed++;
		pkt_now(h, cnt);
		emit_flow_event(key, fs, PPING_FLOW_CLOSING_EV,
				rst ? PPING_REASON_RST : PPING_REASON_FIN,
				h->dir, h->now, hook_pkt_seq(h), cnt);
	}
	if (rst)
		flow_delete(key);
}

#endif /* PPING_FLOW_BPF_H */
