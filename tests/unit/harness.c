// SPDX-License-Identifier: GPL-2.0
/*
 * The harness of the unit tests: see harness.h. Each test loads fresh
 * skeletons, runs the programs on crafted packets through
 * BPF_PROG_TEST_RUN, and checks what they left behind: the timestamp and
 * flow maps, the per-CPU counters and the ring buffer events. Nothing is
 * attached to an interface.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"
#include "counters.h"
#include "degrade.h"
#include "loader.h"

/* ========================================================================
 * Assertions
 * ======================================================================== */

static char fail_msg[512];
static char skip_msg[256];

bool fail(const char *fmt, ...)
{
	va_list ap;

	if (fail_msg[0])        /* keep the first, most telling, failure */
		return false;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return false;
}

bool skip_refused(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_msg, sizeof(skip_msg), fmt, ap);
	va_end(ap);
	return true;
}

bool fail_prefix(const char *prefix)
{
	char msg[2 * sizeof(fail_msg)];

	snprintf(msg, sizeof(msg), "%s: %s", prefix, fail_msg);
	memcpy(fail_msg, msg, sizeof(fail_msg) - 1);   /* truncate if need be */
	fail_msg[sizeof(fail_msg) - 1] = 0;
	return false;
}

bool expect_eq(const char *what, unsigned long long got,
	       unsigned long long want)
{
	if (got == want)
		return true;
	return fail("%s: got %llu (0x%llx), want %llu (0x%llx)", what, got, got,
		    want, want);
}

bool expect(bool cond, const char *fmt, ...)
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
 * Test environment
 * ======================================================================== */

const struct env_cfg CFG_TC = { .tc = true };
const struct env_cfg CFG_TC_LOCAL = { .tc = true, .include_local = true };
const struct env_cfg CFG_XDP_L2 = { .xdp = true };
const struct env_cfg CFG_XDP_L3 = { .xdp = true, .xdp_l3_only = true };
const struct env_cfg CFG_XDP_L3_LOCAL = {
	.xdp = true, .xdp_l3_only = true, .include_local = true,
};
const struct env_cfg CFG_TC_XDP_L3 = {
	.tc = true, .xdp = true, .xdp_l3_only = true,
};
/* Cleanup's identifier rules are those of ts_map: these tests put every
 * TSval identifier there, none in the flows' slots. */
const struct env_cfg CFG_TC_CLEANUP = { .tc = true, .cleanup = true, .ts_map_only = true };

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

/* Batched cleanup's closing events, as the daemon's sink takes them. */
static void closing_event(void *ctx, const struct pping_event *ev)
{
	on_event(ctx, (void *)ev, sizeof(*ev));
}

/*
 * What the daemon would ask of the loader for an environment (as
 * user/daemon.c builds it), with the tests' settings: the programs are
 * opened, configured and loaded by the product's own pping_bpf_load.
 */
static void datapath_of(const struct env_cfg *cfg, struct datapath_config *dc)
{
	const struct pping_runtime defaults = PPING_RUNTIME_DEFAULTS;

	memset(dc, 0, sizeof(*dc));
	dc->has_l2 = true;   /* a tc test run needs a frame with an Ethernet header */
	dc->include_local = cfg->include_local;
	dc->replay = cfg->replay;
	dc->test_clock = cfg->test_clock;
	dc->exact_clock = cfg->exact_clock;
	if (cfg->test_clock)
		dc->tick_hz = (unsigned int)(SECOND / (cfg->tick_ns ?: ENV_TICK_NS));
	dc->tcp_method = cfg->tcp_method;
	dc->no_icmp = cfg->no_icmp;
	dc->ts_map_only = cfg->ts_map_only;
	dc->max_flows = cfg->flow_map_entries;
	dc->max_timestamps = cfg->ts_map_entries;
	dc->ringbuf_bytes = cfg->ringbuf_bytes;
	dc->sampling = defaults;
	dc->sampling.rate_limit_ns = cfg->rate_limit_ns;
	dc->includes = cfg->includes;
	dc->n_includes = cfg->n_includes;
	dc->excludes = cfg->excludes;
	dc->n_excludes = cfg->n_excludes;
	dc->ports = cfg->ports;
	if (cfg->aggregate_subnets) {
		dc->max_subnets = cfg->subnet_map_entries ?: PPING_DEFAULT_MAX_SUBNETS;
		dc->subnet_prefix_v4 = cfg->subnet_prefix_v4;
		dc->subnet_prefix_v6 = cfg->subnet_prefix_v6;
		dc->agg_kernel = cfg->agg_kernel;
		dc->qdelay_window_ns = cfg->qdelay_window_ns ?: 300ULL * 1000000000;
	}
}

void env_close(struct env *e)
{
	if (e->cleaning)
		cleanup_close(&e->cleanup);
	ring_buffer__free(e->rb);
	pping_bpf_destroy(&e->bpf);
	memset(e, 0, sizeof(*e));
}

/*
 * XDP beside the tc object, as the loader opens it for -I xdp, loaded
 * directly (the daemon leaves that to libxdp when it attaches). The one
 * test override: L3-only frames (a tun device) for XDP while tc, whose
 * test runs need an Ethernet header, keeps them.
 */
static bool open_xdp(struct env *e, const struct env_cfg *cfg)
{
	int err = pping_bpf_open_xdp(&e->bpf);

	if (err)
		return fail("pping_bpf_open_xdp: %s", strerror(-err));
	e->bpf.xdp->rodata->config.has_l2 = !cfg->xdp_l3_only;
	err = pping_xdp__load(e->bpf.xdp);
	if (err)
		return fail("pping_xdp__load: %s (PPING_TEST_VERBOSE=1 shows why)",
			    strerror(-err));
	return true;
}

bool env_open(struct env *e, const struct env_cfg *cfg)
{
	struct datapath_config dc;
	struct bpf_object *obj;
	int err;

	memset(e, 0, sizeof(*e));
	e->test_clock = cfg->test_clock;
	e->tick_ns = cfg->test_clock && !cfg->exact_clock ?
		     cfg->tick_ns ?: ENV_TICK_NS : 0;
	e->now = ENV_CLOCK_START;
	datapath_of(cfg, &dc);
	/* The tc object owns the maps, so it is loaded for XDP tests too. */
	err = pping_bpf_load(&e->bpf, &dc);
	if (err)
		return fail("pping_bpf_load: %s (PPING_TEST_VERBOSE=1 shows why)",
			    strerror(-err));
	e->tc = e->bpf.tc;
	if (cfg->xdp && !open_xdp(e, cfg))
		return false;
	e->xdp = e->bpf.xdp;
	if (cfg->cleanup) {
		err = cleanup_open(&e->cleanup, &e->bpf, cfg->cleanup_mech ?:
				   harness_cleanup_mech);
		if (err)
			return fail("cleanup_open: %s", strerror(-err));
		cleanup_set_closing(&e->cleanup, closing_event, e);
		e->cleaning = true;
	}

	obj = e->tc->obj;
	e->flow_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "flow_map"));
	e->ts_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "ts_map"));
	e->counters_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "counters"));
	e->events_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "events"));
	e->flow_count_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "flow_count"));
	e->sampled_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "sampled_flows"));
	e->subnet_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "subnet_map"));
	e->rb = ring_buffer__new(e->events_fd, on_event, e, NULL);
	if (!e->rb)
		return fail("ring_buffer__new: %s", strerror(errno));
	e->runtime0 = e->tc->data->runtime;
	return true;
}

/* Every entry of a hash map deleted. */
static bool clear_hash(int fd, size_t key_size)
{
	__u8 key[256];

	if (fd < 0)
		return true;
	if (key_size > sizeof(key))
		return fail("clear_hash: a %zu-byte key", key_size);
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return fail("clear_hash: %s", strerror(errno));
	return true;
}

/* Every value of an array map zero (per-CPU ones on every CPU). */
static bool clear_array(struct bpf_map *map)
{
	size_t size = bpf_map__value_size(map);
	int fd = bpf_map__fd(map);
	__u32 key, n = bpf_map__max_entries(map);
	void *zero;
	bool ok = true;

	if (bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY)
		size = ((size + 7) & ~(size_t)7) * (size_t)libbpf_num_possible_cpus();
	zero = calloc(1, size);
	if (!zero)
		return fail("clear_array: no memory");
	for (key = 0; key < n && ok; key++)
		if (bpf_map_update_elem(fd, &key, zero, BPF_ANY))
			ok = fail("clearing %s: %s", bpf_map__name(map), strerror(errno));
	free(zero);
	return ok;
}

/*
 * The state a test leaves in an environment wiped, as if it were freshly
 * loaded with the same configuration: flows, identifiers, counters, the
 * per-subnet and in-kernel aggregation maps, events, the runtime values,
 * the injected clock. What a configuration puts in maps (filters,
 * interface slots) is the same for the same configuration and stays.
 */
static bool env_reset(struct env *e)
{
	const struct pping_tc *tc = e->tc;
	const size_t words = bpf_map__max_entries(tc->maps.sampled_flows);
	__u64 *bits;

	if (ring_buffer__consume(e->rb) < 0)
		return fail("env_reset: reading the ring buffer");
	bits = mmap(NULL, words * sizeof(*bits), PROT_READ | PROT_WRITE,
		    MAP_SHARED, e->sampled_fd, 0);
	if (bits == MAP_FAILED)
		return fail("env_reset: mmap sampled_flows: %s", strerror(errno));
	memset(bits, 0, words * sizeof(*bits));
	munmap(bits, words * sizeof(*bits));
	CHECK(clear_hash(e->flow_fd, sizeof(struct flow_key)));
	CHECK(clear_hash(e->ts_fd, sizeof(struct ts_key)));
	CHECK(clear_hash(e->subnet_fd, bpf_map__key_size(tc->maps.subnet_map)));
	CHECK(clear_hash(bpf_map__fd(tc->maps.agg_hists),
			 bpf_map__key_size(tc->maps.agg_hists)));
	CHECK(clear_hash(bpf_map__fd(tc->maps.agg_windows),
			 bpf_map__key_size(tc->maps.agg_windows)));
	CHECK(clear_hash(bpf_map__fd(tc->maps.agg_tracked),
			 bpf_map__key_size(tc->maps.agg_tracked)));
	CHECK(clear_array(tc->maps.counters));
	CHECK(clear_array(tc->maps.flow_count));
	e->tc->data->runtime = e->runtime0;
	e->n_ev = 0;
	e->ev_overflow = 0;
	e->hold_events = false;
	e->now = ENV_CLOCK_START;
	e->held_tick = 0;
	return true;
}

/*
 * Loading the programs (their verification) is most of what a unit test
 * costs, and most tests load one of a few configurations. So a fixture a
 * test is done with stays loaded, and a later fixture of the same
 * configuration gets it back, reset (env_reset). Not kept: environments
 * with map cleanup (their cleanup has state of its own), and those with
 * filters, whose configuration points at prefixes and ports a byte
 * comparison of it cannot see.
 */
#define ENV_KEPT 4

struct kept_env {
	struct env *e;
	struct env_cfg cfg;
};

static struct kept_env kept[ENV_KEPT];
static struct env *fixture;
static struct env_cfg fixture_cfg;

static void env_free(struct env *e)
{
	if (!e)
		return;
	env_close(e);
	free(e);
}

static bool keepable(const struct env_cfg *cfg)
{
	return !cfg->cleanup && !cfg->includes && !cfg->excludes && !cfg->ports;
}

static void fixture_close(void)
{
	int i;

	if (!fixture)
		return;
	if (!keepable(&fixture_cfg)) {
		env_free(fixture);
	} else {
		/* The oldest kept one makes room. */
		env_free(kept[ENV_KEPT - 1].e);
		for (i = ENV_KEPT - 1; i > 0; i--)
			kept[i] = kept[i - 1];
		kept[0].e = fixture;
		kept[0].cfg = fixture_cfg;
	}
	fixture = NULL;
}

/* A kept environment of configuration cfg, taken out of the kept ones. */
static struct env *take_kept(const struct env_cfg *cfg)
{
	struct env *e;
	int i, j;

	if (!keepable(cfg))
		return NULL;
	for (i = 0; i < ENV_KEPT; i++) {
		if (!kept[i].e || memcmp(&kept[i].cfg, cfg, sizeof(*cfg)))
			continue;
		e = kept[i].e;
		for (j = i; j < ENV_KEPT - 1; j++)
			kept[j] = kept[j + 1];
		memset(&kept[ENV_KEPT - 1], 0, sizeof(kept[0]));
		if (env_reset(e))
			return e;
		env_free(e);
		return NULL;
	}
	return NULL;
}

bool fixture_env(struct env **e, const struct env_cfg *cfg)
{
	fixture_close();
	fixture = take_kept(cfg);
	if (!fixture) {
		fixture = calloc(1, sizeof(*fixture));
		if (!fixture)
			return fail("fixture_env: no memory");
		if (!env_open(fixture, cfg)) {
			env_free(fixture);
			fixture = NULL;
			return false;
		}
	}
	fixture_cfg = *cfg;
	*e = fixture;
	return true;
}

volatile struct pping_runtime *env_runtime(struct env *e)
{
	return &e->tc->data->runtime;
}

bool env_cleanup(struct env *e, __u64 at, __u64 evict_budget,
		 struct cleanup_stats *st)
{
	struct cleanup_params p;
	int err;

	if (!e->cleaning)
		return fail("cleanup not opened in this environment");
	memset(&p, 0, sizeof(p));
	degrade_timeouts(0, &p);
	/* With now 0 the cleanup programs read the kernel's clock, which is
	 * not the one an injected-clock test stamped its entries with. */
	p.now = at ?: (e->test_clock ? e->now : 0);
	p.evict_budget = evict_budget;
	p.sampled_mask = env_runtime(e)->sampled_mask;
	err = cleanup_run(&e->cleanup, &p, st);
	if (err)
		return fail("cleanup_run: %s", strerror(-err));
	/* The closing events of the flows it removed, from the ring or, for
	 * batch, handed over directly (closing_event). */
	err = e->hold_events ? 0 : ring_buffer__consume(e->rb);
	if (err < 0)
		return fail("ring_buffer__consume: %s", strerror(-err));
	return true;
}

static const char *const flow_reasons[CLEAN_FLOW_REASONS] = {
	[CLEAN_FLOW_CLOSED] = "closed",
	[CLEAN_FLOW_HALF_CLOSED] = "half-closed",
	[CLEAN_FLOW_UNANSWERED] = "unanswered",
	[CLEAN_FLOW_IDLE] = "idle",
	[CLEAN_FLOW_EVICTED] = "evicted",
};

bool expect_flow_pass(const struct cleanup_stats *st, __u64 seen,
		      __u64 sampled, int reason, __u64 removed)
{
	char what[64];
	int r;

	if (!expect_eq("flows seen by cleanup", st->flows_seen, seen) ||
	    !expect_eq("sampled flows seen by cleanup", st->flows_sampled, sampled) ||
	    !expect_eq("cleanup deletes that failed", st->delete_failed, 0))
		return false;
	for (r = 0; r < CLEAN_FLOW_REASONS; r++) {
		snprintf(what, sizeof(what), "flows removed as %s", flow_reasons[r]);
		if (!expect_eq(what, st->flows_removed[r], r == reason ? removed : 0))
			return false;
	}
	return true;
}

bool expect_ts_pass(const struct cleanup_stats *st, __u64 seen,
		    __u64 expired, __u64 orphaned)
{
	return expect_eq("identifiers seen by cleanup", st->ts_seen, seen) &&
	       expect_eq("identifiers removed as expired",
			 st->ts_removed[CLEAN_TS_EXPIRED], expired) &&
	       expect_eq("identifiers removed as orphaned",
			 st->ts_removed[CLEAN_TS_ORPHANED], orphaned) &&
	       expect_eq("cleanup deletes that failed", st->delete_failed, 0);
}

/* ========================================================================
 * Running the programs
 * ======================================================================== */

__u32 env_tick_at(const struct env *e, __u64 t)
{
	if (e->held_tick)
		return (__u32)(e->held_tick - 1);
	return e->tick_ns ? (__u32)(t / e->tick_ns) : 0;
}

void env_hold_tick(struct env *e, bool hold)
{
	e->held_tick = 0;
	if (hold)
		e->held_tick = 1 + env_tick_at(e, e->now);
}

/* The injected time and jiffy in front of an XDP packet, as its
 * metadata. */
struct xdp_timed_pkt {
	__u64 now;
	__u64 tick;   /* read with the tick clock only */
	__u8 data[PKT_MAX];
};

bool run_prog(struct env *e, struct bpf_program *prog, const char *name,
	      const struct pkt *p, __u32 want_ret, struct __sk_buff *skb_ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = p->data,
		.data_size_in = (__u32)p->len,
		.ctx_in = skb_ctx,
		.ctx_size_in = skb_ctx ? sizeof(*skb_ctx) : 0,
		.repeat = 1,
	);
	struct __sk_buff timed_skb;
	struct xdp_timed_pkt timed_xdp;
	struct xdp_md xdp_ctx;
	int err, n;

	if (!prog)
		return fail("%s: program not loaded in this environment", name);
	if (e->test_clock && bpf_program__type(prog) == BPF_PROG_TYPE_XDP) {
		/* ctx_in.data is the metadata's length: BPF_PROG_TEST_RUN
		 * puts that much of data_in in front of data. */
		timed_xdp.now = e->now;
		timed_xdp.tick = env_tick_at(e, e->now);
		memcpy(timed_xdp.data, p->data, p->len);
		memset(&xdp_ctx, 0, sizeof(xdp_ctx));
		xdp_ctx.data = offsetof(struct xdp_timed_pkt, data);
		xdp_ctx.data_end = xdp_ctx.data + (__u32)p->len;
		opts.data_in = &timed_xdp;
		opts.data_size_in = xdp_ctx.data_end;
		opts.ctx_in = &xdp_ctx;
		opts.ctx_size_in = sizeof(xdp_ctx);
	} else if (e->test_clock && !skb_ctx) {
		memset(&timed_skb, 0, sizeof(timed_skb));
		timed_skb.tstamp = e->now;
		timed_skb.cb[2] = env_tick_at(e, e->now);
		opts.ctx_in = &timed_skb;
		opts.ctx_size_in = sizeof(timed_skb);
	} else if (e->tick_ns && skb_ctx) {
		/* The caller's time, and the jiffy of it. */
		timed_skb = *skb_ctx;
		timed_skb.cb[2] = env_tick_at(e, skb_ctx->tstamp);
		opts.ctx_in = &timed_skb;
	}
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

bool egress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->tc ? e->tc->progs.pping_tc_egress : NULL,
			"pping_tc_egress", p, TC_ACT_UNSPEC_RET, NULL);
}

bool ingress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->tc ? e->tc->progs.pping_tc_ingress : NULL,
			"pping_tc_ingress", p, TC_ACT_UNSPEC_RET, NULL);
}

bool xdp_ingress(struct env *e, const struct pkt *p)
{
	return run_prog(e, e->xdp ? e->xdp->progs.pping_xdp_ingress : NULL,
			"pping_xdp_ingress", p, XDP_PASS, NULL);
}

bool tc_hook(struct env *e, int dir, const struct pkt *p)
{
	return dir == PPING_DIR_OUT ? egress(e, p) : ingress(e, p);
}

/* ========================================================================
 * Connections and packets
 * ======================================================================== */

const struct tuple T4 = { 4, "10.0.0.1", "10.0.0.2", 40000, 80 };
const struct tuple T6 = { 6, "fd00::1", "fd00::2", 40001, 443 };
const struct tuple T4B = { 4, "10.0.0.1", "10.0.0.2", 40002, 80 };

struct tuple t4_port(__u16 lport)
{
	struct tuple t = T4;

	t.lport = lport;
	return t;
}

void add_ip(struct pkt *p, const struct tuple *t, int dir, __u8 proto)
{
	const char *src = dir == PPING_DIR_OUT ? t->local : t->remote;
	const char *dst = dir == PPING_DIR_OUT ? t->remote : t->local;

	if (t->ipv == 4)
		pkt_ipv4(p, src, dst, proto);
	else
		pkt_ipv6(p, src, dst, proto);
}

void add_tcp(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
	     const struct tcp_opts *o, size_t payload)
{
	__u16 sport = dir == PPING_DIR_OUT ? t->lport : t->rport;
	__u16 dport = dir == PPING_DIR_OUT ? t->rport : t->lport;

	pkt_tcp(p, sport, dport, flags, o);
	pkt_payload(p, payload);
	pkt_finish(p);
}

void l2_header(struct pkt *p, const struct tuple *t)
{
	pkt_eth(p, t->ipv == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6);
}

void build_opts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
		const struct tcp_opts *o, size_t payload)
{
	pkt_init(p);
	l2_header(p, t);
	add_ip(p, t, dir, PKT_IPPROTO_TCP);
	add_tcp(p, t, dir, flags, o, payload);
}

void build_ts(struct pkt *p, const struct tuple *t, int dir, __u8 flags,
	      __u32 tsval, __u32 tsecr, size_t payload)
{
	struct tcp_opts o;

	ts_opts(&o, tsval, tsecr);
	build_opts(p, t, dir, flags, &o, payload);
}

void build_ts_l3(struct pkt *p, const struct tuple *t, int dir,
		 __u8 flags, __u32 tsval, __u32 tsecr, size_t payload)
{
	struct tcp_opts o;

	ts_opts(&o, tsval, tsecr);
	pkt_init(p);
	add_ip(p, t, dir, PKT_IPPROTO_TCP);
	add_tcp(p, t, dir, flags, &o, payload);
}

void build_not_tcp(struct pkt *p, const struct tuple *t, int dir, __u8 proto,
		   size_t payload)
{
	pkt_init(p);
	l2_header(p, t);
	add_ip(p, t, dir, proto);
	if (proto == PKT_IPPROTO_UDP)
		pkt_udp(p, dir == PPING_DIR_OUT ? t->lport : t->rport,
			dir == PPING_DIR_OUT ? t->rport : t->lport);
	else
		pkt_icmp_echo(p, proto == PKT_IPPROTO_ICMP ? 8 : 128);
	pkt_payload(p, payload);
	pkt_finish(p);
}

bool tc_ts(struct env *e, const struct tuple *t, int dir, __u8 flags,
	   __u32 tsval, __u32 tsecr, size_t payload)
{
	struct pkt p;

	build_ts(&p, t, dir, flags, tsval, tsecr, payload);
	return tc_hook(e, dir, &p);
}

bool send_data(struct env *e, const struct tuple *t, __u32 tsval)
{
	return tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, tsval, 0, 100);
}

bool ack_echo(struct env *e, const struct tuple *t, __u32 tsecr)
{
	return tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 7000 + tsecr, tsecr, 0);
}

bool run_cases(const struct pkt_case *cases, size_t n,
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

bool expect_one_pkt(struct env **e, const struct env_cfg *cfg, unsigned int runs,
		    const struct pkt *p, enum pkt_verdict verdict)
{
	static const char *const hook_names[PPING_HOOK_MAX] = {
		[PPING_HOOK_EGRESS] = "egress", [PPING_HOOK_INGRESS] = "ingress",
	};
	struct pping_counters c;
	bool stored = verdict == TIMESTAMPED;
	bool untimed_flow = verdict == TCP_NO_TS && cfg->tcp_method != PPING_TCP_TS;
	char what[32];
	int h;

	CHECK(fixture_env(e, cfg));
	CHECK(!(runs & RUN_EGRESS) || egress(*e, p));
	CHECK(!(runs & RUN_INGRESS) || ingress(*e, p));
	CHECK(!(runs & RUN_XDP) || xdp_ingress(*e, p));
	CHECK(read_counters(*e, &c));
	for (h = 0; h < PPING_HOOK_MAX; h++) {
		if (!(runs & (h == PPING_HOOK_EGRESS ? RUN_EGRESS : RUN_INGRESS | RUN_XDP)))
			continue;
		snprintf(what, sizeof(what), "pkts[%s]", hook_names[h]);
		CHECK(expect_eq(what, c.pkts[h], 1));
		snprintf(what, sizeof(what), "tcp[%s]", hook_names[h]);
		CHECK(expect_eq(what, c.tcp[h], verdict != NOT_TCP));
		snprintf(what, sizeof(what), "tcp_no_ts[%s]", hook_names[h]);
		CHECK(expect_eq(what, c.tcp_no_ts[h], verdict == TCP_NO_TS));
	}
	CHECK(expect_eq("ts_created", c.ts_created, stored));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 0));
	if (untimed_flow) {
		/* Measured by SEQ/ACK: a flow (and its opening) may appear,
		 * never a timestamp identifier. */
		CHECK(expect_map_sizes(*e, c.flows_opened, 0));
		return expect_eq("events", (*e)->n_ev, c.flows_opened);
	}
	CHECK(expect_eq("flows_opened", c.flows_opened, stored));
	CHECK(expect_map_sizes(*e, stored, stored));
	return stored || expect_eq("events", (*e)->n_ev, 0);
}

/* ========================================================================
 * Looking at the state the programs left
 * ======================================================================== */

struct flow_key tuple_key(const struct tuple *t)
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

/* The slot of fs holding TSval tsval sent in direction dir, or NULL. */
static const struct id_slot *ts_slot_of(const struct flow_state *fs,
					__u32 tsval, __u8 dir)
{
	const struct id_slot *s;
	int i;

	for (i = 0; i < PPING_ID_SLOTS; i++) {
		s = &fs->dir[dir & 1].ids[i];
		if (s->sent > PPING_ID_SLOT_BUSY && (s->tag_ago & PPING_ID_SLOT_TS) &&
		    s->id == tsval)
			return s;
	}
	return NULL;
}

/* TSval identifiers held in flow slots, over all flows. */
static int ts_slots_used(struct env *e)
{
	struct flow_key k, next, *prev = NULL;
	struct flow_state fs;
	int d, i, n = 0;

	while (bpf_map_get_next_key(e->flow_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(e->flow_fd, &k, &fs))
			continue;
		for (d = 0; d < PPING_DIR_MAX; d++)
			for (i = 0; i < PPING_ID_SLOTS; i++)
				n += fs.dir[d].ids[i].sent > PPING_ID_SLOT_BUSY &&
				     (fs.dir[d].ids[i].tag_ago & PPING_ID_SLOT_TS);
	}
	return n;
}

/*
 * An outstanding TSval identifier, in the flow's slots or in ts_map: its
 * send time and burst into *v.
 */
bool ts_find(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir,
	     struct ts_value *v)
{
	const struct id_slot *slot;
	struct flow_state fs;
	struct ts_key k;

	if (flow_lookup(e, t, &fs) && (slot = ts_slot_of(&fs, tsval, dir))) {
		v->sent = slot->sent;
		v->burst = pping_id_slot_burst(slot->sent, slot->tag_ago);
		return true;
	}
	memset(&k, 0, sizeof(k));
	k.flow = tuple_key(t);
	k.tsval = tsval;
	k.dir = dir;
	return bpf_map_lookup_elem(e->ts_fd, &k, v) == 0;
}

bool ts_lookup(struct env *e, const struct tuple *t, __u32 tsval,
	       __u8 dir, __u64 *sent_at)
{
	struct ts_value v;

	if (!ts_find(e, t, tsval, dir, &v))
		return false;
	if (sent_at)
		*sent_at = v.sent;
	return true;
}

bool expect_ts(struct env *e, const struct tuple *t, __u32 tsval, __u8 dir)
{
	if (ts_lookup(e, t, tsval, dir, NULL))
		return true;
	return fail("no identifier for TSval 0x%x dir %u", tsval, dir);
}

bool expect_no_ts(struct env *e, const struct tuple *t, __u32 tsval,
		  __u8 dir)
{
	if (!ts_lookup(e, t, tsval, dir, NULL))
		return true;
	return fail("unexpected identifier for TSval 0x%x dir %u", tsval, dir);
}

bool flow_lookup(struct env *e, const struct tuple *t,
		 struct flow_state *fs)
{
	struct flow_key k = tuple_key(t);

	return bpf_map_lookup_elem(e->flow_fd, &k, fs) == 0;
}

bool flow_store(struct env *e, const struct tuple *t,
		const struct flow_state *fs)
{
	struct flow_key k = tuple_key(t);

	if (bpf_map_update_elem(e->flow_fd, &k, fs, BPF_EXIST))
		return fail("updating the flow of port %u: %s", t->lport,
			    strerror(errno));
	return true;
}

int map_entries(int fd, size_t key_size)
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

bool expect_map_sizes(struct env *e, int flows, int timestamps)
{
	return expect_eq("entries in flow_map",
			 map_entries(e->flow_fd, sizeof(struct flow_key)), flows) &&
	       expect_eq("identifiers in flow slots and ts_map",
			 map_entries(e->ts_fd, sizeof(struct ts_key)) +
			 ts_slots_used(e), timestamps);
}

bool read_counters(struct env *e, struct pping_counters *c)
{
	int err = counters_read(e->counters_fd, c);

	if (err)
		return fail("reading the counters: %s", strerror(-err));
	return true;
}

bool read_flow_count(struct env *e, __s64 *n)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(e->flow_count_fd, &zero, n))
		return fail("reading flow_count: %s", strerror(errno));
	return true;
}

int count_events(const struct env *e, __u8 type)
{
	int i, n = 0;

	for (i = 0; i < e->n_ev; i++)
		n += e->ev[i].type == type;
	return n;
}

const struct pping_event *one_event(const struct env *e, __u8 type)
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

bool expect_flow_key(const char *what, const struct flow_key *got,
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

bool expect_flow_event(const struct pping_event *ev, __u8 what,
		       __u8 reason, __u8 dir, const struct tuple *t)
{
	return expect_eq("flow event kind", ev->flow_event, what) &&
	       expect_eq("flow event reason", ev->reason, reason) &&
	       expect_eq("flow event dir", ev->dir, dir) &&
	       expect_flow_key("flow event", &ev->flow, t);
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);   /* bpf_ktime_get_ns' clock */
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 env_now(const struct env *e)
{
	return e->test_clock ? e->now : now_ns();
}

static void need_test_clock(const struct env *e, const char *what)
{
	if (e->test_clock)
		return;
	fprintf(stderr, "%s: the environment has no injected clock (env_cfg.test_clock)\n",
		what);
	abort();
}

void env_set_time(struct env *e, __u64 t)
{
	need_test_clock(e, "env_set_time");
	e->now = t;
}

void env_advance(struct env *e, __u64 dt)
{
	need_test_clock(e, "env_advance");
	e->now += dt;
}

/* ========================================================================
 * main
 * ======================================================================== */

/* The groups in the order they run (and print). */
static const struct {
	const struct test *tests;
	const size_t *n;
	bool per_mech;   /* once per cleanup mechanism */
} groups[] = {
#define GROUP(g) { g##_tests, &g##_tests_count, false },
#define GROUP_PER_MECH(g) { g##_tests, &g##_tests_count, true },
#include "groups.h"
#undef GROUP
#undef GROUP_PER_MECH
};

enum cleanup_mech harness_cleanup_mech = CLEANUP_AUTO;

/* Which cleanup mechanisms this kernel runs, probed once: why[m] is the
 * refusal, empty if allowed. */
static char mech_refused[CLEANUP_MECHS][200];

static void probe_mechs(void)
{
	int m;

	for (m = CLEANUP_AUTO + 1; m < CLEANUP_MECHS; m++)
		cleanup_probe((enum cleanup_mech)m, mech_refused[m],
			      sizeof(mech_refused[m]));
}

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

/* Run one test under name if selected; false if it failed. */
static bool run_test(const struct test *t, const char *name, int argc,
		     char **argv)
{
	bool ok;

	if (!selected(name, argc, argv))
		return true;
	fail_msg[0] = skip_msg[0] = 0;
	ok = t->fn();
	fixture_close();
	if (ok && skip_msg[0]) {
		printf("SKIP %s: kernel refused %s\n", name, skip_msg);
		return true;
	}
	if (ok) {
		printf("PASS %s\n", name);
		return true;
	}
	printf("FAIL %s: %s\n", name, fail_msg[0] ? fail_msg : "(no message)");
	return false;
}

/*
 * A test of a per-mechanism group runs once with each cleanup mechanism,
 * as name[mechanism]. A mechanism the kernel refuses is a SKIP that names
 * the refusal.
 */
static bool run_per_mech(const struct test *t, int argc, char **argv)
{
	char name[160];
	bool ok = true;
	int m;

	for (m = CLEANUP_AUTO + 1; m < CLEANUP_MECHS; m++) {
		snprintf(name, sizeof(name), "%s[%s]", t->name,
			 cleanup_mech_name((enum cleanup_mech)m));
		if (!selected(name, argc, argv))
			continue;
		if (mech_refused[m][0]) {
			printf("SKIP %s: kernel refused %s: %s\n", name,
			       cleanup_mech_name((enum cleanup_mech)m),
			       mech_refused[m]);
			continue;
		}
		harness_cleanup_mech = (enum cleanup_mech)m;
		ok &= run_test(t, name, argc, argv);
	}
	harness_cleanup_mech = CLEANUP_AUTO;
	return ok;
}

int main(int argc, char **argv)
{
	const char *verbose = getenv("PPING_TEST_VERBOSE");
	bool all_ok = true;
	size_t g, i;

	libbpf_set_print(verbose && *verbose ? libbpf_print : libbpf_quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);
	probe_mechs();

	for (g = 0; g < ARRAY_SIZE(groups); g++)
		for (i = 0; i < *groups[g].n; i++) {
			const struct test *t = &groups[g].tests[i];

			all_ok &= groups[g].per_mech ? run_per_mech(t, argc, argv) :
				  run_test(t, t->name, argc, argv);
		}
	return all_ok ? 0 : 1;
}
