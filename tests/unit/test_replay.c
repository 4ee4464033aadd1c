// SPDX-License-Identifier: GPL-2.0
/*
 * Replay (--read): with rodata replay set, the tc programs take the time
 * from __sk_buff.tstamp and the length from wire_len, as the daemon passes
 * a captured packet's timestamp and original length. Without it they must
 * ignore both (live traffic may carry any tstamp). The unit tests' injected
 * clock (rodata test_clock) takes the time from tstamp as well, and only
 * the time.
 */
#include <errno.h>
#include <string.h>
#include "harness.h"
#include "counters.h"
#include "loader.h"
#include "replay_pool.h"
#include "pping_tc.skel.h"

/* A capture time well away from the monotonic clock of the test run. */
#define CAPTURE_T0 1795000000123456789ULL
#define REPLY_AFTER 12345678ULL   /* ns, not a multiple of any clock tick */
#define FRAME_LEN_ON_WIRE 9014U  /* a jumbo frame cut to its headers */

static const struct env_cfg CFG_TC_REPLAY = { .tc = true, .replay = true };
static const struct env_cfg CFG_TC_CLOCK = { .tc = true, .test_clock = true };

static bool egress_at(struct env *e, const struct pkt *p, __u64 t, __u32 wire)
{
	struct __sk_buff ctx = { .tstamp = t, .wire_len = wire };

	return run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress", p,
			TC_ACT_UNSPEC_RET, &ctx);
}

/*
 * A BIG TCP super-packet in a capture: IP length 0 and an original length
 * above what a test run's wire_len may carry, which the daemon passes in
 * cb[0]. It is parsed as TCP by that length (an identifier, bytes counted
 * in full); without the length it is not TCP at all.
 */
static bool test_replay_big_tcp(void)
{
	const __u32 big = 3 * PPING_TEST_RUN_WIRE_LEN_MAX;
	struct __sk_buff ctx = { .tstamp = CAPTURE_T0,
				 .wire_len = PPING_TEST_RUN_WIRE_LEN_MAX,
				 .cb = { big } };
	struct pping_counters c;
	struct flow_state fs;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC_REPLAY));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	p.data[p.l3_off + 2] = p.data[p.l3_off + 3] = 0;   /* IPv4 total length 0 */
	CHECK(run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress", &p,
		       TC_ACT_UNSPEC_RET, &ctx));
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("bytes out", fs.dir[PPING_DIR_OUT].bytes, big));
	CHECK(expect_ts(e, &T4, 1000, PPING_DIR_OUT));
	/* The same packet with its length capped, as before: not TCP. */
	ctx.cb[0] = 0;
	build_ts(&p, &T4B, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	p.data[p.l3_off + 2] = p.data[p.l3_off + 3] = 0;
	CHECK(run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress", &p,
		       TC_ACT_UNSPEC_RET, &ctx));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("TCP segments on egress", c.tcp[PPING_HOOK_EGRESS], 1));
	return true;
}

static bool ingress_at(struct env *e, const struct pkt *p, __u64 t)
{
	struct __sk_buff ctx = { .tstamp = t };

	return run_prog(e, e->tc->progs.pping_tc_ingress, "pping_tc_ingress", p,
			TC_ACT_UNSPEC_RET, &ctx);
}

/* The RTT is the difference of the two capture times, to the ns, and the
 * event carries the reply's capture time. */
static bool test_replay_capture_time(void)
{
	const struct pping_event *ev;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC_REPLAY));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	CHECK(egress_at(e, &p, CAPTURE_T0, 0));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5000, 1000, 0);
	CHECK(ingress_at(e, &p, CAPTURE_T0 + REPLY_AFTER));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, REPLY_AFTER));
	CHECK(expect_eq("event time", ev->time_ns, CAPTURE_T0 + REPLY_AFTER));
	return true;
}

/* Bytes count the packet's original length, not the bytes handed over. */
static bool test_replay_wire_len(void)
{
	struct flow_state fs;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC_REPLAY));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	CHECK(expect(p.len < FRAME_LEN_ON_WIRE, "test frame too long"));
	CHECK(egress_at(e, &p, CAPTURE_T0, FRAME_LEN_ON_WIRE));
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("bytes out", fs.dir[PPING_DIR_OUT].bytes, FRAME_LEN_ON_WIRE));
	CHECK(expect_eq("packets out", fs.dir[PPING_DIR_OUT].pkts, 1));
	return true;
}

/* The injected clock: time from tstamp, but bytes are the bytes handed
 * over, as live. */
static bool test_clock_takes_only_time(void)
{
	const struct pping_event *ev;
	struct flow_state fs;
	__u64 sent_at = 0;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC_CLOCK));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	CHECK(egress_at(e, &p, CAPTURE_T0, FRAME_LEN_ON_WIRE));
	CHECK(expect(ts_lookup(e, &T4, 1000, PPING_DIR_OUT, &sent_at),
		     "data segment not timestamped"));
	CHECK(expect_eq("identifier time", sent_at, CAPTURE_T0));
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("bytes out", fs.dir[PPING_DIR_OUT].bytes, p.len));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5000, 1000, 0);
	CHECK(ingress_at(e, &p, CAPTURE_T0 + REPLY_AFTER));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("rtt", ev->rtt, REPLY_AFTER));
	return true;
}

/* Live: a tstamp in the context (EDT on egress, for one) is not the clock. */
static bool test_live_ignores_tstamp(void)
{
	const struct pping_event *ev;
	struct env *e;
	struct pkt p;
	__u64 before = now_ns();

	CHECK(fixture_env(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100);
	CHECK(egress_at(e, &p, CAPTURE_T0, 0));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5000, 1000, 0);
	CHECK(ingress_at(e, &p, CAPTURE_T0 + REPLY_AFTER));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect(ev->rtt != REPLY_AFTER, "live run took the RTT from tstamp"));
	CHECK(expect(ev->time_ns >= before && ev->time_ns <= now_ns(),
		     "event time %llu is not the kernel clock",
		     (unsigned long long)ev->time_ns));
	return true;
}

/*
 * --threads: both directions of a flow go to the same worker (TCP by
 * addresses and ports, ICMP by addresses and echo id), and flows that
 * differ only in a port spread over the workers.
 */
static bool test_replay_flow_worker(void)
{
	const struct tuple *ts[] = { &T4, &T6 };
	struct tuple t;
	struct pkt out, in;
	__u32 n, w, seen, i, k;

	for (n = 2; n <= 8; n++) {
		for (k = 0; k < 2; k++) {
			seen = 0;
			for (i = 0; i < 64; i++) {
				t = *ts[k];
				t.lport = (__u16)(40000 + i);
				build_ts(&out, &t, PPING_DIR_OUT, TCPF_ACK, 1, 0, 10);
				build_ts(&in, &t, PPING_DIR_IN, TCPF_ACK, 2, 1, 0);
				w = replay_flow_worker(out.data, out.len, n);
				CHECK(expect(w < n, "worker %u of %u", w, n));
				CHECK(expect_eq("worker of the reply",
						replay_flow_worker(in.data, in.len, n), w));
				seen |= 1U << w;
				build_not_tcp(&out, &t, PPING_DIR_OUT, k ? PKT_IPPROTO_ICMPV6 :
					      PKT_IPPROTO_ICMP, 8);
				build_not_tcp(&in, &t, PPING_DIR_IN, k ? PKT_IPPROTO_ICMPV6 :
					      PKT_IPPROTO_ICMP, 8);
				CHECK(expect_eq("worker of the echo reply",
						replay_flow_worker(in.data, in.len, n),
						replay_flow_worker(out.data, out.len, n)));
			}
			CHECK(expect_eq("workers used by 64 flows", seen, (1U << n) - 1));
		}
	}
	/* An IPv6 segment with extension headers and its reply without: the
	 * ports past the chain still count, so both find one worker. */
	for (i = 0; i < 16; i++) {
		t = T6;
		t.lport = (__u16)(41000 + i);
		pkt_init(&out);
		pkt_eth(&out, PKT_ETH_P_IPV6);
		pkt_ipv6(&out, t.local, t.remote, PKT_IPPROTO_HOPOPTS);
		pkt_ipv6_ext(&out, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_DSTOPTS, 8);
		pkt_ipv6_ext(&out, PKT_IPPROTO_DSTOPTS, PKT_IPPROTO_TCP, 16);
		pkt_tcp(&out, t.lport, t.rport, TCPF_ACK, NULL);
		pkt_finish(&out);
		build_ts(&in, &t, PPING_DIR_IN, TCPF_ACK, 2, 1, 0);
		CHECK(expect_eq("worker of the reply to an extension chain",
				replay_flow_worker(in.data, in.len, 7),
				replay_flow_worker(out.data, out.len, 7)));
	}
	CHECK(expect_eq("one worker", replay_flow_worker(out.data, out.len, 1), 0));
	CHECK(expect_eq("a runt frame", replay_flow_worker(out.data, 10, 4), 0));
	return true;
}

/* ---- XDP test runs against tc ones --------------------------------------- */

#define RUNS_MAX_EVENTS 256

struct runs {
	struct pping_bpf b;
	struct ring_buffer *rb;
	struct pping_event ev[RUNS_MAX_EVENTS];
	int n_ev;
};

static int runs_event(void *ctx, void *data, size_t size)
{
	struct runs *r = ctx;

	if (size >= sizeof(struct pping_event) && r->n_ev < RUNS_MAX_EVENTS)
		memcpy(&r->ev[r->n_ev++], data, sizeof(struct pping_event));
	return 0;
}

static bool runs_open(struct runs *r, bool xdp, bool refuse)
{
	struct datapath_config cfg = {
		.has_l2 = true,
		.replay = true,
		.replay_xdp = xdp,
		.refuse_replay_xdp = refuse,
		.sampling = PPING_RUNTIME_DEFAULTS,
	};
	int err;

	memset(r, 0, sizeof(*r));
	cfg.sampling.rate_limit_ns = 0;
	err = pping_bpf_load(&r->b, &cfg);
	if (err)
		return fail("pping_bpf_load: %s", strerror(-err));
	r->rb = ring_buffer__new(bpf_map__fd(r->b.tc->maps.events), runs_event, r, NULL);
	return r->rb || fail("ring_buffer__new: %s", strerror(errno));
}

static void runs_close(struct runs *r)
{
	ring_buffer__free(r->rb);
	pping_bpf_destroy(&r->b);
}

/* A packet of the scenario as the capture reader gives it. */
static void capture_of(struct capture_pkt *c, const struct pkt *p, __u8 dir,
		       __u64 t, __u32 big_len)
{
	memset(c, 0, sizeof(*c));
	c->time_ns = t;
	c->data_len = (__u32)p->len;
	c->wire_len = big_len ? PPING_TEST_RUN_WIRE_LEN_MAX : (__u32)p->len;
	c->big_len = big_len;
	c->dir = dir;
	memcpy(c->frame, p->data, p->len);
}

/*
 * Both families, a BIG TCP super-packet, a closing FIN: identifiers, RTT
 * samples, a flow opened and closed, through one datapath's runner (its
 * XDP program, or its tc programs: tc_runs after a refusal, else tc's).
 */
static bool run_scenario(struct runs *r)
{
	const struct tuple *flows[] = { &T4, &T6 };
	struct capture_pkt c;
	__u32 seq = 0, k;
	struct pkt p;
	int err = 0, f;
	const struct pping_tc *tc = r->b.tc_runs ? r->b.tc_runs : r->b.tc;

	for (k = 0; k < 6 && !err; k++)
		for (f = 0; f < 2 && !err; f++) {
			__u64 t = CAPTURE_T0 + k * 10000000ULL + (__u64)f * 1000;
			__u32 big = k == 3 ? 3 * PPING_TEST_RUN_WIRE_LEN_MAX : 0;
			__u8 flags = k == 5 ? TCPF_ACK | TCPF_FIN : TCPF_ACK | TCPF_PSH;

			build_ts(&p, flows[f], PPING_DIR_OUT, flags, 1000 + k, 1, 100);
			if (big && flows[f]->ipv == 4)
				p.data[p.l3_off + 2] = p.data[p.l3_off + 3] = 0;
			capture_of(&c, &p, PPING_DIR_OUT, t, flows[f]->ipv == 4 ? big : 0);
			err = r->b.replay_xdp_fd >= 0 ?
			      replay_test_run_xdp(r->b.replay_xdp_fd, &c, ++seq) :
			      replay_test_run(bpf_program__fd(tc->progs.pping_tc_egress), &c, ++seq);
			if (err)
				break;
			build_ts(&p, flows[f], PPING_DIR_IN, TCPF_ACK, 5000 + k, 1000 + k, 0);
			capture_of(&c, &p, PPING_DIR_IN, t + REPLY_AFTER + k, 0);
			err = r->b.replay_xdp_fd >= 0 ?
			      replay_test_run_xdp(r->b.replay_xdp_fd, &c, ++seq) :
			      replay_test_run(bpf_program__fd(tc->progs.pping_tc_ingress), &c, ++seq);
		}
	if (err)
		return fail("test run: %s", strerror(-err));
	if (ring_buffer__consume(r->rb) < 0)
		return fail("reading the ring buffer");
	return true;
}

static bool same_runs(const char *what, struct runs *a, struct runs *b)
{
	struct pping_counters ca, cb;
	int i;

	CHECK(expect(a->n_ev == b->n_ev, "%s: %d events against %d", what,
		     a->n_ev, b->n_ev));
	for (i = 0; i < a->n_ev; i++)
		CHECK(expect(!memcmp(&a->ev[i], &b->ev[i], sizeof(a->ev[i])),
			     "%s: event %d differs (type %u, rtt %llu against %llu)",
			     what, i, a->ev[i].type, (unsigned long long)a->ev[i].rtt,
			     (unsigned long long)b->ev[i].rtt));
	CHECK(!counters_read(bpf_map__fd(a->b.tc->maps.counters), &ca) &&
	      !counters_read(bpf_map__fd(b->b.tc->maps.counters), &cb));
	CHECK(expect(!memcmp(&ca, &cb, sizeof(ca)), "%s: counters differ", what));
	return true;
}

static bool xdp_runs_as_tc(struct runs *x, struct runs *t, struct runs *f)
{
	struct pping_counters c;
	int rtts = 0, i;

	CHECK(runs_open(x, true, false) && runs_open(t, false, false) &&
	      runs_open(f, true, true));
	CHECK(expect(x->b.replay_xdp_fd >= 0, "XDP test runs refused here: %s",
		     strerror(-x->b.replay_xdp_err)));
	CHECK(expect(bpf_program__fd(x->b.tc->progs.pping_tc_egress) < 0 && !x->b.tc_runs,
		     "tc programs loaded for a replay by XDP runs"));
	CHECK(expect(f->b.replay_xdp_fd < 0 && f->b.replay_xdp_err < 0 && f->b.tc_runs,
		     "the refusal left no tc programs to fall back on"));
	CHECK(run_scenario(x) && run_scenario(t) && run_scenario(f));
	for (i = 0; i < x->n_ev; i++)
		rtts += x->ev[i].type == PPING_EVENT_RTT;
	CHECK(expect_eq("RTT events", rtts, 12));
	CHECK(!counters_read(bpf_map__fd(x->b.tc->maps.counters), &c));
	CHECK(expect_eq("flows closed", c.flows_closed, 2));
	CHECK(expect_eq("TCP segments egress", c.tcp[PPING_HOOK_EGRESS], 12));
	CHECK(same_runs("XDP runs against tc runs", x, t));
	CHECK(same_runs("the tc fallback against tc runs", f, t));
	return true;
}

/*
 * The replay's XDP entry point does what the tc programs do with the same
 * packets: byte-identical events and counters over both families, BIG
 * TCP, samples and a closing; a replay by XDP runs loads no tc program;
 * and where XDP runs are refused (forced here) the tc programs of a second
 * object on the same maps do the same again.
 */
static bool test_replay_xdp_runs_as_tc(void)
{
	static struct runs x, t, f;
	bool ok = xdp_runs_as_tc(&x, &t, &f);

	runs_close(&x);
	runs_close(&t);
	runs_close(&f);
	return ok;
}

DEFINE_TESTS(replay,
	{ "replay_flow_worker", test_replay_flow_worker },
	{ "replay_capture_time", test_replay_capture_time },
	{ "replay_wire_len", test_replay_wire_len },
	{ "replay_big_tcp", test_replay_big_tcp },
	{ "replay_xdp_runs_as_tc", test_replay_xdp_runs_as_tc },
	{ "test_clock_takes_only_time", test_clock_takes_only_time },
	{ "live_ignores_tstamp", test_live_ignores_tstamp }
);
