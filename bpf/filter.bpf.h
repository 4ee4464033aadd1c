/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --include, --exclude and --ports: traffic the operator does not want
 * measured costs a lookup or two and creates no state. Off (and pruned by
 * the verifier) unless the daemon sets config.filter_nets or
 * config.filter_ports.
 */
#ifndef PPING_FILTER_BPF_H
#define PPING_FILTER_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

/* Which list an address's longest matching prefix is in; 0: none. */
static __always_inline __u8 filter_list_of(const __u8 addr[16])
{
	struct filter_key k = { .prefixlen = 128 };
	__u8 *list;

	__builtin_memcpy(k.addr, addr, 16);
	list = bpf_map_lookup_elem(&filter_nets, &k);
	return list ? *list : 0;
}

static __always_inline bool filter_port_on(__be16 port)
{
	__u32 p = bpf_ntohs(port), word = p / 64;
	__u64 *bits = bpf_map_lookup_elem(&filter_ports, &word);

	return bits && (*bits & (1ULL << (p % 64)));
}

/* Do --include and --exclude let this packet be measured? Either end may
 * match. */
static __always_inline bool filter_nets_pass(const struct pkt_info *p)
{
	__u8 src, dst;

	if (!config.filter_nets)
		return true;
	src = filter_list_of(p->saddr);
	dst = filter_list_of(p->daddr);
	if (src == PPING_FILTER_EXCLUDE || dst == PPING_FILTER_EXCLUDE)
		return false;
	return !(config.filter_nets & PPING_FILTER_INCLUDE) ||
	       src == PPING_FILTER_INCLUDE || dst == PPING_FILTER_INCLUDE;
}

/* Should this TCP packet be measured? --ports restricts TCP only. */
static __always_inline bool filter_pass(const struct pkt_info *p)
{
	if (config.filter_ports &&
	    !filter_port_on(p->sport) && !filter_port_on(p->dport))
		return false;
	return filter_nets_pass(p);
}

#endif /* PPING_FILTER_BPF_H */
