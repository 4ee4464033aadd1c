// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's schedule of periodic work (user/schedule.c) on a fake
 * clock: when a job is due, how it catches up after the loop fell behind,
 * readiness, the earliest-next override, one-shot jobs and errors. And
 * the replay's pacing rules (user/replay.c) it is given.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "replay.h"
#include "schedule.h"

#define T0 1000000ULL

/* What the test jobs saw. */
struct log {
	int runs[4];
	__u64 due[4][16], now[4][16];
	bool ready;              /* what ready() answers */
	__u64 after;             /* what after() answers */
	int ret[4];              /* what run() returns */
	int order[16], n_order;
};

static void note(struct log *l, int job, __u64 due, __u64 now)
{
	int r = l->runs[job]++;

	if (r < 16) {
		l->due[job][r] = due;
		l->now[job][r] = now;
	}
	if (l->n_order < 16)
		l->order[l->n_order++] = job;
}

#define JOB_FN(n) \
	static int run##n(void *ctx, __u64 due, __u64 now) \
	{ struct log *l = ctx; note(l, n, due, now); return l->ret[n]; }
JOB_FN(0)
JOB_FN(1)
JOB_FN(2)

static bool ready_fn(void *ctx, __u64 due, __u64 now)
{
	(void)due;
	(void)now;
	return ((struct log *)ctx)->ready;
}

static __u64 after_fn(void *ctx, __u64 now)
{
	(void)now;
	return ((struct log *)ctx)->after;
}

static bool add(struct schedule *s, const struct sched_job *j)
{
	return expect(sched_add(s, j) != NULL, "sched_add refused job %s", j->name);
}

/* A schedule of the n jobs j, logging to l, started at T0. */
static bool start(struct schedule *s, struct log *l, const struct sched_job *j,
		  int n)
{
	int i;

	sched_init(s, l);
	for (i = 0; i < n; i++)
		if (!add(s, &j[i]))
			return false;
	sched_start(s, T0);
	return true;
}

/* A job runs once per period, on the grid from the start, at the clock's
 * reading with the time it was due. */
static bool test_sched_period_grid(void)
{
	struct sched_job j = { .name = "p", .period_ns = 100, .run = run0 };
	struct schedule s;
	struct log l = {};

	if (!start(&s, &l, &j, 1))
		return false;
	sched_run(&s, T0 + 50);
	if (!expect_eq("runs before the first period", l.runs[0], 0))
		return false;
	sched_run(&s, T0 + 103);
	sched_run(&s, T0 + 150);
	sched_run(&s, T0 + 201);
	return expect_eq("runs after two periods", l.runs[0], 2) &&
	       expect_eq("first due", l.due[0][0], T0 + 100) &&
	       expect_eq("first run at", l.now[0][0], T0 + 103) &&
	       expect_eq("second due (on the grid, not 103 + 100)", l.due[0][1],
			 T0 + 200);
}

/* A loop that fell behind by several periods runs the job once, then
 * goes on from the first grid point after now: it skips, never bursts. */
static bool test_sched_skip_behind(void)
{
	struct sched_job j = { .name = "p", .period_ns = 100, .run = run0 };
	struct schedule s;
	struct log l = {};

	if (!start(&s, &l, &j, 1))
		return false;
	sched_run(&s, T0 + 550);
	sched_run(&s, T0 + 551);
	sched_run(&s, T0 + 599);
	if (!expect_eq("runs after falling 4.5 periods behind", l.runs[0], 1) ||
	    !expect_eq("the run was due at", l.due[0][0], T0 + 100))
		return false;
	sched_run(&s, T0 + 600);
	return expect_eq("runs at the next grid point", l.runs[0], 2) &&
	       expect_eq("due at", l.due[0][1], T0 + 600);
}

/* Due but not ready: the job waits, and runs with its original due time
 * once ready. Period 0: due at every check. */
static bool test_sched_ready_and_every_check(void)
{
	const struct sched_job j[2] = {
		{ .name = "w", .period_ns = 100, .ready = ready_fn, .run = run0 },
		{ .name = "e", .run = run1 },   /* every check */
	};
	struct schedule s;
	struct log l = {};

	if (!start(&s, &l, j, 2))
		return false;
	sched_run(&s, T0 + 120);
	sched_run(&s, T0 + 170);
	if (!expect_eq("runs while not ready", l.runs[0], 0))
		return false;
	l.ready = true;
	sched_run(&s, T0 + 180);
	sched_run(&s, T0 + 190);
	return expect_eq("runs once ready", l.runs[0], 1) &&
	       expect_eq("due time kept while waiting", l.due[0][0], T0 + 100) &&
	       expect_eq("run at", l.now[0][0], T0 + 180) &&
	       expect_eq("period-0 job runs at every check", l.runs[1], 4);
}

/* after() can push the next run later than the grid (cleanup's duty
 * cycle), never earlier. */
static bool test_sched_after(void)
{
	struct sched_job j = { .name = "a", .period_ns = 100,
			       .run = run0, .after = after_fn };
	struct schedule s;
	struct log l = {};

	if (!start(&s, &l, &j, 1))
		return false;
	l.after = T0 + 450;
	sched_run(&s, T0 + 100);
	sched_run(&s, T0 + 200);
	sched_run(&s, T0 + 449);
	if (!expect_eq("runs before after()'s time", l.runs[0], 1))
		return false;
	l.after = 0;   /* earlier than the grid: the grid wins */
	sched_run(&s, T0 + 450);
	sched_run(&s, T0 + 460);
	sched_run(&s, T0 + 550);
	return expect_eq("runs", l.runs[0], 3) &&
	       expect_eq("then on the grid", l.due[0][2], T0 + 550);
}

/* A one-shot job that returns 1 stops this round (jobs after it wait) and
 * never runs again; an error is returned and stops the round too. */
static bool test_sched_once_and_errors(void)
{
	const struct sched_job j[2] = {
		{ .name = "once", .period_ns = 300, .run = run0, .once = true },
		{ .name = "p", .period_ns = 100, .run = run1 },
	};
	struct schedule s;
	struct log l = { .ret = { 1, 0 } };
	int rc;

	if (!start(&s, &l, j, 2))
		return false;
	sched_run(&s, T0 + 100);
	rc = sched_run(&s, T0 + 300);
	if (!expect_eq("return of the round the one-shot job ended", rc, 1) ||
	    !expect_eq("runs of the job after it in that round", l.runs[1], 1))
		return false;
	rc = sched_run(&s, T0 + 300);
	if (!expect_eq("next round's return", rc, 0) ||
	    !expect_eq("one-shot runs", l.runs[0], 1) ||
	    !expect_eq("the other job caught up", l.runs[1], 2))
		return false;
	l.ret[1] = -EIO;
	rc = sched_run(&s, T0 + 600);
	return expect_eq("an error is returned", rc, -EIO) &&
	       expect_eq("one-shot still done", l.runs[0], 1);
}

/* Jobs run in the order they were added, and a full schedule says so. */
static bool test_sched_order_and_capacity(void)
{
	struct sched_job j[3] = {
		{ .name = "a", .period_ns = 10, .run = run2 },
		{ .name = "b", .period_ns = 10, .run = run0 },
		{ .name = "c", .period_ns = 10, .run = run1 },
	};
	struct schedule s;
	struct log l = {};
	int i;

	if (!start(&s, &l, j, 3))
		return false;
	sched_run(&s, T0 + 10);
	if (!expect_eq("order[0]", l.order[0], 2) ||
	    !expect_eq("order[1]", l.order[1], 0) ||
	    !expect_eq("order[2]", l.order[2], 1))
		return false;
	for (i = 3; i < SCHED_MAX_JOBS; i++)
		sched_add(&s, &j[0]);
	return expect(sched_add(&s, &j[0]) == NULL,
		      "a schedule of %d jobs took one more", SCHED_MAX_JOBS);
}

/* The replay's pacing: a due cleanup pass waits for an eighth of the flow
 * map's worth of packets, or a minute of capture time. */
static bool test_replay_pacing(void)
{
	struct replay r = {};
	const __u64 minute = 60 * SECOND;

	r.fed = 1000;
	r.fed_at_cleanup = 1000 - 127;
	if (!expect(!replay_cleanup_ready(&r, 1024, T0, T0 + SECOND),
		    "ready after 127 packets of 128"))
		return false;
	r.fed_at_cleanup = 1000 - 128;
	if (!expect(replay_cleanup_ready(&r, 1024, T0, T0 + SECOND),
		    "not ready after 128 packets of 128"))
		return false;
	r.fed_at_cleanup = 1000;
	if (!expect(!replay_cleanup_ready(&r, 1024, T0, T0 + minute - 1),
		    "ready just under a minute with no packets") ||
	    !expect(replay_cleanup_ready(&r, 1024, T0, T0 + minute),
		    "not ready after a minute"))
		return false;
	return true;
}

/*
 * sched_pending says whether sched_run would run anything, without running
 * it: the replay ends its batches there. Checked against sched_run itself
 * at every step: a job not yet due, due but not ready, ready, a one-shot
 * job done.
 */
static bool test_sched_pending(void)
{
	const struct sched_job jobs[] = {
		{ .name = "ready-gated", .period_ns = 10, .run = run0, .ready = ready_fn },
		{ .name = "once", .period_ns = 25, .run = run1, .once = true },
	};
	static const struct { __u64 t; bool ready; bool want; } steps[] = {
		{ T0 + 5, true, false },    /* nothing due */
		{ T0 + 10, false, false },  /* due, not ready */
		{ T0 + 12, true, true },    /* ready now */
		{ T0 + 15, true, false },   /* ran: next at T0 + 20 */
		{ T0 + 25, false, true },   /* the one-shot job */
		{ T0 + 26, false, false },  /* it is done; the other not ready */
		{ T0 + 27, true, true },
	};
	struct schedule s;
	struct log l;
	int runs, i;

	memset(&l, 0, sizeof(l));
	if (!start(&s, &l, jobs, 2))
		return false;
	for (i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
		l.ready = steps[i].ready;
		runs = l.runs[0] + l.runs[1];
		if (!expect(sched_pending(&s, steps[i].t) == steps[i].want,
			    "step %d: pending %d, want %d", i, !steps[i].want,
			    steps[i].want))
			return false;
		if (sched_run(&s, steps[i].t) < 0)
			return false;
		if (!expect((l.runs[0] + l.runs[1] != runs) == steps[i].want,
			    "step %d: sched_run %s", i,
			    steps[i].want ? "ran nothing" : "ran a job"))
			return false;
	}
	return true;
}

DEFINE_TESTS(schedule,
	{ "sched_period_grid", test_sched_period_grid },
	{ "sched_skip_behind", test_sched_skip_behind },
	{ "sched_ready_and_every_check", test_sched_ready_and_every_check },
	{ "sched_after", test_sched_after },
	{ "sched_once_and_errors", test_sched_once_and_errors },
	{ "sched_order_and_capacity", test_sched_order_and_capacity },
	{ "replay_pacing", test_replay_pacing },
	{ "sched_pending", test_sched_pending }
);
