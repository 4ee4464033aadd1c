/*
 * pcapgen - synthetic TCP captures with known RTTs, for testing
 * `pping --read` (tests/e2e/test_replay.sh, tests/bench/replay_speed.sh).
 *
 *   pcapgen -o FILE [options]      write a capture; --expect prints the truth
 *   pcapgen --count FILE           read FILE with libpcap only: packets and
 *                                  packets/s, the floor for replay speed
 *
 * Options (DUR: an integer or decimal with unit ns, us, ms or s; bare = ns):
 *   -o, --output FILE    the capture to write
 *   -L, --link TYPE      en10mb (default), sll, sll2, raw, ipv4 or ipv6
 *       --pcapng         write pcapng (one section, one interface with
 *                        if_tsresol 9, enhanced packet blocks) instead of pcap
 *   -n, --flows N        connections (default 1)
 *   -f, --family F       4, 6, or 46 (even flows IPv4, odd IPv6); default 4
 *   -k, --exchanges N    request/reply exchanges per flow (default 10)
 *       --rtt-server DUR capture point -> server -> capture point (default 10ms)
 *       --rtt-client DUR capture point -> client -> capture point (default 1ms)
 *       --spacing DUR    from one exchange of a flow to the next (default
 *                        100ms; must exceed the two RTTs together)
 *       --start SEC[.F]  epoch time of the first packet (default 1700000000)
 *       --idle-gap DUR   flow 0 goes quiet for DUR after half its exchanges
 *                        (no FIN: an idle flow), then carries on
 *       --malformed      add odd packets to every exchange, none of which
 *                        may produce a sample (listed below)
 *       --wrap           TSvals start just below 2^32 and wrap mid-flow
 *       --payload N      payload bytes of requests and replies (default 100)
 *       --snaplen N      capture at most N bytes of each packet (default: all)
 *       --expect         print the ground truth on stdout (format below)
 *       --offset-of PKT  print "offset PKT BYTE_OFFSET RECORD_LENGTH" for the
 *                        PKT-th packet (1-based) of the written file
 *
 * The capture point sits between clients and servers; each flow is
 *
 *   t0              client SYN            TSval c0, TSecr 0
 *   t0+Rs           server SYN-ACK        TSval s0, TSecr c0    sample Rs
 *   t0+Rs+Rc        client ACK            TSval c1, TSecr s0    sample Rc
 *   then every --spacing, for exchange i = 0..k-1 (T = its start):
 *   T               client data           TSval c(2+2i), TSecr s(i)
 *   T+Rs            server data (reply)   TSval s(1+i), TSecr c(2+2i)  sample Rs
 *   T+Rs+Rc         client pure ACK       TSval c(3+2i), TSecr s(1+i)  sample Rc
 *   and a FIN / FIN-ACK / ACK exchange the same way (two more samples),
 *
 * with Rs = --rtt-server, Rc = --rtt-client. Every packet a side sends
 * carries a new TSval (a counter from a per-flow random start, skipping 0),
 * so with `pping --rate-limit 0` every packet that can elicit a reply (data,
 * SYN, FIN; not a pure ACK) is an identifier, and the first ACK of the other
 * side echoing it gives one sample of exactly Rs or Rc. Flow f starts at
 * --start + f * (spacing / flows), so flows interleave evenly.
 *
 * Addresses (flow f, h = f / 1000 + 1): IPv4 client 10.1.(h>>8).(h&255)
 * port 20000 + f % 1000, server 10.2.0.1 port 80; IPv6 client fd00:1::h
 * (low 32 bits), server fd00:2::1. So --local-net 10.1.0.0/16 (fd00:1::/64)
 * names the clients. Frames of the client carry MAC 02:00:00:00:00:01, of
 * the server 02:00:00:00:00:02; SLL/SLL2 mark client packets as outgoing.
 * IP and TCP checksums are valid.
 *
 * --malformed, per exchange, all from the server and echoing the outstanding
 * client TSval c(2+2i) as a TSecr would (so a parser that accepted one would
 * report a wrong RTT and then miss the real reply), between the request and
 * the reply unless said otherwise; the sender's TSval is its last one, not
 * a new one:
 *   ts-len-9      ACK, timestamp option with length 9 (but 10 bytes there)
 *   no-ack        valid timestamp option, flags PSH only (no ACK)
 *   past-doff     the option area (doff) ends inside the timestamp option;
 *                 the TSecr bytes are in the payload
 *   after-eol     an end-of-options (kind 0) before the timestamp option
 *   optlen-0      an option of length 0 before the timestamp option
 *   fragment      a non-first IP fragment whose data look like the reply's
 *                 TCP header (IPv4 offset, or an IPv6 fragment header)
 *   doff-4        TCP data offset 4 (below the minimum 5)
 *   snapped       a valid reply whose capture ends inside the option (the
 *                 captured length is cut, the wire length is whole)
 *   dup-reply     after the reply: a pure ACK repeating its TSval and TSecr
 *                 (an echo already matched)
 *
 * --expect prints, in capture order:
 *   sample PKT EPOCH_NS RTT_NS SRC_IP SRC_PORT DST_IP DST_PORT
 * one line per sample pping must report with --rate-limit 0 and no
 * --local-net; PKT is the 1-based number of the echoing packet in the file,
 * EPOCH_NS its capture time, SRC the replying end and DST the end whose TSval
 * was echoed (pping's RTT naming). With --local-net naming the clients only
 * the lines with a server as SRC remain. Then:
 *   count packets N
 *   count samples N
 *   count samples_server N     (lines with a server as SRC)
 *   count samples_client N
 *   count malformed N
 *
 * Build: make build/tests/pcapgen (with the packet builder, tests/lib/packets.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packets.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

/* pcapng writes LINKTYPE_ values (DLT_RAW is 12 or 14 in memory, 101 on disk). */
#define LINKTYPE_ETHERNET  1
#define LINKTYPE_RAW       101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_IPV4      228
#define LINKTYPE_IPV6      229
#define LINKTYPE_LINUX_SLL2 276

#define NS_PER_S 1000000000ULL
#define MAX_PAYLOAD 1400


enum link { L_EN10MB, L_SLL, L_SLL2, L_RAW, L_IPV4, L_IPV6 };

static const struct {
	const char *name;
	int dlt;
	uint16_t linktype;
} links[] = {
	[L_EN10MB] = { "en10mb", DLT_EN10MB, LINKTYPE_ETHERNET },
	[L_SLL]    = { "sll", DLT_LINUX_SLL, LINKTYPE_LINUX_SLL },
	[L_SLL2]   = { "sll2", DLT_LINUX_SLL2, LINKTYPE_LINUX_SLL2 },
	[L_RAW]    = { "raw", DLT_RAW, LINKTYPE_RAW },
	[L_IPV4]   = { "ipv4", DLT_IPV4, LINKTYPE_IPV4 },
	[L_IPV6]   = { "ipv6", DLT_IPV6, LINKTYPE_IPV6 },
};

/* Odd packets of --malformed, in the order they appear in an exchange. */
enum mal {
	M_TS_LEN_9, M_NO_ACK, M_PAST_DOFF, M_AFTER_EOL, M_OPTLEN_0,
	M_FRAGMENT, M_DOFF_4, M_SNAPPED,
	M_BEFORE_REPLY,          /* those above come before the reply */
	M_DUP_REPLY = M_BEFORE_REPLY,
	M_COUNT,
};

struct cfg {
	const char *out;
	enum link link;
	bool pcapng;
	uint32_t flows;
	int family;              /* 4, 6, or 46 */
	uint32_t exchanges;
	uint64_t rtt_s, rtt_c, spacing, start, idle_gap;
	bool malformed, wrap, expect;
	uint32_t payload, snaplen;
	uint64_t offset_of;
};

static struct cfg cfg = {
	.link = L_EN10MB,
	.flows = 1,
	.family = 4,
	.exchanges = 10,
	.rtt_s = 10000000,
	.rtt_c = 1000000,
	.spacing = 100000000,
	.start = 1700000000ULL * NS_PER_S,
	.payload = 100,
};

/* What one packet of a flow is. */
enum kind {
	K_SYN, K_SYNACK, K_HS_ACK,
	K_DATA, K_MAL, K_REPLY, K_ACK,
	K_FIN, K_FINACK, K_LAST_ACK,
};

struct step {
	enum kind kind;
	int mal;                 /* enum mal, for K_MAL */
	uint32_t ex;             /* exchange index */
	uint64_t t;              /* capture time, ns since the epoch */
};

/* One packet to write: its time and which step of which flow. */
struct slot {
	uint64_t t;
	uint32_t flow;
	uint32_t step;
};

static void die(const char *msg)
{
	fprintf(stderr, "pcapgen: %s\n", msg);
	exit(2);
}

/* ---- parsing the command line ------------------------------------------ */

/* "123", "1.5ms", "250us", "2s": exact integer nanoseconds. */
static int parse_dur(const char *s, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, fdiv = 1, mult;
	const char *p = s;
	int digits = 0, fdigits = 0;

	while (*p >= '0' && *p <= '9') {
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (fdiv < NS_PER_S) {   /* more than 9 digits: below 1 ns */
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			} else if (*p != '0') {
				return -1;
			}
			p++;
			fdigits++;
		}
	}
	if ((!digits && !fdigits) || digits > 12)
		return -1;
	if (!*p || !strcmp(p, "ns"))
		mult = 1;
	else if (!strcmp(p, "us"))
		mult = 1000;
	else if (!strcmp(p, "ms"))
		mult = 1000000;
	else if (!strcmp(p, "s"))
		mult = NS_PER_S;
	else
		return -1;
	if (frac * mult % fdiv)
		return -1;       /* below a nanosecond */
	*out = ip * mult + frac * mult / fdiv;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pcapgen -o FILE [-L en10mb|sll|sll2|raw|ipv4|ipv6] [--pcapng]\n"
		"               [-n FLOWS] [-f 4|6|46] [-k EXCHANGES] [--rtt-server DUR]\n"
		"               [--rtt-client DUR] [--spacing DUR] [--start SEC[.F]]\n"
		"               [--idle-gap DUR] [--malformed] [--wrap] [--payload N]\n"
		"               [--snaplen N] [--expect] [--offset-of PKT]\n"
		"       pcapgen --count FILE\n"
		"See the comment at the top of tests/tools/pcapgen.c.\n");
}

/* ---- the scenario ----------------------------------------------------------- */

static uint32_t steps_per_exchange(void)
{
	return 3 + (cfg.malformed ? M_COUNT : 0);
}

static uint32_t steps_per_flow(void)
{
	return 3 + cfg.exchanges * steps_per_exchange() + 3;
}

static uint64_t flow_t0(uint32_t f)
{
	return cfg.start + (uint64_t)f * (cfg.spacing / cfg.flows);
}

/* Start of exchange ex of flow f (ex == exchanges: the FIN exchange). */
static uint64_t exchange_t(uint32_t f, uint32_t ex)
{
	uint64_t t = flow_t0(f) + (uint64_t)(ex + 1) * cfg.spacing;

	if (f == 0 && cfg.idle_gap && ex >= cfg.exchanges / 2)
		t += cfg.idle_gap;
	return t;
}

/* Step j of flow f; steps of a flow are in time order. */
static struct step flow_step(uint32_t f, uint32_t j)
{
	uint32_t per = steps_per_exchange();
	struct step s = { 0 };
	uint64_t T;

	if (j < 3) {
		T = flow_t0(f);
		s.kind = K_SYN + j;
		s.t = T + (j >= 1 ? cfg.rtt_s : 0) + (j >= 2 ? cfg.rtt_c : 0);
		return s;
	}
	j -= 3;
	if (j >= cfg.exchanges * per) {
		j -= cfg.exchanges * per;
		s.ex = cfg.exchanges;
		T = exchange_t(f, cfg.exchanges);
		s.kind = K_FIN + j;
		s.t = T + (j >= 1 ? cfg.rtt_s : 0) + (j >= 2 ? cfg.rtt_c : 0);
		return s;
	}
	s.ex = j / per;
	j %= per;
	T = exchange_t(f, s.ex);
	/* data, the odd ones before the reply, reply, dup-reply, ACK */
	if (j == 0) {
		s.kind = K_DATA;
		s.t = T;
	} else if (cfg.malformed && j <= M_BEFORE_REPLY) {
		s.kind = K_MAL;
		s.mal = (int)j - 1;
		/* strictly between the request and the reply */
		s.t = T + cfg.rtt_s * j / (M_BEFORE_REPLY + 1);
	} else if (j == (cfg.malformed ? M_BEFORE_REPLY + 1 : 1)) {
		s.kind = K_REPLY;
		s.t = T + cfg.rtt_s;
	} else if (cfg.malformed && j == M_BEFORE_REPLY + 2) {
		s.kind = K_MAL;
		s.mal = M_DUP_REPLY;
		s.t = T + cfg.rtt_s + cfg.rtt_c / 2;
	} else {
		s.kind = K_ACK;
		s.t = T + cfg.rtt_s + cfg.rtt_c;
	}
	return s;
}

static int flow_family(uint32_t f)
{
	if (cfg.family == 46)
		return f % 2 ? 6 : 4;
	return cfg.family;
}

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* The n-th TSval of a side whose counter starts at base; never 0. */
static uint32_t tsval(uint32_t base, uint32_t n)
{
	uint64_t v = (uint64_t)base + n;

	return (uint32_t)(v > 0xffffffffULL ? v + 1 : v);
}

static uint32_t ts_base(uint32_t f, bool server)
{
	if (cfg.wrap)   /* each side wraps about halfway through the flow */
		return (uint32_t)(0xffffffffULL - (server ? cfg.exchanges / 2 :
						     cfg.exchanges));
	return (mix32(f * 2 + server + 1) & 0x3fffffff) + 0x1000;
}

struct endpoint {
	uint8_t ip[16];          /* IPv4 in the first 4 bytes */
	uint16_t port;
	uint8_t mac[6];
};

static void flow_endpoints(uint32_t f, struct endpoint *cli, struct endpoint *srv)
{
	uint32_t h = f / 1000 + 1;

	memset(cli, 0, sizeof(*cli));
	memset(srv, 0, sizeof(*srv));
	if (flow_family(f) == 4) {
		uint8_t c[4] = { 10, 1, (uint8_t)(h >> 8), (uint8_t)h };
		uint8_t s[4] = { 10, 2, 0, 1 };

		memcpy(cli->ip, c, 4);
		memcpy(srv->ip, s, 4);
	} else {
		uint8_t c[16] = { 0xfd, 0, 0, 1 }, s[16] = { 0xfd, 0, 0, 2 };

		c[12] = (uint8_t)(h >> 24);
		c[13] = (uint8_t)(h >> 16);
		c[14] = (uint8_t)(h >> 8);
		c[15] = (uint8_t)h;
		s[15] = 1;
		memcpy(cli->ip, c, 16);
		memcpy(srv->ip, s, 16);
	}
	cli->port = (uint16_t)(20000 + f % 1000);
	srv->port = 80;
	memcpy(cli->mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(srv->mac, "\x02\x00\x00\x00\x00\x02", 6);
}

/* ---- building packets ----------------------------------------------------------- */

/* The TCP segment (header, options, payload) the step describes. */
struct segment {
	uint8_t flags;
	uint32_t seq, ack;
	struct tcp_opts opts;
	int doff;                /* 0: from the option length */
	uint32_t payload;
	bool from_client;
	uint32_t tsval, tsecr;
	int ip_frag;             /* 1: a non-first fragment of it */
	bool snapped;            /* cut the capture inside the option */
};

static void build_segment(uint32_t f, const struct step *s, struct segment *g)
{
	uint32_t cb = ts_base(f, false), sb = ts_base(f, true);
	uint32_t isn_c = mix32(f * 2 + 101), isn_s = mix32(f * 2 + 102);
	uint32_t P = cfg.payload, ex = s->ex, K = cfg.exchanges;
	uint32_t cseq = isn_c + 1 + ex * P, sseq = isn_s + 1 + ex * P;
	struct tcp_opts *o = &g->opts;

	memset(g, 0, sizeof(*g));
	switch (s->kind) {
	case K_SYN:
		g->from_client = true;
		g->flags = TCPF_SYN;
		g->seq = isn_c;
		g->tsval = tsval(cb, 0);
		g->tsecr = 0;
		break;
	case K_SYNACK:
		g->flags = TCPF_SYN | TCPF_ACK;
		g->seq = isn_s;
		g->ack = isn_c + 1;
		g->tsval = tsval(sb, 0);
		g->tsecr = tsval(cb, 0);
		break;
	case K_HS_ACK:
		g->from_client = true;
		g->flags = TCPF_ACK;
		g->seq = isn_c + 1;
		g->ack = isn_s + 1;
		g->tsval = tsval(cb, 1);
		g->tsecr = tsval(sb, 0);
		break;
	case K_DATA:
		g->from_client = true;
		g->flags = TCPF_ACK | TCPF_PSH;
		g->seq = cseq;
		g->ack = sseq;
		g->payload = P;
		g->tsval = tsval(cb, 2 + 2 * ex);
		g->tsecr = tsval(sb, ex);
		break;
	case K_REPLY:
		g->flags = TCPF_ACK | TCPF_PSH;
		g->seq = sseq;
		g->ack = cseq + P;
		g->payload = P;
		g->tsval = tsval(sb, 1 + ex);
		g->tsecr = tsval(cb, 2 + 2 * ex);
		break;
	case K_ACK:
		g->from_client = true;
		g->flags = TCPF_ACK;
		g->seq = cseq + P;
		g->ack = sseq + P;
		g->tsval = tsval(cb, 3 + 2 * ex);
		g->tsecr = tsval(sb, 1 + ex);
		break;
	case K_FIN:
		g->from_client = true;
		g->flags = TCPF_FIN | TCPF_ACK;
		g->seq = isn_c + 1 + K * P;
		g->ack = isn_s + 1 + K * P;
		g->tsval = tsval(cb, 2 + 2 * K);
		g->tsecr = tsval(sb, K);
		break;
	case K_FINACK:
		g->flags = TCPF_FIN | TCPF_ACK;
		g->seq = isn_s + 1 + K * P;
		g->ack = isn_c + 2 + K * P;
		g->tsval = tsval(sb, K + 1);
		g->tsecr = tsval(cb, 2 + 2 * K);
		break;
	case K_LAST_ACK:
		g->from_client = true;
		g->flags = TCPF_ACK;
		g->seq = isn_c + 2 + K * P;
		g->ack = isn_s + 2 + K * P;
		g->tsval = tsval(cb, 3 + 2 * K);
		g->tsecr = tsval(sb, K + 1);
		break;
	case K_MAL:
		/* From the server, echoing the outstanding request. */
		g->flags = TCPF_ACK;
		g->seq = sseq;
		g->ack = cseq + P;
		g->tsval = tsval(sb, ex);
		g->tsecr = tsval(cb, 2 + 2 * ex);
		break;
	}

	if (s->kind == K_SYN || s->kind == K_SYNACK) {
		syn_opts(o, g->tsval, g->tsecr);   /* as Linux sends */
		return;
	}
	ts_opts(o, g->tsval, g->tsecr);        /* NOP NOP TS */
	if (s->kind != K_MAL)
		return;

	switch (s->mal) {
	case M_TS_LEN_9:
		o->b[3] = 9;
		break;
	case M_NO_ACK:
		g->flags = TCPF_PSH;
		break;
	case M_PAST_DOFF:
		/* doff covers NOP NOP kind len TSval; TSecr and 4 bytes of
		 * padding follow as "payload". */
		g->doff = 7;
		opt_nop(o);
		opt_nop(o);
		break;
	case M_AFTER_EOL:
		o->b[0] = TCPOPT_EOL;
		break;
	case M_OPTLEN_0:
		o->b[0] = TCPOPT_WSCALE;   /* with length 0 */
		o->b[1] = 0;
		break;
	case M_FRAGMENT:
		g->ip_frag = 1;
		break;
	case M_DOFF_4:
		g->doff = 4;
		break;
	case M_SNAPPED:
		g->snapped = true;
		break;
	case M_DUP_REPLY:
		g->tsval = tsval(sb, 1 + ex);
		g->seq = sseq + P;
		ts_opts(o, g->tsval, g->tsecr);
		break;
	}
}

/* The frame of a segment; *caplen: how much of it is captured. */
static void build_frame(uint32_t f, const struct segment *g, struct pkt *p,
			uint32_t *caplen)
{
	struct endpoint cli, srv;
	const struct endpoint *src, *dst;
	int fam = flow_family(f);
	uint16_t et = fam == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6;
	uint8_t *h;
	uint32_t i;

	flow_endpoints(f, &cli, &srv);
	src = g->from_client ? &cli : &srv;
	dst = g->from_client ? &srv : &cli;

	pkt_init(p);
	switch (cfg.link) {
	case L_EN10MB:
		pkt_eth_mac(p, dst->mac, src->mac, et);
		break;
	case L_SLL:
		h = pkt_put(p, 16);
		put_be16(h, g->from_client ? 4 : 0);   /* outgoing / to us */
		put_be16(h + 2, 1);                    /* ARPHRD_ETHER */
		put_be16(h + 4, 6);
		memcpy(h + 6, src->mac, 6);
		put_be16(h + 14, et);
		break;
	case L_SLL2:
		h = pkt_put(p, 20);
		put_be16(h, et);
		put_be32(h + 4, 2);                    /* ifindex */
		put_be16(h + 8, 1);                    /* ARPHRD_ETHER */
		h[10] = g->from_client ? 4 : 0;
		h[11] = 6;
		memcpy(h + 12, src->mac, 6);
		break;
	case L_RAW:
	case L_IPV4:
	case L_IPV6:
		break;
	}

	if (fam == 4) {
		pkt_ipv4_addrs(p, src->ip, dst->ip, PKT_IPPROTO_TCP, NULL, 0);
		/* DF, or for a non-first fragment offset 185 (1480 bytes) */
		if (g->ip_frag)
			pkt_ipv4_set_frag(p, false, 185);
		else
			pkt_ipv4_set_df(p);
	} else if (g->ip_frag) {
		pkt_ipv6_addrs(p, src->ip, dst->ip, PKT_IPPROTO_FRAGMENT);
		pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 185, false);   /* the last one */
	} else {
		pkt_ipv6_addrs(p, src->ip, dst->ip, PKT_IPPROTO_TCP);
	}
	pkt_tcp(p, src->port, dst->port, g->flags, &g->opts);
	pkt_tcp_seq(p, g->seq, g->ack);
	pkt_tcp_window(p, 502);
	if (g->doff)
		pkt_tcp_doff(p, (uint8_t)g->doff);
	h = pkt_put(p, g->payload);
	for (i = 0; i < g->payload; i++)
		h[i] = (uint8_t)('a' + (i + f) % 26);
	pkt_finish(p);
	pkt_checksums(p);

	*caplen = (uint32_t)p->len;
	if (g->snapped)   /* ends after TSval's first bytes */
		*caplen = (uint32_t)p->l4_off + 20 + 6;
	if (cfg.snaplen && *caplen > cfg.snaplen)
		*caplen = cfg.snaplen;
}

/* ---- writers -------------------------------------------------------------------- */

struct writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *ng;
	uint64_t offset;         /* bytes written so far */
};

static void ng_write(struct writer *w, const void *p, size_t len)
{
	if (fwrite(p, 1, len, w->ng) != len) {
		fprintf(stderr, "pcapgen: writing %s: %s\n", cfg.out, strerror(errno));
		exit(1);
	}
	w->offset += len;
}

static void ng_u32(struct writer *w, uint32_t v)
{
	ng_write(w, &v, 4);
}

static void writer_open(struct writer *w)
{
	memset(w, 0, sizeof(*w));
	if (cfg.pcapng) {
		uint16_t v16[2];
		int64_t section_len = -1;

		w->ng = fopen(cfg.out, "wb");
		if (!w->ng) {
			fprintf(stderr, "pcapgen: %s: %s\n", cfg.out, strerror(errno));
			exit(1);
		}
		/* Section header block, host byte order (the magic says which). */
		ng_u32(w, 0x0A0D0D0A);
		ng_u32(w, 28);
		ng_u32(w, 0x1A2B3C4D);
		v16[0] = 1;
		v16[1] = 0;
		ng_write(w, v16, 4);
		ng_write(w, &section_len, 8);
		ng_u32(w, 28);
		/* Interface description block: if_tsresol 9 (ns), end of options. */
		ng_u32(w, 1);
		ng_u32(w, 32);
		v16[0] = links[cfg.link].linktype;
		v16[1] = 0;
		ng_write(w, v16, 4);
		ng_u32(w, 262144);
		v16[0] = 9;
		v16[1] = 1;
		ng_write(w, v16, 4);
		ng_write(w, "\x09\0\0\0", 4);
		ng_u32(w, 0);
		ng_u32(w, 32);
		return;
	}
	w->dead = pcap_open_dead_with_tstamp_precision(links[cfg.link].dlt, 262144,
							PCAP_TSTAMP_PRECISION_NANO);
	if (!w->dead)
		die("pcap_open_dead failed");
	w->dumper = pcap_dump_open(w->dead, cfg.out);
	if (!w->dumper) {
		fprintf(stderr, "pcapgen: %s\n", pcap_geterr(w->dead));
		exit(1);
	}
	w->offset = 24;
}

/* Returns the record's length in the file. */
static uint32_t writer_packet(struct writer *w, uint64_t t, const uint8_t *data,
			      uint32_t caplen, uint32_t len)
{
	if (w->ng) {
		uint32_t pad = (4 - caplen % 4) % 4, total = 32 + caplen + pad;
		uint64_t before = w->offset;

		ng_u32(w, 6);
		ng_u32(w, total);
		ng_u32(w, 0);
		ng_u32(w, (uint32_t)(t >> 32));
		ng_u32(w, (uint32_t)t);
		ng_u32(w, caplen);
		ng_u32(w, len);
		ng_write(w, data, caplen);
		ng_write(w, "\0\0\0", pad);
		ng_u32(w, total);
		return (uint32_t)(w->offset - before);
	} else {
		struct pcap_pkthdr h;

		h.ts.tv_sec = (time_t)(t / NS_PER_S);
		h.ts.tv_usec = (suseconds_t)(t % NS_PER_S);   /* ns: NANO handle */
		h.caplen = caplen;
		h.len = len;
		pcap_dump((u_char *)w->dumper, &h, data);
		w->offset += 16 + caplen;
		return 16 + caplen;
	}
}

static void writer_close(struct writer *w)
{
	if (w->ng) {
		if (fclose(w->ng)) {
			fprintf(stderr, "pcapgen: closing %s: %s\n", cfg.out,
				strerror(errno));
			exit(1);
		}
		return;
	}
	if (pcap_dump_flush(w->dumper)) {
		fprintf(stderr, "pcapgen: writing %s failed\n", cfg.out);
		exit(1);
	}
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
}

/* ---- main ----------------------------------------------------------------------- */

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	return (x->step > y->step) - (x->step < y->step);
}

static void format_ip(char *buf, size_t len, const uint8_t *ip, int fam)
{
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)len);
}

/* The sample a step's packet completes, if any: true for replies. */
static bool step_sample(const struct step *s, uint64_t *rtt, bool *by_server)
{
	switch (s->kind) {
	case K_SYNACK:
	case K_REPLY:
	case K_FINACK:
		*rtt = cfg.rtt_s;
		*by_server = true;
		return true;
	case K_HS_ACK:
	case K_ACK:
	case K_LAST_ACK:
		*rtt = cfg.rtt_c;
		*by_server = false;
		return true;
	default:
		return false;
	}
}

static int count_file(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct timespec a, b;
	uint64_t n = 0;
	volatile uint8_t sink = 0;
	double secs;
	pcap_t *pc;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	if (!pc) {
		fprintf(stderr, "pcapgen: %s\n", errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		n++;
		if (h->caplen)   /* touch the data, as a reader would */
			sink ^= d[h->caplen - 1];
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "pcapgen: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("read %llu packets in %.3f s (%.0f packets/s)\n",
	       (unsigned long long)n, secs, secs > 0 ? (double)n / secs : 0.0);
	(void)sink;
	return rc == PCAP_ERROR ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum {
		O_PCAPNG = 256, O_RTT_S, O_RTT_C, O_SPACING, O_START, O_IDLE,
		O_MAL, O_WRAP, O_PAYLOAD, O_SNAPLEN, O_EXPECT, O_OFFSET, O_COUNT,
	};
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "link", required_argument, NULL, 'L' },
		{ "pcapng", no_argument, NULL, O_PCAPNG },
		{ "flows", required_argument, NULL, 'n' },
		{ "family", required_argument, NULL, 'f' },
		{ "exchanges", required_argument, NULL, 'k' },
		{ "rtt-server", required_argument, NULL, O_RTT_S },
		{ "rtt-client", required_argument, NULL, O_RTT_C },
		{ "spacing", required_argument, NULL, O_SPACING },
		{ "start", required_argument, NULL, O_START },
		{ "idle-gap", required_argument, NULL, O_IDLE },
		{ "malformed", no_argument, NULL, O_MAL },
		{ "wrap", no_argument, NULL, O_WRAP },
		{ "payload", required_argument, NULL, O_PAYLOAD },
		{ "snaplen", required_argument, NULL, O_SNAPLEN },
		{ "expect", no_argument, NULL, O_EXPECT },
		{ "offset-of", required_argument, NULL, O_OFFSET },
		{ "count", required_argument, NULL, O_COUNT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t n_pkts, i, samples = 0, by_srv = 0, n_mal = 0, rec_offset = 0;
	uint32_t per_flow, f, j, off_len = 0, fam_check;
	struct slot *slots;
	struct writer w;
	struct pkt frame;
	int opt, k;

	while ((opt = getopt_long(argc, argv, "o:L:n:f:k:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			cfg.out = optarg;
			break;
		case 'L':
			for (k = 0; k < (int)(sizeof(links) / sizeof(links[0])); k++)
				if (!strcmp(optarg, links[k].name))
					break;
			if (k == (int)(sizeof(links) / sizeof(links[0])))
				die("--link: en10mb, sll, sll2, raw, ipv4 or ipv6");
			cfg.link = (enum link)k;
			break;
		case O_PCAPNG:
			cfg.pcapng = true;
			break;
		case 'n':
			if (parse_u32(optarg, 1, 1000000, &cfg.flows))
				die("--flows: 1 to 1000000");
			break;
		case 'f':
			if (!strcmp(optarg, "4") || !strcmp(optarg, "6") ||
			    !strcmp(optarg, "46"))
				cfg.family = atoi(optarg);
			else
				die("--family: 4, 6 or 46");
			break;
		case 'k':
			if (parse_u32(optarg, 0, 100000000, &cfg.exchanges))
				die("--exchanges: 0 to 100000000");
			break;
		case O_RTT_S:
			if (parse_dur(optarg, &cfg.rtt_s) || cfg.rtt_s < 1000)
				die("--rtt-server: a duration of at least 1us");
			break;
		case O_RTT_C:
			if (parse_dur(optarg, &cfg.rtt_c) || cfg.rtt_c < 1000)
				die("--rtt-client: a duration of at least 1us");
			break;
		case O_SPACING:
			if (parse_dur(optarg, &cfg.spacing) || !cfg.spacing)
				die("--spacing: a duration above 0");
			break;
		case O_START: {
			char sec[64];

			/* Seconds, exact to the ns: the duration parser with "s". */
			if (strlen(optarg) > 40 || strpbrk(optarg, "nmus"))
				die("--start: epoch seconds, SEC or SEC.FRACTION");
			snprintf(sec, sizeof(sec), "%ss", optarg);
			if (parse_dur(sec, &cfg.start))
				die("--start: epoch seconds, SEC or SEC.FRACTION");
			break;
		}
		case O_IDLE:
			if (parse_dur(optarg, &cfg.idle_gap))
				die("--idle-gap: a duration");
			break;
		case O_MAL:
			cfg.malformed = true;
			break;
		case O_WRAP:
			cfg.wrap = true;
			break;
		case O_PAYLOAD:
			if (parse_u32(optarg, 1, MAX_PAYLOAD, &cfg.payload))
				die("--payload: 1 to 1400");
			break;
		case O_SNAPLEN:
			if (parse_u32(optarg, 60, 65535, &cfg.snaplen))
				die("--snaplen: 60 to 65535");
			break;
		case O_EXPECT:
			cfg.expect = true;
			break;
		case O_OFFSET:
			if (parse_u32(optarg, 1, 0xffffffffU, &off_len))
				die("--offset-of: a packet number from 1");
			cfg.offset_of = off_len;
			off_len = 0;
			break;
		case O_COUNT:
			return count_file(optarg);
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !cfg.out) {
		usage(stderr);
		return 2;
	}
	fam_check = cfg.link == L_IPV4 ? 4 : cfg.link == L_IPV6 ? 6 : 0;
	if (fam_check && (uint32_t)cfg.family != fam_check)
		die("--link ipv4/ipv6 needs --family 4/6 to match");
	if (cfg.spacing <= cfg.rtt_s + cfg.rtt_c)
		die("--spacing must exceed --rtt-server + --rtt-client");

	per_flow = steps_per_flow();
	n_pkts = (uint64_t)per_flow * cfg.flows;
	if (n_pkts > 200000000ULL)
		die("too many packets (at most 200M)");
	slots = malloc(n_pkts * sizeof(*slots));
	if (!slots)
		die("out of memory");
	for (f = 0, i = 0; f < cfg.flows; f++)
		for (j = 0; j < per_flow; j++, i++) {
			slots[i].t = flow_step(f, j).t;
			slots[i].flow = f;
			slots[i].step = j;
		}
	qsort(slots, n_pkts, sizeof(*slots), cmp_slot);

	writer_open(&w);
	for (i = 0; i < n_pkts; i++) {
		struct step s = flow_step(slots[i].flow, slots[i].step);
		struct segment g;
		uint32_t caplen, rec;
		uint64_t start_off = w.offset, rtt;
		bool srv;

		build_segment(slots[i].flow, &s, &g);
		build_frame(slots[i].flow, &g, &frame, &caplen);
		rec = writer_packet(&w, s.t, frame.data, caplen, (uint32_t)frame.len);
		if (cfg.offset_of == i + 1) {
			rec_offset = start_off;
			off_len = rec;
		}
		if (s.kind == K_MAL)
			n_mal++;
		if (step_sample(&s, &rtt, &srv)) {
			samples++;
			by_srv += srv;
			if (cfg.expect) {
				struct endpoint cli, sv;
				char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
				int fam = flow_family(slots[i].flow);

				flow_endpoints(slots[i].flow, &cli, &sv);
				format_ip(a, sizeof(a), srv ? sv.ip : cli.ip, fam);
				format_ip(b, sizeof(b), srv ? cli.ip : sv.ip, fam);
				printf("sample %llu %llu %llu %s %u %s %u\n",
				       (unsigned long long)(i + 1),
				       (unsigned long long)s.t,
				       (unsigned long long)rtt, a,
				       srv ? sv.port : cli.port, b,
				       srv ? cli.port : sv.port);
			}
		}
	}
	writer_close(&w);
	free(slots);

	if (cfg.expect) {
		printf("count packets %llu\n", (unsigned long long)n_pkts);
		printf("count samples %llu\n", (unsigned long long)samples);
		printf("count samples_server %llu\n", (unsigned long long)by_srv);
		printf("count samples_client %llu\n",
		       (unsigned long long)(samples - by_srv));
		printf("count malformed %llu\n", (unsigned long long)n_mal);
	}
	if (cfg.offset_of) {
		if (!off_len) {
			fprintf(stderr, "pcapgen: --offset-of %llu: the file has %llu packets\n",
				(unsigned long long)cfg.offset_of,
				(unsigned long long)n_pkts);
			return 1;
		}
		printf("offset %llu %llu %u\n", (unsigned long long)cfg.offset_of,
		       (unsigned long long)rec_offset, off_len);
	}
	return 0;
}
