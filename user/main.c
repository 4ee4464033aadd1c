// SPDX-License-Identifier: GPL-2.0
/*
 * pping: passive TCP RTT monitor.
 * open skeleton -> set config -> load -> attach -> event loop -> detach.
 * With --read: open skeleton -> set config -> load -> replay the file.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "aggregate.h"
#include "attach.h"
#include "counters.h"
#include "events.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "privs.h"
#include "probe.h"
#include "replay.h"
#include "upkeep.h"
#include "pping_tc.skel.h"

#define POLL_TIMEOUT_MS     100
#define HOUSEKEEPING_NS     1000000000ULL   /* interface check, clock resync */
/* A stop right after an interval was reported leaves no new one. */
#define MIN_LAST_INTERVAL_NS 1000000ULL

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

static __u64 now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A pass over big maps is memory-bound (about 0.3 us per entry here, so
 * ~130 ms for the default maps when full, seconds for millions of
 * entries). Keep cleanup below a tenth of one core: after a pass that took
 * d, wait at least 9 d before the next one, even if the interval is
 * shorter.
 */
#define CLEANUP_MAX_DUTY 10

static __u64 cleanup_pause(__u64 started, __u64 ended, __u64 interval)
{
	__u64 pause = (ended - started) * (CLEANUP_MAX_DUTY - 1);
	static bool told;

	if (pause <= interval)
		return interval;
	if (!told) {
		pr_info("a cleanup pass took %.1f ms: cleaning every %.1f s instead of %.1f s to stay below 1/%d of a core\n",
			(ended - started) / 1e6, pause / 1e9, interval / 1e9,
			CLEANUP_MAX_DUTY);
		told = true;
	}
	return pause;
}

/* Everything the event loop drives. */
struct daemon {
	struct ring_buffer *rb;
	struct event_sink sink;
	struct output out;
	struct aggregate agg;
	bool aggregating;           /* agg initialised (-a or --metrics) */
	struct metrics metrics;
	struct upkeep up;
	struct pping_bpf bpf;
	struct iface ifc;
	struct replay rp;           /* --read */
};

/*
 * Wait for events or a metrics request, at most POLL_TIMEOUT_MS. The ring
 * buffer's epoll fd and libmicrohttpd's are both pollable, so one thread
 * serves both and nothing is shared across threads.
 */
static int wait_and_consume(struct daemon *d)
{
	struct pollfd pfd[2] = {
		{ .fd = ring_buffer__epoll_fd(d->rb), .events = POLLIN },
		{ .fd = metrics_poll_fd(&d->metrics), .events = POLLIN },
	};
	int n, err;

	n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, POLL_TIMEOUT_MS);
	if (n < 0 && errno != EINTR)
		return -errno;
	err = ring_buffer__consume(d->rb);
	if (err < 0 && err != -EINTR)
		return err;
	if (pfd[1].fd >= 0)
		metrics_run(&d->metrics);
	return 0;
}

static void aggregate_now(struct daemon *d, __u64 now)
{
	struct pping_counters c;

	if (counters_read(bpf_map__fd(d->bpf.tc->maps.counters), &c))
		return;
	aggregate_flush(&d->agg, &d->out, &c, &d->sink.clock, now);
}

/* Returns the exit code. */
static int event_loop(struct daemon *d, const struct pping_opts *o)
{
	__u64 start = now_mono_ns(), next_housekeeping = start + HOUSEKEEPING_NS;
	__u64 next_cleanup = start + o->cleanup_interval_ns;
	__u64 next_aggregate = start + o->aggregate_ns;
	__u64 now;
	int err;

	if (o->aggregate_ns)
		d->agg.interval_start = start;
	while (!stop_signal) {
		err = wait_and_consume(d);
		if (err) {
			pr_warn("reading events failed: %s\n", strerror(-err));
			return EXIT_FAIL;
		}
		now = now_mono_ns();
		/* The run's last interval is reported after the loop. */
		if (o->duration_ns && now - start >= o->duration_ns)
			break;
		if (o->aggregate_ns && now >= next_aggregate) {
			aggregate_now(d, now);
			next_aggregate += o->aggregate_ns;
			if (next_aggregate <= now)   /* fell behind: skip, don't burst */
				next_aggregate = now + o->aggregate_ns;
		}
		/* Flush per batch: output is never held back. */
		if (output_flush(&d->out)) {
			pr_warn("cannot write output: %s\n", strerror(errno));
			return EXIT_FAIL;
		}
		if (reopen_requested) {
			reopen_requested = 0;
			output_reopen(&d->out);
		}
		if (now >= next_housekeeping) {
			if (!iface_present(&d->ifc)) {
				pr_warn("interface %s (index %d) disappeared; stopping\n",
					d->ifc.name, d->ifc.ifindex);
				return EXIT_FAIL;
			}
			wall_clock_sync(&d->sink.clock);
			next_housekeeping = now + HOUSEKEEPING_NS;
		}
		if (o->cleanup_interval_ns && now >= next_cleanup) {
			/* A failed pass is reported and retried next time:
			 * measuring goes on, only the maps stay fuller. */
			upkeep_tick(&d->up, 0);
			next_cleanup = now_mono_ns();
			next_cleanup += cleanup_pause(now, next_cleanup,
						      o->cleanup_interval_ns);
		}
	}
	if (stop_signal)
		pr_info("got %s, stopping\n", strsignal(stop_signal));
	return EXIT_OK;
}

/*
 * Events are read back, and the output checked, every this many packets,
 * well before the ring can fill: a packet causes at most three events of
 * 120 bytes in the ring.
 */
#define REPLAY_BATCH 1024

/*
 * A cleanup pass walks every bucket of both maps however few entries they
 * hold (0.4 ms for the default maps here). A live run has one a second; a
 * replay, going through capture time a thousand times faster, would spend
 * most of its time in them. So once a pass is due, a replay's pass also
 * waits until as many packets as an eighth of the flow map have come since
 * the last one, but at most a minute of capture time: a rule on the file
 * alone, so output stays deterministic, and cleanup stays a few percent of
 * the replay.
 */
#define REPLAY_CLEANUP_PKTS_SHIFT 3
#define REPLAY_CLEANUP_MAX_WAIT_NS (60 * 1000000000ULL)

static bool replay_cleanup_due(const struct daemon *d, const struct pping_opts *o,
			       __u64 t, __u64 next_cleanup)
{
	__u64 pkts = d->rp.fed - d->rp.fed_at_cleanup;

	if (!o->cleanup_interval_ns || t < next_cleanup)
		return false;
	return pkts >= (o->max_flows >> REPLAY_CLEANUP_PKTS_SHIFT) ||
	       t - next_cleanup >= REPLAY_CLEANUP_MAX_WAIT_NS;
}

/*
 * Interval work due before a packet of capture time t: what the event
 * loop does by the wall clock, a replay does by the capture's.
 */
static void replay_ticks(struct daemon *d, const struct pping_opts *o,
			 __u64 t, __u64 *next_aggregate, __u64 *next_cleanup)
{
	bool agg = o->aggregate_ns && t >= *next_aggregate;
	bool clean = replay_cleanup_due(d, o, t, *next_cleanup);

	if (!agg && !clean)
		return;
	/* The events of the packets before belong to what is closing. */
	ring_buffer__consume(d->rb);
	/* A gap in the capture closes the interval it started in, and the
	 * next one runs from there to the packet's interval: as the live
	 * loop skips rather than bursts, and a timestamp years ahead costs
	 * one record, not millions. */
	if (agg) {
		aggregate_now(d, *next_aggregate);
		*next_aggregate += o->aggregate_ns;
		if (t >= *next_aggregate)
			*next_aggregate += ((t - *next_aggregate) / o->aggregate_ns + 1) *
					   o->aggregate_ns;
	}
	if (clean) {
		upkeep_tick(&d->up, t);
		*next_cleanup = t + o->cleanup_interval_ns;
		d->rp.fed_at_cleanup = d->rp.fed;
	}
}

/* --read: every packet of the file through the programs. Returns the exit
 * code. */
static int replay_loop(struct daemon *d, const struct pping_opts *o)
{
	static struct replay_pkt p;
	__u64 started = now_mono_ns(), next_aggregate = 0, next_cleanup = 0;
	unsigned int batch = 0;
	int ret = EXIT_OK, n, err;

	replay_set_progs(&d->rp, bpf_program__fd(d->bpf.tc->progs.pping_tc_egress),
			 bpf_program__fd(d->bpf.tc->progs.pping_tc_ingress));
	while (!stop_signal) {
		n = replay_next(&d->rp, &p);
		if (n <= 0) {
			ret = n ? EXIT_FAIL : EXIT_OK;
			break;
		}
		if (d->rp.fed == 0) {   /* the capture's clock starts */
			d->agg.interval_start = p.time_ns;
			next_aggregate = p.time_ns + o->aggregate_ns;
			next_cleanup = p.time_ns + o->cleanup_interval_ns;
		}
		replay_ticks(d, o, p.time_ns, &next_aggregate, &next_cleanup);
		err = replay_feed(&d->rp, &p);
		if (err) {
			pr_warn("%s: packet %llu: the test run failed: %s\n",
				d->rp.path, (unsigned long long)d->rp.read,
				strerror(-err));
			ret = EXIT_FAIL;
			break;
		}
		if (++batch == REPLAY_BATCH) {
			ring_buffer__consume(d->rb);
			batch = 0;
			/* A full disk or a closed pipe ends the replay. */
			if (output_flush(&d->out)) {
				pr_warn("cannot write output: %s\n", strerror(errno));
				ret = EXIT_FAIL;
				break;
			}
		}
	}
	ring_buffer__consume(d->rb);
	if (ret == EXIT_OK && output_flush(&d->out)) {
		pr_warn("cannot write output: %s\n", strerror(errno));
		ret = EXIT_FAIL;
	}
	if (stop_signal)
		pr_info("got %s, stopping\n", strsignal(stop_signal));
	d->rp.run_ns = now_mono_ns() - started;
	return ret;
}

static void replay_summary(const struct replay *r)
{
	double s = r->run_ns / 1e9;

	pr_info("replayed %llu packets of %llu read from %s in %.3f s (%.0f packets/s)\n",
		(unsigned long long)r->fed, (unsigned long long)r->read, r->path,
		s, s > 0 ? r->fed / s : 0.0);
	if (r->foreign || r->unusable || r->time_back)
		pr_warn("%s: skipped %llu packets with neither end in --local-net and %llu too short for their link header; %llu packets were earlier than the one before\n",
			r->path, (unsigned long long)r->foreign,
			(unsigned long long)r->unusable,
			(unsigned long long)r->time_back);
	if (r->both_local)
		pr_info("%llu packets had both ends in --local-net: measured both ways, the lower address as the local end\n",
			(unsigned long long)r->both_local);
}

/* The programs' clock now: the capture's in a replay. */
static __u64 daemon_now(const struct daemon *d, const struct pping_opts *o)
{
	return o->read_path ? d->rp.last_time_ns : now_mono_ns();
}

/* Aggregation state for -a and --metrics (after load: it reads the
 * datapath's subnet map). */
static int open_aggregation(struct daemon *d, const struct pping_opts *o)
{
	struct agg_config ac = {
		.interval_ns = o->aggregate_ns,
		.cumulative = o->metrics,
		.prefix_v4 = o->agg_prefix_v4,
		.prefix_v6 = o->agg_prefix_v6,
		.max_subnets = o->agg_max_subnets,
		.window_ns = o->qdelay_window_ns,
	};

	if (!o->aggregate_ns && !o->metrics)
		return 0;
	if (aggregate_init(&d->agg, &ac, o->aggregate_ns ?
			   bpf_map__fd(d->bpf.tc->maps.subnet_map) : -1)) {
		pr_warn("cannot allocate the aggregation tables\n");
		return -1;
	}
	d->aggregating = true;
	d->sink.agg = &d->agg;
	return 0;
}

/*
 * The metrics server listens before anything is loaded or attached: a
 * busy port ends the start before it changes the system. Requests are
 * only served from the event loop, by which time everything the page
 * reads exists (d is static, so the addresses are fixed now).
 */
static int open_metrics(struct daemon *d, const struct pping_opts *o)
{
	struct metrics_source ms = {
		.bpf = &d->bpf, .up = &d->up, .agg = &d->agg, .sink = &d->sink,
	};

	if (!o->metrics)
		return 0;
	return metrics_start(&d->metrics, &o->metrics_addr, &ms);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct pping_counters totals;
	struct attachment att;
	struct pping_opts opts;
	int ret;

	ret = parse_options(argc, argv, &opts);
	if (ret >= 0)
		return ret;
	log_set_level(opts.verbose >= 2 ? LOG_DEBUG :
		      opts.verbose ? LOG_INFO : LOG_WARN);
	log_route_libs();
	if (opts.probe)
		return probe_run(stdout);
	log_options(&opts);

	/* The input first: a file we cannot read, or an interface that is
	 * not there, ends the start before any output file is created. */
	if (opts.read_path ? replay_open(&d.rp, opts.read_path, opts.local_nets,
					 opts.n_local_nets) :
	    iface_lookup(opts.ifname, &d.ifc))
		return EXIT_FAIL;
	ret = EXIT_FAIL;
	if (install_signals()) {
		pr_warn("cannot install signal handlers: %s\n", strerror(errno));
		goto out_input;
	}
	/* Before anything is attached: a file we may not write ends the
	 * run before it changes the system. */
	if (output_open(&d.out, opts.format, opts.write_path))
		goto out_input;
	if (open_metrics(&d, &opts)) {
		output_abort(&d.out);
		goto out_input;
	}
	d.sink.out = &d.out;
	d.sink.print = !opts.aggregate_ns;

	struct datapath_config cfg = {
		/* a replay hands the programs Ethernet frames */
		.has_l2 = opts.read_path || d.ifc.has_l2,
		/* without --local-net a capture has no "our side": both */
		.include_local = opts.include_local ||
				 (opts.read_path && !opts.n_local_nets),
		.replay = opts.read_path != NULL,
		.xdp_ingress = opts.ingress == INGRESS_XDP,
		.max_flows = opts.max_flows,
		.max_timestamps = opts.max_timestamps,
		.sampling = {
			.rate_limit_ns = opts.rate_limit_ns,
			.burst_window_ns = opts.burst_window_ns,
			.rtt_rate_fp = (__u32)llround(opts.rtt_rate * (1 << PPING_RTT_RATE_SHIFT)),
			.rtt_type = opts.rtt_type,
			.burst = opts.burst,
		},
		.max_subnets = opts.aggregate_ns ? opts.agg_max_subnets : 0,
		.subnet_prefix_v4 = opts.agg_prefix_v4,
		.subnet_prefix_v6 = opts.agg_prefix_v6,
	};
	if (pping_bpf_load(&d.bpf, &cfg)) {
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	if (!opts.read_path && attach_all(&att, &d.bpf, &d.ifc, &opts)) {
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	if (upkeep_open(&d.up, &d.bpf, opts.cleanup_interval_ns != 0,
			opts.cleanup_mech, opts.adaptive, opts.rate_limit_ns) ||
	    open_aggregation(&d, &opts)) {
		ret = EXIT_FAIL;
		goto out_detach;
	}
	d.rb = events_open(bpf_map__fd(d.bpf.tc->maps.events), &d.sink);
	if (!d.rb) {
		pr_warn("cannot open the event ring buffer: %s\n", strerror(errno));
		ret = EXIT_FAIL;
		goto out_detach;
	}
	if (opts.read_path) {
		/* Output times are the capture's. The file is read with no
		 * capability left (test runs need none). */
		d.sink.clock.offset_ns = -(__s64)REPLAY_CLOCK_OFFSET_NS;
		int err = privs_drop(0);

		if (err)
			pr_warn("cannot drop capabilities: %s; replaying with them\n",
				strerror(-err));
	} else {
		attach_drop_privileges(&att);
	}
	ret = opts.read_path ? replay_loop(&d, &opts) : event_loop(&d, &opts);
	/* Whatever is still queued belongs to the run: report it, and the
	 * last partial interval too. */
	ring_buffer__consume(d.rb);
	if (opts.aggregate_ns &&
	    daemon_now(&d, &opts) - d.agg.interval_start > MIN_LAST_INTERVAL_NS)
		aggregate_now(&d, daemon_now(&d, &opts));
	if (opts.read_path)
		replay_summary(&d.rp);

out_detach:
	if (counters_read(bpf_map__fd(d.bpf.tc->maps.counters), &totals) == 0) {
		counters_print_summary(stderr, &totals);
		upkeep_print_summary(stderr, &d.up, &totals);
	}
	if (!opts.read_path)
		detach_all(&att);
	upkeep_close(&d.up);
	ring_buffer__free(d.rb);
	if (d.aggregating)
		aggregate_free(&d.agg);
out_destroy:
	metrics_stop(&d.metrics);
	/* A run that measured leaves a complete file; a start that failed
	 * before the loop leaves none of its own. */
	if (ret == EXIT_OK || d.out.records)
		output_close(&d.out);
	else
		output_abort(&d.out);
	pping_bpf_destroy(&d.bpf);
out_input:
	replay_close(&d.rp);
	return ret;
}
