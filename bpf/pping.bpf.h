/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-packet logic every hook runs: parse, find the flow, count, track
 * its sequence space, then take identifiers (leaving packets) and match
 * replies (arriving packets), by timestamps or by SEQ/ACK. With
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

#include "config.bpf.h"
#include "parse.bpf.h"
#include "packet.bpf.h"
#include "counters.bpf.h"
#include "filter.bpf.h"
#include "iface.bpf.h"
#include "flow.bpf.h"
#include "sampling.bpf.h"
#include "aggregate.bpf.h"
#include "match.bpf.h"
#include "seqack.bpf.h"
#include "icmp.bpf.h"
#include "subnets.bpf.h"

enum rtt_use {
	USE_NONE = 0,   /* a malformed timestamp option: neither method */
	USE_TS,
	USE_SEQ,
};

/*
 * The RTT method of a flow: timestamps while every packet of it has
 * carried them (both directions: a middlebox may strip one), SEQ/ACK
 * once one has not, or as --method says. Only a packet whose option list
 * is well-formed and ends without a timestamp is evidence; a reset is
 * none (Linux sends resets without options on connections that use
 * timestamps), nor is a malformed list, which is used by neither method.
 */
static __always_inline int flow_method(struct flow_state *fs,
				       const struct pkt_info *p)
{
	if (config.tcp_method == PPING_TCP_SEQ)
		return USE_SEQ;
	if (p->ts_absent && !(p->tcp_flags & TCP_FLAG_RST_B) &&
	    !(*(volatile __u32 *)&fs->flags & PPING_FLOW_NO_TS))
		__sync_fetch_and_or(&fs->flags, PPING_FLOW_NO_TS);
	if (fs->flags & PPING_FLOW_NO_TS)
		return USE_SEQ;
	return p->has_ts ? USE_TS : USE_NONE;
}

/* --method ts: a packet without timestamps only counts, except a reset,
 * which still ends its flow. */
static __always_inline void process_ts_only_untimed(const struct pkt_info *p,
						    struct hook_pkt *h,
						    struct pping_counters *cnt)
{
	struct flow_state *fs;
	struct flow_key key;

	if (!(p->tcp_flags & TCP_FLAG_RST_B))
		return;
	flow_key_from_pkt(&key, p, h);
	fs = bpf_map_lookup_elem(&flow_map, &key);
	if (fs)
		flow_close(&key, fs, p, h, cnt);
}

/*
 * -a coverage: is this the flow's first packet (or first RTT sample) of
 * the aggregation interval? Claimed by compare-and-exchange, so a flow is
 * counted once per interval however many CPUs see it.
 */
static __always_inline bool first_in_interval(__u32 *mark)
{
	__u32 now = runtime.agg_interval, old = *(volatile __u32 *)mark;

	return old != now && __sync_val_compare_and_swap(mark, old, now) == old;
}

/* Bits of what pping_process returns besides the resent segments. */
#define PROC_RESENT_MASK   0xffff
#define PROC_FLOW_SEEN     (1 << 16)   /* first packet of the flow this interval */
#define PROC_FLOW_SAMPLED  (1 << 17)   /* first RTT sample of it this interval */

/* Process one TCP segment; returns how many of its wire segments resent
 * data, and with -a whether the flow is seen or sampled for the first
 * time in the interval (PROC_*). */
__noinline int pping_process(struct pkt_info *p, struct hook_pkt *h)
{
	struct pping_counters *cnt;
	struct flow_state *fs;
	struct flow_key key;
	__u32 resent = 0, ret = 0;
	__u64 samples;
	int seg, use;
	bool out;

	if (!p || !h)
		return 0;
	cnt = get_counters(h->iface);
	if (!cnt)
		return 0;
	pkt_clock_start(h, cnt);
	out = h->dir == PPING_DIR_OUT;

	if (!p->has_ts) {
		cnt->tcp_no_ts[h->hook & 1]++;
		if (config.tcp_method == PPING_TCP_TS) {
			process_ts_only_untimed(p, h, cnt);
			return 0;
		}
	}

	flow_key_from_pkt(&key, p, h);
	fs = flow_get(&key, p, h, cnt);
	if (!fs)
		return 0;
	flow_account(fs, h);
	seg = seq_track(fs, p, h, cnt, &resent);
	use = flow_method(fs, p);
	/* per CPU: only this program moves it; read only for -a, where it
	 * tells whether this packet gave a sample */
	samples = config.aggregate_subnets ? cnt->rtt_samples : 0;

	if (out || config.include_local) {
		if (use == USE_TS)
			sample_packet(&key, fs, p, h, cnt);
		else if (use == USE_SEQ && (seg == SEG_NEW || seg == SEG_GAP))
			seq_sample(fs, p, h, cnt);
	}
	if (!out || config.include_local) {
		if (use == USE_TS)
			match_packet(&key, fs, p, h, cnt);
		else if (use == USE_SEQ)
			seq_match(&key, fs, p, h, cnt);
	}
	if (p->tcp_flags & (TCP_FLAG_FIN_B | TCP_FLAG_RST_B))
		flow_close(&key, fs, p, h, cnt);
	if (config.aggregate_subnets) {
		if (first_in_interval(&fs->agg_seen))
			ret |= PROC_FLOW_SEEN;
		if (cnt->rtt_samples != samples && first_in_interval(&fs->agg_sampled))
			ret |= PROC_FLOW_SAMPLED;
	}
	return ret | (resent & PROC_RESENT_MASK);
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
	int parsed, proc;

	parsed = parse_packet(data, data_end, h->len, config.has_l2, &p);
	cnt = get_counters(h->iface);
	if (!cnt)
		return;
	cnt->pkts[h->hook & 1]++;
	if (parsed == PARSE_ICMP_ECHO && config.icmp) {
		cnt->icmp_echo[h->hook & 1]++;
		if (config.filter_nets && !filter_nets_pass(&p)) {
			cnt->excluded++;
			return;
		}
		icmp_process(&p, h);
		return;
	}
	if (parsed != PARSE_TCP)
		return;
	cnt->tcp[h->hook & 1]++;
	if ((config.filter_nets || config.filter_ports) && !filter_pass(&p)) {
		cnt->excluded++;
		return;
	}
	proc = pping_process(&p, h);
	if (config.aggregate_subnets)
		subnet_account(&p, h, cnt, proc & PROC_RESENT_MASK,
			       !!(proc & PROC_FLOW_SEEN), !!(proc & PROC_FLOW_SAMPLED));
}

#endif /* PPING_BPF_H */
