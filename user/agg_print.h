/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records of -a: one per subnet and a global one per interval, in the
 * standard text format or as JSON objects. What goes into them is worked
 * out by aggregate.c.
 */
#ifndef PPING_AGG_PRINT_H
#define PPING_AGG_PRINT_H

#include <linux/types.h>

#include "histogram.h"
#include "output.h"
#include "pping.h"

/* When the records of an interval are written. */
struct agg_stamp {
	__u64 wall;          /* end of the interval, wall-clock ns */
	__u64 interval;      /* its length, ns */
	char tod[32];        /* wall as time of day (text format) */
};

void agg_stamp_init(struct agg_stamp *st, __u64 wall, __u64 interval);

/* One subnet's interval. */
struct agg_subnet_record {
	const char *name;                   /* "10.1.2.0/24" */
	const char *ifname;                 /* its interface, of several; or NULL */
	const struct histogram *rtt, *qdelay;
	const struct subnet_traffic *traffic;
	__u64 window_min;                   /* 0: no sample left in the window */
};

/* The whole datapath's interval. */
struct agg_global_record {
	__u64 pkts, tcp, tcp_no_ts, rtt_samples, events_lost;
	__u32 subnets, subnets_max;
	__u64 overflow_rtts, overflow_pkts;
};

void agg_print_subnet(struct output *o, const struct agg_stamp *st,
		      const struct agg_subnet_record *r);
void agg_print_global(struct output *o, const struct agg_stamp *st,
		      const struct agg_global_record *g);

#endif /* PPING_AGG_PRINT_H */
