// SPDX-License-Identifier: GPL-2.0
/*
 * XDP ingress, and L3-only interfaces (tun, wireguard: no Ethernet header).
 */
#include "harness.h"

static bool xdp_parse_one(const struct env_cfg *cfg, const struct tuple *t)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, cfg));

	/* A data segment from the peer opens the flow, oriented by the
	 * interface: local is its destination. Nothing is timestamped on
	 * ingress without include_local. */
	if (cfg->xdp_l3_only)
		build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 300, 0, 100);
	else
		build_ts(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 300, 0, 100);
	CHECK(xdp_ingress(e, &p));
	CHECK((ev = one_event(e, PPING_EVENT_FLOW)));
	CHECK(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_FIRST_PACKET,
				PPING_DIR_IN, t));
	CHECK(expect_map_sizes(e, 1, 0));

	/* A segment without any option: TCP, without timestamp. */
	pkt_init(&p);
	if (!cfg->xdp_l3_only)
		l2_header(&p, t);
	add_ip(&p, t, PPING_DIR_IN, PKT_IPPROTO_TCP);
	add_tcp(&p, t, PPING_DIR_IN, TCPF_ACK, NULL, 0);
	CHECK(xdp_ingress(e, &p));

	CHECK(read_counters(e, &c));
	CHECK(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 2));
	CHECK(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 2));
	CHECK(expect_eq("tcp_no_ts[ingress]", c.tcp_no_ts[PPING_HOOK_INGRESS], 1));
	CHECK(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], 0));
	return true;
}

static bool test_xdp_l3_parsing(void)
{
	if (!xdp_parse_one(&CFG_XDP_L3, &T4))
		return false;
	return xdp_parse_one(&CFG_XDP_L3, &T6);
}

static bool test_xdp_l2_parsing(void)
{
	if (!xdp_parse_one(&CFG_XDP_L2, &T4))
		return false;
	return xdp_parse_one(&CFG_XDP_L2, &T6);
}

static bool test_xdp_l3_not_ip(void)
{
	struct pping_counters c;
	struct env *e;
	struct pkt p;

	/* An L3-only frame whose version nibble is neither 4 nor 6, and an
	 * Ethernet frame given to the L3-only parser. */
	CHECK(fixture_env(&e, &CFG_XDP_L3));
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 300, 0, 100);
	p.data[0] = 0x55;
	CHECK(xdp_ingress(e, &p));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 300, 0, 100);
	CHECK(xdp_ingress(e, &p));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 2));
	CHECK(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 0));
	CHECK(expect_map_sizes(e, 0, 0));
	return true;
}

static bool xdp_local_one(const struct tuple *t)
{
	struct pping_counters c;
	struct env *e;
	struct pkt p;

	/* With include_local, ingress data is timestamped too, as direction
	 * IN of the same (interface-oriented) flow. */
	CHECK(fixture_env(&e, &CFG_XDP_L3_LOCAL));
	build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x777, 0, 100);
	CHECK(xdp_ingress(e, &p));
	CHECK(expect_ts(e, t, 0x777, PPING_DIR_IN));
	CHECK(expect_no_ts(e, t, 0x777, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 1));
	return true;
}

static bool test_xdp_l3_include_local(void)
{
	return xdp_local_one(&T4) && xdp_local_one(&T6);
}

static bool xdp_match_one(const struct tuple *t)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env *e;
	struct pkt p;

	/* The daemon's XDP mode: identifiers stored by tc egress (Ethernet)
	 * are matched by XDP ingress on a raw IP packet; one set of maps. */
	CHECK(fixture_env(&e, &CFG_TC_XDP_L3));
	CHECK(send_data(e, t, MATCH_TSVAL));
	CHECK(expect_ts(e, t, MATCH_TSVAL, PPING_DIR_OUT));
	build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK, 5000, MATCH_TSVAL, 0);
	CHECK(xdp_ingress(e, &p));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect(ev->rtt > 0, "rtt is 0"));
	CHECK(expect_eq("rtt event dir", ev->dir, PPING_DIR_OUT));
	CHECK(expect_eq("rtt event flags", ev->flags, 0));
	CHECK(expect_flow_key("rtt event", &ev->flow, t));
	CHECK(expect_no_ts(e, t, MATCH_TSVAL, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	CHECK(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 1));
	return true;
}

static bool test_xdp_l3_match(void)
{
	return xdp_match_one(&T4) && xdp_match_one(&T6);
}

DEFINE_TESTS(xdp,
	{ "xdp_l3_parsing", test_xdp_l3_parsing },
	{ "xdp_l2_parsing", test_xdp_l2_parsing },
	{ "xdp_l3_not_ip", test_xdp_l3_not_ip },
	{ "xdp_l3_include_local", test_xdp_l3_include_local },
	{ "xdp_l3_match", test_xdp_l3_match }
);
