// SPDX-License-Identifier: GPL-2.0
/* Running a capture's packets through the programs, on the capture's clock. */
#include <errno.h>
#include <string.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"
#include "replay.h"
#include "pping_tc.skel.h"

/*
 * Events are read back, and the output checked, every this many packets,
 * well before the ring can fill: a packet causes at most three events of
 * 120 bytes in the ring.
 */
#define REPLAY_BATCH 1024

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
		const struct local_net *nets, int n_nets)
{
	memset(r, 0, sizeof(*r));
	r->prog_fd[0] = r->prog_fd[1] = -1;
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
	struct __sk_buff skb = {
		.tstamp = p->time_ns,
		.wire_len = p->wire_len,
		.cb = { p->big_len },
	};
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = p->frame,
			    .data_size_in = p->data_len,
			    .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb),
			    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(r->prog_fd[p->dir & 1], &opts);
	if (err)
		return -errno;
	r->fed++;
	return 0;
}

bool replay_cleanup_ready(const struct replay *r, __u32 max_flows, __u64 due,
			  __u64 now)
{
	return r->fed - r->fed_at_cleanup >= (max_flows >> REPLAY_CLEANUP_PKTS_SHIFT) ||
	       now - due >= REPLAY_CLEANUP_MAX_WAIT_NS;
}

bool replay_flush_ready(const struct replay *r)
{
	return r->fed - r->fed_at_flush >= REPLAY_BATCH;
}

int replay_loop(struct daemon *d)
{
	static struct capture_pkt p;
	struct replay *r = &d->rp;
	__u64 started = mono_ns();
	int ret = EXIT_OK, n, err;

	replay_set_progs(r, bpf_program__fd(d->bpf.tc->progs.pping_tc_egress),
			 bpf_program__fd(d->bpf.tc->progs.pping_tc_ingress));
	while (!daemon_stop_requested()) {
		n = capture_next(&r->cap, &p);
		if (n <= 0) {
			ret = n ? EXIT_FAIL : EXIT_OK;
			break;
		}
		if (r->fed == 0)   /* the capture's clock starts */
			daemon_clock_start(d, p.time_ns);
		/* Work due before this packet is done as of its time. */
		if (sched_run(&d->sched, p.time_ns) < 0) {
			ret = EXIT_FAIL;
			break;
		}
		err = replay_feed(r, &p);
		if (err) {
			pr_warn("%s: packet %llu: the test run failed: %s\n",
				r->cap.path, (unsigned long long)r->cap.read,
				strerror(-err));
			ret = EXIT_FAIL;
			break;
		}
	}
	daemon_say_stopped();
	r->run_ns = mono_ns() - started;
	return ret;
}

void replay_summary(const struct replay *r)
{
	const struct capture *c = &r->cap;
	double s = r->run_ns / 1e9;

	pr_info("replayed %llu packets of %llu read from %s in %.3f s (%.0f packets/s)\n",
		(unsigned long long)r->fed, (unsigned long long)c->read, c->path,
		s, s > 0 ? r->fed / s : 0.0);
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
	capture_close(&r->cap);
}
