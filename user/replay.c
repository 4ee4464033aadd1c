// SPDX-License-Identifier: GPL-2.0
/* Running a capture's packets through the programs, on the capture's clock. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "replay.h"
#include "pping_tc.skel.h"

/*
 * A cleanup pass walks every bucket of both maps however few entries they
 * hold (3.5 ms for the default maps with the for-each walk). A live run
 * has one a second; a replay, going through capture time a thousand times
 * faster, would spend most of its time in them. So once a pass is due, a
 * replay's pass also waits until as many packets as an eighth of the flow
 * map have come since the last one, but at most a minute of capture time:
 * a rule on the file alone, so output stays deterministic, and cleanup
 * stays a few percent of the replay.
 */
#define REPLAY_CLEANUP_PKTS_SHIFT 3
#define REPLAY_CLEANUP_MAX_WAIT_NS (60 * NS_PER_S)

int replay_open(struct replay *r, const char *path,
		const struct local_net *nets, int n_nets, int threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(r, 0, sizeof(*r));
	r->prog_fd[0] = r->prog_fd[1] = -1;
	if (!threads)
		threads = cpus < 1 ? 1 : cpus > REPLAY_MAX_THREADS ?
			  REPLAY_MAX_THREADS : (int)cpus;
	r->threads = threads;
	return capture_open(&r->cap, path, nets, n_nets);
}

void replay_datapath_config(struct datapath_config *cfg)
{
	cfg->replay = true;
	if (!privs_have(CAP_SYS_ADMIN)) {
		pr_warn("replaying without CAP_SYS_ADMIN: map hash seeds stay random, so runs that evict flows may differ\n");
		return;
	}
	cfg->zero_hash_seed = true;
}

void replay_set_progs(struct replay *r, int out_fd, int in_fd)
{
	r->prog_fd[PPING_DIR_OUT] = out_fd;
	r->prog_fd[PPING_DIR_IN] = in_fd;
}

int replay_feed(struct replay *r, const struct capture_pkt *p)
{
	int err = replay_test_run(r->prog_fd[p->dir & 1], p, 0);

	if (!err)
		r->fed++;
	return err;
}

bool replay_cleanup_ready(const struct replay *r, __u32 max_flows, __u64 due,
			  __u64 now)
{
	return r->fed - r->fed_at_cleanup >= (max_flows >> REPLAY_CLEANUP_PKTS_SHIFT) ||
	       now - due >= REPLAY_CLEANUP_MAX_WAIT_NS;
}

/*
 * Wait for the batch launched last and read its events (held until
 * deliver()). Returns 0 or -1 (printed).
 */
static int finish_batch(struct daemon *d)
{
	struct replay *r = &d->rp;
	__u32 at = 0, size = 0;
	int err;

	err = replay_pool_wait(&r->pool, &at, &size);
	ring_buffer__consume(d->rb);
	if (err) {
		pr_warn("%s: packet %llu of those replayed: the test run failed: %s\n",
			r->cap.path,
			(unsigned long long)(r->fed - replay_pool_filled(&r->pool) -
					     size + at + 1),
			strerror(-err));
		return -1;
	}
	return 0;
}

/* Write out the events read: in packet order, then flushed (output is
 * never held back). Returns 0 or -1 (printed). */
static int deliver(struct daemon *d)
{
	event_sink_release(&d->sink);
	if (output_flush(&d->out)) {
		pr_warn("cannot write output: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The batch filled so far goes to the workers; while they run it, the
 * events of the batch before are written out.
 */
static int next_batch(struct daemon *d)
{
	if (finish_batch(d))
		return -1;
	if (replay_pool_filled(&d->rp.pool))
		replay_pool_launch(&d->rp.pool);
	return deliver(d);
}

/* Every packet read so far run and its events written: where periodic
 * work is due, and at the end. */
static int drain(struct daemon *d)
{
	if (next_batch(d) || finish_batch(d))
		return -1;
	return deliver(d);
}

/*
 * --replay-runs: XDP test runs where the kernel takes them (no sk_buff
 * and no socket built per packet), else the tc programs' runs, which is
 * said once; forced, a refusal is an error. The loader tried them while
 * privileged (pping_bpf_load). Sets the programs' fds; returns 0, or -1
 * if the forced choice cannot be had (printed).
 */
static int replay_runner(struct daemon *d, int *xdp_fd, int *out_fd, int *in_fd)
{
	const struct pping_tc *tc = d->bpf.tc_runs ? d->bpf.tc_runs : d->bpf.tc;

	*xdp_fd = d->bpf.replay_xdp_fd;
	*out_fd = bpf_program__fd(tc->progs.pping_tc_egress);
	*in_fd = bpf_program__fd(tc->progs.pping_tc_ingress);
	if (d->o->replay_runs == REPLAY_RUNS_TC || *xdp_fd >= 0)
		return 0;
	if (d->o->replay_runs == REPLAY_RUNS_XDP) {
		pr_warn("--replay-runs xdp: the kernel refused XDP test runs with metadata: %s\n",
			strerror(-d->bpf.replay_xdp_err));
		return -1;
	}
	pr_info("replaying by tc test runs: the kernel refused XDP ones with metadata (%s)\n",
		strerror(-d->bpf.replay_xdp_err));
	return 0;
}

int replay_loop(struct daemon *d)
{
	static struct capture_pkt p;
	struct replay *r = &d->rp;
	__u64 started = mono_ns();
	int ret = EXIT_OK, n, err, xdp_fd, out_fd, in_fd;

	if (replay_runner(d, &xdp_fd, &out_fd, &in_fd))
		return EXIT_FAIL;
	err = replay_pool_init(&r->pool, r->threads, out_fd, in_fd, xdp_fd);
	if (err) {
		pr_warn("cannot start %d replay threads: %s\n", r->threads,
			strerror(-err));
		return EXIT_FAIL;
	}
	/* Events wait for their batch to end, with one thread as with
	 * several, so both write them at the same points. */
	event_sink_hold(&d->sink);
	while (!daemon_stop_requested()) {
		n = capture_next(&r->cap, &p);
		if (n <= 0) {
			ret = n ? EXIT_FAIL : EXIT_OK;
			break;
		}
		if (r->fed == 0)   /* the capture's clock starts */
			daemon_clock_start(d, p.time_ns);
		/* Work due before this packet is done as of its time, after
		 * every packet before it. */
		if (sched_pending(&d->sched, p.time_ns)) {
			if (drain(d) || sched_run(&d->sched, p.time_ns) < 0) {
				ret = EXIT_FAIL;
				break;
			}
		} else if (replay_pool_filled(&r->pool) == REPLAY_POOL_BATCH &&
			   next_batch(d)) {
			ret = EXIT_FAIL;
			break;
		}
		replay_pool_add(&r->pool, &p);
		r->fed++;
	}
	if (drain(d))
		ret = EXIT_FAIL;
	daemon_say_stopped();
	r->run_ns = mono_ns() - started;
	return ret;
}

void replay_summary(const struct replay *r)
{
	const struct capture *c = &r->cap;
	double s = r->run_ns / 1e9;

	pr_info("replayed %llu packets of %llu read from %s in %.3f s (%.0f packets/s, %d thread%s, %s test runs)\n",
		(unsigned long long)r->fed, (unsigned long long)c->read, c->path,
		s, s > 0 ? r->fed / s : 0.0, r->pool.n_workers,
		r->pool.n_workers == 1 ? "" : "s", r->pool.xdp_fd >= 0 ? "XDP" : "tc");
	if (c->foreign || c->unusable || c->time_back)
		pr_warn("%s: skipped %llu packets with neither end in --local-net and %llu too short for their link header; %llu packets were earlier than the one before\n",
			c->path, (unsigned long long)c->foreign,
			(unsigned long long)c->unusable,
			(unsigned long long)c->time_back);
	if (c->both_local)
		pr_info("%llu packets had both ends in --local-net: measured both ways, the lower address as the local end\n",
			(unsigned long long)c->both_local);
}

void replay_close(struct replay *r)
{
	replay_pool_free(&r->pool);
	capture_close(&r->cap);
}
