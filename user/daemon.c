// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "counters.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"
#include "pping_tc.skel.h"

#define HOUSEKEEPING_NS     NS_PER_S   /* interface check, clock resync */
/* A stop right after an interval was reported leaves no new one. */
#define MIN_LAST_INTERVAL_NS 1000000ULL

/* ------------------------------------------------------------------------
 * Signals and clocks
 * ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reopen_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_requested = 1;
	else
		stop_signal = sig;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt the poll. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	/* A closed stdout must end the loop cleanly (detaching), not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

bool daemon_stop_requested(void)
{
	return stop_signal != 0;
}

void daemon_say_stopped(void)
{
	if (stop_signal)
		pr_info("got %s, stopping\n", strsignal(stop_signal));
}

/* The programs' clock now: the capture's in a replay. */
static __u64 daemon_now(const struct daemon *d)
{
	return d->replaying ? d->rp.cap.last_time_ns : mono_ns();
}

/* ------------------------------------------------------------------------
 * The periodic work, one job each (added in this order, run in it)
 * ------------------------------------------------------------------------ */

/* --duration: the run's last interval is reported by daemon_close. */
static int job_duration(void *ctx, __u64 due, __u64 now)
{
	(void)ctx;
	(void)due;
	(void)now;
	return 1;
}

static void aggregate_at(struct daemon *d, __u64 at)
{
	struct pping_counters c;

	if (d->agg_in_kernel)
		agg_kernel_read(&d->aggk, &d->agg, at);
	if (counters_read(bpf_map__fd(d->bpf.tc->maps.counters), &c))
		return;
	aggregate_flush(&d->agg, &d->out, &c, &d->sink.clock, at);
	/* A new interval: each flow counts again, once, for coverage. */
	d->bpf.tc->data->runtime.agg_interval++;
}

/* Read the ring: events are delivered, or, held in a replay, put in
 * packet order and delivered (events.h). */
void daemon_consume_events(struct daemon *d)
{
	ring_buffer__consume(d->rb);
	event_sink_release(&d->sink);
}

/*
 * An aggregation interval ends. In a replay it ends at its boundary:
 * between two packets nothing happens, and a gap in the capture closes the
 * interval it started in (the schedule then skips to the packet's
 * interval, so a timestamp years ahead costs one record, not millions).
 * Live it ends when the loop wakes, a little after the boundary.
 */
static int job_aggregate(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	d->agg_due = due;
	/* The events of the packets before belong to what is closing. */
	daemon_consume_events(d);
	aggregate_at(d, d->replaying ? due : now);
	return 0;
}

/*
 * --metrics without -a: the per-subnet counters are read into their
 * totals every second, and coverage counts flows in intervals of ten
 * reads (10 s).
 */
#define SUBNET_READ_NS (NS_PER_S)
#define COVERAGE_READS 10

static int job_subnet_read(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	aggregate_read_traffic(&d->agg, d->replaying ? due : now);
	if (++d->subnet_reads % COVERAGE_READS == 0)
		d->bpf.tc->data->runtime.agg_interval++;
	return 0;
}

/* -a and --metrics with in-kernel aggregation: the RTT histograms are
 * read every second, so /metrics is as fresh as with events; an interval
 * record takes what its reads gathered. */
static int job_kernel_rtts(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;
	__u64 at = d->replaying ? due : now;

	/* An interval that just ended has read them (its job runs first):
	 * a second turn, a second wait, for nothing. */
	if (d->aggk.reads && at - d->aggk.last_read < SUBNET_READ_NS / 2)
		return 0;
	agg_kernel_read(&d->aggk, &d->agg, at);
	return 0;
}

/*
 * Live, an interval ends when the loop wakes; if that was much later than
 * due (a stall), the next grid point may be only a sliver away, and a
 * record of a sliver of time says little: start the grid again from now,
 * as an interval of full length. A replay keeps its grid (it ends
 * intervals at their due time).
 */
static __u64 aggregate_after(void *ctx, __u64 now)
{
	struct daemon *d = ctx;
	__u64 period = d->o->aggregate_ns;

	if (d->replaying || now - d->agg_due < period / 2)
		return 0;
	return now + period;
}

/* Output is never held back: events are read and flushed every loop
 * iteration live; a replay writes them out after every batch of packets
 * itself (replay.c), without ending the batches here. */
static bool flush_ready(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	(void)due;
	(void)now;
	return !d->replaying;
}

static int job_flush(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	(void)due;
	(void)now;
	daemon_consume_events(d);
	/* A full disk or a closed pipe ends the run. */
	if (output_flush(&d->out)) {
		pr_warn("cannot write output: %s\n", strerror(errno));
		return -EIO;
	}
	return 0;
}

static bool reopen_ready(void *ctx, __u64 due, __u64 now)
{
	(void)ctx;
	(void)due;
	(void)now;
	return reopen_requested;
}

/* SIGHUP: a log rotation moved the -w file away. */
static int job_reopen(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	(void)due;
	(void)now;
	reopen_requested = 0;
	output_reopen(&d->out);
	return 0;
}

/*
 * An interface that disappeared is detached (what is left of it: its
 * links went with it) and reported; the daemon goes on with the others
 * and ends, with status 1, when none is left.
 */
static int check_interfaces(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n_ifaces; i++) {
		if (!d->attached[i] || iface_present(&d->ifc[i]))
			continue;
		detach_all(&d->att[i]);
		d->attached[i] = false;
		d->n_present--;
		if (d->n_present)
			pr_warn("interface %s (index %d) disappeared; monitoring the %d left\n",
				d->ifc[i].name, d->ifc[i].ifindex, d->n_present);
		else
			pr_warn("interface %s (index %d) disappeared; stopping\n",
				d->ifc[i].name, d->ifc[i].ifindex);
	}
	return d->n_present ? 0 : -ENODEV;
}

static int job_housekeeping(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	(void)due;
	(void)now;
	if (check_interfaces(d))
		return -ENODEV;
	wall_clock_sync(&d->sink.clock);
	return 0;
}

static bool cleanup_ready(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;

	return !d->replaying ||
	       replay_cleanup_ready(&d->rp, d->o->max_flows, due, now);
}

/* A failed pass is reported and retried next time: measuring goes on,
 * only the maps stay fuller. Passes run on the programs' clock. */
static int job_cleanup(void *ctx, __u64 due, __u64 now)
{
	struct daemon *d = ctx;
	__u64 start = mono_ns();

	(void)due;
	upkeep_tick(&d->up, d->replaying ? now : 0);
	d->cleanup_end = mono_ns();
	d->cleanup_took = d->cleanup_end - start;
	d->rp.fed_at_cleanup = d->rp.fed;
	return 0;
}

/*
 * A pass over big maps is memory-bound (a for-each walk takes ~35 ms for
 * the default maps when full, a good part of a second for millions of
 * entries). Keep cleanup below a tenth of one core: after a pass that took
 * t, wait at least 9 t before the next one, even if the interval is
 * shorter. Live only: a replay's passes are paced by packets.
 */
#define CLEANUP_MAX_DUTY 10

static __u64 cleanup_after(void *ctx, __u64 now)
{
	struct daemon *d = ctx;
	__u64 pause = d->cleanup_took * (CLEANUP_MAX_DUTY - 1);

	(void)now;
	if (d->replaying || pause <= d->o->cleanup_interval_ns)
		return 0;
	if (!d->cleanup_stretch_told) {
		pr_info("a cleanup pass took %.1f ms: cleaning every %.1f s instead of %.1f s to stay below 1/%d of a core\n",
			d->cleanup_took / 1e6, pause / 1e9,
			d->o->cleanup_interval_ns / 1e9, CLEANUP_MAX_DUTY);
		d->cleanup_stretch_told = true;
	}
	return d->cleanup_end + pause;
}

static int add_jobs(struct daemon *d)
{
	const struct pping_opts *o = d->o;
	const struct sched_job jobs[] = {
		{ .name = "duration", .period_ns = o->duration_ns,
		  .run = job_duration, .once = true },
		{ .name = "aggregate", .period_ns = o->aggregate_ns,
		  .run = job_aggregate, .after = aggregate_after },
		{ .name = "subnets", .period_ns = SUBNET_READ_NS,
		  .run = job_subnet_read },
		{ .name = "kernel-rtts", .period_ns = SUBNET_READ_NS,
		  .run = job_kernel_rtts },
		{ .name = "flush", .ready = flush_ready, .run = job_flush },
		{ .name = "reopen", .ready = reopen_ready, .run = job_reopen },
		{ .name = "housekeeping", .period_ns = HOUSEKEEPING_NS,
		  .run = job_housekeeping },
		{ .name = "cleanup", .period_ns = o->cleanup_interval_ns,
		  .ready = cleanup_ready, .run = job_cleanup,
		  .after = cleanup_after },
	};
	size_t i;

	sched_init(&d->sched, d);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		const struct sched_job *j = &jobs[i];

		/* Jobs with nothing to do in this run are not added. */
		if ((j->run == job_duration && (!o->duration_ns || d->replaying)) ||
		    (j->run == job_aggregate && !o->aggregate_ns) ||
		    (j->run == job_subnet_read && (o->aggregate_ns || !o->metrics)) ||
		    (j->run == job_kernel_rtts && (!d->agg_in_kernel || !o->metrics)) ||
		    (j->run == job_housekeeping && d->replaying) ||
		    (j->run == job_cleanup && !d->up.cleaning))
			continue;
		if (!sched_add(&d->sched, j))
			return -ENOSPC;
	}
	return 0;
}

void daemon_clock_start(struct daemon *d, __u64 now)
{
	d->clock_started = true;
	sched_start(&d->sched, now);
	if (d->o->aggregate_ns)
		d->agg.interval_start = now;
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

/* Aggregation state for -a and --metrics (after load: it reads the
 * datapath's subnet map). */
static int open_aggregation(struct daemon *d)
{
	const struct pping_opts *o = d->o;
	struct agg_config ac = {
		.interval_ns = o->aggregate_ns,
		.cumulative = o->metrics,
		.prefix_v4 = o->agg_prefix_v4,
		.prefix_v6 = o->agg_prefix_v6,
		.max_subnets = o->agg_max_subnets,
		.window_ns = o->qdelay_window_ns,
		.ifaces = d->ifc,
		.n_ifaces = d->n_ifaces,
	};

	if (!o->aggregate_ns && !o->metrics)
		return 0;
	if (aggregate_init(&d->agg, &ac, bpf_map__fd(d->bpf.tc->maps.subnet_map))) {
		pr_warn("cannot allocate the aggregation tables\n");
		return -1;
	}
	d->aggregating = true;
	d->sink.agg = &d->agg;
	if (o->aggregate_ns)
		pr_info("RTT histograms built %s\n", d->agg_in_kernel ?
			"in the kernel (--aggregate-in kernel): no event per sample" :
			"from RTT events (--aggregate-in events)");
	if (d->agg_in_kernel &&
	    agg_kernel_open(&d->aggk, &d->agg, bpf_map__fd(d->bpf.tc->maps.agg_hists),
			    bpf_map__fd(d->bpf.tc->maps.agg_windows),
			    bpf_map__fd(d->bpf.tc->maps.agg_tracked),
			    &d->bpf.tc->data->runtime,
			    !d->replaying)) {
		pr_warn("cannot allocate the aggregation tables\n");
		return -1;
	}
	return 0;
}

/* -a: where the RTT histograms are built (--aggregate-in). */
static bool aggregate_in_kernel(const struct daemon *d)
{
	const struct pping_opts *o = d->o;

	if (!o->aggregate_ns)
		return false;
	if (o->agg_where == AGG_AUTO)
		return !d->replaying;
	return o->agg_where == AGG_KERNEL;
}

/*
 * The metrics server listens before anything is loaded or attached: a
 * busy port ends the start before it changes the system. Requests are
 * only served from the event loop, by which time everything the page
 * reads exists (d does not move, so the addresses are fixed now).
 */
static int open_metrics(struct daemon *d)
{
	struct metrics_source ms = {
		.bpf = &d->bpf, .up = &d->up, .agg = &d->agg, .sink = &d->sink,
	};

	if (!d->o->metrics)
		return 0;
	return metrics_start(&d->metrics, &d->o->metrics_addr, &ms);
}

static void datapath_config(const struct daemon *d, struct datapath_config *cfg)
{
	const struct pping_opts *o = d->o;
	const struct pping_runtime defaults = PPING_RUNTIME_DEFAULTS;

	memset(cfg, 0, sizeof(*cfg));
	/* what options do not set keeps the programs' defaults */
	cfg->sampling = defaults;
	/* a replay hands the programs Ethernet frames */
	cfg->has_l2 = d->replaying || d->ifc[0].has_l2;
	cfg->n_ifaces = d->n_ifaces;
	cfg->includes = o->includes;
	cfg->n_includes = o->n_includes;
	cfg->excludes = o->excludes;
	cfg->n_excludes = o->n_excludes;
	cfg->ports = o->n_ports ? o->ports : NULL;
	for (int i = 0; i < d->n_ifaces; i++)
		cfg->ifindexes[i] = d->ifc[i].ifindex;
	/* without --local-net a capture has no "our side": both */
	cfg->include_local = o->include_local || (d->replaying && !o->n_local_nets);
	cfg->tcp_method = o->tcp_method;
	cfg->no_icmp = !o->icmp;
	cfg->xdp_ingress = o->ingress == INGRESS_XDP;
	cfg->max_flows = o->max_flows;
	cfg->max_timestamps = o->max_timestamps;
	cfg->sampling.rate_limit_ns = o->rate_limit_ns;
	cfg->sampling.burst_window_ns = o->burst_window_ns;
	cfg->sampling.rtt_rate_fp = (__u32)llround(o->rtt_rate * (1 << PPING_RTT_RATE_SHIFT));
	cfg->sampling.rtt_type = o->rtt_type;
	cfg->sampling.burst = o->burst;
	/* Per-subnet traffic, loss and coverage for -a and --metrics */
	cfg->max_subnets = o->aggregate_ns || o->metrics ? o->agg_max_subnets : 0;
	cfg->subnet_prefix_v4 = o->agg_prefix_v4;
	cfg->subnet_prefix_v6 = o->agg_prefix_v6;
	cfg->agg_kernel = d->agg_in_kernel;
	cfg->qdelay_window_ns = o->qdelay_window_ns;
	if (d->replaying) {
		replay_datapath_config(cfg);
		cfg->replay_xdp = o->replay_runs != REPLAY_RUNS_TC;
	}
}

/* Once running: a live daemon keeps only what detaching needs; a replay
 * reads the file with no capability left (test runs need none). */
static void drop_privileges(struct daemon *d)
{
	int err;

	if (!d->replaying) {
		attach_drop_privileges(d->att, d->n_ifaces,
				       bpf_map__fd(d->bpf.tc->maps.flow_count));
		return;
	}
	err = privs_drop(0);
	if (err)
		pr_warn("cannot drop capabilities: %s; replaying with them\n",
			strerror(-err));
}

/* After the output is open: everything that touches the kernel. */
static int open_datapath(struct daemon *d)
{
	const struct pping_opts *o = d->o;
	struct datapath_config cfg;

	datapath_config(d, &cfg);
	if (pping_bpf_load(&d->bpf, &cfg))
		return -1;
	for (int i = 0; !d->replaying && i < d->n_ifaces; i++) {
		if (attach_all(&d->att[i], &d->bpf, &d->ifc[i], o,
			       i ? d->att[0].xdp : NULL))
			return -1;
		d->attached[i] = true;
		d->n_present++;
	}
	if (upkeep_open(&d->up, &d->bpf, o->cleanup_interval_ns,
			o->cleanup_mech, o->adaptive, o->rate_limit_ns) ||
	    open_aggregation(d))
		return -1;
	d->rb = events_open(bpf_map__fd(d->bpf.tc->maps.events), &d->sink);
	if (!d->rb) {
		pr_warn("cannot open the event ring buffer: %s\n", strerror(errno));
		return -1;
	}
	cleanup_set_closing(&d->up.cleanup, event_sink_deliver, &d->sink);
	if (add_jobs(d))
		return -1;
	/* Output times are the capture's in a replay. */
	if (d->replaying)
		d->sink.clock.offset_ns = -(__s64)CAPTURE_CLOCK_OFFSET_NS;
	drop_privileges(d);
	return 0;
}

/*
 * Every interface of -i, in slot order. One program parses them all, so
 * they must agree on whether frames start with an Ethernet header.
 */
static int lookup_interfaces(struct daemon *d)
{
	const struct pping_opts *o = d->o;
	int i;

	for (i = 0; i < o->n_ifaces; i++) {
		if (iface_lookup(o->ifnames[i], &d->ifc[i]))
			return -1;
		if (d->ifc[i].has_l2 != d->ifc[0].has_l2) {
			pr_warn("%s %s an Ethernet header and %s %s: one pping monitors interfaces of one kind; run one for each\n",
				d->ifc[0].name, d->ifc[0].has_l2 ? "has" : "has no",
				d->ifc[i].name, d->ifc[i].has_l2 ? "has one" : "has none");
			return -1;
		}
	}
	d->n_ifaces = o->n_ifaces;
	return 0;
}

int daemon_open(struct daemon *d, const struct pping_opts *o)
{
	memset(d, 0, sizeof(*d));
	d->o = o;
	d->replaying = o->read_path != NULL;
	d->rp.prog_fd[0] = d->rp.prog_fd[1] = -1;
	/* The input first: a file we cannot read, or an interface that is
	 * not there, ends the start before any output file is created. */
	if (d->replaying ? replay_open(&d->rp, o->read_path, o->local_nets,
				       o->n_local_nets, o->threads) :
			   lookup_interfaces(d))
		return EXIT_FAIL;
	if (install_signals()) {
		pr_warn("cannot install signal handlers: %s\n", strerror(errno));
		return daemon_close(d, EXIT_FAIL);
	}
	/* Before anything is attached: a file we may not write ends the
	 * run before it changes the system. */
	if (output_open(&d->out, o->format, o->write_path))
		return daemon_close(d, EXIT_FAIL);
	d->sink.out = &d->out;
	d->sink.print = !o->aggregate_ns;
	d->agg_in_kernel = aggregate_in_kernel(d);
	d->sink.ifaces = d->ifc;
	d->sink.n_ifaces = d->n_ifaces;
	if (open_metrics(d) || open_datapath(d))
		return daemon_close(d, EXIT_FAIL);
	return EXIT_OK;
}

int daemon_close(struct daemon *d, int ret)
{
	struct pping_counters totals;

	if (d->clock_started) {
		/* Whatever is still queued belongs to the run: report it,
		 * and the last partial interval too. */
		daemon_consume_events(d);
		if (d->o->aggregate_ns &&
		    daemon_now(d) - d->agg.interval_start > MIN_LAST_INTERVAL_NS)
			aggregate_at(d, daemon_now(d));
		if (ret == EXIT_OK && output_flush(&d->out)) {
			pr_warn("cannot write output: %s\n", strerror(errno));
			ret = EXIT_FAIL;
		}
	}
	if (d->replaying && d->rb)
		replay_summary(&d->rp);
	/* The summaries, once the maps they describe exist. */
	if (d->up.bpf) {
		int fd = bpf_map__fd(d->bpf.tc->maps.counters);

		/* With several interfaces, each one's line before the total. */
		for (int i = 0; d->n_ifaces > 1 && i < d->n_ifaces; i++)
			if (counters_read_slot(fd, i, &totals) == 0)
				counters_print_summary(stderr, d->ifc[i].name, &totals);
		if (counters_read(fd, &totals) == 0) {
			counters_print_summary(stderr, NULL, &totals);
			upkeep_print_summary(stderr, &d->up, &totals);
			if (d->agg_in_kernel)
				fprintf(stderr, "pping: RTTs aggregated in the kernel: %llu subnet entries in %llu reads; samples not added (map full) %llu, of untracked subnets (table full) %llu, without a window (map full) %llu, added while a read turned the generation %llu\n",
					(unsigned long long)d->aggk.entries,
					(unsigned long long)d->aggk.reads,
					(unsigned long long)totals.agg_full,
					(unsigned long long)totals.agg_untracked,
					(unsigned long long)totals.agg_no_window,
					(unsigned long long)totals.agg_late);
		}
	}
	/* In reverse: an XDP program of a later interface is a clone of the
	 * first one's. */
	for (int i = d->n_ifaces - 1; i >= 0; i--)
		if (d->attached[i])
			detach_all(&d->att[i]);
	upkeep_close(&d->up);
	ring_buffer__free(d->rb);
	if (d->aggregating)
		aggregate_free(&d->agg);
	agg_kernel_close(&d->aggk);
	metrics_stop(&d->metrics);
	/* A run that measured leaves a complete file; a start that failed
	 * before the loop leaves none of its own. */
	if (d->out.f) {
		if (ret == EXIT_OK || d->out.records)
			output_close(&d->out);
		else
			output_abort(&d->out);
	}
	pping_bpf_destroy(&d->bpf);
	replay_close(&d->rp);
	event_sink_free(&d->sink);
	d->rb = NULL;
	memset(d->attached, 0, sizeof(d->attached));
	d->aggregating = d->clock_started = false;
	return ret;
}
