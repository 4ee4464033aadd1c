/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit-test groups, in the order they run (and print). Each is a
 * tests/unit/test_<group>.c file that defines its table with
 * DEFINE_TESTS(group, ...); this list is the one place that registers it.
 *
 *   GROUP(name)           every test runs once
 *   GROUP_PER_MECH(name)  every test runs once per cleanup mechanism the
 *                         kernel allows, as test[mechanism]
 *
 * Included by harness.h (declarations) and harness.c (the run order), each
 * defining the two macros first.
 */
GROUP(parse)
GROUP(eligible)
GROUP(match)
GROUP(seqack)
GROUP(icmp)
GROUP(flow)
GROUP(xdp)
GROUP(local)
GROUP(not_tcp)
GROUP(rate_limit)
GROUP(tick_clock)
GROUP(checksums)
GROUP(accounting)
GROUP(full)
GROUP(sampling)
GROUP(race)
GROUP_PER_MECH(cleanup)
GROUP_PER_MECH(evict)
GROUP_PER_MECH(admission)
GROUP_PER_MECH(churn)
GROUP(degrade)
GROUP(schedule)
GROUP(histogram)
GROUP(format)
GROUP(subnets)
GROUP(filter)
GROUP(aggregate)
GROUP(agg_kernel)
GROUP(replay)
GROUP(fuzz)
