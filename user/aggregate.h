/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation per subnet: RTT distributions built from the RTT events, or
 * added from the datapath's own histograms (agg_kernel.h; in log-linear
 * histograms), queueing delay against a sliding-window minimum,
 * and traffic read from the datapath's per-subnet counters (subnet_map.c).
 * Feeds both the per-interval records of -a (written by agg_print.c) and
 * the histograms of --metrics (read through stats_view.c).
 *
 * Idle subnets are forgotten, with or without --metrics: one with neither
 * a sample nor a packet for the queueing-delay window (with -a: and for
 * three intervals, if that is longer) leaves the table, so new subnets
 * find room; its --metrics series end, and start from zero if it comes
 * back. With -a this is checked at the end of each interval; without -a
 * nothing ends intervals, so the samples' own clock drives it, checked at
 * most once per tenth of the window (a window slot).
 */
#ifndef PPING_AGGREGATE_H
#define PPING_AGGREGATE_H

#include <stdbool.h>
#include <linux/types.h>

#include "format.h"
#include "histogram.h"
#include "iface.h"
#include "output.h"
#include "pping.h"
#include "subnet_map.h"

/* The queueing-delay window is kept as this many slots of minima. */
#define AGG_WINDOW_SLOTS PPING_AGG_WINDOW_SLOTS

struct agg_config {
	__u64 interval_ns;      /* -a; 0: no per-interval records */
	bool cumulative;        /* keep histograms since start (--metrics) */
	__u8 prefix_v4;
	__u8 prefix_v6;
	__u32 max_subnets;
	__u64 window_ns;        /* queueing-delay window */
	/* Live: the interfaces by slot; with more than one, subnets are
	 * kept per interface and records name theirs. */
	const struct iface *ifaces;
	int n_ifaces;
};

struct subnet_stats {
	struct subnet_key key;
	bool used;
	/* This interval (-a). */
	struct histogram *rtt, *qdelay;
	struct subnet_traffic traffic;
	/* Since start, or since it was last forgotten (--metrics): RTTs
	 * per method (enum pping_method; made at the method's first
	 * sample), queueing delay of all of them. */
	struct histogram *rtt_total[PPING_METHOD_MAX], *qdelay_total;
	/* Sliding minimum: slot_min[i] is the minimum RTT of window slot
	 * slot_id[i] (time / slot length). */
	__u64 slot_min[AGG_WINDOW_SLOTS];
	__u64 slot_id[AGG_WINDOW_SLOTS];
	struct subnet_traffic kernel_seen;  /* the datapath's cumulative counters last read */
	struct subnet_traffic traffic_total; /* since tracked (--metrics) */
	__u64 last_active;      /* the programs' clock at the last sample or packet */
};

/* What did not fit in the subnet table (max_subnets). */
struct agg_overflow {
	__u64 rtts;
	__u64 pkts;
};

struct aggregate {
	struct agg_config cfg;
	__u8 mask_v4[16], mask_v6[16];
	struct subnet_stats *tab;   /* open addressing, cap a power of two */
	__u32 cap, used;
	struct subnet_map traffic;  /* the datapath's per-subnet counters */
	struct agg_overflow overflow, overflow_total;
	struct pping_counters prev; /* counters at the last record */
	__u64 interval_start;       /* the programs' clock */
	__u64 expired_at;           /* last idle check without -a (sample time) */
	__u64 records;
	/* In-kernel aggregation (agg_kernel.h): the datapath's window map,
	 * whose entry goes with a forgotten subnet, and its map of the
	 * subnets tracked here, kept in step with the table; -1 without.
	 * *kernel_table_full says whether the table is full. */
	int kernel_windows_fd;
	int kernel_tracked_fd;
	volatile __u8 *kernel_table_full;
};

/* map_fd: the datapath's subnet_map, or -1 when traffic is not counted. */
int aggregate_init(struct aggregate *a, const struct agg_config *cfg,
		   int map_fd);
void aggregate_free(struct aggregate *a);

/* The subnet an address belongs to. */
void aggregate_subnet_of(const struct aggregate *a, struct subnet_key *k,
			 const __u8 addr[16], __u8 ipv);

/* One RTT event: into the histograms of the replying end's subnet (after
 * forgetting idle subnets, without -a). */
void aggregate_rtt(struct aggregate *a, const struct pping_event *e);

/* One entry of the datapath's histograms (in-kernel aggregation): into
 * the subnet's histograms, as if each of its samples had come as an event
 * at time now. */
void aggregate_add_entry(struct aggregate *a, const struct agg_key *k,
			 const struct agg_entry *e, __u64 now);

/* The datapath's queueing-delay window of a subnet (in-kernel
 * aggregation) becomes the subnet's, for the records' window minimum.
 * False if the subnet is not tracked (the table full). */
bool aggregate_set_window(struct aggregate *a, const struct subnet_key *k,
			  const struct agg_window *w, __u64 now);

/*
 * End of an interval at time now (the programs' clock): read the
 * per-subnet traffic, write one record per active subnet and the global
 * record (c: the counters now), forget idle subnets, then start the next
 * interval.
 */
void aggregate_flush(struct aggregate *a, struct output *o,
		     const struct pping_counters *c,
		     const struct wall_clock *clock, __u64 now);

/*
 * --metrics without -a: read the per-subnet traffic into the totals, and
 * forget idle subnets, as an interval's end does (now: the programs'
 * clock).
 */
void aggregate_read_traffic(struct aggregate *a, __u64 now);

/* Minimum RTT over the window ending at now; 0 if none. */
__u64 aggregate_window_min(const struct aggregate *a,
			   const struct subnet_stats *s, __u64 now);

/* "10.1.2.0/24", "fd00::/48" */
void aggregate_subnet_name(const struct aggregate *a,
			   const struct subnet_key *k, char *buf, size_t len);

/* The interface a subnet entry belongs to, if more than one is monitored
 * (NULL otherwise: one interface, or a replay). */
const char *aggregate_subnet_iface(const struct aggregate *a,
				   const struct subnet_key *k);

/* The subnets tracked, in table order: start with *pos 0; NULL at the end.
 * Valid until the next aggregate_rtt or aggregate_flush. */
const struct subnet_stats *aggregate_next(const struct aggregate *a,
					  __u32 *pos);

#endif /* PPING_AGGREGATE_H */
