// SPDX-License-Identifier: GPL-2.0
/*
 * The degradation policy (user/degrade.c), pure logic: sequences of
 * observed intervals go in, levels, epochs, eviction budgets and timeouts
 * come out. No BPF. The expected values are the documented ones (90% and
 * 50% watermarks, one step per interval, timeouts halving per level down
 * to their floors), written out rather than computed, so a change of
 * policy shows here.
 */
#include <string.h>

#include "harness.h"
#include "degrade.h"

#define MAX_FLOWS 1000
#define MAX_TS 2000
#define LOW (MAX_FLOWS / 2)   /* the low watermark in flows */

static void init(struct degrade *d, bool adaptive)
{
	struct degrade_cfg cfg = {
		.adaptive = adaptive,
		.max_flows = MAX_FLOWS,
		.max_ts = MAX_TS,
	};

	degrade_init(d, &cfg);
}

/* One interval with this input: the level goes from `from` to `to`. */
static bool step(struct degrade *d, const struct degrade_input *in, int from,
		 int to, struct degrade_action *act)
{
	char what[48];

	degrade_step(d, in, act);
	snprintf(what, sizeof(what), "level after one step from %d", from);
	return expect_eq("previous level", act->prev_level, from) &&
	       expect_eq(what, act->level, to) &&
	       expect_eq("policy's level", d->level, to) &&
	       expect_eq("sampled_admit (the low watermark)", act->sampled_admit, LOW);
}

/* Take a fresh policy up to `level` by sustained pressure. */
static bool raise_to(struct degrade *d, int level)
{
	struct degrade_input in = { .flows = MAX_FLOWS, .ts = 0 };
	struct degrade_action act;
	int l;

	for (l = 0; l < level; l++)
		if (!step(d, &in, l, l + 1, &act))
			return false;
	return true;
}

static bool test_degrade_raise(void)
{
	/* Each on its own is pressure: flow map or identifier map at the
	 * high watermark, or a flow or identifier refused for lack of room. */
	static const struct degrade_input pressure[] = {
		{ .flows = 900 },
		{ .ts = 1800 },
		{ .flows = 100, .flows_refused = 1 },
		{ .flows = 100, .ts_refused = 1 },
	};
	/* Just under the high watermark, nothing refused: no pressure. */
	static const struct degrade_input calm[] = {
		{ .flows = 899, .flows_deferred = 7 },
		{ .ts = 1799 },
	};
	struct degrade_action act;
	struct degrade d;
	size_t i;
	int l;

	for (i = 0; i < ARRAY_SIZE(pressure); i++) {
		init(&d, true);
		for (l = 0; l < PPING_DEGRADE_MAX_LEVEL; l++)
			if (!step(&d, &pressure[i], l, l + 1, &act))
				return fail_prefix("sustained pressure");
		for (l = 0; l < 3; l++)
			if (!step(&d, &pressure[i], PPING_DEGRADE_MAX_LEVEL,
				  PPING_DEGRADE_MAX_LEVEL, &act))
				return fail_prefix("pressure at the top level");
		if (!expect_eq("highest level", d.highest, PPING_DEGRADE_MAX_LEVEL) ||
		    !expect_eq("level changes", d.changes, PPING_DEGRADE_MAX_LEVEL))
			return false;
	}
	for (i = 0; i < ARRAY_SIZE(calm); i++) {
		init(&d, true);
		if (!step(&d, &calm[i], 0, 0, &act))
			return fail_prefix("below the high watermark");
	}
	return true;
}

static bool test_degrade_hold(void)
{
	/* Between the watermarks (50% counts as between), nothing refused. */
	static const struct degrade_input between[] = {
		{ .flows = 700 },
		{ .flows = LOW },
		{ .flows = 100, .ts = 1000 },
		{ .flows = 899, .flows_deferred = 3 },
	};
	struct degrade_action act;
	struct degrade d;
	size_t i;

	init(&d, true);
	if (!raise_to(&d, 3))
		return false;
	for (i = 0; i < ARRAY_SIZE(between); i++)
		if (!step(&d, &between[i], 3, 3, &act))
			return fail_prefix("between the watermarks");
	return expect_eq("level changes", d.changes, 3);
}

static bool test_degrade_lower(void)
{
	struct degrade_input in = { .flows = LOW - 1, .ts = MAX_TS / 2 - 1 };
	struct degrade_input refused = { .flows = 100, .flows_refused = 1 };
	struct degrade_action act;
	struct degrade d;
	int l;

	init(&d, true);
	if (!raise_to(&d, PPING_DEGRADE_MAX_LEVEL))
		return false;
	for (l = PPING_DEGRADE_MAX_LEVEL; l > 0; l--)
		if (!step(&d, &in, l, l - 1, &act))
			return fail_prefix("below the low watermark");
	if (!step(&d, &in, 0, 0, &act))
		return fail_prefix("at level 0");
	/* Deferred flows are no pressure, a refused one is. */
	in.flows_deferred = 5;
	if (!raise_to(&d, 2) || !step(&d, &in, 2, 1, &act))
		return fail_prefix("with deferred flows");
	if (!step(&d, &refused, 1, 2, &act))
		return fail_prefix("with a flow refused");
	/* Either map above the low watermark holds the level. */
	in.ts = MAX_TS / 2;
	if (!step(&d, &in, 2, 2, &act))
		return fail_prefix("identifier map at the low watermark");
	return true;
}

/* One interval from a level reached by pressure, and what it decides. */
struct step_case {
	const char *name;
	struct degrade_input in;
	int from, to;
	bool new_epoch;
	__u64 evict_budget;
};

static bool run_step_cases(const struct step_case *cases, size_t n)
{
	struct degrade_action act;
	struct degrade d;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct step_case *c = &cases[i];

		init(&d, true);
		if (!raise_to(&d, c->from) || !step(&d, &c->in, c->from, c->to, &act) ||
		    !expect_eq("new epoch", act.new_epoch, c->new_epoch) ||
		    !expect_eq("epochs", d.epochs, c->new_epoch) ||
		    !expect_eq("evict_budget", act.params.evict_budget, c->evict_budget))
			return fail_prefix(c->name);
	}
	return true;
}

/* A new epoch when flows were deferred and none refused under
 * degradation, and when degradation ends. */
static bool test_degrade_new_epoch(void)
{
	static const struct step_case cases[] = {
		{ "deferred, none refused", { .flows = 700, .flows_deferred = 4 }, 2, 2, true, 700 - LOW },
		{ "deferred and refused", { .flows = 700, .flows_deferred = 4, .flows_refused = 1 }, 2, 3, false, 700 - LOW },
		{ "nothing deferred", { .flows = 700 }, 3, 3, false, 0 },
		{ "deferred, going up", { .flows = 950, .flows_deferred = 1 }, 3, 4, true, 950 - LOW },
		{ "back to level 1", { .flows = 100 }, 2, 1, false, 0 },
		{ "back to level 0", { .flows = 100 }, 1, 0, true, 0 },
		{ "deferred at level 0", { .flows = 100, .flows_deferred = 4 }, 0, 0, false, 0 },
	};

	return run_step_cases(cases, ARRAY_SIZE(cases));
}

/* Sampled flows are evicted down to the low watermark, only under
 * degradation and only while flows want in (refused or deferred). */
static bool test_degrade_evict_budget(void)
{
	static const struct step_case cases[] = {
		{ "flows refused", { .flows = 950, .flows_refused = 2 }, 1, 2, false, 950 - LOW },
		{ "flows deferred", { .flows = 700, .flows_deferred = 2 }, 1, 1, true, 700 - LOW },
		{ "no demand", { .flows = 950 }, 1, 2, false, 0 },
		{ "demand at level 0", { .flows = 700, .flows_deferred = 2 }, 0, 0, false, 0 },
		{ "going to level 1 with demand", { .flows = 950, .flows_refused = 1 }, 0, 1, false, 950 - LOW },
		{ "at the low watermark", { .flows = LOW, .ts = 1900, .flows_deferred = 2 }, 2, 3, true, 0 },
		{ "below the low watermark", { .flows = 100, .flows_deferred = 2 }, 2, 1, true, 0 },
	};

	return run_step_cases(cases, ARRAY_SIZE(cases));
}

static bool test_degrade_not_adaptive(void)
{
	static const struct degrade_input inputs[] = {
		{ .flows = MAX_FLOWS, .ts = MAX_TS, .flows_refused = 9,
		  .flows_deferred = 9, .ts_refused = 9 },
		{ .flows = 100, .flows_deferred = 9 },
	};
	struct cleanup_params level0 = { 0 };
	struct degrade_action act;
	struct degrade d;
	int i;

	degrade_timeouts(0, &level0);
	init(&d, false);
	for (i = 0; i < 10; i++) {
		if (!step(&d, &inputs[i % ARRAY_SIZE(inputs)], 0, 0, &act) ||
		    !expect_eq("new epoch", act.new_epoch, false) ||
		    !expect_eq("evict_budget", act.params.evict_budget, 0) ||
		    !expect(memcmp(&act.params, &level0, sizeof(level0)) == 0,
			    "timeouts other than level 0's"))
			return false;
	}
	return expect_eq("highest level", d.highest, 0) &&
	       expect_eq("level changes", d.changes, 0) &&
	       expect_eq("epochs", d.epochs, 0);
}

/* ns of a number of seconds that may have a fraction. */
#define S(x) ((__u64)((x) * 1e9))

static bool test_degrade_timeouts(void)
{
	/* ts_cap (floor 1 s), half-closed (floor 1 s), unanswered (floor
	 * 2 s), idle (floor 2 s); identifier floor, closed and the srtt
	 * multiplier never change. */
	static const __u64 want[PPING_DEGRADE_MAX_LEVEL + 1][4] = {
		{ S(10), S(10), S(30), S(300) },
		{ S(5), S(5), S(15), S(150) },
		{ S(2.5), S(2.5), S(7.5), S(75) },
		{ S(1.25), S(1.25), S(3.75), S(37.5) },
		{ S(1), S(1), S(2), S(18.75) },
		{ S(1), S(1), S(2), S(9.375) },
		{ S(1), S(1), S(2), S(4.6875) },
	};
	struct degrade_input in = { .flows = MAX_FLOWS };
	struct degrade_action act;
	struct cleanup_params p;
	struct degrade d;
	char level[16];
	int l;

	init(&d, true);
	for (l = 0; l <= PPING_DEGRADE_MAX_LEVEL; l++) {
		snprintf(level, sizeof(level), "level %d", l);
		memset(&p, 0xff, sizeof(p));
		degrade_timeouts(l, &p);
		if (!expect_eq("ts_cap_ns", p.ts_cap_ns, want[l][0]) ||
		    !expect_eq("half_closed_ns", p.half_closed_ns, want[l][1]) ||
		    !expect_eq("unanswered_ns", p.unanswered_ns, want[l][2]) ||
		    !expect_eq("idle_ns", p.idle_ns, want[l][3]) ||
		    !expect_eq("ts_floor_ns", p.ts_floor_ns, S(1)) ||
		    !expect_eq("closed_ns", p.closed_ns, S(1)) ||
		    !expect_eq("ts_rtt_mult", p.ts_rtt_mult, 8))
			return fail_prefix(level);
		/* What a step at that level hands to cleanup. */
		if (l > 0 && !step(&d, &in, l - 1, l, &act))
			return fail_prefix(level);
		if (l > 0 && !expect_eq("idle_ns of the step", act.params.idle_ns,
					want[l][3]))
			return fail_prefix(level);
	}
	return true;
}

DEFINE_TESTS(degrade,
	{ "degrade_raise", test_degrade_raise },
	{ "degrade_hold", test_degrade_hold },
	{ "degrade_lower", test_degrade_lower },
	{ "degrade_new_epoch", test_degrade_new_epoch },
	{ "degrade_evict_budget", test_degrade_evict_budget },
	{ "degrade_not_adaptive", test_degrade_not_adaptive },
	{ "degrade_timeouts", test_degrade_timeouts }
);
