// SPDX-License-Identifier: GPL-2.0
/*
 * The rate limit is per flow direction, and a change through .data applies
 * at once (the timed behaviour is in test_sampling.c). The injected clock
 * stands still here, so the limit cannot run out during the test however
 * slowly it runs.
 */
#include "harness.h"

static bool test_rate_limit(void)
{
	struct env_cfg cfg = { .tc = true, .test_clock = true };
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.rate_limit_ns = 100 * MS;   /* the default */
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
