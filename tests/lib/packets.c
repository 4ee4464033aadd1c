// SPDX-License-Identifier: GPL-2.0
/* The packet builder of the tests: see packets.h. */
#include <arpa/inet.h>
#include <assert.h>
#include <string.h>

#include "packets.h"

/* ---- raw writers -------------------------------------------------------- */

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

uint8_t *pkt_put(struct pkt *p, size_t n)
{
	uint8_t *at;

	assert(p->len + n <= PKT_MAX);
	at = p->data + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

/* ---- layer 2 ------------------------------------------------------------ */

void pkt_eth_mac(struct pkt *p, const uint8_t *dst, const uint8_t *src,
		 uint16_t ethertype)
{
	uint8_t *h = pkt_put(p, 14);

	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	put_be16(h + 12, ethertype);
}

void pkt_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	pkt_eth_mac(p, dst, src, ethertype);
}

void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t next_type)
{
	uint8_t *h = pkt_put(p, 4);

	put_be16(h, vid & 0x0fff);
	put_be16(h + 2, next_type);
}

/* ---- layer 3 ------------------------------------------------------------ */

/* A test's address in text; a typo is the test's bug, so it aborts. */
static void parse_addr(int af, const char *text, uint8_t *out)
{
	int ok = inet_pton(af, text, out);

	assert(ok == 1);
	(void)ok;
}

void pkt_ipv4_addrs(struct pkt *p, const uint8_t *src, const uint8_t *dst,
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
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	if (opt_len)
		memcpy(h + 20, opts, opt_len);
	p->l4_off = p->len;
}

void pkt_ipv4_opts(struct pkt *p, const char *src, const char *dst,
		   uint8_t proto, const uint8_t *opts, size_t opt_len)
{
	uint8_t s[4], d[4];

	parse_addr(AF_INET, src, s);
	parse_addr(AF_INET, dst, d);
	pkt_ipv4_addrs(p, s, d, proto, opts, opt_len);
}

void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto)
{
	pkt_ipv4_opts(p, src, dst, proto, NULL, 0);
}

void pkt_ipv4_set_id(struct pkt *p, uint16_t id)
{
	put_be16(p->data + p->l3_off + 4, id);
}

void pkt_ipv4_set_frag(struct pkt *p, bool more, uint16_t offset8)
{
	put_be16(p->data + p->l3_off + 6, (more ? 0x2000 : 0) | (offset8 & 0x1fff));
}

void pkt_ipv4_set_df(struct pkt *p)
{
	put_be16(p->data + p->l3_off + 6, 0x4000);
}

void pkt_ipv6_addrs(struct pkt *p, const uint8_t *src, const uint8_t *dst,
		    uint8_t nexthdr)
{
	uint8_t *h;

	p->l3_off = p->len;
	p->ipv = 6;
	h = pkt_put(p, 40);
	h[0] = 0x60;          /* version 6 */
	h[6] = nexthdr;
	h[7] = 64;            /* hop limit */
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	p->l4_off = p->len;
}

void pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr)
{
	uint8_t s[16], d[16];

	parse_addr(AF_INET6, src, s);
	parse_addr(AF_INET6, dst, d);
	pkt_ipv6_addrs(p, s, d, nexthdr);
}

void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t nexthdr, size_t total_len)
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

void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset8, bool more)
{
	uint8_t *h = pkt_put(p, 8);

	h[0] = nexthdr;
	put_be16(h + 2, (uint16_t)(offset8 << 3) | (more ? 1 : 0));
	put_be32(h + 4, 0xabcd);   /* identification */
	p->l4_off = p->len;
}

/* ---- TCP options -------------------------------------------------------- */

void opts_init(struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
}

uint8_t *opt_put(struct tcp_opts *o, size_t n)
{
	uint8_t *at;

	assert(o->len + n <= sizeof(o->b));
	at = o->b + o->len;
	o->len += n;
	return at;
}

void opt_nop(struct tcp_opts *o)
{
	*opt_put(o, 1) = TCPOPT_NOP;
}

void opt_eol(struct tcp_opts *o)
{
	*opt_put(o, 1) = TCPOPT_EOL;
}

void opt_ts_len(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr, uint8_t len)
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

void opt_ts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr)
{
	opt_ts_len(o, tsval, tsecr, 10);
}

void opt_ts_claiming(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr,
		     uint8_t len)
{
	uint8_t raw[10];
	size_t extra = len > 10 ? len - 10u : 0;

	raw[0] = TCPOPT_TS;
	raw[1] = len;
	put_be32(raw + 2, tsval);
	put_be32(raw + 6, tsecr);
	opt_raw(o, raw, sizeof(raw));
	if (extra > sizeof(o->b) - o->len)
		extra = sizeof(o->b) - o->len;
	memset(opt_put(o, extra), 0xee, extra);
}

void opt_mss(struct tcp_opts *o, uint16_t mss)
{
	uint8_t *at = opt_put(o, 4);

	at[0] = TCPOPT_MSS;
	at[1] = 4;
	put_be16(at + 2, mss);
}

void opt_wscale(struct tcp_opts *o, uint8_t shift)
{
	uint8_t *at = opt_put(o, 3);

	at[0] = TCPOPT_WSCALE;
	at[1] = 3;
	at[2] = shift;
}

void opt_sack_perm(struct tcp_opts *o)
{
	uint8_t *at = opt_put(o, 2);

	at[0] = TCPOPT_SACK_PERM;
	at[1] = 2;
}

void opt_sack(struct tcp_opts *o, int n)
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

void opt_raw(struct tcp_opts *o, const uint8_t *bytes, size_t n)
{
	memcpy(opt_put(o, n), bytes, n);
}

void ts_opts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr)
{
	opts_init(o);
	opt_nop(o);
	opt_nop(o);
	opt_ts(o, tsval, tsecr);
}

void syn_opts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr)
{
	opts_init(o);
	opt_mss(o, 1460);
	opt_sack_perm(o);
	opt_ts(o, tsval, tsecr);
	opt_nop(o);
	opt_wscale(o, 7);
}

/* ---- layer 4 ------------------------------------------------------------ */

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
	     const struct tcp_opts *o)
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

void pkt_tcp_seq(struct pkt *p, uint32_t seq, uint32_t ack)
{
	put_be32(p->data + p->l4_off + 4, seq);
	put_be32(p->data + p->l4_off + 8, ack);
}

void pkt_tcp_window(struct pkt *p, uint16_t window)
{
	put_be16(p->data + p->l4_off + 14, window);
}

void pkt_tcp_doff(struct pkt *p, uint8_t doff)
{
	p->data[p->l4_off + 12] = (uint8_t)(doff << 4);
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h;

	p->l4_off = p->len;
	h = pkt_put(p, 8);
	put_be16(h, sport);
	put_be16(h + 2, dport);
}

void pkt_icmp_echo(struct pkt *p, uint8_t type)
{
	uint8_t *h;

	p->l4_off = p->len;
	h = pkt_put(p, 8);
	h[0] = type;
	put_be16(h + 4, 1);   /* identifier */
	put_be16(h + 6, 1);   /* sequence */
}

void pkt_payload(struct pkt *p, size_t n)
{
	memset(pkt_put(p, n), 0x5a, n);
}

void pkt_finish(struct pkt *p)
{
	size_t l3_len = p->len - p->l3_off;

	if (p->ipv == 4)
		put_be16(p->data + p->l3_off + 2, l3_len);
	else if (p->ipv == 6)
		put_be16(p->data + p->l3_off + 4, l3_len - 40);
	if (p->ipv && p->data[p->l3_off + (p->ipv == 4 ? 9 : 6)] == PKT_IPPROTO_UDP)
		put_be16(p->data + p->l4_off + 4, p->len - p->l4_off);
}

void pkt_checksums(struct pkt *p)
{
	uint8_t *ip = p->data + p->l3_off, *tcp = p->data + p->l4_off;
	size_t tcp_len = p->len - p->l4_off;
	uint32_t sum;

	put_be16(tcp + 16, 0);
	if (p->ipv == 4) {
		put_be16(ip + 10, 0);
		put_be16(ip + 10, inet_csum_fold(inet_csum_add(0, ip, 4 * (ip[0] & 0xf))));
		sum = inet_csum_add(0, ip + 12, 8);   /* source, destination */
	} else {
		sum = inet_csum_add(0, ip + 8, 32);
	}
	/* The rest of the pseudo-header: protocol and TCP length (the IPv6
	 * form has a 32-bit length and the same one's-complement sum). */
	sum += PKT_IPPROTO_TCP + (uint32_t)tcp_len;
	put_be16(tcp + 16, inet_csum_fold(inet_csum_add(sum, tcp, tcp_len)));
}

void pkt_truncate(struct pkt *p, size_t len)
{
	assert(len <= p->len);
	p->len = len;
}

void pkt_strip_l2(struct pkt *p)
{
	size_t off = p->l3_off;

	memmove(p->data, p->data + off, p->len - off);
	p->len -= off;
	p->l4_off -= off;
	p->l3_off = 0;
}

/* ---- the Internet checksum ---------------------------------------------- */

uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

uint16_t inet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
