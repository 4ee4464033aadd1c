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
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the data segment"));

	/* Linux sends RSTs without a timestamp option. */
	build_opts(&p, &T4, rst_dir, TCPF_RST, NULL, 0);
	REQUIRE(rst_dir == PPING_DIR_OUT ? egress(&e, &p) : ingress(&e, &p));

	REQUIRE(expect(!flow_lookup(&e, &T4, &fs), "flow still present after RST"));
	REQUIRE(expect_eq("flow events (opening + closing)",
			  count_events(&e, PPING_EVENT_FLOW), 2));
	ev = &e.ev[e.n_ev - 1];
	REQUIRE(expect_eq("last event type", ev->type, PPING_EVENT_FLOW));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_RST,
				  rst_dir, &T4));
	REQUIRE(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT], 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
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
	struct env e;
	struct pkt p;
	bool ok = false;

	/* An RST (with or without TS) for a flow never seen: no flow appears,
	 * no event. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_RST, NULL, 0);
	REQUIRE(ingress(&e, &p));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 10, 0, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_fin_marks_closing(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("flow events (opening + closing)",
			  count_events(&e, PPING_EVENT_FLOW), 2));
	ev = &e.ev[e.n_ev - 1];
	REQUIRE(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_FIN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT], 2));

	/* The flow stays, so the last ACKs can still be matched. */
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow deleted by FIN"));
	REQUIRE(expect_eq("flow flags", fs.flags,
			  PPING_FLOW_FIN_OUT | PPING_FLOW_CLOSING));

	/* The peer's FIN-ACK: recorded, matched, but no second closing event. */
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, 101, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 2));
	REQUIRE(expect_eq("rtt events", count_events(&e, PPING_EVENT_RTT), 1));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow deleted by the second FIN"));
	REQUIRE(expect_eq("flow flags", fs.flags,
			  PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN | PPING_FLOW_CLOSING));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * A SYN on a known tuple: retransmission or new connection?
 * ======================================================================== */

static bool test_flow_reuse_after_fin(void)
{
	const struct pping_event *ev;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* The old connection closed with FIN; a new SYN on the same tuple
	 * starts a new flow: opening event, fresh flags. */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	REQUIRE(egress(&e, &p));
	e.n_ev = 0;

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 200, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the new SYN"));
	REQUIRE(expect_eq("flags of the new flow", fs.flags, 0));
	REQUIRE(expect_eq("pkts[out] of the new flow", fs.dir[PPING_DIR_OUT].pkts, 1));
	REQUIRE(expect_ts(&e, &T4, 200, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_flow_reuse_tsval_back(void)
{
	const struct pping_event *ev;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* No close seen, but the new SYN's TSval is behind the old flow's
	 * (new random TS offset): a new connection, or its TSvals would be
	 * refused as old until they caught up. */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 0x70000000));
	e.n_ev = 0;

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 0x10, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect_ts(&e, &T4, 0x10, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_syn_retransmit_keeps_flow(void)
{
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* A retransmitted SYN has a newer TSval: same connection (one
	 * opening event, and the counters go on rather than restart). */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the SYN"));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 1100, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow gone after the retransmission"));
	REQUIRE(expect_eq("pkts[out]", fs.dir[PPING_DIR_OUT].pkts, 2));
	REQUIRE(expect_ts(&e, &T4, 100, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 1100, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
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
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, oc->dir, oc->flags, 100, oc->flags & TCPF_ACK ? 50 : 0,
		 oc->payload);
	REQUIRE(oc->dir == PPING_DIR_OUT ? egress(&e, &p) : ingress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, oc->reason, oc->dir, &T4));
	REQUIRE(expect(ev->time_ns > 0, "opening event without a time"));

	/* The next packet of the flow, either way, opens nothing new. */
	build_ts(&p, &T4, oc->dir ^ 1, TCPF_ACK, 200, 100, 10);
	REQUIRE(oc->dir == PPING_DIR_OUT ? ingress(&e, &p) : egress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 1));
	REQUIRE(expect_eq("entries in flow_map",
			  map_entries(e.flow_fd, sizeof(struct flow_key)), 1));
	ok = true;
out:
	env_close(&e);
	return ok;
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
	struct env e;
	struct pkt p;
	bool ok = false;

	/* FIN and RST end connections; seen first (e.g. pping started late)
	 * they must not create a flow that nothing would ever close. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 100, 50, 0);
	REQUIRE(egress(&e, &p));
	build_ts(&p, &T6, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 100, 50, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
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
