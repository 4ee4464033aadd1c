/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A read-only view of the daemon's figures at one moment, for /metrics:
 * the datapath's counters, map fill, degradation, cleanup totals, events
 * received and the per-subnet statistics. The page depends on this
 * interface alone, not on the modules that keep the figures.
 */
#ifndef PPING_STATS_VIEW_H
#define PPING_STATS_VIEW_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "histogram.h"
#include "iface.h"
#include "pping.h"

struct aggregate;
struct event_sink;
struct pping_bpf;
struct upkeep;

struct stats_view {
	struct pping_counters counters;   /* summed over the CPUs */
	__u64 rtt_events;                 /* received by the daemon */
	/* Fill of the flow and identifier maps. */
	__u64 flows, max_flows, ts, max_ts;
	int degradation_level;
	__u64 degradation_changes;
	/* Cleanup totals. */
	__u64 cleanup_runs, cleanup_ns, cleanup_max_ns, cleanup_call_max_ns;
	const char *cleanup_mechanism;    /* "iter", "foreach", "batch", "off" */
	__u64 cleanup_interval_ns;        /* -c; 0: off */
	/* Per-subnet statistics (0 without -a and --metrics). */
	__u32 subnets;
	__u64 subnet_overflow_rtts;
	const struct aggregate *agg;      /* NULL: none; for stats_view_subnet */
	/* With more than one interface, each one's counters. */
	int n_ifaces;
	const struct iface *ifaces;
	struct pping_counters per_iface[PPING_MAX_IFACES];
};

/* Read the figures now. agg may be NULL (no aggregation). */
void stats_view_read(struct stats_view *v, struct pping_bpf *bpf,
		     struct upkeep *up, const struct aggregate *agg,
		     const struct event_sink *sink);

/* One subnet's samples since it has been tracked. */
struct stats_subnet {
	char name[INET6_ADDRSTRLEN + 8];   /* "10.1.2.0/24" */
	const char *ifname;                /* its interface, of several; or NULL */
	/* RTTs per enum pping_method (NULL: no sample by it), queueing
	 * delay of all of them */
	const struct histogram *rtt[PPING_METHOD_MAX], *qdelay;
	/* Its traffic, loss and coverage since tracked */
	const struct subnet_traffic *traffic;
};

/* The subnets with samples (--metrics): start with *pos 0; false at the
 * end. */
bool stats_view_subnet(const struct stats_view *v, __u32 *pos,
		       struct stats_subnet *s);

#endif /* PPING_STATS_VIEW_H */
