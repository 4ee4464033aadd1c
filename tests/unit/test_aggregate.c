// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's aggregation per subnet (user/aggregate.c) on a fake clock:
 * expiry of idle subnets with and without -a, and a sample that arrives
 * just after an interval's end. No datapath: the samples are events built
 * here, their time_ns is the clock, and there is no subnet map (as with
 * --metrics without -a).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "harness.h"

#define AGG_T0 (1000 * SECOND)   /* a monotonic clock some time after boot */

/* --metrics without -a: cumulative histograms, no intervals. */
static const struct agg_config AGG_METRICS = {
	.cumulative = true, .prefix_v4 = 24, .prefix_v6 = 48,
	.max_subnets = 2, .window_ns = 10 * SECOND,
};

/* An RTT sample of the remote end remote (IPv4) at time t. */
static void agg_sample(struct aggregate *a, const char *remote, __u64 t,
		       __u64 rtt)
{
	struct pping_event e;

	memset(&e, 0, sizeof(e));
	e.type = PPING_EVENT_RTT;
	e.dir = PPING_DIR_OUT;
	e.time_ns = t;
	e.rtt = rtt;
	e.flow.ipv = 4;
	e.flow.remote_addr[10] = e.flow.remote_addr[11] = 0xff;
	inet_pton(AF_INET, remote, &e.flow.remote_addr[12]);
	inet_pton(AF_INET, "192.168.0.1", &e.flow.local_addr[12]);
	aggregate_rtt(a, &e);
}

/* Samples since start of subnet net ("10.1.2.0/24"); -1: not tracked. */
static long long agg_count(const struct aggregate *a, const char *net)
{
	const struct subnet_stats *s;
	char name[64];
	__u32 pos = 0;

	while ((s = aggregate_next(a, &pos))) {
		aggregate_subnet_name(a, &s->key, name, sizeof(name));
		if (strcmp(name, net) == 0)
			return s->qdelay_total ? (long long)s->qdelay_total->count : 0;
	}
	return -1;
}

static bool expect_agg(const struct aggregate *a, const char *net,
		       long long want)
{
	long long got = agg_count(a, net);

	if (got == want)
		return true;
	if (want < 0)
		return fail("%s still tracked (%lld samples)", net, got);
	if (got < 0)
		return fail("%s not tracked", net);
	return fail("%s: %lld samples, want %lld", net, got, want);
}

/*
 * --metrics without -a: a subnet with no sample for the queueing-delay
 * window is forgotten, so a new subnet gets its slot once the table was
 * full; one with recent samples stays. A forgotten subnet that comes back
 * starts from zero (a counter reset to Prometheus).
 */
static bool test_aggregate_metrics_idle_expiry(void)
{
	struct aggregate a;
	bool ok = false;

	REQUIRE(expect(aggregate_init(&a, &AGG_METRICS, -1) == 0,
		       "aggregate_init failed"));
	agg_sample(&a, "10.1.1.1", AGG_T0, 20 * MS);
	agg_sample(&a, "10.1.2.1", AGG_T0, 30 * MS);
	/* Full, nothing idle: the new subnet is overflow. */
	agg_sample(&a, "10.1.3.1", AGG_T0 + 1 * SECOND, 40 * MS);
	REQUIRE(expect_eq("overflow with both active", a.overflow_total.rtts, 1));
	REQUIRE(expect_agg(&a, "10.1.3.0/24", -1));
	agg_sample(&a, "10.1.1.1", AGG_T0 + 5 * SECOND, 21 * MS);

	/* 10.1.2.0/24 has been idle for more than the window, 10.1.1.0/24
	 * for less. */
	agg_sample(&a, "10.1.3.1", AGG_T0 + 12 * SECOND, 40 * MS);
	REQUIRE(expect_eq("overflow after the window", a.overflow_total.rtts, 1));
	REQUIRE(expect_eq("subnets", a.used, 2));
	REQUIRE(expect_agg(&a, "10.1.1.0/24", 2));
	REQUIRE(expect_agg(&a, "10.1.2.0/24", -1));
	REQUIRE(expect_agg(&a, "10.1.3.0/24", 1));

	/* Back after 10.1.1.0/24 went idle: from zero. */
	agg_sample(&a, "10.1.2.1", AGG_T0 + 16 * SECOND, 30 * MS);
	REQUIRE(expect_eq("overflow when it comes back", a.overflow_total.rtts, 1));
	REQUIRE(expect_agg(&a, "10.1.1.0/24", -1));
	REQUIRE(expect_agg(&a, "10.1.2.0/24", 1));
	REQUIRE(expect_agg(&a, "10.1.3.0/24", 1));
	ok = true;
out:
	aggregate_free(&a);
	return ok;
}


/* -a 1s with --metrics: the same rule, checked when an interval ends. */
static const struct agg_config AGG_INTERVALS = {
	.interval_ns = SECOND, .cumulative = true, .prefix_v4 = 24,
	.prefix_v6 = 48, .max_subnets = 1, .window_ns = 10 * SECOND,
};

/* -a, its records written to memory. */
struct agg_run {
	struct aggregate a;
	struct output o;
	char *text;
	size_t len;
};

static bool agg_run_open(struct agg_run *r, const struct agg_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->o.format = OUTPUT_STANDARD;
	r->o.f = open_memstream(&r->text, &r->len);
	if (!r->o.f)
		return fail("open_memstream: %s", strerror(errno));
	if (aggregate_init(&r->a, cfg, -1))
		return fail("aggregate_init failed");
	r->a.interval_start = AGG_T0;
	return true;
}

static void agg_run_close(struct agg_run *r)
{
	aggregate_free(&r->a);
	if (r->o.f)
		fclose(r->o.f);
	free(r->text);
}

/* An interval ends at t. */
static void agg_flush_at(struct agg_run *r, __u64 t)
{
	static const struct wall_clock clock;
	struct pping_counters c;

	memset(&c, 0, sizeof(c));
	aggregate_flush(&r->a, &r->o, &c, &clock, t);
	fflush(r->o.f);
}

/*
 * With -a, a subnet idle for the window is forgotten at the first interval
 * end after that (not between two: a sample then is still overflow), and
 * its interval records were written before.
 */
static bool test_aggregate_interval_idle_expiry(void)
{
	struct agg_run r;
	bool ok = false;
	__u64 t;

	REQUIRE(agg_run_open(&r, &AGG_INTERVALS));
	agg_sample(&r.a, "10.1.1.1", AGG_T0 + SECOND / 2, 20 * MS);
	for (t = AGG_T0 + SECOND; t <= AGG_T0 + 10 * SECOND; t += SECOND)
		agg_flush_at(&r, t);
	REQUIRE(expect(strstr(r.text, " 10.1.1.0/24 rtts 1 min 20.000 p50 20.000 p95 20.000 p99 20.000 max 20.000 ms qdelay p50 0.000 p95 0.000 p99 0.000 max 0.000 ms window-min 20.000 ms tx 0 pkts 0 B rx 0 pkts 0 B retrans tx 0 rx 0 flows 0 sampled 0\n") != NULL,
		       "no record of 10.1.1.0/24 in:\n%s", r.text));
	/* Idle for 10.3 s, but no interval has ended since. */
	agg_sample(&r.a, "10.1.2.1", AGG_T0 + 10 * SECOND + 800 * MS, 30 * MS);
	REQUIRE(expect_eq("overflow between interval ends",
			  r.a.overflow_total.rtts, 1));
	REQUIRE(expect_agg(&r.a, "10.1.1.0/24", 1));
	agg_flush_at(&r, AGG_T0 + 11 * SECOND);
	REQUIRE(expect_agg(&r.a, "10.1.1.0/24", -1));
	agg_sample(&r.a, "10.1.2.1", AGG_T0 + 11 * SECOND + 500 * MS, 30 * MS);
	REQUIRE(expect_eq("overflow after the interval end",
			  r.a.overflow_total.rtts, 1));
	REQUIRE(expect_agg(&r.a, "10.1.2.0/24", 1));
	ok = true;
out:
	agg_run_close(&r);
	return ok;
}

/*
 * Live, an interval ends at the time the loop read, and the ring buffer is
 * read after that: a sample can be a little younger than the interval's
 * end. Its subnet is active, not idle for "now minus a later time".
 */
static bool test_aggregate_sample_after_interval_end(void)
{
	struct agg_run r;
	bool ok = false;

	REQUIRE(agg_run_open(&r, &AGG_INTERVALS));
	agg_sample(&r.a, "10.1.1.1", AGG_T0 + SECOND + 10000, 20 * MS);
	agg_flush_at(&r, AGG_T0 + SECOND);
	REQUIRE(expect_agg(&r.a, "10.1.1.0/24", 1));
	REQUIRE(expect_eq("subnets", r.a.used, 1));
	ok = true;
out:
	agg_run_close(&r);
	return ok;
}

DEFINE_TESTS(aggregate,
	{ "aggregate_metrics_idle_expiry", test_aggregate_metrics_idle_expiry },
	{ "aggregate_interval_idle_expiry", test_aggregate_interval_idle_expiry },
	{ "aggregate_sample_after_interval_end",
	  test_aggregate_sample_after_interval_end }
);
