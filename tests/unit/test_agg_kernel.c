// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel RTT aggregation (-a live, bpf/aggregate.bpf.h): a reported
 * sample goes into its subnet's entry of its method in agg_hists (a
 * histogram of RTTs and one of queueing delays), keyed by the generation
 * the daemon set, with no RTT event; the daemon's reader
 * (user/agg_kernel.c) takes one generation at a time, and deletes the
 * windows of subnets its table does not track. All on the injected clock,
 * so every RTT is exact.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agg_kernel.h"
#include "aggregate.h"
#include "harness.h"
#include "histogram.h"
#include "pping_tc.skel.h"

/* -a with in-kernel aggregation, /24 and /48; a 10 s queueing-delay
 * window, so a window slot is one second. */
static const struct env_cfg CFG_AGG = {
	.tc = true, .test_clock = true, .aggregate_subnets = true,
	.subnet_prefix_v4 = 24, .subnet_prefix_v6 = 48,
	.agg_kernel = true, .qdelay_window_ns = 10 * SECOND,
};

#define SLOT_NS (SECOND)   /* CFG_AGG's qdelay_window_ns / PPING_AGG_WINDOW_SLOTS */

/* A connection from 192.168.0.1 to host `host` of 10.1.n.0/24. The tuple
 * points into the struct: fill it in place, never copy it. */
struct subnet_conn {
	char remote[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	struct tuple t;
};

static void conn_init_host(struct subnet_conn *c, unsigned int n,
			   unsigned int host)
{
	snprintf(c->remote, sizeof(c->remote), "10.1.%u.%u", n, host);
	snprintf(c->net, sizeof(c->net), "10.1.%u.0", n);
	c->t = (struct tuple){ 4, "192.168.0.1", c->remote, 40000, 80 };
}

static void conn_init(struct subnet_conn *c, unsigned int n)
{
	conn_init_host(c, n, 7);
}

/*
 * The key of the entry of method (enum pping_method) of subnet net (its
 * network address, as the datapath leaves it after masking) in
 * generation gen: its RTTs and its queueing delays. The address is mapped
 * as tuple_key maps one.
 */
static struct agg_key hist_key(int ipv, const char *net, __u8 method, __u8 gen)
{
	const struct tuple addr = { ipv, net, net, 0, 0 };
	struct flow_key fk = tuple_key(&addr);
	struct agg_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.subnet.addr, fk.remote_addr, sizeof(k.subnet.addr));
	k.subnet.ipv = ipv;
	k.method = method;
	k.gen = gen;
	return k;
}

static int hists_fd(struct env *e)
{
	return bpf_map__fd(e->tc->maps.agg_hists);
}

static int windows_fd(struct env *e)
{
	return bpf_map__fd(e->tc->maps.agg_windows);
}

/* The entry under k into *en; *found says whether there is one. */
static bool entry_read(struct env *e, const struct agg_key *k,
		       struct agg_entry *en, bool *found)
{
	*found = bpf_map_lookup_elem(hists_fd(e), k, en) == 0;
	if (*found || errno == ENOENT)
		return true;
	return fail("looking up an entry: %s", strerror(errno));
}

/* The samples of a histogram of the datapath: the sum of its buckets. */
static __u64 hist_samples(const struct agg_hist *h)
{
	__u64 n = 0;
	int b;

	for (b = 0; b < PPING_HIST_BUCKETS; b++)
		n += h->bucket[b];
	return n;
}

static const char *const method_names[PPING_METHOD_MAX] = {
	[PPING_METHOD_TS] = "TS", [PPING_METHOD_SEQ] = "SEQ",
	[PPING_METHOD_ICMP] = "ICMP",
};

/* "TS entry of 10.1.2.0 gen 1", for messages. */
static void entry_name(const struct agg_key *k, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (k->subnet.ipv == 4)
		inet_ntop(AF_INET, &k->subnet.addr[12], addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, k->subnet.addr, addr, sizeof(addr));
	snprintf(buf, len, "%s entry of %s gen %u",
		 method_names[k->method % PPING_METHOD_MAX], addr, k->gen);
}

/* Which histogram of an entry. */
enum part { RTTS, QDELAYS };

/*
 * The histogram `part` of the entry under k holds count samples (in its
 * buckets) of that sum, minimum and maximum (a 0 ns sample is a minimum
 * of 1: 0 is "none yet"). Fills *h for checks of buckets.
 */
static bool expect_hist(struct env *e, const struct agg_key *k, enum part part,
			struct agg_hist *h, __u64 count, __u64 sum, __u64 min,
			__u64 max)
{
	char name[80], what[112];
	struct agg_entry en;
	bool found;

	entry_name(k, name, sizeof(name));
	snprintf(what, sizeof(what), "%s of %s",
		 part == RTTS ? "RTTs" : "queueing delays", name);
	if (!entry_read(e, k, &en, &found))
		return false;
	if (!found)
		return fail("%s: no entry", what);
	*h = part == RTTS ? en.rtt : en.qdelay;
	if (!expect_eq("samples in the buckets", hist_samples(h), count) ||
	    !expect_eq("sum", h->sum, sum) ||
	    !expect_eq("min", h->min, min) ||
	    !expect_eq("max", h->max, max))
		return fail_prefix(what);
	return true;
}

static bool expect_rtts(struct env *e, const struct agg_key *k,
			struct agg_hist *h, __u64 count, __u64 sum, __u64 min,
			__u64 max)
{
	return expect_hist(e, k, RTTS, h, count, sum, min, max);
}

/* The queueing delays of the same entry: of the same samples. */
static bool expect_qdelays(struct env *e, const struct agg_key *k,
			   struct agg_hist *h, __u64 count, __u64 sum,
			   __u64 min, __u64 max)
{
	return expect_hist(e, k, QDELAYS, h, count, sum, min, max);
}

/* Bucket hist_bucket(v) of h holds n samples. */
static bool expect_bucket(const struct agg_hist *h, __u64 v, __u64 n)
{
	char what[64];

	snprintf(what, sizeof(what), "samples in bucket %u (of %llu ns)",
		 hist_bucket(v), (unsigned long long)v);
	return expect_eq(what, h->bucket[hist_bucket(v)], n);
}

static bool expect_no_entry(struct env *e, const struct agg_key *k)
{
	struct agg_entry en;
	char what[96];
	bool found;

	if (!entry_read(e, k, &en, &found))
		return false;
	entry_name(k, what, sizeof(what));
	return expect(!found, "unexpected %s (%llu samples)", what,
		      (unsigned long long)hist_samples(&en.rtt));
}

/* agg_hists holds n entries (each a subnet's RTTs and queueing delays of
 * one method in one generation). */
static bool expect_entries(struct env *e, int n)
{
	return expect_eq("entries in agg_hists",
			 map_entries(hists_fd(e), sizeof(struct agg_key)), n);
}

static bool expect_windows(struct env *e, int n)
{
	return expect_eq("windows in agg_windows",
			 map_entries(windows_fd(e), sizeof(struct subnet_key)), n);
}

/*
 * An RTT sample of exactly rtt on t: a data segment with TSval tsval
 * leaves now, and its echo arrives once the clock has moved on by rtt.
 */
static bool sample(struct env *e, const struct tuple *t, __u32 tsval,
		   __u64 rtt)
{
	if (!send_data(e, t, tsval))
		return false;
	env_advance(e, rtt);
	return ack_echo(e, t, tsval);
}

/*
 * Each sample lands in the bucket hist_bucket gives (the daemon adds the
 * datapath's buckets to its own, so they must agree), with its exact
 * value as sum, minimum and maximum. One subnet per RTT, so each
 * entry holds one sample, and its queueing delay is 0 (the sample is its
 * window's minimum). RTTs from 60 s on are stale, never samples: the
 * datapath's clamps at 2^36 ns cannot be reached from a packet.
 */
static bool test_agg_kernel_buckets(void)
{
	static const __u64 rtts[] = {
		0, 1, 31, 32, 63, 64, 65, 95, 96, 1000, 12345678,
		(1ULL << 35) - 1, 1ULL << 35, PPING_TS_STALE_NS - 1,
	};
	struct subnet_conn stale, conns[ARRAY_SIZE(rtts)];
	struct pping_counters c;
	struct agg_hist h;
	struct agg_key k;
	struct env *e;
	size_t i;

	CHECK(fixture_env(&e, &CFG_AGG));
	for (i = 0; i < ARRAY_SIZE(rtts); i++) {
		conn_init(&conns[i], i + 1);
		CHECK(sample(e, &conns[i].t, MATCH_TSVAL, rtts[i]));
	}
	for (i = 0; i < ARRAY_SIZE(rtts); i++) {
		__u64 rtt = rtts[i];
		char what[64];

		snprintf(what, sizeof(what), "RTT %llu ns", (unsigned long long)rtt);
		k = hist_key(4, conns[i].net, PPING_METHOD_TS, 0);
		if (!expect_rtts(e, &k, &h, 1, rtt, rtt ?: 1, rtt) ||
		    !expect_bucket(&h, rtt, 1))
			return fail_prefix(what);
		if (!expect_qdelays(e, &k, &h, 1, 0, 1, 0) || !expect_bucket(&h, 0, 1))
			return fail_prefix(what);
	}
	CHECK(expect_entries(e, ARRAY_SIZE(rtts)));

	conn_init(&stale, ARRAY_SIZE(rtts) + 1);
	CHECK(sample(e, &stale.t, MATCH_TSVAL, PPING_TS_STALE_NS));
	k = hist_key(4, stale.net, PPING_METHOD_TS, 0);
	CHECK(expect_no_entry(e, &k));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, ARRAY_SIZE(rtts)));
	CHECK(expect_eq("ts_stale", c.ts_stale, 1));
	CHECK(expect_eq("agg_full", c.agg_full, 0));
	return expect_eq("agg_late", c.agg_late, 0);
}

/* One exchange of 20 ms on cfg: the sample is counted, and there are
 * `events` RTT events and `entries` entries of histograms. */
static bool one_exchange(const struct env_cfg *cfg, int events, int entries)
{
	struct subnet_conn conn;
	struct pping_counters c;
	struct env *e;

	conn_init(&conn, 1);
	CHECK(fixture_env(&e, cfg));
	CHECK(sample(e, &conn.t, MATCH_TSVAL, 20 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	CHECK(expect_eq("events_lost", c.events_lost, 0));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), events));
	return expect_entries(e, entries);
}

/* With the histograms in the kernel, a sample sends no RTT event; the same
 * exchange without them sends one, and makes no histogram. */
static bool test_agg_kernel_no_events(void)
{
	struct env_cfg events_cfg = CFG_AGG;

	if (!one_exchange(&CFG_AGG, 0, 1))
		return fail_prefix("in-kernel aggregation");
	events_cfg.agg_kernel = false;
	if (!one_exchange(&events_cfg, 1, 0))
		return fail_prefix("aggregation from events");
	return true;
}

/* The window slot of time t, as agg_windows packs it: the slot number
 * (modulo 2^28) above the slot's minimum RTT. */
static __u64 packed_slot(__u64 t, __u64 min)
{
	return (t / SLOT_NS & PPING_AGG_SLOT_ID_MASK) << PPING_AGG_SLOT_RTT_BITS | min;
}

/* The window of subnet net holds the packed slots want[]. */
static bool expect_window(struct env *e, const char *net,
			  const __u64 want[PPING_AGG_WINDOW_SLOTS])
{
	struct agg_key k = hist_key(4, net, 0, 0);
	struct agg_window w;
	char what[32];
	int i;

	if (bpf_map_lookup_elem(windows_fd(e), &k.subnet, &w))
		return fail("no window for %s: %s", net, strerror(errno));
	for (i = 0; i < PPING_AGG_WINDOW_SLOTS; i++) {
		snprintf(what, sizeof(what), "window slot %d", i);
		if (!expect_eq(what, w.slot[i], want[i]))
			return fail_prefix(net);
	}
	return true;
}

/*
 * Queueing delay: the RTT less the minimum of the subnet's window, the
 * sample itself included. Three samples in one slot (30, 10, 25 ms) give
 * 0, 0 and 15 ms; the slot keeps the 10 ms. Nine slots on, that minimum
 * is still in the window (12 ms: 2 ms); ten slots after that it has gone,
 * and a 40 ms sample is its own minimum (0), overwriting its slot's
 * older number.
 */
static bool test_agg_kernel_qdelay(void)
{
	const __u64 t0 = ENV_CLOCK_START;   /* a slot's start: slot 0 of the window */
	__u64 slots[PPING_AGG_WINDOW_SLOTS] = { 0 };
	struct subnet_conn conn;
	struct agg_key k;
	struct agg_hist h;
	struct env *e;

	conn_init(&conn, 1);
	k = hist_key(4, conn.net, PPING_METHOD_TS, 0);
	CHECK(fixture_env(&e, &CFG_AGG));
	CHECK(expect_eq("slot of the first samples", t0 / SLOT_NS % PPING_AGG_WINDOW_SLOTS, 0));
	CHECK(sample(e, &conn.t, 1, 30 * MS));
	CHECK(expect_qdelays(e, &k, &h, 1, 0, 1, 0));
	CHECK(sample(e, &conn.t, 2, 10 * MS));
	CHECK(expect_qdelays(e, &k, &h, 2, 0, 1, 0));
	CHECK(sample(e, &conn.t, 3, 25 * MS));
	CHECK(expect_qdelays(e, &k, &h, 3, 15 * MS, 1, 15 * MS));
	CHECK(expect_bucket(&h, 0, 2) && expect_bucket(&h, 15 * MS, 1));
	slots[0] = packed_slot(t0, 10 * MS);
	CHECK(expect_window(e, conn.net, slots));

	/* The last slot of the window that still holds slot 0. */
	env_set_time(e, t0 + 9 * SLOT_NS + SLOT_NS / 2);
	CHECK(sample(e, &conn.t, 4, 12 * MS));
	CHECK(expect_qdelays(e, &k, &h, 4, 17 * MS, 1, 15 * MS));
	CHECK(expect_bucket(&h, 2 * MS, 1));
	slots[9] = packed_slot(env_now(e), 12 * MS);
	CHECK(expect_window(e, conn.net, slots));

	/* Ten slots later: both minima are out of the window. */
	env_advance(e, 10 * SLOT_NS);
	CHECK(sample(e, &conn.t, 5, 40 * MS));
	CHECK(expect_qdelays(e, &k, &h, 5, 17 * MS, 1, 15 * MS));
	CHECK(expect_bucket(&h, 0, 3));
	slots[9] = packed_slot(env_now(e), 40 * MS);
	CHECK(expect_window(e, conn.net, slots));

	/* The RTTs of the same samples, in the same entry. */
	CHECK(expect_entries(e, 1));
	return expect_rtts(e, &k, &h, 5, 117 * MS, 10 * MS, 40 * MS);
}

/* What the aggregation holds for subnet net (NULL if nothing: failed). */
static const struct subnet_stats *agg_find(const struct aggregate *a,
					   const char *net)
{
	struct agg_key k = hist_key(4, net, 0, 0);
	const struct subnet_stats *s;
	__u32 pos = 0;

	while ((s = aggregate_next(a, &pos)))
		if (memcmp(&s->key, &k.subnet, sizeof(k.subnet)) == 0)
			return s;
	return NULL;
}

static const struct subnet_stats *agg_subnet(const struct aggregate *a,
					     const char *net)
{
	const struct subnet_stats *s = agg_find(a, net);

	if (!s)
		fail("subnet %s not in the aggregation", net);
	return s;
}

/* The aggregation's RTTs of subnet net this interval: count samples
 * between min and max. */
static bool expect_agg_rtts(const struct aggregate *a, const char *net,
			    __u64 count, __u64 min, __u64 max)
{
	const struct subnet_stats *s = agg_subnet(a, net);

	if (!s)
		return false;
	if (!expect_eq("RTTs", s->rtt->count, count) ||
	    !expect_eq("RTT min", s->rtt->min, min) ||
	    !expect_eq("RTT max", s->rtt->max, max))
		return fail_prefix(net);
	return true;
}

/* The aggregation's queueing delays of subnet net this interval: count
 * of them, between min and max (a delay of 0 is a minimum of 0, as
 * hist_add keeps it); and its window's minimum at now is win_min (the
 * reader brings the datapath's windows along, for the records). */
static bool expect_agg_qdelay(const struct aggregate *a, const char *net,
			      __u64 count, __u64 min, __u64 max, __u64 now,
			      __u64 win_min)
{
	const struct subnet_stats *s = agg_subnet(a, net);

	if (!s)
		return false;
	if (!expect_eq("queueing delays", s->qdelay->count, count) ||
	    !expect_eq("queueing delay min", s->qdelay->min, min) ||
	    !expect_eq("queueing delay max", s->qdelay->max, max) ||
	    !expect_eq("window minimum", aggregate_window_min(a, s, now), win_min))
		return fail_prefix(net);
	return true;
}

/* -a 1s, as the daemon builds it for the reader. */
static const struct agg_config AGG_READER = {
	.interval_ns = SECOND, .prefix_v4 = 24, .prefix_v6 = 48,
	.max_subnets = 4, .window_ns = 10 * SECOND,
};

/*
 * The daemon's side of a test: the environment of cfg, an aggregation of
 * acfg reading the subnet map if traffic (as the daemon's does, else
 * none), and the reader of the datapath's histograms into it.
 */
static bool reader_open(struct env **e, const struct env_cfg *cfg,
			struct aggregate *a, const struct agg_config *acfg,
			bool traffic, struct agg_kernel *k)
{
	CHECK(fixture_env(e, cfg));
	CHECK(expect(aggregate_init(a, acfg, traffic ? (*e)->subnet_fd : -1) == 0,
		     "aggregate_init failed"));
	return expect(agg_kernel_open(k, a, hists_fd(*e), windows_fd(*e),
				      bpf_map__fd((*e)->tc->maps.agg_tracked),
				      env_runtime(*e), false) == 0,
		      "agg_kernel_open failed");
}

/*
 * Generations: samples go to the histograms of generation agg_gen & 1,
 * and a read (which turns the generation) takes exactly those of the
 * generation before into the aggregation and deletes them, leaving the
 * new generation's for the next read.
 */
static bool test_agg_kernel_generations(void)
{
	struct subnet_conn x1, x2, y;
	struct agg_kernel k = { 0 };
	struct pping_counters c;
	volatile __u32 *gen;
	struct aggregate a;
	struct agg_key key;
	struct agg_hist h;
	struct env *e;
	bool ok = false;

	memset(&a, 0, sizeof(a));
	conn_init(&x1, 1);
	conn_init_host(&x2, 1, 8);
	conn_init(&y, 2);
	REQUIRE(reader_open(&e, &CFG_AGG, &a, &AGG_READER, false, &k));
	gen = &env_runtime(e)->agg_gen;

	/* Generation 0: two samples of 10.1.1.0/24, one of 10.1.2.0/24. */
	REQUIRE(expect_eq("agg_gen at start", *gen, 0));
	REQUIRE(sample(e, &x1.t, 1, 20 * MS));
	REQUIRE(sample(e, &x2.t, 1, 30 * MS));
	REQUIRE(sample(e, &y.t, 1, 50 * MS));
	key = hist_key(4, x1.net, PPING_METHOD_TS, 0);
	REQUIRE(expect_rtts(e, &key, &h, 2, 50 * MS, 20 * MS, 30 * MS));
	REQUIRE(expect_qdelays(e, &key, &h, 2, 10 * MS, 1, 10 * MS));
	key = hist_key(4, y.net, PPING_METHOD_TS, 0);
	REQUIRE(expect_rtts(e, &key, &h, 1, 50 * MS, 50 * MS, 50 * MS));
	REQUIRE(expect_qdelays(e, &key, &h, 1, 0, 1, 0));
	REQUIRE(expect_entries(e, 2));

	/* The read turns the generation to 1 and takes both entries. */
	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE(expect_eq("agg_gen after a read", *gen, 1));
	REQUIRE(expect_eq("entries taken", k.entries, 2));
	REQUIRE(expect_entries(e, 0));
	REQUIRE(expect_agg_rtts(&a, x1.net, 2, 20 * MS, 30 * MS));
	REQUIRE(expect_agg_rtts(&a, y.net, 1, 50 * MS, 50 * MS));
	/* The datapath's minimum of 1 for a delay of 0 is 0 again. */
	REQUIRE(expect_agg_qdelay(&a, x1.net, 2, 0, 10 * MS, env_now(e), 20 * MS));
	REQUIRE(expect_agg_qdelay(&a, y.net, 1, 0, 0, env_now(e), 50 * MS));

	/* Generation 1: a sample of 10.1.1.0/24. */
	REQUIRE(sample(e, &x1.t, 2, 40 * MS));
	key = hist_key(4, x1.net, PPING_METHOD_TS, 1);
	REQUIRE(expect_rtts(e, &key, &h, 1, 40 * MS, 40 * MS, 40 * MS));
	REQUIRE(expect_qdelays(e, &key, &h, 1, 20 * MS, 20 * MS, 20 * MS));
	key.gen = 0;
	REQUIRE(expect_no_entry(e, &key));
	/* A sample of 10.1.2.0/24 from a program that runs after the next
	 * read has turned the generation (to 2) but before it collects: the
	 * turn is made here by hand for that one sample, and undone. */
	*gen = 2;
	REQUIRE(sample(e, &y.t, 2, 60 * MS));
	*gen = 1;
	key = hist_key(4, y.net, PPING_METHOD_TS, 0);
	REQUIRE(expect_rtts(e, &key, &h, 1, 60 * MS, 60 * MS, 60 * MS));
	REQUIRE(expect_agg_rtts(&a, x1.net, 2, 20 * MS, 30 * MS));

	/* The read takes generation 1 and leaves generation 0. */
	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE(expect_eq("agg_gen after two reads", *gen, 2));
	REQUIRE(expect_agg_rtts(&a, x1.net, 3, 20 * MS, 40 * MS));
	REQUIRE(expect_agg_rtts(&a, y.net, 1, 50 * MS, 50 * MS));
	REQUIRE(expect_entries(e, 1));
	REQUIRE(expect_rtts(e, &key, &h, 1, 60 * MS, 60 * MS, 60 * MS));

	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE(expect_agg_rtts(&a, y.net, 2, 50 * MS, 60 * MS));
	REQUIRE(expect_agg_rtts(&a, x1.net, 3, 20 * MS, 40 * MS));
	REQUIRE(expect_entries(e, 0));
	REQUIRE(expect_eq("entries taken in three reads", k.entries, 4));
	REQUIRE(read_counters(e, &c));
	REQUIRE(expect_eq("agg_late", c.agg_late, 0));
	ok = expect_eq("agg_full", c.agg_full, 0);
out:
	agg_kernel_close(&k);
	aggregate_free(&a);
	return ok;
}

/*
 * A full agg_hists: room for one subnet (-a's table) makes room for
 * PPING_METHOD_MAX entries of it in each of two generations, which six
 * subnets of one method fill in one generation; and for two windows. The
 * samples of the next two subnets are not added, and counted in agg_full;
 * subnets that have an entry still take samples. The added subnets from
 * the third on found the window map full, and count in agg_no_window
 * (agg_kernel_window_full tests it alone).
 */
static bool test_agg_kernel_full(void)
{
	/* 2 * PPING_METHOD_MAX entries, one for each subnet of one method. */
	const size_t fit = PPING_METHOD_MAX * 2, windows = 2;
	struct subnet_conn conns[PPING_METHOD_MAX * 2 + 2];
	struct env_cfg cfg = CFG_AGG;
	struct pping_counters c;
	struct agg_hist h;
	struct agg_key k;
	struct env *e;
	size_t i;

	cfg.subnet_map_entries = 1;
	CHECK(fixture_env(&e, &cfg));
	CHECK(expect_eq("agg_hists size", bpf_map__max_entries(e->tc->maps.agg_hists),
			fit));
	CHECK(expect_eq("agg_windows size", bpf_map__max_entries(e->tc->maps.agg_windows),
			windows));
	for (i = 0; i < ARRAY_SIZE(conns); i++) {
		conn_init(&conns[i], i + 1);
		CHECK(sample(e, &conns[i].t, 1, 10 * MS));
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, fit + 2));
	CHECK(expect_eq("agg_full", c.agg_full, 2));
	CHECK(expect_eq("agg_no_window", c.agg_no_window, fit - windows));
	CHECK(expect_entries(e, fit));
	CHECK(expect_windows(e, windows));
	for (i = 0; i < ARRAY_SIZE(conns); i++) {
		k = hist_key(4, conns[i].net, PPING_METHOD_TS, 0);
		if (i >= fit) {
			CHECK(expect_no_entry(e, &k));
			continue;
		}
		CHECK(expect_rtts(e, &k, &h, 1, 10 * MS, 10 * MS, 10 * MS));
		CHECK(expect_qdelays(e, &k, &h, 1, 0, 1, 0));
	}

	/* A subnet with an entry (and a window): added, nothing more
	 * counted. */
	CHECK(sample(e, &conns[0].t, 2, 20 * MS));
	k = hist_key(4, conns[0].net, PPING_METHOD_TS, 0);
	CHECK(expect_rtts(e, &k, &h, 2, 30 * MS, 10 * MS, 20 * MS));
	CHECK(expect_qdelays(e, &k, &h, 2, 10 * MS, 1, 10 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("agg_full after a known subnet", c.agg_full, 2));
	CHECK(expect_eq("agg_no_window after a known subnet", c.agg_no_window,
			fit - windows));
	return expect_eq("agg_late", c.agg_late, 0);
}

/*
 * A full agg_windows (room for twice -a's table: two windows for one
 * subnet): a subnet that finds no room for its window still has its
 * samples added, each its own minimum (a queueing delay of 0, as a
 * subnet's first sample is), and each is counted in agg_no_window. Subnets
 * with windows go on measuring queueing delay against them.
 */
static bool test_agg_kernel_window_full(void)
{
	struct subnet_conn conns[3];
	struct env_cfg cfg = CFG_AGG;
	struct pping_counters c;
	struct agg_window w;
	struct agg_hist h;
	struct agg_key k;
	struct env *e;
	size_t i;

	cfg.subnet_map_entries = 1;
	CHECK(fixture_env(&e, &cfg));
	CHECK(expect_eq("agg_windows size", bpf_map__max_entries(e->tc->maps.agg_windows), 2));
	for (i = 0; i < ARRAY_SIZE(conns); i++) {
		conn_init(&conns[i], i + 1);
		CHECK(sample(e, &conns[i].t, 1, 10 * MS));
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("agg_no_window", c.agg_no_window, 1));
	CHECK(expect_eq("agg_full", c.agg_full, 0));
	CHECK(expect_windows(e, 2));
	k = hist_key(4, conns[2].net, PPING_METHOD_TS, 0);
	CHECK(expect(bpf_map_lookup_elem(windows_fd(e), &k.subnet, &w) && errno == ENOENT,
		     "a window for %s, beyond the window map's room", conns[2].net));
	CHECK(expect_rtts(e, &k, &h, 1, 10 * MS, 10 * MS, 10 * MS));
	CHECK(expect_qdelays(e, &k, &h, 1, 0, 1, 0));

	/* 30 ms: 20 ms above the first subnet's window minimum; the third
	 * has none, so the sample is its own minimum again. */
	CHECK(sample(e, &conns[0].t, 2, 30 * MS));
	CHECK(sample(e, &conns[2].t, 2, 30 * MS));
	CHECK(expect_rtts(e, &k, &h, 2, 40 * MS, 10 * MS, 30 * MS));
	CHECK(expect_qdelays(e, &k, &h, 2, 0, 1, 0));
	k = hist_key(4, conns[0].net, PPING_METHOD_TS, 0);
	CHECK(expect_qdelays(e, &k, &h, 2, 20 * MS, 1, 20 * MS));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 5));
	CHECK(expect_eq("agg_no_window after a second sample of each",
			c.agg_no_window, 2));
	CHECK(expect_entries(e, 3));
	return expect_eq("agg_late", c.agg_late, 0);
}

/*
 * Subnets beyond the daemon's table. Room for one subnet: B and C sample
 * before the table knows either, so both make entries and windows; the
 * read tracks one of them (whichever its walk meets first) and counts the
 * other's sample as overflow, and deletes its window, or such windows
 * would hold the window map for good. From then on the table is full and
 * the datapath knows it: D's sample makes no entry and no window, and is
 * counted (agg_untracked), while the tracked subnet's samples go on.
 */
static bool test_agg_kernel_untracked_windows(void)
{
	struct subnet_conn b, c, d, *in, *out;
	struct agg_config acfg = AGG_READER;
	struct env_cfg cfg = CFG_AGG;
	struct agg_kernel k = { 0 };
	struct aggregate a = { 0 };
	struct pping_counters cnt;
	struct agg_key key;
	struct agg_hist h;
	struct env *e;
	bool ok = false;

	conn_init(&b, 1);
	conn_init(&c, 2);
	conn_init(&d, 3);
	cfg.subnet_map_entries = 1;
	acfg.max_subnets = 1;
	REQUIRE(reader_open(&e, &cfg, &a, &acfg, true, &k));
	REQUIRE(expect_eq("agg_table_full at start", env_runtime(e)->agg_table_full, 0));

	REQUIRE(sample(e, &b.t, 1, 10 * MS));
	REQUIRE(sample(e, &c.t, 1, 10 * MS));
	REQUIRE(expect_windows(e, 2));
	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE(expect_eq("subnets tracked", a.used, 1));
	REQUIRE(expect_eq("RTTs beyond the table", a.overflow.rtts, 1));
	REQUIRE(expect_eq("agg_table_full", env_runtime(e)->agg_table_full, 1));
	REQUIRE(expect_windows(e, 1));
	in = agg_find(&a, b.net) ? &b : &c;
	out = in == &b ? &c : &b;
	REQUIRE(expect(agg_find(&a, in->net) && !agg_find(&a, out->net),
		       "one of B and C tracked"));

	/* The table full: D, and the untracked one of B and C, leave
	 * nothing; the tracked one is measured against its window. */
	REQUIRE(sample(e, &d.t, 1, 10 * MS));
	REQUIRE(sample(e, &out->t, 2, 10 * MS));
	REQUIRE(sample(e, &in->t, 2, 30 * MS));
	REQUIRE(expect_windows(e, 1));
	key = hist_key(4, d.net, PPING_METHOD_TS, 1);
	REQUIRE(expect_no_entry(e, &key));
	key = hist_key(4, out->net, PPING_METHOD_TS, 1);
	REQUIRE(expect_no_entry(e, &key));
	key = hist_key(4, in->net, PPING_METHOD_TS, 1);
	REQUIRE(expect_rtts(e, &key, &h, 1, 30 * MS, 30 * MS, 30 * MS));
	REQUIRE(expect_qdelays(e, &key, &h, 1, 20 * MS, 20 * MS, 20 * MS));
	REQUIRE(read_counters(e, &cnt));
	REQUIRE(expect_eq("agg_untracked", cnt.agg_untracked, 2));
	ok = expect_eq("agg_no_window", cnt.agg_no_window, 0) &&
	     expect_eq("agg_full", cnt.agg_full, 0);
out:
	agg_kernel_close(&k);
	aggregate_free(&a);
	return ok;
}

/*
 * A new subnet whose first sample lands in the generation the read has
 * just turned to is not in the table yet when the read walks the
 * windows: with room in the table its window stays, so its next sample's
 * queueing delay is measured against that first minimum.
 */
static bool test_agg_kernel_new_subnet_window(void)
{
	struct agg_kernel k = { 0 };
	struct aggregate a = { 0 };
	struct subnet_conn n;
	struct agg_key key;
	struct agg_hist h;
	struct env *e;
	bool ok = false;

	conn_init(&n, 1);
	REQUIRE(reader_open(&e, &CFG_AGG, &a, &AGG_READER, true, &k));
	/* As if added between a read's turn of the generation and its walk
	 * of the windows: into the generation the read does not take. */
	env_runtime(e)->agg_gen = 1;
	REQUIRE(sample(e, &n.t, 1, 10 * MS));
	env_runtime(e)->agg_gen = 0;
	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE(expect_eq("subnets tracked", a.used, 0));
	REQUIRE(expect_windows(e, 1));
	REQUIRE(sample(e, &n.t, 2, 30 * MS));
	key = hist_key(4, n.net, PPING_METHOD_TS, 1);
	ok = expect_qdelays(e, &key, &h, 2, 20 * MS, 1, 20 * MS);
out:
	agg_kernel_close(&k);
	aggregate_free(&a);
	return ok;
}

/* got (the reader's, NULL if never made) is want (hist_add's): count,
 * sum, minimum, maximum and every bucket. */
static bool expect_same_hist(const char *what, const struct histogram *got,
			     const struct histogram *want)
{
	char b_what[48];
	unsigned int b;

	if (!got)
		return fail("%s: no histogram", what);
	if (!expect_eq("count", got->count, want->count) ||
	    !expect_eq("sum", got->sum, want->sum) ||
	    !expect_eq("min", got->min, want->min) ||
	    !expect_eq("max", got->max, want->max))
		return fail_prefix(what);
	for (b = 0; b < HIST_BUCKETS; b++) {
		snprintf(b_what, sizeof(b_what), "bucket %u", b);
		if (!expect_eq(b_what, got->bucket[b], want->bucket[b]))
			return fail_prefix(what);
	}
	return true;
}

/*
 * A delay of 0 is a minimum of 0 in the daemon's histograms, as hist_add
 * keeps it. The datapath keeps it as 1 (its 0 is "none yet"), and the
 * reader takes bucket 0 for the zeros it holds. A subnet whose queueing
 * delays are all 0 (three samples of 20 ms) ends with a minimum and a
 * maximum of 0, and one with an RTT of 0 ns with an RTT minimum of 0:
 * each histogram, of the interval and cumulative (--metrics), is the one
 * hist_add builds from the same values.
 */
static bool test_agg_kernel_zero_min(void)
{
	static struct histogram want_rtt20, want_rtt0, want_zeros1, want_zeros3;
	struct agg_config acfg = AGG_READER;
	const struct subnet_stats *sx, *sz;
	struct agg_kernel k = { 0 };
	struct subnet_conn x, z;
	struct aggregate a;
	struct agg_key key;
	struct agg_hist h;
	struct env *e;
	bool ok = false;
	int i;

	memset(&a, 0, sizeof(a));
	hist_reset(&want_rtt20);
	hist_reset(&want_rtt0);
	hist_reset(&want_zeros1);
	hist_reset(&want_zeros3);
	conn_init(&x, 1);
	conn_init(&z, 2);
	acfg.cumulative = true;
	REQUIRE(reader_open(&e, &CFG_AGG, &a, &acfg, false, &k));

	for (i = 1; i <= 3; i++) {
		REQUIRE(sample(e, &x.t, i, 20 * MS));
		hist_add(&want_rtt20, 20 * MS);
		hist_add(&want_zeros3, 0);
	}
	REQUIRE(sample(e, &z.t, 1, 0));
	hist_add(&want_rtt0, 0);
	hist_add(&want_zeros1, 0);
	/* In the datapath a minimum of 0 is kept as 1. */
	key = hist_key(4, x.net, PPING_METHOD_TS, 0);
	REQUIRE(expect_qdelays(e, &key, &h, 3, 0, 1, 0));
	key = hist_key(4, z.net, PPING_METHOD_TS, 0);
	REQUIRE(expect_rtts(e, &key, &h, 1, 0, 1, 0));

	REQUIRE(expect_eq("agg_kernel_read", agg_kernel_read(&k, &a, env_now(e)), 0));
	REQUIRE((sx = agg_subnet(&a, x.net)) && (sz = agg_subnet(&a, z.net)));
	REQUIRE(expect_eq("queueing delay min of 10.1.1.0", sx->qdelay->min, 0));
	REQUIRE(expect_eq("queueing delay max of 10.1.1.0", sx->qdelay->max, 0));
	REQUIRE(expect_eq("RTT min of 10.1.2.0", sz->rtt->min, 0));
	REQUIRE(expect_eq("RTT max of 10.1.2.0", sz->rtt->max, 0));
	REQUIRE(expect_same_hist("RTTs of 10.1.1.0", sx->rtt, &want_rtt20));
	REQUIRE(expect_same_hist("queueing delays of 10.1.1.0", sx->qdelay, &want_zeros3));
	REQUIRE(expect_same_hist("RTTs of 10.1.2.0", sz->rtt, &want_rtt0));
	REQUIRE(expect_same_hist("queueing delays of 10.1.2.0", sz->qdelay, &want_zeros1));
	REQUIRE(expect_same_hist("TS RTTs of 10.1.1.0 since start",
				 sx->rtt_total[PPING_METHOD_TS], &want_rtt20));
	REQUIRE(expect_same_hist("queueing delays of 10.1.1.0 since start",
				 sx->qdelay_total, &want_zeros3));
	REQUIRE(expect_same_hist("TS RTTs of 10.1.2.0 since start",
				 sz->rtt_total[PPING_METHOD_TS], &want_rtt0));
	ok = expect_same_hist("queueing delays of 10.1.2.0 since start",
			      sz->qdelay_total, &want_zeros1);
out:
	agg_kernel_close(&k);
	aggregate_free(&a);
	return ok;
}

/*
 * A sample belongs to the subnet of the end that replied: the remote one
 * for data leaving (here IPv6, keyed by its /48), the local one for data
 * arriving and echoed on egress (-l).
 */
static bool test_agg_kernel_replying_end(void)
{
	const struct tuple t6 = { 6, "fd00:ffff::1", "fd00:200:1:ffff::9", 40000, 443 };
	const struct tuple t4 = { 4, "192.168.7.1", "10.1.1.7", 40000, 80 };
	struct env_cfg cfg = CFG_AGG;
	struct agg_hist h;
	struct agg_key k;
	struct env *e;

	cfg.include_local = true;
	CHECK(fixture_env(&e, &cfg));
	CHECK(sample(e, &t6, MATCH_TSVAL, 5 * MS));
	k = hist_key(6, "fd00:200:1::", PPING_METHOD_TS, 0);
	CHECK(expect_rtts(e, &k, &h, 1, 5 * MS, 5 * MS, 5 * MS));

	/* The remote end's data, echoed by the local end 3 ms later. */
	CHECK(tc_ts(e, &t4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100));
	env_advance(e, 3 * MS);
	CHECK(tc_ts(e, &t4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0));
	k = hist_key(4, "192.168.7.0", PPING_METHOD_TS, 0);
	CHECK(expect_rtts(e, &k, &h, 1, 3 * MS, 3 * MS, 3 * MS));
	k = hist_key(4, "10.1.1.0", PPING_METHOD_TS, 0);
	CHECK(expect_no_entry(e, &k));
	return expect_entries(e, 2);
}

DEFINE_TESTS(agg_kernel,
	{ "agg_kernel_buckets", test_agg_kernel_buckets },
	{ "agg_kernel_no_events", test_agg_kernel_no_events },
	{ "agg_kernel_replying_end", test_agg_kernel_replying_end },
	{ "agg_kernel_qdelay", test_agg_kernel_qdelay },
	{ "agg_kernel_generations", test_agg_kernel_generations },
	{ "agg_kernel_full", test_agg_kernel_full },
	{ "agg_kernel_window_full", test_agg_kernel_window_full },
	{ "agg_kernel_untracked_windows", test_agg_kernel_untracked_windows },
	{ "agg_kernel_new_subnet_window", test_agg_kernel_new_subnet_window },
	{ "agg_kernel_zero_min", test_agg_kernel_zero_min }
);
