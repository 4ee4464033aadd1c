// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction: under pressure the daemon asks cleanup to evict up to a
 * budget of flows that had an RTT reported; each evicted flow's bit is set
 * in the sampled-flows bitmap so admission can defer it (test_admission.c).
 * Flows without a report are never evicted.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "pping_tc.skel.h"

#define EVICT_PORT 44000
#define EVICT_SAMPLED 5
#define EVICT_UNSAMPLED 2

/* The datapath's flow hash (bpf/occupancy.bpf.h), restated so the test
 * can tell which bit belongs to which flow. */
static __u64 flow_hash(const struct flow_key *key)
{
	__u64 w[sizeof(*key) / sizeof(__u64)];
	__u64 h = 0;
	size_t i;

	memcpy(w, key, sizeof(w));
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h ^ (h >> 32);
}

struct bitmap {
	const __u64 *words;
	size_t n;
	__u64 mask;
};

static bool bitmap_map(struct env *e, struct bitmap *b)
{
	void *p;

	b->n = bpf_map__max_entries(e->tc->maps.sampled_flows);
	b->mask = env_runtime(e)->sampled_mask;
	p = mmap(NULL, b->n * sizeof(__u64), PROT_READ, MAP_SHARED, e->sampled_fd, 0);
	if (p == MAP_FAILED)
		return fail("mapping sampled_flows: %s", strerror(errno));
	b->words = p;
	return expect_eq("bits in sampled_flows", b->n * 64, b->mask + 1);
}

static void bitmap_unmap(struct bitmap *b)
{
	if (b->words)
		munmap((void *)b->words, b->n * sizeof(__u64));
	b->words = NULL;
}

static bool bit_of(const struct bitmap *b, const struct tuple *t)
{
	struct flow_key k = tuple_key(t);
	__u64 h = flow_hash(&k);

	return b->words[(h & b->mask) >> 6] & (1ULL << (h & 63));
}

static __u64 bits_set(const struct bitmap *b)
{
	__u64 n = 0;
	size_t i;

	for (i = 0; i < b->n; i++)
		n += __builtin_popcountll(b->words[i]);
	return n;
}

/* Sampled flows EVICT_PORT + 0.., then unsampled ones (one with data that
 * was never answered, one with only a SYN). */
static bool open_evict_flows(struct env *e)
{
	struct tuple t;
	struct pkt p;
	int i;

	for (i = 0; i < EVICT_SAMPLED; i++) {
		t = t4_port(EVICT_PORT + i);
		if (!send_data(e, &t, 100) || !ack_echo(e, &t, 100))
			return false;
		e->n_ev = 0;
	}
	t = t4_port(EVICT_PORT + EVICT_SAMPLED);
	if (!send_data(e, &t, 100))
		return false;
	t = t4_port(EVICT_PORT + EVICT_SAMPLED + 1);
	build_ts(&p, &t, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0);
	return egress(e, &p);
}

/* Every flow present has its bit clear, every one gone has it set, and
 * nothing else is set. */
static bool expect_marks(const struct bitmap *b, struct env *e, int *gone)
{
	struct flow_state fs;
	struct tuple t;
	int i;

	*gone = 0;
	for (i = 0; i < EVICT_SAMPLED + EVICT_UNSAMPLED; i++) {
		bool present;

		t = t4_port(EVICT_PORT + i);
		present = flow_lookup(e, &t, &fs);
		if (i >= EVICT_SAMPLED && !present)
			return fail("unsampled flow %d evicted", i - EVICT_SAMPLED);
		if (present == bit_of(b, &t))
			return fail("flow %d %s but its bit is %s", i,
				    present ? "present" : "evicted",
				    present ? "set" : "clear");
		*gone += !present;
	}
	return expect_eq("bits set in sampled_flows", bits_set(b), *gone);
}

/* Closing events by cleanup, each for an eviction. */
static int evictions_reported(const struct env *e)
{
	int i, n = 0;

	for (i = 0; i < e->n_ev; i++)
		n += e->ev[i].type == PPING_EVENT_FLOW &&
		     (e->ev[i].flags & PPING_EV_BY_CLEANUP) &&
		     e->ev[i].reason == PPING_REASON_EVICTED;
	return n;
}

static bool test_cleanup_evict_sampled(void)
{
	/* Budget of each pass, and how many it can find to evict. */
	static const __u64 passes[][2] = { { 2, 2 }, { 2, 2 }, { 2, 1 }, { 10, 0 } };
	struct bitmap b = { 0 };
	struct cleanup_stats st;
	struct env e;
	bool ok = false;
	int i, gone, evicted = 0;

	REQUIRE(env_open(&e, &CFG_TC_CLEANUP));
	REQUIRE(open_evict_flows(&e));
	REQUIRE(bitmap_map(&e, &b));
	REQUIRE(expect_marks(&b, &e, &gone));

	/* No budget: nothing is evicted, however many were sampled. */
	REQUIRE(env_cleanup(&e, now_ns(), 0, &st));
	REQUIRE(expect_flow_pass(&st, EVICT_SAMPLED + EVICT_UNSAMPLED,
				 EVICT_SAMPLED, NO_REASON, 0));

	for (i = 0; i < (int)ARRAY_SIZE(passes); i++) {
		int seen = EVICT_SAMPLED + EVICT_UNSAMPLED - evicted;

		REQUIRE(env_cleanup(&e, now_ns(), passes[i][0], &st));
		REQUIRE(expect_flow_pass(&st, seen, EVICT_SAMPLED - evicted,
					 CLEAN_FLOW_EVICTED, passes[i][1]));
		evicted += passes[i][1];
		REQUIRE(expect_marks(&b, &e, &gone));
		REQUIRE(expect_eq("flows evicted so far", gone, evicted));
	}
	REQUIRE(expect_eq("flows evicted", evicted, EVICT_SAMPLED));
	REQUIRE(expect_eq("closing events for evictions",
			  evictions_reported(&e), EVICT_SAMPLED));
	REQUIRE(expect_eq("entries in flow_map",
			  map_entries(e.flow_fd, sizeof(struct flow_key)),
			  EVICT_UNSAMPLED));
	ok = true;
out:
	bitmap_unmap(&b);
	env_close(&e);
	return ok;
}

DEFINE_TESTS(evict,
	{ "cleanup_evict_sampled", test_cleanup_evict_sampled }
);
