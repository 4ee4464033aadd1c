// SPDX-License-Identifier: GPL-2.0
/*
 * Two CPUs send the same packets of one flow at the same time, as when a
 * flow's packets are spread over queues (claims_race); or one the data and
 * the other its ACKs, as the two hooks do (slot_race). Each TSval must become exactly one
 * identifier (one CPU wins the "first" claim; the other never even tries to
 * insert), and with a rate limit no slot may be taken twice.
 *
 * The concurrency is real: two threads, one per CPU, run the program in
 * step, on the same TSval or neighbouring ones. (Left free, one soon leads
 * and the other only finds TSvals already claimed, so the claims rarely
 * meet.) The scheduler decides how their runs interleave within that, and
 * the checks hold for every interleaving: a thread that is descheduled only
 * holds the other up. With a rate limit the time is the injected clock
 * (env_cfg.test_clock): TSval i was sent at i periods, by whichever CPU, so
 * a CPU that is descheduled for a while (a busy machine) comes back with
 * the time of its packet, not a later one. Pacing the threads with sleeps
 * on the real clock instead made the number of identifiers depend on how
 * late the sleeps woke.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "pping_tc.skel.h"

struct racer {
	int prog_fd;
	int cpu;
	__u32 n;
	__u64 period_ns;   /* injected time between TSvals; 0: the live clock */
	const struct env *env;   /* the jiffy of the injected time (tick clock) */
	/* 0: send data with TSval i (egress). Else the peer's ACK echoing
	 * TSval i - echo_lag (ingress), from step echo_lag + 1 on. */
	__u32 echo_lag;
	__u32 done;        /* TSvals run so far (atomic) */
	bool running;      /* in a test run (atomic) */
	const struct racer *other;
	__u64 overlaps;    /* runs begun while the other was in one */
	int err;
};

/*
 * Run TSval i once the other thread has run i - 2: the two then run the
 * same TSval (both claim it as new) or neighbouring ones (two new TSvals
 * claimed at once, the race SAMPLING_DESIGN.md's Concurrency section
 * tells of).
 * Spin, as the other is normally one test run away; after a while sleep a
 * little, so that a thread whose partner was descheduled gives its CPU
 * back (on a busy machine, or with one CPU). The sleep only waits for the
 * other thread: no verdict depends on how long it takes.
 */
#define STEP_SLACK 2
#define SPINS_BEFORE_SLEEP 10000

static void keep_step(const struct racer *r, __u32 i)
{
	unsigned int spins = 0;

	while (__atomic_load_n(&r->other->done, __ATOMIC_ACQUIRE) + STEP_SLACK < i)
		if (++spins % SPINS_BEFORE_SLEEP == 0)
			usleep(20);
}

/* When TSval i was sent, on the injected clock. */
static __u64 sent_at(__u32 i, __u64 period_ns)
{
	return ENV_CLOCK_START + i * period_ns;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct __sk_buff ctx;
	cpu_set_t set;
	struct pkt p;
	__u32 i;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = 1; i <= r->n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);

		keep_step(r, i);
		if (r->echo_lag && i <= r->echo_lag) {
			__atomic_store_n(&r->done, i, __ATOMIC_RELEASE);
			continue;
		}
		__atomic_store_n(&r->running, true, __ATOMIC_SEQ_CST);
		r->overlaps += __atomic_load_n(&r->other->running, __ATOMIC_SEQ_CST);
		if (r->echo_lag)
			build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 7000 + i,
				 i - r->echo_lag, 0);
		else
			build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, i, 0, 100);
		opts.data_in = p.data;
		opts.data_size_in = (__u32)p.len;
		if (r->period_ns) {
			memset(&ctx, 0, sizeof(ctx));
			ctx.tstamp = sent_at(i, r->period_ns);
			ctx.cb[2] = env_tick_at(r->env, ctx.tstamp);
			opts.ctx_in = &ctx;
			opts.ctx_size_in = sizeof(ctx);
		}
		if (bpf_prog_test_run_opts(r->prog_fd, &opts)) {
			r->err = errno;
			break;
		}
		__atomic_store_n(&r->running, false, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->done, i, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r->done, r->n, __ATOMIC_RELEASE);   /* release the other */
	return NULL;
}

/* Run the two racers to the end, one thread each. */
static bool run_racers(struct racer r[2])
{
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, race, &r[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		if (r[i].err)
			return fail("test run on CPU %d: %s", r[i].cpu,
				    strerror(r[i].err));
	return true;
}

static bool run_race(struct env *e, __u32 n, __u64 period_ns)
{
	struct racer r[2];
	int i;

	e->hold_events = true;
	for (i = 0; i < 2; i++)
		r[i] = (struct racer){
			.prog_fd = bpf_program__fd(e->tc->progs.pping_tc_egress),
			.cpu = i % (int)sysconf(_SC_NPROCESSORS_ONLN),
			.n = n,
			.period_ns = period_ns,
			.env = e,
			.other = &r[1 - i],
		};
	if (!run_racers(r))
		return false;
	/* Not a verdict: a busy machine may run them one after the other. */
	printf("  claims race: %llu of %u runs began while the other CPU was in one\n",
	       (unsigned long long)(r[0].overlaps + r[1].overlaps), 2 * n);
	return true;
}

/*
 * The identifiers the race left, TSval by TSval (sent[i] = 0: none), must
 * be those of a rate limit of `interval` applied to packets `period` apart
 * in TSval order: each at its packet's time, and the next burst at least
 * `interval` after the last one (never a slot taken twice) but within two
 * packets of it being due. The second packet is the one race the design
 * allows: the CPU that claimed the first TSval past the interval may be
 * overtaken by the other, which claims the next TSval and starts the burst
 * with it, before it claims the slot (it then finds the slot taken).
 */
static bool expect_paced(struct env *e, __u32 n, __u64 interval, __u64 period,
			 __u64 *created)
{
	struct flow_key flow = tuple_key(&T4);
	struct ts_key k, next, *prev = NULL;
	__u64 *sent, last = 0, gap, min_gap = ~0ULL, max_gap = 0;
	struct ts_value v;
	bool ok = false;
	__u32 i;

	sent = calloc(n + 1, sizeof(*sent));
	if (!sent)
		return fail("out of memory");
	*created = 0;
	while (bpf_map_get_next_key(e->ts_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (memcmp(&k.flow, &flow, sizeof(flow)) || k.dir != PPING_DIR_OUT ||
		    k.tsval < 1 || k.tsval > n) {
			fail("identifier of an unknown packet (TSval %u)", k.tsval);
			goto out;
		}
		if (bpf_map_lookup_elem(e->ts_fd, &k, &v)) {
			fail("identifier of TSval %u gone", k.tsval);
			goto out;
		}
		sent[k.tsval] = v.sent;
		++*created;
	}
	for (i = 1; i <= n; i++) {
		if (!sent[i])
			continue;
		if (!expect_eq("identifier time - its packet's time",
			       sent[i] - sent_at(i, period), 0))
			goto out;
		if (!last) {
			if (!expect(i <= 2, "first identifier at TSval %u", i))
				goto out;
			last = sent[i];
			continue;
		}
		gap = sent[i] - last;
		if (!expect(gap >= interval && gap < interval + 2 * period,
			    "identifier of TSval %u %llu ns after the one before, "
			    "want %llu to %llu", i, (unsigned long long)gap,
			    (unsigned long long)interval,
			    (unsigned long long)(interval + 2 * period - 1)))
			goto out;
		min_gap = gap < min_gap ? gap : min_gap;
		max_gap = gap > max_gap ? gap : max_gap;
		last = sent[i];
	}
	printf("  claims race: bursts %.2f to %.2f ms apart (limit %.2f ms, a packet every %.2f ms)\n",
	       min_gap / 1e6, max_gap / 1e6, interval / 1e6, period / 1e6);
	ok = true;
out:
	free(sent);
	return ok;
}

static bool test_claims_race(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env *e;
	__u64 n = 0;

	/* No rate limit, the live clock: every TSval one identifier. All of
	 * them in ts_map, which the check below walks. */
	cfg.ts_map_only = true;
	CHECK(fixture_env(&e, &cfg));
	CHECK(run_race(e, 20000, 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 20000));
	CHECK(expect_eq("ts_exists", c.ts_exists, 0));
	printf("  claims race, no limit: %llu compare-and-exchange retries\n",
	       (unsigned long long)c.claims_lost);

	/* In a fresh environment, both CPUs offering a new TSval every
	 * 0.5 ms of the injected clock for 10 s, with a limit of 0.75 ms: a
	 * burst every second (or third) packet, so the CPUs are often both
	 * about to start one. Each starts once and on time: one identifier
	 * per 1 to 1.5 ms. */
	cfg.rate_limit_ns = 3 * MS / 4;
	cfg.test_clock = true;
	CHECK(fixture_env(&e, &cfg));
	CHECK(run_race(e, 20000, MS / 2));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_exists", c.ts_exists, 0));
	CHECK(expect_paced(e, 20000, 3 * MS / 4, MS / 2, &n));
	CHECK(expect_eq("identifiers in the map", n, c.ts_created));
	CHECK(expect(n >= 20000 / 3 && n <= 20000 / 2,
		     "%llu identifiers for 10 s at one per 1 to 1.5 ms",
		     (unsigned long long)n));
	printf("  claims race: %llu identifiers, %llu slot claims lost to the other CPU\n",
	       (unsigned long long)n, (unsigned long long)c.claims_lost);
	return true;
}

/*
 * One CPU sends data, each packet a new TSval and (no rate limit) an
 * identifier; the other at the same time sends the peer's ACKs echoing the
 * TSval echo_lag packets back, so stores into the flow's slots and takes
 * from them meet. Every identifier must leave exactly one way: matched
 * (one sample), passed by a newer echo, or still outstanding in a slot or
 * in the map (lag 3 keeps more outstanding than the two slots hold).
 */
static bool slot_race(__u32 n, __u32 lag)
{
	struct flow_state fs;
	struct pping_counters c;
	struct racer r[2];
	struct env_cfg cfg = CFG_TC;
	__u64 in_slots = 0, in_map, left;
	struct env *e;
	int i, d;

	cfg.rate_limit_ns = 0;
	CHECK(fixture_env(&e, &cfg));
	e->hold_events = true;
	for (i = 0; i < 2; i++)
		r[i] = (struct racer){
			.prog_fd = bpf_program__fd(i ? e->tc->progs.pping_tc_ingress :
						   e->tc->progs.pping_tc_egress),
			.cpu = i % (int)sysconf(_SC_NPROCESSORS_ONLN),
			.n = n,
			.echo_lag = i ? lag : 0,
			.other = &r[1 - i],
		};
	CHECK(run_racers(r));
	CHECK(read_counters(e, &c));
	CHECK(flow_lookup(e, &T4, &fs));
	for (d = 0; d < PPING_DIR_MAX; d++)
		for (i = 0; i < PPING_ID_SLOTS; i++)
			in_slots += fs.dir[d].ids[i].sent > PPING_ID_SLOT_BUSY &&
				    (fs.dir[d].ids[i].tag_ago & PPING_ID_SLOT_TS);
	in_map = (__u64)map_entries(e->ts_fd, sizeof(struct ts_key));
	CHECK(expect_eq("map entries: stored - taken", in_map, c.ts_in_map - c.ts_deleted));
	left = c.rtt_samples + c.ts_stale + c.ts_passed + in_slots + in_map;
	CHECK(expect(c.ts_created == left,
		     "lag %u: created %llu, but matched %llu + not a sample %llu + passed %llu + in slots %llu + in the map %llu = %llu",
		     lag, (unsigned long long)c.ts_created,
		     (unsigned long long)c.rtt_samples, (unsigned long long)c.ts_stale,
		     (unsigned long long)c.ts_passed, (unsigned long long)in_slots,
		     (unsigned long long)in_map, (unsigned long long)left));
	CHECK(expect(c.ts_created >= n, "lag %u: %llu identifiers for %u TSvals", lag,
		     (unsigned long long)c.ts_created, n));
	printf("  slot race, echo lag %u: %llu identifiers, %llu matched (%llu taken from the map), %llu echoed before the send time read, %llu passed, %llu still outstanding; %llu of %u runs overlapped\n",
	       lag, (unsigned long long)c.ts_created, (unsigned long long)c.rtt_samples,
	       (unsigned long long)c.ts_deleted, (unsigned long long)c.ts_stale,
	       (unsigned long long)c.ts_passed,
	       (unsigned long long)(in_slots + in_map),
	       (unsigned long long)(r[0].overlaps + r[1].overlaps), 2 * n);
	return true;
}

static bool test_slot_race(void)
{
	return slot_race(20000, 1) && slot_race(20000, 3);
}

DEFINE_TESTS(race,
	{ "claims_race", test_claims_race },
	{ "slot_race", test_slot_race }
);
