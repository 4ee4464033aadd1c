/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A watchdog process that detaches what the kernel would otherwise keep
 * attached after the daemon dies without cleaning up (SIGKILL, crash): XDP
 * programs attached by netlink (libxdp's dispatcher, or a kernel without
 * XDP links) and clsact filters. TCX and XDP links need none of this: they
 * are file descriptors and go with the process. The guard is forked before
 * the daemon drops its capabilities, so it keeps what undoing needs.
 */
#ifndef PPING_GUARD_H
#define PPING_GUARD_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

struct guard_tc_filter {
	__u32 attach_point;    /* enum bpf_tc_attach_point */
	__u32 handle;
	__u32 priority;
};

struct guard_plan {
	int ifindex;
	__u32 xdp_prog_id;                 /* 0: no XDP program */
	enum xdp_attach_mode xdp_mode;
	int n_filters;
	struct guard_tc_filter filters[2];
	bool destroy_clsact;               /* we created the qdisc */
};

struct guard {
	pid_t pid;
	int fd;        /* write end; closing it without 'D' means "undo" */
};

/* Start the watchdog for plan; a no-op when the plan has nothing to undo. */
int guard_start(struct guard *g, const struct guard_plan *plan);
/* The daemon detached everything itself: tell the watchdog to just exit. */
void guard_release(struct guard *g);

/* Undo a plan; used by the watchdog and by the daemon's own exit path. */
void guard_undo(const struct guard_plan *plan);

#endif /* PPING_GUARD_H */
