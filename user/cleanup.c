// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "clock.h"
#include "loader.h"
#include "log.h"
#include "pping_clean_iter.skel.h"
#include "pping_clean_walk.skel.h"
#include "pping_tc.skel.h"

/*
 * When a for-each call stops: after deleting max(WALK_DELETE_BUDGET, the
 * entries it passed over). A walk is memory-bound and passing over an
 * entry costs about as much as examining it, so splitting a walk by
 * entries examined would only repeat it without shortening its longest
 * call; deleting costs more and comes in floods (a mass expiry), so that
 * is what is split. Deleting at least as many as it passed over keeps the
 * repeated part of a call below its own work. SAMPLING_DESIGN.md has the
 * measurements.
 */
#define WALK_DELETE_BUDGET 65536

/*
 * The order CLEANUP_AUTO tries (SAMPLING_DESIGN.md, "Cleanup mechanisms"):
 * for-each walks cost a third of the CPU of either other way per entry and
 * need no kernel BTF; iterators hold a CPU as long, for more CPU; batched
 * syscalls hold it least, for the most CPU and a copy of every entry.
 */
static const enum cleanup_mech auto_order[] = {
	CLEANUP_FOREACH, CLEANUP_ITER, CLEANUP_BATCH,
};

static const char *const mech_names[CLEANUP_MECHS] = {
	[CLEANUP_AUTO] = "auto",
	[CLEANUP_ITER] = "iter",
	[CLEANUP_FOREACH] = "foreach",
	[CLEANUP_BATCH] = "batch",
};

static const char *const mech_words[CLEANUP_MECHS] = {
	[CLEANUP_AUTO] = "the first mechanism the kernel allows",
	[CLEANUP_ITER] = "map-element iterators",
	[CLEANUP_FOREACH] = "for-each walks in syscall programs",
	[CLEANUP_BATCH] = "batched map syscalls",
};

const enum cleanup_mech *cleanup_auto_order(size_t *n)
{
	*n = sizeof(auto_order) / sizeof(auto_order[0]);
	return auto_order;
}

const char *cleanup_mech_name(enum cleanup_mech m)
{
	return m < CLEANUP_MECHS ? mech_names[m] : "?";
}

int cleanup_mech_parse(const char *s, enum cleanup_mech *m)
{
	int i;

	for (i = 0; i < CLEANUP_MECHS; i++)
		if (!strcmp(s, mech_names[i])) {
			*m = (enum cleanup_mech)i;
			return 0;
		}
	return -1;
}

/* A kernel call of a pass, timed: the longest is how long a pass holds a
 * CPU at once. */
static void note_call(struct cleanup *c, __u64 t0)
{
	__u64 d = clock_ns(CLOCK_MONOTONIC) - t0;

	c->last_calls++;
	if (d > c->last_call_max_ns)
		c->last_call_max_ns = d;
}

/* ------------------------------------------------------------------------
 * The kernel mechanisms: iterators and for-each walks
 * ------------------------------------------------------------------------ */

static struct bpf_link *attach_iter(struct bpf_program *prog, int map_fd)
{
	union bpf_iter_link_info info = { .map.map_fd = map_fd };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts,
		.link_info = &info,
		.link_info_len = sizeof(info),
	);

	return bpf_program__attach_iter(prog, &opts);
}

/* Maps of its own for a probe: a few entries each, nothing shared. */
static int shrink_maps(struct bpf_object *obj)
{
	struct bpf_map *m;
	int err = 0;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			err = bpf_map__set_max_entries(m, sysconf(_SC_PAGESIZE));
		else if (bpf_map__type(m) == BPF_MAP_TYPE_HASH)
			err = bpf_map__set_max_entries(m, 16);
		if (err)
			return err;
	}
	return 0;
}

/* Share b's maps with obj, or give obj maps of its own (a probe). */
static int set_maps(struct bpf_object *obj, const struct pping_bpf *b,
		    char *why, size_t len)
{
	int err = b ? pping_bpf_share_maps(obj, b->tc->obj) : shrink_maps(obj);

	if (err)
		snprintf(why, len, "cannot set up the maps: %s", strerror(-err));
	return err;
}

static int open_iter(struct cleanup *c, const struct pping_bpf *b,
		     char *why, size_t len)
{
	struct pping_clean_iter *s = pping_clean_iter__open();
	int err;

	if (!s) {
		err = -errno;
		snprintf(why, len, "cannot open the programs: %s", strerror(errno));
		return err;
	}
	c->iter = s;
	err = set_maps(s->obj, b, why, len);
	if (err)
		return err;
	err = pping_clean_iter__load(s);
	if (err) {
		snprintf(why, len, "the kernel refused to load them (iter/bpf_map_elem): %s",
			 strerror(-err));
		return err;
	}
	c->params = &s->bss->params;
	c->stats = &s->bss->stats;
	c->flows_link = attach_iter(s->progs.cleanup_flows,
				    bpf_map__fd(s->maps.flow_map));
	c->ts_link = c->flows_link ? attach_iter(s->progs.cleanup_ts,
						 bpf_map__fd(s->maps.ts_map)) : NULL;
	if (!c->flows_link || !c->ts_link) {
		err = -errno;
		snprintf(why, len, "the kernel refused to attach them: %s",
			 strerror(errno));
		return err;
	}
	return 0;
}

static int open_walk(struct cleanup *c, const struct pping_bpf *b,
		     char *why, size_t len)
{
	struct pping_clean_walk *s = pping_clean_walk__open();
	int err;

	if (!s) {
		err = -errno;
		snprintf(why, len, "cannot open the programs: %s", strerror(errno));
		return err;
	}
	c->walk = s;
	err = set_maps(s->obj, b, why, len);
	if (err)
		return err;
	err = pping_clean_walk__load(s);
	if (err) {
		snprintf(why, len, "the kernel refused to load them (syscall programs): %s",
			 strerror(-err));
		return err;
	}
	c->params = &s->bss->params;
	c->stats = &s->bss->stats;
	return 0;
}

/*
 * An iterator runs while its fd is read; it prints nothing, so each read
 * returns 0 at the end of the map. The kernel stops a read after a
 * million elements with EAGAIN when nothing was printed: go on reading.
 */
static int run_iter(struct cleanup *c, struct bpf_link *link)
{
	char buf[64];
	int fd, err = 0;
	ssize_t n;
	__u64 t0;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	for (;;) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		n = read(fd, buf, sizeof(buf));
		note_call(c, t0);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			err = -errno;
		break;
	}
	close(fd);
	return err;
}

/*
 * A walk in calls that each stop after a budget of deletions (at least as
 * many as the entries they pass over). Each call passes over the entries
 * the earlier ones kept (those they deleted are gone). An entry the
 * datapath adds or deletes behind the walk's position shifts it by one: an
 * entry is then examined twice, or left for the next pass.
 */
static int run_walk(struct cleanup *c, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct cleanup_walk *w = &c->walk->bss->walk;
	int fd = bpf_program__fd(prog), err;
	__u64 t0;

	w->skip = 0;
	do {
		w->budget = c->walk_budget ?: WALK_DELETE_BUDGET;
		if (w->budget < w->skip)
			w->budget = w->skip;
		t0 = clock_ns(CLOCK_MONOTONIC);
		err = bpf_prog_test_run_opts(fd, &opts);
		note_call(c, t0);
		if (err)
			return -errno;
		w->skip += w->examined - w->removed - w->vanished;
	} while (w->stopped);
	return 0;
}

/* ------------------------------------------------------------------------
 * Choosing and running
 * ------------------------------------------------------------------------ */

static int run_map(struct cleanup *c, bool flows, const struct cleanup_params *p,
		   struct cleanup_stats *st)
{
	int err;

	switch (c->mech) {
	case CLEANUP_ITER:
		return run_iter(c, flows ? c->flows_link : c->ts_link);
	case CLEANUP_FOREACH:
		return run_walk(c, flows ? c->walk->progs.walk_flows :
				c->walk->progs.walk_timestamps);
	case CLEANUP_BATCH:
		c->batch.call_max_ns = 0;
		c->batch.calls = 0;
		err = cleanup_batch_walk(&c->batch, flows, p, st);
		if (c->batch.call_max_ns > c->last_call_max_ns)
			c->last_call_max_ns = c->batch.call_max_ns;
		c->last_calls += c->batch.calls;
		return err;
	default:
		return -EINVAL;
	}
}

static void add_stats(struct cleanup_stats *sum, const struct cleanup_stats *s)
{
	const __u64 *src = (const __u64 *)s;
	__u64 *dst = (__u64 *)sum;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(__u64); i++)
		dst[i] += src[i];
}

/* One pass, timed, without adding to the totals. */
static int pass(struct cleanup *c, const struct cleanup_params *p,
		struct cleanup_stats *out)
{
	__u64 wall = clock_ns(CLOCK_MONOTONIC);
	int err;

	memset(out, 0, sizeof(*out));
	c->last_call_max_ns = 0;
	c->last_calls = 0;
	if (c->params) {
		*c->params = *p;
		memset(c->stats, 0, sizeof(*c->stats));
	}
	/* Flows first: identifiers of a flow removed now go in the same pass. */
	err = run_map(c, true, p, out);
	c->last_flows_ns = clock_ns(CLOCK_MONOTONIC) - wall;
	if (!err)
		err = run_map(c, false, p, out);
	c->last_ts_ns = clock_ns(CLOCK_MONOTONIC) - wall - c->last_flows_ns;
	if (c->stats)
		*out = *c->stats;
	return err;
}

/*
 * A pass that removes nothing the rules would keep: every timeout at its
 * longest, nothing to evict (only flows left behind reset go, which any
 * pass removes). Run once when a mechanism opens, so a kernel that loads
 * a mechanism but refuses to run it is found before monitoring starts.
 */
static int trial_pass(struct cleanup *c, char *why, size_t len)
{
	struct cleanup_params keep;
	struct cleanup_stats st;
	int err;

	memset(&keep, 0xff, sizeof(keep));
	keep.now = 0;
	keep.evict_budget = 0;
	keep.ts_rtt_mult = 1;
	err = pass(c, &keep, &st);
	if (err)
		snprintf(why, len, "the kernel refused to run them: %s", strerror(-err));
	return err;
}

static void close_mech(struct cleanup *c)
{
	bpf_link__destroy(c->ts_link);
	bpf_link__destroy(c->flows_link);
	pping_clean_iter__destroy(c->iter);
	pping_clean_walk__destroy(c->walk);
	cleanup_batch_close(&c->batch);
	c->ts_link = c->flows_link = NULL;
	c->iter = NULL;
	c->walk = NULL;
	c->params = NULL;
	c->stats = NULL;
}

/* Open mechanism m on b's maps (or maps of its own if b is NULL) and run a
 * trial pass. */
static int open_mech(struct cleanup *c, const struct pping_bpf *b,
		     enum cleanup_mech m, char *why, size_t len)
{
	int err;

	c->mech = m;
	if (m == CLEANUP_BATCH) {
		err = cleanup_batch_probe();
		if (err) {
			snprintf(why, len, "the kernel has no batched map lookups: %s",
				 strerror(-err));
			return err;
		}
		if (!b)
			return 0;
		err = cleanup_batch_open(&c->batch, b);
		if (err) {
			snprintf(why, len, "%s", strerror(-err));
			return err;
		}
	} else if (m == CLEANUP_ITER) {
		err = open_iter(c, b, why, len);
	} else {
		err = open_walk(c, b, why, len);
	}
	if (!err)
		err = trial_pass(c, why, len);
	if (err)
		close_mech(c);
	return err;
}

int cleanup_probe(enum cleanup_mech m, char *why, size_t len)
{
	struct cleanup c = {};
	int err;

	why[0] = '\0';
	err = open_mech(&c, NULL, m, why, len);
	close_mech(&c);
	return err;
}

void cleanup_set_closing(struct cleanup *c,
			 void (*fn)(void *ctx, const struct pping_event *e),
			 void *ctx)
{
	c->batch.closing = fn;
	c->batch.closing_ctx = ctx;
}

int cleanup_open(struct cleanup *c, const struct pping_bpf *b,
		 enum cleanup_mech want)
{
	char why[CLEANUP_MECHS][160];
	size_t i;
	int err = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (want != CLEANUP_AUTO) {
		err = open_mech(c, b, want, why[0], sizeof(why[0]));
		if (err)
			pr_warn("cannot clean the maps with %s (--cleanup-mechanism %s): %s\n",
				mech_words[want], mech_names[want], why[0]);
		else
			pr_info("map cleanup: %s (--cleanup-mechanism %s, forced)\n",
				mech_words[want], mech_names[want]);
		return err;
	}
	for (i = 0; i < sizeof(auto_order) / sizeof(auto_order[0]); i++) {
		err = open_mech(c, b, auto_order[i], why[auto_order[i]], sizeof(why[0]));
		if (!err)
			break;
	}
	if (err) {
		pr_warn("cannot clean the maps: the kernel refused every mechanism (%s: %s; %s: %s; %s: %s)\n",
			mech_words[CLEANUP_ITER], why[CLEANUP_ITER],
			mech_words[CLEANUP_FOREACH], why[CLEANUP_FOREACH],
			mech_words[CLEANUP_BATCH], why[CLEANUP_BATCH]);
		return err;
	}
	/* A fallback is said once, without -v: the operator should know the
	 * kernel refused something, even though monitoring is unaffected. */
	if (i > 0)
		pr_warn("map cleanup uses %s: %s not usable (%s)%s%s%s\n",
			mech_words[c->mech], mech_words[auto_order[0]],
			why[auto_order[0]], i > 1 ? ", nor " : "",
			i > 1 ? mech_words[auto_order[1]] : "",
			i > 1 ? " (see -v)" : "");
	if (i > 1)
		pr_info("map cleanup: %s not usable: %s\n",
			mech_words[auto_order[1]], why[auto_order[1]]);
	pr_info("map cleanup: %s (--cleanup-mechanism %s)\n",
		mech_words[c->mech], mech_names[c->mech]);
	return 0;
}

int cleanup_run(struct cleanup *c, const struct cleanup_params *p,
		struct cleanup_stats *out)
{
	__u64 wall = clock_ns(CLOCK_MONOTONIC);
	__u64 cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int err;

	err = pass(c, p, out);
	wall = clock_ns(CLOCK_MONOTONIC) - wall;
	c->totals.runs++;
	c->totals.wall_ns += wall;
	if (wall > c->totals.wall_max_ns)
		c->totals.wall_max_ns = wall;
	if (c->last_call_max_ns > c->totals.call_max_ns)
		c->totals.call_max_ns = c->last_call_max_ns;
	c->totals.cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	add_stats(&c->totals.sum, out);
	if (err)
		pr_warn("map cleanup (%s) failed: %s\n", mech_names[c->mech],
			strerror(-err));
	return err;
}

void cleanup_close(struct cleanup *c)
{
	close_mech(c);
	memset(c, 0, sizeof(*c));
}
