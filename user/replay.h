/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offline mode (--read): packets of a capture file (capture.h) go, in file
 * order, through the same tc programs a live run attaches, by
 * BPF_PROG_TEST_RUN. The capture's timestamp and original length travel in
 * the test-run context, so the programs measure capture time, and nothing
 * sleeps. The replay loop runs the daemon's schedule on capture time.
 */
#ifndef PPING_REPLAY_H
#define PPING_REPLAY_H

#include <stdbool.h>
#include <linux/types.h>

#include "capture.h"
#include "pping.h"
#include "replay_pool.h"

struct daemon;
struct datapath_config;

struct replay {
	struct capture cap;
	int prog_fd[PPING_DIR_MAX];
	__u64 fed;            /* packets run through the programs */
	__u64 fed_at_cleanup; /* fed when the last cleanup pass ran */
	__u64 run_ns;         /* wall time spent replaying */
	int threads;          /* --threads, resolved: 1 or more */
	struct replay_pool pool;
};

/* Open the capture, to be run on `threads` threads (0: one per online
 * CPU). Returns 0 or -1 (printed). */
int replay_open(struct replay *r, const char *path,
		const struct local_net *nets, int n_nets, int threads);

/*
 * What a replay asks of the datapath: a zero hash seed for the flow and
 * identifier maps, so that the order cleanup walks them in, and so which
 * flows degradation evicts, is the same every run (it needs CAP_SYS_ADMIN;
 * without it the seeds stay random, said once).
 */
void replay_datapath_config(struct datapath_config *cfg);

/* The programs to run packets of each direction through. */
void replay_set_progs(struct replay *r, int out_fd, int in_fd);

/* Run one packet through its program. Returns 0 or -errno. */
int replay_feed(struct replay *r, const struct capture_pkt *p);

/* Is a cleanup pass that became due at `due` ready to run at capture time
 * now (see replay.c)? */
bool replay_cleanup_ready(const struct replay *r, __u32 max_flows,
			  __u64 due, __u64 now);

/* --read: every packet of the file through the programs, the daemon's
 * schedule on capture time. Returns the exit code. */
int replay_loop(struct daemon *d);

/* The replay's own summary on stderr. */
void replay_summary(const struct replay *r);

void replay_close(struct replay *r);

#endif /* PPING_REPLAY_H */
