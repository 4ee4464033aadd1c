// SPDX-License-Identifier: GPL-2.0
/*
 * Admission (bpf/admission.bpf.h): which new flows get an entry. A full
 * map (runtime.flow_limit) refuses every new flow; under degradation
 * (runtime.level > 0) a flow evicted after an RTT report this epoch waits
 * while the map holds runtime.sampled_admit flows or more. Flows already
 * present are never refused.
 */
#include "harness.h"

#define ADMIT_PORT 45000
#define LIMIT_PORT 46000

/*
 * A new packet of t (TSval tsval) gets a flow entry or not, as want says;
 * the datapath's flow count follows the map, and the counters of refusals
 * are then as given.
 */
static bool expect_admitted(struct env *e, const struct tuple *t, __u32 tsval,
			    bool want, __u64 deferred, __u64 map_full)
{
	struct pping_counters c;
	struct flow_state fs;
	__s64 count;
	int opened = 0;

	e->n_ev = 0;
	if (!send_data(e, t, tsval))
		return false;
	if (flow_lookup(e, t, &fs) != want)
		return fail("port %u %s", t->lport, want ? "refused" : "admitted");
	opened = count_events(e, PPING_EVENT_FLOW);
	return expect_eq("opening events", opened, want) &&
	       read_counters(e, &c) &&
	       expect_eq("flows_deferred", c.flows_deferred, deferred) &&
	       expect_eq("flow_map_full", c.flow_map_full, map_full) &&
	       read_flow_count(e, &count) &&
	       expect_eq("flow_count", count,
			 map_entries(e->flow_fd, sizeof(struct flow_key)));
}

static bool test_admission_deferred(void)
{
	struct tuple x1 = t4_port(ADMIT_PORT + 0), x2 = t4_port(ADMIT_PORT + 1);
	struct tuple y = t4_port(ADMIT_PORT + 2);
	volatile struct pping_runtime *rt;
	struct cleanup_stats st;
	struct env *e;

	/* x1 and x2 have an RTT reported, then are evicted: their bits are
	 * set for this epoch. */
	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	rt = env_runtime(e);
	CHECK(send_data(e, &x1, 100) && ack_echo(e, &x1, 100));
	CHECK(send_data(e, &x2, 100) && ack_echo(e, &x2, 100));
	CHECK(env_cleanup(e, now_ns(), 2, &st));
	CHECK(expect_flow_pass(&st, 2, 2, CLEAN_FLOW_EVICTED, 2));
	CHECK(expect_map_sizes(e, 0, 0));

	/* Degraded, no room for sampled flows: x1 waits, y (never sampled)
	 * gets its entry. */
	rt->level = 1;
	rt->sampled_admit = 0;
	CHECK(expect_admitted(e, &x1, 200, false, 1, 0));
	CHECK(expect_admitted(e, &y, 100, true, 1, 0));

	/* Sampled flows are admitted only while fewer than sampled_admit
	 * flows exist: with 1 present, a watermark of 1 still defers, 2
	 * admits. */
	rt->sampled_admit = 1;
	CHECK(expect_admitted(e, &x1, 201, false, 2, 0));
	rt->sampled_admit = 2;
	CHECK(expect_admitted(e, &x2, 200, true, 2, 0));

	/* Out of degradation the bitmap is not even looked at. */
	rt->level = 0;
	rt->sampled_admit = 0;
	CHECK(expect_admitted(e, &x1, 202, true, 2, 0));
	return true;
}

static bool test_admission_flow_limit(void)
{
	struct tuple z = t4_port(LIMIT_PORT + 3), t;
	struct env *e;
	int i;

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	for (i = 0; i < 3; i++) {
		t = t4_port(LIMIT_PORT + i);
		CHECK(send_data(e, &t, 100));
	}

	/* At the limit a new flow is refused before the insert is tried,
	 * and counted as if the map had refused it. */
	env_runtime(e)->flow_limit = 3;
	CHECK(expect_admitted(e, &z, 100, false, 0, 1));
	CHECK(expect_map_sizes(e, 3, 3));

	/* A flow already present goes on as before. */
	t = t4_port(LIMIT_PORT + 0);
	CHECK(send_data(e, &t, 101));
	CHECK(expect_ts(e, &t, 101, PPING_DIR_OUT));

	env_runtime(e)->flow_limit = 4;
	CHECK(expect_admitted(e, &z, 101, true, 0, 1));
	CHECK(expect_map_sizes(e, 4, 5));
	return true;
}

DEFINE_TESTS(admission,
	{ "admission_deferred", test_admission_deferred },
	{ "admission_flow_limit", test_admission_flow_limit }
);
