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

/* Print the report to f. Returns the exit code: 0 if pping -i can run. */
int probe_run(FILE *f);

#endif /* PPING_PROBE_H */
