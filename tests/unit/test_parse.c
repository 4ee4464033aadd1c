// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing: where the timestamp option sits in the option list, malformed
 * options, VLAN tags, IPv4 options and fragments, IPv6 extension headers.
 * Each case is one egress packet, described by its layout, in a fresh
 * environment, and how the datapath must take it (expect_one_pkt): its
 * TSval stored as an identifier, a TCP segment without a usable
 * timestamp, or not TCP at all.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define CASE_TSVAL 0x01020304u

/* IPv4 fragment field values (flags and offset in 8-byte units). */
#define IP_DF 0x4000
#define IP_MF 0x2000

/*
 * An egress data segment of T4 (T6 with ipv 6): by default ACK, 100 bytes
 * of payload, options NOP NOP TS with TSval CASE_TSVAL, no VLAN tag, IPv4
 * without options or fragment fields, IPv6 without extension headers.
 */
struct layout {
	int ipv;                 /* 0: 4 */
	int vlans;               /* tags; the outermost 802.1ad if several */
	const uint8_t *ip_opts;  /* IPv4 options, ip_opts_len bytes */
	size_t ip_opts_len;
	uint16_t frag;           /* IPv4 flags and fragment offset */
	const char *ext;         /* IPv6 extension headers, spelled (ext_word) */
	const char *opts;        /* TCP options, spelled (opt_word) */
	__u8 flags;              /* 0: ACK */
	bool empty;              /* no payload */
	__u8 doff;               /* 0: the one the options need */
	size_t cut;              /* 0: the whole frame; else where it ends,
				  * counted from the TCP header */
	void (*mangle)(struct pkt *p);   /* a last change, or NULL */
};

struct parse_case {
	const char *name;
	enum pkt_verdict want;
	struct layout l;
};

/* ========================================================================
 * Spelling headers out: words separated by spaces, each followed by *N to
 * repeat it N times.
 * ======================================================================== */

/*
 * TCP options: nop, eol, mss, ws, sackok, sackN (N blocks), ts (TSval, TSecr
 * 0), tsN (the same with length byte N, cut or padded to it), K:L (kind K,
 * length byte L, nothing more).
 */
static void opt_word(const char *w, void *opts)
{
	struct tcp_opts *o = opts;
	unsigned int a, b;

	if (!strcmp(w, "nop"))
		opt_nop(o);
	else if (!strcmp(w, "eol"))
		opt_eol(o);
	else if (!strcmp(w, "mss"))
		opt_mss(o, 1460);
	else if (!strcmp(w, "ws"))
		opt_wscale(o, 7);
	else if (!strcmp(w, "sackok"))
		opt_sack_perm(o);
	else if (sscanf(w, "sack%u", &a) == 1)
		opt_sack(o, (int)a);
	else if (!strcmp(w, "ts"))
		opt_ts(o, CASE_TSVAL, 0);
	else if (sscanf(w, "ts%u", &a) == 1)
		opt_ts_len(o, CASE_TSVAL, 0, (uint8_t)a);
	else if (sscanf(w, "%u:%u", &a, &b) == 2)
		opt_raw(o, (const uint8_t[]){ (uint8_t)a, (uint8_t)b }, 2);
	else
		assert(!"unknown option word");
}

/* IPv6 extension headers: hbhN, dstN, rtN, ahN (N bytes long), fragN (a
 * fragment header, offset N in 8 bytes) or fragN+ (more to come). */
struct ext_chain {
	struct {
		uint8_t type;
		size_t len;       /* or the fragment offset */
		bool more;
	} x[16];
	size_t n;
};

static void ext_word(const char *w, void *chain)
{
	static const struct {
		const char *name;
		uint8_t type;
	} types[] = {
		{ "hbh", PKT_IPPROTO_HOPOPTS }, { "dst", PKT_IPPROTO_DSTOPTS },
		{ "rt", PKT_IPPROTO_ROUTING }, { "ah", PKT_IPPROTO_AH },
		{ "frag", PKT_IPPROTO_FRAGMENT },
	};
	struct ext_chain *c = chain;
	size_t i, n;

	assert(c->n < ARRAY_SIZE(c->x));
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		n = strlen(types[i].name);
		if (!strncmp(w, types[i].name, n)) {
			c->x[c->n].type = types[i].type;
			c->x[c->n].len = strtoul(w + n, NULL, 10);
			c->x[c->n].more = w[strlen(w) - 1] == '+';
			c->n++;
			return;
		}
	}
	assert(!"unknown extension header word");
}

/* word(w, ctx) for each word of spell, repetitions spelled out. */
static void spell(const char *spell, void (*word)(const char *w, void *ctx),
		  void *ctx)
{
	char w[16], *star;
	int used, rep;

	while (spell && sscanf(spell, "%15s%n", w, &used) == 1) {
		spell += used;
		star = strchr(w, '*');
		rep = star ? atoi(star + 1) : 1;
		if (star)
			*star = 0;
		while (rep-- > 0)
			word(w, ctx);
	}
}

/* ========================================================================
 * Building a case and checking it
 * ======================================================================== */

static void add_vlans(struct pkt *p, int vlans, uint16_t l3_type)
{
	int i;

	pkt_eth(p, vlans > 1 ? PKT_ETH_P_8021AD : vlans ? PKT_ETH_P_8021Q : l3_type);
	for (i = vlans; i > 0; i--)
		pkt_vlan(p, (uint16_t)(100 * i), i > 1 ? PKT_ETH_P_8021Q : l3_type);
}

static void add_ipv6_chain(struct pkt *p, const struct tuple *t, const char *ext)
{
	struct ext_chain c = { .n = 0 };
	uint8_t next;
	size_t i;

	spell(ext, ext_word, &c);
	pkt_ipv6(p, t->local, t->remote, c.n ? c.x[0].type : PKT_IPPROTO_TCP);
	for (i = 0; i < c.n; i++) {
		next = i + 1 < c.n ? c.x[i + 1].type : PKT_IPPROTO_TCP;
		if (c.x[i].type == PKT_IPPROTO_FRAGMENT)
			pkt_ipv6_frag(p, next, (uint16_t)c.x[i].len, c.x[i].more);
		else
			pkt_ipv6_ext(p, c.x[i].type, next, c.x[i].len);
	}
}

static void build_case(struct pkt *p, const struct layout *l)
{
	const struct tuple *t = l->ipv == 6 ? &T6 : &T4;
	struct tcp_opts o;

	opts_init(&o);
	spell(l->opts ? l->opts : "nop nop ts", opt_word, &o);
	pkt_init(p);
	add_vlans(p, l->vlans, t->ipv == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6);
	if (t->ipv == 4) {
		pkt_ipv4_opts(p, t->local, t->remote, PKT_IPPROTO_TCP, l->ip_opts,
			      l->ip_opts_len);
		put_be16(p->data + p->l3_off + 6, l->frag);
	} else {
		add_ipv6_chain(p, t, l->ext);
	}
	add_tcp(p, t, PPING_DIR_OUT, l->flags ?: TCPF_ACK, &o, l->empty ? 0 : 100);
	if (l->doff)
		pkt_tcp_doff(p, l->doff);
	if (l->cut)
		pkt_truncate(p, p->l4_off + l->cut);
	if (l->mangle)
		l->mangle(p);
}

static bool check_case(const struct parse_case *c)
{
	const struct tuple *t = c->l.ipv == 6 ? &T6 : &T4;
	struct env *e;
	struct pkt p;

	build_case(&p, &c->l);
	CHECK(expect_one_pkt(&e, &CFG_TC, RUN_EGRESS, &p, c->want));
	return c->want != TIMESTAMPED || expect_ts(e, t, CASE_TSVAL, PPING_DIR_OUT);
}

static bool check_cases(const struct parse_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!check_case(&cases[i]))
			return fail_prefix(cases[i].name);
	return true;
}

/* ========================================================================
 * Where the timestamp option sits in the option list
 * ======================================================================== */

static bool test_ts_option_positions(void)
{
	static const struct parse_case cases[] = {
		/* Two EOL bytes of padding after it. */
		{ "first option, no padding", TIMESTAMPED, { .opts = "ts" } },
		{ "after NOP NOP", TIMESTAMPED, { .opts = "nop nop ts" } },
		/* Linux's SYN. */
		{ "SYN: MSS SACK-perm TS NOP WS", TIMESTAMPED,
		  { .opts = "mss sackok ts nop ws", .flags = TCPF_SYN, .empty = true } },
		{ "after MSS SACK-perm NOP WS NOP", TIMESTAMPED,
		  { .opts = "mss sackok nop ws nop ts", .flags = TCPF_SYN, .empty = true } },
		/* 32 bytes, doff 13. */
		{ "after 2 SACK blocks", TIMESTAMPED, { .opts = "nop nop sack2 nop nop ts" } },
		/* Exactly 40 bytes. */
		{ "after 3 SACK blocks (doff 15)", TIMESTAMPED,
		  { .opts = "nop nop sack3 nop nop ts" } },
		/* The TS ends on the last byte of a doff=15 header, and the
		 * walk needs 31 steps to get there. */
		{ "last position after 30 NOPs (doff 15)", TIMESTAMPED,
		  { .opts = "nop*30 ts" } },
	};
	struct pkt p;

	/* Sanity of the builder itself: the doff=15 cases fill 60 bytes. */
	build_case(&p, &cases[ARRAY_SIZE(cases) - 1].l);
	CHECK(expect_eq("doff of the last-position packet", p.data[p.l4_off + 12] >> 4, 15));
	return check_cases(cases, ARRAY_SIZE(cases));
}

/* ========================================================================
 * Malformed options never produce an identifier (nor a flow). While the
 * fixed header is consistent the parser still takes the segment for TCP;
 * an impossible TCP header is not TCP at all (parse.bpf.h: "anything that
 * is not a well-formed TCP segment yields PARSE_NOT_TCP").
 * ======================================================================== */

static bool test_malformed_options(void)
{
	static const struct parse_case cases[] = {
		{ "TS length 9", TCP_NO_TS, { .opts = "nop nop ts9" } },
		{ "TS length 11", TCP_NO_TS, { .opts = "nop nop ts11" } },
		/* A zero length would make a careless walk spin in place. */
		{ "option length 0", TCP_NO_TS, { .opts = "2:0 nop nop ts" } },
		/* Length 1 is impossible (kind + length are 2 bytes). A walk
		 * that trusted it would step onto the length byte, read it as
		 * a NOP, and find the TS that follows. */
		{ "option length 1", TCP_NO_TS, { .opts = "30:1 ts" } },
		/* NOP NOP TS is 12 bytes but doff says 8: the TS crosses into
		 * the payload, which the frame still holds. */
		{ "TS running past doff", TCP_NO_TS, { .doff = 7 } },
		/* The option area (doff 6) is NOP NOP NOP and the TS kind
		 * byte; its length and body lie in the payload. */
		{ "TS kind in the last byte of the option area", TCP_NO_TS,
		  { .opts = "nop*3 ts", .doff = 6 } },
		/* The IP and TCP headers describe a whole segment, but the
		 * frame ends 5 bytes into the TS option (after kind, length,
		 * 3 TSval bytes). */
		{ "frame cut inside the TS option", TCP_NO_TS, { .cut = 20 + 2 + 5 } },
		/* doff 15 and an IP length that covers it, but the frame is
		 * cut after 20 NOPs: the TS (after 30 NOPs) lies past the
		 * frame end. */
		{ "option area past the frame end", TCP_NO_TS,
		  { .opts = "nop*30 ts", .cut = 20 + 20 } },
		/* End of option list: what follows is padding, not options. */
		{ "EOL before TS", TCP_NO_TS, { .opts = "eol nop ts" } },
		{ "doff 4", NOT_TCP, { .doff = 4 } },
		/* doff 15 (60 bytes) on a 32-byte segment whose IP length
		 * matches the frame: the header claims bytes that are not
		 * there. */
		{ "doff past the segment end", NOT_TCP,
		  { .flags = TCPF_ACK | TCPF_FIN, .empty = true, .doff = 15 } },
	};

	return check_cases(cases, ARRAY_SIZE(cases));
}

/* ========================================================================
 * VLAN tags
 * ======================================================================== */

static bool test_vlan(void)
{
	static const struct parse_case cases[] = {
		{ "802.1Q", TIMESTAMPED, { .vlans = 1 } },
		{ "QinQ 802.1ad + 802.1Q", TIMESTAMPED, { .vlans = 2 } },
		/* Only MAX_VLAN_TAGS (2) are walked; the third looks like an
		 * unknown ethertype. */
		{ "three tags", NOT_TCP, { .vlans = 3 } },
	};

	return check_cases(cases, ARRAY_SIZE(cases));
}

/* ========================================================================
 * IPv4 options and fragments
 * ======================================================================== */

static void ihl_4(struct pkt *p)
{
	p->data[p->l3_off] = 0x44;
	/* A parser that took IHL 4 would read "TCP" from the destination
	 * address on; make the doff it would see there (the real header's
	 * ack number) plausible, so only the IHL check can reject it. */
	p->data[p->l4_off + 8] = 0x80;
}

static bool test_ipv4(void)
{
	static const uint8_t router_alert[] = { 0x94, 0x04, 0x00, 0x00 };
	/* Router alert, then NOPs and an EOL. */
	static const uint8_t alert_nops[] = { 0x94, 0x04, 0x00, 0x00, 1, 1, 1, 1,
					      1, 1, 1, 0 };
	static const struct parse_case cases[] = {
		{ "IHL 6", TIMESTAMPED, { .ip_opts = router_alert, .ip_opts_len = 4 } },
		{ "IHL 8", TIMESTAMPED, { .ip_opts = alert_nops, .ip_opts_len = 12 } },
		/* Offset 0 with More Fragments: the TCP header is here. */
		{ "first fragment with MF", TIMESTAMPED, { .frag = IP_MF } },
		/* As on most TCP packets: must not look like a fragment. */
		{ "DF set", TIMESTAMPED, { .frag = IP_DF } },
		/* Offset 185 (1480 bytes): the bytes after the IP header are
		 * payload even though they happen to look like a TCP header
		 * with a TS. */
		{ "non-first fragment", NOT_TCP, { .frag = 185 } },
		{ "non-first fragment with MF", NOT_TCP, { .frag = IP_MF | 1 } },
		{ "IHL 4", NOT_TCP, { .mangle = ihl_4 } },
	};

	return check_cases(cases, ARRAY_SIZE(cases));
}

/* ========================================================================
 * IPv6 and its extension headers
 * ======================================================================== */

/* Payload length smaller than the extension headers. */
static void ipv6_len_16(struct pkt *p)
{
	put_be16(p->data + p->l3_off + 4, 16);
}

static bool test_ipv6(void)
{
	static const struct parse_case cases[] = {
		{ "plain", TIMESTAMPED, { .ipv = 6 } },
		{ "hop-by-hop + dst options + routing", TIMESTAMPED,
		  { .ipv = 6, .ext = "hbh8 dst16 rt24" } },
		/* AH counts its length in 4-byte units minus 2. */
		{ "hop-by-hop + AH", TIMESTAMPED, { .ipv = 6, .ext = "hbh8 ah24" } },
		{ "first fragment", TIMESTAMPED, { .ipv = 6, .ext = "frag0+" } },
		{ "6 extension headers (the bound)", TIMESTAMPED,
		  { .ipv = 6, .ext = "hbh8 dst8*5" } },
		{ "non-first fragment", NOT_TCP, { .ipv = 6, .ext = "frag100+" } },
		/* Offset 1 (8 bytes), no M flag: only the low offset bit is
		 * set. */
		{ "last fragment, offset 8", NOT_TCP, { .ipv = 6, .ext = "frag1" } },
		{ "7 extension headers", NOT_TCP, { .ipv = 6, .ext = "hbh8 dst8*6" } },
		{ "payload length shorter than the ext headers", NOT_TCP,
		  { .ipv = 6, .ext = "hbh8 dst16 rt24", .mangle = ipv6_len_16 } },
	};

	return check_cases(cases, ARRAY_SIZE(cases));
}

DEFINE_TESTS(parse,
	{ "ts_option_positions", test_ts_option_positions },
	{ "malformed_options", test_malformed_options },
	{ "vlan", test_vlan },
	{ "ipv4_options_fragments", test_ipv4 },
	{ "ipv6_ext_headers", test_ipv6 }
);
