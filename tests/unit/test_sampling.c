// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling over time: the rate limit, bursts, idle gaps and RTT-based
 * intervals, with time passing between packets as on live traffic. The
 * time is the injected clock (env_cfg.test_clock): each packet carries the
 * time the test gives it, so the verdicts are exact, at the boundaries
 * too, and no load on the machine or short uptime can change them.
 *
 * A burst's start time loses its low PPING_SLOT_COUNT_BITS (8) to the
 * count, so the tests that probe an edge start the burst on a multiple of
 * 100 ms (10^8 ns = 2^8 x 5^8) after ENV_CLOCK_START, or on a whole
 * second: those bits are then 0, and "interval - 1 ns" is exactly inside.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "harness.h"

static const struct env_cfg CFG_TC_CLOCK = { .tc = true, .test_clock = true };
/* ... with a 100 ms rate limit, the daemon's default. */
static const struct env_cfg CFG_CLOCK_100MS = {
	.tc = true, .test_clock = true, .rate_limit_ns = 100 * MS,
};

/* Data packets with TSvals from, from+1, ... every period_ns from the
 * current time on, for duration_ns (the last one before it ends); the clock
 * is left at the last one. Returns how many were sent. */
static int send_paced(struct env *e, const struct tuple *t, __u32 from,
		      __u64 period_ns, __u64 duration_ns)
{
	__u64 start = env_now(e);
	int i;

	for (i = 0; (__u64)i * period_ns < duration_ns; i++) {
		env_set_time(e, start + i * period_ns);
		if (!send_data(e, t, from + i))
			return -1;
	}
	return i;
}

/* The next whole second on the injected clock. */
static __u64 next_second(const struct env *e)
{
	return (env_now(e) / SECOND + 1) * SECOND;
}

static bool expect_created(struct env *e, unsigned long long want)
{
	struct pping_counters c;

	return read_counters(e, &c) &&
	       expect_eq("identifiers created", c.ts_created, want);
}

/* CFG_CLOCK_100MS with --burst 3 --burst-window 4ms. */
static bool burst_env(struct env **e)
{
	if (!fixture_env(e, &CFG_CLOCK_100MS))
		return false;
	env_runtime(*e)->burst = 3;
	env_runtime(*e)->burst_window_ns = 4 * MS;
	return true;
}

static bool test_rate_limit_timed(void)
{
	struct pping_counters c;
	__u64 t0 = ENV_CLOCK_START;
	struct env *e;
	__u32 i;
	int n;

	/* One packet with a new TSval every 1 ms for 1 s, 100 ms limit:
	 * identifiers at 0, 100, ..., 900 ms, each exactly when the limit
	 * has passed (TSvals 1, 101, ..., 901), and no other. */
	CHECK(fixture_env(&e, &CFG_CLOCK_100MS));
	n = send_paced(e, &T4, 1, 1 * MS, 1000 * MS);
	CHECK(expect_eq("packets sent", n, 1000));
	CHECK(expect_created(e, 10));
	for (i = 1; i <= 1000; i += 100) {
		CHECK(expect_ts(e, &T4, i, PPING_DIR_OUT));
		CHECK(expect_no_ts(e, &T4, i + 99, PPING_DIR_OUT));
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rate_limited", c.rate_limited, 990));

	/* The edge: 1 ns short of 100 ms after the last burst (900 ms) is
	 * too early, 100 ms is not. */
	env_set_time(e, t0 + 1000 * MS - 1);
	CHECK(send_data(e, &T4, 2000));
	CHECK(expect_no_ts(e, &T4, 2000, PPING_DIR_OUT));
	env_set_time(e, t0 + 1000 * MS);
	CHECK(send_data(e, &T4, 2001));
	CHECK(expect_ts(e, &T4, 2001, PPING_DIR_OUT));
	CHECK(expect_created(e, 11));
	return true;
}

static bool test_rate_limit_zero(void)
{
	struct pping_counters c;
	struct env *e;
	__u32 i;

	/* Rate limit 0: every new TSval is an identifier; a repeated one is
	 * not (it is not the first packet with that value). */
	CHECK(fixture_env(&e, &CFG_TC));
	for (i = 1; i <= 200; i++) {
		CHECK(send_data(e, &T4, i));
		CHECK(send_data(e, &T4, i));
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 200));
	CHECK(expect_eq("ts_exists", c.ts_exists, 0));
	CHECK(expect_eq("rate_limited", c.rate_limited, 0));
	return true;
}

/* The burst TSval tsval of T4 belongs to: its id, which is its start time. */
static bool expect_burst_of(struct env *e, __u32 tsval, __u64 want)
{
	struct ts_value v;
	char what[64];

	if (!ts_find(e, &T4, tsval, PPING_DIR_OUT, &v))
		return fail("no identifier for TSval %u", tsval);
	snprintf(what, sizeof(what), "burst id of TSval %u", tsval);
	return expect_eq(what, v.burst, want);
}

static bool test_burst(void)
{
	__u64 t0 = ENV_CLOCK_START;
	struct env *e;

	/* --burst 3 --burst-window 4ms, 100 ms limit, a new TSval every
	 * 1 ms: three identifiers (0, 1, 2 ms) with the burst's start as id,
	 * then none (the burst is full, then the window is over) until
	 * 100 ms, then the next three with a new id. */
	CHECK(burst_env(&e));
	CHECK(send_paced(e, &T4, 1, 1 * MS, 100 * MS) == 100);
	CHECK(expect_created(e, 3));
	CHECK(expect_burst_of(e, 1, t0));
	CHECK(expect_burst_of(e, 2, t0));
	CHECK(expect_burst_of(e, 3, t0));
	CHECK(expect_no_ts(e, &T4, 4, PPING_DIR_OUT));

	env_set_time(e, t0 + 100 * MS);
	CHECK(send_paced(e, &T4, 1000, 1 * MS, 10 * MS) == 10);
	CHECK(expect_created(e, 6));
	CHECK(expect_burst_of(e, 1000, t0 + 100 * MS));
	CHECK(expect_burst_of(e, 1002, t0 + 100 * MS));
	CHECK(expect_no_ts(e, &T4, 1003, PPING_DIR_OUT));
	return true;
}

static bool test_burst_window(void)
{
	__u64 t1 = ENV_CLOCK_START + 100 * MS;
	struct env *e;

	/* Packets 3 ms apart with a 4 ms window: the burst takes the ones at
	 * 0 and 3 ms; the one at 6 ms is outside the window. */
	CHECK(burst_env(&e));
	CHECK(send_paced(e, &T4, 1, 3 * MS, 8 * MS) == 3);
	CHECK(expect_ts(e, &T4, 1, PPING_DIR_OUT));
	CHECK(expect_ts(e, &T4, 2, PPING_DIR_OUT));
	CHECK(expect_no_ts(e, &T4, 3, PPING_DIR_OUT));

	/* The edge, in the next burst: 1 ns short of 4 ms after its start
	 * is inside the window, 4 ms is not. */
	env_set_time(e, t1);
	CHECK(send_data(e, &T4, 10));
	env_set_time(e, t1 + 4 * MS - 1);
	CHECK(send_data(e, &T4, 11));
	env_set_time(e, t1 + 4 * MS);
	CHECK(send_data(e, &T4, 12));
	CHECK(expect_ts(e, &T4, 10, PPING_DIR_OUT));
	CHECK(expect_ts(e, &T4, 11, PPING_DIR_OUT));
	CHECK(expect_no_ts(e, &T4, 12, PPING_DIR_OUT));
	CHECK(expect_created(e, 4));
	return true;
}

static bool test_burst_one_report(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env *e;

	/* A burst of three identifiers all matched: three samples count, one
	 * line is printed (the first match). */
	CHECK(burst_env(&e));
	CHECK(send_paced(e, &T4, 1, 1 * MS, 3 * MS) == 3);
	env_advance(e, 10 * MS);
	CHECK(ack_echo(e, &T4, 2));
	CHECK(ack_echo(e, &T4, 3));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 2));
	CHECK(expect_eq("rtt_unreported", c.rtt_unreported, 1));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("RTT of the burst's line (TSval 2, sent at 1 ms)",
			ev->rtt, 11 * MS));

	/* The next burst reports again; a late echo of the old burst's first
	 * identifier does not (it would be a second line for an old burst). */
	env_advance(e, 100 * MS);
	CHECK(send_data(e, &T4, 10));
	env_advance(e, 10 * MS);
	CHECK(ack_echo(e, &T4, 10));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 2));
	CHECK(ack_echo(e, &T4, 1));    /* the old burst's unmatched first */
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 2));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 3));
	return true;
}

/* T4's data segment tsval answered rtt later: one more sample. */
static bool answered(struct env *e, __u32 tsval, __u64 rtt)
{
	if (!send_data(e, &T4, tsval))
		return false;
	env_advance(e, rtt);
	return ack_echo(e, &T4, tsval);
}

static bool test_burst_id_after_idle(void)
{
	struct env *e;
	__u32 i;

	/* However long ago the last line was printed — an idle flow, or one
	 * whose matches failed for many minutes while bursts went on — the
	 * next burst's first match is printed. 32-bit ids compared
	 * wrap-aware got both wrong once the gap passed ~9 minutes. */
	CHECK(fixture_env(&e, &CFG_CLOCK_100MS));
	CHECK(answered(e, 1, 10 * MS));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 1));

	/* Idle: nothing for 600 s. */
	env_advance(e, 600 * SECOND);
	CHECK(answered(e, 2, 10 * MS));
	CHECK(expect_eq("RTT events after idle", count_events(e, PPING_EVENT_RTT), 2));

	/* Silence: a burst every 100 ms for 600 s, none answered. */
	for (i = 0; i < 6000; i++) {
		env_advance(e, 100 * MS);
		CHECK(send_data(e, &T4, 3 + i));
	}
	CHECK(expect_created(e, 6002));
	env_advance(e, 100 * MS);
	CHECK(answered(e, 10000, 10 * MS));
	CHECK(expect_eq("RTT events after silence", count_events(e, PPING_EVENT_RTT), 3));
	return true;
}

/*
 * Idle as cleanup sees it: env_cleanup's time is on the injected clock the
 * programs stamped the entries with, so the timeouts hold to the ns.
 */
static bool test_idle_cleanup(void)
{
	struct env_cfg cfg = CFG_TC_CLOCK;
	__u64 t0 = ENV_CLOCK_START, t1;
	struct cleanup_stats st;
	struct flow_state fs;
	struct env *e;

	cfg.cleanup = true;
	cfg.ts_map_only = true;   /* cleanup expires ts_map's identifiers */
	CHECK(fixture_env(&e, &cfg));
	/* An unanswered identifier of a flow without an RTT lives 10 s. */
	CHECK(send_data(e, &T4, 1));
	CHECK(env_cleanup(e, t0 + 10 * SECOND - 1, 0, &st));
	CHECK(expect_ts_pass(&st, 1, 0, 0));
	CHECK(env_cleanup(e, t0 + 10 * SECOND, 0, &st));
	CHECK(expect_ts_pass(&st, 1, 1, 0));
	CHECK(expect_flow_pass(&st, 1, 0, NO_REASON, 0));

	/* Answered, then idle: the flow goes 300 s after its last packet. */
	env_set_time(e, t0 + 20 * SECOND);
	CHECK(answered(e, 2, 10 * MS));
	t1 = env_now(e);
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("flow last seen", fs.last_seen, t1));
	CHECK(env_cleanup(e, t1 + 300 * SECOND - 1, 0, &st));
	CHECK(expect_flow_pass(&st, 1, 1, NO_REASON, 0));
	CHECK(env_cleanup(e, t1 + 300 * SECOND, 0, &st));
	CHECK(expect_flow_pass(&st, 1, 1, CLEAN_FLOW_IDLE, 1));
	CHECK(expect_map_sizes(e, 0, 0));
	return true;
}

/* TSval 5 of T4 echoed as late as a match may be (the staleness bound):
 * no sample, counted as stale. */
static bool stale_echo_unmatched(struct env *e)
{
	struct pping_counters c;

	env_advance(e, PPING_TS_STALE_NS);
	CHECK(ack_echo(e, &T4, 5));
	CHECK(expect_eq("RTT events from a stale identifier",
			count_events(e, PPING_EVENT_RTT), 0));
	CHECK(read_counters(e, &c));
	return expect_eq("ts_stale", c.ts_stale, 1);
}

/* An identifier in a flow slot whose echo comes as late as a match may
 * (the staleness bound): not matched. */
static bool test_stale_slot_identifier(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC_CLOCK));
	CHECK(send_data(e, &T4, 5));
	CHECK(ts_lookup(e, &T4, 5, PPING_DIR_OUT, NULL));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 0));
	CHECK(stale_echo_unmatched(e));
	CHECK(expect_no_ts(e, &T4, 5, PPING_DIR_OUT));
	return true;
}

static bool test_stale_identifier(void)
{
	struct env_cfg cfg = CFG_TC_CLOCK;
	struct pping_counters c;
	struct ts_value v;
	struct ts_key k;
	struct env *e;

	/* (ts_map.) An identifier never answered, met again after the TSval
	 * clock wrapped: the old one is replaced, not matched (an RTT of the
	 * wrap period would be reported). Its echo comes as late as a match
	 * may (the staleness bound) and is not matched either. */
	cfg.ts_map_only = true;
	CHECK(fixture_env(&e, &cfg));
	CHECK(send_data(e, &T4, 5));
	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(&T4);
	k.tsval = 5;
	k.dir = PPING_DIR_OUT;
	CHECK(expect(bpf_map_lookup_elem(e->ts_fd, &k, &v) == 0, "no identifier"));
	CHECK(expect_eq("identifier's time", v.sent, ENV_CLOCK_START));
	CHECK(stale_echo_unmatched(e));

	CHECK(expect(bpf_map_update_elem(e->ts_fd, &k, &v, BPF_ANY) == 0, "re-adding"));
	/* The flow's TSval goes all the way round back to 5. */
	CHECK(send_data(e, &T4, 0x70000000));
	CHECK(send_data(e, &T4, 0xe0000000));
	CHECK(send_data(e, &T4, 5));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_stale", c.ts_stale, 2));
	CHECK(expect(bpf_map_lookup_elem(e->ts_fd, &k, &v) == 0, "identifier gone"));
	CHECK(expect_eq("time of the identifier (replaced: now)", v.sent,
			env_now(e)));
	return true;
}

/* Give the flow of T4 a known RTT history, as matching would leave it. */
static bool set_rtts(struct env *e, __u32 min_rtt, __u32 srtt, __u32 last_rtt)
{
	struct flow_key k = tuple_key(&T4);
	struct flow_state fs;

	if (bpf_map_lookup_elem(e->flow_fd, &k, &fs))
		return fail("no flow to set RTTs on");
	fs.dir[PPING_DIR_OUT].min_rtt = min_rtt;
	fs.dir[PPING_DIR_OUT].srtt = srtt;
	fs.dir[PPING_DIR_OUT].last_rtt = last_rtt;
	if (bpf_map_update_elem(e->flow_fd, &k, &fs, BPF_EXIST))
		return fail("updating the flow: %s", strerror(errno));
	return true;
}

/*
 * With an interval of `interval` ns: a burst started at t0 (the TSval
 * from, on the next whole second, after any earlier interval) blocks a
 * packet at t0 + interval - 1 ns and lets one through at t0 + interval.
 */
static bool expect_interval(struct env *e, __u32 from, __u64 interval)
{
	__u64 t0 = next_second(e);

	env_set_time(e, t0);
	if (!send_data(e, &T4, from))
		return false;
	if (!expect_ts(e, &T4, from, PPING_DIR_OUT))
		return false;
	env_set_time(e, t0 + interval - 1);
	if (!send_data(e, &T4, from + 1) ||
	    !expect_no_ts(e, &T4, from + 1, PPING_DIR_OUT))
		return false;
	env_set_time(e, t0 + interval);
	if (!send_data(e, &T4, from + 2))
		return false;
	return expect_ts(e, &T4, from + 2, PPING_DIR_OUT);
}

static bool test_rtt_rate(void)
{
	struct env_cfg cfg = CFG_TC_CLOCK;
	volatile struct pping_runtime *rt;
	struct env *e;

	/* Fallback: an hour, far from every RTT-based interval below. */
	cfg.rate_limit_ns = 3600ULL * 1000 * MS;
	CHECK(fixture_env(&e, &cfg));
	rt = env_runtime(e);
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;   /* 1 x RTT */
	rt->rtt_type = PPING_RTT_MIN;

	/* No RTT yet: the static limit applies, to the ns. */
	CHECK(expect_interval(e, 1, 3600ULL * 1000 * MS));

	/* min RTT 40 ms, factor 1: interval 40 ms. */
	CHECK(set_rtts(e, 40 * MS, 90 * MS, 90 * MS));
	CHECK(expect_interval(e, 10, 40 * MS));

	/* Factor 2: 80 ms. */
	rt->rtt_rate_fp = 2U << PPING_RTT_RATE_SHIFT;
	CHECK(expect_interval(e, 20, 80 * MS));

	/* Smoothed: the lower of srtt (90) and the latest sample (30), not
	 * the min RTT (10). */
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;
	rt->rtt_type = PPING_RTT_SMOOTHED;
	CHECK(set_rtts(e, 10 * MS, 90 * MS, 30 * MS));
	CHECK(expect_interval(e, 30, 30 * MS));
	CHECK(set_rtts(e, 10 * MS, 30 * MS, 90 * MS));
	CHECK(expect_interval(e, 40, 30 * MS));
	return true;
}

static bool test_older_tsval_ignored(void)
{
	struct env *e;

	/* A reordered older TSval is not new and does not move the flow's
	 * last TSval back, so the current value stays used (no ping-pong). */
	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, 100));
	CHECK(send_data(e, &T4, 50));
	CHECK(expect_no_ts(e, &T4, 50, PPING_DIR_OUT));
	CHECK(send_data(e, &T4, 100));
	CHECK(send_data(e, &T4, 101));
	CHECK(expect_ts(e, &T4, 101, PPING_DIR_OUT));
	CHECK(expect_map_sizes(e, 1, 2));
	return true;
}

DEFINE_TESTS(sampling,
	{ "rate_limit_timed", test_rate_limit_timed },
	{ "rate_limit_zero", test_rate_limit_zero },
	{ "burst", test_burst },
	{ "burst_window", test_burst_window },
	{ "burst_one_report", test_burst_one_report },
	{ "burst_id_after_idle", test_burst_id_after_idle },
	{ "idle_cleanup", test_idle_cleanup },
	{ "stale_identifier", test_stale_identifier },
	{ "stale_slot_identifier", test_stale_slot_identifier },
	{ "rtt_rate", test_rtt_rate },
	{ "older_tsval_ignored", test_older_tsval_ignored }
);
