// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing: where the timestamp option sits in the option list, malformed
 * options, VLAN tags, IPv4 options and fragments, IPv6 extension headers.
 * Each case is one egress packet in a fresh environment, checked for the
 * identifier it must (or must not) leave.
 */
#include "harness.h"

/*
 * One egress data packet with the options o, in a fresh environment, must
 * produce exactly the identifier (tuple T4, tsval, OUT). Shared by the
 * option-position cases.
 */
static bool expect_stored_from(const struct pkt *p, __u32 tsval)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("ts_created", c.ts_created, 1));
	REQUIRE(expect_ts(&e, &T4, tsval, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/*
 * One egress packet that must not count as TCP at all (not IP, not TCP, a
 * non-first fragment, an inconsistent TCP header): counted in pkts only,
 * nothing stored, no event.
 */
static bool expect_not_tcp(const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * Where the timestamp option sits in the option list
 * ======================================================================== */

#define POS_TSVAL 0x01020304u

/* Egress data segment of T4 whose options are o. */
static void build_pos(struct pkt *p, const struct tcp_opts *o, __u8 flags,
		      size_t payload)
{
	build_opts(p, &T4, PPING_DIR_OUT, flags, o, payload);
}

static void pos_first(struct pkt *p)
{
	struct tcp_opts o;

	/* TS right after the fixed header, two EOL bytes of padding after. */
	opts_init(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK | TCPF_PSH, 100);
}

static void pos_nop_nop(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, POS_TSVAL, 7);
	build_pos(p, &o, TCPF_ACK | TCPF_PSH, 100);
}

static void pos_syn(struct pkt *p)
{
	struct tcp_opts o;

	/* Linux's SYN: MSS, SACK-permitted, TS, NOP, window scale. */
	opts_init(&o);
	opt_mss(&o, 1460);
	opt_sack_perm(&o);
	opt_ts(&o, POS_TSVAL, 0);
	opt_nop(&o);
	opt_wscale(&o, 7);
	build_pos(p, &o, TCPF_SYN, 0);
}

static void pos_mss_sackperm_nop(struct pkt *p)
{
	struct tcp_opts o;

	/* The same options reordered so that TS comes after a NOP. */
	opts_init(&o);
	opt_mss(&o, 1460);
	opt_sack_perm(&o);
	opt_nop(&o);
	opt_wscale(&o, 7);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_SYN, 0);
}

static void pos_after_sack(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP SACK(2 blocks) NOP NOP TS: 32 bytes, doff 13. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_sack(&o, 2);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 9);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void pos_after_sack3(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP SACK(3 blocks) NOP NOP TS: exactly 40 bytes, doff 15. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_sack(&o, 3);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 9);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void pos_last(struct pkt *p)
{
	struct tcp_opts o;
	int i;

	/* 30 NOPs: the TS ends on the last byte of a doff=15 header, and the
	 * walk needs 31 steps to get there. */
	opts_init(&o);
	for (i = 0; i < 30; i++)
		opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static bool check_pos(const struct pkt_case *c, const struct pkt *p)
{
	(void)c;
	return expect_stored_from(p, POS_TSVAL);
}

static bool test_ts_option_positions(void)
{
	static const struct pkt_case cases[] = {
		{ "first option, no padding", pos_first },
		{ "after NOP NOP", pos_nop_nop },
		{ "SYN: MSS SACK-perm TS NOP WS", pos_syn },
		{ "after MSS SACK-perm NOP WS NOP", pos_mss_sackperm_nop },
		{ "after 2 SACK blocks", pos_after_sack },
		{ "after 3 SACK blocks (doff 15)", pos_after_sack3 },
		{ "last position after 30 NOPs (doff 15)", pos_last },
	};
	struct pkt p;

	/* Sanity of the builder itself: the doff=15 cases fill 60 bytes. */
	pos_last(&p);
	if (!expect_eq("doff of the last-position packet",
		       p.data[p.l4_off + 12] >> 4, 15))
		return false;
	return run_cases(cases, ARRAY_SIZE(cases), check_pos);
}

/* ========================================================================
 * Malformed options never produce an identifier (nor a flow)
 * ======================================================================== */

#define BAD_TSVAL 0x0a0b0c0du

static void bad_ts_len(struct pkt *p, __u8 len)
{
	struct tcp_opts o;

	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts_len(&o, BAD_TSVAL, 0, len);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_ts_len9(struct pkt *p)
{
	bad_ts_len(p, 9);
}

static void bad_ts_len11(struct pkt *p)
{
	bad_ts_len(p, 11);
}

static void bad_opt_len0(struct pkt *p)
{
	static const uint8_t mss_len0[] = { TCPOPT_MSS, 0 };
	struct tcp_opts o;

	/* A zero length would make a careless walk spin in place. */
	opts_init(&o);
	opt_raw(&o, mss_len0, sizeof(mss_len0));
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_opt_len1(struct pkt *p)
{
	static const uint8_t unknown_len1[] = { 30, 1 };
	struct tcp_opts o;

	/* Length 1 is impossible (kind + length are 2 bytes). A walk that
	 * trusted it would step onto the length byte, read it as a NOP, and
	 * find the TS that follows. */
	opts_init(&o);
	opt_raw(&o, unknown_len1, sizeof(unknown_len1));
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_ts_past_doff(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP TS is 12 bytes but doff says 8: the TS crosses into the
	 * payload, which the frame still holds. */
	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 7);
}

static void bad_ts_kind_last_byte(struct pkt *p)
{
	struct tcp_opts o;

	/* The option area (doff 6) is NOP NOP NOP and the TS kind byte; its
	 * length and body lie in the payload. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 6);
}

static void bad_truncated_in_ts(struct pkt *p)
{
	/* The IP and TCP headers describe a whole segment, but the frame
	 * ends 5 bytes into the TS option (after kind, length, 3 TSval bytes). */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, BAD_TSVAL, 0, 100);
	pkt_truncate(p, p->l4_off + 20 + 2 + 5);
}

static void bad_eol_before_ts(struct pkt *p)
{
	struct tcp_opts o;

	/* End of option list: what follows is padding, not options. */
	opts_init(&o);
	opt_eol(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_doff_4(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 4);
}

static void bad_doff_past_end(struct pkt *p)
{
	struct tcp_opts o;

	/* doff 15 (60 bytes) on a 32-byte segment whose IP length matches the
	 * frame: the header claims bytes that are not there. */
	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK | TCPF_FIN, 0);
	pkt_tcp_doff(p, 15);
}

static void bad_opt_area_past_frame(struct pkt *p)
{
	struct tcp_opts o;
	int i;

	/* doff 15 and an IP length that covers it, but the frame is cut after
	 * 20 NOPs: the TS (after 30 NOPs) lies past the frame end. */
	opts_init(&o);
	for (i = 0; i < 30; i++)
		opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_truncate(p, p->l4_off + 20 + 20);
}

/*
 * Cases the parser still takes for TCP (the fixed header is consistent):
 * tcp and tcp_no_ts count the packet. The others have an impossible TCP
 * header and are not TCP at all (parse.bpf.h: "anything that is not a
 * well-formed TCP segment yields PARSE_NOT_TCP").
 */
static bool check_bad_tcp_opts(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("ts_created", c.ts_created, 0));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool check_not_tcp(const struct pkt_case *cs, const struct pkt *p)
{
	(void)cs;
	return expect_not_tcp(p);
}

static bool test_malformed_options(void)
{
	static const struct pkt_case bad_opts[] = {
		{ "TS length 9", bad_ts_len9 },
		{ "TS length 11", bad_ts_len11 },
		{ "option length 0", bad_opt_len0 },
		{ "option length 1", bad_opt_len1 },
		{ "TS running past doff", bad_ts_past_doff },
		{ "TS kind in the last byte of the option area", bad_ts_kind_last_byte },
		{ "frame cut inside the TS option", bad_truncated_in_ts },
		{ "option area past the frame end", bad_opt_area_past_frame },
		{ "EOL before TS", bad_eol_before_ts },
	};
	static const struct pkt_case bad_headers[] = {
		{ "doff 4", bad_doff_4 },
		{ "doff past the segment end", bad_doff_past_end },
	};

	return run_cases(bad_opts, ARRAY_SIZE(bad_opts), check_bad_tcp_opts) &&
	       run_cases(bad_headers, ARRAY_SIZE(bad_headers), check_not_tcp);
}

/* ========================================================================
 * VLAN tags
 * ======================================================================== */

#define L3_TSVAL 0x5000u

static void vlan_8021q(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void vlan_qinq(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021AD);
	pkt_vlan(p, 200, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void vlan_three_tags(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021AD);
	pkt_vlan(p, 300, PKT_ETH_P_8021Q);
	pkt_vlan(p, 200, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static bool check_stored_l3(const struct pkt_case *c, const struct pkt *p)
{
	(void)c;
	return expect_stored_from(p, L3_TSVAL);
}

static bool test_vlan(void)
{
	static const struct pkt_case good[] = {
		{ "802.1Q", vlan_8021q },
		{ "QinQ 802.1ad + 802.1Q", vlan_qinq },
	};
	static const struct pkt_case bad[] = {
		/* Only MAX_VLAN_TAGS (2) are walked; the third looks like an
		 * unknown ethertype. */
		{ "three tags", vlan_three_tags },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_l3) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

/* ========================================================================
 * IPv4 options and fragments
 * ======================================================================== */

static void ipv4_with_opts(struct pkt *p, const uint8_t *ip_opts, size_t len)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IP);
	pkt_ipv4_opts(p, T4.local, T4.remote, PKT_IPPROTO_TCP, ip_opts, len);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void ipv4_ihl6(struct pkt *p)
{
	static const uint8_t router_alert[] = { 0x94, 0x04, 0x00, 0x00 };

	ipv4_with_opts(p, router_alert, sizeof(router_alert));
}

static void ipv4_ihl8(struct pkt *p)
{
	/* Router alert, then NOPs and an EOL: 12 bytes. */
	static const uint8_t opts[] = { 0x94, 0x04, 0x00, 0x00, 1, 1, 1, 1,
					1, 1, 1, 0 };

	ipv4_with_opts(p, opts, sizeof(opts));
}

static void ipv4_first_fragment(struct pkt *p)
{
	/* Offset 0 with More Fragments: the TCP header is here. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, true, 0);
}

static void ipv4_dont_fragment(struct pkt *p)
{
	/* DF set, as on most TCP packets: must not look like a fragment. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	put_be16(p->data + p->l3_off + 6, 0x4000);
}

static void ipv4_later_fragment(struct pkt *p)
{
	/* Offset 185 (1480 bytes): the bytes after the IP header are payload
	 * even though they happen to look like a TCP header with a TS. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, false, 185);
}

static void ipv4_later_fragment_mf(struct pkt *p)
{
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, true, 1);
}

static void ipv4_ihl4(struct pkt *p)
{
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	p->data[p->l3_off] = 0x44;
	/* A parser that took IHL 4 would read "TCP" from the destination
	 * address on; make the doff it would see there (the real header's
	 * ack number) plausible, so only the IHL check can reject it. */
	p->data[p->l4_off + 8] = 0x80;
}

static bool test_ipv4(void)
{
	static const struct pkt_case good[] = {
		{ "IHL 6", ipv4_ihl6 },
		{ "IHL 8", ipv4_ihl8 },
		{ "first fragment with MF", ipv4_first_fragment },
		{ "DF set", ipv4_dont_fragment },
	};
	static const struct pkt_case bad[] = {
		{ "non-first fragment", ipv4_later_fragment },
		{ "non-first fragment with MF", ipv4_later_fragment_mf },
		{ "IHL 4", ipv4_ihl4 },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_l3) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

/* ========================================================================
 * IPv6 and its extension headers
 * ======================================================================== */

/* IPv6 header of an egress packet of T6; ext headers go in between. */
static void ipv6_start(struct pkt *p, __u8 first_nexthdr)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IPV6);
	pkt_ipv6(p, T6.local, T6.remote, first_nexthdr);
}

/* Egress data segment with a timestamp option, and final lengths. */
static void ipv6_end(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	add_tcp(p, &T6, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void ipv6_plain(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_TCP);
	ipv6_end(p);
}

void ipv6_hbh_dst_rt(struct pkt *p)
{
	/* Hop-by-hop (8), destination options (16), routing (24). */
	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_DSTOPTS, 8);
	pkt_ipv6_ext(p, PKT_IPPROTO_DSTOPTS, PKT_IPPROTO_ROUTING, 16);
	pkt_ipv6_ext(p, PKT_IPPROTO_ROUTING, PKT_IPPROTO_TCP, 24);
	ipv6_end(p);
}

static void ipv6_ah(struct pkt *p)
{
	/* AH counts its length in 4-byte units minus 2: 24 bytes here. */
	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_AH, 8);
	pkt_ipv6_ext(p, PKT_IPPROTO_AH, PKT_IPPROTO_TCP, 24);
	ipv6_end(p);
}

static void ipv6_first_fragment(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 0, true);
	ipv6_end(p);
}

static void ipv6_later_fragment(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 100, true);
	ipv6_end(p);
}

static void ipv6_last_fragment(struct pkt *p)
{
	/* Offset 1 (8 bytes), no M flag: only the low offset bit is set. */
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 1, false);
	ipv6_end(p);
}

/* Hop-by-hop then n - 1 destination option headers, then TCP. */
static void ipv6_chain(struct pkt *p, int n)
{
	int i;

	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS,
		     n > 1 ? PKT_IPPROTO_DSTOPTS : PKT_IPPROTO_TCP, 8);
	for (i = 1; i < n; i++)
		pkt_ipv6_ext(p, PKT_IPPROTO_DSTOPTS,
			     i + 1 < n ? PKT_IPPROTO_DSTOPTS : PKT_IPPROTO_TCP, 8);
	ipv6_end(p);
}

static void ipv6_chain6(struct pkt *p)
{
	ipv6_chain(p, 6);
}

static void ipv6_chain7(struct pkt *p)
{
	ipv6_chain(p, 7);
}

static void ipv6_payload_len_short(struct pkt *p)
{
	/* Payload length smaller than the extension headers. */
	ipv6_hbh_dst_rt(p);
	put_be16(p->data + p->l3_off + 4, 16);
}

static bool check_stored_v6(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("ts_created", c.ts_created, 1));
	REQUIRE(expect_ts(&e, &T6, L3_TSVAL, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_ipv6(void)
{
	static const struct pkt_case good[] = {
		{ "plain", ipv6_plain },
		{ "hop-by-hop + dst options + routing", ipv6_hbh_dst_rt },
		{ "hop-by-hop + AH", ipv6_ah },
		{ "first fragment", ipv6_first_fragment },
		{ "6 extension headers (the bound)", ipv6_chain6 },
	};
	static const struct pkt_case bad[] = {
		{ "non-first fragment", ipv6_later_fragment },
		{ "last fragment, offset 8", ipv6_last_fragment },
		{ "7 extension headers", ipv6_chain7 },
		{ "payload length shorter than the ext headers", ipv6_payload_len_short },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_v6) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

DEFINE_TESTS(parse,
	{ "ts_option_positions", test_ts_option_positions },
	{ "malformed_options", test_malformed_options },
	{ "vlan", test_vlan },
	{ "ipv4_options_fragments", test_ipv4 },
	{ "ipv6_ext_headers", test_ipv6 }
);
