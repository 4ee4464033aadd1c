/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's periodic work (aggregation intervals, cleanup, flushing,
 * interface checks, SIGHUP, the end of --duration) as jobs of one schedule,
 * evaluated against the loop's own clock: the wall clock live, the capture
 * clock in a replay. The rules for when a job is due and how it catches up
 * after falling behind are written here once, for both loops, and tested
 * with a fake clock (tests/unit/test_schedule.c).
 */
#ifndef PPING_SCHEDULE_H
#define PPING_SCHEDULE_H

#include <stdbool.h>
#include <linux/types.h>

struct sched_job {
	const char *name;
	/* Time between runs; 0: due at every check (then only ready() and
	 * after() decide). */
	__u64 period_ns;
	/* Extra condition once due (due: when it became due); NULL: none.
	 * A job due but not ready stays due. */
	bool (*ready)(void *ctx, __u64 due, __u64 now);
	/* The work, due at `due`, run at `now` on the loop's clock. Returns
	 * 0, or a negative errno that ends the loop. */
	int (*run)(void *ctx, __u64 due, __u64 now);
	/* After a run: the earliest time for the next one, if later than the
	 * period rule gives (e.g. cleanup's duty cycle); NULL: none. */
	__u64 (*after)(void *ctx, __u64 now);
	bool once;            /* run at most once (the end of --duration) */
	/* state */
	__u64 next;           /* due at or after this */
	__u64 runs;
	bool done;
};

#define SCHED_MAX_JOBS 8

struct schedule {
	struct sched_job jobs[SCHED_MAX_JOBS];
	int n;
	void *ctx;
};

void sched_init(struct schedule *s, void *ctx);

/* Add a job (before sched_start). Returns the job, or NULL if full. */
struct sched_job *sched_add(struct schedule *s, const struct sched_job *job);

/* The clock starts: every job with a period is first due a period later. */
void sched_start(struct schedule *s, __u64 now);

/*
 * Run, in the order they were added, the jobs due at `now`. A job that
 * fell behind by more than a period runs once, and its next time is the
 * first multiple of its period, counted from its last due time, after
 * `now`: it skips instead of bursting, and stays on its grid. Returns 0 or
 * the first error a job returned (the jobs after it do not run).
 */
int sched_run(struct schedule *s, __u64 now);

/* Would sched_run(s, now) run any job? (ready() must not change state.) */
bool sched_pending(const struct schedule *s, __u64 now);

#endif /* PPING_SCHEDULE_H */
