// SPDX-License-Identifier: GPL-2.0
/*
 * Which packets may become identifiers: only those that can elicit a reply,
 * and only the first of a flow direction with a strictly newer TSval.
 */
#include "harness.h"

/* ========================================================================
 * Which packets can elicit a reply and so be timestamped
 * ======================================================================== */

static bool test_pure_ack_not_timestamped(void)
{
	struct pping_counters c;
	struct flow_state fs;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));

	/* A pure ACK opens the flow but is never an identifier: no reply is
	 * due for it, the peer may delay or never send one. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK, 100, 0, 0));
	CHECK(expect_no_ts(e, &T4, 100, PPING_DIR_OUT));
	CHECK(expect(flow_lookup(e, &T4, &fs), "no flow after the pure ACK"));
	CHECK(expect_eq("last_tsval after a pure ACK",
			fs.dir[PPING_DIR_OUT].last_tsval, 0));

	/* It did not use up its TSval: data with the same TSval is stored. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 0, 10));
	CHECK(expect_ts(e, &T4, 100, PPING_DIR_OUT));

	/* Another pure ACK with a newer TSval: still nothing. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK, 101, 0, 0));
	CHECK(expect_no_ts(e, &T4, 101, PPING_DIR_OUT));

	/* A FIN without payload does elicit an ACK. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 102, 0, 0));
	CHECK(expect_ts(e, &T4, 102, PPING_DIR_OUT));

	/* So does a SYN (its own flow). */
	CHECK(tc_ts(e, &T4B, PPING_DIR_OUT, TCPF_SYN, 500, 0, 0));
	CHECK(expect_ts(e, &T4B, 500, PPING_DIR_OUT));

	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 3));
	CHECK(expect_map_sizes(e, 2, 3));
	return true;
}

/* ========================================================================
 * TSval ordering: only strictly newer values, across the 32-bit wrap
 * ======================================================================== */

static bool test_tsval_wraparound(void)
{
	struct pping_counters c;
	__u64 first_at = 0, again_at = 0;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));

	CHECK(send_data(e, &T4, 0xfffffff0));
	CHECK(expect_ts(e, &T4, 0xfffffff0, PPING_DIR_OUT));
	/* 0x5 is 21 ticks after 0xfffffff0: newer, across the wrap. */
	CHECK(send_data(e, &T4, 0x00000005));
	CHECK(expect_ts(e, &T4, 0x00000005, PPING_DIR_OUT));
	/* 0xffffff00 is behind 0x5 (a reordered old packet). */
	CHECK(send_data(e, &T4, 0xffffff00));
	CHECK(expect_no_ts(e, &T4, 0xffffff00, PPING_DIR_OUT));

	/* The same TSval twice: only the first packet carrying it is an
	 * identifier; the second neither stores nor tries to. */
	CHECK(send_data(e, &T4, 0x10));
	CHECK(expect(ts_lookup(e, &T4, 0x10, PPING_DIR_OUT, &first_at),
		     "TSval 0x10 not stored"));
	CHECK(send_data(e, &T4, 0x10));
	CHECK(expect(ts_lookup(e, &T4, 0x10, PPING_DIR_OUT, &again_at),
		     "TSval 0x10 gone"));
	CHECK(expect_eq("time of the TSval 0x10 identifier", again_at, first_at));

	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 3));
	CHECK(expect_eq("ts_exists", c.ts_exists, 0));
	CHECK(expect_map_sizes(e, 1, 3));
	return true;
}

DEFINE_TESTS(eligible,
	{ "pure_ack_not_timestamped", test_pure_ack_not_timestamped },
	{ "tsval_wraparound", test_tsval_wraparound }
);
