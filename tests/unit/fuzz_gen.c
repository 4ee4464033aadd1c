// SPDX-License-Identifier: GPL-2.0
/*
 * Frames for the datapath fuzzer. A segment is built in three steps: a
 * layout (VLAN tags, IPv4 options or IPv6 extension headers, how the TCP
 * option list is made), the frame from it with packets.h, then at most one
 * change to the finished bytes. A fault either changes the layout, so the
 * rest of the frame stays consistent (a VLAN stack deeper than the parser
 * walks, a long extension chain, a malformed option list), or mangles one
 * field (truncation, IHL, data offset, a length, the flags). Either way most
 * malformed frames still reach deep into the parser instead of failing at
 * the first header.
 *
 * Every option a careless parser might take for a timestamp carries the
 * segment's TSval and TSecr in the usual places, so an echo that the parser
 * wrongly accepted would match its identifier.
 */
#include <string.h>

#include "fuzz.h"

/* ========================================================================
 * Frames
 * ======================================================================== */

bool frame_insert(struct frame *f, size_t off, size_t n)
{
	if (f->len + n > FRAME_MAX || off > f->len)
		return false;
	memmove(f->b + off + n, f->b + off, f->len - off);
	memset(f->b + off, 0, n);
	f->len += n;
	if (f->l4 >= off)
		f->l4 += n;
	if (f->nh >= off)
		f->nh += n;
	return true;
}

void frame_strip_l2(struct frame *f)
{
	size_t cut = f->l3 < f->len ? f->l3 : f->len;

	memmove(f->b, f->b + cut, f->len - cut);
	f->len -= cut;
	f->l3 = 0;
	f->l4 = f->l4 > cut ? f->l4 - cut : 0;
	f->nh = f->nh > cut ? f->nh - cut : 0;
}

static void frame_from_pkt(struct frame *f, const struct pkt *p, size_t nh)
{
	memcpy(f->b, p->data, p->len);
	f->len = p->len;
	f->l3 = p->l3_off;
	f->l4 = p->l4_off;
	f->nh = nh;
	f->ipv = p->ipv;
	f->fault = "valid";
}

/* ========================================================================
 * Layouts
 * ======================================================================== */

enum opt_fault {
	OPT_VALID,       /* a valid list with the timestamp somewhere */
	OPT_NO_TS,       /* a valid list without one */
	OPT_EOL,         /* end of list before the timestamp */
	OPT_LEN0,        /* an option of length 0 before it */
	OPT_LEN1,        /* ... of length 1 */
	OPT_OVERSIZED,   /* ... whose length runs past the option area */
	OPT_SHIFTED,     /* ... a few bytes off, so the walk lands in the TS */
	OPT_HIDDEN,      /* a timestamp inside another option's body */
	OPT_TS_LEN,      /* a timestamp of length other than 10 (mostly 9, 11) */
	OPT_TWO_TS,      /* a bad-length timestamp, then a good one */
	OPT_PAST_DOFF,   /* the timestamp crosses the end of the option area */
	OPT_KIND_LAST,   /* only its kind byte is inside the area */
	OPT_PAST_HEADER, /* a list longer than 40 bytes, the TS beyond them */
};

struct layout {
	int vlans;             /* tags; the parser walks 2 */
	size_t ip_opts;        /* IPv4 option bytes, a multiple of 4 */
	int v6_ext;            /* extension headers; the parser walks 6 */
	int v6_frag_at;        /* where a fragment header sits in them, or -1 */
	uint16_t v6_frag_off;  /* its offset in 8-byte units (0: first fragment) */
	enum opt_fault opt;
};

/* What the option builder decided about the data offset: 0 to keep the
 * one packets.h derives from the list length. */
struct opt_plan {
	uint8_t doff;
};

static void random_layout(struct rng *r, struct layout *l)
{
	uint32_t v = rng_below(r, 100);

	memset(l, 0, sizeof(*l));
	l->vlans = v < 60 ? 0 : v < 85 ? 1 : 2;
	if (rng_pct(r, 30))
		l->ip_opts = 4 * rng_range(r, 1, 10);
	if (rng_pct(r, 50))
		l->v6_ext = (int)rng_range(r, 1, 6);
	l->v6_frag_at = l->v6_ext && rng_pct(r, 20) ? (int)rng_below(r, l->v6_ext) : -1;
	l->opt = OPT_VALID;
}

/* ========================================================================
 * TCP option lists
 * ======================================================================== */

/* Kinds no parser gives a meaning to here (experimental, unassigned). */
static const uint8_t other_kinds[] = { 30, 34, 253, 254 };

static uint8_t other_kind(struct rng *r)
{
	return other_kinds[rng_below(r, ARRAY_SIZE(other_kinds))];
}

/* Valid options other than the timestamp, while room allows. */
static void add_filler(struct rng *r, struct tcp_opts *o, size_t room)
{
	while (o->len < room && rng_pct(r, 55)) {
		size_t left = room - o->len;
		uint8_t raw[8];
		size_t n;

		switch (rng_below(r, 6)) {
		case 0:
			opt_nop(o);
			break;
		case 1:
			if (left >= 4)
				opt_mss(o, 1460);
			break;
		case 2:
			if (left >= 3)
				opt_wscale(o, 7);
			break;
		case 3:
			if (left >= 2)
				opt_sack_perm(o);
			break;
		case 4:
			n = left > 2 ? (left - 2) / 8 : 0;   /* blocks that fit */
			if (n)
				opt_sack(o, (int)rng_range(r, 1, n < 3 ? n : 3));
			break;
		default:
			if (left < 2)
				break;
			n = rng_range(r, 2, left < sizeof(raw) ? left : sizeof(raw));
			raw[0] = other_kind(r);
			raw[1] = (uint8_t)n;
			memset(raw + 2, (int)rng_below(r, 256), n - 2);
			opt_raw(o, raw, n);
		}
	}
}

/* A timestamp option whose length byte says len, always followed by the
 * segment's full TSval and TSecr. */
static void put_ts(struct tcp_opts *o, const struct seg *s, uint8_t len)
{
	opt_ts_claiming(o, s->tsval, s->tsecr, len);
}

static uint8_t bad_ts_len(struct rng *r)
{
	static const uint8_t others[] = { 0, 1, 2, 3, 8, 12, 18, 40, 255 };
	uint32_t v = rng_below(r, 100);

	if (v < 35)
		return 9;
	if (v < 70)
		return 11;
	return others[rng_below(r, ARRAY_SIZE(others))];
}

/* An option with any length byte and two bytes of body (an MSS of 1460). */
static void put_with_len(struct tcp_opts *o, uint8_t kind, uint8_t len)
{
	uint8_t raw[4] = { kind, len, 0x05, 0xb4 };

	opt_raw(o, raw, sizeof(raw));
}

/* The data offset that makes the option area end inside (or before) the
 * timestamp that starts at ts_at. */
static uint8_t doff_cutting(struct rng *r, size_t ts_at)
{
	size_t area = rng_range(r, (uint32_t)ts_at + 1, (uint32_t)ts_at + 9) & ~(size_t)3;

	return (uint8_t)(5 + area / 4);
}

static void make_opt_list(struct rng *r, struct tcp_opts *o, enum opt_fault f,
			  const struct seg *s, struct opt_plan *plan)
{
	size_t ts_at, pos, area;
	uint8_t raw[12], len;
	int i, n;

	opts_init(o);
	plan->doff = 0;
	switch (f) {
	case OPT_VALID:
		add_filler(r, o, 30);
		put_ts(o, s, 10);
		add_filler(r, o, 40);
		break;
	case OPT_NO_TS:
		add_filler(r, o, 40);
		break;
	case OPT_EOL:
		add_filler(r, o, 27);
		opt_eol(o);
		for (n = (int)rng_below(r, 3); n > 0; n--)
			opt_nop(o);
		put_ts(o, s, 10);
		break;
	case OPT_LEN0:
	case OPT_LEN1:
		add_filler(r, o, 28);
		raw[0] = rng_pct(r, 50) ? other_kind(r) : (uint8_t)rng_range(r, 2, 5);
		raw[1] = f == OPT_LEN0 ? 0 : 1;
		opt_raw(o, raw, 2);
		put_ts(o, s, 10);
		break;
	case OPT_OVERSIZED:
		add_filler(r, o, 26);
		pos = o->len;
		put_with_len(o, other_kind(r), 0);
		put_ts(o, s, 10);
		/* Just past the padded area, or anywhere beyond 40. */
		area = (o->len + 3) & ~(size_t)3;
		if (rng_pct(r, 50))
			o->b[pos + 1] = (uint8_t)(area - pos + rng_range(r, 1, 3));
		else
			o->b[pos + 1] = (uint8_t)rng_range(r, 41, 255);
		break;
	case OPT_SHIFTED:
		add_filler(r, o, 26);
		len = (uint8_t)(rng_pct(r, 50) ? rng_range(r, 2, 3) : rng_range(r, 5, 7));
		put_with_len(o, TCPOPT_MSS, len);
		put_ts(o, s, 10);
		break;
	case OPT_HIDDEN:
		add_filler(r, o, 28);
		raw[0] = other_kind(r);
		raw[1] = 12;
		raw[2] = TCPOPT_TS;
		raw[3] = 10;
		put_be32(raw + 4, s->tsval);
		put_be32(raw + 8, s->tsecr);
		opt_raw(o, raw, sizeof(raw));
		break;
	case OPT_TS_LEN:
		add_filler(r, o, 29);
		put_ts(o, s, bad_ts_len(r));
		break;
	case OPT_TWO_TS:
		add_filler(r, o, 18);
		put_ts(o, s, rng_pct(r, 50) ? 9 : 11);
		put_ts(o, s, 10);
		break;
	case OPT_PAST_DOFF:
		add_filler(r, o, 30);
		ts_at = o->len;
		put_ts(o, s, 10);
		plan->doff = doff_cutting(r, ts_at);
		break;
	case OPT_KIND_LAST:
		n = (int)rng_range(r, 1, 10);     /* area of 4n bytes */
		for (i = 0; i < 4 * n - 1; i++)
			opt_nop(o);
		put_ts(o, s, 10);
		plan->doff = (uint8_t)(5 + n);
		break;
	case OPT_PAST_HEADER:
		for (n = (int)rng_range(r, 31, 54); n > 0; n--)
			opt_nop(o);
		put_ts(o, s, 10);
		plan->doff = 15;
		break;
	}
}

/* ========================================================================
 * Building a segment from a layout
 * ======================================================================== */

static uint16_t vlan_tpid(struct rng *r)
{
	return rng_pct(r, 50) ? PKT_ETH_P_8021Q : PKT_ETH_P_8021AD;
}

static void add_l2(struct rng *r, struct pkt *p, int vlans, int ipv)
{
	uint16_t l3_type = ipv == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6;
	int i;

	pkt_eth(p, vlans ? vlan_tpid(r) : l3_type);
	for (i = 0; i < vlans; i++)
		pkt_vlan(p, (uint16_t)rng_range(r, 1, 4094),
			 i + 1 < vlans ? vlan_tpid(r) : l3_type);
}

/* IPv4 options: the parser only skips them, so their bytes are random. */
static size_t add_ipv4(struct rng *r, struct pkt *p, const struct seg *s,
		       size_t opt_len)
{
	const char *src = s->dir == PPING_DIR_OUT ? s->t->local : s->t->remote;
	const char *dst = s->dir == PPING_DIR_OUT ? s->t->remote : s->t->local;
	uint8_t opts[40];
	size_t i;

	for (i = 0; i < opt_len; i++)
		opts[i] = (uint8_t)rng_below(r, 256);
	pkt_ipv4_opts(p, src, dst, PKT_IPPROTO_TCP, opts, opt_len);
	return p->l3_off + 9;
}

static const uint8_t v6_ext_types[] = {
	PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_ROUTING, PKT_IPPROTO_DSTOPTS, PKT_IPPROTO_AH,
};

static size_t v6_ext_size(struct rng *r, uint8_t type)
{
	if (type == PKT_IPPROTO_AH)
		return 4 * rng_range(r, 3, 6);
	return 8 * rng_range(r, 1, 3);
}

/* IPv6 and its extension chain; returns the offset of the byte that names
 * TCP (the last next-header field). */
static size_t add_ipv6(struct rng *r, struct pkt *p, const struct seg *s,
		       const struct layout *l)
{
	const char *src = s->dir == PPING_DIR_OUT ? s->t->local : s->t->remote;
	const char *dst = s->dir == PPING_DIR_OUT ? s->t->remote : s->t->local;
	uint8_t types[16];
	size_t nh;
	int i;

	for (i = 0; i < l->v6_ext; i++)
		types[i] = i == l->v6_frag_at ? PKT_IPPROTO_FRAGMENT :
			   v6_ext_types[rng_below(r, ARRAY_SIZE(v6_ext_types))];
	pkt_ipv6(p, src, dst, l->v6_ext ? types[0] : PKT_IPPROTO_TCP);
	nh = p->l3_off + 6;
	for (i = 0; i < l->v6_ext; i++) {
		uint8_t next = i + 1 < l->v6_ext ? types[i + 1] : PKT_IPPROTO_TCP;

		nh = p->len;
		if (types[i] == PKT_IPPROTO_FRAGMENT)
			pkt_ipv6_frag(p, next, l->v6_frag_off, rng_pct(r, 50));
		else
			pkt_ipv6_ext(p, types[i], next, v6_ext_size(r, types[i]));
	}
	return nh;
}

static void build_seg(struct rng *r, struct frame *f, const struct seg *s,
		      const struct layout *l)
{
	struct opt_plan plan;
	struct tcp_opts o;
	struct pkt p;
	size_t nh;

	make_opt_list(r, &o, l->opt, s, &plan);
	pkt_init(&p);
	add_l2(r, &p, l->vlans, s->t->ipv);
	if (s->t->ipv == 4)
		nh = add_ipv4(r, &p, s, l->ip_opts);
	else
		nh = add_ipv6(r, &p, s, l);
	add_tcp(&p, s->t, s->dir, s->flags, &o, s->payload);
	/* Sequence and acknowledgement numbers for the SEQ/ACK rounds: half
	 * of them within 512 of the 2^32 wrap, so ranges and ACKs cross it. */
	pkt_tcp_seq(&p, rng_pct(r, 50) ? 0xffffff00u + rng_below(r, 0x200) :
					 (uint32_t)rng_next(r),
		    rng_pct(r, 50) ? 0xffffff00u + rng_below(r, 0x200) :
				     (uint32_t)rng_next(r));
	/* packets.h derives doff from the list length, which overflows the
	 * 4-bit field past 40 bytes: such lists get the largest header. */
	if (!plan.doff && o.len > 40)
		plan.doff = 15;
	if (plan.doff)
		pkt_tcp_doff(&p, plan.doff);
	frame_from_pkt(f, &p, nh);
}

void gen_valid(struct rng *r, struct frame *f, const struct seg *s)
{
	struct layout l;

	random_layout(r, &l);
	build_seg(r, f, s, &l);
}

/* ========================================================================
 * Faults
 * ======================================================================== */

static void set_ip_len(struct frame *f, uint16_t v)
{
	put_be16(f->b + f->l3 + (f->ipv == 4 ? 2 : 4), v);
}

static size_t tcp_hdr_len(const struct frame *f)
{
	return (size_t)(f->b[f->l4 + 12] >> 4) * 4;
}

static void mangle_truncate(struct rng *r, struct frame *f)
{
	f->len = rng_below(r, (uint32_t)f->len);
}

static void mangle_ihl(struct rng *r, struct frame *f)
{
	uint8_t *v = &f->b[f->l3];
	uint8_t ihl = (uint8_t)((*v & 0xf) + rng_range(r, 1, 15)) & 0xf;

	*v = (uint8_t)((*v & 0xf0) | ihl);
}

static void mangle_doff(struct rng *r, struct frame *f)
{
	uint8_t *v = &f->b[f->l4 + 12];
	uint8_t doff = (uint8_t)((*v >> 4) + rng_range(r, 1, 15)) & 0xf;

	*v = (uint8_t)((*v & 0x0f) | doff << 4);
}

/* An IP length that is short of the headers, or anything at all (longer
 * than the frame is still a valid, truncated, segment). */
static void mangle_ip_len(struct rng *r, struct frame *f)
{
	size_t before_tcp = f->l4 - f->l3 - (f->ipv == 6 ? 40 : 0);
	uint32_t tcp_len = (uint32_t)tcp_hdr_len(f);

	switch (rng_below(r, 4)) {
	case 0:
		set_ip_len(f, (uint16_t)rng_below(r, (uint32_t)before_tcp + 1));
		break;
	case 1:
		set_ip_len(f, (uint16_t)(before_tcp + rng_below(r, tcp_len + 1)));
		break;
	case 2:
		set_ip_len(f, (uint16_t)(f->len - f->l3 + rng_range(r, 1, 2000)));
		break;
	default:
		set_ip_len(f, (uint16_t)rng_below(r, 65536));
	}
}

static void mangle_version(struct rng *r, struct frame *f)
{
	uint8_t *v = &f->b[f->l3];
	uint8_t version = (uint8_t)((*v >> 4) + rng_range(r, 1, 15)) & 0xf;

	*v = (uint8_t)((*v & 0x0f) | version << 4);
}

/* A later fragment, or sometimes a first one (offset 0, more to come),
 * which still carries the TCP header. */
static void mangle_v4_frag(struct rng *r, struct frame *f)
{
	uint16_t off = rng_pct(r, 15) ? 0 : (uint16_t)rng_range(r, 1, 0x1fff);
	bool more = off == 0 || rng_pct(r, 50);

	put_be16(f->b + f->l3 + 6, (uint16_t)((more ? 0x2000 : 0) | off));
}

/*
 * Two destination-options headers right after the IPv6 header, of 512 or
 * 520 bytes each: the chain then ends exactly at the parser's 1024-byte
 * bound (valid) or beyond it.
 */
static void mangle_v6_bytes(struct rng *r, struct frame *f)
{
	size_t at = f->l3 + 40, len[2], i;
	uint8_t first = f->b[f->l3 + 6];
	bool tcp_named_by_ipv6 = f->nh == f->l3 + 6;

	for (i = 0; i < 2; i++)
		len[i] = rng_pct(r, 50) ? 512 : 520;
	if (!frame_insert(f, at, len[0] + len[1]))
		return;
	f->b[at] = PKT_IPPROTO_DSTOPTS;
	f->b[at + 1] = (uint8_t)(len[0] / 8 - 1);
	f->b[at + len[0]] = first;
	f->b[at + len[0] + 1] = (uint8_t)(len[1] / 8 - 1);
	f->b[f->l3 + 6] = PKT_IPPROTO_DSTOPTS;
	if (tcp_named_by_ipv6)
		f->nh = at + len[0];
	set_ip_len(f, (uint16_t)(f->len - f->l3 - 40));
}

static void mangle_not_tcp(struct rng *r, struct frame *f)
{
	static const uint8_t protos[] = {
		PKT_IPPROTO_UDP, PKT_IPPROTO_ICMP, PKT_IPPROTO_ICMPV6, 47 /* GRE */,
		50 /* ESP */, 59 /* no next header */, 135 /* mobility */,
	};

	f->b[f->nh] = rng_pct(r, 80) ? protos[rng_below(r, ARRAY_SIZE(protos))] :
				       (uint8_t)rng_below(r, 256);
	if (f->b[f->nh] == PKT_IPPROTO_TCP)
		f->b[f->nh] = PKT_IPPROTO_UDP;
}

/* The ethertype in front of IP: another protocol, one more tag, or the
 * other IP family (an IPv4 header read as IPv6 and back). */
static void mangle_ethertype(struct rng *r, struct frame *f)
{
	static const uint16_t types[] = {
		PKT_ETH_P_ARP, PKT_ETH_P_8021Q, PKT_ETH_P_8021AD, 0x88cc, 0x8847,
	};
	uint8_t *at = f->b + f->l3 - 2;

	switch (rng_below(r, 3)) {
	case 0:
		put_be16(at, types[rng_below(r, ARRAY_SIZE(types))]);
		break;
	case 1:
		put_be16(at, f->ipv == 4 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP);
		break;
	default:
		put_be16(at, (uint16_t)rng_below(r, 65536));
	}
}

/* Without ACK the echo must not match; or any flags at all. */
static void mangle_flags(struct rng *r, struct frame *f)
{
	uint8_t *flags = &f->b[f->l4 + 13];

	if (rng_pct(r, 50))
		*flags &= (uint8_t)~TCPF_ACK;
	else
		*flags = (uint8_t)rng_below(r, 256);
}

/* A few bit flips in the headers (and the first bytes after them). */
static void mangle_bits(struct rng *r, struct frame *f)
{
	size_t span = f->l4 + 60 < f->len ? f->l4 + 60 : f->len;
	int n;

	if (!span)
		return;
	for (n = (int)rng_range(r, 1, 4); n > 0; n--)
		f->b[rng_below(r, (uint32_t)span)] ^= (uint8_t)(1u << rng_below(r, 8));
}

static void layout_vlan_deep(struct rng *r, struct layout *l)
{
	l->vlans = (int)rng_range(r, 3, 6);
}

static void layout_v6_long(struct rng *r, struct layout *l)
{
	l->v6_ext = (int)rng_range(r, 7, 10);
	l->v6_frag_at = -1;
}

static void layout_v6_later_frag(struct rng *r, struct layout *l)
{
	if (!l->v6_ext)
		l->v6_ext = (int)rng_range(r, 1, 6);
	l->v6_frag_at = (int)rng_below(r, l->v6_ext);
	l->v6_frag_off = (uint16_t)rng_range(r, 1, 0x1fff);
}

struct fault {
	const char *name;
	unsigned int weight;
	int ipv;                  /* 4 or 6 if only for that family, else 0 */
	enum opt_fault opt;       /* how to build the option list */
	void (*layout)(struct rng *r, struct layout *l);   /* or NULL */
	void (*mangle)(struct rng *r, struct frame *f);    /* or NULL */
};

/*
 * Weights: the option walk is the deepest and subtlest part of the parser,
 * so malformed option lists get half of the malformed frames.
 */
static const struct fault faults[] = {
	{ "opt-eol-before-ts", 5, 0, OPT_EOL, NULL, NULL },
	{ "opt-len-0", 5, 0, OPT_LEN0, NULL, NULL },
	{ "opt-len-1", 5, 0, OPT_LEN1, NULL, NULL },
	{ "opt-oversized", 5, 0, OPT_OVERSIZED, NULL, NULL },
	{ "opt-len-shifted", 5, 0, OPT_SHIFTED, NULL, NULL },
	{ "opt-ts-hidden", 4, 0, OPT_HIDDEN, NULL, NULL },
	{ "ts-bad-len", 10, 0, OPT_TS_LEN, NULL, NULL },
	{ "ts-bad-then-good", 5, 0, OPT_TWO_TS, NULL, NULL },
	{ "ts-past-doff", 5, 0, OPT_PAST_DOFF, NULL, NULL },
	{ "ts-kind-last", 4, 0, OPT_KIND_LAST, NULL, NULL },
	{ "opts-past-40", 4, 0, OPT_PAST_HEADER, NULL, NULL },
	{ "no-ts-option", 2, 0, OPT_NO_TS, NULL, NULL },
	{ "truncated", 8, 0, OPT_VALID, NULL, mangle_truncate },
	{ "ihl", 4, 4, OPT_VALID, NULL, mangle_ihl },
	{ "doff", 5, 0, OPT_VALID, NULL, mangle_doff },
	{ "ip-length", 4, 0, OPT_VALID, NULL, mangle_ip_len },
	{ "ip-version", 2, 0, OPT_VALID, NULL, mangle_version },
	{ "ipv4-fragment", 3, 4, OPT_VALID, NULL, mangle_v4_frag },
	{ "ipv6-fragment", 3, 6, OPT_VALID, layout_v6_later_frag, NULL },
	{ "vlan-deep", 3, 0, OPT_VALID, layout_vlan_deep, NULL },
	{ "ipv6-chain-long", 3, 6, OPT_VALID, layout_v6_long, NULL },
	{ "ipv6-chain-1k", 2, 6, OPT_VALID, NULL, mangle_v6_bytes },
	{ "not-tcp", 3, 0, OPT_VALID, NULL, mangle_not_tcp },
	{ "ethertype", 2, 0, OPT_VALID, NULL, mangle_ethertype },
	{ "flags", 4, 0, OPT_VALID, NULL, mangle_flags },
	{ "bit-flips", 3, 0, OPT_VALID, NULL, mangle_bits },
};

static const struct fault *pick_fault(struct rng *r, int ipv)
{
	unsigned int total = 0, v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(faults); i++)
		if (!faults[i].ipv || faults[i].ipv == ipv)
			total += faults[i].weight;
	v = rng_below(r, total);
	for (i = 0; i < ARRAY_SIZE(faults); i++) {
		if (faults[i].ipv && faults[i].ipv != ipv)
			continue;
		if (v < faults[i].weight)
			return &faults[i];
		v -= faults[i].weight;
	}
	return &faults[0];
}

void gen_malformed(struct rng *r, struct frame *f, const struct seg *s)
{
	const struct fault *ft = pick_fault(r, s->t->ipv);
	struct layout l;

	random_layout(r, &l);
	l.opt = ft->opt;
	if (ft->layout)
		ft->layout(r, &l);
	build_seg(r, f, s, &l);
	if (ft->mangle)
		ft->mangle(r, f);
	/* Now and then a second, blunter, change on top. */
	if (ft->mangle != mangle_bits && rng_pct(r, 10))
		mangle_bits(r, f);
	f->fault = ft->name;
}

size_t gen_fault_names(const char **names, size_t max)
{
	size_t i, n = 0;

	names[n++] = "valid";
	names[n++] = "junk";
	for (i = 0; i < ARRAY_SIZE(faults) && n < max; i++)
		names[n++] = faults[i].name;
	return n;
}

int gen_fault_index(const char *name)
{
	const char *names[FUZZ_FAULTS_MAX];
	size_t i, n = gen_fault_names(names, FUZZ_FAULTS_MAX);

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* ========================================================================
 * Frames that are not TCP segments
 * ======================================================================== */

static void junk_other_proto(struct rng *r, struct frame *f,
			     const struct tuple *t, int dir)
{
	uint8_t proto = rng_pct(r, 50) ? PKT_IPPROTO_UDP :
			t->ipv == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6;
	struct pkt p;

	build_not_tcp(&p, t, dir, proto, rng_below(r, 100));
	if (proto != PKT_IPPROTO_UDP && rng_pct(r, 60)) {
		/* ICMP echo, odd or not: a reply, the other family's type,
		 * another type, a nonzero code, or cut in its header. */
		uint8_t *h = p.data + p.l4_off;

		switch (rng_below(r, 5)) {
		case 0: h[0] = t->ipv == 4 ? 0 : 129; break;
		case 1: h[0] = t->ipv == 4 ? 128 : 8; break;
		case 2: h[0] = (uint8_t)rng_below(r, 256); break;
		case 3: h[1] = (uint8_t)rng_range(r, 1, 255); break;
		default: pkt_truncate(&p, p.l4_off + rng_below(r, 8)); break;
		}
	}
	frame_from_pkt(f, &p, p.l3_off + (t->ipv == 4 ? 9 : 6));
}

/* Random bytes behind a plausible (or random) ethertype and IP version. */
static void junk_random(struct rng *r, struct frame *f)
{
	static const uint16_t types[] = {
		PKT_ETH_P_IP, PKT_ETH_P_IPV6, PKT_ETH_P_8021Q, PKT_ETH_P_8021AD,
	};
	size_t i;

	memset(f, 0, sizeof(*f));
	f->len = rng_below(r, 200);
	for (i = 0; i < f->len; i++)
		f->b[i] = (uint8_t)rng_below(r, 256);
	f->l3 = f->l4 = f->nh = 14;
	if (f->len >= 15 && rng_pct(r, 80)) {
		uint16_t type = types[rng_below(r, ARRAY_SIZE(types))];

		put_be16(f->b + 12, type);
		if (type == PKT_ETH_P_IP || type == PKT_ETH_P_IPV6) {
			f->ipv = type == PKT_ETH_P_IP ? 4 : 6;
			f->b[14] = (uint8_t)((f->ipv << 4) | (f->b[14] & 0xf));
		}
	}
}

void gen_junk(struct rng *r, struct frame *f, const struct tuple *t, int dir)
{
	if (rng_pct(r, 40))
		junk_other_proto(r, f, t, dir);
	else
		junk_random(r, f);
	f->fault = "junk";
}
