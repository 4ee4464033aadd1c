/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pping --probe: which kernel features pping uses are available here, and
 * what pping would use for tc attachment, XDP and map cleanup. Every
 * feature is found by trying it (loading, attaching in a network namespace
 * of its own), never from the kernel version.
 */
#ifndef PPING_PROBE_H
#define PPING_PROBE_H

#include <stdio.h>

struct pping_opts;

/* Print the report to f, with a line for each interface of o's -i if any.
 * Returns the exit code: 0 if pping -i can run (on those interfaces). */
int probe_run(FILE *f, const struct pping_opts *o);

#endif /* PPING_PROBE_H */
