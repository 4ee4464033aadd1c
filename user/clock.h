/* SPDX-License-Identifier: GPL-2.0 */
/* Units of time in ns, and reading a clock in them. */
#ifndef PPING_CLOCK_H
#define PPING_CLOCK_H

#include <time.h>
#include <linux/types.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

static inline __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * NS_PER_S + (__u64)ts.tv_nsec;
}

/* CLOCK_MONOTONIC: the clock of bpf_ktime_get_ns(), the programs' clock. */
static inline __u64 mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

#endif /* PPING_CLOCK_H */
