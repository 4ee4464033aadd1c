/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation per subnet: RTT distributions built from the RTT events (in
 * log-linear histograms), queueing delay against a sliding-window minimum,
 * and traffic read from the datapath's per-subnet counters. Feeds both the
 * per-interval records of -a and the histograms of --metrics.
 */
#ifndef PPING_AGGREGATE_H
#define PPING_AGGREGATE_H

#include <stdbool.h>
#include <linux/types.h>

#include "format.h"
#include "histogram.h"
#include "output.h"
#include "pping.h"

/* The queueing-delay window is kept as this many slots of minima. */
#define AGG_WINDOW_SLOTS 10

struct agg_config {
	__u64 interval_ns;      /* -a; 0: no per-interval records */
	bool cumulative;        /* keep histograms since start (--metrics) */
	__u8 prefix_v4;
	__u8 prefix_v6;
	__u32 max_subnets;
	__u64 window_ns;        /* queueing-delay window */
};

struct subnet_stats {
	struct subnet_key key;
	bool used;
	/* This interval (-a). */
	struct histogram *rtt, *qdelay;
	struct subnet_traffic traffic;
	/* Since start (--metrics). */
	struct histogram *rtt_total, *qdelay_total;
	/* Sliding minimum: slot_min[i] is the minimum RTT of window slot
	 * slot_id[i] (time / slot length). */
	__u64 slot_min[AGG_WINDOW_SLOTS];
	__u64 slot_id[AGG_WINDOW_SLOTS];
	struct subnet_traffic kernel_seen;  /* the datapath's cumulative counters last read */
	__u64 last_active;      /* monotonic ns of the last sample or packet */
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
	int map_fd;                 /* the datapath's subnet_map; -1: none */
	int ncpus;
	struct subnet_traffic *percpu;  /* read buffer */
	struct agg_overflow overflow, overflow_total;
	struct pping_counters prev; /* counters at the last record */
	__u64 interval_start;       /* monotonic */
	__u64 records;
};

/* map_fd: the datapath's subnet_map, or -1 when traffic is not counted. */
int aggregate_init(struct aggregate *a, const struct agg_config *cfg,
		   int map_fd);
void aggregate_free(struct aggregate *a);

/* The subnet an address belongs to. */
void aggregate_subnet_of(const struct aggregate *a, struct subnet_key *k,
			 const __u8 addr[16], __u8 ipv);

/* One RTT event: into the histograms of the replying end's subnet. */
void aggregate_rtt(struct aggregate *a, const struct pping_event *e);

/*
 * End of an interval at monotonic time now: read the per-subnet traffic,
 * write one record per active subnet and the global record (c: the
 * counters now), then start the next interval.
 */
void aggregate_flush(struct aggregate *a, struct output *o,
		     const struct pping_counters *c,
		     const struct wall_clock *clock, __u64 now);

/* Minimum RTT over the window ending at now; 0 if none. */
__u64 aggregate_window_min(const struct aggregate *a,
			   const struct subnet_stats *s, __u64 now);

/* "10.1.2.0/24", "fd00::/48" */
void aggregate_subnet_name(const struct aggregate *a,
			   const struct subnet_key *k, char *buf, size_t len);

#endif /* PPING_AGGREGATE_H */
