// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup_batch.h"
#include "cleanup_rules.h"
#include "clock.h"
#include "flow_hash.h"
#include "loader.h"
#include "log.h"
#include "pping_tc.skel.h"

/*
 * Entries per lookup syscall. The kernel holds the CPU for one batch (it
 * copies whole buckets, so a little more): 1024 entries is a few hundred
 * microseconds, and the syscall itself is then a fraction of a percent.
 */
#define BATCH_ENTRIES 1024

#define MAX(a, b) ((a) > (b) ? (a) : (b))

int cleanup_batch_probe(void)
{
	__u32 keys[1], vals[1], out = 0, count = 1;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, sizeof(__u32),
			    sizeof(__u32), 1, NULL);
	if (fd < 0)
		return -errno;
	/* An empty map: the walk ends at once, with ENOENT. */
	err = bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &count, NULL);
	err = err && errno != ENOENT ? -errno : 0;
	close(fd);
	return err;
}

static void *map_shared(const struct bpf_map *m, size_t bytes, size_t *len)
{
	size_t page = sysconf(_SC_PAGESIZE);
	void *p;

	*len = (bytes + page - 1) / page * page;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		pr_warn("cannot map %s for batched cleanup: %s\n",
			bpf_map__name(m), strerror(errno));
		*len = 0;
		return NULL;
	}
	return p;
}

int cleanup_batch_open(struct cleanup_batch *cb, const struct pping_bpf *b)
{
	const struct bpf_map *sampled = b->tc->maps.sampled_flows;
	/* One set of buffers for both maps: the larger key and value. */
	size_t ksz = MAX(sizeof(struct flow_key), sizeof(struct ts_key));
	size_t vsz = MAX(sizeof(struct flow_state), sizeof(struct ts_value));

	memset(cb, 0, sizeof(*cb));
	cb->flow_fd = bpf_map__fd(b->tc->maps.flow_map);
	cb->ts_fd = bpf_map__fd(b->tc->maps.ts_map);
	cb->keys = malloc(BATCH_ENTRIES * ksz);
	cb->vals = malloc(BATCH_ENTRIES * vsz);
	cb->del = malloc(BATCH_ENTRIES * ksz);
	cb->reasons = malloc(BATCH_ENTRIES);
	cb->vidx = malloc(BATCH_ENTRIES * sizeof(*cb->vidx));
	if (!cb->keys || !cb->vals || !cb->del || !cb->reasons || !cb->vidx) {
		cleanup_batch_close(cb);
		return -ENOMEM;
	}
	cb->flow_count = map_shared(b->tc->maps.flow_count, sizeof(__s64),
				    &cb->count_len);
	cb->sampled = map_shared(sampled, (size_t)bpf_map__max_entries(sampled) *
				 sizeof(__u64), &cb->sampled_len);
	if (!cb->flow_count || !cb->sampled) {
		cleanup_batch_close(cb);
		return -errno ?: -EINVAL;
	}
	return 0;
}

/* A timed map syscall: the longest one is how long a pass holds a CPU. */
static void note_call(struct cleanup_batch *cb, __u64 t0)
{
	__u64 d = mono_ns() - t0;

	cb->calls++;
	if (d > cb->call_max_ns)
		cb->call_max_ns = d;
}

/*
 * What deleting flow entries entails besides the map, as flow_delete() and
 * cleanup's eviction do in the kernel: the count the datapath keeps exact,
 * and for an eviction the flow's bit in the sampled-flows bitmap.
 */
static void flows_deleted(struct cleanup_batch *cb, size_t ksz, __u32 from,
			  __u32 to, __u64 mask)
{
	__u32 i;

	__atomic_fetch_sub(cb->flow_count, (__s64)(to - from), __ATOMIC_RELAXED);
	for (i = from; i < to; i++) {
		__u64 bit;

		if (cb->reasons[i] != CLEAN_FLOW_EVICTED)
			continue;
		bit = pping_flow_hash((const struct flow_key *)((char *)cb->del + i * ksz)) &
		      mask;
		__atomic_fetch_or(&cb->sampled[bit >> 6], 1ULL << (bit & 63),
				  __ATOMIC_RELAXED);
	}
}

/* The closing events of the flows del[from..to) that were deleted. */
static void flows_closed(struct cleanup_batch *cb, __u32 from, __u32 to)
{
	struct pping_event e;
	__u32 i;

	for (i = from; cb->closing && i < to; i++) {
		const struct flow_state *fs = (const struct flow_state *)cb->vals +
					      cb->vidx[i];
		__u8 why = cleanup_closing_reason(cb->reasons[i], fs);

		if (!why)
			continue;
		cleanup_closing_event(&e, (const struct flow_key *)cb->del + i, fs,
				      why, cb->now);
		cb->closing(cb->closing_ctx, &e);
	}
}

/*
 * Delete the n keys in del (flow keys if flows). A key already gone (the
 * datapath deleted it since it was read) stops a batch delete: count it
 * and go on after it.
 */
static void delete_keys(struct cleanup_batch *cb, int fd, size_t ksz, __u32 n,
			bool flows, __u64 mask, __u64 *removed, __u64 *failed)
{
	__u32 done = 0, cnt, i;
	__u64 t0;
	int err;

	while (done < n) {
		cnt = n - done;
		t0 = mono_ns();
		err = bpf_map_delete_batch(fd, (char *)cb->del + done * ksz, &cnt, NULL);
		note_call(cb, t0);
		/* An error before the kernel's loop (memory, permission)
		 * leaves the count as asked: nothing was deleted. */
		if (err && cnt == n - done)
			cnt = 0;
		for (i = done; i < done + cnt; i++)
			removed[cb->reasons[i]]++;
		if (flows && cnt) {
			flows_deleted(cb, ksz, done, done + cnt, mask);
			flows_closed(cb, done, done + cnt);
		}
		done += cnt;
		if (!err)
			break;
		if (errno != ENOENT) {
			pr_warn("batched cleanup: delete failed: %s\n", strerror(errno));
			break;
		}
		(*failed)++;
		done++;
	}
}

typedef int (*verdict_fn)(struct cleanup_batch *cb, const void *key,
			  const void *val, const struct cleanup_params *p,
			  __u64 now, struct cleanup_stats *st, __u64 pending_evict);

static int flow_verdict(struct cleanup_batch *cb, const void *key,
			const void *val, const struct cleanup_params *p,
			__u64 now, struct cleanup_stats *st, __u64 pending_evict)
{
	const struct flow_state *fs = val;

	(void)cb;
	(void)key;
	st->flows_seen++;
	if (cleanup_flow_sampled(fs))
		st->flows_sampled++;
	return cleanup_flow_verdict(fs, p, now, st->flows_removed[CLEAN_FLOW_EVICTED] +
				    pending_evict);
}

static int ts_verdict(struct cleanup_batch *cb, const void *key,
		      const void *val, const struct cleanup_params *p,
		      __u64 now, struct cleanup_stats *st, __u64 pending_evict)
{
	const struct ts_key *k = key;
	struct flow_state fs;
	bool have;

	(void)pending_evict;
	st->ts_seen++;
	if (!cleanup_ts_may_expire(val, p, now))
		return -1;
	/* The rule needs the flow's RTT: one lookup, only for the
	 * identifiers old enough to be at stake. Only a flow that is not
	 * there orphans its identifier; any other failure keeps it. */
	have = bpf_map_lookup_elem(cb->flow_fd, &k->flow, &fs) == 0;
	if (!have && errno != ENOENT)
		return -1;
	return cleanup_ts_verdict(k, val, have ? &fs : NULL, p, now);
}

/*
 * Walk one map in batches. The kernel's cursor is a bucket index, so the
 * walk resumes where it stopped however many entries were deleted.
 */
static int walk_map(struct cleanup_batch *cb, int fd, size_t ksz, size_t vsz,
		    verdict_fn verdict, const struct cleanup_params *p, __u64 now,
		    struct cleanup_stats *st, __u64 *removed, bool flows)
{
	__u64 in = 0, out = 0, pending_evict;
	__u32 cnt, ndel, i;
	bool first = true, last;
	int reason, err;
	__u64 t0;

	for (;;) {
		cnt = BATCH_ENTRIES;
		t0 = mono_ns();
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, cb->keys,
					   cb->vals, &cnt, NULL);
		note_call(cb, t0);
		if (err && errno != ENOENT)
			return -errno;
		last = err != 0;   /* ENOENT: the last buckets came with it */
		first = false;
		ndel = 0;
		pending_evict = 0;
		for (i = 0; i < cnt; i++) {
			const char *k = (const char *)cb->keys + i * ksz;

			reason = verdict(cb, k, (const char *)cb->vals + i * vsz,
					 p, now, st, pending_evict);
			if (reason < 0)
				continue;
			if (flows && reason == CLEAN_FLOW_EVICTED)
				pending_evict++;
			memcpy((char *)cb->del + ndel * ksz, k, ksz);
			cb->vidx[ndel] = i;
			cb->reasons[ndel++] = (__u8)reason;
		}
		delete_keys(cb, fd, ksz, ndel, flows, p->sampled_mask, removed,
			    &st->delete_failed);
		if (last)
			return 0;
		in = out;
	}
}

int cleanup_batch_walk(struct cleanup_batch *cb, bool flows,
		       const struct cleanup_params *p, struct cleanup_stats *st)
{
	__u64 now = p->now ?: mono_ns();

	cb->now = now;
	if (flows)
		return walk_map(cb, cb->flow_fd, sizeof(struct flow_key),
				sizeof(struct flow_state), flow_verdict, p, now,
				st, st->flows_removed, true);
	return walk_map(cb, cb->ts_fd, sizeof(struct ts_key),
			sizeof(struct ts_value), ts_verdict, p, now, st,
			st->ts_removed, false);
}

void cleanup_batch_close(struct cleanup_batch *cb)
{
	if (cb->flow_count)
		munmap(cb->flow_count, cb->count_len);
	if (cb->sampled)
		munmap(cb->sampled, cb->sampled_len);
	free(cb->keys);
	free(cb->vals);
	free(cb->del);
	free(cb->reasons);
	free(cb->vidx);
	memset(cb, 0, sizeof(*cb));
}
