// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's oracle: what the datapath must count as a well-formed TCP
 * segment and as a valid timestamp option, written from the rules that
 * bpf/parse.bpf.h documents rather than from its code: a walk over a byte
 * array with lengths, where the BPF side has a cursor and verifier-shaped
 * loops. The two agree on every frame, or the fuzzer says where not.
 *
 * The rules:
 *  - Ethernet, then at most two VLAN tags (802.1Q or 802.1ad, either
 *    order); behind a third tag the ethertype is a TPID, not IP. Without L2,
 *    the version nibble picks the family (6: IPv6, anything else: IPv4).
 *  - IPv4: version 4, IHL >= 5 with the whole header in the frame, fragment
 *    offset 0 (a first fragment still holds the TCP header), protocol TCP,
 *    total length >= header length. The IP header, not the frame, says how
 *    long the segment is. (A total length of 0 is valid only for frames
 *    over 64 KiB, which a test run never makes.)
 *  - IPv6: version 6, then up to 6 extension headers (hop-by-hop, routing,
 *    destination options, AH, a fragment header at offset 0), each with at
 *    least 8 bytes in the frame, at most 1024 bytes in all, then TCP; the
 *    payload length must cover the chain.
 *  - TCP: the fixed 20 bytes in the frame, data offset >= 5, and the
 *    segment (by the IP length) at least as long as the header.
 *  - Options, inside both the option area and the frame: EOL ends the list,
 *    NOP is one byte, any other option needs its length byte and a length
 *    >= 2. The first kind-8 option decides: length exactly 10 and all of it
 *    inside, or there is no timestamp.
 */
#include <string.h>

#include "fuzz.h"

#define VLAN_TAGS_WALKED  2
#define V6_EXT_WALKED     6
#define V6_EXT_BYTES      1024

#define ETHERTYPE_IPV4    0x0800
#define ETHERTYPE_IPV6    0x86dd

struct reader {
	const uint8_t *p;
	size_t len;      /* bytes in the frame */
	size_t off;      /* start of the next header */
	uint8_t saddr[16], daddr[16];   /* IPv4 ones IPv4-mapped */
	int ipv;
	uint8_t proto;   /* TCP, or the family's ICMP */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static bool have(const struct reader *rd, size_t off, size_t n)
{
	return off + n <= rd->len;
}

static bool is_vlan_tpid(uint16_t type)
{
	return type == PKT_ETH_P_8021Q || type == PKT_ETH_P_8021AD;
}

/* The ethertype after the tags the parser walks; 0 if the frame ends first. */
static uint16_t read_l2(struct reader *rd)
{
	uint16_t type;
	int tags;

	if (!have(rd, 0, 14))
		return 0;
	type = be16(rd->p + 12);
	rd->off = 14;
	for (tags = 0; tags < VLAN_TAGS_WALKED && is_vlan_tpid(type); tags++) {
		if (!have(rd, rd->off, 4))
			return 0;
		type = be16(rd->p + rd->off + 2);
		rd->off += 4;
	}
	return type;
}

/* The TCP length an IPv4 header announces, or -1 if it is not TCP. */
static long read_ipv4(struct reader *rd)
{
	const uint8_t *ip = rd->p + rd->off;
	size_t hdr_len, total;

	if (!have(rd, rd->off, 20) || ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
		return -1;
	hdr_len = (size_t)(ip[0] & 0xf) * 4;
	if (!have(rd, rd->off, hdr_len))
		return -1;
	if (be16(ip + 6) & 0x1fff)     /* later fragment: no TCP header here */
		return -1;
	if (ip[9] != PKT_IPPROTO_TCP && ip[9] != PKT_IPPROTO_ICMP)
		return -1;
	rd->proto = ip[9];
	total = be16(ip + 2);
	if (total < hdr_len)
		return -1;

	memset(rd->saddr, 0, 16);
	memset(rd->daddr, 0, 16);
	rd->saddr[10] = rd->saddr[11] = rd->daddr[10] = rd->daddr[11] = 0xff;
	memcpy(rd->saddr + 12, ip + 12, 4);
	memcpy(rd->daddr + 12, ip + 16, 4);
	rd->ipv = 4;
	rd->off += hdr_len;
	return (long)(total - hdr_len);
}

/* Length of one extension header of type next at h, or 0 if the parser
 * does not walk it (unknown type, or a fragment at a non-zero offset). */
static size_t v6_ext_len(uint8_t next, const uint8_t *h)
{
	switch (next) {
	case PKT_IPPROTO_HOPOPTS:
	case PKT_IPPROTO_ROUTING:
	case PKT_IPPROTO_DSTOPTS:
		return ((size_t)h[1] + 1) * 8;
	case PKT_IPPROTO_AH:
		return ((size_t)h[1] + 2) * 4;
	case PKT_IPPROTO_FRAGMENT:
		return (be16(h + 2) >> 3) ? 0 : 8;
	default:
		return 0;
	}
}

static long read_ipv6(struct reader *rd)
{
	const uint8_t *ip = rd->p + rd->off;
	size_t start, chain = 0, payload;
	uint8_t next;
	int n;

	if (!have(rd, rd->off, 40) || ip[0] >> 4 != 6)
		return -1;
	payload = be16(ip + 4);
	next = ip[6];
	memcpy(rd->saddr, ip + 8, 16);
	memcpy(rd->daddr, ip + 24, 16);
	rd->ipv = 6;

	start = rd->off + 40;
	for (n = 0; next != PKT_IPPROTO_TCP && next != PKT_IPPROTO_ICMPV6; n++) {
		const uint8_t *h = rd->p + start + chain;
		size_t len;

		if (n == V6_EXT_WALKED || !have(rd, start + chain, 8))
			return -1;
		len = v6_ext_len(next, h);
		if (!len)
			return -1;
		next = h[0];
		chain += len;
		if (chain > V6_EXT_BYTES)
			return -1;
	}
	if (payload < chain)
		return -1;
	rd->proto = next;
	rd->off = start + chain;
	return (long)(payload - chain);
}

/* The option walk over [start, start + area), cut at the frame end. */
static void read_ts(const struct reader *rd, size_t start, size_t area,
		    struct verdict *v)
{
	size_t end = start + area < rd->len ? start + area : rd->len;
	size_t at = start;

	if (at < end)
		v->stage = STAGE_OPTS;
	/* An empty option area is a clean walk too. */
	v->ts_absent = area == 0 && start <= rd->len;
	while (at < end) {
		uint8_t kind = rd->p[at], len;

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			at++;
			continue;
		}
		if (at + 2 > end)
			return;
		len = rd->p[at + 1];
		if (len < 2)
			return;
		if (kind == TCPOPT_TS) {
			if (len != 10 || at + 10 > end)
				return;
			v->has_ts = true;
			v->tsval = be32(rd->p + at + 2);
			v->tsecr = be32(rd->p + at + 6);
			v->stage = STAGE_TS;
			return;
		}
		at += len;
	}
	/* The whole area, inside the frame, with no timestamp and no end
	 * of list: the sender does not use timestamps. */
	v->ts_absent = at == start + area && start + area <= rd->len;
}

static void read_tcp(const struct reader *rd, long l4_len, struct verdict *v)
{
	const uint8_t *t = rd->p + rd->off;
	size_t hdr_len;

	if (!have(rd, rd->off, 20))
		return;
	hdr_len = (size_t)(t[12] >> 4) * 4;
	if (hdr_len < 20 || (size_t)l4_len < hdr_len)
		return;
	v->tcp = true;
	v->stage = STAGE_TCP;
	v->flags = t[13];
	read_ts(rd, rd->off + 20, hdr_len - 20, v);
}

/* Echo request or reply of the packet's own family, code 0, with its
 * 8-byte header in the frame and within the IP length. */
static void read_icmp(const struct reader *rd, long l4_len, struct verdict *v)
{
	const uint8_t *h = rd->p + rd->off;
	uint8_t req = rd->ipv == 4 ? 8 : 128, rep = rd->ipv == 4 ? 0 : 129;

	if (!have(rd, rd->off, 8) || l4_len < 8)
		return;
	v->icmp_echo = (h[0] == req || h[0] == rep) && h[1] == 0;
	v->icmp_reply = v->icmp_echo && h[0] == rep;
}

/* The flow key the datapath builds: oriented by the hook's direction. */
static void fill_key(const struct reader *rd, const uint8_t *tcp, int dir,
		     struct flow_key *k)
{
	bool out = dir == PPING_DIR_OUT;

	memset(k, 0, sizeof(*k));
	memcpy(k->local_addr, out ? rd->saddr : rd->daddr, 16);
	memcpy(k->remote_addr, out ? rd->daddr : rd->saddr, 16);
	memcpy(&k->local_port, tcp + (out ? 0 : 2), 2);    /* network order */
	memcpy(&k->remote_port, tcp + (out ? 2 : 0), 2);
	k->ipv = rd->ipv;
	k->proto = PKT_IPPROTO_TCP;
}

void oracle_read(const uint8_t *data, size_t len, bool has_l2, int dir,
		 struct verdict *v)
{
	struct reader rd = { .p = data, .len = len };
	uint16_t type;
	long l4_len;

	memset(v, 0, sizeof(*v));
	if (has_l2)
		type = read_l2(&rd);
	else if (len >= 1)
		type = data[0] >> 4 == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	else
		type = 0;
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return;
	v->stage = STAGE_IP;

	l4_len = type == ETHERTYPE_IPV4 ? read_ipv4(&rd) : read_ipv6(&rd);
	if (l4_len < 0)
		return;
	if (rd.proto != PKT_IPPROTO_TCP) {
		read_icmp(&rd, l4_len, v);
		if (v->icmp_echo) {
			/* An echo's flow: its addresses, the echo id as both
			 * ports. */
			fill_key(&rd, data + rd.off, dir, &v->key);
			memcpy(&v->key.local_port, data + rd.off + 4, 2);
			memcpy(&v->key.remote_port, data + rd.off + 4, 2);
			v->key.proto = rd.proto;
		}
		return;
	}
	v->stage = STAGE_L4;

	read_tcp(&rd, l4_len, v);
	if (v->tcp)
		fill_key(&rd, data + rd.off, dir, &v->key);
}
