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
 * so the verifier removes the test branch (and xdp_test_word) and a live
 * program keeps only the load of the switch itself, as for every other
 * rodata switch. It changes only the time; replay also changes the length
 * and the ring-buffer wake-ups, which the unit tests must see as live.
 *
 * The tick clock (config.tick_clock, live): reading the exact clock is a
 * third of what a packet costs pping where the rest is cheap (35 ns of about
 * 140 in a VM), and most packets do not need it: a rate-limited packet only
 * needs to know that its flow's interval has not passed, and a reply that
 * matches nothing only touches last_seen, which cleanup reads to a second.
 * So the first TCP or ICMP packet a CPU handles in each jiffy reads the
 * exact clock and keeps it (with the jiffy, in its per-CPU counters, which
 * it looks up anyway); later packets of that jiffy take that time as a
 * lower bound of theirs: the exact time is less than config.tick_bound_ns
 * later (the tick, and the ticks a jiffy may stall: pping_tick_bound_ns
 * in pping.h; counted in tick_overrun where it was not). The jiffies
 * counter is a load (the verifier inlines bpf_jiffies64). A packet reads
 * the exact clock when it becomes an identifier, closes a sample, opens or
 * closes a flow, or when the bound cannot settle its rate limit (pkt_now):
 * every time that goes into an RTT or an event is exact. The unit tests
 * inject the tick as they do the time.
 */
#ifndef PPING_CLOCK_BPF_H
#define PPING_CLOCK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "config.bpf.h"
#include "packet.bpf.h"

/* tc outside a replay: the kernel's clock, or the test's, which it passes
 * as __sk_buff.tstamp (live, tstamp is no clock of ours: EDT on egress
 * sets it to a departure time). */
static __always_inline __u64 tc_now(const struct __sk_buff *skb)
{
	if (config.test_clock)
		return skb->tstamp;
	return bpf_ktime_get_ns();
}

/* tc with the tick clock: the jiffy, or the test's, which it passes as
 * __sk_buff.cb[2]. */
static __always_inline __u32 tc_tick(const struct __sk_buff *skb)
{
	if (config.test_clock)
		return skb->cb[2];
	return (__u32)bpf_jiffies64();
}

/*
 * XDP: xdp_md has no time field, so the test puts the time in the packet's
 * metadata area (the 8 bytes before data, which BPF_PROG_TEST_RUN fills
 * from the start of data_in when ctx_in.data is 8; with the tick clock 16
 * bytes: the time, then the tick). Per run, as on tc, so
 * concurrent test runs each carry their own time. Without the metadata the
 * word reads 0, which no test expects.
 *
 * A function of its own (not inlined) so the compiler allocates the entry
 * point's registers as if it were not there: both ways are then a call
 * returning r0, and once the verifier has removed the dead call and this
 * function, the live program is the one it was without the switch.
 */
static __noinline __u64 xdp_test_word(struct xdp_md *ctx, __u32 i)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;
	__u64 w;

	if (i > 1 || meta + (i + 1) * sizeof(w) > data)
		return 0;
	__builtin_memcpy(&w, meta + i * sizeof(w), sizeof(w));
	return w;
}

static __always_inline __u64 xdp_now(struct xdp_md *ctx)
{
	if (config.test_clock)
		return xdp_test_word(ctx, 0);
	return bpf_ktime_get_ns();
}

static __always_inline __u32 xdp_tick(struct xdp_md *ctx)
{
	if (config.test_clock)
		return (__u32)xdp_test_word(ctx, 1);
	return (__u32)bpf_jiffies64();
}

/*
 * The exact time of the packet, read now if it was not yet (tick clock).
 * In a unit test the injected time, which pkt_clock_start kept aside.
 */
static __always_inline __u64 pkt_now(struct hook_pkt *h,
				     struct pping_counters *cnt)
{
	if (h->exact)
		return h->now;
	h->now = config.test_clock ? cnt->test_now : bpf_ktime_get_ns();
	h->exact = 1;
	cnt->clock_reads++;
	/* The tick's time is this CPU's first reading in the jiffy: a jiffy
	 * that stalled longer than the bound may have let a packet be rate
	 * limited whose interval had passed. Counted, never silent. */
	if ((__u32)cnt->tick == h->tick &&
	    h->now - cnt->tick_ns >= config.tick_bound_ns)
		cnt->tick_overrun++;
	return h->now;
}

/*
 * Time a TCP or ICMP packet by the tick clock: the exact time this CPU
 * read in the packet's jiffy, if it read one, else read it now and keep
 * it for the jiffy's later packets. A lower bound: this CPU read it for an
 * earlier packet, within the same tick. Nothing to do if the entry point
 * read the exact time.
 */
static __always_inline void pkt_clock_start(struct hook_pkt *h,
					    struct pping_counters *cnt)
{
	if (h->exact)
		return;
	if (config.test_clock)
		cnt->test_now = h->now;   /* the entry point put it there */
	if (cnt->tick_ns && (__u32)cnt->tick == h->tick) {
		h->now = cnt->tick_ns;
		return;
	}
	pkt_now(h, cnt);
	cnt->tick = h->tick;
	cnt->tick_ns = h->now;
}

#endif /* PPING_CLOCK_BPF_H */
