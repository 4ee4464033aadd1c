// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pping BPF programs. Each test loads fresh skeletons, runs
 * the programs on crafted packets through BPF_PROG_TEST_RUN, and checks what
 * they left behind: the timestamp and flow maps, the per-CPU counters and the
 * ring buffer events. Nothing is attached to an interface.
 *
 * Output: one line per test, "PASS <name>" or "FAIL <name>: <why>". Exit
 * status 0 if everything passed, 1 otherwise. Arguments, if any, select the
 * tests whose name contains one of them. PPING_TEST_VERBOSE=1 shows libbpf's
 * messages (the verifier log when a program fails to load).
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
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "pping.h"          /* before the skeletons, which use its types */
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"
#include "counters.h"
#include "loader.h"
#include "packets.h"

#define TC_ACT_UNSPEC_RET ((__u32)-1)   /* what both tc programs return */
#define MAX_EVENTS 64

/* ========================================================================
 * Assertions: record the first failure's message and return false, so a
 * test can write REQUIRE(expect_...(...)) and bail out to its cleanup.
 * ======================================================================== */

static char fail_msg[512];

__attribute__((format(printf, 1, 2)))
static bool fail(const char *fmt, ...)
{
	va_list ap;

	if (fail_msg[0])        /* keep the first, most telling, failure */
		return false;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return false;
}

#define REQUIRE(cond) do { if (!(cond)) goto out; } while (0)

/* Put the name of a sub-case in front of its failure message; returns false
 * so it can end a failing branch. */
static bool fail_prefix(const char *prefix)
{
	char msg[2 * sizeof(fail_msg)];

	snprintf(msg, sizeof(msg), "%s: %s", prefix, fail_msg);
	memcpy(fail_msg, msg, sizeof(fail_msg) - 1);   /* truncate if need be */
	fail_msg[sizeof(fail_msg) - 1] = 0;
	return false;
}

static bool expect_eq(const char *what, unsigned long long got,
		      unsigned long long want)
{
	if (got == want)
		return true;
	return fail("%s: got %llu (0x%llx), want %llu (0x%llx)", what, got, got,
		    want, want);
}

__attribute__((format(printf, 2, 3)))
static bool expect(bool cond, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	if (cond)
		return true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return fail("%s", buf);
}

/* ========================================================================
 * Test environment: the loaded skeletons, their map fds and the events
 * read from the ring buffer so far.
 * ======================================================================== */

struct env_cfg {
	bool tc;             /* load the tc object (egress + ingress) */
	bool xdp;            /* load the XDP object; shares the tc maps if both */
	bool xdp_l3_only;    /* XDP rodata has_l2 = false (frames start at IP) */
	bool include_local;  /* rodata include_local, for every object */
	__u64 rate_limit_ns; /* runtime.rate_limit_ns */
	/* Map sizes of the tc object, 0 for the defaults (as the daemon may
	 * resize them before loading). */
	__u32 flow_map_entries;
	__u32 ts_map_entries;
	__u32 ringbuf_bytes;
};

/* tc is always loaded with has_l2 = true: a tc test run needs a frame that
 * starts with an Ethernet header, so L3-only parsing is tested with XDP. */
static const struct env_cfg CFG_TC = { .tc = true };
static const struct env_cfg CFG_TC_LOCAL = { .tc = true, .include_local = true };
static const struct env_cfg CFG_XDP_L2 = { .xdp = true };
static const struct env_cfg CFG_XDP_L3 = { .xdp = true, .xdp_l3_only = true };
static const struct env_cfg CFG_XDP_L3_LOCAL = {
	.xdp = true, .xdp_l3_only = true, .include_local = true,
};
/* As the daemon runs with -x on a tun device: tc egress, XDP ingress, one
 * set of maps. */
static const struct env_cfg CFG_TC_XDP_L3 = {
	.tc = true, .xdp = true, .xdp_l3_only = true,
};

struct env {
	struct pping_tc *tc;
	struct pping_xdp *xdp;
	struct ring_buffer *rb;
	int flow_fd, ts_fd, counters_fd, events_fd;
	struct pping_event ev[MAX_EVENTS];
	int n_ev;
	int ev_overflow;   /* events that did not fit in ev[] */
	bool hold_events;  /* leave events in the ring buffer (to fill it) */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;

	if (size < sizeof(struct pping_event) || e->n_ev >= MAX_EVENTS) {
		e->ev_overflow++;
		return 0;
	}
	memcpy(&e->ev[e->n_ev++], data, sizeof(struct pping_event));
	return 0;
}

static int share_map(struct bpf_map *dst, const struct bpf_map *src)
{
	return bpf_map__reuse_fd(dst, bpf_map__fd(src));
}

static void env_close(struct env *e)
{
	ring_buffer__free(e->rb);
	pping_xdp__destroy(e->xdp);
	pping_tc__destroy(e->tc);
	memset(e, 0, sizeof(*e));
}

static bool env_open(struct env *e, const struct env_cfg *cfg)
{
	struct bpf_object *maps_owner;
	int err;

	memset(e, 0, sizeof(*e));
	if (cfg->tc) {
		e->tc = pping_tc__open();
		if (!e->tc)
			return fail("pping_tc__open: %s", strerror(errno));
		e->tc->rodata->has_l2 = true;
		e->tc->rodata->include_local = cfg->include_local;
		e->tc->data->runtime.rate_limit_ns = cfg->rate_limit_ns;
		err = 0;
		if (cfg->flow_map_entries)
			err = bpf_map__set_max_entries(e->tc->maps.flow_map,
						       cfg->flow_map_entries);
		if (!err && cfg->ts_map_entries)
			err = bpf_map__set_max_entries(e->tc->maps.ts_map,
						       cfg->ts_map_entries);
		if (!err && cfg->ringbuf_bytes)
			err = bpf_map__set_max_entries(e->tc->maps.events,
						       cfg->ringbuf_bytes);
		if (err)
			return fail("resizing maps: %s", strerror(-err));
		err = pping_tc__load(e->tc);
		if (err)
			return fail("pping_tc__load: %s (PPING_TEST_VERBOSE=1 shows why)",
				    strerror(-err));
	}
	if (cfg->xdp) {
		e->xdp = pping_xdp__open();
		if (!e->xdp)
			return fail("pping_xdp__open: %s", strerror(errno));
		e->xdp->rodata->has_l2 = !cfg->xdp_l3_only;
		e->xdp->rodata->include_local = cfg->include_local;
		e->xdp->data->runtime.rate_limit_ns = cfg->rate_limit_ns;
		if (e->tc) {
			/* Same sharing as user/loader.c: one state for all hooks. */
			err = pping_bpf_share_maps(e->xdp->obj, e->tc->obj);
			err = err ?: share_map(e->xdp->maps.data, e->tc->maps.data);
			if (err)
				return fail("sharing the tc maps with XDP: %s", strerror(-err));
		}
		err = pping_xdp__load(e->xdp);
		if (err)
			return fail("pping_xdp__load: %s (PPING_TEST_VERBOSE=1 shows why)",
				    strerror(-err));
	}

	maps_owner = e->tc ? e->tc->obj : e->xdp->obj;
	e->flow_fd = bpf_map__fd(bpf_object__find_map_by_name(maps_owner, "flow_map"));
	e->ts_fd = bpf_map__fd(bpf_object__find_map_by_name(maps_owner, "ts_map"));
	e->counters_fd = bpf_map__fd(bpf_object__find_map_by_name(maps_owner, "counters"));
	e->events_fd = bpf_map__fd(bpf_object__find_map_by_name(maps_owner, "events"));
	e->rb = ring_buffer__new(e->events_fd, on_event, e, NULL);
	if (!e->rb)
		return fail("ring_buffer__new: %s", strerror(errno));
	return true;
}

/* The runtime settings live in .data, mmapped: a store changes them for the
 * loaded programs, as the daemon does while running. */
static volatile struct pping_runtime *env_runtime(struct env *e)
{
	return e->tc ? &e->tc->data->runtime : &e->xdp->data->runtime;
}

/* ========================================================================
 * Running the programs. Every run checks the program's verdict: pping only
 * observes, so tc must say TC_ACT_UNSPEC (-1) and XDP XDP_PASS, whatever
 * the packet. The ring buffer is drained after each run.
 * ======================================================================== */

static bool run_prog(struct env *e, struct bpf_program *prog, const char *name,
		     const struct pkt *p, __u32 want_ret, struct __sk_buff *skb_ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = p->data,
		.data_size_in = (__u32)p->len,
		.ctx_in = skb_ctx,
		.ctx_size_in = skb_ctx ? sizeof(*skb_ctx) : 0,
		.repeat = 1,
	);
	int err, n;

	if (!prog)
		return fail("%s: program not loaded in this environment", name);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err)
		return fail("%s: test run of a %zu-byte packet failed: %s", name,
			    p->len, strerror(errno));
	if (opts.retval != want_ret)
		return fail("%s returned %d, want %d", name, (int)opts.retval,
			    (int)want_ret);
	if (e->hold_events)
		return true;
	n = ring_buffer__consume(e->rb);
	if (n < 0)
		return fail("ring_buffer__consume: %s", strerror(-n));
	if (e->ev_overflow)
		return fail("more than %d events", MAX_EVENTS);
	return true;
}

static bool egress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->tc ? e->tc->progs.pping_tc_egress : NULL,
			"pping_tc_egress", p, TC_ACT_UNSPEC_RET, NULL);
}

static bool ingress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->tc ? e->tc->progs.pping_tc_ingress : NULL,
			"pping_tc_ingress", p, TC_ACT_UNSPEC_RET, NULL);
}

static bool xdp_ingress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->xdp ? e->xdp->progs.pping_xdp_ingress : NULL,
			"pping_xdp_ingress", p, XDP_PASS, NULL);
}

/* ========================================================================
 * Connections and packets
 * ======================================================================== */

struct tuple {
	int ipv;
	const char *local, *remote;
	__u16 lport, rport;
};

static const struct tuple T4 = { 4, "10.0.0.1", "10.0.0.2", 40000, 80 };
static const struct tuple T6 = { 6, "fd00::1", "fd00::2", 40001, 443 };
/* A second IPv4 connection, to show state is per flow. */
static const struct tuple T4B = { 4, "10.0.0.1", "10.0.0.2", 40002, 80 };

/* IP header of a packet of tuple t travelling in direction dir. */
static void add_ip(struct pkt *p, const struct tuple *t, int dir, __u8 proto)
{
	const char *src = dir == PPING_DIR_OUT ? t->local : t->remote;
	const char *dst = dir == PPING_DIR_OUT ? t->remote : t->local;

	if (t->ipv == 4)
		pkt_ipv4(p, src, dst, proto);
	else
		pkt_ipv6(p, src, dst, proto);
}

/* TCP header with options o (NULL: none), payload bytes, final lengths. */
static void add_tcp(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
		    const struct tcp_opts *o, size_t payload)
{
	__u16 sport = dir == PPING_DIR_OUT ? t->lport : t->rport;
	__u16 dport = dir == PPING_DIR_OUT ? t->rport : t->lport;

	pkt_tcp(p, sport, dport, flags, o);
	pkt_payload(p, payload);
	pkt_finish(p);
}

/* The options Linux sends on an established connection: NOP NOP TS. */
static void ts_opts(struct tcp_opts *o, __u32 tsval, __u32 tsecr)
{
	opts_init(o);
	opt_nop(o);
	opt_nop(o);
	opt_ts(o, tsval, tsecr);
}

static void l2_header(struct pkt *p, const struct tuple *t)
{
	pkt_eth(p, t->ipv == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6);
}

/* A complete Ethernet frame of tuple t with the given TCP options. */
static void build_opts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
		       const struct tcp_opts *o, size_t payload)
{
	pkt_init(p);
	l2_header(p, t);
	add_ip(p, t, dir, PKT_IPPROTO_TCP);
	add_tcp(p, t, dir, flags, o, payload);
}

/* A complete Ethernet frame of tuple t carrying a timestamp option. */
static void build_ts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
		     __u32 tsval, __u32 tsecr, size_t payload)
{
	struct tcp_opts o;

	ts_opts(&o, tsval, tsecr);
	build_opts(p, t, dir, flags, &o, payload);
}

/* The same as a raw IP packet (no Ethernet header), for L3-only XDP. */
static void build_ts_l3(struct pkt *p, const struct tuple *t, int dir,
			__u8 flags, __u32 tsval, __u32 tsecr, size_t payload)
{
	struct tcp_opts o;

	ts_opts(&o, tsval, tsecr);
	pkt_init(p);
	add_ip(p, t, dir, PKT_IPPROTO_TCP);
	add_tcp(p, t, dir, flags, &o, payload);
}

/* ========================================================================
 * Looking at the state the programs left
 * ======================================================================== */

/* The flow key the datapath builds for tuple t: oriented local/remote,
 * IPv4 addresses IPv4-mapped, ports in network order. */
static struct flow_key tuple_key(const struct tuple *t)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	if (t->ipv == 4) {
		k.local_addr[10] = k.local_addr[11] = 0xff;
		k.remote_addr[10] = k.remote_addr[11] = 0xff;
		inet_pton(AF_INET, t->local, &k.local_addr[12]);
		inet_pton(AF_INET, t->remote, &k.remote_addr[12]);
	} else {
		inet_pton(AF_INET6, t->local, k.local_addr);
		inet_pton(AF_INET6, t->remote, k.remote_addr);
	}
	k.local_port = htons(t->lport);
	k.remote_port = htons(t->rport);
	k.ipv = t->ipv;
	k.proto = PKT_IPPROTO_TCP;
	return k;
}

/* Is there an identifier for TSval tsval of direction dir of tuple t? */
static bool ts_lookup(struct env *e, const struct tuple *t, __u32 tsval,
		      __u8 dir, __u64 *sent_at)
{
	struct ts_value v;
	struct ts_key k;

	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(t);
	k.tsval = tsval;
	k.dir = dir;
	if (bpf_map_lookup_elem(e->ts_fd, &k, &v))
		return false;
	if (sent_at)
		*sent_at = v.sent;
	return true;
}

static bool expect_ts(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir)
{
	if (ts_lookup(e, t, tsval, dir, NULL))
		return true;
	return fail("no identifier for TSval 0x%x dir %u", tsval, dir);
}

static bool expect_no_ts(struct env *e, const struct tuple *t, __u32 tsval,
			 __u8 dir)
{
	if (!ts_lookup(e, t, tsval, dir, NULL))
		return true;
	return fail("unexpected identifier for TSval 0x%x dir %u", tsval, dir);
}

static bool flow_lookup(struct env *e, const struct tuple *t,
			struct flow_state *fs)
{
	struct flow_key k = tuple_key(t);

	return bpf_map_lookup_elem(e->flow_fd, &k, fs) == 0;
}

static int map_entries(int fd, size_t key_size)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0;

	if (key_size > sizeof(key))
		return -1;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static bool expect_map_sizes(struct env *e, int flows, int timestamps)
{
	return expect_eq("entries in flow_map",
			 map_entries(e->flow_fd, sizeof(struct flow_key)), flows) &&
	       expect_eq("entries in ts_map",
			 map_entries(e->ts_fd, sizeof(struct ts_key)), timestamps);
}

static bool read_counters(struct env *e, struct pping_counters *c)
{
	int err = counters_read(e->counters_fd, c);

	if (err)
		return fail("reading the counters: %s", strerror(-err));
	return true;
}

static int count_events(const struct env *e, __u8 type)
{
	int i, n = 0;

	for (i = 0; i < e->n_ev; i++)
		n += e->ev[i].type == type;
	return n;
}

/* The only event of the given type so far; fails if there is not exactly one. */
static const struct pping_event *one_event(const struct env *e, __u8 type)
{
	const struct pping_event *found = NULL;
	int i;

	if (count_events(e, type) != 1) {
		fail("%d events of type %u, want 1", count_events(e, type), type);
		return NULL;
	}
	for (i = 0; i < e->n_ev; i++)
		if (e->ev[i].type == type)
			found = &e->ev[i];
	return found;
}

static bool expect_flow_key(const char *what, const struct flow_key *got,
			    const struct tuple *t)
{
	struct flow_key want = tuple_key(t);

	if (memcmp(got, &want, sizeof(want)) == 0)
		return true;
	return fail("%s: flow key differs from the expected one "
		    "(ipv %u ports %u->%u, want ipv %u ports %u->%u)", what,
		    got->ipv, ntohs(got->local_port), ntohs(got->remote_port),
		    want.ipv, t->lport, t->rport);
}

/* A flow event of the given kind, reason and direction for tuple t. */
static bool expect_flow_event(const struct pping_event *ev, __u8 what,
			      __u8 reason, __u8 dir, const struct tuple *t)
{
	return expect_eq("flow event kind", ev->flow_event, what) &&
	       expect_eq("flow event reason", ev->reason, reason) &&
	       expect_eq("flow event dir", ev->dir, dir) &&
	       expect_flow_key("flow event", &ev->flow, t);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);   /* bpf_ktime_get_ns' clock */
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * One egress data packet with the options o, in a fresh environment, must
 * produce exactly the identifier (tuple T4, tsval, OUT). Shared by the
 * option-position cases.
 */
static bool expect_stored_from(const struct pkt *p, __u32 tsval)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("ts_created", c.ts_created, 1));
	REQUIRE(expect_ts(&e, &T4, tsval, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/*
 * One egress packet that must not count as TCP at all (not IP, not TCP, a
 * non-first fragment, an inconsistent TCP header): counted in pkts only,
 * nothing stored, no event.
 */
static bool expect_not_tcp(const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Run a table of packet cases through check(), naming the failing one. */
struct pkt_case {
	const char *name;
	void (*build)(struct pkt *p);
};

static bool run_cases(const struct pkt_case *cases, size_t n,
		      bool (*check)(const struct pkt_case *c, const struct pkt *p))
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pkt p;

		cases[i].build(&p);
		if (!check(&cases[i], &p))
			return fail_prefix(cases[i].name);
	}
	return true;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ========================================================================
 * 1. Where the timestamp option sits in the option list
 * ======================================================================== */

#define POS_TSVAL 0x01020304u

/* Egress data segment of T4 whose options are o. */
static void build_pos(struct pkt *p, const struct tcp_opts *o, __u8 flags,
		      size_t payload)
{
	build_opts(p, &T4, PPING_DIR_OUT, flags, o, payload);
}

static void pos_first(struct pkt *p)
{
	struct tcp_opts o;

	/* TS right after the fixed header, two EOL bytes of padding after. */
	opts_init(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK | TCPF_PSH, 100);
}

static void pos_nop_nop(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, POS_TSVAL, 7);
	build_pos(p, &o, TCPF_ACK | TCPF_PSH, 100);
}

static void pos_syn(struct pkt *p)
{
	struct tcp_opts o;

	/* Linux's SYN: MSS, SACK-permitted, TS, NOP, window scale. */
	opts_init(&o);
	opt_mss(&o, 1460);
	opt_sack_perm(&o);
	opt_ts(&o, POS_TSVAL, 0);
	opt_nop(&o);
	opt_wscale(&o, 7);
	build_pos(p, &o, TCPF_SYN, 0);
}

static void pos_mss_sackperm_nop(struct pkt *p)
{
	struct tcp_opts o;

	/* The same options reordered so that TS comes after a NOP. */
	opts_init(&o);
	opt_mss(&o, 1460);
	opt_sack_perm(&o);
	opt_nop(&o);
	opt_wscale(&o, 7);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_SYN, 0);
}

static void pos_after_sack(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP SACK(2 blocks) NOP NOP TS: 32 bytes, doff 13. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_sack(&o, 2);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 9);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void pos_after_sack3(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP SACK(3 blocks) NOP NOP TS: exactly 40 bytes, doff 15. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_sack(&o, 3);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 9);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void pos_last(struct pkt *p)
{
	struct tcp_opts o;
	int i;

	/* 30 NOPs: the TS ends on the last byte of a doff=15 header, and the
	 * walk needs 31 steps to get there. */
	opts_init(&o);
	for (i = 0; i < 30; i++)
		opt_nop(&o);
	opt_ts(&o, POS_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static bool check_pos(const struct pkt_case *c, const struct pkt *p)
{
	(void)c;
	return expect_stored_from(p, POS_TSVAL);
}

static bool test_ts_option_positions(void)
{
	static const struct pkt_case cases[] = {
		{ "first option, no padding", pos_first },
		{ "after NOP NOP", pos_nop_nop },
		{ "SYN: MSS SACK-perm TS NOP WS", pos_syn },
		{ "after MSS SACK-perm NOP WS NOP", pos_mss_sackperm_nop },
		{ "after 2 SACK blocks", pos_after_sack },
		{ "after 3 SACK blocks (doff 15)", pos_after_sack3 },
		{ "last position after 30 NOPs (doff 15)", pos_last },
	};
	struct pkt p;

	/* Sanity of the builder itself: the doff=15 cases fill 60 bytes. */
	pos_last(&p);
	if (!expect_eq("doff of the last-position packet",
		       p.data[p.l4_off + 12] >> 4, 15))
		return false;
	return run_cases(cases, ARRAY_SIZE(cases), check_pos);
}

/* ========================================================================
 * 2. Malformed options never produce an identifier (nor a flow)
 * ======================================================================== */

#define BAD_TSVAL 0x0a0b0c0du

static void bad_ts_len(struct pkt *p, __u8 len)
{
	struct tcp_opts o;

	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts_len(&o, BAD_TSVAL, 0, len);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_ts_len9(struct pkt *p)
{
	bad_ts_len(p, 9);
}

static void bad_ts_len11(struct pkt *p)
{
	bad_ts_len(p, 11);
}

static void bad_opt_len0(struct pkt *p)
{
	static const uint8_t mss_len0[] = { TCPOPT_MSS, 0 };
	struct tcp_opts o;

	/* A zero length would make a careless walk spin in place. */
	opts_init(&o);
	opt_raw(&o, mss_len0, sizeof(mss_len0));
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_opt_len1(struct pkt *p)
{
	static const uint8_t unknown_len1[] = { 30, 1 };
	struct tcp_opts o;

	/* Length 1 is impossible (kind + length are 2 bytes). A walk that
	 * trusted it would step onto the length byte, read it as a NOP, and
	 * find the TS that follows. */
	opts_init(&o);
	opt_raw(&o, unknown_len1, sizeof(unknown_len1));
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_ts_past_doff(struct pkt *p)
{
	struct tcp_opts o;

	/* NOP NOP TS is 12 bytes but doff says 8: the TS crosses into the
	 * payload, which the frame still holds. */
	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 7);
}

static void bad_ts_kind_last_byte(struct pkt *p)
{
	struct tcp_opts o;

	/* The option area (doff 6) is NOP NOP NOP and the TS kind byte; its
	 * length and body lie in the payload. */
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 6);
}

static void bad_truncated_in_ts(struct pkt *p)
{
	/* The IP and TCP headers describe a whole segment, but the frame
	 * ends 5 bytes into the TS option (after kind, length, 3 TSval bytes). */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, BAD_TSVAL, 0, 100);
	pkt_truncate(p, p->l4_off + 20 + 2 + 5);
}

static void bad_eol_before_ts(struct pkt *p)
{
	struct tcp_opts o;

	/* End of option list: what follows is padding, not options. */
	opts_init(&o);
	opt_eol(&o);
	opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
}

static void bad_doff_4(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_tcp_doff(p, 4);
}

static void bad_doff_past_end(struct pkt *p)
{
	struct tcp_opts o;

	/* doff 15 (60 bytes) on a 32-byte segment whose IP length matches the
	 * frame: the header claims bytes that are not there. */
	ts_opts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK | TCPF_FIN, 0);
	pkt_tcp_doff(p, 15);
}

static void bad_opt_area_past_frame(struct pkt *p)
{
	struct tcp_opts o;
	int i;

	/* doff 15 and an IP length that covers it, but the frame is cut after
	 * 20 NOPs: the TS (after 30 NOPs) lies past the frame end. */
	opts_init(&o);
	for (i = 0; i < 30; i++)
		opt_nop(&o);
	opt_ts(&o, BAD_TSVAL, 0);
	build_pos(p, &o, TCPF_ACK, 100);
	pkt_truncate(p, p->l4_off + 20 + 20);
}

/*
 * Cases the parser still takes for TCP (the fixed header is consistent):
 * tcp and tcp_no_ts count the packet. The others have an impossible TCP
 * header and are not TCP at all (parse.bpf.h: "anything that is not a
 * well-formed TCP segment yields PARSE_NOT_TCP").
 */
static bool check_bad_tcp_opts(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("ts_created", c.ts_created, 0));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool check_not_tcp(const struct pkt_case *cs, const struct pkt *p)
{
	(void)cs;
	return expect_not_tcp(p);
}

static bool test_malformed_options(void)
{
	static const struct pkt_case bad_opts[] = {
		{ "TS length 9", bad_ts_len9 },
		{ "TS length 11", bad_ts_len11 },
		{ "option length 0", bad_opt_len0 },
		{ "option length 1", bad_opt_len1 },
		{ "TS running past doff", bad_ts_past_doff },
		{ "TS kind in the last byte of the option area", bad_ts_kind_last_byte },
		{ "frame cut inside the TS option", bad_truncated_in_ts },
		{ "option area past the frame end", bad_opt_area_past_frame },
		{ "EOL before TS", bad_eol_before_ts },
	};
	static const struct pkt_case bad_headers[] = {
		{ "doff 4", bad_doff_4 },
		{ "doff past the segment end", bad_doff_past_end },
	};

	return run_cases(bad_opts, ARRAY_SIZE(bad_opts), check_bad_tcp_opts) &&
	       run_cases(bad_headers, ARRAY_SIZE(bad_headers), check_not_tcp);
}

/* ========================================================================
 * 3. VLAN tags
 * ======================================================================== */

#define L3_TSVAL 0x5000u

static void vlan_8021q(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void vlan_qinq(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021AD);
	pkt_vlan(p, 200, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void vlan_three_tags(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021AD);
	pkt_vlan(p, 300, PKT_ETH_P_8021Q);
	pkt_vlan(p, 200, PKT_ETH_P_8021Q);
	pkt_vlan(p, 100, PKT_ETH_P_IP);
	add_ip(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_TCP);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static bool check_stored_l3(const struct pkt_case *c, const struct pkt *p)
{
	(void)c;
	return expect_stored_from(p, L3_TSVAL);
}

static bool test_vlan(void)
{
	static const struct pkt_case good[] = {
		{ "802.1Q", vlan_8021q },
		{ "QinQ 802.1ad + 802.1Q", vlan_qinq },
	};
	static const struct pkt_case bad[] = {
		/* Only MAX_VLAN_TAGS (2) are walked; the third looks like an
		 * unknown ethertype. */
		{ "three tags", vlan_three_tags },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_l3) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

/* ========================================================================
 * 4. IPv4 options and fragments
 * ======================================================================== */

static void ipv4_with_opts(struct pkt *p, const uint8_t *ip_opts, size_t len)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IP);
	pkt_ipv4_opts(p, T4.local, T4.remote, PKT_IPPROTO_TCP, ip_opts, len);
	add_tcp(p, &T4, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void ipv4_ihl6(struct pkt *p)
{
	static const uint8_t router_alert[] = { 0x94, 0x04, 0x00, 0x00 };

	ipv4_with_opts(p, router_alert, sizeof(router_alert));
}

static void ipv4_ihl8(struct pkt *p)
{
	/* Router alert, then NOPs and an EOL: 12 bytes. */
	static const uint8_t opts[] = { 0x94, 0x04, 0x00, 0x00, 1, 1, 1, 1,
					1, 1, 1, 0 };

	ipv4_with_opts(p, opts, sizeof(opts));
}

static void ipv4_first_fragment(struct pkt *p)
{
	/* Offset 0 with More Fragments: the TCP header is here. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, true, 0);
}

static void ipv4_dont_fragment(struct pkt *p)
{
	/* DF set, as on most TCP packets: must not look like a fragment. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	put_be16(p->data + p->l3_off + 6, 0x4000);
}

static void ipv4_later_fragment(struct pkt *p)
{
	/* Offset 185 (1480 bytes): the bytes after the IP header are payload
	 * even though they happen to look like a TCP header with a TS. */
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, false, 185);
}

static void ipv4_later_fragment_mf(struct pkt *p)
{
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	pkt_ipv4_set_frag(p, true, 1);
}

static void ipv4_ihl4(struct pkt *p)
{
	build_ts(p, &T4, PPING_DIR_OUT, TCPF_ACK, L3_TSVAL, 0, 100);
	p->data[p->l3_off] = 0x44;
	/* A parser that took IHL 4 would read "TCP" from the destination
	 * address on; make the doff it would see there (the real header's
	 * ack number) plausible, so only the IHL check can reject it. */
	p->data[p->l4_off + 8] = 0x80;
}

static bool test_ipv4(void)
{
	static const struct pkt_case good[] = {
		{ "IHL 6", ipv4_ihl6 },
		{ "IHL 8", ipv4_ihl8 },
		{ "first fragment with MF", ipv4_first_fragment },
		{ "DF set", ipv4_dont_fragment },
	};
	static const struct pkt_case bad[] = {
		{ "non-first fragment", ipv4_later_fragment },
		{ "non-first fragment with MF", ipv4_later_fragment_mf },
		{ "IHL 4", ipv4_ihl4 },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_l3) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

/* ========================================================================
 * 5. IPv6 and its extension headers
 * ======================================================================== */

/* IPv6 header of an egress packet of T6; ext headers go in between. */
static void ipv6_start(struct pkt *p, __u8 first_nexthdr)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IPV6);
	pkt_ipv6(p, T6.local, T6.remote, first_nexthdr);
}

/* Egress data segment with a timestamp option, and final lengths. */
static void ipv6_end(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, L3_TSVAL, 0);
	add_tcp(p, &T6, PPING_DIR_OUT, TCPF_ACK, &o, 100);
}

static void ipv6_plain(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_TCP);
	ipv6_end(p);
}

static void ipv6_hbh_dst_rt(struct pkt *p)
{
	/* Hop-by-hop (8), destination options (16), routing (24). */
	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_DSTOPTS, 8);
	pkt_ipv6_ext(p, PKT_IPPROTO_DSTOPTS, PKT_IPPROTO_ROUTING, 16);
	pkt_ipv6_ext(p, PKT_IPPROTO_ROUTING, PKT_IPPROTO_TCP, 24);
	ipv6_end(p);
}

static void ipv6_ah(struct pkt *p)
{
	/* AH counts its length in 4-byte units minus 2: 24 bytes here. */
	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_AH, 8);
	pkt_ipv6_ext(p, PKT_IPPROTO_AH, PKT_IPPROTO_TCP, 24);
	ipv6_end(p);
}

static void ipv6_first_fragment(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 0, true);
	ipv6_end(p);
}

static void ipv6_later_fragment(struct pkt *p)
{
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 100, true);
	ipv6_end(p);
}

static void ipv6_last_fragment(struct pkt *p)
{
	/* Offset 1 (8 bytes), no M flag: only the low offset bit is set. */
	ipv6_start(p, PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 1, false);
	ipv6_end(p);
}

/* Hop-by-hop then n - 1 destination option headers, then TCP. */
static void ipv6_chain(struct pkt *p, int n)
{
	int i;

	ipv6_start(p, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS,
		     n > 1 ? PKT_IPPROTO_DSTOPTS : PKT_IPPROTO_TCP, 8);
	for (i = 1; i < n; i++)
		pkt_ipv6_ext(p, PKT_IPPROTO_DSTOPTS,
			     i + 1 < n ? PKT_IPPROTO_DSTOPTS : PKT_IPPROTO_TCP, 8);
	ipv6_end(p);
}

static void ipv6_chain6(struct pkt *p)
{
	ipv6_chain(p, 6);
}

static void ipv6_chain7(struct pkt *p)
{
	ipv6_chain(p, 7);
}

static void ipv6_payload_len_short(struct pkt *p)
{
	/* Payload length smaller than the extension headers. */
	ipv6_hbh_dst_rt(p);
	put_be16(p->data + p->l3_off + 4, 16);
}

static bool check_stored_v6(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("ts_created", c.ts_created, 1));
	REQUIRE(expect_ts(&e, &T6, L3_TSVAL, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_ipv6(void)
{
	static const struct pkt_case good[] = {
		{ "plain", ipv6_plain },
		{ "hop-by-hop + dst options + routing", ipv6_hbh_dst_rt },
		{ "hop-by-hop + AH", ipv6_ah },
		{ "first fragment", ipv6_first_fragment },
		{ "6 extension headers (the bound)", ipv6_chain6 },
	};
	static const struct pkt_case bad[] = {
		{ "non-first fragment", ipv6_later_fragment },
		{ "last fragment, offset 8", ipv6_last_fragment },
		{ "7 extension headers", ipv6_chain7 },
		{ "payload length shorter than the ext headers", ipv6_payload_len_short },
	};

	return run_cases(good, ARRAY_SIZE(good), check_stored_v6) &&
	       run_cases(bad, ARRAY_SIZE(bad), check_not_tcp);
}

/* ========================================================================
 * 6. Which packets can elicit a reply and so be timestamped
 * ======================================================================== */

static bool test_pure_ack_not_timestamped(void)
{
	struct pping_counters c;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));

	/* A pure ACK opens the flow but is never an identifier: no reply is
	 * due for it, the peer may delay or never send one. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 100, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_no_ts(&e, &T4, 100, PPING_DIR_OUT));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the pure ACK"));
	REQUIRE(expect_eq("last_tsval after a pure ACK",
			  fs.dir[PPING_DIR_OUT].last_tsval, 0));

	/* It did not use up its TSval: data with the same TSval is stored. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 0, 10);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_ts(&e, &T4, 100, PPING_DIR_OUT));

	/* Another pure ACK with a newer TSval: still nothing. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 101, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_no_ts(&e, &T4, 101, PPING_DIR_OUT));

	/* A FIN without payload does elicit an ACK. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 102, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_ts(&e, &T4, 102, PPING_DIR_OUT));

	/* So does a SYN (its own flow). */
	build_ts(&p, &T4B, PPING_DIR_OUT, TCPF_SYN, 500, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_ts(&e, &T4B, 500, PPING_DIR_OUT));

	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 3));
	REQUIRE(expect_map_sizes(&e, 2, 3));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 7. TSval ordering: only strictly newer values, across the 32-bit wrap
 * ======================================================================== */

static bool send_data(struct env *e, const struct tuple *t, __u32 tsval)
{
	struct pkt p;

	build_ts(&p, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, tsval, 0, 100);
	return egress(e, &p);
}

static bool test_tsval_wraparound(void)
{
	struct pping_counters c;
	__u64 first_at = 0, again_at = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));

	REQUIRE(send_data(&e, &T4, 0xfffffff0));
	REQUIRE(expect_ts(&e, &T4, 0xfffffff0, PPING_DIR_OUT));
	/* 0x5 is 21 ticks after 0xfffffff0: newer, across the wrap. */
	REQUIRE(send_data(&e, &T4, 0x00000005));
	REQUIRE(expect_ts(&e, &T4, 0x00000005, PPING_DIR_OUT));
	/* 0xffffff00 is behind 0x5 (a reordered old packet). */
	REQUIRE(send_data(&e, &T4, 0xffffff00));
	REQUIRE(expect_no_ts(&e, &T4, 0xffffff00, PPING_DIR_OUT));

	/* The same TSval twice: only the first packet carrying it is an
	 * identifier; the second neither stores nor tries to. */
	REQUIRE(send_data(&e, &T4, 0x10));
	REQUIRE(expect(ts_lookup(&e, &T4, 0x10, PPING_DIR_OUT, &first_at),
		       "TSval 0x10 not stored"));
	REQUIRE(send_data(&e, &T4, 0x10));
	REQUIRE(expect(ts_lookup(&e, &T4, 0x10, PPING_DIR_OUT, &again_at),
		       "TSval 0x10 gone"));
	REQUIRE(expect_eq("time of the TSval 0x10 identifier", again_at, first_at));

	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 3));
	REQUIRE(expect_eq("ts_exists", c.ts_exists, 0));
	REQUIRE(expect_map_sizes(&e, 1, 3));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 8. Matching: an echo of a stored TSval gives one RTT sample
 * ======================================================================== */

#define MATCH_TSVAL 1000u

static bool match_one_family(const struct tuple *t)
{
	const struct pping_event *ev;
	__u64 before, after, sent_at = 0;
	struct pping_counters c;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));

	before = now_ns();
	build_ts(&p, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, MATCH_TSVAL, 77, 100);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect(ts_lookup(&e, t, MATCH_TSVAL, PPING_DIR_OUT, &sent_at),
		       "data segment not timestamped"));
	REQUIRE(expect(sent_at >= before, "identifier time %llu before the send %llu",
		       (unsigned long long)sent_at, (unsigned long long)before));

	/* The peer's ACK echoes it. */
	build_ts(&p, t, PPING_DIR_IN, TCPF_ACK, 5000, MATCH_TSVAL, 0);
	REQUIRE(ingress(&e, &p));
	after = now_ns();

	REQUIRE((ev = one_event(&e, PPING_EVENT_RTT)));
	REQUIRE(expect(ev->rtt > 0, "rtt is 0"));
	REQUIRE(expect(ev->rtt <= after - before, "rtt %llu ns longer than the test (%llu ns)",
		       (unsigned long long)ev->rtt,
		       (unsigned long long)(after - before)));
	REQUIRE(expect_eq("rtt event time - identifier time", ev->time_ns - sent_at,
			  ev->rtt));
	REQUIRE(expect_eq("rtt event dir", ev->dir, PPING_DIR_OUT));
	REQUIRE(expect_eq("rtt event flags", ev->flags, 0));
	REQUIRE(expect_eq("rtt event min_rtt", ev->min_rtt, ev->rtt));
	REQUIRE(expect_eq("rtt event srtt", ev->srtt, ev->rtt));
	REQUIRE(expect_eq("rtt event pkts[out]", ev->pkts[PPING_DIR_OUT], 1));
	REQUIRE(expect_eq("rtt event pkts[in]", ev->pkts[PPING_DIR_IN], 1));
	REQUIRE(expect_flow_key("rtt event", &ev->flow, t));
	REQUIRE(expect_no_ts(&e, t, MATCH_TSVAL, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	REQUIRE(expect(flow_lookup(&e, t, &fs), "flow gone"));
	REQUIRE(expect_eq("flow min_rtt[out]", fs.dir[PPING_DIR_OUT].min_rtt, ev->rtt));
	/* The echo was claimed, so later echoes of it skip the lookup. */
	REQUIRE(expect_eq("flow last_tsecr[out]", fs.dir[PPING_DIR_OUT].last_tsecr,
			  MATCH_TSVAL));

	/* A second ACK echoing the same TSval (delayed ACKs, dup ACKs): no
	 * second sample. */
	build_ts(&p, t, PPING_DIR_IN, TCPF_ACK, 5001, MATCH_TSVAL, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("rtt events", count_events(&e, PPING_EVENT_RTT), 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_match_rtt(void)
{
	if (!match_one_family(&T4))
		return fail_prefix("IPv4");
	if (!match_one_family(&T6))
		return fail_prefix("IPv6");
	return true;
}

static bool test_match_requires_ack(void)
{
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, MATCH_TSVAL));

	/* Without ACK the TSecr field means nothing (RFC 7323): no match,
	 * and the identifier stays for the real echo. */
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_PSH, 5000, MATCH_TSVAL, 10);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("rtt events after a non-ACK echo",
			  count_events(&e, PPING_EVENT_RTT), 0));
	REQUIRE(expect_ts(&e, &T4, MATCH_TSVAL, PPING_DIR_OUT));

	/* An echo of a TSval that was never stored: nothing either. */
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5001, MATCH_TSVAL - 1, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("rtt events after an unknown echo",
			  count_events(&e, PPING_EVENT_RTT), 0));

	/* An echo on an egress packet (no include_local): not matched. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, MATCH_TSVAL + 1, MATCH_TSVAL, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("rtt events after an egress echo",
			  count_events(&e, PPING_EVENT_RTT), 0));

	/* The real ACK still matches. */
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5002, MATCH_TSVAL, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("rtt events after the ACK",
			  count_events(&e, PPING_EVENT_RTT), 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 9. Closing: RST (with or without TS) and FIN
 * ======================================================================== */

/* A flow opened by one data segment, then an RST without any option. */
static bool rst_closes(int rst_dir)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the data segment"));

	/* Linux sends RSTs without a timestamp option. */
	build_opts(&p, &T4, rst_dir, TCPF_RST, NULL, 0);
	REQUIRE(rst_dir == PPING_DIR_OUT ? egress(&e, &p) : ingress(&e, &p));

	REQUIRE(expect(!flow_lookup(&e, &T4, &fs), "flow still present after RST"));
	REQUIRE(expect_eq("flow events (opening + closing)",
			  count_events(&e, PPING_EVENT_FLOW), 2));
	ev = &e.ev[e.n_ev - 1];
	REQUIRE(expect_eq("last event type", ev->type, PPING_EVENT_FLOW));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_RST,
				  rst_dir, &T4));
	REQUIRE(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT], 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_rst_closes_flow(void)
{
	if (!rst_closes(PPING_DIR_IN))
		return fail_prefix("ingress RST");
	if (!rst_closes(PPING_DIR_OUT))
		return fail_prefix("egress RST");
	return true;
}

static bool test_rst_unknown_flow(void)
{
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* An RST (with or without TS) for a flow never seen: no flow appears,
	 * no event. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_RST, NULL, 0);
	REQUIRE(ingress(&e, &p));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 10, 0, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_fin_marks_closing(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("flow events (opening + closing)",
			  count_events(&e, PPING_EVENT_FLOW), 2));
	ev = &e.ev[e.n_ev - 1];
	REQUIRE(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_FIN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect_eq("closing event pkts[out]", ev->pkts[PPING_DIR_OUT], 2));

	/* The flow stays, so the last ACKs can still be matched. */
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow deleted by FIN"));
	REQUIRE(expect_eq("flow flags", fs.flags,
			  PPING_FLOW_FIN_OUT | PPING_FLOW_CLOSING));

	/* The peer's FIN-ACK: recorded, matched, but no second closing event. */
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_FIN | TCPF_ACK, 9000, 101, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 2));
	REQUIRE(expect_eq("rtt events", count_events(&e, PPING_EVENT_RTT), 1));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow deleted by the second FIN"));
	REQUIRE(expect_eq("flow flags", fs.flags,
			  PPING_FLOW_FIN_OUT | PPING_FLOW_FIN_IN | PPING_FLOW_CLOSING));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_closed", c.flows_closed, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * A SYN on a known tuple: retransmission or new connection?
 * ======================================================================== */

static bool test_flow_reuse_after_fin(void)
{
	const struct pping_event *ev;
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* The old connection closed with FIN; a new SYN on the same tuple
	 * starts a new flow: opening event, fresh flags. */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 101, 0, 0);
	REQUIRE(egress(&e, &p));
	e.n_ev = 0;

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 200, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the new SYN"));
	REQUIRE(expect_eq("flags of the new flow", fs.flags, 0));
	REQUIRE(expect_eq("pkts[out] of the new flow", fs.dir[PPING_DIR_OUT].pkts, 1));
	REQUIRE(expect_ts(&e, &T4, 200, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_flow_reuse_tsval_back(void)
{
	const struct pping_event *ev;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* No close seen, but the new SYN's TSval is behind the old flow's
	 * (new random TS offset): a new connection, or its TSvals would be
	 * refused as old until they caught up. */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 0x70000000));
	e.n_ev = 0;

	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 0x10, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_SYN,
				  PPING_DIR_OUT, &T4));
	REQUIRE(expect_ts(&e, &T4, 0x10, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_syn_retransmit_keeps_flow(void)
{
	struct flow_state fs;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* A retransmitted SYN has a newer TSval: same connection (one
	 * opening event, and the counters go on rather than restart). */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 100, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow after the SYN"));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_SYN, 1100, 0, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "flow gone after the retransmission"));
	REQUIRE(expect_eq("pkts[out]", fs.dir[PPING_DIR_OUT].pkts, 2));
	REQUIRE(expect_ts(&e, &T4, 100, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 1100, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 10. Opening events
 * ======================================================================== */

struct open_case {
	const char *name;
	int dir;
	__u8 flags;
	size_t payload;
	__u8 reason;
};

static bool check_open(const struct open_case *oc)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, oc->dir, oc->flags, 100, oc->flags & TCPF_ACK ? 50 : 0,
		 oc->payload);
	REQUIRE(oc->dir == PPING_DIR_OUT ? egress(&e, &p) : ingress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, oc->reason, oc->dir, &T4));
	REQUIRE(expect(ev->time_ns > 0, "opening event without a time"));

	/* The next packet of the flow, either way, opens nothing new. */
	build_ts(&p, &T4, oc->dir ^ 1, TCPF_ACK, 200, 100, 10);
	REQUIRE(oc->dir == PPING_DIR_OUT ? ingress(&e, &p) : egress(&e, &p));
	REQUIRE(expect_eq("flow events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 1));
	REQUIRE(expect_eq("entries in flow_map",
			  map_entries(e.flow_fd, sizeof(struct flow_key)), 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_open_events(void)
{
	static const struct open_case cases[] = {
		{ "egress SYN", PPING_DIR_OUT, TCPF_SYN, 0, PPING_REASON_SYN },
		{ "ingress SYN-ACK", PPING_DIR_IN, TCPF_SYN | TCPF_ACK, 0,
		  PPING_REASON_SYN_ACK },
		{ "ingress SYN", PPING_DIR_IN, TCPF_SYN, 0, PPING_REASON_SYN },
		{ "egress data", PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100,
		  PPING_REASON_FIRST_PACKET },
		{ "ingress data", PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 100,
		  PPING_REASON_FIRST_PACKET },
		{ "egress pure ACK", PPING_DIR_OUT, TCPF_ACK, 0,
		  PPING_REASON_FIRST_PACKET },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!check_open(&cases[i]))
			return fail_prefix(cases[i].name);
	return true;
}

static bool test_no_open_on_fin_rst(void)
{
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* FIN and RST end connections; seen first (e.g. pping started late)
	 * they must not create a flow that nothing would ever close. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_FIN | TCPF_ACK, 100, 50, 0);
	REQUIRE(egress(&e, &p));
	build_ts(&p, &T6, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 100, 50, 0);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 11. XDP, and L3-only interfaces (tun, wireguard: no Ethernet header)
 * ======================================================================== */

static bool xdp_parse_one(const struct env_cfg *cfg, const struct tuple *t)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, cfg));

	/* A data segment from the peer opens the flow, oriented by the
	 * interface: local is its destination. Nothing is timestamped on
	 * ingress without include_local. */
	if (cfg->xdp_l3_only)
		build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 300, 0, 100);
	else
		build_ts(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 300, 0, 100);
	REQUIRE(xdp_ingress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_FLOW)));
	REQUIRE(expect_flow_event(ev, PPING_FLOW_OPENING, PPING_REASON_FIRST_PACKET,
				  PPING_DIR_IN, t));
	REQUIRE(expect_map_sizes(&e, 1, 0));

	/* A segment without any option: TCP, without timestamp. */
	pkt_init(&p);
	if (!cfg->xdp_l3_only)
		l2_header(&p, t);
	add_ip(&p, t, PPING_DIR_IN, PKT_IPPROTO_TCP);
	add_tcp(&p, t, PPING_DIR_IN, TCPF_ACK, NULL, 0);
	REQUIRE(xdp_ingress(&e, &p));

	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 2));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 2));
	REQUIRE(expect_eq("tcp_no_ts[ingress]", c.tcp_no_ts[PPING_HOOK_INGRESS], 1));
	REQUIRE(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_xdp_l3_parsing(void)
{
	if (!xdp_parse_one(&CFG_XDP_L3, &T4))
		return false;
	return xdp_parse_one(&CFG_XDP_L3, &T6);
}

static bool test_xdp_l2_parsing(void)
{
	if (!xdp_parse_one(&CFG_XDP_L2, &T4))
		return false;
	return xdp_parse_one(&CFG_XDP_L2, &T6);
}

static bool test_xdp_l3_not_ip(void)
{
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* An L3-only frame whose version nibble is neither 4 nor 6, and an
	 * Ethernet frame given to the L3-only parser. */
	REQUIRE(env_open(&e, &CFG_XDP_L3));
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 300, 0, 100);
	p.data[0] = 0x55;
	REQUIRE(xdp_ingress(&e, &p));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 300, 0, 100);
	REQUIRE(xdp_ingress(&e, &p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 2));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool xdp_local_one(const struct tuple *t)
{
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* With include_local, ingress data is timestamped too, as direction
	 * IN of the same (interface-oriented) flow. */
	REQUIRE(env_open(&e, &CFG_XDP_L3_LOCAL));
	build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x777, 0, 100);
	REQUIRE(xdp_ingress(&e, &p));
	REQUIRE(expect_ts(&e, t, 0x777, PPING_DIR_IN));
	REQUIRE(expect_no_ts(&e, t, 0x777, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_xdp_l3_include_local(void)
{
	return xdp_local_one(&T4) && xdp_local_one(&T6);
}

static bool xdp_match_one(const struct tuple *t)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	/* The daemon's XDP mode: identifiers stored by tc egress (Ethernet)
	 * are matched by XDP ingress on a raw IP packet; one set of maps. */
	REQUIRE(env_open(&e, &CFG_TC_XDP_L3));
	REQUIRE(send_data(&e, t, MATCH_TSVAL));
	REQUIRE(expect_ts(&e, t, MATCH_TSVAL, PPING_DIR_OUT));
	build_ts_l3(&p, t, PPING_DIR_IN, TCPF_ACK, 5000, MATCH_TSVAL, 0);
	REQUIRE(xdp_ingress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_RTT)));
	REQUIRE(expect(ev->rtt > 0, "rtt is 0"));
	REQUIRE(expect_eq("rtt event dir", ev->dir, PPING_DIR_OUT));
	REQUIRE(expect_eq("rtt event flags", ev->flags, 0));
	REQUIRE(expect_flow_key("rtt event", &ev->flow, t));
	REQUIRE(expect_no_ts(&e, t, MATCH_TSVAL, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_xdp_l3_match(void)
{
	return xdp_match_one(&T4) && xdp_match_one(&T6);
}

/* ========================================================================
 * 12. include_local: RTT towards the local side, matched on egress
 * ======================================================================== */

static bool test_include_local(void)
{
	const struct pping_event *ev;
	struct pping_counters c;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC_LOCAL));

	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_ts(&e, &T4, 0x4242, PPING_DIR_IN));

	/* The local side's ACK, leaving, echoes it. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE((ev = one_event(&e, PPING_EVENT_RTT)));
	REQUIRE(expect(ev->rtt > 0, "rtt is 0"));
	REQUIRE(expect_eq("rtt event dir", ev->dir, PPING_DIR_IN));
	REQUIRE(expect_eq("rtt event flags", ev->flags, PPING_EV_MATCH_ON_EGRESS));
	REQUIRE(expect_flow_key("rtt event", &ev->flow, &T4));
	REQUIRE(expect_no_ts(&e, &T4, 0x4242, PPING_DIR_IN));
	/* A pure ACK is still not an identifier, in either direction. */
	REQUIRE(expect_no_ts(&e, &T4, 0x99, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_no_include_local(void)
{
	struct env e;
	struct pkt p;
	bool ok = false;

	/* The default: ingress data is not timestamped, so the same exchange
	 * gives no sample. */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, 0x4242, 0, 100);
	REQUIRE(ingress(&e, &p));
	REQUIRE(expect_no_ts(&e, &T4, 0x4242, PPING_DIR_IN));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, 0x99, 0x4242, 0);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_eq("rtt events", count_events(&e, PPING_EVENT_RTT), 0));
	REQUIRE(expect_map_sizes(&e, 1, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * 13. Other protocols
 * ======================================================================== */

static void other_udp4(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IP);
	pkt_ipv4(p, "10.0.0.1", "10.0.0.2", PKT_IPPROTO_UDP);
	pkt_udp(p, 5353, 53);
	pkt_payload(p, 40);
	pkt_finish(p);
}

static void other_icmp4(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IP);
	pkt_ipv4(p, "10.0.0.1", "10.0.0.2", PKT_IPPROTO_ICMP);
	pkt_icmp_echo(p, 8);
	pkt_payload(p, 56);
	pkt_finish(p);
}

static void other_arp(struct pkt *p)
{
	uint8_t *a;

	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_ARP);
	a = pkt_put(p, 28);
	put_be16(a, 1);          /* Ethernet */
	put_be16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, 1);      /* request */
}

static void other_udp6(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IPV6);
	pkt_ipv6(p, "fd00::1", "fd00::2", PKT_IPPROTO_UDP);
	pkt_udp(p, 5353, 53);
	pkt_payload(p, 40);
	pkt_finish(p);
}

static void other_icmp6(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IPV6);
	pkt_ipv6(p, "fd00::1", "fd00::2", PKT_IPPROTO_ICMPV6);
	pkt_icmp_echo(p, 128);
	pkt_payload(p, 56);
	pkt_finish(p);
}

static bool check_other_both_hooks(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(egress(&e, p));
	REQUIRE(ingress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], 1));
	REQUIRE(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 1));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_non_tcp(void)
{
	static const struct pkt_case cases[] = {
		{ "UDP/IPv4", other_udp4 },
		{ "ICMP", other_icmp4 },
		{ "ARP", other_arp },
		{ "UDP/IPv6", other_udp6 },
		{ "ICMPv6", other_icmp6 },
	};

	return run_cases(cases, ARRAY_SIZE(cases), check_other_both_hooks);
}

/*
 * Frames cut inside a header. The tc test run refuses an IP ethertype
 * without a whole IP header, but XDP (where such frames can arrive) runs on
 * anything of at least 14 bytes, so these go through XDP.
 */
static void runt_eth_only(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IP);
}

static void runt_ipv4(struct pkt *p)
{
	build_ts(p, &T4, PPING_DIR_IN, TCPF_ACK, 1, 0, 100);
	pkt_truncate(p, p->l3_off + 19);
}

static void runt_ipv6(struct pkt *p)
{
	build_ts(p, &T6, PPING_DIR_IN, TCPF_ACK, 1, 0, 100);
	pkt_truncate(p, p->l3_off + 39);
}

static void runt_vlan(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_8021Q);
	pkt_put(p, 2);   /* half a tag */
}

static void runt_tcp(struct pkt *p)
{
	/* 19 of the 20 fixed TCP header bytes. */
	build_ts(p, &T4, PPING_DIR_IN, TCPF_ACK, 1, 0, 100);
	pkt_truncate(p, p->l4_off + 19);
}

static void runt_ipv6_ext(struct pkt *p)
{
	/* The frame ends inside the hop-by-hop header. */
	ipv6_hbh_dst_rt(p);
	pkt_truncate(p, p->l3_off + 40 + 4);
}

static bool check_runt_xdp(const struct pkt_case *cs, const struct pkt *p)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;

	(void)cs;
	REQUIRE(env_open(&e, &CFG_XDP_L2));
	REQUIRE(xdp_ingress(&e, p));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[ingress]", c.pkts[PPING_HOOK_INGRESS], 1));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 0));
	REQUIRE(expect_map_sizes(&e, 0, 0));
	REQUIRE(expect_eq("events", e.n_ev, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_runt_frames(void)
{
	static const struct pkt_case cases[] = {
		{ "Ethernet header only", runt_eth_only },
		{ "IPv4 header cut", runt_ipv4 },
		{ "IPv6 header cut", runt_ipv6 },
		{ "VLAN tag cut", runt_vlan },
		{ "IPv6 extension header cut", runt_ipv6_ext },
		{ "TCP header cut", runt_tcp },
	};

	return run_cases(cases, ARRAY_SIZE(cases), check_runt_xdp);
}

/* ========================================================================
 * Rate limit, checksums, accounting
 * ======================================================================== */

static bool test_rate_limit(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	/* An hour: nothing in this test can outlast it. */
	cfg.rate_limit_ns = 3600ULL * 1000000000ULL;
	REQUIRE(env_open(&e, &cfg));

	REQUIRE(send_data(&e, &T4, 1));
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(expect_no_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 1));

	/* The limit is per flow direction: another flow is not held back. */
	REQUIRE(send_data(&e, &T4B, 2));
	REQUIRE(expect_ts(&e, &T4B, 2, PPING_DIR_OUT));

	/* Lowered at run time through .data, it applies at once. */
	env_runtime(&e)->rate_limit_ns = 0;
	REQUIRE(send_data(&e, &T4, 3));
	REQUIRE(expect_ts(&e, &T4, 3, PPING_DIR_OUT));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 3));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_checksums_ignored(void)
{
	struct env e;
	struct pkt p;
	bool ok = false;

	/* Every other test sends zero checksums; here they are wrong but
	 * non-zero. Neither stops the datapath (it must not validate what
	 * offloads may not have computed yet on egress). */
	REQUIRE(env_open(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 11, 0, 100);
	put_be16(p.data + p.l3_off + 10, 0xdead);   /* IPv4 header checksum */
	put_be16(p.data + p.l4_off + 16, 0xbeef);   /* TCP checksum */
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_ts(&e, &T4, 11, PPING_DIR_OUT));
	build_ts(&p, &T6, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 12, 0, 100);
	put_be16(p.data + p.l4_off + 16, 0xbeef);
	REQUIRE(egress(&e, &p));
	REQUIRE(expect_ts(&e, &T6, 12, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_flow_accounting(void)
{
	struct __sk_buff skb;
	struct flow_state fs;
	size_t len_out, len_in;
	struct env e;
	struct pkt p;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));

	/* A GSO packet counts as all its segments, and bytes are the frame
	 * length at the hook. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 0, 400);
	len_out = p.len;
	memset(&skb, 0, sizeof(skb));
	skb.gso_segs = 4;
	REQUIRE(run_prog(&e, e.tc->progs.pping_tc_egress, "pping_tc_egress", &p,
			 TC_ACT_UNSPEC_RET, &skb));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 500, 100, 0);
	len_in = p.len;
	REQUIRE(ingress(&e, &p));
	REQUIRE(ingress(&e, &p));

	REQUIRE(expect(flow_lookup(&e, &T4, &fs), "no flow"));
	REQUIRE(expect_eq("pkts[out]", fs.dir[PPING_DIR_OUT].pkts, 4));
	REQUIRE(expect_eq("bytes[out]", fs.dir[PPING_DIR_OUT].bytes, len_out));
	REQUIRE(expect_eq("pkts[in]", fs.dir[PPING_DIR_IN].pkts, 2));
	REQUIRE(expect_eq("bytes[in]", fs.dir[PPING_DIR_IN].bytes, 2 * len_in));
	REQUIRE(expect(fs.last_seen > 0, "last_seen not set"));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * Full maps and ring buffer: counted, never silent
 * ======================================================================== */

static bool test_flow_map_full(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.flow_map_entries = 1;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(send_data(&e, &T4B, 10));   /* no room for a second flow */
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flow_map_full", c.flow_map_full, 1));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, 1));
	REQUIRE(expect_eq("opening events", count_events(&e, PPING_EVENT_FLOW), 1));
	REQUIRE(expect_no_ts(&e, &T4B, 10, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_ts_map_full(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.ts_map_entries = 2;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(send_data(&e, &T4, 11));
	REQUIRE(send_data(&e, &T4, 12));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 2));
	REQUIRE(expect_eq("ts_map_full", c.ts_map_full, 1));
	REQUIRE(expect_no_ts(&e, &T4, 12, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_events_lost(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct tuple t = T4;
	struct env e;
	bool ok = false;
	int i, n = 100;

	/* One page of ring buffer holds about 34 events of 120 bytes (with
	 * the record header). Open 100 flows without reading any. */
	cfg.ringbuf_bytes = 4096;
	REQUIRE(env_open(&e, &cfg));
	e.hold_events = true;
	for (i = 0; i < n; i++) {
		t.lport = 10000 + i;
		REQUIRE(send_data(&e, &t, 10));
	}
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("flows_opened", c.flows_opened, n));
	REQUIRE(expect(c.events_lost > 0, "no event lost with a full ring buffer"));

	/* Every opening is either in the ring buffer or counted as lost. */
	e.hold_events = false;
	REQUIRE(expect(ring_buffer__consume(e.rb) >= 0, "consume failed"));
	REQUIRE(expect_eq("events read + events_lost", e.n_ev + c.events_lost, n));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ========================================================================
 * Sampling over time: these run the programs with real time passing
 * between packets (the programs read bpf_ktime_get_ns), so the rate limit,
 * bursts and RTT-based intervals are exercised as they work on live
 * traffic.
 * ======================================================================== */

static void sleep_until(__u64 t_ns)
{
	struct timespec ts = {
		.tv_sec = t_ns / 1000000000ULL,
		.tv_nsec = t_ns % 1000000000ULL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

#define MS 1000000ULL

/* Data packets with TSvals from, from+1, ... due every period_ns from now
 * on, for duration_ns (the last one due before it ends). Returns how many
 * were sent. */
static int send_paced(struct env *e, const struct tuple *t, __u32 from,
		      __u64 period_ns, __u64 duration_ns)
{
	__u64 start = now_ns();
	int i;

	for (i = 0; (__u64)i * period_ns < duration_ns; i++) {
		sleep_until(start + i * period_ns);
		if (!send_data(e, t, from + i))
			return -1;
	}
	return i;
}

static bool expect_created(struct env *e, unsigned long long lo,
			   unsigned long long hi)
{
	struct pping_counters c;

	if (!read_counters(e, &c))
		return false;
	return expect(c.ts_created >= lo && c.ts_created <= hi,
		      "%llu identifiers created, want %llu to %llu",
		      (unsigned long long)c.ts_created, lo, hi);
}

static bool test_rate_limit_timed(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;
	int n;

	/* One packet with a new TSval every 1 ms for 1 s, 100 ms limit:
	 * identifiers at 0, 100, ..., 900 ms (10; 11 if the last packet
	 * lands right at 1000 ms). */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	n = send_paced(&e, &T4, 1, 1 * MS, 1000 * MS);
	REQUIRE(expect_eq("packets sent", n, 1000));
	REQUIRE(expect_created(&e, 9, 11));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_rate_limit_zero(void)
{
	struct pping_counters c;
	struct env e;
	bool ok = false;
	__u32 i;

	/* Rate limit 0: every new TSval is an identifier; a repeated one is
	 * not (it is not the first packet with that value). */
	REQUIRE(env_open(&e, &CFG_TC));
	for (i = 1; i <= 200; i++) {
		REQUIRE(send_data(&e, &T4, i));
		REQUIRE(send_data(&e, &T4, i));
	}
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_created", c.ts_created, 200));
	REQUIRE(expect_eq("ts_exists", c.ts_exists, 0));
	REQUIRE(expect_eq("rate_limited", c.rate_limited, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool burst_of(struct env *e, __u32 tsval, __u64 *burst)
{
	struct ts_value v;
	struct ts_key k;

	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(&T4);
	k.tsval = tsval;
	k.dir = PPING_DIR_OUT;
	if (bpf_map_lookup_elem(e->ts_fd, &k, &v))
		return fail("no identifier for TSval %u", tsval);
	*burst = v.burst;
	return true;
}

static bool test_burst(void)
{
	struct env_cfg cfg = CFG_TC;
	__u64 b1, b2, b3, b4;
	struct env e;
	bool ok = false;
	__u64 t0;

	/* --burst 3 --burst-window 4ms, 100 ms limit, a new TSval every
	 * 1 ms: three identifiers (0, 1, 2 ms), then none until 100 ms, then
	 * the next three. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 4 * MS;
	t0 = now_ns();
	REQUIRE(send_paced(&e, &T4, 1, 1 * MS, 60 * MS) == 60);
	REQUIRE(expect_created(&e, 3, 3));
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 3, PPING_DIR_OUT));
	REQUIRE(burst_of(&e, 1, &b1) && burst_of(&e, 3, &b3));
	REQUIRE(expect(b1 == b3, "one burst has two ids: %llu %llu",
		       (unsigned long long)b1, (unsigned long long)b3));

	sleep_until(t0 + 101 * MS);
	REQUIRE(send_paced(&e, &T4, 1000, 1 * MS, 10 * MS) == 10);
	REQUIRE(expect_created(&e, 6, 6));
	REQUIRE(burst_of(&e, 1000, &b2) && burst_of(&e, 1002, &b4));
	REQUIRE(expect(b2 == b4 && b2 > b1, "burst ids %llu %llu after %llu",
		       (unsigned long long)b2, (unsigned long long)b4,
		       (unsigned long long)b1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_burst_window(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;

	/* Packets 3 ms apart with a 4 ms window: the burst takes the ones at
	 * 0 and 3 ms; the one at 6 ms is outside the window. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 4 * MS;
	REQUIRE(send_paced(&e, &T4, 1, 3 * MS, 8 * MS) == 3);
	REQUIRE(expect_ts(&e, &T4, 1, PPING_DIR_OUT));
	REQUIRE(expect_ts(&e, &T4, 2, PPING_DIR_OUT));
	REQUIRE(expect_no_ts(&e, &T4, 3, PPING_DIR_OUT));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool ack_echo(struct env *e, __u32 tsecr)
{
	struct pkt p;

	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 7000 + tsecr, tsecr, 0);
	return ingress(e, &p);
}

static bool test_burst_one_report(void)
{
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	/* A burst of three identifiers all matched: three samples count, one
	 * line is printed (the first match). */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	env_runtime(&e)->burst = 3;
	env_runtime(&e)->burst_window_ns = 4 * MS;
	REQUIRE(send_paced(&e, &T4, 1, 1 * MS, 3 * MS) == 3);
	REQUIRE(ack_echo(&e, 2));
	REQUIRE(ack_echo(&e, 3));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 2));
	REQUIRE(expect_eq("rtt_unreported", c.rtt_unreported, 1));
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 1));

	/* The next burst reports again; a late echo of the old burst's first
	 * identifier does not (it would be a second line for an old burst). */
	usleep(101 * 1000);
	REQUIRE(send_data(&e, &T4, 10));
	REQUIRE(ack_echo(&e, 10));
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 2));
	REQUIRE(ack_echo(&e, 1));    /* the old burst's unmatched first */
	REQUIRE(expect_eq("RTT events", count_events(&e, PPING_EVENT_RTT), 2));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("rtt_samples", c.rtt_samples, 3));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Set the sampling slot and the last printed burst of T4's direction out. */
static bool set_burst_history(struct env *e, __u64 slot_start,
			      __u64 reported_burst)
{
	struct flow_key k = tuple_key(&T4);
	struct flow_state fs;

	if (bpf_map_lookup_elem(e->flow_fd, &k, &fs))
		return fail("no flow");
	fs.dir[PPING_DIR_OUT].slot = (slot_start & ~PPING_SLOT_COUNT_MASK) | 1;
	fs.dir[PPING_DIR_OUT].reported_burst = reported_burst & ~PPING_SLOT_COUNT_MASK;
	if (bpf_map_update_elem(e->flow_fd, &k, &fs, BPF_EXIST))
		return fail("updating the flow: %s", strerror(errno));
	return true;
}

static bool test_burst_id_after_idle(void)
{
	struct env_cfg cfg = CFG_TC;
	struct env e;
	bool ok = false;
	__u64 now;

	/* However long ago the last line was printed — an idle flow, or one
	 * whose matches failed for many minutes while bursts went on — the
	 * next burst's first match is printed. 32-bit ids compared
	 * wrap-aware got both wrong once the gap passed ~9 minutes. */
	cfg.rate_limit_ns = 100 * MS;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(send_data(&e, &T4, 1));
	now = now_ns();
	REQUIRE(expect(now > 601ULL * 1000 * MS, "machine up less than 601 s"));

	REQUIRE(set_burst_history(&e, now - 600ULL * 1000 * MS, now - 600ULL * 1000 * MS));
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(ack_echo(&e, 2));
	REQUIRE(expect_eq("RTT events after idle", count_events(&e, PPING_EVENT_RTT), 1));

	REQUIRE(set_burst_history(&e, now_ns() - 200 * MS, now - 600ULL * 1000 * MS));
	REQUIRE(send_data(&e, &T4, 3));
	REQUIRE(ack_echo(&e, 3));
	REQUIRE(expect_eq("RTT events after silence", count_events(&e, PPING_EVENT_RTT), 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_stale_identifier(void)
{
	struct pping_counters c;
	struct ts_value v;
	struct ts_key k;
	struct env e;
	bool ok = false;

	/* An identifier never answered, met again after the TSval clock
	 * wrapped: the old one is replaced, not matched (an RTT of the wrap
	 * period would be reported). */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 5));
	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(&T4);
	k.tsval = 5;
	k.dir = PPING_DIR_OUT;
	REQUIRE(expect(bpf_map_lookup_elem(e.ts_fd, &k, &v) == 0, "no identifier"));
	v.sent -= PPING_TS_STALE_NS + 1000 * MS;
	REQUIRE(expect(bpf_map_update_elem(e.ts_fd, &k, &v, BPF_EXIST) == 0, "aging it"));
	REQUIRE(ack_echo(&e, 5));
	REQUIRE(expect_eq("RTT events from a stale identifier",
			  count_events(&e, PPING_EVENT_RTT), 0));

	REQUIRE(expect(bpf_map_update_elem(e.ts_fd, &k, &v, BPF_ANY) == 0, "re-adding"));
	/* The flow's TSval goes all the way round back to 5. */
	REQUIRE(send_data(&e, &T4, 0x70000000));
	REQUIRE(send_data(&e, &T4, 0xe0000000));
	REQUIRE(send_data(&e, &T4, 5));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("ts_stale", c.ts_stale, 2));
	REQUIRE(expect(bpf_map_lookup_elem(e.ts_fd, &k, &v) == 0, "identifier gone"));
	REQUIRE(expect(now_ns() - v.sent < 1000 * MS,
		       "identifier not replaced: sent %llu ns ago",
		       (unsigned long long)(now_ns() - v.sent)));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Give the flow of T4 a known RTT history, as matching would leave it. */
static bool set_rtts(struct env *e, __u32 min_rtt, __u32 srtt, __u32 last_rtt)
{
	struct flow_key k = tuple_key(&T4);
	struct flow_state fs;

	if (bpf_map_lookup_elem(e->flow_fd, &k, &fs))
		return fail("no flow to set RTTs on");
	fs.dir[PPING_DIR_OUT].min_rtt = min_rtt;
	fs.dir[PPING_DIR_OUT].srtt = srtt;
	fs.dir[PPING_DIR_OUT].last_rtt = last_rtt;
	if (bpf_map_update_elem(e->flow_fd, &k, &fs, BPF_EXIST))
		return fail("updating the flow: %s", strerror(errno));
	return true;
}

/*
 * With an RTT-based interval of `interval` ns: a burst started at t0 (the
 * TSval from) blocks packets at t0 + interval/2 and lets one through at
 * t0 + interval + 5 ms.
 */
static bool expect_interval(struct env *e, __u32 from, __u64 interval)
{
	__u64 t0 = now_ns();

	if (!send_data(e, &T4, from))
		return false;
	if (!expect_ts(e, &T4, from, PPING_DIR_OUT))
		return false;
	sleep_until(t0 + interval / 2);
	if (!send_data(e, &T4, from + 1) ||
	    !expect_no_ts(e, &T4, from + 1, PPING_DIR_OUT))
		return false;
	sleep_until(t0 + interval + 5 * MS);
	if (!send_data(e, &T4, from + 2))
		return false;
	return expect_ts(e, &T4, from + 2, PPING_DIR_OUT);
}

static bool test_rtt_rate(void)
{
	struct env_cfg cfg = CFG_TC;
	volatile struct pping_runtime *rt;
	struct env e;
	bool ok = false;
	__u64 t0;

	/* Fallback: an hour, so "not yet" is unambiguous. */
	cfg.rate_limit_ns = 3600ULL * 1000 * MS;
	REQUIRE(env_open(&e, &cfg));
	rt = env_runtime(&e);
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;   /* 1 x RTT */
	rt->rtt_type = PPING_RTT_MIN;

	/* No RTT yet: the static limit applies. */
	t0 = now_ns();
	REQUIRE(send_data(&e, &T4, 1));
	sleep_until(t0 + 60 * MS);
	REQUIRE(send_data(&e, &T4, 2));
	REQUIRE(expect_no_ts(&e, &T4, 2, PPING_DIR_OUT));

	/* min RTT 40 ms, factor 1: interval 40 ms. */
	REQUIRE(set_rtts(&e, 40 * MS, 90 * MS, 90 * MS));
	usleep(50 * 1000);
	REQUIRE(expect_interval(&e, 10, 40 * MS));

	/* Factor 2: 80 ms. */
	rt->rtt_rate_fp = 2U << PPING_RTT_RATE_SHIFT;
	usleep(90 * 1000);
	REQUIRE(expect_interval(&e, 20, 80 * MS));

	/* Smoothed: the lower of srtt (90) and the latest sample (30). */
	rt->rtt_rate_fp = 1U << PPING_RTT_RATE_SHIFT;
	rt->rtt_type = PPING_RTT_SMOOTHED;
	REQUIRE(set_rtts(&e, 10 * MS, 90 * MS, 30 * MS));
	usleep(100 * 1000);
	REQUIRE(expect_interval(&e, 30, 30 * MS));
	REQUIRE(set_rtts(&e, 10 * MS, 30 * MS, 90 * MS));
	usleep(100 * 1000);
	REQUIRE(expect_interval(&e, 40, 30 * MS));
	ok = true;
out:
	env_close(&e);
	return ok;
}

static bool test_older_tsval_ignored(void)
{
	struct env e;
	bool ok = false;

	/* A reordered older TSval is not new and does not move the flow's
	 * last TSval back, so the current value stays used (no ping-pong). */
	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(send_data(&e, &T4, 50));
	REQUIRE(expect_no_ts(&e, &T4, 50, PPING_DIR_OUT));
	REQUIRE(send_data(&e, &T4, 100));
	REQUIRE(send_data(&e, &T4, 101));
	REQUIRE(expect_ts(&e, &T4, 101, PPING_DIR_OUT));
	REQUIRE(expect_map_sizes(&e, 1, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/*
 * Two CPUs send the same packets of one flow at the same time, as when a
 * flow's packets are spread over queues. Each TSval must become exactly one
 * identifier (one CPU wins the "first" claim; the other never even tries to
 * insert), and with a rate limit no slot may be taken twice.
 */
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

/* ========================================================================
 * main
 * ======================================================================== */

struct test {
	const char *name;
	bool (*fn)(void);
};

static const struct test tests[] = {
	{ "ts_option_positions", test_ts_option_positions },
	{ "malformed_options", test_malformed_options },
	{ "vlan", test_vlan },
	{ "ipv4_options_fragments", test_ipv4 },
	{ "ipv6_ext_headers", test_ipv6 },
	{ "pure_ack_not_timestamped", test_pure_ack_not_timestamped },
	{ "tsval_wraparound", test_tsval_wraparound },
	{ "match_rtt", test_match_rtt },
	{ "match_requires_ack", test_match_requires_ack },
	{ "rst_closes_flow", test_rst_closes_flow },
	{ "rst_unknown_flow", test_rst_unknown_flow },
	{ "fin_marks_closing", test_fin_marks_closing },
	{ "flow_reuse_after_fin", test_flow_reuse_after_fin },
	{ "flow_reuse_tsval_back", test_flow_reuse_tsval_back },
	{ "syn_retransmit_keeps_flow", test_syn_retransmit_keeps_flow },
	{ "open_events", test_open_events },
	{ "no_open_on_fin_rst", test_no_open_on_fin_rst },
	{ "xdp_l3_parsing", test_xdp_l3_parsing },
	{ "xdp_l2_parsing", test_xdp_l2_parsing },
	{ "xdp_l3_not_ip", test_xdp_l3_not_ip },
	{ "xdp_l3_include_local", test_xdp_l3_include_local },
	{ "xdp_l3_match", test_xdp_l3_match },
	{ "include_local", test_include_local },
	{ "no_include_local", test_no_include_local },
	{ "non_tcp", test_non_tcp },
	{ "runt_frames", test_runt_frames },
	{ "rate_limit", test_rate_limit },
	{ "checksums_ignored", test_checksums_ignored },
	{ "flow_accounting", test_flow_accounting },
	{ "flow_map_full", test_flow_map_full },
	{ "ts_map_full", test_ts_map_full },
	{ "events_lost", test_events_lost },
	{ "rate_limit_timed", test_rate_limit_timed },
	{ "rate_limit_zero", test_rate_limit_zero },
	{ "burst", test_burst },
	{ "burst_window", test_burst_window },
	{ "burst_one_report", test_burst_one_report },
	{ "burst_id_after_idle", test_burst_id_after_idle },
	{ "stale_identifier", test_stale_identifier },
	{ "rtt_rate", test_rtt_rate },
	{ "older_tsval_ignored", test_older_tsval_ignored },
	{ "claims_race", test_claims_race },
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *verbose = getenv("PPING_TEST_VERBOSE");
	bool all_ok = true;
	size_t i;

	libbpf_set_print(verbose && *verbose ? libbpf_print : libbpf_quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		fail_msg[0] = 0;
		if (tests[i].fn()) {
			printf("PASS %s\n", tests[i].name);
		} else {
			printf("FAIL %s: %s\n", tests[i].name,
			       fail_msg[0] ? fail_msg : "(no message)");
			all_ok = false;
		}
	}
	return all_ok ? 0 : 1;
}
