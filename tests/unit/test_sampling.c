// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling over time: these run the programs with real time passing
 * between packets (the programs read bpf_ktime_get_ns), so the rate limit,
 * bursts and RTT-based intervals are exercised as they work on live
 * traffic.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"

/* Data packets with TSvals from, from+1, ... due every period_ns from now
 * on, for duration_ns (the last one due before it ends). Returns how many
 * were sent. */
static int send_paced(struct env *e, const struct tuple *t, __u32 from,
		      __u64 period_ns, __u64 duration_ns)
{
	__u64 start = now_ns();
	int i;

	for (i = 0; (__u64)i * period_ns < duration_ns; i++) {
		sleep_until(start + i * period_ns);
		if (!send_data(e, t, from + i))
			return -1;
	}
	return i;
}

static bool expect_created(struct env *e, unsigned long long lo,
			   unsigned long long hi)
{
	struct pping_counters c;

	if (!read_counters(e, &c))
		return false;
	return expect(c.ts_created >= lo && c.ts_created <= hi,
		      "%llu identifiers created, want %llu to %llu",
		      (unsigned long long)c.ts_created, lo, hi);
}

static bool test_rate_limit_timed(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;
	int n;

	/* One packet with a new TSval every 1 ms for 1 s, 100 ms limit:
	 * identifiers at 0, 100, ..., 900 ms (10; 11 if the last packet
	 * lands right at 1000 ms). */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	n = send_paced(&e, &T4, 1, 1 * MS, 1000 * MS);
	REQUIRE(expect_eq("packets sent", n, 1000));
	REQUIRE(expect_created(&e, 9, 11));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_rate_limit_zero(void)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;
	__u32 i;

	/* Rate limit 0: every new TSval is an identifier; a repeated one is
	 * not (it is not the first packet with that value). */
	REQUIRE(env_open(&e, &CFG_TC));
	for (i = 1; i <= 200; i++) {
		REQUIRE(send_data(&e, &T4, i));
		REQUIRE(send_data(&e, &T4, i));
	}
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 200));
	REQUIRE(expect_eq("ts_exists", c.ts_exists, 0));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool burst_of(struct env *e, __u32 tsval, __u64 *burst)
{
	struct ts_value v;
	struct ts_key k;

	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(&T4);
	k.tsval = tsval;
	k.dir = PPING_DIR_OUT;
	if (bpf_map_lookup_elem(e->ts_fd, &k, &v))
		return fail("no identifier for TSval %u", tsval);
	*burst = v.burst;
	return true;
}

static bool test_burst(void)
{
	struct env_cfg cfg = CFG_TC;
	__u64 b1, b2, b3, b4;
	struct env e;
	bool ok = false;
	__u64 t0;

	/* --burst 3 --burst-window 20ms, 100 ms limit, a new TSval every
	 * 1 ms: three identifiers (0, 1, 2 ms), then none until 100 ms, then
	 * the next three. The window is wide so that a stall of the test
	 * process (shared VMs pause for several ms) cannot push the third
	 * packet out of it; test_burst_window tests the window's edge. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 20 * MS;
	t0 = now_ns();
	REQUIRE(send_paced(&e, &T4, 1, 1 * MS, 60 * MS) == 60);
	REQUIRE(expect_created(&e, 3, 3));
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 3, PPING_DIR_OUT));
	REQUIRE(burst_of(&e, 1, &b1) && burst_of(&e, 3, &b3));
	REQUIRE(expect(b1 == b3, "one burst has two ids: %llu %llu",
		       (unsigned long long)b1, (unsigned long long)b3));

	sleep_until(t0 + 101 * MS);
	REQUIRE(send_paced(&e, &T4, 1000, 1 * MS, 10 * MS) == 10);
	REQUIRE(expect_created(&e, 6, 6));
	REQUIRE(burst_of(&e, 1000, &b2) && burst_of(&e, 1002, &b4));
	REQUIRE(expect(b2 == b4 && b2 > b1, "burst ids %llu %llu after %llu",
		       (unsigned long long)b2, (unsigned long long)b4,
		       (unsigned long long)b1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_burst_window(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;

	/* Packets 3 ms apart with a 4 ms window: the burst takes the ones at
	 * 0 and 3 ms; the one at 6 ms is outside the window. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 4 * MS;
	REQUIRE(send_paced(&e, &T4, 1, 3 * MS, 8 * MS) == 3);
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(expect_no_ts(&e, &T4, 3, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_burst_one_report(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	/* A burst of three identifiers all matched: three samples count, one
	 * line is printed (the first match). */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 4 * MS;
	REQUIRE(send_paced(&e, &T4, 1, 1 * MS, 3 * MS) == 3);
	REQUIRE(ack_echo(&e, &T4, 2));
	REQUIRE(ack_echo(&e, &T4, 3));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 2));
	REQUIRE(expect_eq("rtt_unreported", c.rtt_unreported, 1));
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 1));

	/* The next burst reports again; a late echo of the old burst's first
	 * identifier does not (it would be a second line for an old burst). */
	usleep(101 * 1000);
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(ack_echo(&e, &T4, 10));
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 2));
	REQUIRE(ack_echo(&e, &T4, 1));    /* the old burst's unmatched first */
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 2));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 3));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Set the sampling slot and the last printed burst of T4's direction out. */
static bool set_burst_history(struct env *e, __u64 slot_start,
			      __u64 reported_burst)
{
	struct flow_key k = tuple_key(&T4);
	struct flow_state fs;

	if (bpf_map_lookup_elem(e->flow_fd, &k, &fs))
		return fail("no flow");
	fs.dir[PPING_DIR_OUT].slot = (slot_start & ~PPING_SLOT_COUNT_MASK) | 1;
	fs.dir[PPING_DIR_OUT].reported_burst = reported_burst & ~PPING_SLOT_COUNT_MASK;
	if (bpf_map_update_elem(e->flow_fd, &k, &fs, BPF_EXIST))
		return fail("updating the flow: %s", strerror(errno));
	return true;
}

static bool test_burst_id_after_idle(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;
	__u64 now;

	/* However long ago the last line was printed — an idle flow, or one
	 * whose matches failed for many minutes while bursts went on — the
	 * next burst's first match is printed. 32-bit ids compared
	 * wrap-aware got both wrong once the gap passed ~9 minutes. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 1));
	now = now_ns();
	REQUIRE(expect(now > 601ULL * 1000 * MS, "machine up less than 601 s"));

	REQUIRE(set_burst_history(&e, now - 600ULL * 1000 * MS, now - 600ULL * 1000 * MS));
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(ack_echo(&e, &T4, 2));
	REQUIRE(expect_eq("RTT events after idle", count_events(&e, PPING_EVENT_RTT), 1));

	REQUIRE(set_burst_history(&e, now_ns() - 200 * MS, now - 600ULL * 1000 * MS));
	REQUIRE(send_data(&e, &T4, 3));
	REQUIRE(ack_echo(&e, &T4, 3));
	REQUIRE(expect_eq("RTT events after silence", count_events(&e, PPING_EVENT_RTT), 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_stale_identifier(void)
{
	struct pping_counters c;
	struct ts_value v;
	struct ts_key k;
	struct env e;
	bool ok = false;

	/* An identifier never answered, met again after the TSval clock
	 * wrapped: the old one is replaced, not matched (an RTT of the wrap
	 * period would be reported). */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 5));
	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(&T4);
	k.tsval = 5;
	k.dir = PPING_DIR_OUT;
	REQUIRE(expect(bpf_map_lookup_elem(e.ts_fd, &k, &v) == 0, "no identifier"));
	v.sent -= PPING_TS_STALE_NS + 1000 * MS;
	REQUIRE(expect(bpf_map_update_elem(e.ts_fd, &k, &v, BPF_EXIST) == 0, "aging it"));
	REQUIRE(ack_echo(&e, &T4, 5));
	REQUIRE(expect_eq("RTT events from a stale identifier",
			  count_events(&e, PPING_EVENT_RTT), 0));

	REQUIRE(expect(bpf_map_update_elem(e.ts_fd, &k, &v, BPF_ANY) == 0, "re-adding"));
	/* The flow's TSval goes all the way round back to 5. */
	REQUIRE(send_data(&e, &T4, 0x70000000));
	REQUIRE(send_data(&e, &T4, 0xe0000000));
	REQUIRE(send_data(&e, &T4, 5));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_stale", c.ts_stale, 2));
	REQUIRE(expect(bpf_map_lookup_elem(e.ts_fd, &k, &v) == 0, "identifier gone"));
	REQUIRE(expect(now_ns() - v.sent < 1000 * MS,
		       "identifier not replaced: sent %llu ns ago",
		       (unsigned long long)(now_ns() - v.sent)));
	ok = true;
out:
	env_close(&e);
	return ok;
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
 * With an RTT-based interval of `interval` ns: a burst started at t0 (the
 * TSval from) blocks packets at t0 + interval/2 and lets one through at
 * t0 + interval + 5 ms.
 */
static bool expect_interval(struct env *e, __u32 from, __u64 interval)
{
	__u64 t0 = now_ns();

	if (!send_data(e, &T4, from))
		return false;
	if (!expect_ts(e, &T4, from, PPING_DIR_OUT))
		return false;
	sleep_until(t0 + interval / 2);
	if (!send_data(e, &T4, from + 1) ||
	    !expect_no_ts(e, &T4, from + 1, PPING_DIR_OUT))
		return false;
	sleep_until(t0 + interval + 5 * MS);
	if (!send_data(e, &T4, from + 2))
		return false;
	return expect_ts(e, &T4, from + 2, PPING_DIR_OUT);
}

static bool test_rtt_rate(void)
{
	struct env_cfg cfg = CFG_TC;
	volatile struct pping_runtime *rt;
	struct env e;
	bool ok = false;
	__u64 t0;

	/* Fallback: an hour, so "not yet" is unambiguous. */
	cfg.rate_limit_ns = 3600ULL * 1000 * MS;
	REQUIRE(env_open(&e, &cfg));
	rt = env_runtime(&e);
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;   /* 1 x RTT */
	rt->rtt_type = PPING_RTT_MIN;

	/* No RTT yet: the static limit applies. */
	t0 = now_ns();
	REQUIRE(send_data(&e, &T4, 1));
	sleep_until(t0 + 60 * MS);
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(expect_no_ts(&e, &T4, 2, PPING_DIR_OUT));

	/* min RTT 40 ms, factor 1: interval 40 ms. */
	REQUIRE(set_rtts(&e, 40 * MS, 90 * MS, 90 * MS));
	usleep(50 * 1000);
	REQUIRE(expect_interval(&e, 10, 40 * MS));

	/* Factor 2: 80 ms. */
	rt->rtt_rate_fp = 2U << PPING_RTT_RATE_SHIFT;
	usleep(90 * 1000);
	REQUIRE(expect_interval(&e, 20, 80 * MS));

	/* Smoothed: the lower of srtt (90) and the latest sample (30). */
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;
	rt->rtt_type = PPING_RTT_SMOOTHED;
	REQUIRE(set_rtts(&e, 10 * MS, 90 * MS, 30 * MS));
	usleep(100 * 1000);
	REQUIRE(expect_interval(&e, 30, 30 * MS));
	REQUIRE(set_rtts(&e, 10 * MS, 30 * MS, 90 * MS));
	usleep(100 * 1000);
	REQUIRE(expect_interval(&e, 40, 30 * MS));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_older_tsval_ignored(void)
{
	struct env e;
	bool ok = false;

	/* A reordered older TSval is not new and does not move the flow's
	 * last TSval back, so the current value stays used (no ping-pong). */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(send_data(&e, &T4, 50));
	REQUIRE(expect_no_ts(&e, &T4, 50, PPING_DIR_OUT));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(send_data(&e, &T4, 101));
	REQUIRE(expect_ts(&e, &T4, 101, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(sampling,
	{ "rate_limit_timed", test_rate_limit_timed },
	{ "rate_limit_zero", test_rate_limit_zero },
	{ "burst", test_burst },
	{ "burst_window", test_burst_window },
	{ "burst_one_report", test_burst_one_report },
	{ "burst_id_after_idle", test_burst_id_after_idle },
	{ "stale_identifier", test_stale_identifier },
	{ "rtt_rate", test_rtt_rate },
	{ "older_tsval_ignored", test_older_tsval_ignored }
);
