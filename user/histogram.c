// SPDX-License-Identifier: GPL-2.0
/*
 * Bucket layout. Values below 2^HIST_SUB_BITS (32) get a bucket each, so
 * they are exact. Above, the octave [2^e, 2^(e+1)) is cut into 32 buckets
 * of width 2^(e-5). The width grows with the value, which keeps the
 * relative error constant (fixed 400 ns buckets, 2% at 10 us, would need
 * 25 million of them to reach 10 s), and it stays a power of two, so the
 * index is a shift of v rather than a logarithm. Octave e starts at index
 * (e - 4) * 32; the first 64 indices are the values 0..63 themselves,
 * which is why they need no special case.
 */
#include <stdint.h>
#include <string.h>

#include "histogram.h"

/* Everything from here up shares the last bucket. */
#define HIST_LIMIT (1ULL << HIST_MAX_BITS)

unsigned int hist_bucket(__u64 v)
{
	unsigned int e, shift;

	/* Clamp instead of branching out: 2^36 - 1 is in the last bucket. */
	v = v < HIST_LIMIT ? v : HIST_LIMIT - 1;
	/* OR-ing in 2^5 makes values below 64 look like octave 5 (shift 0,
	 * index = v), and keeps clzll's argument non-zero. */
	e = 63 - __builtin_clzll(v | HIST_SUB);
	shift = e - HIST_SUB_BITS;
	/* v >> shift is in [32, 64): the sub-bucket plus the octave's 32. */
	return (shift << HIST_SUB_BITS) + (unsigned int)(v >> shift);
}

__u64 hist_bucket_low(unsigned int b)
{
	if (b < HIST_SUB)
		return b;
	/* The inverse of hist_bucket: the top bits, then the shift. */
	return (__u64)((b & (HIST_SUB - 1)) | HIST_SUB)
	       << ((b >> HIST_SUB_BITS) - 1);
}

__u64 hist_bucket_high(unsigned int b)
{
	if (b >= HIST_BUCKETS - 1)
		return UINT64_MAX;
	return hist_bucket_low(b + 1);
}

void hist_reset(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

static __u64 add_sat(__u64 a, __u64 b)
{
	__u64 s;

	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

/* Runs once per RTT event: no loop, and the comparisons are selects. */
void hist_add(struct histogram *h, __u64 v)
{
	/* count == 0: a zeroed histogram's min of 0 is no sample. */
	h->min = (h->count == 0 || v < h->min) ? v : h->min;
	h->max = v > h->max ? v : h->max;
	h->count++;
	h->sum = add_sat(h->sum, v);
	h->bucket[hist_bucket(v)]++;
}

void hist_merge(struct histogram *dst, const struct histogram *src)
{
	unsigned int b;

	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum = add_sat(dst->sum, src->sum);
	for (b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
}

void hist_merge_agg(struct histogram *h, const struct agg_hist *src)
{
	__u64 count = 0, min = src->min;
	unsigned int b;

	/* The count is the buckets' own: each is its own atomic add in the
	 * datapath, and they are what the quantiles must agree with. */
	for (b = 0; b < HIST_BUCKETS; b++) {
		h->bucket[b] += src->bucket[b];
		count += src->bucket[b];
	}
	if (count == 0)
		return;
	/* The datapath keeps a 0 ns minimum as 1 (0 is "none yet"); bucket
	 * 0 holds exactly the zeros. */
	if (src->bucket[0])
		min = 0;
	if (h->count == 0 || min < h->min)
		h->min = min;
	if (src->max > h->max)
		h->max = src->max;
	h->count += count;
	h->sum = add_sat(h->sum, src->sum);
}

/* Nominal midpoint: for the open last bucket, as if it were as wide as the
 * other buckets of its octave (its neighbour's width). */
static __u64 bucket_mid(unsigned int b)
{
	__u64 low = hist_bucket_low(b);
	__u64 width = b < HIST_BUCKETS - 1 ? hist_bucket_high(b) - low
					   : low - hist_bucket_low(b - 1);

	return low + width / 2;
}

__u64 hist_quantile(const struct histogram *h, double q)
{
	__u64 rank, seen = 0, mid;
	unsigned int b;
	double r;

	if (h->count == 0)
		return 0;
	if (!(q > 0.0))   /* also NaN */
		return h->min;
	if (q >= 1.0)
		return h->max;

	/*
	 * ceil(q * count), but q is a decimal like 0.55 that a double holds
	 * a hair high, and 0.55 * 100 comes out 55.00000000000001: without
	 * the nudge down, p55 of 100 samples would be the 56th.
	 */
	r = q * (double)h->count;
	r -= r * 1e-9;
	rank = (__u64)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;

	for (b = 0; b < HIST_BUCKETS - 1; b++) {
		seen += h->bucket[b];
		if (seen >= rank)
			break;
	}
	/* The bucket's midpoint may lie outside what was seen (a single
	 * sample, or all of them in one bucket): min and max are exact. */
	mid = bucket_mid(b);
	if (mid < h->min)
		return h->min;
	if (mid > h->max)
		return h->max;
	return mid;
}

void hist_counts_below(const struct histogram *h, const __u64 *bounds,
		       unsigned int n, __u64 *out)
{
	unsigned int i, b = 0, end;
	__u64 below = 0;

	for (i = 0; i < n; i++) {
		/* The buckets before bound's own end at or below it; bound's
		 * bucket (or the last one, for any bound beyond it) ends
		 * above it. Bounds increase, so the walk goes on from b. */
		for (end = hist_bucket(bounds[i]); b < end; b++)
			below += h->bucket[b];
		out[i] = below;
	}
}

__u64 hist_count_below(const struct histogram *h, __u64 bound)
{
	__u64 n;

	hist_counts_below(h, &bound, 1, &n);
	return n;
}
