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

/*
 * Load-time switches (struct pping_config in pping.h). config.replay:
 * offline replay (--read): the daemon feeds captured packets through
 * BPF_PROG_TEST_RUN, so time and length come from the test-run context
 * (the capture's timestamp in tstamp, the original length in wire_len)
 * and nobody waits on the ring buffer between runs.
 */
const volatile struct pping_config config = PPING_CONFIG_DEFAULTS;

/*
 * Values the daemon may change while running. Keep this the only .data
 * global in every object: both objects must agree on the section layout
 * because they share one map for it.
 */
volatile struct pping_runtime runtime = PPING_RUNTIME_DEFAULTS;

#endif /* PPING_CONFIG_BPF_H */
