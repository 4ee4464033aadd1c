/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP and ICMPv6 echo: a request is the identifier (its sequence number,
 * in the flow of its echo id), the reply that echoes it closes the sample.
 * Requests leaving are sampled and replies arriving matched; with -l also
 * the other way round. The same rate limit, bursts and report-once rule
 * as TCP; the identifiers live in the identifier map, keyed by the ICMP
 * flow, so they cannot meet a TCP flow's.
 */
#ifndef PPING_ICMP_BPF_H
#define PPING_ICMP_BPF_H

#include "flow.bpf.h"
#include "counters.bpf.h"
#include "sampling.bpf.h"
#include "match.bpf.h"

static __always_inline void icmp_sample(const struct flow_key *key,
					struct flow_state *fs,
					const struct pkt_info *p,
					struct hook_pkt *h,
					struct pping_counters *cnt)
{
	struct flow_dir_state *st = &fs->dir[h->dir & 1];
	struct ts_value tv;
	struct ts_key tk;

	tv.burst = claim_slot(st, h, cnt);
	if (!tv.burst)
		return;
	tv.sent = h->now;
	ts_key_init(&tk, key, p->seq, h->dir);
	/* A duplicate request is not stored: the first one counts. */
	store_identifier(&tk, &tv, cnt);
}

static __always_inline void icmp_match(const struct flow_key *key,
				       struct flow_state *fs,
				       const struct pkt_info *p,
				       struct hook_pkt *h,
				       struct pping_counters *cnt)
{
	__u8 req_dir = (h->dir ^ 1) & 1;   /* where the request went */
	struct ts_value sent;
	struct ts_key tk;

	/* A duplicated reply finds the identifier gone: no second sample. */
	ts_key_init(&tk, key, p->seq, req_dir);
	if (take_identifier(&tk, h, cnt, &sent))
		report_sample(key, fs, req_dir, h->now - sent.sent, sent.burst,
			      PPING_METHOD_ICMP, h, cnt);
}

/*
 * An echo request or reply. Requests open the flow (an opening event, as
 * for a TCP flow first seen mid-stream); a reply never does, since
 * without its request it cannot be matched.
 */
__noinline int icmp_process(struct pkt_info *p, struct hook_pkt *h)
{
	struct pping_counters *cnt;
	struct flow_state *fs;
	struct flow_key key;
	bool out;

	if (!p || !h)
		return 0;
	cnt = get_counters(h->iface);
	if (!cnt)
		return 0;
	pkt_clock_start(h, cnt);
	out = h->dir == PPING_DIR_OUT;
	flow_key_from_pkt(&key, p, h);
	if (p->echo_reply) {
		fs = bpf_map_lookup_elem(&flow_map, &key);
		if (!fs)
			return 0;
		flow_account(fs, h);
		if (!out || config.include_local)
			icmp_match(&key, fs, p, h, cnt);
		return 0;
	}
	if (!out && !config.include_local)
		return 0;   /* a request towards this side: not measured */
	fs = flow_get(&key, p, h, cnt);
	if (!fs)
		return 0;
	flow_account(fs, h);
	icmp_sample(&key, fs, p, h, cnt);
	return 0;
}

#endif /* PPING_ICMP_BPF_H */
