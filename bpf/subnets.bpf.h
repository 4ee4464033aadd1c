/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-subnet traffic for aggregation (-a). Off unless the daemon sets
 * config.aggregate_subnets before loading, and then the verifier prunes it away:
 * without -a it costs nothing. With -a, one per-CPU hash lookup per TCP
 * packet, no atomics (each CPU has its own counters).
 */
#ifndef PPING_SUBNETS_BPF_H
#define PPING_SUBNETS_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "packet.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PPING_DEFAULT_MAX_SUBNETS);
	__type(key, struct subnet_key);
	__type(value, struct subnet_traffic);
} subnet_map SEC(".maps");

/* The subnet of addr (16 bytes, IPv4-mapped): masked to -a's prefix of
 * its family, on the interface of slot iface. k is 8-aligned. */
static __always_inline void subnet_key_of(struct subnet_key *k,
					  const __u8 *addr, __u8 ipv,
					  __u8 iface)
{
	__u64 *w = (__u64 *)k->addr;

	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(w, addr, sizeof(k->addr));
	if (ipv == 4) {
		w[0] &= config.subnet_mask_v4[0];
		w[1] &= config.subnet_mask_v4[1];
	} else {
		w[0] &= config.subnet_mask_v6[0];
		w[1] &= config.subnet_mask_v6[1];
	}
	k->ipv = ipv;
	k->iface = iface;
}

static __always_inline void subnet_account(const struct pkt_info *p,
					   const struct hook_pkt *h,
					   struct pping_counters *cnt,
					   __u32 resent, __u32 seen, __u32 sampled)
{
	const __u8 *remote = h->dir == PPING_DIR_OUT ? p->daddr : p->saddr;
	struct subnet_traffic *t, init = {};
	struct subnet_key key;
	int d = h->dir & 1;

	subnet_key_of(&key, remote, p->ipv, h->iface);

	t = bpf_map_lookup_elem(&subnet_map, &key);
	if (!t) {
		/* First packet of a new subnet on this CPU (per-CPU entries are
		 * created for all CPUs at once). A full map is counted and the
		 * daemon reports it. */
		init.pkts[d] = h->segs;
		init.bytes[d] = h->len;
		init.retrans[d] = resent;
		init.flows = seen;
		init.flows_sampled = sampled;
		if (bpf_map_update_elem(&subnet_map, &key, &init, BPF_NOEXIST) == 0)
			return;
		t = bpf_map_lookup_elem(&subnet_map, &key);
		if (!t) {
			cnt->subnet_full++;
			return;
		}
	}
	t->pkts[d] += h->segs;
	t->bytes[d] += h->len;
	t->retrans[d] += resent;
	t->flows += seen;
	t->flows_sampled += sampled;
}

#endif /* PPING_SUBNETS_BPF_H */
