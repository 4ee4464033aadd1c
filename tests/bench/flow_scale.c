// SPDX-License-Identifier: GPL-2.0
/*
 * Flow scale: what N concurrent flows cost pping, in kernel memory and in
 * time per packet, for N = 1k, 100k and 1M by default.
 *
 * For each N the tc object is loaded as `pping --max-flows N` loads it
 * (pping_bpf_load: flow map and sampled-flows bitmap sized from N, the
 * other maps at their defaults), so the memory reported is what the
 * daemon would take. Then N distinct IPv4 TCP flows with the
 * timestamp option go through the programs with BPF_PROG_TEST_RUN, one
 * packet per run, in phases:
 *
 *   new        one egress data segment per flow: creates the flow entry,
 *              an identifier and an opening event;
 *   reply      one ingress ACK per flow echoing that TSval: a match, the
 *              identifier deleted, an RTT event;
 *   steady     ROUNDS rounds of the same, each with a new TSval: an egress
 *              pass over all flows, then an ingress pass echoing it.
 *
 * Every pass walks all N flows in turn, so between two packets of one flow
 * come N - 1 packets of others: the working set is N flows, cache-cold at
 * large N as on a busy router. A steady round over N flows takes about N
 * test runs of time (about 1 us each): under pping's default rate limit
 * of 100 ms a round of 1k flows is all lookups (rate limited), a round of
 * 100k or 1M flows takes longer than 100 ms and every flow takes a new
 * identifier again. So each N runs three times: at 100 ms; at 0 (every
 * new TSval an identifier, the most work); and at 60 s, the longest
 * --rate-limit, where every steady egress packet is rate limited and every
 * steady reply a lookup that misses: the lookup-only path at any N. The
 * counters table says what the datapath did in each case. Rows that did
 * the same work (100 ms and 0 at large N) show the machine's noise.
 *
 * Times per packet: "kern" is the run time the kernel reports for the
 * program (opts.duration, the run alone), "wall" the wall time of the loop
 * of test-run syscalls divided by the runs (building the sk_buff, copying
 * the packet in, the syscall). The no-op floor is the same loop over the
 * same data segments through a two-instruction tc program that returns
 * TC_ACT_UNSPEC like pping: kern minus its kern is pping's own cost.
 * The ring buffer is drained between chunks of runs, outside the timed
 * part, so it never fills (events lost are counted anyway).
 *
 * -a adds the cost of an RTT sample under -a, both ways (at the first
 * FLOWS, --rate-limit 0, so every reply is a sample, all of one /24):
 * "events", the datapath sending each sample through the ring buffer and
 * the daemon's aggregate_rtt adding it; "kernel", the datapath adding it
 * to its histograms (bpf/aggregate.bpf.h) and the daemon's
 * agg_kernel_read taking them after each pass. Datapath: kern ns per
 * steady reply, each a match and a sample. Userspace: wall time of the
 * ring buffer reads (events) or of the histogram reads (kernel), per
 * sample.
 *
 * -p loads the flow map without preallocation (BPF_F_NO_PREALLOC): entries
 * are allocated as flows come and freed as they go, so the memory is the
 * flows' own, and an insert costs an allocation.
 *
 * -m puts every TSval identifier in the identifier map (ts_map), none in
 * the flows' slots, with the map sized N: the path of identifiers that
 * find both slots taken. -P preallocates the identifier map, which
 * otherwise allocates its entries as identifiers come: -m beside -m -P is
 * what that choice costs an identifier.
 *
 * -c compares the tick clock (bpf/clock.bpf.h: most packets read no
 * clock) with the exact clock on every packet: at the first FLOWS and
 * the 60 s rate limit, the lookup-only path, interleaved runs of each.
 *
 * Usage: bench_flow_scale [-a] [-c] [-m] [-p] [-P] [-r ROUNDS] [FLOWS...]
 *        (default 2 steady rounds; 1000 100000 1000000 flows). Needs root.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agg_kernel.h"
#include "aggregate.h"
#include "counters.h"
#include "loader.h"
#include "median.h"
#include "pping_tc.skel.h"
#include "packets.h"

/* -p: every run's flow map without preallocation */
static bool no_prealloc;
/* -P: the identifier map preallocated; -m: every TSval identifier in it */
static bool ts_prealloc, ts_map_only;
/* -c: the run being timed reads the exact clock for every packet */
static bool exact_clock;

#define MS 1000000ULL
#define RATE_LIMIT_DEFAULT (100 * MS)   /* pping's --rate-limit default */
#define RATE_LIMIT_MAX (60000 * MS)     /* the longest --rate-limit */
#define MEM_TARGET (192ULL << 20)       /* issue 18's bound for 1M flows */
/* Both directions' identifier slots of a flow entry */
#define SLOTS_BYTES (PPING_DIR_MAX * sizeof(((struct flow_dir_state *)0)->ids))
#define TC_ACT_UNSPEC_RET ((__u32)-1)
/* Runs between two drains of the ring buffer: at most one event per run,
 * and 16 Ki events of 120 bytes (1.9 MiB) fit the 4 MiB ring. */
#define CHUNK 16384
#define PAYLOAD 16
#define TSVAL_BASE 1000u
#define PEER_TSVAL_BASE 7000u

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ========================================================================
 * Packets: N frames of one kind (egress data or ingress ACK) side by side,
 * one per flow, built from one template and patched; the timestamps are
 * patched again before each pass.
 * ======================================================================== */

struct frames {
	__u8 *buf;
	size_t stride, len;
	size_t tsval_off, tsecr_off;
	__u32 n;
};

/* Flow i: local 10.a.b.c (a.b.c = i, so flows are distinct up to 16 Mi),
 * remote one of 256 servers, ports spread as clients' ports are. */
static void flow_tuple(__u32 i, __u32 *local, __u32 *remote, __u16 *lport,
		       __u16 *rport)
{
	*local = (10u << 24) | (i & 0xffffff);
	*remote = (172u << 24) | (16u << 16) | ((i * 7) & 0xff);
	*lport = 32768 + (i % 28232);
	*rport = (i & 1) ? 443 : 80;
}

static int frames_build(struct frames *f, __u32 n, int dir)
{
	__u8 flags = dir == PPING_DIR_OUT ? (TCPF_ACK | TCPF_PSH) : TCPF_ACK;
	__u32 local, remote, i;
	__u16 lport, rport;
	struct tcp_opts o;
	struct pkt t;
	__u8 *fr;

	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts(&o, 0, 0);
	pkt_init(&t);
	pkt_eth(&t, PKT_ETH_P_IP);
	pkt_ipv4(&t, "0.0.0.0", "0.0.0.0", PKT_IPPROTO_TCP);
	pkt_tcp(&t, 0, 0, flags, &o);
	pkt_payload(&t, dir == PPING_DIR_OUT ? PAYLOAD : 0);
	pkt_finish(&t);

	f->n = n;
	f->len = t.len;
	f->stride = (t.len + 7) & ~(size_t)7;
	f->tsval_off = t.l4_off + 20 + 4;    /* after NOP NOP kind length */
	f->tsecr_off = f->tsval_off + 4;
	f->buf = malloc(f->stride * n);
	if (!f->buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		fr = f->buf + (size_t)i * f->stride;
		memcpy(fr, t.data, t.len);
		flow_tuple(i, &local, &remote, &lport, &rport);
		put_be32(fr + t.l3_off + 12, dir == PPING_DIR_OUT ? local : remote);
		put_be32(fr + t.l3_off + 16, dir == PPING_DIR_OUT ? remote : local);
		put_be16(fr + t.l4_off, dir == PPING_DIR_OUT ? lport : rport);
		put_be16(fr + t.l4_off + 2, dir == PPING_DIR_OUT ? rport : lport);
	}
	return 0;
}

static void frames_set_ts(struct frames *f, __u32 tsval, __u32 tsecr)
{
	__u32 i;

	for (i = 0; i < f->n; i++) {
		put_be32(f->buf + (size_t)i * f->stride + f->tsval_off, tsval);
		put_be32(f->buf + (size_t)i * f->stride + f->tsecr_off, tsecr);
	}
}

static void frames_free(struct frames *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* ========================================================================
 * Running passes
 * ======================================================================== */

struct timing {
	__u64 kern_ns, wall_ns, runs;
	__u64 user_ns;   /* reading the ring buffer, outside wall_ns */
};

struct events {
	__u64 rtt, flow, other;
	struct aggregate *agg;   /* -a by events: RTT events go here */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct events *ev = ctx;
	const struct pping_event *e = data;

	if (ev->agg && size >= sizeof(*e) && e->type == PPING_EVENT_RTT)
		aggregate_rtt(ev->agg, e);

	if (size < sizeof(*e))
		ev->other++;
	else if (e->type == PPING_EVENT_RTT)
		ev->rtt++;
	else if (e->type == PPING_EVENT_FLOW)
		ev->flow++;
	else
		ev->other++;
	return 0;
}

/* One run of prog_fd per frame; rb (may be NULL) drained between chunks. */
static int run_pass(int prog_fd, const struct frames *f,
		    struct ring_buffer *rb, struct timing *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	__u32 i, start, end;
	__u64 t0;
	int err;

	for (start = 0; start < f->n; start = end) {
		end = f->n - start < CHUNK ? f->n : start + CHUNK;
		t0 = now_ns();
		for (i = start; i < end; i++) {
			opts.data_in = f->buf + (size_t)i * f->stride;
			opts.data_size_in = (__u32)f->len;
			err = bpf_prog_test_run_opts(prog_fd, &opts);
			if (err) {
				err = -errno;
				fprintf(stderr, "test run failed: %s\n", strerror(errno));
				return err;
			}
			if (opts.retval != TC_ACT_UNSPEC_RET) {
				fprintf(stderr, "program returned %d, want -1\n",
					(int)opts.retval);
				return -EINVAL;
			}
			t->kern_ns += opts.duration;
		}
		t->wall_ns += now_ns() - t0;
		t->runs += end - start;
		t0 = now_ns();
		if (rb && ring_buffer__consume(rb) < 0)
			return -EIO;
		t->user_ns += now_ns() - t0;
	}
	return 0;
}

/* A tc program that only returns TC_ACT_UNSPEC, as pping's do: the floor of
 * a test run. Built from raw instructions so it needs no object file. */
static int noop_load(void)
{
	const struct bpf_insn insns[] = {
		/* r0 = -1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pping_noop", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

/* ========================================================================
 * One configuration: N flows at one rate limit
 * ======================================================================== */

enum phase { PH_NEW, PH_REPLY, PH_STEADY_OUT, PH_STEADY_IN, PH_FLOOR, PHASES };

static const char *const phase_names[PHASES] = {
	"new", "reply", "steady out", "steady in", "no-op floor",
};

struct mem {
	__u64 total, flow_map, ts_map, sampled, events, rest;
};

struct result {
	struct mem mem;
	struct timing t[PHASES];
	struct pping_counters c[PHASES];   /* what each phase added */
	struct events ev;
	__s64 flow_count;                  /* flows in the map after "new" */
};

static void read_memory(const struct pping_bpf *b, struct mem *m)
{
	m->total = pping_bpf_map_memory(b, false);
	m->flow_map = pping_map_memory(bpf_map__fd(b->tc->maps.flow_map));
	m->ts_map = pping_map_memory(bpf_map__fd(b->tc->maps.ts_map));
	m->sampled = pping_map_memory(bpf_map__fd(b->tc->maps.sampled_flows));
	m->events = pping_map_memory(bpf_map__fd(b->tc->maps.events));
	m->rest = m->total - m->flow_map - m->ts_map - m->sampled - m->events;
}

static void counters_sub(struct pping_counters *d, const struct pping_counters *a,
			 const struct pping_counters *b)
{
	const __u64 *pa = (const __u64 *)a, *pb = (const __u64 *)b;
	__u64 *pd = (__u64 *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		pd[i] = pa[i] - pb[i];
}

/* Run prog over f as phase ph, adding its time and counters to r. */
static int phase(struct result *r, enum phase ph, int prog_fd, int cnt_fd,
		 const struct frames *f, struct ring_buffer *rb)
{
	struct pping_counters before, after, d;
	__u64 *acc = (__u64 *)&r->c[ph], *pd = (__u64 *)&d;
	size_t i;
	int err;

	err = counters_read(cnt_fd, &before);
	err = err ?: run_pass(prog_fd, f, rb, &r->t[ph]);
	err = err ?: counters_read(cnt_fd, &after);
	if (err)
		return err;
	counters_sub(&d, &after, &before);
	for (i = 0; i < sizeof(d) / sizeof(__u64); i++)
		acc[i] += pd[i];
	return 0;
}

static int bench(__u32 n, __u64 rate_limit_ns, int rounds, int noop_fd,
		 struct frames *data, struct frames *ack, struct result *r)
{
	struct datapath_config cfg = {
		.has_l2 = true,
		.max_flows = n,
		.max_timestamps = ts_map_only ? n : 0,
		.flows_no_prealloc = no_prealloc,
		.ts_prealloc = ts_prealloc,
		.ts_map_only = ts_map_only,
		.exact_clock = exact_clock,
		/* pping's defaults but the rate limit */
		.sampling = {
			.rate_limit_ns = rate_limit_ns,
			.burst_window_ns = 4 * MS,
			.burst = 1,
			.rtt_type = PPING_RTT_MIN,
		},
	};
	struct ring_buffer *rb = NULL;
	struct pping_bpf b;
	int err, rnd, egress, ingress, cnt_fd;
	__u32 zero = 0;

	memset(r, 0, sizeof(*r));
	err = pping_bpf_load(&b, &cfg);
	if (err)
		goto out;
	egress = bpf_program__fd(b.tc->progs.pping_tc_egress);
	ingress = bpf_program__fd(b.tc->progs.pping_tc_ingress);
	cnt_fd = bpf_map__fd(b.tc->maps.counters);
	rb = ring_buffer__new(bpf_map__fd(b.tc->maps.events), on_event, &r->ev, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		goto out;
	}

	frames_set_ts(data, TSVAL_BASE, 0);
	err = phase(r, PH_NEW, egress, cnt_fd, data, rb);
	if (err)
		goto out;
	/* With every flow in: what a map without preallocation holds then
	 * is its flows' own memory. */
	read_memory(&b, &r->mem);
	if (bpf_map_lookup_elem(bpf_map__fd(b.tc->maps.flow_count), &zero,
				&r->flow_count)) {
		err = -errno;
		goto out;
	}
	frames_set_ts(ack, PEER_TSVAL_BASE, TSVAL_BASE);
	err = phase(r, PH_REPLY, ingress, cnt_fd, ack, rb);
	for (rnd = 1; !err && rnd <= rounds; rnd++) {
		frames_set_ts(data, TSVAL_BASE + rnd, PEER_TSVAL_BASE + rnd - 1);
		err = phase(r, PH_STEADY_OUT, egress, cnt_fd, data, rb);
		frames_set_ts(ack, PEER_TSVAL_BASE + rnd, TSVAL_BASE + rnd);
		err = err ?: phase(r, PH_STEADY_IN, ingress, cnt_fd, ack, rb);
	}
	/* The floor last, on the same frames, while the maps are full. */
	err = err ?: run_pass(noop_fd, data, NULL, &r->t[PH_FLOOR]);
	if (!err && ring_buffer__consume(rb) < 0)
		err = -EIO;
out:
	ring_buffer__free(rb);
	pping_bpf_destroy(&b);
	return err;
}

static double per_run(__u64 ns, __u64 runs)
{
	return runs ? (double)ns / runs : 0;
}

/* ========================================================================
 * -a: the cost of an RTT sample, by events and in the kernel
 * ======================================================================== */

enum agg_way { AGG_BY_EVENTS, AGG_BY_KERNEL, AGG_WAYS };
#define AGG_REPS 5   /* runs of each way, interleaved; medians printed */

struct agg_result {
	struct timing in;          /* steady replies: a sample each */
	__u64 samples;             /* in the records the daemon would print */
	__u64 events, late, full;
};

/* The subnets of the records' histograms, summed. */
static __u64 agg_samples(const struct aggregate *a)
{
	const struct subnet_stats *st;
	__u64 n = 0;
	__u32 pos = 0;

	while ((st = aggregate_next(a, &pos)))
		n += st->rtt ? st->rtt->count : 0;
	return n;
}

static int agg_bench(__u32 n, int rounds, enum agg_way way,
		     struct frames *data, struct frames *ack,
		     struct agg_result *r)
{
	struct datapath_config cfg = {
		.has_l2 = true,
		.max_flows = n,
		.sampling = {
			.burst_window_ns = 4 * MS,
			.burst = 1,
			.rtt_type = PPING_RTT_MIN,
		},
		/* -a as the daemon loads it, live */
		.max_subnets = PPING_DEFAULT_MAX_SUBNETS,
		.subnet_prefix_v4 = 24,
		.subnet_prefix_v6 = 48,
		.agg_kernel = way == AGG_BY_KERNEL,
		.qdelay_window_ns = 300000 * MS,
	};
	const struct agg_config ac = {
		.interval_ns = 1000 * MS,
		.prefix_v4 = 24,
		.prefix_v6 = 48,
		.max_subnets = PPING_DEFAULT_MAX_SUBNETS,
		.window_ns = 300000 * MS,
	};
	struct events ev = {};
	struct ring_buffer *rb = NULL;
	struct agg_kernel k = {};
	struct aggregate agg = {};
	struct pping_counters c;
	struct timing t = {};
	struct pping_bpf b;
	int err, rnd, egress, ingress;

	memset(r, 0, sizeof(*r));
	err = pping_bpf_load(&b, &cfg);
	if (err)
		goto out;
	err = aggregate_init(&agg, &ac, bpf_map__fd(b.tc->maps.subnet_map));
	if (!err && way == AGG_BY_KERNEL)
		err = agg_kernel_open(&k, &agg, bpf_map__fd(b.tc->maps.agg_hists),
				      bpf_map__fd(b.tc->maps.agg_windows),
				      bpf_map__fd(b.tc->maps.agg_tracked),
				      &b.tc->data->runtime, false);
	if (err)
		goto out;
	ev.agg = way == AGG_BY_EVENTS ? &agg : NULL;
	egress = bpf_program__fd(b.tc->progs.pping_tc_egress);
	ingress = bpf_program__fd(b.tc->progs.pping_tc_ingress);
	rb = ring_buffer__new(bpf_map__fd(b.tc->maps.events), on_event, &ev, NULL);
	if (!rb) {
		err = -errno;
		goto out;
	}
	frames_set_ts(data, TSVAL_BASE, 0);
	err = run_pass(egress, data, rb, &t);
	frames_set_ts(ack, PEER_TSVAL_BASE, TSVAL_BASE);
	err = err ?: run_pass(ingress, ack, rb, &t);
	for (rnd = 1; !err && rnd <= rounds; rnd++) {
		frames_set_ts(data, TSVAL_BASE + rnd, PEER_TSVAL_BASE + rnd - 1);
		err = run_pass(egress, data, rb, &t);
		frames_set_ts(ack, PEER_TSVAL_BASE + rnd, TSVAL_BASE + rnd);
		err = err ?: run_pass(ingress, ack, rb, &r->in);
		if (!err && way == AGG_BY_KERNEL) {
			__u64 t0 = now_ns();

			err = agg_kernel_read(&k, &agg, now_ns());
			r->in.user_ns += now_ns() - t0;
		}
	}
	/* What the first passes left (kernel) is read untimed. */
	if (!err && way == AGG_BY_KERNEL)
		err = agg_kernel_read(&k, &agg, now_ns());
	if (!err && ring_buffer__consume(rb) < 0)
		err = -EIO;
	if (!err && counters_read(bpf_map__fd(b.tc->maps.counters), &c) == 0) {
		r->late = c.agg_late;
		r->full = c.agg_full;
	}
	r->samples = agg_samples(&agg);
	r->events = ev.rtt;
out:
	ring_buffer__free(rb);
	agg_kernel_close(&k);
	aggregate_free(&agg);
	pping_bpf_destroy(&b);
	return err;
}

/* The median over the repetitions of what f takes from a result. */
static double agg_median(const struct agg_result *r,
			 double (*f)(const struct agg_result *))
{
	double v[AGG_REPS];
	int i;

	for (i = 0; i < AGG_REPS; i++)
		v[i] = f(&r[i]);
	return median(v, AGG_REPS);
}

static double agg_datapath(const struct agg_result *r)
{
	return per_run(r->in.kern_ns, r->in.runs);
}

static double agg_user(const struct agg_result *r)
{
	return per_run(r->in.user_ns, r->in.runs);
}

static void print_agg(__u32 n, int rounds, struct agg_result r[AGG_WAYS][AGG_REPS])
{
	static const char *const names[AGG_WAYS] = { "events", "kernel" };
	double dp[AGG_WAYS], us[AGG_WAYS];
	int w;

	printf("\nAn RTT sample under -a, %u flows in one /24, --rate-limit 0, %d steady\n"
	       "rounds, medians of %d runs of each way, interleaved: datapath kern ns per\n"
	       "steady reply (a match and a sample); userspace wall ns per sample\n"
	       "(events: ring reads with aggregate_rtt; kernel: agg_kernel_read after\n"
	       "each pass); samples in the records, events read, samples added late or\n"
	       "not at all (map full), of the last run\n", n, rounds, AGG_REPS);
	printf("%8s %9s %10s %9s %10s %10s %6s %6s\n", "way", "datapath",
	       "userspace", "total", "samples", "events", "late", "full");
	for (w = 0; w < AGG_WAYS; w++) {
		const struct agg_result *last = &r[w][AGG_REPS - 1];

		dp[w] = agg_median(r[w], agg_datapath);
		us[w] = agg_median(r[w], agg_user);
		printf("%8s %9.0f %10.0f %9.0f %10llu %10llu %6llu %6llu\n", names[w],
		       dp[w], us[w], dp[w] + us[w], (unsigned long long)last->samples,
		       (unsigned long long)last->events,
		       (unsigned long long)last->late, (unsigned long long)last->full);
	}
	printf("kernel - events: datapath %+.0f ns, userspace %+.0f ns, total %+.0f ns per sample\n",
	       dp[AGG_BY_KERNEL] - dp[AGG_BY_EVENTS], us[AGG_BY_KERNEL] - us[AGG_BY_EVENTS],
	       dp[AGG_BY_KERNEL] + us[AGG_BY_KERNEL] - dp[AGG_BY_EVENTS] - us[AGG_BY_EVENTS]);
}

/* ========================================================================
 * Output
 * ======================================================================== */

static void print_rate(__u64 ns)
{
	char s[24];

	if (ns && ns % (1000 * MS) == 0)
		snprintf(s, sizeof(s), "%llus", (unsigned long long)(ns / (1000 * MS)));
	else if (ns)
		snprintf(s, sizeof(s), "%llums", (unsigned long long)(ns / MS));
	else
		snprintf(s, sizeof(s), "0");
	printf(" %6s", s);
}

static void print_memory(__u32 n, const struct mem *m)
{
	/* The identifier map is per flow only where it is sized to the flows
	 * (-m); at its default it is 2 MiB of buckets whatever N. */
	printf("%9u %9.1f %8.0f %8.0f %8.1f %8.1f %7.2f %7.2f %6.3f  %s\n", n,
	       m->total / 1048576.0, (double)m->total / n,
	       (double)(m->flow_map + (ts_map_only ? m->ts_map : 0) + m->sampled) / n,
	       m->flow_map / 1048576.0, m->ts_map / 1048576.0,
	       m->sampled / 1048576.0, m->events / 1048576.0,
	       m->rest / 1048576.0,
	       m->total <= MEM_TARGET ? "yes" : "NO");
}

/*
 * What the kernel charges for a preallocated hash map of n entries keyed
 * as the flow map whose value is only both directions' identifier slots:
 * the least a flow map holding the slots (one lookup per reply) can take,
 * whatever else a flow keeps. 0 if the map cannot be made.
 */
static __u64 slots_only_memory(__u32 n)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "slots_only",
				sizeof(struct flow_key), SLOTS_BYTES, n, NULL);
	__u64 bytes;

	if (fd < 0)
		return 0;
	bytes = pping_map_memory(fd);
	close(fd);
	return bytes;
}

static void print_times(__u32 n, __u64 rate, const struct result *r)
{
	double floor = per_run(r->t[PH_FLOOR].kern_ns, r->t[PH_FLOOR].runs);
	int p;

	printf("%9u", n);
	print_rate(rate);
	for (p = 0; p < PHASES; p++)
		printf("   %5.0f %5.0f", per_run(r->t[p].kern_ns, r->t[p].runs),
		       per_run(r->t[p].wall_ns, r->t[p].runs));
	printf("   ");
	for (p = 0; p < PH_FLOOR; p++)
		printf(" %5.0f", per_run(r->t[p].kern_ns, r->t[p].runs) - floor);
	printf("\n");
}

static void print_counters(__u32 n, __u64 rate, const struct result *r)
{
	__u64 lost = 0, flow_full = 0;
	int p;

	for (p = 0; p < PH_FLOOR; p++) {
		lost += r->c[p].events_lost;
		flow_full += r->c[p].flow_map_full;
	}
	printf("%9u", n);
	print_rate(rate);
	printf(" %9lld %9llu %9llu %9llu %9llu %9llu %8llu %8llu %9llu %6llu\n",
	       (long long)r->flow_count,
	       (unsigned long long)r->c[PH_NEW].ts_created,
	       (unsigned long long)r->c[PH_REPLY].rtt_samples,
	       (unsigned long long)r->c[PH_STEADY_OUT].ts_created,
	       (unsigned long long)r->c[PH_STEADY_OUT].rate_limited,
	       (unsigned long long)r->c[PH_STEADY_IN].rtt_samples,
	       (unsigned long long)(r->c[PH_NEW].ts_map_full +
				    r->c[PH_STEADY_OUT].ts_map_full),
	       (unsigned long long)flow_full,
	       (unsigned long long)(r->ev.rtt + r->ev.flow), (unsigned long long)lost);
}

/* ========================================================================
 * main
 * ======================================================================== */

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [-a] [-c] [-m] [-p] [-P] [-r ROUNDS] [FLOWS...]\n"
		"  -p         the flow map without preallocation (BPF_F_NO_PREALLOC)\n"
		"  -m         every TSval identifier in the identifier map, sized FLOWS\n"
		"  -P         the identifier map preallocated\n"
		"  -a         also the cost of an RTT sample under -a, by events and in the kernel\n"
		"  -c         also the tick clock against the exact clock on every packet\n"
		"  FLOWS      concurrent flows per run, 1..16777216 (default 1000 100000 1000000)\n"
		"  -r ROUNDS  steady rounds (egress then ingress over every flow), 1..100 (default 2)\n",
		prog);
}

/* ========================================================================
 * -c: the tick clock against the exact clock
 * ======================================================================== */

enum clock_way { CLOCK_EXACT, CLOCK_TICK, CLOCK_WAYS };
#define CLOCK_REPS 5

/* Net ns per run of one steady phase (kern minus the no-op's kern), the
 * median over the repetitions. */
static double clock_median(struct result r[CLOCK_REPS], int phase)
{
	double v[CLOCK_REPS];
	int i;

	for (i = 0; i < CLOCK_REPS; i++)
		v[i] = per_run(r[i].t[phase].kern_ns, r[i].t[phase].runs) -
		       per_run(r[i].t[PH_FLOOR].kern_ns, r[i].t[PH_FLOOR].runs);
	return median(v, CLOCK_REPS);
}

static int clock_compare(__u32 n, int rounds, int noop_fd, __u64 rate)
{
	static struct result r[CLOCK_WAYS][CLOCK_REPS];
	struct frames data = {}, ack = {};
	__u64 reads = 0, pkts = 0;
	int i, w, err = 0;

	if (frames_build(&data, n, PPING_DIR_OUT) || frames_build(&ack, n, PPING_DIR_IN)) {
		fprintf(stderr, "no memory for %u flows' packets\n", n);
		err = -ENOMEM;
	}
	for (i = 0; !err && i < CLOCK_REPS; i++)
		for (w = 0; !err && w < CLOCK_WAYS; w++) {
			exact_clock = w == CLOCK_EXACT;
			err = bench(n, rate, rounds, noop_fd, &data, &ack, &r[w][i]);
		}
	exact_clock = false;
	frames_free(&data);
	frames_free(&ack);
	if (err)
		return err;
	for (i = 0; i < CLOCK_REPS; i++) {
		reads += r[CLOCK_TICK][i].c[PH_STEADY_OUT].clock_reads +
			 r[CLOCK_TICK][i].c[PH_STEADY_IN].clock_reads;
		pkts += r[CLOCK_TICK][i].t[PH_STEADY_OUT].runs +
			r[CLOCK_TICK][i].t[PH_STEADY_IN].runs;
	}
	printf("\nThe tick clock against the exact clock on every packet (bpf/clock.bpf.h):\n"
	       "%u flows, --rate-limit 60s (steady egress rate limited, steady replies\n"
	       "lookups that miss), %d rounds, medians of %d runs of each way,\n"
	       "interleaved; net ns per run above the no-op\n", n, rounds, CLOCK_REPS);
	printf("%9s %9s %9s %9s %9s %12s\n", "", "exact", "tick", "exact", "tick",
	       "clock reads");
	printf("%9s %9s %9s %9s %9s %12s\n", "flows", "s-out", "s-out", "s-in", "s-in",
	       "per packet");
	printf("%9u %9.0f %9.0f %9.0f %9.0f %12.4f\n", n,
	       clock_median(r[CLOCK_EXACT], PH_STEADY_OUT),
	       clock_median(r[CLOCK_TICK], PH_STEADY_OUT),
	       clock_median(r[CLOCK_EXACT], PH_STEADY_IN),
	       clock_median(r[CLOCK_TICK], PH_STEADY_IN),
	       pkts ? (double)reads / pkts : 0);
	return 0;
}

#define RATES 3
#define MAX_SIZES 16
#define MAX_FLOWS (1u << 24)   /* distinct local addresses in 10/8 */

int main(int argc, char **argv)
{
	static const __u64 rates[RATES] = { RATE_LIMIT_DEFAULT, 0, RATE_LIMIT_MAX };
	static const __u32 defaults[] = { 1000, 100000, 1000000 };
	__u32 sizes[MAX_SIZES];
	int n_sizes = 0, rounds = 2, i, k, c, noop_fd = -1, ret = 1;
	bool agg = false, clock_cmp = false;
	struct agg_result agg_res[AGG_WAYS][AGG_REPS];
	struct result *res = NULL;
	struct frames data = {}, ack = {};
	char *end;
	unsigned long v;

	while ((c = getopt(argc, argv, "acmpPr:h")) != -1) {
		switch (c) {
		case 'c':
			clock_cmp = true;
			break;
		case 'p':
			no_prealloc = true;
			break;
		case 'P':
			ts_prealloc = true;
			break;
		case 'm':
			ts_map_only = true;
			break;
		case 'a':
			agg = true;
			break;
		case 'r':
			v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 100) {
				fprintf(stderr, "invalid -r '%s': expected 1..100 rounds\n",
					optarg);
				return 2;
			}
			rounds = (int)v;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		v = strtoul(argv[i], &end, 10);
		if (*end || v < 1 || v > MAX_FLOWS || n_sizes == MAX_SIZES) {
			fprintf(stderr, "invalid flow count '%s': expected 1..%u, at most %d of them\n",
				argv[i], MAX_FLOWS, MAX_SIZES);
			return 2;
		}
		sizes[n_sizes++] = (__u32)v;
	}
	if (!n_sizes)
		for (; n_sizes < (int)(sizeof(defaults) / sizeof(defaults[0])); n_sizes++)
			sizes[n_sizes] = defaults[n_sizes];

	libbpf_set_print(quiet);
	res = calloc((size_t)n_sizes * RATES, sizeof(*res));
	if (!res)
		goto out;
	noop_fd = noop_load();
	if (noop_fd < 0) {
		fprintf(stderr, "cannot load the no-op program: %s (run as root)\n",
			strerror(errno));
		goto out;
	}
	for (i = 0; i < n_sizes; i++) {
		if (frames_build(&data, sizes[i], PPING_DIR_OUT) ||
		    frames_build(&ack, sizes[i], PPING_DIR_IN)) {
			fprintf(stderr, "no memory for %u flows' packets\n", sizes[i]);
			goto out;
		}
		for (k = 0; k < RATES; k++)
			if (bench(sizes[i], rates[k], rounds, noop_fd, &data, &ack,
				  &res[i * RATES + k])) {
				fprintf(stderr, "bench at %u flows failed\n", sizes[i]);
				goto out;
			}
		frames_free(&data);
		frames_free(&ack);
	}

	/* -a: at the first size, the ways interleaved over the rounds */
	if (agg && (frames_build(&data, sizes[0], PPING_DIR_OUT) ||
		    frames_build(&ack, sizes[0], PPING_DIR_IN))) {
		fprintf(stderr, "no memory for %u flows' packets\n", sizes[0]);
		goto out;
	}
	for (i = 0; agg && i < AGG_REPS; i++)
		for (k = 0; k < AGG_WAYS; k++)
			if (agg_bench(sizes[0], rounds, k, &data, &ack, &agg_res[k][i])) {
				fprintf(stderr, "-a bench (%s) failed\n", k ? "kernel" : "events");
				goto out;
			}
	frames_free(&data);
	frames_free(&ack);

	printf("Map memory as `pping --max-flows N%s` loads it (fdinfo memlock,\n"
	       "with the N flows in): total MiB, total bytes per flow, the flow map's\n"
	       "and the bitmap's bytes per flow (marginal; with -m the identifier\n"
	       "map's too), then MiB per map (rest: counters, flow_count, subnet_map\n"
	       "and the -a maps); <=192M: total within 192 MiB\n",
	       ts_map_only ? " --max-timestamps N" : "");
	if (no_prealloc || ts_map_only || ts_prealloc)
		printf("Here:%s%s%s\n",
		       no_prealloc ? " the flow map without preallocation;" : "",
		       ts_map_only ? " every identifier in the identifier map;" : "",
		       ts_prealloc ? " the identifier map preallocated;" : "");
	printf("%9s %9s %8s %8s %8s %8s %7s %7s %6s  %s\n", "flows", "MiB", "B/flow",
	       "marginal", "flow_map", "ts_map", "bitmap", "ringbuf", "rest", "<=192M");
	for (i = 0; i < n_sizes; i++)
		print_memory(sizes[i], &res[i * RATES].mem);
	printf("The least a flow map with identifier slots takes: a hash map keyed as\n"
	       "the flow map (%zu bytes) whose value is only both directions' slots\n"
	       "(%zu bytes), beside 192 MiB less the other maps above:\n",
	       sizeof(struct flow_key), SLOTS_BYTES);
	for (i = 0; i < n_sizes; i++) {
		const struct mem *m = &res[i * RATES].mem;
		__u64 least = slots_only_memory(sizes[i]);
		double left = ((double)MEM_TARGET - (m->total - m->flow_map) - least) /
			      sizes[i];

		if (!least)
			printf("%9u  n/a: the kernel did not make the map\n", sizes[i]);
		else
			printf("%9u %9.1f MiB; left for the rest of each flow's state: %.0f bytes\n",
			       sizes[i], least / 1048576.0, left);
	}

	printf("\nns per packet, kernel-reported run time (kern) and wall time of the\n"
	       "test-run loop (wall, syscall and sk_buff setup included); net: kern minus\n"
	       "the no-op's kern. new/reply: 1 packet per flow; steady: %d rounds of one\n"
	       "egress pass then one ingress pass over all flows. A round of N flows\n"
	       "lasts about N runs: at 100ms only small N stay within the rate limit;\n"
	       "at 60s (the longest --rate-limit) every steady egress packet is rate\n"
	       "limited and every steady reply a lookup that misses\n", rounds);
	printf("%9s %6s", "", "");
	for (k = 0; k < PHASES; k++)
		printf("   %11s", phase_names[k]);
	printf("    %23s\n", "net (kern - no-op kern)");
	printf("%9s %6s", "flows", "rate");
	for (k = 0; k < PHASES; k++)
		printf("   %5s %5s", "kern", "wall");
	printf("    %5s %5s %5s %5s\n", "new", "reply", "s-out", "s-in");
	for (i = 0; i < n_sizes; i++)
		for (k = 0; k < RATES; k++)
			print_times(sizes[i], rates[k], &res[i * RATES + k]);

	printf("\nWhat the datapath did: flows in the map after \"new\", identifiers created\n"
	       "(new, steady out), RTT samples (reply, steady in), steady egress packets\n"
	       "rate limited, inserts refused (identifier map full, flow map full), events\n"
	       "read and lost\n");
	printf("%9s %6s %9s %9s %9s %9s %9s %9s %8s %8s %9s %6s\n", "flows", "rate",
	       "flows", "ids new", "rtt reply", "ids stdy", "limited", "rtt stdy",
	       "ts full", "fl full", "events", "lost");
	for (i = 0; i < n_sizes; i++)
		for (k = 0; k < RATES; k++)
			print_counters(sizes[i], rates[k], &res[i * RATES + k]);
	if (agg)
		print_agg(sizes[0], rounds, agg_res);
	if (clock_cmp && clock_compare(sizes[0], rounds, noop_fd, RATE_LIMIT_MAX)) {
		fprintf(stderr, "clock comparison failed\n");
		goto out;
	}
	ret = 0;
out:
	frames_free(&data);
	frames_free(&ack);
	if (noop_fd >= 0)
		close(noop_fd);
	free(res);
	return ret;
}
