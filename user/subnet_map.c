// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "subnet_map.h"

int subnet_map_open(struct subnet_map *m, int fd)
{
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	if (fd < 0)
		return 0;
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus > 0)
		m->percpu = calloc(m->ncpus, sizeof(*m->percpu));
	return m->percpu ? 0 : -ENOMEM;
}

void subnet_map_close(struct subnet_map *m)
{
	free(m->percpu);
	m->percpu = NULL;
}

void subnet_traffic_add(struct subnet_traffic *dst,
			const struct subnet_traffic *d, __s64 sign)
{
	int i;

	for (i = 0; i < PPING_DIR_MAX; i++) {
		dst->pkts[i] += sign * d->pkts[i];
		dst->bytes[i] += sign * d->bytes[i];
		dst->retrans[i] += sign * d->retrans[i];
	}
	dst->flows += sign * d->flows;
	dst->flows_sampled += sign * d->flows_sampled;
}

/*
 * Deleting the entry the walk stands on makes the next get_next_key start
 * over from the first key; the entries read again are then seen with
 * nothing new, and the walk still ends because each restart follows a
 * deletion.
 */
void subnet_map_each(struct subnet_map *m, subnet_map_fn *fn, void *ctx)
{
	struct subnet_key key, next, *prev = NULL;
	struct subnet_traffic sum;
	int c;

	if (m->fd < 0)
		return;
	while (bpf_map_get_next_key(m->fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->fd, &key, m->percpu))
			continue;   /* deleted meanwhile */
		memset(&sum, 0, sizeof(sum));
		for (c = 0; c < m->ncpus; c++)
			subnet_traffic_add(&sum, &m->percpu[c], 1);
		if (fn(ctx, &key, &sum))
			bpf_map_delete_elem(m->fd, &key);
	}
}

void subnet_map_forget(struct subnet_map *m, const struct subnet_key *k)
{
	if (m->fd >= 0)
		bpf_map_delete_elem(m->fd, k);
}
