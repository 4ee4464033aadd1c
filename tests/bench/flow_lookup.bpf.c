// SPDX-License-Identifier: GPL-2.0
/*
 * The least a per-flow monitor does for a packet, as a reference for
 * datapath_cost.sh: find the packet's flow in a hash map, creating it the
 * first time, and count the packet there. Keyed as pping keys its flows
 * (40 bytes: both addresses IPv4-mapped, ports, IP version, protocol and
 * interface slot), in a map of pping's default size, with a 16-byte value
 * where pping's is 264: a lower bound of what finding per-flow state costs,
 * not a monitor. IPv4 TCP over Ethernet only (the benchmark's traffic);
 * anything else returns at once. Both directions of a connection share
 * one key (the lower address first); each hook loads its own copy, so
 * each has its own map.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_UNSPEC (-1)

struct key {
	__u8 a[16];
	__u8 b[16];
	__be16 pa;
	__be16 pb;
	__u8 ipv;
	__u8 proto;
	__u8 iface;
	__u8 pad;
} __attribute__((aligned(8)));

struct counts {
	__u64 pkts;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct key);
	__type(value, struct counts);
} flows SEC(".maps");

static __always_inline void mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

SEC("tc")
int flow_lookup(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct counts *c, zero = {};
	struct tcphdr *tcp;
	struct key k = {};
	bool lower;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return TC_ACT_UNSPEC;
	tcp = (void *)ip + (ip->ihl & 0xf) * 4;
	if ((void *)(tcp + 1) > end)
		return TC_ACT_UNSPEC;
	lower = bpf_ntohl(ip->saddr) < bpf_ntohl(ip->daddr);
	mapped(k.a, lower ? ip->saddr : ip->daddr);
	mapped(k.b, lower ? ip->daddr : ip->saddr);
	k.pa = lower ? tcp->source : tcp->dest;
	k.pb = lower ? tcp->dest : tcp->source;
	k.ipv = 4;
	k.proto = IPPROTO_TCP;

	c = bpf_map_lookup_elem(&flows, &k);
	if (!c) {
		bpf_map_update_elem(&flows, &k, &zero, BPF_NOEXIST);
		return TC_ACT_UNSPEC;
	}
	c->pkts++;
	c->bytes += skb->len;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
