// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of a cleanup pass per map entry, for every cleanup mechanism this
 * kernel allows (user/cleanup.c): map-element iterators, for-each walks in
 * syscall programs (with the daemon's budget of deletions per call, and
 * in one unbounded call for comparison), and batched map syscalls. Each walks the
 * same full maps in the same run, once keeping everything and once
 * removing everything, so the figures compare on a noisy machine. Also the
 * longest single kernel call of a pass: how long cleanup holds a CPU at
 * once on a kernel that does not preempt it.
 *
 * -P preallocates the identifier map, which otherwise allocates its
 * entries as they come and frees them as they go: what that choice costs
 * a pass.
 *
 * Usage: bench_cleanup_cost [-P] [ENTRIES...]   (default 131072 1048576)
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "degrade.h"
#include "loader.h"
#include "pping_tc.skel.h"

#define BATCH 4096

/* -P: the identifier map preallocated */
static bool ts_prealloc;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void flow_key_n(struct flow_key *k, __u32 i)
{
	memset(k, 0, sizeof(*k));
	k->local_addr[10] = k->local_addr[11] = 0xff;
	k->remote_addr[10] = k->remote_addr[11] = 0xff;
	k->local_addr[12] = 10;
	memcpy(&k->local_addr[13], &i, 3);
	k->remote_addr[12] = 192;
	k->local_port = (__be16)(i >> 24) + 1;
	k->remote_port = 80;
	k->ipv = 4;
	k->proto = 6;
}

/* Fill both maps with n entries each: flows with an RTT, one identifier
 * per flow, sent/seen at t, or every other one at t_odd. */
static int fill(const struct pping_bpf *b, __u32 n, __u64 t, __u64 t_odd)
{
	int ffd = bpf_map__fd(b->tc->maps.flow_map);
	int tfd = bpf_map__fd(b->tc->maps.ts_map);
	int cfd = bpf_map__fd(b->tc->maps.flow_count);
	struct flow_key *fk = calloc(BATCH, sizeof(*fk));
	struct flow_state *fv = calloc(BATCH, sizeof(*fv));
	struct ts_key *tk = calloc(BATCH, sizeof(*tk));
	struct ts_value *tv = calloc(BATCH, sizeof(*tv));
	__u32 i, j, cnt, zero = 0;
	__s64 count = n;
	int err = -ENOMEM;

	if (!fk || !fv || !tk || !tv)
		goto out;
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < BATCH ? n - i : BATCH;
		for (j = 0; j < cnt; j++) {
			__u64 at = (i + j) % 2 ? t_odd : t;

			flow_key_n(&fk[j], i + j);
			memset(&fv[j], 0, sizeof(fv[j]));
			fv[j].last_seen = at;
			fv[j].opened = (__u32)(at >> PPING_OPENED_SHIFT);
			fv[j].dir[0].min_rtt = fv[j].dir[0].srtt = 10000000;
			memset(&tk[j], 0, sizeof(tk[j]));
			tk[j].flow = fk[j];
			tk[j].tsval = i + j;
			tv[j].sent = at;
			tv[j].burst = at;
		}
		err = bpf_map_update_batch(ffd, fk, fv, &cnt, NULL);
		err = err ?: bpf_map_update_batch(tfd, tk, tv, &cnt, NULL);
		if (err) {
			err = -errno;
			goto out;
		}
	}
	err = bpf_map_update_elem(cfd, &zero, &count, 0) ? -errno : 0;
out:
	free(fk);
	free(fv);
	free(tk);
	free(tv);
	return err;
}

/* One way to clean: a mechanism, and for foreach the deletions per call
 * (0: the daemon's budget). */
struct way {
	enum cleanup_mech mech;
	__u64 budget;
	const char *label;
};

static const struct way ways[] = {
	{ CLEANUP_ITER, 0, "iter" },
	{ CLEANUP_FOREACH, 0, "foreach" },
	{ CLEANUP_FOREACH, ~0ULL, "foreach, one call" },
	{ CLEANUP_BATCH, 0, "batch" },
};

struct pass_cost {
	double ns[2];        /* per entry: [0] flow map, [1] identifier map */
	double call_max_ms;  /* longest kernel call of the pass */
	unsigned long long calls;
	unsigned long long removed[2];
};

static void note(struct pass_cost *pc, const struct cleanup *c,
		 const struct cleanup_stats *st, __u32 n)
{
	int r;

	pc->ns[0] = (double)c->last_flows_ns / n;
	pc->ns[1] = (double)c->last_ts_ns / n;
	pc->call_max_ms = c->last_call_max_ns / 1e6;
	pc->calls = c->last_calls;
	pc->removed[0] = pc->removed[1] = 0;
	for (r = 0; r < CLEAN_FLOW_REASONS; r++)
		pc->removed[0] += st->flows_removed[r];
	for (r = 0; r < CLEAN_TS_REASONS; r++)
		pc->removed[1] += st->ts_removed[r];
}

enum { KEEP, HALF, DROP, PASSES };
static const char *const pass_names[PASSES] = { "keep", "half", "drop" };

/*
 * Both maps of n entries, full. keep: everything young; half: every other
 * flow idle and its identifier orphaned, the rest young; drop: everything
 * idle and orphaned. Each pass on freshly filled maps.
 */
static int bench_way(const struct way *w, __u32 n, struct pass_cost pc[PASSES],
		     double *empty_ms)
{
	struct datapath_config cfg = {
		.has_l2 = true, .max_flows = n, .max_timestamps = n,
		.ts_prealloc = ts_prealloc,
		.sampling = { .rate_limit_ns = 100000000, .burst = 1 },
	};
	const __u64 later = 1000ULL * 1000000000ULL;   /* past every timeout */
	struct cleanup_params p = {};
	struct cleanup_stats st;
	struct pping_bpf b;
	struct cleanup c;
	__u64 t = now_ns();
	int err, i;

	err = pping_bpf_load(&b, &cfg);
	if (err)
		return err;
	err = cleanup_open(&c, &b, w->mech);
	if (err) {
		pping_bpf_destroy(&b);
		return err;
	}
	c.walk_budget = w->budget;
	degrade_timeouts(0, &p);
	/* Empty maps first: what an idle daemon pays per pass. */
	err = cleanup_run(&c, &p, &st);
	*empty_ms = (c.last_flows_ns + c.last_ts_ns) / 1e6;
	for (i = 0; i < PASSES && !err; i++) {
		/* The pass runs at t + later + 1: entries at t are old. */
		err = fill(&b, n, i == KEEP ? t + later : t,
			   i == DROP ? t : t + later);
		p.now = t + later + 1;
		err = err ?: cleanup_run(&c, &p, &st);
		if (!err)
			note(&pc[i], &c, &st, n);
		/* Empty both maps for the next fill. */
		p.now = t + 2 * later;
		err = err ?: cleanup_run(&c, &p, &st);
	}
	cleanup_close(&c);
	pping_bpf_destroy(&b);
	return err;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	static const __u32 defaults[] = { 131072, 1048576 };
	struct pass_cost pc[PASSES];
	double empty_ms;
	char why[200];
	int i, m, k, n;
	size_t w;
	__u32 size;

	while ((i = getopt(argc, argv, "P")) != -1) {
		if (i != 'P') {
			fprintf(stderr, "usage: %s [-P] [ENTRIES...]\n", argv[0]);
			return 2;
		}
		ts_prealloc = true;
	}
	argc -= optind - 1;
	argv += optind - 1;
	n = argc > 1 ? argc - 1 : 2;
	libbpf_set_print(quiet);
	printf("cleanup cost in ns per entry of each map, both maps full. keep: every\n"
	       "entry young, nothing removed; half: every other flow idle and removed,\n"
	       "its identifier orphaned; drop: everything removed. call ms: the longest\n"
	       "single kernel call of the pass (read(), BPF_PROG_TEST_RUN or a batch\n"
	       "syscall), how long cleanup held a CPU at once%s\n",
	       ts_prealloc ? "; the identifier map preallocated" : "");
	for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++)
		if ((w == 0 || ways[w].mech != ways[w - 1].mech) &&
		    cleanup_probe(ways[w].mech, why, sizeof(why)))
			printf("%s: not measured, kernel refused: %s\n",
			       cleanup_mech_name(ways[w].mech), why);
	printf("%8s %-17s %-11s", "entries", "mechanism", "map");
	for (k = 0; k < PASSES; k++)
		printf(" %6s ns %7s ms", pass_names[k], "call");
	printf(" %6s\n", "calls");
	for (i = 0; i < n; i++) {
		size = argc > 1 ? (__u32)strtoul(argv[i + 1], NULL, 0) : defaults[i];
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			if (cleanup_probe(ways[w].mech, why, sizeof(why)))
				continue;
			if (bench_way(&ways[w], size, pc, &empty_ms)) {
				fprintf(stderr, "bench of %s at %u entries failed\n",
					ways[w].label, size);
				return 1;
			}
			for (m = 0; m < 2; m++) {
				printf("%8u %-17s %-11s", size, ways[w].label,
				       m ? "identifiers" : "flows");
				for (k = 0; k < PASSES; k++)
					printf(" %9.1f %10.2f", pc[k].ns[m], pc[k].call_max_ms);
				printf(" %6llu\n", pc[DROP].calls);
			}
			printf("%8u %-17s a pass over both maps empty: %.2f ms\n", size,
			       ways[w].label, empty_ms);
			for (k = HALF; k < PASSES; k++) {
				__u64 want = k == HALF ? size / 2 : size;

				if (pc[k].removed[0] != want || pc[k].removed[1] != want)
					printf("%8u %-17s note: the %s pass removed %llu flows and %llu identifiers of %llu\n",
					       size, ways[w].label, pass_names[k],
					       pc[k].removed[0], pc[k].removed[1],
					       (unsigned long long)want);
			}
		}
	}
	return 0;
}
