// SPDX-License-Identifier: GPL-2.0
/*
 * Two CPUs send the same packets of one flow at the same time, as when a
 * flow's packets are spread over queues. Each TSval must become exactly one
 * identifier (one CPU wins the "first" claim; the other never even tries to
 * insert), and with a rate limit no slot may be taken twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "pping_tc.skel.h"

struct racer {
	int prog_fd;
	int cpu;
	__u32 n;
	__u64 period_ns;
	int err;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	cpu_set_t set;
	struct pkt p;
	__u64 start;
	__u32 i;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	start = now_ns();
	for (i = 1; i <= r->n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);

		if (r->period_ns)
			sleep_until(start + i * r->period_ns);
		build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, i, 0, 100);
		opts.data_in = p.data;
		opts.data_size_in = (__u32)p.len;
		if (bpf_prog_test_run_opts(r->prog_fd, &opts)) {
			r->err = errno;
			break;
		}
	}
	return NULL;
}

static bool run_race(struct env *e, __u32 n, __u64 period_ns)
{
	struct racer r[2];
	pthread_t th[2];
	int i;

	e->hold_events = true;
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){
			.prog_fd = bpf_program__fd(e->tc->progs.pping_tc_egress),
			.cpu = i % (int)sysconf(_SC_NPROCESSORS_ONLN),
			.n = n,
			.period_ns = period_ns,
		};
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		if (r[i].err)
			return fail("test run on CPU %d: %s", r[i].cpu,
				    strerror(r[i].err));
	return true;
}

static bool test_claims_race(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(run_race(&e, 20000, 0));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 20000));
	REQUIRE(expect_eq("ts_exists", c.ts_exists, 0));
	printf("  claims race, no limit: %llu compare-and-exchange retries\n",
	       (unsigned long long)c.claims_lost);
	env_close(&e);

	/* 50 ms limit, both CPUs offering a new TSval every 0.5 ms for
	 * ~0.5 s: about 10 slots, each taken once. */
	cfg.rate_limit_ns = 50 * MS;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(run_race(&e, 1000, MS / 2));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect(c.ts_created >= 9 && c.ts_created <= 12,
		       "%llu identifiers in ~0.5 s at one per 50 ms",
		       (unsigned long long)c.ts_created));
	REQUIRE(expect_eq("ts_exists", c.ts_exists, 0));
	printf("  claims race: %llu slot claims lost to the other CPU\n",
	       (unsigned long long)c.claims_lost);
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(race,
	{ "claims_race", test_claims_race }
);
