// SPDX-License-Identifier: GPL-2.0
/*
 * The rate limit is per flow direction, and a change through .data applies
 * at once (the timed behaviour is in test_sampling.c).
 */
#include "harness.h"

static bool test_rate_limit(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	/* An hour: nothing in this test can outlast it. */
	cfg.rate_limit_ns = 3600ULL * 1000000000ULL;
	REQUIRE(env_open(&e, &cfg));

	REQUIRE(send_data(&e, &T4, 1));
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(expect_no_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 1));

	/* The limit is per flow direction: another flow is not held back. */
	REQUIRE(send_data(&e, &T4B, 2));
	REQUIRE(expect_ts(&e, &T4B, 2, PPING_DIR_OUT));

	/* Lowered at run time through .data, it applies at once. */
	env_runtime(&e)->rate_limit_ns = 0;
	REQUIRE(send_data(&e, &T4, 3));
	REQUIRE(expect_ts(&e, &T4, 3, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 3));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(rate_limit,
	{ "rate_limit", test_rate_limit }
);
