// SPDX-License-Identifier: GPL-2.0
/*
 * The tick clock (bpf/clock.bpf.h): live, a packet is timed by the exact
 * time its CPU read at the first packet of the current jiffy, and reads
 * the exact clock only where that lower bound cannot decide. These tests
 * inject the jiffy with the time (env_cfg.tick_ns: the jiffy is the
 * injected time divided by the tick), so they can place packets within a
 * tick exactly, and pin themselves to one CPU, whose counters hold the
 * tick's time: which packets read the clock is then deterministic.
 *
 *   tick_clock_interval_edge: a packet whose tick began before its flow's
 *     interval ran out, but which itself comes after, still becomes an
 *     identifier, sent at its exact time; a reply in a tick already timed
 *     gives the exact RTT; packets the tick settles read no clock.
 *   tick_clock_xdp_reply: the same reply through XDP.
 *   tick_clock_same_samples: two flows, bursts, replies 7 ms after each
 *     segment, through an environment with the tick clock and one reading
 *     the exact clock for every packet: the same events, byte for byte,
 *     and the same counters, with far fewer clock reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include "harness.h"

/* Run on one CPU while a test lasts: the tick's time is kept per CPU. */
struct pin {
	cpu_set_t old;
	bool pinned;
};

static bool pin_cpu(struct pin *pin)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (cpu < 0 || sched_getaffinity(0, sizeof(pin->old), &pin->old))
		return fail("reading this thread's CPU: %s", strerror(errno));
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return fail("pinning to CPU %d: %s", cpu, strerror(errno));
	pin->pinned = true;
	return true;
}

static void unpin_cpu(struct pin *pin)
{
	if (pin->pinned)
		sched_setaffinity(0, sizeof(pin->old), &pin->old);
	pin->pinned = false;
}

/* Ticks of 10 ms, the longest there are (HZ 100): a tick whose start is
 * up to 10 ms before the packet. ENV_CLOCK_START is a multiple of it. */
static const struct env_cfg CFG_TICK = {
	.tc = true, .test_clock = true, .tick_ns = 10 * MS,
	.rate_limit_ns = 100 * MS,
};

static const struct env_cfg CFG_TICK_XDP = {
	.tc = true, .xdp = true, .xdp_l3_only = true, .test_clock = true,
	.tick_ns = 10 * MS, .rate_limit_ns = 100 * MS,
};

/*
 * Up to the identifier the interval edge lets through: the flow's first
 * identifier at +5 ms; at +101 ms (a new tick, timed exactly) the interval
 * has not passed; at +106 ms, in the same tick, it has, though the tick's
 * time (+101) says it has not: the packet must read the clock and become
 * an identifier sent at +106 ms.
 */
static bool edge_identifier(struct env *e, __u64 t0)
{
	__u64 sent;

	env_set_time(e, t0 + 5 * MS);
	CHECK(send_data(e, &T4, 1));
	CHECK(expect_ts(e, &T4, 1, PPING_DIR_OUT));
	env_set_time(e, t0 + 101 * MS);
	CHECK(send_data(e, &T4, 2));
	CHECK(expect_no_ts(e, &T4, 2, PPING_DIR_OUT));
	env_set_time(e, t0 + 106 * MS);
	CHECK(send_data(e, &T4, 3));
	CHECK(expect(ts_lookup(e, &T4, 3, PPING_DIR_OUT, &sent),
		     "the segment 101 ms after the identifier, in a tick timed "
		     "96 ms after it, is no identifier"));
	CHECK(expect_eq("identifier 3 sent (ns after t0)", sent - t0, 106 * MS));
	/* The next tick is timed at +111 ms; the packets after it in the
	 * same tick are rate limited by that time alone (111 + 10 is not
	 * 100 ms after 106). */
	env_set_time(e, t0 + 111 * MS);
	CHECK(send_data(e, &T4, 4));
	for (__u32 ms = 112; ms <= 115; ms++) {
		env_set_time(e, t0 + ms * MS);
		CHECK(send_data(e, &T4, ms));
	}
	return true;
}

static bool interval_edge(struct env *e)
{
	const __u64 t0 = ENV_CLOCK_START;
	const struct pping_event *ev;
	struct pping_counters c;

	CHECK(edge_identifier(e, t0));
	/* The reply at +116 ms, in the tick timed at +111: its RTT is
	 * from the exact time, 10 ms, not the tick's 5. */
	env_set_time(e, t0 + 116 * MS);
	CHECK(ack_echo(e, &T4, 3));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, 10 * MS));
	CHECK(expect_eq("rtt event time (ns after t0)", ev->time_ns - t0, 116 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rate_limited", c.rate_limited, 6));
	/* Exact reads: the first packet of each tick (+5, +101, +111), the
	 * packet the interval edge let through (+106) and the reply; none
	 * for the four packets the tick settled. */
	CHECK(expect_eq("clock_reads", c.clock_reads, 5));
	CHECK(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 8));
	return true;
}

static bool test_tick_clock_interval_edge(void)
{
	struct pin pin = {};
	struct env *e;
	bool ok;

	CHECK(fixture_env(&e, &CFG_TICK));
	CHECK(pin_cpu(&pin));
	ok = interval_edge(e);
	unpin_cpu(&pin);
	return ok;
}

static bool xdp_reply(struct env *e)
{
	const __u64 t0 = ENV_CLOCK_START;
	const struct pping_event *ev;
	struct pkt p;

	CHECK(edge_identifier(e, t0));
	env_set_time(e, t0 + 116 * MS);
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 7003, 3, 0);
	CHECK(xdp_ingress(e, &p));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, 10 * MS));
	return true;
}

static bool test_tick_clock_xdp_reply(void)
{
	struct pin pin = {};
	struct env *e;
	bool ok;

	CHECK(fixture_env(&e, &CFG_TICK_XDP));
	CHECK(pin_cpu(&pin));
	ok = xdp_reply(e);
	unpin_cpu(&pin);
	return ok;
}

/* The events each environment gave since the last step, compared whole,
 * then forgotten (the harness keeps MAX_EVENTS). */
static bool same_events(struct env *tick, struct env *exact, __u64 at)
{
	if (tick->n_ev != exact->n_ev)
		return fail("at %llu ms: %d events with the tick clock, %d with the exact one",
			    (unsigned long long)((at - ENV_CLOCK_START) / MS),
			    tick->n_ev, exact->n_ev);
	for (int i = 0; i < tick->n_ev; i++)
		if (memcmp(&tick->ev[i], &exact->ev[i], sizeof(tick->ev[i])))
			return fail("at %llu ms: event %d differs (type %u: rtt %llu against %llu)",
				    (unsigned long long)((at - ENV_CLOCK_START) / MS),
				    i, tick->ev[i].type,
				    (unsigned long long)tick->ev[i].rtt,
				    (unsigned long long)exact->ev[i].rtt);
	tick->n_ev = exact->n_ev = 0;
	return true;
}

#define SAME_MS 600
#define SAME_RTT_MS 7

static bool configure(struct env *e)
{
	/* 22 ms between bursts of up to 3 within 4 ms: the tick's bound
	 * settles only part of each interval, intervals end at every place
	 * within a tick of 4 ms, and bursts are decided too. */
	env_runtime(e)->rate_limit_ns = 22 * MS;
	env_runtime(e)->burst = 3;
	env_runtime(e)->burst_window_ns = 4 * MS;
	return true;
}

/* Every 0.5 ms a data segment of each flow with a new TSval (the ms it
 * left); each TSval echoed SAME_RTT_MS later. Ticks of 4 ms (HZ 250). */
static bool run_same(struct env *tick, struct env *exact, int *samples)
{
	const struct tuple *flows[] = { &T4, &T4B };
	struct pping_counters ct, ce;

	for (__u64 half = 0; half < 2 * SAME_MS; half++) {
		__u64 at = ENV_CLOCK_START + half * MS / 2;

		env_set_time(tick, at);
		env_set_time(exact, at);
		for (int f = 0; f < 2; f++) {
			__u32 tsval = (__u32)(100 + half / 2);

			CHECK(send_data(tick, flows[f], tsval));
			CHECK(send_data(exact, flows[f], tsval));
			if (half >= 2 * SAME_RTT_MS && half % 2 == 0) {
				CHECK(ack_echo(tick, flows[f], tsval - SAME_RTT_MS));
				CHECK(ack_echo(exact, flows[f], tsval - SAME_RTT_MS));
			}
		}
		*samples += tick->n_ev;
		CHECK(same_events(tick, exact, at));
	}
	CHECK(read_counters(tick, &ct));
	CHECK(read_counters(exact, &ce));
	CHECK(expect_eq("ts_created, tick against exact", ct.ts_created, ce.ts_created));
	CHECK(expect_eq("rtt_samples, tick against exact", ct.rtt_samples, ce.rtt_samples));
	CHECK(expect_eq("rate_limited, tick against exact", ct.rate_limited, ce.rate_limited));
	CHECK(expect_eq("ts_passed, tick against exact", ct.ts_passed, ce.ts_passed));
	CHECK(expect_eq("clock_reads without the tick clock", ce.clock_reads, 0));
	printf("  tick clock: %llu of %llu TCP packets read the exact clock; "
	       "%llu identifiers, %llu samples, as with the exact clock\n",
	       (unsigned long long)ct.clock_reads,
	       (unsigned long long)(ct.tcp[0] + ct.tcp[1]),
	       (unsigned long long)ct.ts_created,
	       (unsigned long long)ct.rtt_samples);
	/* 4 packets per ms: a tick of 4 ms holds 16, one of them timed; the
	 * others read the clock as an identifier, a reply that matches, or
	 * near the end of an interval. */
	CHECK(expect(ct.clock_reads * 3 < ct.tcp[0] + ct.tcp[1],
		     "%llu of %llu packets read the clock: the tick settled too few",
		     (unsigned long long)ct.clock_reads,
		     (unsigned long long)(ct.tcp[0] + ct.tcp[1])));
	CHECK(expect(ct.rtt_samples > 50, "only %llu samples",
		     (unsigned long long)ct.rtt_samples));
	return true;
}

static bool test_tick_clock_same_samples(void)
{
	struct env_cfg tick_cfg = { .tc = true, .test_clock = true, .tick_ns = 4 * MS };
	struct env_cfg exact_cfg = { .tc = true, .test_clock = true };
	struct pin pin = {};
	struct env *tick, exact;
	int samples = 0;
	bool ok;

	CHECK(fixture_env(&tick, &tick_cfg));
	if (!env_open(&exact, &exact_cfg)) {
		env_close(&exact);
		return false;
	}
	ok = configure(tick) && configure(&exact) && pin_cpu(&pin) &&
	     run_same(tick, &exact, &samples);
	unpin_cpu(&pin);
	env_close(&exact);
	return ok && expect(samples > 0, "no events compared");
}

DEFINE_TESTS(tick_clock,
	{ "tick_clock_interval_edge", test_tick_clock_interval_edge },
	{ "tick_clock_xdp_reply", test_tick_clock_xdp_reply },
	{ "tick_clock_same_samples", test_tick_clock_same_samples }
);
