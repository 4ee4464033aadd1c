/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random numbers for the unit tests: xorshift64*, seeded, so a failure
 * replays on every libc (the fuzzer, the histogram and format tests).
 */
#ifndef PPING_TEST_RNG_H
#define PPING_TEST_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;   /* never 0 */
};

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n), n > 0 (multiply-shift: no modulo bias worth noting). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static inline uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

#endif /* PPING_TEST_RNG_H */
