/* SPDX-License-Identifier: GPL-2.0 */
/* The datapath's per-CPU counters, summed. */
#ifndef PPING_COUNTERS_H
#define PPING_COUNTERS_H

#include <stdio.h>
#include "pping.h"

/* Sum the counters map over every CPU and every interface slot. Returns 0
 * or -errno. */
int counters_read(int map_fd, struct pping_counters *sum);
/* ... of one interface slot. */
int counters_read_slot(int map_fd, __u32 slot, struct pping_counters *sum);
/* The one-line exit summary; of one interface if ifname is not NULL. */
void counters_print_summary(FILE *f, const char *ifname,
			    const struct pping_counters *c);

#endif /* PPING_COUNTERS_H */
