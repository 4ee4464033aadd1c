/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datapath's per-subnet traffic (subnet_map, per-CPU, filled with -a):
 * walking it with each subnet's cumulative counters summed over the CPUs,
 * and deleting entries the aggregation no longer keeps.
 */
#ifndef PPING_SUBNET_MAP_H
#define PPING_SUBNET_MAP_H

#include <stdbool.h>
#include <linux/types.h>

#include "pping.h"

struct subnet_map {
	int fd;                         /* -1: traffic is not counted */
	int ncpus;
	struct subnet_traffic *percpu;  /* read buffer, one value per CPU */
};

/* fd: the subnet_map, or -1 for none (then nothing is ever read). Returns
 * 0 or -ENOMEM. */
int subnet_map_open(struct subnet_map *m, int fd);
void subnet_map_close(struct subnet_map *m);

/* A subnet and its counters since the datapath created its entry. Returns
 * true to have the entry deleted. */
typedef bool subnet_map_fn(void *ctx, const struct subnet_key *k,
			   const struct subnet_traffic *sum);

/* fn for every subnet in the map. */
void subnet_map_each(struct subnet_map *m, subnet_map_fn *fn, void *ctx);

/* Delete k's entry: the datapath starts it again from zero. */
void subnet_map_forget(struct subnet_map *m, const struct subnet_key *k);

/* dst += sign * d, for each direction. */
void subnet_traffic_add(struct subnet_traffic *dst,
			const struct subnet_traffic *d, __s64 sign);

#endif /* PPING_SUBNET_MAP_H */
