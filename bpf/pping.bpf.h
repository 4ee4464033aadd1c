/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-packet logic every hook runs: parse, find the flow, count, then
 * timestamp (leaving packets) and match (arriving packets). With
 * include_local both happen on both hooks, so the RTT towards the local side
 * is measured as well.
 *
 * Processing is a global (non-inlined) function on purpose: the verifier
 * checks it once on its own, instead of re-walking all of the processing for
 * every path through the header and option parsers (which are inlined into
 * the entry points), which otherwise exceeds its 1M-instruction budget.
 */
#ifndef PPING_BPF_H
#define PPING_BPF_H

#include "filter.bpf.h"
#include "iface.bpf.h"
#include "match.bpf.h"
#include "subnets.bpf.h"

__noinline int pping_process(struct pkt_info *p, struct hook_pkt *h)
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
	out = h->dir == PPING_DIR_OUT;

	if (!p->has_ts) {
		cnt->tcp_no_ts[h->hook & 1]++;
		/* A reset ends the flow even when it carries no timestamp
		 * option (Linux sends RSTs without one). */
		if (!(p->tcp_flags & TCP_FLAG_RST_B))
			return 0;
		flow_key_from_pkt(&key, p, h);
		fs = bpf_map_lookup_elem(&flow_map, &key);
		if (fs)
			flow_close(&key, fs, p, h, cnt);
		return 0;
	}

	flow_key_from_pkt(&key, p, h);
	fs = flow_get(&key, p, h, cnt);
	if (!fs)
		return 0;
	flow_account(fs, h);

	if (out || config.include_local)
		sample_packet(&key, fs, p, h, cnt);
	if (!out || config.include_local)
		match_packet(&key, fs, p, h, cnt);
	if (p->tcp_flags & (TCP_FLAG_FIN_B | TCP_FLAG_RST_B))
		flow_close(&key, fs, p, h, cnt);
	return 0;
}

/*
 * Count the packet, parse it, and process it if it is TCP. The parse comes
 * first: the interface's counters are looked up after it, so the verifier
 * walks the option loop without them in its state (with them it did twice
 * the work).
 */
static __always_inline void handle_packet(void *data, void *data_end,
					  struct hook_pkt *h)
{
	struct pping_counters *cnt;
	struct pkt_info p = {};
	int parsed;

	parsed = parse_packet(data, data_end, h->len, config.has_l2, &p);
	cnt = get_counters(h->iface);
	if (!cnt)
		return;
	cnt->pkts[h->hook & 1]++;
	if (parsed != PARSE_TCP)
		return;
	cnt->tcp[h->hook & 1]++;
	if ((config.filter_nets || config.filter_ports) && !filter_pass(&p)) {
		cnt->excluded++;
		return;
	}
	if (config.aggregate_subnets)
		subnet_account(&p, h, cnt);
	pping_process(&p, h);
}

#endif /* PPING_BPF_H */
