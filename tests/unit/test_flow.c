// SPDX-License-Identifier: GPL-2.0
/*
 * Flow lifecycle in the datapath: closing by RST or FIN, a SYN on a known
 * tuple, and the opening events.
 */
#include "harness.h"

/* ========================================================================
 * Closing: RST (with or without TS) and FIN
 * ======================================================================== */

/* A flow opened by one data segment, then an RST without any option. */
static bool rst_closes(int rst_dir)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct flow_state fs;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, 100));
	CHECK(expect(flow_lookup(e, &T4, &fs), "no flow after the data segment"));

	/* Linux sends RSTs without a timestamp option. */
	build_opts(&p, &T4, rst_dir, TCPF_RST, NULL, 0);
	CHECK(tc_hook(e, rst_dir, &p));

	CHECK(expect(!flow_lookup(e, &T4, &fs), "flow still present after RST"));
	CHECK(expect_eq("flow events (opening + closing)",
			count_events(e, PPING_EVENT_FLOW), 2));
	ev = &e->ev[e->n_ev - 1];
	CHECK(expect_eq("last event type", ev->type, PPING_EVENT_FLOW));
	CHECK(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_RST,
				rst_dir, &T4));
	/* The reset is a packet of the flow too. */
	CHECK(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT],
			1 + (rst_dir == PPING_DIR_OUT)));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_closed", c.flows_closed, 1));
	return true;
}

static bool test_rst_closes_flow(void)
{
	if (!rst_closes(PPING_DIR_IN))
		return fail_prefix("ingress RST");
	if (!rst_closes(PPING_DIR_OUT))
		return fail_prefix("egress RST");
	return true;
}

static bool test_rst_unknown_flow(void)
{
	struct pping_counters c;
	struct env *e;
	struct pkt p;

	/* An RST (with or without TS) for a flow never seen: no flow appears,
	 * no event. */
	CHECK(fixture_env(&e, &CFG_TC));
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_RST, NULL, 0);
	CHECK(ingress(e, &p));
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 10, 0, 0));
	CHECK(expect_map_sizes(e, 0, 0));
	CHECK(expect_eq("events", e->n_ev, 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_closed", c.flows_closed, 0));
	return true;
}

static bool test_fin_marks_closing(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct flow_state fs;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, 100));

	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0));
	CHECK(expect_eq("flow events (opening + closing)",
			count_events(e, PPING_EVENT_FLOW), 2));
	ev = &e->ev[e->n_ev - 1];
	CHECK(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_FIN,
				PPING_DIR_OUT, &T4));
	CHECK(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT], 2));

	/* The flow stays, so the last ACKs can still be matched. */
	CHECK(expect(flow_lookup(e, &T4, &fs), "flow deleted by FIN"));
	CHECK(expect_eq("flow flags", fs.flags,
			PPING_FLOW_FIN_OUT | PPING_FLOW_CLOSING));

	/* The peer's FIN-ACK: recorded, matched, but no second closing event. */
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, 101, 0));
	CHECK(expect_eq("flow events", count_events(e, PPING_EVENT_FLOW), 2));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(expect(flow_lookup(e, &T4, &fs), "flow deleted by the second FIN"));
	CHECK(expect_eq("flow flags", fs.flags,
			PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN | PPING_FLOW_CLOSING));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_closed", c.flows_closed, 1));
	return true;
}

/* ========================================================================
 * A SYN on a known tuple: retransmission or new connection?
 * ======================================================================== */

static bool test_flow_reuse_after_fin(void)
{
	const struct pping_event *ev;
	struct flow_state fs;
	struct env *e;

	/* The old connection closed with FIN; a new SYN on the same tuple
	 * starts a new flow: opening event, fresh flags. */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, 100));
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0));
	e->n_ev = 0;

	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_SYN, 200, 0, 0));
	CHECK((ev = one_event(e, PPING_EVENT_FLOW)));
	CHECK(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				PPING_DIR_OUT, &T4));
	CHECK(expect(flow_lookup(e, &T4, &fs), "no flow after the new SYN"));
	CHECK(expect_eq("flags of the new flow", fs.flags, 0));
	CHECK(expect_eq("pkts[out] of the new flow", fs.dir[PPING_DIR_OUT].pkts, 1));
	CHECK(expect_ts(e, &T4, 200, PPING_DIR_OUT));
	return true;
}

static bool test_flow_reuse_tsval_back(void)
{
	const struct pping_event *ev;
	struct env *e;

	/* No close seen, but the new SYN's TSval is behind the old flow's
	 * (new random TS offset): a new connection, or its TSvals would be
	 * refused as old until they caught up. */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, 0x70000000));
	e->n_ev = 0;

	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_SYN, 0x10, 0, 0));
	CHECK((ev = one_event(e, PPING_EVENT_FLOW)));
	CHECK(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				PPING_DIR_OUT, &T4));
	CHECK(expect_ts(e, &T4, 0x10, PPING_DIR_OUT));
	return true;
}

static bool test_syn_retransmit_keeps_flow(void)
{
	struct flow_state fs;
	struct env *e;

	/* A retransmitted SYN has a newer TSval: same connection (one
	 * opening event, and the counters go on rather than restart). */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0));
	CHECK(expect(flow_lookup(e, &T4, &fs), "no flow after the SYN"));
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_SYN, 1100, 0, 0));
	CHECK(expect_eq("flow events", count_events(e, PPING_EVENT_FLOW), 1));
	CHECK(expect(flow_lookup(e, &T4, &fs), "flow gone after the retransmission"));
	CHECK(expect_eq("pkts[out]", fs.dir[PPING_DIR_OUT].pkts, 2));
	CHECK(expect_ts(e, &T4, 100, PPING_DIR_OUT));
	CHECK(expect_ts(e, &T4, 1100, PPING_DIR_OUT));
	return true;
}

/* ========================================================================
 * Opening events
 * ======================================================================== */

struct open_case {
	const char *name;
	int dir;
	__u8 flags;
	size_t payload;
	__u8 reason;
};

static bool check_open(const struct open_case *oc)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(tc_ts(e, &T4, oc->dir, oc->flags, 100, oc->flags & TCPF_ACK ? 50 : 0,
		    oc->payload));
	CHECK((ev = one_event(e, PPING_EVENT_FLOW)));
	CHECK(expect_flow_event(ev, PPING_FLOW_OPENING, oc->reason, oc->dir, &T4));
	CHECK(expect(ev->time_ns > 0, "opening event without a time"));

	/* The next packet of the flow, either way, opens nothing new. */
	CHECK(tc_ts(e, &T4, oc->dir ^ 1, TCPF_ACK, 200, 100, 10));
	CHECK(expect_eq("flow events", count_events(e, PPING_EVENT_FLOW), 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_opened", c.flows_opened, 1));
	CHECK(expect_eq("entries in flow_map",
			map_entries(e->flow_fd, sizeof(struct flow_key)), 1));
	return true;
}

static bool test_open_events(void)
{
	static const struct open_case cases[] = {
		{ "egress SYN", PPING_DIR_OUT, TCPF_SYN, 0, PPING_REASON_SYN },
		{ "ingress SYN-ACK", PPING_DIR_IN, TCPF_SYN | TCPF_ACK, 0,
		  PPING_REASON_SYN_ACK },
		{ "ingress SYN", PPING_DIR_IN, TCPF_SYN, 0, PPING_REASON_SYN },
		{ "egress data", PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100,
		  PPING_REASON_FIRST_PACKET },
		{ "ingress data", PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 100,
		  PPING_REASON_FIRST_PACKET },
		{ "egress pure ACK", PPING_DIR_OUT, TCPF_ACK, 0,
		  PPING_REASON_FIRST_PACKET },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!check_open(&cases[i]))
			return fail_prefix(cases[i].name);
	return true;
}

static bool test_no_open_on_fin_rst(void)
{
	struct pping_counters c;
	struct env *e;

	/* FIN and RST end connections; seen first (e->g. pping started late)
	 * they must not create a flow that nothing would ever close. */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 100, 50, 0));
	CHECK(tc_ts(e, &T6, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 100, 50, 0));
	CHECK(expect_map_sizes(e, 0, 0));
	CHECK(expect_eq("events", e->n_ev, 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_opened", c.flows_opened, 0));
	return true;
}

DEFINE_TESTS(flow,
	{ "rst_closes_flow", test_rst_closes_flow },
	{ "rst_unknown_flow", test_rst_unknown_flow },
	{ "fin_marks_closing", test_fin_marks_closing },
	{ "flow_reuse_after_fin", test_flow_reuse_after_fin },
	{ "flow_reuse_tsval_back", test_flow_reuse_tsval_back },
	{ "syn_retransmit_keeps_flow", test_syn_retransmit_keeps_flow },
	{ "open_events", test_open_events },
	{ "no_open_on_fin_rst", test_no_open_on_fin_rst }
);
