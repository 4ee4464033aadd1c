/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration of the datapath, set by the daemon through the skeleton.
 * Read-only globals are fixed when the programs load, so the verifier can
 * prune the branches they disable. The writable part lives in .data, which
 * the daemon shares between the tc and XDP objects, so a change made while
 * running reaches both hooks at once.
 */
#ifndef PPING_CONFIG_BPF_H
#define PPING_CONFIG_BPF_H

#include <linux/types.h>
#include <stdbool.h>
#include "pping.h"

/* False on interfaces without an Ethernet header (tun, PPP, wireguard). */
const volatile bool has_l2 = true;
/* Also timestamp ingress packets and match them on egress (-l). */
const volatile bool include_local = false;
/*
 * Offline replay (--read): the daemon feeds captured packets through
 * BPF_PROG_TEST_RUN, so time and length come from the test-run context
 * (the capture's timestamp in tstamp, the original length in wire_len)
 * and nobody waits on the ring buffer between runs.
 */
const volatile bool replay = false;

/*
 * Values the daemon may change while running. Keep this the only .data
 * global in every object: both objects must agree on the section layout
 * because they share one map for it.
 */
volatile struct pping_runtime runtime = {
	.rate_limit_ns = 100 * 1000 * 1000ULL,
	.burst_window_ns = 4 * 1000 * 1000ULL,
	.rtt_rate_fp = 0,
	.rtt_type = PPING_RTT_MIN,
	.burst = 1,
};

#endif /* PPING_CONFIG_BPF_H */
