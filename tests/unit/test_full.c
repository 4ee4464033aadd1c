// SPDX-License-Identifier: GPL-2.0
/*
 * Full maps and ring buffer: counted, never silent. And the identifier
 * map's memory, which follows what it holds up to its size.
 */
#include <bpf/bpf.h>

#include "harness.h"
#include "loader.h"

/* Room for one flow; for two identifiers; for about 34 events of 120
 * bytes (with the record header) in one page of ring buffer. */
static const struct env_cfg CFG_ONE_FLOW = { .tc = true, .flow_map_entries = 1 };
static const struct env_cfg CFG_TWO_IDS = { .tc = true, .ts_map_entries = 2 };
static const struct env_cfg CFG_RING_PAGE = { .tc = true, .ringbuf_bytes = 4096 };
/* Room for 4096 identifiers: 512 KiB if preallocated. */
static const struct env_cfg CFG_IDS_4K = { .tc = true, .ts_map_entries = 4096 };

static bool test_flow_map_full(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_ONE_FLOW));
	CHECK(send_data(e, &T4, 10));
	CHECK(send_data(e, &T4B, 10));   /* no room for a second flow */
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flow_map_full", c.flow_map_full, 1));
	CHECK(expect_eq("flows_opened", c.flows_opened, 1));
	CHECK(expect_eq("opening events", count_events(e, PPING_EVENT_FLOW), 1));
	CHECK(expect_no_ts(e, &T4B, 10, PPING_DIR_OUT));
	return true;
}

static bool test_ts_map_full(void)
{
	struct pping_counters c;
	struct env *e;

	__u32 tsval;

	/* The flow's two slots take 10 and 11, the map 12 and 13, and 14
	 * finds no room anywhere: refused and counted. */
	CHECK(fixture_env(&e, &CFG_TWO_IDS));
	for (tsval = 10; tsval <= 14; tsval++)
		CHECK(send_data(e, &T4, tsval));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 4));
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 2));
	CHECK(expect_eq("ts_map_full", c.ts_map_full, 1));
	for (tsval = 10; tsval <= 13; tsval++)
		CHECK(expect_ts(e, &T4, tsval, PPING_DIR_OUT));
	CHECK(expect_no_ts(e, &T4, 14, PPING_DIR_OUT));
	CHECK(expect_map_sizes(e, 1, 4));
	return true;
}

/*
 * The identifier map holds only what does not fit a flow's slots, so it
 * allocates its entries as they come (maps.bpf.h): empty, it is charged
 * for its buckets, not for 4096 entries; each identifier stored adds one
 * entry's memory and a match gives it back. A kernel that charges a
 * map for its whole size whatever it holds (before Linux 6.4) cannot
 * show that: a SKIP.
 */
static bool test_ts_map_allocates(void)
{
	const unsigned long long entry = sizeof(struct ts_key) + sizeof(struct ts_value);
	unsigned long long empty, two, one;
	struct bpf_map_info info = {};
	struct pping_counters c;
	__u32 len = sizeof(info), tsval;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_IDS_4K));
	CHECK(expect(!bpf_obj_get_info_by_fd(e->ts_fd, &info, &len),
		     "cannot read the identifier map's info"));
	CHECK(expect(info.map_flags & BPF_F_NO_PREALLOC,
		     "the identifier map is preallocated"));
	empty = pping_map_memory(e->ts_fd);
	CHECK(expect(empty > 0, "no memlock for the identifier map"));
	if (empty >= 4096 * entry)
		return skip_refused("to charge a map by what it holds (Linux 6.4+): %llu bytes for the empty map",
				    empty);
	/* 10 and 11 in the flow's slots, 12 and 13 in the map. */
	for (tsval = 10; tsval <= 13; tsval++)
		CHECK(send_data(e, &T4, tsval));
	CHECK(expect_map_sizes(e, 1, 4));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 2));
	two = pping_map_memory(e->ts_fd);
	CHECK(expect(two >= empty + 2 * entry && two < empty + 2 * 4 * entry,
		     "two identifiers took %llu bytes more (%llu each at least)",
		     two - empty, entry));
	/* Matched in the map and deleted (10 and 11 are dropped from the
	 * slots: their echoes are passed; 12 stays for cleanup). */
	CHECK(ack_echo(e, &T4, 13));
	CHECK(expect_map_sizes(e, 1, 1));
	one = pping_map_memory(e->ts_fd);
	CHECK(expect(one <= two - entry, "a match gave back %lld bytes",
		     (long long)two - (long long)one));
	return true;
}

static bool test_events_lost(void)
{
	struct pping_counters c;
	struct tuple t = T4;
	struct env *e;
	int i, n = 100;

	/* Open 100 flows without reading any event. */
	CHECK(fixture_env(&e, &CFG_RING_PAGE));
	e->hold_events = true;
	for (i = 0; i < n; i++) {
		t.lport = 10000 + i;
		CHECK(send_data(e, &t, 10));
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_opened", c.flows_opened, n));
	CHECK(expect(c.events_lost > 0, "no event lost with a full ring buffer"));

	/* Every opening is either in the ring buffer or counted as lost. */
	e->hold_events = false;
	CHECK(expect(ring_buffer__consume(e->rb) >= 0, "consume failed"));
	CHECK(expect_eq("events read + events_lost", e->n_ev + c.events_lost, n));
	return true;
}

DEFINE_TESTS(full,
	{ "flow_map_full", test_flow_map_full },
	{ "ts_map_full", test_ts_map_full },
	{ "ts_map_allocates", test_ts_map_allocates },
	{ "events_lost", test_events_lost }
);
