// SPDX-License-Identifier: GPL-2.0
/*
 * The fill the daemon sees without walking the maps (user/upkeep.c):
 * flows from the flow_count map, identifiers from the counters minus what
 * cleanup removed. Both must stay equal to the real number of keys through
 * every way entries come and go: opening, matching, RST, FIN and cleanup,
 * a SYN that reuses a tuple, eviction, orphans and expiry.
 */
#include <string.h>

#include "harness.h"
#include "loader.h"
#include "upkeep.h"

#define CHURN_FLOWS 300
#define CHURN_PORT 50000
#define SYN_TSVAL 1000u

/* Connection i: IPv4 and IPv6 in turn, told apart by the local port. */
static struct tuple churn_tuple(int i)
{
	struct tuple t = i % 2 ? T6 : T4;

	t.lport = CHURN_PORT + i;
	return t;
}

static bool send_ts(struct env *e, int i, int dir, __u8 flags, __u32 tsval,
		    __u32 tsecr)
{
	struct tuple t = churn_tuple(i);

	return tc_ts(e, &t, dir, flags, tsval, tsecr, 0);
}

/* Each connection sends a SYN and data (two identifiers); every third has
 * its SYN answered (one matched, an RTT reported). */
static bool open_one(struct env *e, int i)
{
	struct tuple t = churn_tuple(i);

	return send_ts(e, i, PPING_DIR_OUT, TCPF_SYN, SYN_TSVAL, 0) &&
	       send_data(e, &t, SYN_TSVAL + 1) &&
	       (i % 3 || ack_echo(e, &t, SYN_TSVAL));
}

/* Resets without a timestamp option arrive, with one leave. */
static bool reset_one(struct env *e, int i)
{
	struct tuple t = churn_tuple(i);
	struct pkt p;

	if (i % 2)
		return send_ts(e, i, PPING_DIR_OUT, TCPF_RST | TCPF_ACK,
			       SYN_TSVAL + 5, 0);
	build_opts(&p, &t, PPING_DIR_IN, TCPF_RST, NULL, 0);
	return ingress(e, &p);
}

/* FIN both ways, the second echoing the first (its identifier matched). */
static bool close_one(struct env *e, int i)
{
	return send_ts(e, i, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, SYN_TSVAL + 2, 0) &&
	       send_ts(e, i, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, SYN_TSVAL + 2);
}

/* A new connection on the tuple, its TSval behind the old one's. */
static bool reuse_one(struct env *e, int i)
{
	return send_ts(e, i, PPING_DIR_OUT, TCPF_SYN, 5, 0);
}

static bool data_one(struct env *e, int i)
{
	struct tuple t = churn_tuple(i);

	return send_data(e, &t, 2000);
}

static bool for_range(struct env *e, int from, int to,
		      bool (*fn)(struct env *e, int i))
{
	int i;

	for (i = from; i < to; i++)
		if (!fn(e, i))
			return false;
	return true;
}

/*
 * flow_count and upkeep_fill() against a walk of both maps. The identifier
 * count is also worked out signed, because upkeep_fill() shows a negative
 * result as 0, which would hide a miscount once the map is empty.
 */
static bool fill_matches(struct env *e, int want_flows)
{
	struct pping_bpf bpf = { .tc = e->tc };
	const struct cleanup_stats *removed = &e->cleanup.totals.sum;
	int flows = map_entries(e->flow_fd, sizeof(struct flow_key));
	int ts = map_entries(e->ts_fd, sizeof(struct ts_key));
	struct pping_counters c;
	struct map_fill f;
	struct upkeep u;
	__s64 count, ts_sum;
	int err;

	memset(&u, 0, sizeof(u));
	u.bpf = &bpf;
	u.cleanup = e->cleanup;   /* the totals of every pass so far */
	if (!read_counters(e, &c) || !read_flow_count(e, &count))
		return false;
	err = upkeep_fill(&u, &c, &f);
	if (err)
		return fail("upkeep_fill: %s", strerror(-err));
	ts_sum = (__s64)(c.ts_in_map - c.ts_deleted -
			 removed->ts_removed[CLEAN_TS_EXPIRED] -
			 removed->ts_removed[CLEAN_TS_ORPHANED]);
	return expect_eq("keys in flow_map", flows, want_flows) &&
	       expect_eq("flow_count", count, flows) &&
	       expect_eq("flows from upkeep_fill", f.flows, flows) &&
	       expect(ts_sum == ts, "identifiers stored in ts_map - matched - cleaned = %lld, %d in ts_map",
		      (long long)ts_sum, ts) &&
	       expect_eq("identifiers from upkeep_fill", f.ts, ts);
}

#define STEP(what, cond) do { \
	if (!(cond)) \
		return fail_prefix(what); \
} while (0)

static bool test_fill_count_after_churn(void)
{
	struct cleanup_stats st;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	e->hold_events = true;   /* hundreds of events; none is looked at */

	STEP("opening", for_range(e, 0, CHURN_FLOWS, open_one) &&
			fill_matches(e, CHURN_FLOWS));
	CHECK(expect_eq("keys in ts_map", map_entries(e->ts_fd, sizeof(struct ts_key)),
			2 * CHURN_FLOWS - CHURN_FLOWS / 3));

	/* Flows 0-59 reset: their identifiers stay, orphaned. */
	STEP("RST", for_range(e, 0, 60, reset_one) && fill_matches(e, 240));

	/* Flows 60-119 closed; 2 s later cleanup removes them, the orphans,
	 * and the identifiers of answered flows (lifetime: the 1 s floor). */
	STEP("FIN", for_range(e, 60, 120, close_one) && fill_matches(e, 240));
	STEP("cleanup after FIN",
	     env_cleanup(e, now_ns() + 2 * SECOND, 0, &st) &&
	     expect_eq("flows removed as closed", st.flows_removed[CLEAN_FLOW_CLOSED], 60) &&
	     fill_matches(e, 180));

	/* Flows 120-179 start again on their tuple; tuples 0-29 of reset
	 * flows are used by new connections. */
	STEP("SYN reusing a tuple", for_range(e, 120, 180, reuse_one) &&
				    fill_matches(e, 180));
	STEP("SYN on a reset tuple", for_range(e, 0, 30, reuse_one) &&
				     fill_matches(e, 210));

	/* Of the answered flows (every third), 120-179 were reset by their
	 * new SYN: 40 sampled flows are left, 20 go. */
	STEP("eviction", env_cleanup(e, now_ns(), 20, &st) &&
			 expect_flow_pass(&st, 210, 40, CLEAN_FLOW_EVICTED, 20) &&
			 fill_matches(e, 190));
	STEP("evicted flows back", for_range(e, 180, CHURN_FLOWS, data_one) &&
				   fill_matches(e, 210));
	STEP("RST of reused flows", for_range(e, 120, 150, reset_one) &&
				    fill_matches(e, 180));

	/* Long after: everything is idle, unanswered, expired or orphaned. */
	STEP("final cleanup", env_cleanup(e, now_ns() + 400 * SECOND, 0, &st) &&
			      fill_matches(e, 0));
	CHECK(expect_map_sizes(e, 0, 0));
	return true;
}

DEFINE_TESTS(churn,
	{ "fill_count_after_churn", test_fill_count_after_churn }
);
