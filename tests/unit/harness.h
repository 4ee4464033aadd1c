/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the pping unit tests (test_bpf): assertions, the test
 * environment (loaded skeletons sharing one set of maps), running the
 * programs on crafted packets through BPF_PROG_TEST_RUN, and looking at
 * the state they left. Each tests/unit/test_*.c file holds the tests of one
 * concern and exports them as a table; groups.h lists the tables in the
 * order harness.c runs them.
 *
 * Output: one line per test, "PASS <name>" or "FAIL <name>: <why>"
 * (tests/run.sh counts them). Exit status 0 if everything passed, 1
 * otherwise. Arguments, if any, select the tests whose name contains one of
 * them. PPING_TEST_VERBOSE=1 shows libbpf's messages (the verifier log when
 * a program fails to load).
 *
 * Conventions:
 *  - A "tuple" is a connection seen from the monitored interface: local is
 *    the side whose packets leave through it (tc egress, PPING_DIR_OUT),
 *    remote the other one. Packets are built for a direction, so the same
 *    tuple gives both the egress data and the ingress reply.
 *  - The rate limit is 0 unless a test is about it, so every eligible packet
 *    can become an identifier.
 *  - Checksums are left zero; the programs never check them (see
 *    test_checksums_ignored).
 */
#ifndef PPING_TEST_HARNESS_H
#define PPING_TEST_HARNESS_H

#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "pping.h"          /* before the skeletons, which use its types */
#include "cleanup.h"
#include "loader.h"
#include "packets.h"         /* tests/lib: the packet builder */

#define TC_ACT_UNSPEC_RET ((__u32)-1)   /* what both tc programs return */
#define MAX_EVENTS 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MS 1000000ULL
#define SECOND (1000ULL * MS)

/* ========================================================================
 * Assertions: record the first failure's message and return false, so a
 * test can write REQUIRE(expect_...(...)) and bail out to its cleanup.
 * ======================================================================== */

__attribute__((format(printf, 1, 2)))
bool fail(const char *fmt, ...);

/* The kernel does not offer what the test checks: it ends as a SKIP that
 * says so ("kernel refused ..."), the only SKIP make test accepts.
 * Returns true: a test writes `return skip_refused(...)`. */
__attribute__((format(printf, 1, 2)))
bool skip_refused(const char *fmt, ...);

#define REQUIRE(cond) do { if (!(cond)) goto out; } while (0)
/* The same where there is nothing to clean up (the environment of a test
 * comes from fixture_env, which the harness closes): return at once. */
#define CHECK(cond) do { if (!(cond)) return false; } while (0)

/* Put the name of a sub-case in front of its failure message; returns false
 * so it can end a failing branch. */
bool fail_prefix(const char *prefix);

bool expect_eq(const char *what, unsigned long long got, unsigned long long want);

__attribute__((format(printf, 2, 3)))
bool expect(bool cond, const char *fmt, ...);

/* ========================================================================
 * Test environment: the loaded skeletons, their map fds and the events
 * read from the ring buffer so far.
 * ======================================================================== */

struct env_cfg {
	bool tc;             /* load the tc object (egress + ingress) */
	bool xdp;            /* load the XDP object; shares the tc maps if both */
	bool xdp_l3_only;    /* XDP rodata has_l2 = false (frames start at IP) */
	bool include_local;  /* rodata include_local, for every object */
	bool replay;         /* rodata replay (--read): time and length from the context */
	/* rodata test_clock, for every object: the programs take `now` from
	 * the test (env_now), which stands still until the test moves it
	 * with env_set_time or env_advance. */
	bool test_clock;
	/* The tick clock (clock.bpf.h), as the daemon runs: with test_clock
	 * the jiffy is the injected time divided by tick_ns (0: ENV_TICK_NS),
	 * and its bound that of that HZ; without, the kernel's jiffies and
	 * HZ. exact_clock: every packet reads the exact clock instead. */
	__u64 tick_ns;
	bool exact_clock;
	/* rodata tcp_method (enum pping_tcp_method; 0: auto, as the daemon) */
	__u8 tcp_method;
	bool no_icmp;        /* rodata icmp off (--no-icmp) */
	bool ts_map_only;    /* rodata ts_slots off: TSval identifiers in ts_map */
	bool cleanup;        /* open map cleanup on the tc maps */
	/* ... with this mechanism; CLEANUP_AUTO: the one the test runs
	 * with (harness_cleanup_mech). */
	enum cleanup_mech cleanup_mech;
	__u64 rate_limit_ns; /* runtime.rate_limit_ns */
	/* Map sizes of the tc object, 0 for the defaults (as the daemon may
	 * resize them before loading). */
	__u32 flow_map_entries;
	__u32 ts_map_entries;
	__u32 ringbuf_bytes;
	/* Per-subnet traffic (-a), for every object as user/loader.c sets
	 * it: rodata aggregate_subnets and the masks pping_subnet_mask()
	 * builds from the prefixes; subnet_map_entries resizes the tc
	 * object's subnet_map (0: the default). Off, the masks keep their
	 * defaults. */
	bool aggregate_subnets;
	__u8 subnet_prefix_v4;
	__u8 subnet_prefix_v6;
	__u32 subnet_map_entries;
	/* In-kernel RTT aggregation (-a live, bpf/aggregate.bpf.h), with
	 * aggregate_subnets: rodata agg_kernel and the window of
	 * --qdelay-window qdelay_window_ns (0: 5 minutes, the default). */
	bool agg_kernel;
	__u64 qdelay_window_ns;
	/* --include, --exclude, --ports (NULL/0: none). */
	const struct local_net *includes, *excludes;
	int n_includes, n_excludes;
	const __u64 *ports;
};

/* tc is always loaded with has_l2 = true: a tc test run needs a frame that
 * starts with an Ethernet header, so L3-only parsing is tested with XDP. */
extern const struct env_cfg CFG_TC;
extern const struct env_cfg CFG_TC_LOCAL;
extern const struct env_cfg CFG_XDP_L2;
extern const struct env_cfg CFG_XDP_L3;
extern const struct env_cfg CFG_XDP_L3_LOCAL;
/* As the daemon runs with -x on a tun device: tc egress, XDP ingress, one
 * set of maps. */
extern const struct env_cfg CFG_TC_XDP_L3;
/* tc with map cleanup, as the daemon runs with -c; every TSval identifier
 * in ts_map (ts_map_only), whose rules cleanup applies. */
extern const struct env_cfg CFG_TC_CLEANUP;

struct pping_tc;
struct pping_xdp;

/*
 * The cleanup mechanism the running test uses. Tests of the groups
 * groups.h registers with GROUP_PER_MECH run once per mechanism the kernel
 * allows (named test[mechanism]); other tests get CLEANUP_AUTO.
 */
extern enum cleanup_mech harness_cleanup_mech;

struct env {
	struct pping_bpf bpf;     /* loaded by user/loader.c, as the daemon does */
	struct pping_tc *tc;      /* bpf.tc: always loaded (it owns the maps) */
	struct pping_xdp *xdp;    /* bpf.xdp if env_cfg.xdp */
	struct ring_buffer *rb;
	struct cleanup cleanup;   /* loaded if env_cfg.cleanup */
	bool cleaning;
	int flow_fd, ts_fd, counters_fd, events_fd;
	int flow_count_fd, sampled_fd, subnet_fd;
	struct pping_event ev[MAX_EVENTS];
	int n_ev;
	int ev_overflow;   /* events that did not fit in ev[] */
	bool hold_events;  /* leave events in the ring buffer (to fill it) */
	bool test_clock;   /* env_cfg.test_clock */
	__u64 now;         /* the injected clock (test_clock) */
	__u64 tick_ns;     /* the injected tick; 0: none (exact or live clock) */
	__u64 held_tick;   /* env_hold_tick: 1 + the jiffy held; 0: none */
	struct pping_runtime runtime0;   /* runtime as loaded, for env_reset */
};

bool env_open(struct env *e, const struct env_cfg *cfg);
void env_close(struct env *e);

/*
 * The environment of the running test, opened with cfg into *e: the
 * harness closes it once the test has returned (and before opening another
 * for the same test, so a helper may take a fresh one per case). A test
 * that holds nothing else writes CHECK(fixture_env(&e, &CFG_TC)) and
 * returns at its first failed check.
 */
bool fixture_env(struct env **e, const struct env_cfg *cfg);

/*
 * One cleanup pass (env_cfg.cleanup) with the level-0
 * timeouts of user/degrade.c, as if the clock read `at` (so a test can
 * clean "in the future" instead of sleeping), allowed to evict up to
 * evict_budget sampled flows. `at` is on the clock the programs read:
 * env_now(e) + x, with the injected clock as without.
 */
bool env_cleanup(struct env *e, __u64 at, __u64 evict_budget,
		 struct cleanup_stats *st);

/* What a cleanup pass did to each map: entries seen (flows: and how many of
 * them sampled), removed per reason, and no failed delete. A pass removes
 * `removed` flows for `reason` (enum cleanup_flow_reason) and none for the
 * others. */
#define NO_REASON (-1)
bool expect_flow_pass(const struct cleanup_stats *st, __u64 seen,
		      __u64 sampled, int reason, __u64 removed);
bool expect_ts_pass(const struct cleanup_stats *st, __u64 seen,
		    __u64 expired, __u64 orphaned);

/* The runtime settings live in .data, mmapped: a store changes them for the
 * loaded programs, as the daemon does while running. */
volatile struct pping_runtime *env_runtime(struct env *e);

/* ========================================================================
 * Running the programs. Every run checks the program's verdict: pping only
 * observes, so tc must say TC_ACT_UNSPEC (-1) and XDP XDP_PASS, whatever
 * the packet. The ring buffer is drained after each run.
 *
 * With env_cfg.test_clock every run carries env_now(e): tc programs get it
 * as __sk_buff.tstamp (run_prog: unless the caller passes a context of its
 * own, which then carries the time), XDP in 8 bytes of metadata in front
 * of the packet (bpf/clock.bpf.h).
 * ======================================================================== */

bool run_prog(struct env *e, struct bpf_program *prog, const char *name,
	      const struct pkt *p, __u32 want_ret, struct __sk_buff *skb_ctx);
bool egress(struct env *e, const struct pkt *p);
bool ingress(struct env *e, const struct pkt *p);
bool xdp_ingress(struct env *e, const struct pkt *p);
/* The tc hook a packet of direction dir passes: egress or ingress. */
bool tc_hook(struct env *e, int dir, const struct pkt *p);

/* ========================================================================
 * Connections and packets
 * ======================================================================== */

struct tuple {
	int ipv;
	const char *local, *remote;
	__u16 lport, rport;
};

extern const struct tuple T4;
extern const struct tuple T6;
/* A second IPv4 connection, to show state is per flow. */
extern const struct tuple T4B;
/* T4 with another local port: one of many IPv4 connections. */
struct tuple t4_port(__u16 lport);

/* TSval of the data segment that matching tests have echoed. */
#define MATCH_TSVAL 1000u

/* IP header of a packet of tuple t travelling in direction dir. */
void add_ip(struct pkt *p, const struct tuple *t, int dir, __u8 proto);
/* TCP header with options o (NULL: none), payload bytes, final lengths. */
void add_tcp(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
	     const struct tcp_opts *o, size_t payload);
void l2_header(struct pkt *p, const struct tuple *t);
/* A complete Ethernet frame of tuple t with the given TCP options. */
void build_opts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
		const struct tcp_opts *o, size_t payload);
/* A complete Ethernet frame of tuple t carrying a timestamp option. */
void build_ts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
	      __u32 tsval, __u32 tsecr, size_t payload);
/* The same as a raw IP packet (no Ethernet header), for L3-only XDP. */
void build_ts_l3(struct pkt *p, const struct tuple *t, int dir,
		 __u8 flags, __u32 tsval, __u32 tsecr, size_t payload);
/* A frame of tuple t that is not TCP: proto UDP (between t's ports), ICMP or
 * ICMPv6 (an echo request), with payload bytes. */
void build_not_tcp(struct pkt *p, const struct tuple *t, int dir, __u8 proto,
		   size_t payload);
/* A segment of t in direction dir with a timestamp option (build_ts)
 * through the tc hook of that direction. */
bool tc_ts(struct env *e, const struct tuple *t, int dir, __u8 flags,
	   __u32 tsval, __u32 tsecr, size_t payload);
/* An egress data segment of t with a new TSval. */
bool send_data(struct env *e, const struct tuple *t, __u32 tsval);
/* The peer's pure ACK of t echoing tsecr (its own TSval 7000 + tsecr). */
bool ack_echo(struct env *e, const struct tuple *t, __u32 tsecr);

/* Run a table of packet cases through check(), naming the failing one. */
struct pkt_case {
	const char *name;
	void (*build)(struct pkt *p);
};

bool run_cases(const struct pkt_case *cases, size_t n,
	       bool (*check)(const struct pkt_case *c, const struct pkt *p));

/* How the datapath takes one packet (expect_one_pkt). */
enum pkt_verdict {
	NOT_TCP,       /* counted in pkts only: not IP, not TCP, a later
			* fragment, an impossible TCP header */
	TCP_NO_TS,     /* a TCP segment without a usable timestamp option */
	TIMESTAMPED,   /* a TCP segment whose TSval became an identifier, in
			* the flow it opened */
};

/* The hooks expect_one_pkt runs a packet through. */
#define RUN_EGRESS  1u
#define RUN_INGRESS 2u
#define RUN_XDP     4u

/*
 * p once through each hook of `runs` in a fresh environment cfg (the
 * test's fixture_env, left in *e): every hook counts it as the verdict
 * says. Nothing else is left behind: no event, flow or identifier unless
 * TIMESTAMPED, and then one flow and one identifier; a TCP_NO_TS packet
 * may open a flow (measured by SEQ/ACK) unless cfg->tcp_method is
 * PPING_TCP_TS, never a timestamp identifier or an RTT sample.
 */
bool expect_one_pkt(struct env **e, const struct env_cfg *cfg, unsigned int runs,
		    const struct pkt *p, enum pkt_verdict verdict);

/* ========================================================================
 * Looking at the state the programs left
 * ======================================================================== */

/* The flow key the datapath builds for tuple t: oriented local/remote,
 * IPv4 addresses IPv4-mapped, ports in network order. */
struct flow_key tuple_key(const struct tuple *t);
/* Is there an identifier for TSval tsval of direction dir of tuple t, in
 * the flow's slots or in ts_map? ts_find also gives its send time and burst. */
bool ts_find(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir,
	     struct ts_value *v);
bool ts_lookup(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir,
	       __u64 *sent_at);
bool expect_ts(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir);
bool expect_no_ts(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir);
bool flow_lookup(struct env *e, const struct tuple *t, struct flow_state *fs);
/* Overwrite the state of t's flow, as if the datapath had left it so. */
bool flow_store(struct env *e, const struct tuple *t, const struct flow_state *fs);
/* Keys in a hash map, counted by walking it. */
int map_entries(int fd, size_t key_size);
bool expect_map_sizes(struct env *e, int flows, int timestamps);
bool read_counters(struct env *e, struct pping_counters *c);
/* The datapath's own count of flow entries (the flow_count map). */
bool read_flow_count(struct env *e, __s64 *n);
int count_events(const struct env *e, __u8 type);
/* The only event of the given type so far; fails if there is not exactly one. */
const struct pping_event *one_event(const struct env *e, __u8 type);
bool expect_flow_key(const char *what, const struct flow_key *got,
		     const struct tuple *t);
/* A flow event of the given kind, reason and direction for tuple t. */
bool expect_flow_event(const struct pping_event *ev, __u8 what, __u8 reason,
		       __u8 dir, const struct tuple *t);

/* ========================================================================
 * Time. Live, the programs read bpf_ktime_get_ns, which is CLOCK_MONOTONIC
 * (now_ns). A test whose verdict depends on time passing (rate limits,
 * bursts, idle gaps, ages) uses the injected clock instead (env_cfg
 * .test_clock) and moves it explicitly: no sleeping, so neither a loaded
 * machine nor its uptime can change the verdict.
 * ======================================================================== */

__u64 now_ns(void);

/* Where the injected clock starts: far enough from 0 for a test to look
 * 10 minutes back, a whole second (so bursts started there have no bits
 * below the slot's count field), and unrelated to the machine's uptime. */
#define ENV_CLOCK_START (1000 * SECOND)
/* The injected tick unless a test asks for another: HZ 250, Debian's. */
#define ENV_TICK_NS (4 * MS)

/* The jiffy the programs see for injected time t (0 without the tick
 * clock), for tests that build their own test-run context. */
__u32 env_tick_at(const struct env *e, __u64 t);
/* Hold the injected jiffy where it is while the time moves on (a stalled
 * jiffies counter), or let it follow the time again. */
void env_hold_tick(struct env *e, bool hold);

/* The time the programs see: the injected clock, or now_ns(). */
__u64 env_now(const struct env *e);
/* Set or move the injected clock (only with env_cfg.test_clock; the
 * harness aborts otherwise, since a live clock cannot be set). */
void env_set_time(struct env *e, __u64 t);
void env_advance(struct env *e, __u64 dt);

/* ========================================================================
 * Tests: each concern file exports a table of them with DEFINE_TESTS;
 * groups.h registers the tables and says in which order they run.
 * ======================================================================== */

struct test {
	const char *name;
	bool (*fn)(void);
};

#define DEFINE_TESTS(group, ...) \
	const struct test group##_tests[] = { __VA_ARGS__ }; \
	const size_t group##_tests_count = ARRAY_SIZE(group##_tests)

#define GROUP(g) \
	extern const struct test g##_tests[]; \
	extern const size_t g##_tests_count;
#define GROUP_PER_MECH(g) GROUP(g)
#include "groups.h"
#undef GROUP
#undef GROUP_PER_MECH

#endif /* PPING_TEST_HARNESS_H */
