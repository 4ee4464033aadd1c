/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small packet builder for the BPF unit tests. Headers are appended one
 * after the other into a fixed buffer and written byte by byte at explicit
 * offsets (network byte order), so a test can build well-formed packets as
 * easily as deliberately broken ones: any field can be overwritten after the
 * fact, and the frame can be cut short with pkt_truncate().
 *
 * Typical use:
 *
 *	struct pkt p;
 *	struct tcp_opts o;
 *
 *	opts_init(&o);
 *	opt_nop(&o); opt_nop(&o); opt_ts(&o, 100, 0);
 *	pkt_init(&p);
 *	pkt_eth(&p, ETH_P_IPV6);
 *	pkt_ipv6(&p, "fd00::1", "fd00::2", IPPROTO_TCP);
 *	pkt_tcp(&p, 1000, 80, TCPF_ACK, &o);
 *	pkt_payload(&p, 100);
 *	pkt_finish(&p);            // IP length fields from the final size
 *
 * Checksums are left zero: the programs under test never look at them.
 */
#ifndef PPING_TEST_PACKETS_H
#define PPING_TEST_PACKETS_H

#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX 1024

/* Ethertypes and IP protocol numbers, spelled out so the builder depends on
 * no kernel header (and the tests read as the wire formats do). */
#define PKT_ETH_P_IP     0x0800
#define PKT_ETH_P_ARP    0x0806
#define PKT_ETH_P_8021Q  0x8100
#define PKT_ETH_P_8021AD 0x88a8
#define PKT_ETH_P_IPV6   0x86dd

#define PKT_IPPROTO_HOPOPTS  0
#define PKT_IPPROTO_ICMP     1
#define PKT_IPPROTO_TCP      6
#define PKT_IPPROTO_UDP      17
#define PKT_IPPROTO_ROUTING  43
#define PKT_IPPROTO_FRAGMENT 44
#define PKT_IPPROTO_AH       51
#define PKT_IPPROTO_ICMPV6   58
#define PKT_IPPROTO_DSTOPTS  60

/* TCP flag bits (byte 13 of the header). */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10

/* TCP option kinds. */
#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	size_t l3_off;   /* start of the IP header */
	size_t l4_off;   /* start of the transport header */
	int ipv;         /* 4 or 6 once an IP header was added, else 0 */
};

/* ---- raw writers -------------------------------------------------------- */

static inline uint8_t *pkt_put(struct pkt *p, size_t n)
{
	uint8_t *at;

	assert(p->len + n <= PKT_MAX);
	at = p->data + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

static inline void put_be16(uint8_t *at, uint16_t v)
{
	at[0] = v >> 8;
	at[1] = v & 0xff;
}

static inline void put_be32(uint8_t *at, uint32_t v)
{
	at[0] = v >> 24;
	at[1] = (v >> 16) & 0xff;
	at[2] = (v >> 8) & 0xff;
	at[3] = v & 0xff;
}

static inline void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

/* ---- layer 2 ------------------------------------------------------------ */

static inline void pkt_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *h = pkt_put(p, 14);

	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	put_be16(h + 12, ethertype);
}

/* A VLAN tag (TCI, then the ethertype of what follows). The TPID announcing
 * the tag is the ethertype of the previous header. */
static inline void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t next_type)
{
	uint8_t *h = pkt_put(p, 4);

	put_be16(h, vid & 0x0fff);
	put_be16(h + 2, next_type);
}

/* ---- layer 3 ------------------------------------------------------------ */

static inline void pkt_ipv4_opts(struct pkt *p, const char *src, const char *dst,
				 uint8_t proto, const uint8_t *opts, size_t opt_len)
{
	uint8_t *h;

	assert(opt_len % 4 == 0 && opt_len <= 40);
	p->l3_off = p->len;
	p->ipv = 4;
	h = pkt_put(p, 20 + opt_len);
	h[0] = 0x40 | ((20 + opt_len) / 4);   /* version 4, IHL */
	put_be16(h + 4, 0x1234);              /* identification */
	h[8] = 64;                            /* TTL */
	h[9] = proto;
	assert(inet_pton(AF_INET, src, h + 12) == 1);
	assert(inet_pton(AF_INET, dst, h + 16) == 1);
	if (opt_len)
		memcpy(h + 20, opts, opt_len);
	p->l4_off = p->len;
}

static inline void pkt_ipv4(struct pkt *p, const char *src, const char *dst,
			    uint8_t proto)
{
	pkt_ipv4_opts(p, src, dst, proto, NULL, 0);
}

/* Fragment fields of the IPv4 header: More Fragments and the offset in
 * 8-byte units. */
static inline void pkt_ipv4_set_frag(struct pkt *p, bool more, uint16_t offset8)
{
	put_be16(p->data + p->l3_off + 6, (more ? 0x2000 : 0) | (offset8 & 0x1fff));
}

static inline void pkt_ipv6(struct pkt *p, const char *src, const char *dst,
			    uint8_t nexthdr)
{
	uint8_t *h;

	p->l3_off = p->len;
	p->ipv = 6;
	h = pkt_put(p, 40);
	h[0] = 0x60;          /* version 6 */
	h[6] = nexthdr;
	h[7] = 64;            /* hop limit */
	assert(inet_pton(AF_INET6, src, h + 8) == 1);
	assert(inet_pton(AF_INET6, dst, h + 24) == 1);
	p->l4_off = p->len;
}

/*
 * An IPv6 extension header of total_len bytes (hop-by-hop, destination
 * options and routing: a multiple of 8; AH: a multiple of 4). Its body is
 * zero, which for the option headers is a valid run of Pad1 options.
 */
static inline void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t nexthdr,
				size_t total_len)
{
	uint8_t *h;

	h = pkt_put(p, total_len);
	h[0] = nexthdr;
	if (type == PKT_IPPROTO_AH) {
		assert(total_len % 4 == 0 && total_len >= 12);
		h[1] = total_len / 4 - 2;
	} else {
		assert(total_len % 8 == 0 && total_len >= 8);
		h[1] = total_len / 8 - 1;
	}
	if (type == PKT_IPPROTO_ROUTING)
		h[2] = 4;     /* routing type: segment routing, segments left 0 */
	p->l4_off = p->len;
}

/* IPv6 fragment header: offset in 8-byte units, M flag. */
static inline void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr,
				 uint16_t offset8, bool more)
{
	uint8_t *h = pkt_put(p, 8);

	h[0] = nexthdr;
	put_be16(h + 2, (uint16_t)(offset8 << 3) | (more ? 1 : 0));
	put_be32(h + 4, 0xabcd);   /* identification */
	p->l4_off = p->len;
}

/* ---- TCP options -------------------------------------------------------- */

struct tcp_opts {
	uint8_t b[64];   /* room to build a list longer than 40 on purpose */
	size_t len;
};

static inline void opts_init(struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static inline uint8_t *opt_put(struct tcp_opts *o, size_t n)
{
	uint8_t *at;

	assert(o->len + n <= sizeof(o->b));
	at = o->b + o->len;
	o->len += n;
	return at;
}

static inline void opt_nop(struct tcp_opts *o)
{
	*opt_put(o, 1) = TCPOPT_NOP;
}

static inline void opt_eol(struct tcp_opts *o)
{
	*opt_put(o, 1) = TCPOPT_EOL;
}

/* Timestamp option with an arbitrary length byte; the body is always the 8
 * bytes TSval, TSecr followed by len - 10 filler bytes (for len >= 10), or
 * cut to len - 2 bytes (for shorter ones). */
static inline void opt_ts_len(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr,
			      uint8_t len)
{
	uint8_t body[8], *at;
	size_t n = len < 2 ? 0 : len - 2;

	put_be32(body, tsval);
	put_be32(body + 4, tsecr);
	at = opt_put(o, 2 + n);
	at[0] = TCPOPT_TS;
	at[1] = len;
	memcpy(at + 2, body, n < 8 ? n : 8);
	if (n > 8)
		memset(at + 10, 0xee, n - 8);
}

static inline void opt_ts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr)
{
	opt_ts_len(o, tsval, tsecr, 10);
}

static inline void opt_mss(struct tcp_opts *o, uint16_t mss)
{
	uint8_t *at = opt_put(o, 4);

	at[0] = TCPOPT_MSS;
	at[1] = 4;
	put_be16(at + 2, mss);
}

static inline void opt_wscale(struct tcp_opts *o, uint8_t shift)
{
	uint8_t *at = opt_put(o, 3);

	at[0] = TCPOPT_WSCALE;
	at[1] = 3;
	at[2] = shift;
}

static inline void opt_sack_perm(struct tcp_opts *o)
{
	uint8_t *at = opt_put(o, 2);

	at[0] = TCPOPT_SACK_PERM;
	at[1] = 2;
}

/* SACK option with n blocks of made-up edges. */
static inline void opt_sack(struct tcp_opts *o, int n)
{
	uint8_t *at = opt_put(o, 2 + 8 * n);
	int i;

	at[0] = TCPOPT_SACK;
	at[1] = 2 + 8 * n;
	for (i = 0; i < n; i++) {
		put_be32(at + 2 + 8 * i, 1000 * (i + 1));
		put_be32(at + 6 + 8 * i, 1000 * (i + 1) + 500);
	}
}

/* Any option given as raw bytes (to build malformed ones). */
static inline void opt_raw(struct tcp_opts *o, const uint8_t *bytes, size_t n)
{
	memcpy(opt_put(o, n), bytes, n);
}

/* ---- layer 4 ------------------------------------------------------------ */

/*
 * TCP header followed by the options. doff is computed from the option
 * length (rounded up with EOL bytes); pkt_tcp_doff() overrides it afterwards
 * to build inconsistent headers.
 */
static inline void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport,
			   uint8_t flags, const struct tcp_opts *o)
{
	size_t opt_len = o ? o->len : 0;
	size_t padded = (opt_len + 3) & ~(size_t)3;
	uint8_t *h;

	p->l4_off = p->len;
	h = pkt_put(p, 20 + padded);
	put_be16(h, sport);
	put_be16(h + 2, dport);
	put_be32(h + 4, 0x11111111);          /* seq */
	put_be32(h + 8, (flags & TCPF_ACK) ? 0x22222222 : 0);
	h[12] = (uint8_t)(((20 + padded) / 4) << 4);
	h[13] = flags;
	put_be16(h + 14, 65535);              /* window */
	if (opt_len)
		memcpy(h + 20, o->b, opt_len);   /* padding stays 0 = EOL */
}

static inline void pkt_tcp_doff(struct pkt *p, uint8_t doff)
{
	p->data[p->l4_off + 12] = (uint8_t)(doff << 4);
}

static inline void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h;

	p->l4_off = p->len;
	h = pkt_put(p, 8);
	put_be16(h, sport);
	put_be16(h + 2, dport);
}

/* ICMP (or ICMPv6) echo request header. */
static inline void pkt_icmp_echo(struct pkt *p, uint8_t type)
{
	uint8_t *h;

	p->l4_off = p->len;
	h = pkt_put(p, 8);
	h[0] = type;
	put_be16(h + 4, 1);   /* identifier */
	put_be16(h + 6, 1);   /* sequence */
}

/* n bytes of payload (a recognisable pattern). */
static inline void pkt_payload(struct pkt *p, size_t n)
{
	memset(pkt_put(p, n), 0x5a, n);
}

/*
 * Fill the length fields of the IP header (and UDP) from the current frame
 * size: IPv4 total length, IPv6 payload length. Call once everything is
 * added; pkt_truncate() afterwards makes a frame shorter than its headers say.
 */
static inline void pkt_finish(struct pkt *p)
{
	size_t l3_len = p->len - p->l3_off;

	if (p->ipv == 4)
		put_be16(p->data + p->l3_off + 2, l3_len);
	else if (p->ipv == 6)
		put_be16(p->data + p->l3_off + 4, l3_len - 40);
	if (p->ipv && p->data[p->l3_off + (p->ipv == 4 ? 9 : 6)] == PKT_IPPROTO_UDP)
		put_be16(p->data + p->l4_off + 4, p->len - p->l4_off);
}

static inline void pkt_truncate(struct pkt *p, size_t len)
{
	assert(len <= p->len);
	p->len = len;
}

/*
 * Drop the Ethernet header (and any VLAN tags) so the frame starts at the IP
 * header, as on tun/PPP/wireguard interfaces.
 */
static inline void pkt_strip_l2(struct pkt *p)
{
	size_t off = p->l3_off;

	memmove(p->data, p->data + off, p->len - off);
	p->len -= off;
	p->l4_off -= off;
	p->l3_off = 0;
}

#endif /* PPING_TEST_PACKETS_H */
