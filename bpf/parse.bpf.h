/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet parsing for both hooks. A cursor walks the headers and every access
 * is preceded by a bounds check against the end of the packet, so a truncated
 * or malformed packet stops the walk instead of being read past its end. The
 * result is a pkt_info that the sampling and matching code use; anything that
 * is not a well-formed TCP segment yields PARSE_NOT_TCP and no identifier.
 */
#ifndef PPING_PARSE_BPF_H
#define PPING_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#define MAX_VLAN_TAGS      PPING_MAX_VLAN_TAGS
#define MAX_IPV6_EXT_HDRS  6   /* longer chains are given up on */
#define MAX_TCP_OPT_BYTES  40  /* doff 15 minus the fixed 20-byte header */

#define TCPOPT_EOL_KIND    0
#define TCPOPT_NOP_KIND    1
#define TCPOPT_TS_KIND     8
#define TCPOPT_TS_LEN      10
/* NOP, NOP, kind 8, length 10 as one big-endian word */
#define TCPOPT_NOP_NOP_TS  0x0101080aU

#define TCP_FLAG_FIN_B  0x01
#define TCP_FLAG_SYN_B  0x02
#define TCP_FLAG_RST_B  0x04
#define TCP_FLAG_ACK_B  0x10

enum parse_result {
	PARSE_NOT_TCP = 0,   /* not TCP, a non-first fragment, or malformed */
	PARSE_TCP = 1,       /* well-formed TCP header; has_ts tells about options */
	PARSE_ICMP_ECHO = 2, /* an ICMP or ICMPv6 echo request or reply */
};

#define ICMP_ECHO_REQUEST_V4 8
#define ICMP_ECHO_REPLY_V4   0
#define ICMP_ECHO_REQUEST_V6 128
#define ICMP_ECHO_REPLY_V6   129

/* The fixed part of an ICMP or ICMPv6 echo message. */
struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be16 id;
	__be16 seq;
};

struct cursor {
	void *pos;
	void *end;
	void *start;       /* first byte of the frame */
	__u32 frame_len;   /* whole frame, including non-linear data */
};

/* The IP length fields are 16 bits; a GSO packet above 64 KiB (BIG TCP)
 * carries 0 there and its length is the frame's. Only then is 0 valid. */
#define IP_LEN_MAX 0xffff

static __always_inline __u32 frame_bytes_from(const struct cursor *c)
{
	__u32 off = c->pos - c->start;

	return c->frame_len > off ? c->frame_len - off : 0;
}

struct pkt_info {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport;
	__be16 dport;
	__u32 tsval;
	__u32 tsecr;
	__u32 seq;           /* host order */
	__u32 ack_seq;       /* host order; meaningful with TCP_FLAG_ACK_B */
	__u32 payload_len;   /* TCP payload bytes according to the IP header */
	__u8 ipv;
	__u8 tcp_flags;
	__u8 has_ts;         /* a well-formed kind-8 length-10 option was found */
	__u8 proto;          /* IPPROTO_TCP, IPPROTO_ICMP or IPPROTO_ICMPV6 */
	__u8 echo_reply;     /* ICMP: a reply (else a request); id in both
			      * ports, the sequence number in seq */
	__u8 ts_absent;      /* the option walk reached the end of the option
			      * area cleanly and found no timestamp option */
};

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

static __always_inline __u32 load_be32(const __u8 *p)
{
	__u32 v;

	/* Options sit at any byte offset; memcpy lets the compiler avoid an
	 * unaligned word load on architectures that would trap on it. */
	__builtin_memcpy(&v, p, sizeof(v));
	return bpf_ntohl(v);
}

/* Ethernet plus up to MAX_VLAN_TAGS tags; returns the L3 ethertype or 0. */
static __always_inline __u16 parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return 0;
	proto = bpf_ntohs(eth->h_proto);
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag = c->pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > c->end)
			return 0;
		proto = bpf_ntohs(tag->proto);
		c->pos = tag + 1;
	}
	return proto;
}

/*
 * IPv4 with options. Non-first fragments carry no TCP header, so they are
 * not TCP for our purposes. Returns the L4 length (payload of IP) or -1.
 */
static __always_inline int parse_ipv4(struct cursor *c, struct pkt_info *p)
{
	struct iphdr *iph = c->pos;
	__u32 hdr_len, tot_len;
	__u32 *addr;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hdr_len = iph->ihl * 4;
	if (c->pos + hdr_len > c->end)
		return -1;
	if (iph->frag_off & bpf_htons(0x1fff))
		return -1;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_ICMP)
		return -1;
	p->proto = iph->protocol;

	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len == 0 && frame_bytes_from(c) > IP_LEN_MAX)
		tot_len = frame_bytes_from(c);
	if (tot_len < hdr_len)
		return -1;

	/* IPv4-mapped IPv6: ::ffff:a.b.c.d */
	__builtin_memset(p->saddr, 0, 10);
	__builtin_memset(p->daddr, 0, 10);
	p->saddr[10] = p->saddr[11] = 0xff;
	p->daddr[10] = p->daddr[11] = 0xff;
	addr = (__u32 *)&p->saddr[12];
	*addr = iph->saddr;
	addr = (__u32 *)&p->daddr[12];
	*addr = iph->daddr;
	p->ipv = 4;

	c->pos += hdr_len;
	return tot_len - hdr_len;
}

/*
 * Tell the verifier a scalar is within mask without changing it (callers
 * have already checked it is). The asm keeps the compiler from dropping an
 * AND it can prove redundant. Offsets bounded this way make every path
 * through a header or option walk converge on the same verifier state;
 * pointers advanced by a constant on one path and a variable on another
 * would instead double the states at every step.
 */
#define BOUND_SCALAR(v, mask) asm volatile("%0 &= " #mask : "+r"(v))

/*
 * IPv6 and a bounded chain of extension headers. Returns the L4 length or -1
 * if the packet is not TCP, is a non-first fragment, or the chain is longer
 * than MAX_IPV6_EXT_HDRS or MAX_IPV6_EXT_BYTES.
 */
#define MAX_IPV6_EXT_BYTES 1024

static __always_inline int parse_ipv6(struct cursor *c, struct pkt_info *p)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 l4_len, off = 0;
	__u8 *base, nexthdr;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	if (ip6->version != 6)
		return -1;
	nexthdr = ip6->nexthdr;
	l4_len = bpf_ntohs(ip6->payload_len);
	if (l4_len == 0 && frame_bytes_from(c) > IP_LEN_MAX + sizeof(*ip6))
		l4_len = frame_bytes_from(c) - sizeof(*ip6);
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	p->ipv = 6;
	base = (__u8 *)(ip6 + 1);

	for (i = 0; i < MAX_IPV6_EXT_HDRS; i++) {
		__u8 *hdr;
		__u32 len;

		if (nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_ICMPV6)
			break;
		BOUND_SCALAR(off, 0x7ff);
		hdr = base + off;
		if ((void *)(hdr + 8) > c->end)   /* every ext header is >= 8 bytes */
			return -1;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			len = ((__u32)hdr[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			len = ((__u32)hdr[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			/* Offset is the top 13 bits of bytes 2-3. */
			if ((hdr[2] << 5 | hdr[3] >> 3) != 0)
				return -1;
			len = 8;
			break;
		default:
			return -1;
		}
		nexthdr = hdr[0];
		off += len;
		if (off > MAX_IPV6_EXT_BYTES)
			return -1;
	}
	if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_ICMPV6)
		return -1;
	if (l4_len < off)
		return -1;
	p->proto = nexthdr;
	BOUND_SCALAR(off, 0x7ff);
	c->pos = base + off;
	return l4_len - off;
}

/* The TCP option area, copied to the stack for tcp_opts_walk(). */
struct opt_area {
	__u8 b[MAX_TCP_OPT_BYTES];
	__u32 len;      /* bytes of the option area (doff) */
	__u32 avail;    /* of them, those in the packet's linear data */
};

/* What tcp_opts_walk() returns besides a timestamp option's offset. */
#define OPTS_MALFORMED (-1)
#define OPTS_NO_TS     (-2)

/*
 * Walk the TCP options looking for the timestamp. The walk is bounded by the
 * option area (doff) and by the packet end; any inconsistency — a length
 * below 2, an option running past either bound, a kind-8 option whose length
 * is not exactly 10 — ends the walk without a timestamp, so a malformed
 * option list can never produce an identifier. Returns the offset of a
 * well-formed timestamp option; OPTS_NO_TS if the walk reached the end of
 * the option area cleanly without one (the sender does not use
 * timestamps); OPTS_MALFORMED otherwise (malformed, or ended by an
 * end-of-list option: no evidence either way).
 *
 * A global function, so the verifier walks its loop once, on its own.
 * Inlined, the loop was walked again for every path by which a packet
 * reaches its TCP header (each family, VLAN tags, IPv6 extension headers)
 * with a different state each time: nine tenths of what the verifier did
 * for a program, and most of the time pping takes to start. The checks
 * against MAX_TCP_OPT_BYTES never fail (avail <= len <= 40); they tell the
 * verifier what it cannot derive from avail.
 */
__noinline int tcp_opts_walk(const struct opt_area *a)
{
	__u32 off = 0, len, avail;
	__u8 kind, olen;
	int i;

	if (!a)
		return OPTS_MALFORMED;
	len = a->len;
	avail = a->avail;
	for (i = 0; i < MAX_TCP_OPT_BYTES; i++) {
		if (off >= len)
			return off == len ? OPTS_NO_TS : OPTS_MALFORMED;
		BOUND_SCALAR(off, 0x3f);
		if (off + 1 > avail || off >= MAX_TCP_OPT_BYTES)
			return OPTS_MALFORMED;
		kind = a->b[off];
		if (kind == TCPOPT_EOL_KIND)
			return OPTS_MALFORMED;
		if (kind == TCPOPT_NOP_KIND) {
			off++;
			continue;
		}
		if (off + 2 > avail || off > MAX_TCP_OPT_BYTES - 2)
			return OPTS_MALFORMED;
		olen = a->b[off + 1];
		if (olen < 2)
			return OPTS_MALFORMED;
		if (kind == TCPOPT_TS_KIND)
			return olen == TCPOPT_TS_LEN && off + TCPOPT_TS_LEN <= avail ?
			       (int)off : OPTS_MALFORMED;
		off += olen;
	}
	return off == len ? OPTS_NO_TS : OPTS_MALFORMED;
}

/*
 * The timestamp of a segment's options: 0 with one, 1 if the sender
 * does not use timestamps, -1 if the options cannot tell (see
 * tcp_opts_walk). avail, the option bytes in the linear data, stands in
 * for the packet end: a read past it fails as one past the area would.
 */
static __always_inline int parse_tcp_ts(__u8 *opts, __u32 opt_len, void *end,
					__u32 *tsval, __u32 *tsecr)
{
	struct opt_area a;
	__u32 i;
	int off;

	/* What almost every segment of a connection with timestamps starts
	 * its options with (Linux, BSD, Windows): NOP, NOP, then the
	 * timestamp, whole within the option area. The walk reads the
	 * same from these 12 bytes; this takes it in one comparison,
	 * without the copy and the call. */
	if (opt_len >= 12 && (void *)(opts + 12) <= end &&
	    load_be32(opts) == TCPOPT_NOP_NOP_TS) {
		*tsval = load_be32(opts + 4);
		*tsecr = load_be32(opts + 8);
		return 0;
	}
	if (!opt_len)
		return 1;
	a.len = opt_len;
	if ((void *)(opts + MAX_TCP_OPT_BYTES) <= end) {
		__builtin_memcpy(a.b, opts, MAX_TCP_OPT_BYTES);
		a.avail = opt_len;
	} else {
		/* The walk's argument must be initialised whole. */
		__builtin_memset(a.b, 0, sizeof(a.b));
		/* Near the end of the linear data: what there is of it,
		 * by words, then the bytes of a word cut short (i is a
		 * constant on each of the verifier's paths, so these are
		 * constant offsets). Bytewise, this copy alone was a third
		 * of the verifier's work for a program. */
		for (i = 0; i < MAX_TCP_OPT_BYTES; i += 4) {
			if ((void *)(opts + i + 4) > end)
				break;
			__builtin_memcpy(&a.b[i], opts + i, 4);
		}
		if (i < MAX_TCP_OPT_BYTES && (void *)(opts + i + 2) <= end) {
			__builtin_memcpy(&a.b[i], opts + i, 2);
			i += 2;
		}
		if (i < MAX_TCP_OPT_BYTES && (void *)(opts + i + 1) <= end) {
			a.b[i] = opts[i];
			i++;
		}
		a.avail = i < opt_len ? i : opt_len;
	}
	off = tcp_opts_walk(&a);
	if (off == OPTS_NO_TS)
		return 1;
	if (off < 0 || off > MAX_TCP_OPT_BYTES - TCPOPT_TS_LEN)
		return -1;
	*tsval = load_be32(&a.b[off + 2]);
	*tsecr = load_be32(&a.b[off + 6]);
	return 0;
}

static __always_inline int parse_tcp(struct cursor *c, struct pkt_info *p,
				     __u32 l4_len)
{
	struct tcphdr *tcp = c->pos;
	__u32 hdr_len;
	int ts;

	if ((void *)(tcp + 1) > c->end)
		return PARSE_NOT_TCP;
	hdr_len = tcp->doff * 4;
	if (hdr_len < sizeof(*tcp) || l4_len < hdr_len)
		return PARSE_NOT_TCP;

	p->sport = tcp->source;
	p->dport = tcp->dest;
	p->tcp_flags = ((__u8 *)tcp)[13];
	p->seq = bpf_ntohl(tcp->seq);
	p->ack_seq = bpf_ntohl(tcp->ack_seq);
	p->payload_len = l4_len - hdr_len;
	ts = parse_tcp_ts((__u8 *)(tcp + 1), hdr_len - sizeof(*tcp), c->end,
			  &p->tsval, &p->tsecr);
	p->has_ts = ts == 0;
	p->ts_absent = ts == 1;
	return PARSE_TCP;
}

/*
 * An echo request or reply of the packet's family, or PARSE_NOT_TCP for
 * any other ICMP message (errors, and anything cut short).
 */
static __always_inline int parse_icmp_echo(struct cursor *c, struct pkt_info *p,
					   __u32 l4_len)
{
	struct icmp_echo_hdr *ic = c->pos;
	__u8 req = p->ipv == 4 ? ICMP_ECHO_REQUEST_V4 : ICMP_ECHO_REQUEST_V6;
	__u8 rep = p->ipv == 4 ? ICMP_ECHO_REPLY_V4 : ICMP_ECHO_REPLY_V6;

	if ((void *)(ic + 1) > c->end || l4_len < sizeof(*ic))
		return PARSE_NOT_TCP;
	if ((ic->type != req && ic->type != rep) || ic->code != 0)
		return PARSE_NOT_TCP;
	p->echo_reply = ic->type == rep;
	p->sport = ic->id;
	p->dport = ic->id;
	p->seq = bpf_ntohs(ic->seq);
	return PARSE_ICMP_ECHO;
}

/*
 * Parse from the start of the frame. has_l2 is false on interfaces without
 * an Ethernet header (tun, PPP, wireguard), decided when attaching; there the
 * IP version nibble tells the family.
 */
static __always_inline int parse_packet(void *data, void *end, __u32 frame_len,
					bool has_l2, struct pkt_info *p)
{
	struct cursor c = {
		.pos = data, .end = end, .start = data, .frame_len = frame_len,
	};
	__u64 l4_off;
	__u16 proto;
	int l4_len;

	if (has_l2) {
		proto = parse_eth(&c);
	} else {
		__u8 *first = data;

		if ((void *)(first + 1) > end)
			return PARSE_NOT_TCP;
		proto = (*first >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	}

	if (proto == ETH_P_IP)
		l4_len = parse_ipv4(&c, p);
	else if (proto == ETH_P_IPV6)
		l4_len = parse_ipv6(&c, p);
	else
		return PARSE_NOT_TCP;
	if (l4_len < 0)
		return PARSE_NOT_TCP;
	/* Every path to the L4 header (each family, VLAN tag count and
	 * IPv6 extension-header chain) goes on from the same form of
	 * pointer, the frame's start plus a bounded offset: the verifier's
	 * states then converge on the L4 parse instead of walking it once
	 * per path (the offset is below 14 + 8 + 40 + 1024). */
	l4_off = c.pos - c.start;
	BOUND_SCALAR(l4_off, 0x7ff);
	c.pos = c.start + l4_off;
	if (p->proto != IPPROTO_TCP)
		return parse_icmp_echo(&c, p, l4_len);
	return parse_tcp(&c, p, l4_len);
}

#endif /* PPING_PARSE_BPF_H */
