// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of a cleanup pass per map entry: the BPF map iterators pping uses
 * against the alternative, batched map syscalls (copy every entry out,
 * decide in userspace, delete in batches). Both walk the same full maps in
 * the same run, once keeping everything and once removing everything, so
 * the figures compare on a noisy machine.
 *
 * Usage: bench_cleanup [ENTRIES...]   (default 131072 1048576)
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "degrade.h"
#include "loader.h"
#include "pping_tc.skel.h"

#define BATCH 4096

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
 * per flow, all sent/seen at t. */
static int fill(const struct pping_bpf *b, __u32 n, __u64 t)
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
			flow_key_n(&fk[j], i + j);
			memset(&fv[j], 0, sizeof(fv[j]));
			fv[j].last_seen = t;
			fv[j].opened = (__u32)(t >> PPING_OPENED_SHIFT);
			fv[j].dir[0].min_rtt = fv[j].dir[0].srtt = 10000000;
			memset(&tk[j], 0, sizeof(tk[j]));
			tk[j].flow = fk[j];
			tk[j].tsval = i + j;
			tv[j].sent = t;
			tv[j].burst = t;
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

/*
 * The batched alternative for one map: read every entry out, apply the
 * identifier rule (age against a lifetime) in userspace, delete the
 * expired ones in batches. Returns entries seen.
 */
static long batch_pass(int fd, size_t ksz, size_t vsz, size_t toff, __u64 now,
		       __u64 life, long *removed)
{
	char *keys = malloc(BATCH * ksz), *vals = malloc(BATCH * vsz);
	char *del = malloc(BATCH * ksz);
	__u64 in = 0, out = 0;
	bool first = true;
	long seen = 0;
	__u32 cnt, ndel, i;
	int err;

	*removed = 0;
	for (;;) {
		cnt = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					   vals, &cnt, NULL);
		if (err && errno != ENOENT)
			break;
		first = false;
		ndel = 0;
		for (i = 0; i < cnt; i++) {
			__u64 t;

			memcpy(&t, vals + i * vsz + toff, sizeof(t));

			if (now - t >= life)
				memcpy(del + ndel++ * ksz, keys + i * ksz, ksz);
		}
		seen += cnt;
		if (ndel && bpf_map_delete_batch(fd, del, &ndel, NULL) == 0)
			*removed += ndel;
		if (err)
			break;   /* ENOENT: that was the last batch */
		in = out;
	}
	free(keys);
	free(vals);
	free(del);
	return seen;
}

/* ns per entry, [0] flow map, [1] identifier map */
struct result {
	double iter_keep[2], iter_remove[2], batch_keep[2], batch_remove[2];
	double wall_keep_ms;
};

static void per_entry(double out[2], const struct cleanup *c, __u32 n)
{
	out[0] = (double)c->last_flows_ns / n;
	out[1] = (double)c->last_ts_ns / n;
}

static void batch_both(const struct pping_bpf *b, __u64 now,
		       const struct cleanup_params *p, __u32 n, double out[2])
{
	long removed;
	__u64 t0 = now_ns();

	batch_pass(bpf_map__fd(b->tc->maps.flow_map), sizeof(struct flow_key),
		   sizeof(struct flow_state), offsetof(struct flow_state, last_seen),
		   now, p->idle_ns, &removed);
	out[0] = (double)(now_ns() - t0) / n;
	t0 = now_ns();
	batch_pass(bpf_map__fd(b->tc->maps.ts_map), sizeof(struct ts_key),
		   sizeof(struct ts_value), offsetof(struct ts_value, sent),
		   now, p->ts_cap_ns, &removed);
	out[1] = (double)(now_ns() - t0) / n;
}

static int bench_size(__u32 n, struct result *r)
{
	struct datapath_config cfg = {
		.has_l2 = true, .max_flows = n, .max_timestamps = n,
		.sampling = { .rate_limit_ns = 100000000, .burst = 1 },
	};
	struct cleanup_params keep = {}, drop;
	struct pping_bpf b;
	struct cleanup c;
	struct cleanup_stats st;
	__u64 t0, t = now_ns();
	int err;

	err = pping_bpf_load(&b, &cfg);
	err = err ?: cleanup_open(&c, &b, CLEANUP_ITER);
	if (err)
		return err;
	degrade_timeouts(0, &keep);
	keep.now = t + 1;          /* everything young: nothing removed */
	drop = keep;
	drop.now = t + 1000ULL * 1000000000ULL;   /* everything idle/expired */

	err = fill(&b, n, t);
	if (err)
		goto out;
	t0 = now_ns();
	cleanup_run(&c, &keep, &st);
	r->wall_keep_ms = (now_ns() - t0) / 1e6;
	per_entry(r->iter_keep, &c, n);
	cleanup_run(&c, &drop, &st);
	per_entry(r->iter_remove, &c, n);
	/* The kernel ends a read() of an iterator after 1M elements; the
	 * next read resumes, and may skip one element (the next pass
	 * gets it). Say so rather than hide it. */
	if (st.flows_removed[CLEAN_FLOW_IDLE] != n)
		printf("%10u note: the removing pass reached %llu of %u flows\n",
		       n, (unsigned long long)st.flows_removed[CLEAN_FLOW_IDLE], n);

	err = fill(&b, n, t);
	if (err)
		goto out;
	batch_both(&b, keep.now, &keep, n, r->batch_keep);
	batch_both(&b, drop.now, &drop, n, r->batch_remove);
out:
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
	struct result r;
	int i, m, n = argc > 1 ? argc - 1 : 2;
	__u32 size;

	libbpf_set_print(quiet);
	printf("cleanup cost in ns per entry, both maps full. keep: every entry young,\n"
	       "nothing removed; drop: every entry expired and removed. For identifiers\n"
	       "past the 1 s floor the iterator also looks up the flow for its RTT,\n"
	       "which the batched walk here does not (it applies the fixed cap)\n");
	printf("%10s %-11s %10s %10s %10s %10s\n", "entries", "map",
	       "iter keep", "iter drop", "batch keep", "batch drop");
	for (i = 0; i < n; i++) {
		size = argc > 1 ? (__u32)strtoul(argv[i + 1], NULL, 0) : defaults[i];
		if (bench_size(size, &r)) {
			fprintf(stderr, "bench at %u entries failed\n", size);
			return 1;
		}
		for (m = 0; m < 2; m++)
			printf("%10u %-11s %10.1f %10.1f %10.1f %10.1f\n", size,
			       m ? "identifiers" : "flows", r.iter_keep[m],
			       r.iter_remove[m], r.batch_keep[m], r.batch_remove[m]);
		printf("%10u one cleanup pass keeping everything: %.1f ms\n", size,
		       r.wall_keep_ms);
	}
	return 0;
}
