// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "agg_kernel.h"

/*
 * A program that read the generation just before it turned may still be
 * adding to the old one: programs run for microseconds, without sleeping,
 * so a millisecond is ample. Those that are late anyway count themselves
 * (agg_late).
 */
#define SETTLE_NS 1000000L

int agg_kernel_open(struct agg_kernel *k, struct aggregate *a, int hists_fd,
		    int windows_fd, int tracked_fd, volatile struct pping_runtime *rt,
		    bool settle)
{
	volatile __u32 *gen = &rt->agg_gen;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	memset(k, 0, sizeof(*k));
	k->hists_fd = hists_fd;
	k->windows_fd = windows_fd;
	k->gen = gen;
	k->settle = settle;
	if (bpf_obj_get_info_by_fd(hists_fd, &info, &len))
		return -errno;
	k->max_keys = info.max_entries;
	a->kernel_windows_fd = windows_fd;
	a->kernel_tracked_fd = tracked_fd;
	a->kernel_table_full = &rt->agg_table_full;
	k->keys = calloc(k->max_keys, sizeof(*k->keys));
	k->untracked = calloc(k->max_keys, sizeof(*k->untracked));
	return k->keys && k->untracked ? 0 : -ENOMEM;
}

void agg_kernel_close(struct agg_kernel *k)
{
	free(k->keys);
	free(k->untracked);
	k->keys = NULL;
	k->untracked = NULL;
}

/* The keys of generation gen. Collected before any is deleted: a delete
 * during get_next_key would restart the walk. */
static __u32 keys_of(struct agg_kernel *k, __u8 gen)
{
	struct agg_key key, next;
	__u32 n = 0;
	void *prev = NULL;

	while (n < k->max_keys && !bpf_map_get_next_key(k->hists_fd, prev, &next)) {
		if (next.gen == gen)
			k->keys[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

static void import_windows(struct agg_kernel *k, struct aggregate *a,
			   __u64 now)
{
	struct subnet_key key, next;
	struct agg_window w;
	void *prev = NULL;

	/* Windows of subnets the table has no room for (their samples are
	 * overflow) would fill the window map for good: they are deleted
	 * (the datapath makes them again if those subnets go on), but only
	 * while the table is full. Otherwise an untracked window is a new
	 * subnet's whose first samples are in the generation not read yet. */
	bool full = a->used >= a->cfg.max_subnets;
	__u32 n = 0, i;

	while (!bpf_map_get_next_key(k->windows_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(k->windows_fd, &next, &w) &&
		    !aggregate_set_window(a, &next, &w, now) && full &&
		    n < k->max_keys)
			k->untracked[n++] = next;
		key = next;
		prev = &key;
	}
	/* After the walk, which a delete would restart. */
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(k->windows_fd, &k->untracked[i]);
}

int agg_kernel_read(struct agg_kernel *k, struct aggregate *a, __u64 now)
{
	__u8 old = *k->gen & 1;
	struct agg_entry e;
	__u32 i, n;

	__atomic_store_n(k->gen, *k->gen + 1, __ATOMIC_SEQ_CST);
	if (k->settle) {
		struct timespec ts = { 0, SETTLE_NS };

		nanosleep(&ts, NULL);
	}
	n = keys_of(k, old);
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(k->hists_fd, &k->keys[i], &e))
			continue;
		bpf_map_delete_elem(k->hists_fd, &k->keys[i]);
		aggregate_add_entry(a, &k->keys[i], &e, now);
	}
	k->entries += n;
	k->reads++;
	k->last_read = now;
	import_windows(k, a, now);
	return 0;
}
