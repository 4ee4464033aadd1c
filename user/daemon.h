/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon: everything a run holds (output, metrics, the loaded programs,
 * their attachment or the capture they replay, aggregation, upkeep, the
 * ring buffer), its signals, and the periodic work both loops share as one
 * schedule (schedule.h). main() opens it, runs one loop (live.c or
 * replay.c) and closes it.
 */
#ifndef PPING_DAEMON_H
#define PPING_DAEMON_H

#include <stdbool.h>
#include <linux/types.h>

#include "agg_kernel.h"
#include "aggregate.h"
#include "attach.h"
#include "events.h"
#include "iface.h"
#include "loader.h"
#include "metrics.h"
#include "options.h"
#include "output.h"
#include "replay.h"
#include "schedule.h"
#include "upkeep.h"

struct daemon {
	const struct pping_opts *o;
	bool replaying;             /* --read: the capture's clock */
	struct iface ifc[PPING_MAX_IFACES];   /* live: slot order */
	int n_ifaces;
	int n_present;              /* interfaces not gone yet */
	struct replay rp;           /* --read */
	struct output out;
	struct metrics metrics;
	struct pping_bpf bpf;
	struct attachment att[PPING_MAX_IFACES];   /* live, per interface */
	bool attached[PPING_MAX_IFACES];
	struct upkeep up;
	struct aggregate agg;
	bool aggregating;           /* agg initialised (-a or --metrics) */
	bool agg_in_kernel;         /* -a: the datapath aggregates RTTs (aggk) */
	struct agg_kernel aggk;
	struct event_sink sink;
	struct ring_buffer *rb;
	struct schedule sched;
	bool clock_started;         /* the loop ran: there is a run to report */
	__u64 agg_due;              /* when the last aggregation interval was due */
	__u64 subnet_reads;         /* --metrics without -a: per-subnet reads so far */
	__u64 cleanup_end;          /* live: wall clock after the last pass */
	__u64 cleanup_took;         /* ... and how long it took */
	bool cleanup_stretch_told;
};

/*
 * Open everything for options o: the input first (an interface that is not
 * there, or a file we cannot read, ends the start before anything is
 * created), then output, metrics, the programs, the attachment, upkeep,
 * aggregation and the ring buffer, and the schedule. Returns EXIT_OK or
 * EXIT_FAIL (with the reason printed); on failure what was opened is
 * closed again.
 */
int daemon_open(struct daemon *d, const struct pping_opts *o);

/* Start the schedule (and the first aggregation interval) at `now` on the
 * loop's clock. */
void daemon_clock_start(struct daemon *d, __u64 now);

/* Read the ring buffer and deliver its events (in packet order in a
 * replay). */
void daemon_consume_events(struct daemon *d);

/* Has SIGINT or SIGTERM come? */
bool daemon_stop_requested(void);
/* Say which signal stopped the run, if one did. */
void daemon_say_stopped(void);

/*
 * End a run whose loop returned ret: report what is still queued and the
 * last partial interval, print the summaries, detach and close. Returns the
 * exit code.
 */
int daemon_close(struct daemon *d, int ret);

#endif /* PPING_DAEMON_H */
