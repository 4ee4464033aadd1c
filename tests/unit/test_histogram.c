// SPDX-License-Identifier: GPL-2.0
/*
 * The RTT histogram (user/histogram.c), pure logic: no BPF. The layout is
 * checked against the formula written out here independently of the
 * clzll trick the module uses; accuracy against the 1/64 bound the layout
 * promises (the issue asks for 2% from 10 us to 10 s); quantiles, merge and
 * the Prometheus counts against brute force over the same samples.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "histogram.h"
#include "rng.h"

#define US 1000ULL

/* The midpoint of a bucket is within 1/64 of anything in it; the slack
 * only absorbs the rounding of the division below. */
#define MAX_REL_ERR (1.0 / 64 + 1e-12)

/* Fixed seed (rng_seed's default): a failure must reproduce. */
static struct rng rs;

/* Log-uniform in [lo, hi): as many samples per octave everywhere, like RTTs
 * that span orders of magnitude. */
static __u64 rng_log(__u64 lo, __u64 hi)
{
	double u = (double)(rng_next(&rs) >> 11) / (double)(1ULL << 53);
	__u64 v = (__u64)((double)lo * exp(u * log((double)hi / (double)lo)));

	return v < lo ? lo : v >= hi ? hi - 1 : v;
}

/* The layout as the design states it, by a loop instead of clzll. */
static unsigned int ref_bucket(__u64 v)
{
	unsigned int e = 0;

	if (v < HIST_SUB)
		return v;
	if (v >= 1ULL << HIST_MAX_BITS)
		return HIST_BUCKETS - 1;
	while (v >> (e + 1))
		e++;
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) - HIST_SUB);
}

static double rel_err(__u64 got, __u64 want)
{
	return fabs((double)got - (double)want) / (double)want;
}

static bool test_histogram_buckets(void)
{
	char what[64];
	unsigned int b;
	__u64 v;
	int e, i;

	for (b = 0; b < HIST_BUCKETS; b++) {
		__u64 low = hist_bucket_low(b), high = hist_bucket_high(b);

		snprintf(what, sizeof(what), "bucket %u [%llu, %llu)", b,
			 (unsigned long long)low, (unsigned long long)high);
		if (!expect(low < high, "empty") ||
		    (b + 1 < HIST_BUCKETS &&
		     !expect_eq("high == next bucket's low", high, hist_bucket_low(b + 1))) ||
		    !expect_eq("hist_bucket(low)", hist_bucket(low), b) ||
		    !expect_eq("hist_bucket(high - 1)", hist_bucket(high - 1), b))
			return fail_prefix(what);
		/* Exact below 32; above, at most 1/32 of the low bound wide. */
		if (b < HIST_SUB &&
		    (!expect_eq("low", low, b) || !expect_eq("high", high, b + 1)))
			return fail_prefix(what);
		if (b >= HIST_SUB && b + 1 < HIST_BUCKETS &&
		    !expect((high - low) * HIST_SUB <= low, "wider than low / 32"))
			return fail_prefix(what);
	}
	if (!expect_eq("low of bucket 0", hist_bucket_low(0), 0) ||
	    !expect_eq("high of the last bucket", hist_bucket_high(HIST_BUCKETS - 1),
		       UINT64_MAX) ||
	    !expect_eq("low of the last bucket", hist_bucket_low(HIST_BUCKETS - 1),
		       63ULL << 30))
		return false;

	/* Against the written-out formula: around every power of two, where
	 * the shift changes, and at random. */
	for (e = 0; e < 64; e++) {
		__u64 p = 1ULL << e;
		__u64 near[] = { p - 1, p, p + 1, p + p / 2 };

		for (i = 0; i < (int)ARRAY_SIZE(near); i++) {
			snprintf(what, sizeof(what), "hist_bucket(%llu)",
				 (unsigned long long)near[i]);
			if (!expect_eq(what, hist_bucket(near[i]), ref_bucket(near[i])))
				return false;
		}
	}
	rng_seed(&rs, 0);
	for (i = 0; i < 100000; i++) {
		v = rng_next(&rs) >> (rng_next(&rs) % 64);
		snprintf(what, sizeof(what), "hist_bucket(%llu)", (unsigned long long)v);
		if (!expect_eq(what, hist_bucket(v), ref_bucket(v)))
			return false;
	}
	return expect_eq("hist_bucket(UINT64_MAX)", hist_bucket(UINT64_MAX),
			 HIST_BUCKETS - 1);
}

static struct histogram h_err;

/* p50 of a histogram where v is the median but neither min nor max, so the
 * clamp cannot hide the bucket's midpoint; worst error so far in *worst. */
static bool check_value(__u64 v, double *worst, __u64 *worst_v)
{
	char what[64];
	__u64 p50;
	double err;

	snprintf(what, sizeof(what), "value %llu", (unsigned long long)v);
	hist_reset(&h_err);
	hist_add(&h_err, 1);
	hist_add(&h_err, v);
	hist_add(&h_err, v);
	hist_add(&h_err, v);
	hist_add(&h_err, 100 * SECOND);
	p50 = hist_quantile(&h_err, 0.5);
	err = rel_err(p50, v);
	if (err > *worst) {
		*worst = err;
		*worst_v = v;
	}
	if (!expect(err <= MAX_REL_ERR, "p50 %llu, relative error %.6f > 1/64",
		    (unsigned long long)p50, err))
		return fail_prefix(what);

	/* Only v: min, max and (clamped) quantiles exact. */
	hist_reset(&h_err);
	hist_add(&h_err, v);
	hist_add(&h_err, v);
	if (!expect_eq("min", h_err.min, v) || !expect_eq("max", h_err.max, v) ||
	    !expect_eq("p50 of v alone", hist_quantile(&h_err, 0.5), v) ||
	    !expect_eq("sum", h_err.sum, 2 * v))
		return fail_prefix(what);
	return true;
}

static bool test_histogram_relative_error(void)
{
	const __u64 lo = 10 * US, hi = 10 * SECOND;
	const int sweep = 4000, random = 4000;
	double worst = 0;
	__u64 worst_v = 0;
	unsigned int b;
	int i;

	/* Geometric sweep, both ends included. */
	for (i = 0; i < sweep; i++) {
		__u64 v = (__u64)llround((double)lo *
					 pow((double)hi / (double)lo,
					     (double)i / (sweep - 1)));

		if (!check_value(v, &worst, &worst_v))
			return false;
	}
	rng_seed(&rs, 0);
	for (i = 0; i < random; i++)
		if (!check_value(rng_log(lo, hi), &worst, &worst_v))
			return false;
	/* The worst cases by construction: the edges of every bucket in the
	 * range (a bucket's low is 1/64 off its midpoint at the octave's
	 * first bucket). */
	for (b = hist_bucket(lo); b <= hist_bucket(hi); b++)
		if (!check_value(hist_bucket_low(b), &worst, &worst_v) ||
		    !check_value(hist_bucket_high(b) - 1, &worst, &worst_v))
			return false;
	printf("  histogram: worst relative error %.6f (at %llu ns) over %d values from 10 us to 10 s\n",
	       worst, (unsigned long long)worst_v,
	       sweep + random + 2 * (int)(hist_bucket(hi) - hist_bucket(lo) + 1));
	return true;
}

static bool expect_quantile(const struct histogram *h, double q, __u64 want,
			    double tolerance)
{
	char what[32];
	__u64 got = hist_quantile(h, q);

	snprintf(what, sizeof(what), "q=%g", q);
	if (tolerance == 0)
		return expect_eq(what, got, want);
	return expect(rel_err(got, want) <= tolerance,
		      "%s: got %llu, want %llu within %.4f", what,
		      (unsigned long long)got, (unsigned long long)want, tolerance);
}

static bool test_histogram_quantile_uniform(void)
{
	static struct histogram h;
	__u64 i;

	hist_reset(&h);
	for (i = 1; i <= 10000; i++)
		hist_add(&h, i * US);
	return expect_eq("count", h.count, 10000) &&
	       expect_eq("sum", h.sum, 10000ULL * 10001 / 2 * US) &&
	       expect_quantile(&h, 0.5, 5000 * US, MAX_REL_ERR) &&
	       expect_quantile(&h, 0.95, 9500 * US, MAX_REL_ERR) &&
	       expect_quantile(&h, 0.99, 9900 * US, MAX_REL_ERR) &&
	       expect_quantile(&h, 0.001, 10 * US, MAX_REL_ERR) &&
	       expect_quantile(&h, 0, 1 * US, 0) &&
	       expect_quantile(&h, 1, 10000 * US, 0);
}

/* Ranks, on values below 32 whose buckets are exact. */
static bool test_histogram_quantile_rank(void)
{
	static struct histogram h;
	__u64 i;

	hist_reset(&h);
	if (!expect_quantile(&h, 0, 0, 0) || !expect_quantile(&h, 0.5, 0, 0) ||
	    !expect_quantile(&h, 1, 0, 0))
		return fail_prefix("empty");

	for (i = 1; i <= 20; i++)
		hist_add(&h, i);
	/* Rank ceil(q * 20), at least 1. */
	if (!expect_quantile(&h, 0.5, 10, 0) || !expect_quantile(&h, 0.51, 11, 0) ||
	    !expect_quantile(&h, 0.95, 19, 0) || !expect_quantile(&h, 0.99, 20, 0) ||
	    !expect_quantile(&h, 0.01, 1, 0) || !expect_quantile(&h, 0.051, 2, 0) ||
	    !expect_quantile(&h, 1e-12, 1, 0) ||
	    !expect_quantile(&h, -1, 1, 0) || !expect_quantile(&h, 2, 20, 0) ||
	    !expect_quantile(&h, NAN, 1, 0))
		return fail_prefix("1..20");

	/* 0.55 * 100 is 55.00000000000001 in doubles: p55 must still be the
	 * 55th sample. */
	hist_reset(&h);
	for (i = 0; i < 100; i++)
		hist_add(&h, i < 55 ? 3 : 7);
	if (!expect_quantile(&h, 0.55, 3, 0) || !expect_quantile(&h, 0.56, 7, 0))
		return fail_prefix("55 x 3 then 45 x 7");

	/* Both samples in bucket [992, 1008), midpoint 1000: clamped. */
	hist_reset(&h);
	hist_add(&h, 993);
	hist_add(&h, 994);
	if (!expect_quantile(&h, 0.5, 994, 0) || !expect_quantile(&h, 0.01, 994, 0) ||
	    !expect_quantile(&h, 0, 993, 0))
		return fail_prefix("clamped to max");
	hist_reset(&h);
	hist_add(&h, 1006);
	hist_add(&h, 1007);
	if (!expect_quantile(&h, 0.99, 1006, 0))
		return fail_prefix("clamped to min");
	return true;
}

static bool test_histogram_saturation(void)
{
	static struct histogram h, other;
	const __u64 big = 1ULL << 40, last_low = 63ULL << 30;

	if (!expect_eq("hist_bucket(2^40)", hist_bucket(big), HIST_BUCKETS - 1) ||
	    !expect_eq("hist_bucket(2^36)", hist_bucket(1ULL << 36), HIST_BUCKETS - 1) ||
	    !expect_eq("hist_bucket(2^36 - 1)", hist_bucket((1ULL << 36) - 1),
		       HIST_BUCKETS - 1) ||
	    !expect_eq("hist_bucket(last low)", hist_bucket(last_low), HIST_BUCKETS - 1) ||
	    !expect_eq("hist_bucket(last low - 1)", hist_bucket(last_low - 1),
		       HIST_BUCKETS - 2))
		return false;

	hist_reset(&h);
	hist_add(&h, big);
	if (!expect_eq("last bucket", h.bucket[HIST_BUCKETS - 1], 1) ||
	    !expect_eq("min", h.min, big) || !expect_eq("max", h.max, big) ||
	    !expect_quantile(&h, 0.5, big, 0))
		return fail_prefix("2^40 alone");

	/* The open bucket's midpoint is its nominal one, below max. */
	hist_add(&h, 1 * MS);
	hist_add(&h, UINT64_MAX);
	if (!expect_eq("last bucket", h.bucket[HIST_BUCKETS - 1], 2) ||
	    !expect_eq("max", h.max, UINT64_MAX) ||
	    !expect_quantile(&h, 0.5, last_low + (1ULL << 29), 0) ||
	    !expect_quantile(&h, 1, UINT64_MAX, 0) ||
	    !expect_eq("sum", h.sum, UINT64_MAX))
		return fail_prefix("with UINT64_MAX");

	hist_reset(&h);
	hist_add(&h, UINT64_MAX - 5);
	hist_add(&h, 10);
	if (!expect_eq("sum", h.sum, UINT64_MAX))
		return fail_prefix("sum past UINT64_MAX");
	hist_add(&h, 1);
	if (!expect_eq("sum", h.sum, UINT64_MAX) || !expect_eq("count", h.count, 3))
		return fail_prefix("sum stuck at UINT64_MAX");

	hist_reset(&h);
	hist_reset(&other);
	hist_add(&h, UINT64_MAX / 2 + 1);
	hist_add(&other, UINT64_MAX / 2 + 1);
	hist_merge(&h, &other);
	return expect_eq("merged sum", h.sum, UINT64_MAX) || fail_prefix("merge");
}

static bool test_histogram_merge_reset(void)
{
	static struct histogram a, b, all, copy, zero;
	int i;

	hist_reset(&a);
	hist_reset(&b);
	hist_reset(&all);
	rng_seed(&rs, 0);
	for (i = 0; i < 5000; i++) {
		/* Both sides' min and max move; some samples saturate. */
		__u64 v = rng_log(1, 1ULL << 38);

		hist_add(i % 3 ? &a : &b, v);
		hist_add(&all, v);
	}
	memcpy(&copy, &a, sizeof(a));
	hist_merge(&a, &b);
	if (!expect(memcmp(&a, &all, sizeof(a)) == 0,
		    "a + b differs from all samples in one histogram"))
		return false;

	/* Empty source: nothing changes, min included. */
	memset(&zero, 0, sizeof(zero));
	memcpy(&a, &copy, sizeof(a));
	hist_merge(&a, &zero);
	if (!expect(memcmp(&a, &copy, sizeof(a)) == 0, "merging an empty one changed it"))
		return false;
	/* Empty destination: a zeroed min of 0 is not a sample. */
	hist_merge(&zero, &copy);
	if (!expect(memcmp(&zero, &copy, sizeof(a)) == 0,
		    "merged into an empty one, differs from the source"))
		return false;

	hist_reset(&a);
	memset(&zero, 0, sizeof(zero));
	if (!expect(memcmp(&a, &zero, sizeof(a)) == 0, "reset left something") ||
	    !expect_quantile(&a, 0.5, 0, 0))
		return fail_prefix("after reset");
	/* A reset (or zeroed) histogram takes its first sample as min. */
	hist_add(&a, 5 * MS);
	hist_add(&a, 7 * MS);
	return (expect_eq("min", a.min, 5 * MS) && expect_eq("max", a.max, 7 * MS) &&
		expect_eq("count", a.count, 2)) || fail_prefix("first samples");
}

#define N_BOUNDS ((HIST_MAX_BITS - 2) * 4)

static bool test_histogram_count_below(void)
{
	static __u64 samples[N_BOUNDS * 3 + 3000];
	static struct histogram h;
	__u64 bounds[N_BOUNDS], want;
	size_t n = 0, i, j;
	char what[48];
	int e, f;

	/* The Prometheus boundaries: 2^e * {1, 1.25, 1.5, 1.75}. */
	for (e = 2; e < HIST_MAX_BITS; e++)
		for (f = 4; f < 8; f++)
			bounds[(e - 2) * 4 + f - 4] = (__u64)f << (e - 2);

	/* Samples on both sides of every bound, and spread over the range. */
	hist_reset(&h);
	for (i = 0; i < N_BOUNDS; i++) {
		samples[n++] = bounds[i] - 1;
		samples[n++] = bounds[i];
		samples[n++] = bounds[i] + 1;
	}
	rng_seed(&rs, 0);
	while (n < ARRAY_SIZE(samples))
		samples[n++] = rng_log(1, 1ULL << 37);
	for (i = 0; i < n; i++)
		hist_add(&h, samples[i]);

	for (i = 0; i < N_BOUNDS; i++) {
		snprintf(what, sizeof(what), "bound %llu", (unsigned long long)bounds[i]);
		if (!expect_eq("is a bucket low", hist_bucket_low(hist_bucket(bounds[i])),
			       bounds[i]))
			return fail_prefix(what);
		for (want = 0, j = 0; j < n; j++)
			want += samples[j] < bounds[i];
		if (!expect_eq("samples below", hist_count_below(&h, bounds[i]), want))
			return fail_prefix(what);
	}

	/* All bounds in one pass give what each gives alone (the walk must
	 * carry on from the previous bound, not restart or skip). */
	{
		__u64 all[N_BOUNDS];

		hist_counts_below(&h, bounds, N_BOUNDS, all);
		for (i = 0; i < N_BOUNDS; i++) {
			snprintf(what, sizeof(what), "one pass, bound %llu",
				 (unsigned long long)bounds[i]);
			if (!expect_eq("samples below", all[i],
				       hist_count_below(&h, bounds[i])))
				return fail_prefix(what);
		}
	}

	/* Off a boundary: the straddling bucket [992, 1008) is left out. */
	for (want = 0, j = 0; j < n; j++)
		want += samples[j] < 992;
	return expect_eq("below 0", hist_count_below(&h, 0), 0) &&
	       expect_eq("below 1001", hist_count_below(&h, 1001), want) &&
	       expect_eq("below UINT64_MAX", hist_count_below(&h, UINT64_MAX),
			 h.count - h.bucket[HIST_BUCKETS - 1]);
}

DEFINE_TESTS(histogram,
	{ "histogram_buckets", test_histogram_buckets },
	{ "histogram_relative_error", test_histogram_relative_error },
	{ "histogram_quantile_uniform", test_histogram_quantile_uniform },
	{ "histogram_quantile_rank", test_histogram_quantile_rank },
	{ "histogram_saturation", test_histogram_saturation },
	{ "histogram_merge_reset", test_histogram_merge_reset },
	{ "histogram_count_below", test_histogram_count_below }
);
