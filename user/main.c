// SPDX-License-Identifier: GPL-2.0
/*
 * pping: passive TCP RTT monitor.
 * open skeleton -> set config -> load -> attach -> event loop -> detach.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "counters.h"
#include "events.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "options.h"
#include "upkeep.h"
#include "pping_tc.skel.h"

#define POLL_TIMEOUT_MS     100
#define HOUSEKEEPING_NS     1000000000ULL   /* interface check, clock resync */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt the poll. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
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

/* Returns the exit code. */
static int event_loop(struct ring_buffer *rb, struct event_sink *sink,
		      const struct iface *ifc, struct upkeep *up,
		      const struct pping_opts *o)
{
	__u64 start = now_mono_ns(), next_housekeeping = start + HOUSEKEEPING_NS;
	__u64 next_cleanup = start + o->cleanup_interval_ns;
	__u64 now;
	int err;

	while (!stop_signal) {
		err = ring_buffer__poll(rb, POLL_TIMEOUT_MS);
		if (err < 0 && err != -EINTR) {
			pr_warn("reading events failed: %s\n", strerror(-err));
			return EXIT_FAIL;
		}
		/* Flush per batch: output is never held back. */
		if (fflush(sink->out) || ferror(sink->out)) {
			pr_warn("cannot write output: %s\n", strerror(errno));
			return EXIT_FAIL;
		}
		now = now_mono_ns();
		if (o->duration_ns && now - start >= o->duration_ns)
			break;
		if (now >= next_housekeeping) {
			if (!iface_present(ifc)) {
				pr_warn("interface %s (index %d) disappeared; stopping\n",
					ifc->name, ifc->ifindex);
				return EXIT_FAIL;
			}
			wall_clock_sync(&sink->clock);
			next_housekeeping = now + HOUSEKEEPING_NS;
		}
		if (o->cleanup_interval_ns && now >= next_cleanup) {
			/* A failed pass is reported and retried next time:
			 * measuring goes on, only the maps stay fuller. */
			upkeep_tick(up);
			next_cleanup = now_mono_ns();
			next_cleanup += cleanup_pause(now, next_cleanup,
						      o->cleanup_interval_ns);
		}
	}
	if (stop_signal)
		pr_info("got %s, stopping\n", strsignal(stop_signal));
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct event_sink sink = { .out = stdout };
	struct pping_counters totals;
	struct pping_bpf bpf = {};
	struct upkeep up = {};
	struct ring_buffer *rb = NULL;
	struct attachment att;
	struct pping_opts opts;
	struct iface ifc;
	int ret;

	ret = parse_options(argc, argv, &opts);
	if (ret >= 0)
		return ret;
	log_set_level(opts.verbose >= 2 ? LOG_DEBUG :
		      opts.verbose ? LOG_INFO : LOG_WARN);
	log_route_libs();
	log_options(&opts);

	if (iface_lookup(opts.ifname, &ifc))
		return EXIT_FAIL;
	if (install_signals()) {
		pr_warn("cannot install signal handlers: %s\n", strerror(errno));
		return EXIT_FAIL;
	}

	struct datapath_config cfg = {
		.has_l2 = ifc.has_l2,
		.include_local = opts.include_local,
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
	};
	if (pping_bpf_load(&bpf, &cfg)) {
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	if (attach_all(&att, &bpf, &ifc, &opts)) {
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	if (upkeep_open(&up, &bpf, opts.cleanup_interval_ns != 0, opts.adaptive,
			opts.rate_limit_ns)) {
		ret = EXIT_FAIL;
		goto out_detach;
	}
	rb = events_open(bpf_map__fd(bpf.tc->maps.events), &sink);
	if (!rb) {
		pr_warn("cannot open the event ring buffer: %s\n", strerror(errno));
		ret = EXIT_FAIL;
		goto out_detach;
	}

	ret = event_loop(rb, &sink, &ifc, &up, &opts);
	/* Whatever is still queued belongs to the run: print it. */
	ring_buffer__consume(rb);
	fflush(sink.out);

out_detach:
	if (counters_read(bpf_map__fd(bpf.tc->maps.counters), &totals) == 0) {
		counters_print_summary(stderr, &totals);
		upkeep_print_summary(stderr, &up, &totals);
	}
	detach_all(&att);
	upkeep_close(&up);
	ring_buffer__free(rb);
out_destroy:
	pping_bpf_destroy(&bpf);
	return ret;
}
