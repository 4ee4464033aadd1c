/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet builder of the tests: the unit tests and the fuzzer
 * (tests/unit), the benchmarks (tests/bench) and the traffic and capture
 * generators (tests/tools/flowgen.c, pcapgen.c) all build their frames
 * with it. Headers are appended one after the other into a fixed buffer and
 * written byte by byte at explicit offsets (network byte order), so a test
 * can build well-formed packets as easily as deliberately broken ones: any
 * field can be overwritten after the fact, and the frame can be cut short
 * with pkt_truncate().
 *
 * Typical use:
 *
 *	struct pkt p;
 *	struct tcp_opts o;
 *
 *	ts_opts(&o, 100, 0);       // NOP NOP TS, as on an established connection
 *	pkt_init(&p);
 *	pkt_eth(&p, PKT_ETH_P_IPV6);
 *	pkt_ipv6(&p, "fd00::1", "fd00::2", PKT_IPPROTO_TCP);
 *	pkt_tcp(&p, 1000, 80, TCPF_ACK, &o);
 *	pkt_payload(&p, 100);
 *	pkt_finish(&p);            // IP length fields from the final size
 *	pkt_checksums(&p);         // only where a receiver checks them
 *
 * Checksums stay zero unless pkt_checksums() is called: the BPF programs
 * under test never look at them, the kernel and capture readers may.
 */
#ifndef PPING_TEST_PACKETS_H
#define PPING_TEST_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a full-size segment (the capture generator writes up to 1400
 * bytes of payload) or an extension chain past the parser's 1024 bytes. */
#define PKT_MAX 2048

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

void pkt_init(struct pkt *p);
/* Append n zero bytes; returns where they start. */
uint8_t *pkt_put(struct pkt *p, size_t n);

/* ---- layer 2 ------------------------------------------------------------ */

/* Ethernet header from dst to src (6 bytes each). */
void pkt_eth_mac(struct pkt *p, const uint8_t *dst, const uint8_t *src,
		 uint16_t ethertype);
/* ... from 02:00:00:00:00:01 to 02:00:00:00:00:02. */
void pkt_eth(struct pkt *p, uint16_t ethertype);
/* A VLAN tag (TCI, then the ethertype of what follows). The TPID announcing
 * the tag is the ethertype of the previous header. */
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t next_type);

/* ---- layer 3 ------------------------------------------------------------ */

/* IPv4 header (identification 0x1234, TTL 64, no flags) with opt_len bytes
 * of options (a multiple of 4, at most 40), addresses as 4 bytes each. */
void pkt_ipv4_addrs(struct pkt *p, const uint8_t *src, const uint8_t *dst,
		    uint8_t proto, const uint8_t *opts, size_t opt_len);
/* The same with addresses in text. */
void pkt_ipv4_opts(struct pkt *p, const char *src, const char *dst,
		   uint8_t proto, const uint8_t *opts, size_t opt_len);
void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto);
void pkt_ipv4_set_id(struct pkt *p, uint16_t id);
/* Fragment fields of the IPv4 header: More Fragments and the offset in
 * 8-byte units. */
void pkt_ipv4_set_frag(struct pkt *p, bool more, uint16_t offset8);
/* Don't Fragment, as on most TCP packets (offset 0). */
void pkt_ipv4_set_df(struct pkt *p);

/* IPv6 header (hop limit 64), addresses as 16 bytes each or in text. */
void pkt_ipv6_addrs(struct pkt *p, const uint8_t *src, const uint8_t *dst,
		    uint8_t nexthdr);
void pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr);
/*
 * An IPv6 extension header of total_len bytes (hop-by-hop, destination
 * options and routing: a multiple of 8; AH: a multiple of 4). Its body is
 * zero, which for the option headers is a valid run of Pad1 options.
 */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t nexthdr, size_t total_len);
/* IPv6 fragment header: offset in 8-byte units, M flag. */
void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset8, bool more);

/* ---- TCP options -------------------------------------------------------- */

struct tcp_opts {
	uint8_t b[64];   /* room to build a list longer than 40 on purpose */
	size_t len;
};

void opts_init(struct tcp_opts *o);
/* Append n bytes to the list; returns where they start. */
uint8_t *opt_put(struct tcp_opts *o, size_t n);
void opt_nop(struct tcp_opts *o);
void opt_eol(struct tcp_opts *o);
void opt_ts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr);
/* Timestamp option with an arbitrary length byte; the body is the 8 bytes
 * TSval, TSecr followed by len - 10 filler bytes (for len >= 10), or cut to
 * len - 2 bytes (for shorter ones). */
void opt_ts_len(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr, uint8_t len);
/* A timestamp option whose length byte says len, always followed by the
 * full TSval and TSecr (and filler up to len when longer, as far as the
 * list has room): what a parser trusting a wrong length would read. */
void opt_ts_claiming(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr,
		     uint8_t len);
void opt_mss(struct tcp_opts *o, uint16_t mss);
void opt_wscale(struct tcp_opts *o, uint8_t shift);
void opt_sack_perm(struct tcp_opts *o);
/* SACK option with n blocks of made-up edges. */
void opt_sack(struct tcp_opts *o, int n);
/* Any option given as raw bytes (to build malformed ones). */
void opt_raw(struct tcp_opts *o, const uint8_t *bytes, size_t n);

/* The options Linux sends on an established connection: NOP NOP TS. */
void ts_opts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr);
/* ... and on a SYN: MSS 1460, SACK-permitted, TS, NOP, window scale 7. */
void syn_opts(struct tcp_opts *o, uint32_t tsval, uint32_t tsecr);

/* ---- layer 4 ------------------------------------------------------------ */

/*
 * TCP header followed by the options (o may be NULL): sequence number
 * 0x11111111, acknowledgement 0x22222222 with ACK (else 0), window 65535.
 * doff is computed from the option length (rounded up with EOL bytes);
 * pkt_tcp_doff() overrides it afterwards to build inconsistent headers.
 */
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
	     const struct tcp_opts *o);
void pkt_tcp_seq(struct pkt *p, uint32_t seq, uint32_t ack);
void pkt_tcp_window(struct pkt *p, uint16_t window);
void pkt_tcp_doff(struct pkt *p, uint8_t doff);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
/* ICMP (or ICMPv6) echo request header of the given type. */
void pkt_icmp_echo(struct pkt *p, uint8_t type);
/* n bytes of payload (a recognisable pattern). */
void pkt_payload(struct pkt *p, size_t n);

/*
 * Fill the length fields of the IP header (and UDP) from the current frame
 * size: IPv4 total length, IPv6 payload length. Call once everything is
 * added; pkt_truncate() afterwards makes a frame shorter than its headers say.
 */
void pkt_finish(struct pkt *p);
/* The IPv4 header checksum and the TCP checksum (pseudo-header, header,
 * options and payload), after pkt_finish(). */
void pkt_checksums(struct pkt *p);
void pkt_truncate(struct pkt *p, size_t len);
/* Drop the Ethernet header (and any VLAN tags) so the frame starts at the IP
 * header, as on tun/PPP/wireguard interfaces. */
void pkt_strip_l2(struct pkt *p);

/* ---- the Internet checksum (RFC 1071) ------------------------------------ */

/* Add len bytes, as big-endian 16-bit words (an odd tail padded), to sum. */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);
/* Fold the carries of sum and complement it: the checksum to write. */
uint16_t inet_csum_fold(uint32_t sum);

#endif /* PPING_TEST_PACKETS_H */
