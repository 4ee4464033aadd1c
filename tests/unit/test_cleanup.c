// SPDX-License-Identifier: GPL-2.0
/*
 * Map cleanup (bpf/clean.bpf.h and user/cleanup.c, every mechanism)
 * with the level-0 timeouts of user/degrade.c: identifier lifetimes,
 * orphans and flow timeouts (eviction is in test_evict.c).
 *
 * Cleanup runs "in the future" (cleanup_params.now) instead of sleeping.
 * Packets are stamped between t_before and t_after, so an entry's age at
 * t_before + x is at most x and at t_after + x at least x: a check just
 * below a boundary counts from t_before, one just above from t_after, and
 * neither depends on how long the packets took to send.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "harness.h"

/* When the packets of a test were sent. */
struct stamps {
	__u64 before, after;
};

/* Write the smoothed RTT of both directions into a flow, as matching would
 * leave it. */
static bool set_srtt(struct env *e, const struct tuple *t, __u32 srtt_out,
		     __u32 srtt_in)
{
	struct flow_state fs;

	if (!flow_lookup(e, t, &fs))
		return fail("no flow for port %u", t->lport);
	fs.dir[PPING_DIR_OUT].srtt = srtt_out;
	fs.dir[PPING_DIR_IN].srtt = srtt_in;
	return flow_store(e, t, &fs);
}

/* ========================================================================
 * Identifier lifetime: clamp(8 x srtt of its direction, 1 s, 10 s), and
 * 10 s while that direction has no RTT.
 * ======================================================================== */

#define LIFE_PORT 41000
#define LIFE_TSVAL 100

struct life_case {
	const char *name;
	__u32 srtt_out, srtt_in;
	__u64 life;
};

static const struct life_case lives[] = {
	{ "no RTT", 0, 0, 10 * SECOND },
	{ "srtt 500 ms", 500 * MS, 0, 4 * SECOND },
	{ "srtt 1 ms, the 1 s floor", 1 * MS, 0, 1 * SECOND },
	{ "srtt 2 s, the 10 s cap", 2 * SECOND, 0, 10 * SECOND },
	{ "RTT only the other way", 0, 500 * MS, 10 * SECOND },
};

/* Clean at `at` (an age of x for the identifiers): the ones whose lifetime
 * is more than x stay, the others are counted as expired. */
static bool expect_lives_at(struct env *e, __u64 at, __u64 x, int *left)
{
	struct cleanup_stats st;
	int i, stay = 0;

	if (!env_cleanup(e, at, 0, &st))
		return false;
	for (i = 0; i < (int)ARRAY_SIZE(lives); i++) {
		struct tuple t = t4_port(LIFE_PORT + i);
		bool want = lives[i].life > x;

		stay += want;
		if (ts_lookup(e, &t, LIFE_TSVAL, PPING_DIR_OUT, NULL) != want) {
			fail("identifier %s at an age of %llu ms",
			     want ? "removed" : "kept", x / MS);
			return fail_prefix(lives[i].name);
		}
	}
	if (!expect_ts_pass(&st, *left, *left - stay, 0) ||
	    !expect_flow_pass(&st, ARRAY_SIZE(lives), 0, NO_REASON, 0))
		return false;
	*left = stay;
	return true;
}

static bool test_cleanup_identifier_lifetime(void)
{
	/* Each boundary with the margin checked on either side of it. */
	static const __u64 bounds[][2] = {
		{ 1 * SECOND, 100 * MS },
		{ 4 * SECOND, 500 * MS },
		{ 10 * SECOND, 1 * SECOND },
	};
	struct stamps ts;
	struct tuple t;
	struct env *e;
	int i, left = ARRAY_SIZE(lives);

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	ts.before = now_ns();
	for (i = 0; i < (int)ARRAY_SIZE(lives); i++) {
		t = t4_port(LIFE_PORT + i);
		CHECK(send_data(e, &t, LIFE_TSVAL));
	}
	ts.after = now_ns();
	for (i = 0; i < (int)ARRAY_SIZE(lives); i++) {
		t = t4_port(LIFE_PORT + i);
		CHECK(set_srtt(e, &t, lives[i].srtt_out, lives[i].srtt_in));
	}
	CHECK(expect_map_sizes(e, ARRAY_SIZE(lives), ARRAY_SIZE(lives)));

	for (i = 0; i < (int)ARRAY_SIZE(bounds); i++) {
		__u64 below = bounds[i][0] - bounds[i][1];
		__u64 above = bounds[i][0] + bounds[i][1];

		CHECK(expect_lives_at(e, ts.before + below, below, &left));
		CHECK(expect_lives_at(e, ts.after + above, above, &left));
	}
	CHECK(expect_eq("identifiers left", left, 0));
	CHECK(expect_map_sizes(e, ARRAY_SIZE(lives), 0));
	return true;
}

/* ========================================================================
 * Orphans: identifiers of a flow that is gone go at the next pass, long
 * before their lifetime (10 s without an RTT) is over; those of a flow the
 * same pass removes go with it (flows are cleaned first).
 * ======================================================================== */

static bool test_cleanup_orphaned_identifiers(void)
{
	struct tuple fin = t4_port(42010);
	struct cleanup_stats st;
	struct pkt p;
	struct env *e;
	__u64 after;

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	CHECK(send_data(e, &T4, 100));
	CHECK(send_data(e, &T4, 101));
	CHECK(send_data(e, &T4, 102));
	CHECK(send_data(e, &T4B, 100));
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_RST, NULL, 0);
	CHECK(ingress(e, &p));
	/* Closed both ways, no echo: its two identifiers have no RTT. */
	CHECK(send_data(e, &fin, 100));
	CHECK(tc_ts(e, &fin, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0));
	CHECK(tc_ts(e, &fin, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, 0, 0));
	after = now_ns();
	CHECK(expect_map_sizes(e, 2, 6));

	/* 2 s: past the 1 s below which a pass does not even look at an
	 * identifier's flow, a fifth of the lifetime of the others. */
	CHECK(env_cleanup(e, after + 2 * SECOND, 0, &st));
	CHECK(expect_ts_pass(&st, 6, 0, 5));
	CHECK(expect_flow_pass(&st, 2, 0, CLEAN_FLOW_CLOSED, 1));
	CHECK(expect_no_ts(e, &T4, 100, PPING_DIR_OUT));
	CHECK(expect_no_ts(e, &T4, 102, PPING_DIR_OUT));
	CHECK(expect_no_ts(e, &fin, 101, PPING_DIR_OUT));
	CHECK(expect_ts(e, &T4B, 100, PPING_DIR_OUT));
	CHECK(expect_map_sizes(e, 1, 1));
	return true;
}

/* ========================================================================
 * Flows: closed (both FINs) 1 s after the last packet, half-closed 10 s,
 * unanswered 30 s after opening, idle 300 s.
 * ======================================================================== */

#define FLOW_PORT 43000

/* One flow of each kind, in the order their timeouts remove them. */
enum { F_CLOSED, F_HALF, F_UNANSWERED, F_ANSWERED, F_COUNT };

static const struct flow_kind {
	const char *name;
	int reason;
	__u64 timeout, margin;   /* checked at timeout - margin and + margin */
} kinds[F_COUNT] = {
	[F_CLOSED] = { "closed", CLEAN_FLOW_CLOSED, 1 * SECOND, 100 * MS },
	[F_HALF] = { "half-closed", CLEAN_FLOW_HALF_CLOSED, 10 * SECOND, 1 * SECOND },
	[F_UNANSWERED] = { "unanswered", CLEAN_FLOW_UNANSWERED, 30 * SECOND, 1 * SECOND },
	[F_ANSWERED] = { "answered", CLEAN_FLOW_IDLE, 300 * SECOND, 1 * SECOND },
};

/* The closing event each kind gets when cleanup removes it: none for the
 * flows whose FIN already had one. */
static const __u8 closing_reasons[F_COUNT] = {
	[F_UNANSWERED] = PPING_REASON_UNANSWERED,
	[F_ANSWERED] = PPING_REASON_IDLE,
};

static int cleanup_closings(const struct env *e)
{
	int i, n = 0;

	for (i = 0; i < e->n_ev; i++)
		n += e->ev[i].type == PPING_EVENT_FLOW &&
		     (e->ev[i].flags & PPING_EV_BY_CLEANUP);
	return n;
}

/* After a pass that removed `kind`: its closing event, if it gets one,
 * with the reason, the flow and the counts of the flow's traffic. */
static bool expect_closing(const struct env *e, int kind, int before)
{
	const struct pping_event *ev = &e->ev[e->n_ev - 1];
	struct tuple t = t4_port(FLOW_PORT + kind);

	if (!closing_reasons[kind])
		return expect_eq("closing events by cleanup", cleanup_closings(e),
				 before);
	CHECK(expect_eq("closing events by cleanup", cleanup_closings(e),
			before + 1));
	CHECK(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, closing_reasons[kind],
				PPING_DIR_OUT, &t));
	CHECK(expect(ev->flags & PPING_EV_BY_CLEANUP, "not flagged as by cleanup"));
	return expect(ev->pkts[PPING_DIR_OUT] >= 1, "no packets counted");
}

/* Make t's flow look opened `ago` ns before its last packet, as the test
 * does not wait: the close timeouts count from the last packet. */
static bool opened_earlier(struct env *e, const struct tuple *t, __u64 ago)
{
	struct flow_state fs;

	if (!flow_lookup(e, t, &fs))
		return fail("no flow for port %u", t->lport);
	fs.opened -= (__u32)(ago >> PPING_OPENED_SHIFT);
	return flow_store(e, t, &fs);
}

static bool open_flow_kinds(struct env *e)
{
	struct flow_state fs;
	struct tuple t;
	struct pkt p;

	t = t4_port(FLOW_PORT + F_CLOSED);
	build_ts(&p, &t, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	if (!send_data(e, &t, 100) || !egress(e, &p))
		return false;
	build_ts(&p, &t, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, 101, 0);
	if (!ingress(e, &p) || !opened_earlier(e, &t, 5 * SECOND))
		return false;

	t = t4_port(FLOW_PORT + F_HALF);
	build_ts(&p, &t, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	if (!send_data(e, &t, 100) || !egress(e, &p) ||
	    !opened_earlier(e, &t, 5 * SECOND))
		return false;

	/* Its SYN is sent again 20 s later (the time written into the flow,
	 * as the test does not wait): unanswered counts from the opening,
	 * not from the last packet. */
	t = t4_port(FLOW_PORT + F_UNANSWERED);
	build_ts(&p, &t, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0);
	if (!egress(e, &p) || !flow_lookup(e, &t, &fs))
		return false;
	fs.last_seen = now_ns() + 20 * SECOND;
	if (!flow_store(e, &t, &fs))
		return false;

	t = t4_port(FLOW_PORT + F_ANSWERED);
	return send_data(e, &t, 100) && ack_echo(e, &t, 100);
}

/* One pass at `at`: the flows of kind < gone were removed before, `kind`
 * (if not F_COUNT) is removed now, the others stay. */
static bool expect_flows_at(struct env *e, __u64 at, int gone, int kind,
			    __u64 sampled)
{
	int reason = kind < F_COUNT ? kinds[kind].reason : NO_REASON;

	int before = cleanup_closings(e);
	struct cleanup_stats st;
	struct flow_state fs;
	struct tuple t;
	int i;

	if (!env_cleanup(e, at, 0, &st) ||
	    !expect_flow_pass(&st, F_COUNT - gone, sampled, reason, kind < F_COUNT))
		return false;
	if (kind < F_COUNT && !expect_closing(e, kind, before))
		return fail_prefix(kinds[kind].name);
	if (kind == F_COUNT &&
	    !expect_eq("closing events by cleanup", cleanup_closings(e), before))
		return false;
	for (i = gone; i < F_COUNT; i++) {
		t = t4_port(FLOW_PORT + i);
		if (flow_lookup(e, &t, &fs) == (i == kind)) {
			fail("flow %s", i == kind ? "kept" : "removed");
			return fail_prefix(kinds[i].name);
		}
	}
	return true;
}

static bool test_cleanup_flow_timeouts(void)
{
	struct stamps ts;
	struct env *e;
	int k;

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	ts.before = now_ns();
	CHECK(open_flow_kinds(e));
	ts.after = now_ns();
	CHECK(expect_map_sizes(e, F_COUNT, 4));

	for (k = 0; k < F_COUNT; k++) {
		const struct flow_kind *fk = &kinds[k];
		/* Both the closed flow (its FIN was echoed) and the answered
		 * one had an RTT reported: sampled while they are seen. */
		__u64 sampled = 1 + (k == F_CLOSED);

		CHECK(expect_flows_at(e, ts.before + fk->timeout - fk->margin,
				      k, F_COUNT, sampled));
		CHECK(expect_flows_at(e, ts.after + fk->timeout + fk->margin,
				      k, k, sampled));
	}
	CHECK(expect_map_sizes(e, 0, 0));
	return true;
}

/* ========================================================================
 * A pass over more entries than one call of a mechanism takes: a for-each
 * walk resumed hundreds of times (7 deletions per call), batched lookups
 * over several batches. Every entry is examined exactly once and the removals
 * are exact, and the datapath's flow count follows them.
 * ======================================================================== */

#define WALK_FLOWS 3000
#define WALK_PORT 20000

static bool fill_walk_maps(struct env *e, __u64 t)
{
	struct flow_state fs;
	struct ts_value tv;
	struct ts_key tk;
	struct tuple tp;
	__s64 count = WALK_FLOWS;
	__u32 zero = 0;
	int i;

	for (i = 0; i < WALK_FLOWS; i++) {
		tp = t4_port(WALK_PORT + i);
		memset(&fs, 0, sizeof(fs));
		/* A third idle (quiet 400 s at the pass), the rest quiet 50 s;
		 * all answered, so only the idle rule applies. */
		fs.last_seen = i % 3 == 0 ? t : t + 350 * SECOND;
		fs.opened = (__u32)(fs.last_seen >> PPING_OPENED_SHIFT);
		fs.dir[PPING_DIR_OUT].min_rtt = 1000;
		memset(&tk, 0, sizeof(tk));
		tk.flow = tuple_key(&tp);
		if (bpf_map_update_elem(e->flow_fd, &tk.flow, &fs, BPF_NOEXIST))
			return fail("adding flow %d: %s", i, strerror(errno));
		/* Identifiers: of the idle flows (orphaned by the pass), long
		 * expired, and young. */
		tk.tsval = 100;
		tk.dir = PPING_DIR_OUT;
		tv.sent = i % 3 == 2 ? t + 399 * SECOND + 500 * MS : t;
		tv.burst = tv.sent;
		if (bpf_map_update_elem(e->ts_fd, &tk, &tv, BPF_NOEXIST))
			return fail("adding identifier %d: %s", i, strerror(errno));
	}
	if (bpf_map_update_elem(e->flow_count_fd, &zero, &count, 0))
		return fail("setting the flow count: %s", strerror(errno));
	return true;
}

static bool test_cleanup_walk_resumes(void)
{
	struct cleanup_stats st;
	struct env *e;
	__s64 count;
	__u64 t;

	CHECK(fixture_env(&e, &CFG_TC_CLEANUP));
	e->cleanup.walk_budget = 7;
	t = now_ns();
	CHECK(fill_walk_maps(e, t));
	CHECK(env_cleanup(e, t + 400 * SECOND, 0, &st));
	CHECK(expect_flow_pass(&st, WALK_FLOWS, 0, CLEAN_FLOW_IDLE, WALK_FLOWS / 3));
	CHECK(expect_ts_pass(&st, WALK_FLOWS, WALK_FLOWS / 3, WALK_FLOWS / 3));
	CHECK(expect_map_sizes(e, WALK_FLOWS * 2 / 3, WALK_FLOWS / 3));
	CHECK(read_flow_count(e, &count));
	CHECK(expect_eq("flow count after the pass", count, WALK_FLOWS * 2 / 3));
	/* 1000 flows and 2000 identifiers deleted, at least 7 per call and
	 * as many as the call passed over: the budget grows with the walk
	 * (how fast depends on the hash order), so several calls per map,
	 * but not hundreds. */
	CHECK(expect(e->cleanup.mech != CLEANUP_FOREACH ||
		     (e->cleanup.last_calls >= 6 && e->cleanup.last_calls <= 200),
		     "a for-each walk deleting 7 or more per call took %llu calls",
		     (unsigned long long)e->cleanup.last_calls));
	return true;
}

DEFINE_TESTS(cleanup,
	{ "cleanup_identifier_lifetime", test_cleanup_identifier_lifetime },
	{ "cleanup_orphaned_identifiers", test_cleanup_orphaned_identifiers },
	{ "cleanup_flow_timeouts", test_cleanup_flow_timeouts },
	{ "cleanup_walk_resumes", test_cleanup_walk_resumes }
);
