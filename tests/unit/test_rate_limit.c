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
	struct env *e;

	cfg.rate_limit_ns = 100 * MS;   /* the default */
	CHECK(fixture_env(&e, &cfg));

	CHECK(send_data(e, &T4, 1));
	CHECK(expect_ts(e, &T4, 1, PPING_DIR_OUT));
	CHECK(send_data(e, &T4, 2));
	CHECK(expect_no_ts(e, &T4, 2, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rate_limited", c.rate_limited, 1));

	/* The limit is per flow direction: another flow is not held back. */
	CHECK(send_data(e, &T4B, 2));
	CHECK(expect_ts(e, &T4B, 2, PPING_DIR_OUT));

	/* Lowered at run time through .data, it applies at once. */
	env_runtime(e)->rate_limit_ns = 0;
	CHECK(send_data(e, &T4, 3));
	CHECK(expect_ts(e, &T4, 3, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 3));
	CHECK(expect_eq("rate_limited", c.rate_limited, 1));
	return true;
}

DEFINE_TESTS(rate_limit,
	{ "rate_limit", test_rate_limit }
);
