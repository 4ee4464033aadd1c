// SPDX-License-Identifier: GPL-2.0
/*
 * Full maps and ring buffer: counted, never silent.
 */
#include "harness.h"

static bool test_flow_map_full(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.flow_map_entries = 1;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(send_data(&e, &T4B, 10));   /* no room for a second flow */
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flow_map_full", c.flow_map_full, 1));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 1));
	REQUIRE(expect_eq("opening events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(expect_no_ts(&e, &T4B, 10, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_ts_map_full(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.ts_map_entries = 2;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(send_data(&e, &T4, 11));
	REQUIRE(send_data(&e, &T4, 12));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 2));
	REQUIRE(expect_eq("ts_map_full", c.ts_map_full, 1));
	REQUIRE(expect_no_ts(&e, &T4, 12, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_events_lost(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct tuple t = T4;
	struct env e;
	bool ok = false;
	int i, n = 100;

	/* One page of ring buffer holds about 34 events of 120 bytes (with
	 * the record header). Open 100 flows without reading any. */
	cfg.ringbuf_bytes = 4096;
	REQUIRE(env_open(&e, &cfg));
	e.hold_events = true;
	for (i = 0; i < n; i++) {
		t.lport = 10000 + i;
		REQUIRE(send_data(&e, &t, 10));
	}
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, n));
	REQUIRE(expect(c.events_lost > 0, "no event lost with a full ring buffer"));

	/* Every opening is either in the ring buffer or counted as lost. */
	e.hold_events = false;
	REQUIRE(expect(ring_buffer__consume(e.rb) >= 0, "consume failed"));
	REQUIRE(expect_eq("events read + events_lost", e.n_ev + c.events_lost, n));
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(full,
	{ "flow_map_full", test_flow_map_full },
	{ "ts_map_full", test_ts_map_full },
	{ "events_lost", test_events_lost }
);
