/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the programs' `now` comes from. Live, bpf_ktime_get_ns(); in a
 * replay (--read), the capture's time in the test run's __sk_buff.tstamp;
 * and in the unit tests, when they ask for it, a time the test passes with
 * each test run (the injected clock: tests advance it explicitly instead of
 * sleeping, so sampling, bursts and idle gaps do not depend on the load of
 * the machine or on its uptime).
 *
 * config.test_clock is a load-time switch like config.replay: the daemon never sets it,
 * so the verifier removes the test branch (and xdp_test_now) and a live
 * program keeps only the load of the switch itself, as for every other
 * rodata switch. It changes only the time; replay also changes the length
 * and the ring-buffer wake-ups, which the unit tests must see as live.
 */
#ifndef PPING_CLOCK_BPF_H
#define PPING_CLOCK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "config.bpf.h"

/* tc outside a replay: the kernel's clock, or the test's, which it passes
 * as __sk_buff.tstamp (live, tstamp is no clock of ours: EDT on egress
 * sets it to a departure time). */
static __always_inline __u64 tc_now(const struct __sk_buff *skb)
{
	if (config.test_clock)
		return skb->tstamp;
	return bpf_ktime_get_ns();
}

/*
 * XDP: xdp_md has no time field, so the test puts the time in the packet's
 * metadata area (the 8 bytes before data, which BPF_PROG_TEST_RUN fills
 * from the start of data_in when ctx_in.data is 8). Per run, as on tc, so
 * concurrent test runs each carry their own time. Without the metadata the
 * time reads 0, which no test expects.
 *
 * A function of its own (not inlined) so the compiler allocates the entry
 * point's registers as if it were not there: both ways are then a call
 * returning r0, and once the verifier has removed the dead call and this
 * function, the live program is the one it was without the switch.
 */
static __noinline __u64 xdp_test_now(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;
	__u64 now;

	if (meta + sizeof(now) > data)
		return 0;
	__builtin_memcpy(&now, meta, sizeof(now));
	return now;
}

static __always_inline __u64 xdp_now(struct xdp_md *ctx)
{
	if (config.test_clock)
		return xdp_test_now(ctx);
	return bpf_ktime_get_ns();
}

#endif /* PPING_CLOCK_BPF_H */
