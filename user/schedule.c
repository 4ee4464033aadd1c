// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "schedule.h"

void sched_init(struct schedule *s, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
}

struct sched_job *sched_add(struct schedule *s, const struct sched_job *job)
{
	struct sched_job *j;

	if (s->n == SCHED_MAX_JOBS)
		return NULL;
	j = &s->jobs[s->n++];
	*j = *job;
	j->next = 0;
	j->runs = 0;
	j->done = false;
	return j;
}

void sched_start(struct schedule *s, __u64 now)
{
	int i;

	for (i = 0; i < s->n; i++)
		s->jobs[i].next = now + s->jobs[i].period_ns;
}

/* The next due time after a run that was due at `due`: the period grid,
 * skipping what `now` has passed, but not before what after() asks. */
static __u64 next_due(const struct schedule *s, const struct sched_job *j,
		      __u64 due, __u64 now)
{
	__u64 next = now, later;

	if (j->period_ns) {
		next = due + j->period_ns;
		if (next <= now)
			next += ((now - next) / j->period_ns + 1) * j->period_ns;
	}
	if (j->after) {
		later = j->after(s->ctx, now);
		if (later > next)
			next = later;
	}
	return next;
}

int sched_run(struct schedule *s, __u64 now)
{
	struct sched_job *j;
	__u64 due;
	int i, err;

	for (i = 0; i < s->n; i++) {
		j = &s->jobs[i];
		if (j->done || now < j->next)
			continue;
		due = j->next;
		if (j->ready && !j->ready(s->ctx, due, now))
			continue;
		err = j->run(s->ctx, due, now);
		j->runs++;
		if (j->once)
			j->done = true;
		else
			j->next = next_due(s, j, due, now);
		if (err)
			return err;
	}
	return 0;
}

bool sched_pending(const struct schedule *s, __u64 now)
{
	const struct sched_job *j;
	int i;

	for (i = 0; i < s->n; i++) {
		j = &s->jobs[i];
		if (j->done || now < j->next)
			continue;
		if (!j->ready || j->ready(s->ctx, j->next, now))
			return true;
	}
	return false;
}
