/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear histogram of RTT samples (u64 nanoseconds), HDR-histogram
 * style: each power of two is cut into HIST_SUB equal buckets, so a bucket
 * is never wider than 1/32 of its lower bound and its midpoint is within
 * 1/64 (1.6%) of any value in it. That meets "relative error <= 2% from
 * 10 us to 10 s" with 1024 buckets (8 KiB) per histogram, cheap enough to
 * keep one per subnet and to add to once per RTT event. Pure logic, no BPF.
 *
 * A zeroed struct histogram is an empty one (hist_reset only zeroes it),
 * so calloc'ed or static histograms need no initialisation.
 */
#ifndef PPING_HISTOGRAM_H
#define PPING_HISTOGRAM_H

#include <linux/types.h>

#include "pping.h"

/* The datapath's histograms (in-kernel aggregation) share the layout. */
#define HIST_SUB_BITS PPING_HIST_SUB_BITS    /* 32 linear sub-buckets per power of two */
#define HIST_SUB      (1U << HIST_SUB_BITS)
#define HIST_MAX_BITS PPING_HIST_MAX_BITS    /* values >= 2^36 ns (68.7 s) land in the last bucket */
#define HIST_BUCKETS  PPING_HIST_BUCKETS     /* 1024 */

struct histogram {
	__u64 count;
	__u64 sum;        /* saturating */
	__u64 min;        /* valid when count > 0 */
	__u64 max;
	__u64 bucket[HIST_BUCKETS];
};

/* Index of the bucket holding v. */
unsigned int hist_bucket(__u64 v);
/* Smallest value in bucket b (b < HIST_BUCKETS). */
__u64 hist_bucket_low(unsigned int b);
/* One past the largest value in bucket b; the last bucket is open-ended and
 * gives UINT64_MAX. */
__u64 hist_bucket_high(unsigned int b);

void hist_reset(struct histogram *h);
void hist_add(struct histogram *h, __u64 v);
/* Add src's samples to dst, as if each had been hist_add'ed to it. */
void hist_merge(struct histogram *dst, const struct histogram *src);
/* Add the datapath's histogram of samples (struct agg_hist, in-kernel
 * aggregation) to h, as if each had been hist_add'ed to it. */
void hist_merge_agg(struct histogram *h, const struct agg_hist *src);

/*
 * Value at quantile q in [0,1]: the midpoint of the bucket that holds the
 * sample of rank ceil(q * count) (rank at least 1), clamped to [min, max];
 * q <= 0 gives min, q >= 1 gives max; 0 for an empty histogram. The
 * midpoint of the open last bucket is taken over its nominal width, as if
 * it ended at 2^HIST_MAX_BITS.
 */
__u64 hist_quantile(const struct histogram *h, double q);

/*
 * Samples in the buckets whose high <= bound (the open last bucket never
 * counts). That is the number of samples < bound exactly when bound is a
 * bucket boundary (hist_bucket_low of some bucket), such as 2^e * {1, 1.25,
 * 1.5, 1.75} for 2 <= e < HIST_MAX_BITS; otherwise it leaves out the
 * samples of the bucket that straddles bound. For Prometheus "le" buckets.
 */
__u64 hist_count_below(const struct histogram *h, __u64 bound);

/* hist_count_below for n increasing bounds at once, in one pass over the
 * buckets (a Prometheus page asks for ~170 bounds per histogram). */
void hist_counts_below(const struct histogram *h, const __u64 *bounds,
		       unsigned int n, __u64 *out);

#endif /* PPING_HISTOGRAM_H */
