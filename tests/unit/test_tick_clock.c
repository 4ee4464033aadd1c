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
 *   tick_clock_stalled_jiffy: a packet whose jiffy stalled before its
 *     flow's interval ran out, but which itself comes after, still becomes
 *     an identifier, sent at its exact time (the bound allows for stalled
 *     jiffies); a reply in a tick already timed gives the exact RTT, and
 *     one beyond the bound is counted; packets the tick settles read no
 *     clock.
 *   tick_clock_xdp_reply: a reply through XDP in a timed tick reads the
 *     clock once, for its match; an ACK that matches nothing reads none.
 *   tick_clock_event_times: opening and closing events (TCP and ICMP)
 *     carry exact times inside a timed tick.
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

/* body on the fixture of cfg, pinned to one CPU while it runs. */
static bool pinned(const struct env_cfg *cfg, bool (*body)(struct env *e))
{
	struct pin pin = {};
	struct env *e;
	bool ok;

	CHECK(fixture_env(&e, cfg));
	CHECK(pin_cpu(&pin));
	ok = body(e);
	unpin_cpu(&pin);
	return ok;
}

/* Ticks of 10 ms (HZ 100): the bound is 60 ms. ENV_CLOCK_START is a
 * multiple of it. */
static const struct env_cfg CFG_TICK = {
	.tc = true, .test_clock = true, .tick_ns = 10 * MS,
	.rate_limit_ns = 100 * MS,
};

static const struct env_cfg CFG_TICK_XDP = {
	.tc = true, .xdp = true, .xdp_l3_only = true, .test_clock = true,
	.tick_ns = 10 * MS, .rate_limit_ns = 100 * MS,
};

/*
 * The flow's first identifier at +5 ms; at +50 ms a new tick, timed
 * exactly (rate limited: 45 ms). Then the jiffy stalls at that tick: at
 * +106 ms the tick's time still says +50, and only its bound (6 ticks of
 * 10 ms) lets the packet read the clock and become an identifier, sent at
 * +106; a bound under 55 ms would rate limit it. At +108 the tick settles
 * the rate limit alone.
 */
static bool stalled_identifier(struct env *e, __u64 t0)
{
	__u64 sent;

	env_set_time(e, t0 + 5 * MS);
	CHECK(send_data(e, &T4, 1));
	CHECK(expect_ts(e, &T4, 1, PPING_DIR_OUT));
	env_set_time(e, t0 + 50 * MS);
	CHECK(send_data(e, &T4, 2));
	CHECK(expect_no_ts(e, &T4, 2, PPING_DIR_OUT));
	env_hold_tick(e, true);
	env_set_time(e, t0 + 106 * MS);
	CHECK(send_data(e, &T4, 3));
	CHECK(expect(ts_lookup(e, &T4, 3, PPING_DIR_OUT, &sent),
		     "the segment 101 ms after the identifier, in a jiffy "
		     "stalled since 45 ms after it, is no identifier"));
	CHECK(expect_eq("identifier 3 sent (ns after t0)", sent - t0, 106 * MS));
	env_set_time(e, t0 + 108 * MS);
	CHECK(send_data(e, &T4, 4));
	CHECK(expect_no_ts(e, &T4, 4, PPING_DIR_OUT));
	return true;
}

static bool stalled(struct env *e)
{
	const __u64 t0 = ENV_CLOCK_START;
	const struct pping_event *ev;
	struct pping_counters c;

	CHECK(stalled_identifier(e, t0));
	/* The reply at +116 ms, the jiffy still stalled: its RTT is from
	 * the exact time, 10 ms, not the tick's; and the exact time is 66
	 * ms past the tick's, beyond the bound: counted. */
	env_set_time(e, t0 + 116 * MS);
	CHECK(ack_echo(e, &T4, 3));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, 10 * MS));
	CHECK(expect_eq("rtt event time (ns after t0)", ev->time_ns - t0, 116 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rate_limited", c.rate_limited, 2));
	/* Exact reads: the first packet of each tick (+5, +50), the packet
	 * the bound let through (+106) and the reply; none at +108. */
	CHECK(expect_eq("clock_reads", c.clock_reads, 4));
	CHECK(expect_eq("tick_overrun", c.tick_overrun, 1));
	return true;
}

static bool test_tick_clock_stalled_jiffy(void)
{
	return pinned(&CFG_TICK, stalled);
}

/* A reply through XDP in a tick tc egress timed: one exact read, for the
 * match; an ACK of the same tick that matches nothing reads none. */
static bool xdp_reply(struct env *e)
{
	const __u64 t0 = ENV_CLOCK_START;
	const struct pping_event *ev;
	struct pping_counters c0, c;
	struct pkt p;

	env_set_time(e, t0 + 5 * MS);
	CHECK(send_data(e, &T4, 1));
	env_set_time(e, t0 + 11 * MS);
	CHECK(send_data(e, &T4, 2));    /* times the tick [10, 20) ms */
	CHECK(read_counters(e, &c0));
	env_set_time(e, t0 + 13 * MS);
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 7002, 2, 0);
	CHECK(xdp_ingress(e, &p));
	env_set_time(e, t0 + 16 * MS);
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 7003, 1, 0);
	CHECK(xdp_ingress(e, &p));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, 11 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("clock reads by XDP", c.clock_reads - c0.clock_reads, 1));
	return true;
}

static bool test_tick_clock_xdp_reply(void)
{
	return pinned(&CFG_TICK_XDP, xdp_reply);
}

/* Opening and closing events carry exact times, though the tick was
 * timed earlier: a flow timed the tick at its start, T4's SYN comes 3 ms
 * later and its FIN 3.5 ms later, an ICMP echo 3.2 ms later. */
static bool event_times(struct env *e)
{
	const __u64 t0 = ENV_CLOCK_START;
	const __u64 want[] = { 3 * MS, 3200000ULL, 3500000ULL };
	__u8 kinds[3], got = 0;
	struct pkt p;
	int i;

	env_set_time(e, t0);
	CHECK(send_data(e, &T4B, 1));
	e->n_ev = 0;
	env_set_time(e, t0 + want[0]);
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0));
	env_set_time(e, t0 + want[1]);
	build_not_tcp(&p, &T4, PPING_DIR_OUT, IPPROTO_ICMP, 32);
	CHECK(egress(e, &p));
	env_set_time(e, t0 + want[2]);
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_FIN, 101, 0, 0));
	CHECK(expect_eq("events", e->n_ev, 3));
	for (i = 0; i < 3; i++) {
		kinds[i] = e->ev[i].flow_event;
		CHECK(expect(e->ev[i].time_ns - t0 == want[i],
			     "event %d (flow event %u): %llu ns after the tick's start, want %llu",
			     i, kinds[i], (unsigned long long)(e->ev[i].time_ns - t0),
			     (unsigned long long)want[i]));
		got |= 1 << kinds[i];
	}
	CHECK(expect(got == (1 << PPING_FLOW_OPENING | 1 << PPING_FLOW_CLOSING_EV),
		     "want openings and a closing, got flow events %u %u %u",
		     kinds[0], kinds[1], kinds[2]));
	return true;
}

static bool test_tick_clock_event_times(void)
{
	/* The rate limit settles the FIN by the tick: only the closing
	 * reads the clock for it. */
	static const struct env_cfg cfg = { .tc = true, .test_clock = true,
					    .rate_limit_ns = 100 * MS };

	return pinned(&cfg, event_times);
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
	/* 45 ms between bursts of up to 3 within 4 ms: the tick's bound
	 * (6 ticks of 4 ms) settles only part of each interval, intervals
	 * end at every place within a tick, and bursts are decided too. */
	env_runtime(e)->rate_limit_ns = 45 * MS;
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
	struct env_cfg exact_cfg = { .tc = true, .test_clock = true, .exact_clock = true };
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
	{ "tick_clock_stalled_jiffy", test_tick_clock_stalled_jiffy },
	{ "tick_clock_xdp_reply", test_tick_clock_xdp_reply },
	{ "tick_clock_event_times", test_tick_clock_event_times },
	{ "tick_clock_same_samples", test_tick_clock_same_samples }
);
