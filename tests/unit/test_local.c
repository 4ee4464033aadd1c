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
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC_LOCAL));

	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_ts(&e, &T4, 0x4242, PPING_DIR_IN));

	/* The local side's ACK, leaving, echoes it. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_RTT)));
	REQUIRE(expect(ev->rtt > 0, "rtt is 0"));
	REQUIRE(expect_eq("rtt event dir", ev->dir, PPING_DIR_IN));
	REQUIRE(expect_eq("rtt event flags", ev->flags, PPING_EV_MATCH_ON_EGRESS));
	REQUIRE(expect_flow_key("rtt event", &ev->flow, &T4));
	REQUIRE(expect_no_ts(&e, &T4, 0x4242, PPING_DIR_IN));
	/* A pure ACK is still not an identifier, in either direction. */
	REQUIRE(expect_no_ts(&e, &T4, 0x99, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_no_include_local(void)
{
	struct env e;
	struct pkt p;
	bool ok = false;

	/* The default: ingress data is not timestamped, so the same exchange
	 * gives no sample. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_no_ts(&e, &T4, 0x4242, PPING_DIR_IN));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("rtt events", count_events(&e, PPING_EVENT_RTT), 0));
	REQUIRE(expect_map_sizes(&e, 1, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(local,
	{ "include_local", test_include_local },
	{ "no_include_local", test_no_include_local }
);
