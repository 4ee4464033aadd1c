// SPDX-License-Identifier: GPL-2.0
/*
 * include_local: RTT towards the local side, timestamped on ingress and
 * matched on egress.
 */
#include "harness.h"

static bool test_include_local(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC_LOCAL));

	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100));
	CHECK(expect_ts(e, &T4, 0x4242, PPING_DIR_IN));

	/* The local side's ACK, leaving, echoes it. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect(ev->rtt > 0, "rtt is 0"));
	CHECK(expect_eq("rtt event dir", ev->dir, PPING_DIR_IN));
	CHECK(expect_eq("rtt event flags", ev->flags, PPING_EV_MATCH_ON_EGRESS));
	CHECK(expect_flow_key("rtt event", &ev->flow, &T4));
	CHECK(expect_no_ts(e, &T4, 0x4242, PPING_DIR_IN));
	/* A pure ACK is still not an identifier, in either direction. */
	CHECK(expect_no_ts(e, &T4, 0x99, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	return true;
}

static bool test_no_include_local(void)
{
	struct env *e;

	/* The default: ingress data is not timestamped, so the same exchange
	 * gives no sample. */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100));
	CHECK(expect_no_ts(e, &T4, 0x4242, PPING_DIR_IN));
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0));
	CHECK(expect_map_sizes(e, 1, 0));
	return true;
}

DEFINE_TESTS(local,
	{ "include_local", test_include_local },
	{ "no_include_local", test_no_include_local }
);
