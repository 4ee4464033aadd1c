/* SPDX-License-Identifier: GPL-2.0 */
/* The datapath's per-CPU counters, summed. */
#ifndef PPING_COUNTERS_H
#define PPING_COUNTERS_H

#include <stdio.h>
#include "pping.h"

/* Sum every CPU's slot of the counters map. Returns 0 or -errno. */
int counters_read(int map_fd, struct pping_counters *sum);
/* The one-line exit summary. */
void counters_print_summary(FILE *f, const struct pping_counters *c);

#endif /* PPING_COUNTERS_H */
