// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing the datapath through BPF_PROG_TEST_RUN. Valid and malformed frames
 * (fuzz_gen.c) go to the three programs (tc egress, tc ingress, XDP ingress)
 * of one set of maps, and every run is checked against the oracle
 * (fuzz_oracle.c):
 *
 *  - the program returns pass (tc: TC_ACT_UNSPEC, XDP: XDP_PASS);
 *  - pkts of its hook moves by one; tcp by one exactly when the oracle sees
 *    a well-formed TCP segment; tcp_no_ts by one exactly when that segment
 *    has no valid timestamp option; the other hook's counters stay;
 *  - an RTT sample (rtt_samples, and the RTT event printed for it) only
 *    comes from an ingress segment the oracle finds well-formed, with a
 *    valid timestamp option and the ACK flag, and names that segment's flow;
 *  - no event is lost and neither map fills;
 *  - a frame the test run refuses before the program sees it moves nothing.
 *
 * Malformed echoes are only a test if they would have matched had the
 * parser taken them. So the fuzzer runs episodes: a valid egress segment on
 * a fresh connection creates identifier X; malformed ingress echoes of X
 * follow (sometimes every truncation of one valid echo, shortest first);
 * then a valid echo. The first valid echo of X must match (one sample, one
 * RTT event of that flow), which shows X was live all along: the malformed
 * echoes before it are counted as echoes of a live identifier. A segment
 * that may legitimately change the flow (another timestamped one, a reset)
 * excuses the episode from the requirement.
 *
 * PPING_FUZZ_COUNT sets the packets per program (default 20000; `make fuzz`
 * runs more), PPING_FUZZ_SEED the seed (default: from the clock). The seed
 * is printed, and a failure names the packet and how to replay the run.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "fuzz.h"
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"

#define FUZZ_DEFAULT_COUNT 20000ULL
/* Runs per loaded environment: fresh maps stay far from full. */
#define FUZZ_ROUND_MAX 120000ULL

enum fuzz_hook { FH_EGRESS, FH_TC_INGRESS, FH_XDP, FH_MAX };

static const char *const hook_names[FH_MAX] = {
	"tc egress", "tc ingress", "xdp ingress",
};

/* Connections of the episodes, a fresh local port each. */
static const struct tuple ECHO4 = { 4, "10.1.0.1", "10.1.0.2", 0, 443 };
static const struct tuple ECHO6 = { 6, "fd01::1", "fd01::2", 0, 443 };
#define FIRST_PORT 1024

/* Connections of the rest of the traffic. */
static const struct tuple OTHER[] = {
	{ 4, "10.2.0.1", "10.2.0.2", 50000, 80 },
	{ 4, "10.2.0.1", "10.2.0.3", 50001, 8080 },
	{ 6, "fd02::1", "fd02::2", 50002, 443 },
	{ 6, "fd02::1", "fd02::3", 50003, 22 },
};

struct episode {
	bool active;
	struct tuple t;
	struct flow_key key;
	uint32_t x;           /* TSval of the identifier the echoes echo */
	int left;             /* malformed echoes still to send */
	bool disturbed;       /* the flow may have changed: no match required */
	bool consumed;        /* its first valid echo matched */
	uint64_t unproven;    /* malformed echoes not yet shown to echo a live X */
	bool sweeping;        /* sending every truncation of sweep */
	struct frame sweep;
	size_t sweep_at;      /* next length to cut it to */
};

struct egress_sweep {
	bool on;
	struct frame base;
	size_t at;
};

struct fuzz_stats {
	uint64_t runs[FH_MAX], refused[FH_MAX];
	uint64_t stage[STAGE_MAX];       /* runs that got that far */
	uint64_t faults[FUZZ_FAULTS_MAX];
	uint64_t samples;
	uint64_t ineligible;             /* runs that must not give a sample */
	uint64_t rejected_echoes;        /* echoes the oracle refuses a sample */
	uint64_t live_echoes;            /* ... shown to echo a live identifier */
	uint64_t required, matched;      /* first valid echoes of a live X */
	uint64_t episodes, excused;
};

struct fuzz {
	struct env e;
	bool xdp_l3;           /* this round's XDP parses from the IP header */
	bool seq;              /* this round runs --method auto: SEQ/ACK too */
	struct rng rng;
	uint64_t seed, count;  /* count: packets per program */
	uint64_t index;        /* runs so far */
	uint16_t next_port;
	uint32_t other_tsval[ARRAY_SIZE(OTHER)];
	struct episode ep;
	struct egress_sweep esw;
	struct pping_counters c;   /* after the previous run */
	struct fuzz_stats st;
};

/* One run: the frame as sent, where, and what the oracle made of it. */
struct shot {
	int hook;
	const struct frame *f;
	struct verdict v;
	bool echo;            /* an echo of the episode's identifier */
};

/* ========================================================================
 * Reporting a failure: which run, the frame, how to replay.
 * ======================================================================== */

static void dump_frame(const struct frame *f)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		if (i % 16 == 0)
			printf("%s  | %04zx ", i ? "\n" : "", i);
		printf(" %02x", f->b[i]);
	}
	printf("\n");
}

__attribute__((format(printf, 3, 4)))
static bool fuzz_fail(const struct fuzz *fz, const struct shot *s,
		      const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("  fuzz: failing frame (%s, %zu bytes, %s):\n", s->f->fault,
	       s->f->len, hook_names[s->hook]);
	dump_frame(s->f);
	return fail("seed 0x%llx run %llu (%s, %s, oracle stage %d tcp %d ts %d "
		    "flags 0x%02x): %s; replay with PPING_FUZZ_SEED=0x%llx "
		    "PPING_FUZZ_COUNT=%llu",
		    (unsigned long long)fz->seed, (unsigned long long)fz->index,
		    hook_names[s->hook], s->f->fault, s->v.stage, s->v.tcp,
		    s->v.has_ts, s->v.flags, why, (unsigned long long)fz->seed,
		    (unsigned long long)fz->count);
}

/* ========================================================================
 * Running one frame
 * ======================================================================== */

enum run_result { RUN_DONE, RUN_REFUSED, RUN_ERROR };

static struct bpf_program *hook_prog(const struct fuzz *fz, int hook)
{
	if (hook == FH_EGRESS)
		return fz->e.tc->progs.pping_tc_egress;
	if (hook == FH_TC_INGRESS)
		return fz->e.tc->progs.pping_tc_ingress;
	return fz->e.xdp->progs.pping_xdp_ingress;
}

/*
 * The test run refuses some frames before the program sees them (shorter
 * than an Ethernet header; for tc, an IP ethertype without a whole IP
 * header): those are RUN_REFUSED, and must leave the counters alone.
 */
static int run_frame(struct fuzz *fz, const struct shot *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = s->f->b,
		.data_size_in = (__u32)s->f->len,
		.repeat = 1,
	);
	__u32 want = s->hook == FH_XDP ? XDP_PASS : TC_ACT_UNSPEC_RET;
	int n;

	fz->e.n_ev = 0;
	if (bpf_prog_test_run_opts(bpf_program__fd(hook_prog(fz, s->hook)), &opts)) {
		if (errno == EINVAL)
			return RUN_REFUSED;
		fuzz_fail(fz, s, "test run failed: %s", strerror(errno));
		return RUN_ERROR;
	}
	if (opts.retval != want) {
		fuzz_fail(fz, s, "returned %d, want %d (pass)", (int)opts.retval,
			  (int)want);
		return RUN_ERROR;
	}
	n = ring_buffer__consume(fz->e.rb);
	if (n < 0 || fz->e.ev_overflow) {
		fuzz_fail(fz, s, "reading the ring buffer: %d", n);
		return RUN_ERROR;
	}
	return RUN_DONE;
}

#define N_COUNTERS (offsetof(struct pping_counters, tick) / sizeof(__u64))

/* What one run added to every counter. */
static bool counters_step(struct fuzz *fz, struct pping_counters *delta)
{
	struct pping_counters now;
	const __u64 *a = (const __u64 *)&fz->c, *b = (const __u64 *)&now;
	__u64 *d = (__u64 *)delta;
	size_t i;

	if (!read_counters(&fz->e, &now))
		return false;
	for (i = 0; i < N_COUNTERS; i++)
		d[i] = b[i] - a[i];
	fz->c = now;
	return true;
}

/* ========================================================================
 * Invariants of one run
 * ======================================================================== */

static int hook_slot(int hook)
{
	return hook == FH_EGRESS ? PPING_HOOK_EGRESS : PPING_HOOK_INGRESS;
}

/* May this run close a sample? An arriving TCP segment with a timestamp
 * and ACK, or an arriving echo reply (the junk frames' echoes share an id
 * and sequence number, so a reply can match an earlier request); in a
 * SEQ/ACK round also any arriving TCP ACK but a reset. */
static bool eligible(const struct fuzz *fz, const struct shot *s)
{
	if (s->hook == FH_EGRESS)
		return false;
	if (fz->seq && s->v.tcp && (s->v.flags & (TCPF_ACK | TCPF_RST)) == TCPF_ACK)
		return true;
	return (s->v.tcp && s->v.has_ts && (s->v.flags & TCPF_ACK)) ||
	       s->v.icmp_reply;
}


static bool check_counters(const struct fuzz *fz, const struct shot *s,
			   const struct pping_counters *d, bool refused)
{
	int h = hook_slot(s->hook), o = h ^ 1;
	unsigned long long tcp = !refused && s->v.tcp;
	unsigned long long no_ts = tcp && !s->v.has_ts;

	/* Deltas are "this hook/the other hook". */
	if (d->pkts[h] != !refused || d->pkts[o])
		return fuzz_fail(fz, s, "pkts moved by %llu/%llu, want %d/0%s",
				 d->pkts[h], d->pkts[o], !refused,
				 refused ? " (the test run refused the frame)" : "");
	if (d->tcp[h] != tcp || d->tcp[o])
		return fuzz_fail(fz, s, "tcp moved by %llu/%llu, the oracle says "
				 "%llu/0", d->tcp[h], d->tcp[o], tcp);
	if (d->icmp_echo[h] != (!refused && s->v.icmp_echo) || d->icmp_echo[o])
		return fuzz_fail(fz, s, "icmp_echo moved by %llu/%llu, the oracle "
				 "says %d/0", d->icmp_echo[h], d->icmp_echo[o],
				 !refused && s->v.icmp_echo);
	if (d->tcp_no_ts[h] != no_ts || d->tcp_no_ts[o])
		return fuzz_fail(fz, s, "tcp_no_ts moved by %llu/%llu, the oracle "
				 "says %llu/0", d->tcp_no_ts[h], d->tcp_no_ts[o], no_ts);
	if (d->events_lost || d->ts_map_full || d->flow_map_full)
		return fuzz_fail(fz, s, "events lost %llu, ts map full %llu, flow "
				 "map full %llu", d->events_lost, d->ts_map_full,
				 d->flow_map_full);
	return true;
}

static bool check_rtt_events(const struct fuzz *fz, const struct shot *s,
			     const struct pping_counters *d)
{
	int i, n = count_events(&fz->e, PPING_EVENT_RTT);

	if ((__u64)n != d->rtt_samples - d->rtt_unreported)
		return fuzz_fail(fz, s, "%d RTT events for %llu samples (%llu not "
				 "printed)", n, d->rtt_samples, d->rtt_unreported);
	for (i = 0; i < fz->e.n_ev; i++) {
		const struct pping_event *ev = &fz->e.ev[i];

		if (ev->type != PPING_EVENT_RTT)
			continue;
		if (memcmp(&ev->flow, &s->v.key, sizeof(ev->flow)))
			return fuzz_fail(fz, s, "RTT event of another flow");
		if (ev->dir != PPING_DIR_OUT || ev->flags)
			return fuzz_fail(fz, s, "RTT event dir %u flags 0x%x, want %u, 0",
					 ev->dir, ev->flags, PPING_DIR_OUT);
		if (!ev->rtt || ev->rtt >= PPING_TS_STALE_NS)
			return fuzz_fail(fz, s, "RTT %llu ns",
					 (unsigned long long)ev->rtt);
	}
	return true;
}

static bool check_samples(const struct fuzz *fz, const struct shot *s,
			  const struct pping_counters *d, bool required)
{
	if (!eligible(fz, s) && d->rtt_samples)
		return fuzz_fail(fz, s, "RTT sample from a packet that is not a "
				 "well-formed ingress TCP segment with a "
				 "timestamp and ACK");
	if (d->rtt_samples > 1)
		return fuzz_fail(fz, s, "%llu RTT samples from one packet",
				 d->rtt_samples);
	if (required && d->rtt_samples != 1)
		return fuzz_fail(fz, s, "the first valid echo of live identifier 0x%x "
				 "did not match", fz->ep.x);
	if (!check_rtt_events(fz, s, d))
		return false;
	if (required && count_events(&fz->e, PPING_EVENT_RTT) != 1)
		return fuzz_fail(fz, s, "the first match of an episode printed "
				 "no RTT event");
	return true;
}

/* ========================================================================
 * Episodes
 * ======================================================================== */

static bool same_flow(const struct flow_key *a, const struct flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Must this run match the episode's identifier? The first valid echo of
 * X on its flow must, as long as nothing else may have changed the flow. */
static bool match_required(const struct fuzz *fz, const struct shot *s)
{
	const struct episode *ep = &fz->ep;

	return ep->active && !ep->disturbed && !ep->consumed && eligible(fz, s) &&
	       s->v.tsecr == ep->x && same_flow(&s->v.key, &ep->key);
}

/*
 * Could this TCP segment of the episode's flow change what a valid echo of
 * X finds? Per bpf/pping.bpf.h, a segment without a timestamp is only
 * counted unless it resets the flow, and an ingress one with a timestamp
 * but none of ACK, SYN, FIN, RST tries no match and opens or closes
 * nothing. Anything else may.
 */
static bool may_change_flow(const struct fuzz *fz, const struct shot *s)
{
	__u8 f = s->v.flags;

	/* With SEQ/ACK on, a clean option list without a timestamp moves
	 * the flow to SEQ/ACK; any segment moves its sequence space. */
	if (fz->seq)
		return true;
	if (!s->v.has_ts)
		return f & TCPF_RST;
	if (s->hook == FH_EGRESS)
		return true;
	return f & (TCPF_ACK | TCPF_SYN | TCPF_FIN | TCPF_RST);
}

static void episode_after(struct fuzz *fz, const struct shot *s, bool required)
{
	struct episode *ep = &fz->ep;

	if (!ep->active)
		return;
	if (required) {
		ep->consumed = true;
		fz->st.live_echoes += ep->unproven;
		ep->unproven = 0;
		return;
	}
	if (s->echo && !eligible(fz, s) && !fz->seq) {
		fz->st.rejected_echoes++;
		if (!ep->disturbed && !ep->consumed)
			ep->unproven++;
	}
	if (s->v.tcp && same_flow(&s->v.key, &ep->key) && may_change_flow(fz, s))
		ep->disturbed = true;
}

/* ========================================================================
 * One run, checked
 * ======================================================================== */

static void count_stats(struct fuzz *fz, const struct shot *s, bool refused,
			const struct pping_counters *d)
{
	int fault = gen_fault_index(s->f->fault);
	int st;

	fz->st.runs[s->hook]++;
	if (fault >= 0)
		fz->st.faults[fault]++;
	if (refused) {
		fz->st.refused[s->hook]++;
		return;
	}
	for (st = 0; st <= (int)s->v.stage; st++)
		fz->st.stage[st]++;
	fz->st.samples += d->rtt_samples;
	fz->st.ineligible += !eligible(fz, s);
}

/* Send f (as the hook sees frames: without L2 on an L3-only XDP round,
 * cut to cut bytes if shorter) and check everything about the run. */
static bool fire(struct fuzz *fz, int hook, struct frame *f, bool echo,
		 size_t cut)
{
	struct shot s = { .hook = hook, .f = f, .echo = echo };
	bool l3_only = hook == FH_XDP && fz->xdp_l3;
	struct pping_counters d;
	bool required;
	int rr;

	if (l3_only)
		frame_strip_l2(f);
	if (cut < f->len) {
		f->len = cut;
		f->fault = "truncated";
	}
	oracle_read(f->b, f->len, !l3_only,
		    hook == FH_EGRESS ? PPING_DIR_OUT : PPING_DIR_IN, &s.v);
	required = match_required(fz, &s);

	rr = run_frame(fz, &s);
	if (rr == RUN_ERROR || !counters_step(fz, &d))
		return false;
	count_stats(fz, &s, rr == RUN_REFUSED, &d);
	/* Samples first: a wrong one is the failure that matters most, even
	 * when the counters disagree as well. */
	if (!check_samples(fz, &s, &d, required) ||
	    !check_counters(fz, &s, &d, rr == RUN_REFUSED))
		return false;
	if (rr == RUN_REFUSED)
		return true;
	fz->st.required += required;
	fz->st.matched += required && d.rtt_samples == 1;
	episode_after(fz, &s, required);
	return true;
}

/* ========================================================================
 * What each slot sends
 * ======================================================================== */

static void echo_seg(struct fuzz *fz, struct seg *sg)
{
	struct rng *r = &fz->rng;

	memset(sg, 0, sizeof(*sg));
	sg->t = &fz->ep.t;
	sg->dir = PPING_DIR_IN;
	sg->flags = TCPF_ACK;
	sg->tsval = (uint32_t)rng_next(r);
	sg->tsecr = fz->ep.x;
	sg->payload = rng_pct(r, 30) ? rng_range(r, 1, 100) : 0;
}

/* A fresh connection (no flow for it yet) and its first identifier. */
static bool start_episode(struct fuzz *fz)
{
	struct episode *ep = &fz->ep;
	struct rng *r = &fz->rng;
	struct flow_state fs;
	struct frame f;
	struct seg sg;

	memset(ep, 0, sizeof(*ep));
	ep->t = rng_pct(r, 50) ? ECHO4 : ECHO6;
	do {
		ep->t.lport = fz->next_port++;
		if (fz->next_port < FIRST_PORT)
			fz->next_port = FIRST_PORT;
	} while (flow_lookup(&fz->e, &ep->t, &fs));
	ep->key = tuple_key(&ep->t);
	ep->x = (uint32_t)rng_range(r, 1, 0xffffffffu);
	ep->left = (int)rng_range(r, 4, 16);
	/* With SEQ/ACK on, any segment may move the flow: episodes prove
	 * nothing there, and count only in timestamp rounds. */
	fz->st.episodes += !fz->seq;

	sg = (struct seg){ .t = &ep->t, .dir = PPING_DIR_OUT,
			   .flags = TCPF_ACK | TCPF_PSH, .tsval = ep->x,
			   .tsecr = (uint32_t)rng_next(r),
			   .payload = rng_range(r, 1, 200) };
	gen_valid(r, &f, &sg);
	if (!fire(fz, FH_EGRESS, &f, false, SIZE_MAX))
		return false;
	if (!ts_lookup(&fz->e, &ep->t, ep->x, PPING_DIR_OUT, NULL)) {
		struct shot s = { .hook = FH_EGRESS, .f = &f };

		return fuzz_fail(fz, &s, "a valid data segment of a new flow left "
				 "no identifier");
	}
	/* Active from here: the segment above is the one that armed it. */
	ep->active = true;
	if (rng_pct(r, 2)) {
		echo_seg(fz, &sg);
		gen_valid(r, &ep->sweep, &sg);
		ep->sweeping = true;
	}
	return true;
}

/* Ends the episode after its valid echo. */
static void end_episode(struct fuzz *fz)
{
	if (!fz->ep.consumed && !fz->seq)
		fz->st.excused++;
	fz->ep.active = false;
}

static bool episode_ingress(struct fuzz *fz, int hook)
{
	struct episode *ep = &fz->ep;
	struct frame f;
	struct seg sg;
	size_t cut;

	if (ep->sweeping) {
		f = ep->sweep;
		cut = ep->sweep_at++;
		if (ep->sweep_at > ep->sweep.len)
			ep->sweeping = false;
		return fire(fz, hook, &f, true, cut);
	}
	echo_seg(fz, &sg);
	if (ep->left > 0) {
		ep->left--;
		gen_malformed(&fz->rng, &f, &sg);
		return fire(fz, hook, &f, true, SIZE_MAX);
	}
	gen_valid(&fz->rng, &f, &sg);
	if (!fire(fz, hook, &f, true, SIZE_MAX))
		return false;
	end_episode(fz);
	return true;
}

/* Traffic of the other connections: mostly malformed, some valid, some
 * not TCP at all. Ingress echoes the newest TSval sent on egress. */
static void other_frame(struct fuzz *fz, struct frame *f, int dir)
{
	struct rng *r = &fz->rng;
	size_t i = rng_below(r, ARRAY_SIZE(OTHER));
	uint32_t v = rng_below(r, 100);
	struct seg sg = { .t = &OTHER[i], .dir = dir };

	if (dir == PPING_DIR_OUT) {
		fz->other_tsval[i] += rng_range(r, 1, 1000);
		sg.flags = TCPF_ACK | TCPF_PSH;
		sg.tsval = fz->other_tsval[i];
		sg.tsecr = (uint32_t)rng_next(r);
		sg.payload = rng_range(r, 1, 200);
	} else {
		sg.flags = TCPF_ACK;
		sg.tsval = (uint32_t)rng_next(r);
		sg.tsecr = fz->other_tsval[i];
		sg.payload = rng_below(r, 100);
	}
	if (v < 70)
		gen_malformed(r, f, &sg);
	else if (v < 85)
		gen_valid(r, f, &sg);
	else
		gen_junk(r, f, sg.t, dir);
}

static bool egress_slot(struct fuzz *fz)
{
	struct egress_sweep *w = &fz->esw;
	struct frame f;
	size_t cut;

	if (!fz->ep.active)
		return start_episode(fz);
	/* Rare: one sweep is as many runs as the frame has bytes. */
	if (!w->on && rng_below(&fz->rng, 400) == 0) {
		other_frame(fz, &w->base, PPING_DIR_OUT);
		w->at = 0;
		w->on = true;
	}
	if (w->on) {
		f = w->base;
		cut = w->at++;
		w->on = w->at <= w->base.len;
		return fire(fz, FH_EGRESS, &f, false, cut);
	}
	other_frame(fz, &f, PPING_DIR_OUT);
	return fire(fz, FH_EGRESS, &f, false, SIZE_MAX);
}

static bool fuzz_step(struct fuzz *fz)
{
	int hook = (int)(fz->index % FH_MAX);
	struct frame f;

	if (hook == FH_EGRESS)
		return egress_slot(fz);
	if (fz->ep.active)
		return episode_ingress(fz, hook);
	other_frame(fz, &f, PPING_DIR_IN);
	return fire(fz, hook, &f, false, SIZE_MAX);
}

/* ========================================================================
 * Rounds, settings, summary
 * ======================================================================== */

/* A number of runs on freshly loaded programs; odd rounds give XDP frames
 * without L2, as on a tun device. Rounds with seq run --method auto: the
 * oracle then holds every invariant but the episodes' (a flow may move
 * to SEQ/ACK at any segment), and lets any arriving ACK close a sample. */
static bool fuzz_round(struct fuzz *fz, uint64_t runs, bool xdp_l3, bool seq)
{
	const struct env_cfg cfg = { .tc = true, .xdp = true, .xdp_l3_only = xdp_l3,
				     .tcp_method = seq ? PPING_TCP_AUTO : PPING_TCP_TS };
	uint64_t i;
	bool ok = false;

	REQUIRE(env_open(&fz->e, &cfg));
	fz->xdp_l3 = xdp_l3;
	fz->seq = seq;
	fz->next_port = FIRST_PORT;
	memset(&fz->ep, 0, sizeof(fz->ep));
	fz->esw.on = false;
	REQUIRE(read_counters(&fz->e, &fz->c));
	for (i = 0; i < runs; i++, fz->index++)
		REQUIRE(fuzz_step(fz));
	ok = true;
out:
	env_close(&fz->e);
	return ok;
}

static bool env_u64(const char *name, unsigned long long *v)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return true;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || *end || s[0] == '-')
		return fail("%s=%s: not a whole number", name, s);
	return true;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_summary(const struct fuzz *fz, double secs, bool ok)
{
	const struct fuzz_stats *st = &fz->st;
	uint64_t runs = st->runs[0] + st->runs[1] + st->runs[2];
	uint64_t refused = st->refused[0] + st->refused[1] + st->refused[2];
	const char *names[FUZZ_FAULTS_MAX];
	size_t i, n = gen_fault_names(names, FUZZ_FAULTS_MAX);

	printf("  fuzz: seed 0x%llx: %llu packets (tc egress %llu, tc ingress %llu, "
	       "xdp %llu; %llu refused by the test run) in %.2f s, %.0f packets/s\n",
	       (unsigned long long)fz->seed, (unsigned long long)runs,
	       (unsigned long long)st->runs[FH_EGRESS],
	       (unsigned long long)st->runs[FH_TC_INGRESS],
	       (unsigned long long)st->runs[FH_XDP], (unsigned long long)refused,
	       secs, secs > 0 ? (double)runs / secs : 0.0);
	printf("  fuzz: frames that reached, by the oracle: an IP header %.0f%%, the TCP "
	       "header %.0f%%, well-formed TCP %.0f%%, the option walk %.0f%%, a valid "
	       "timestamp %.0f%%\n",
	       pct(st->stage[STAGE_IP], runs), pct(st->stage[STAGE_L4], runs),
	       pct(st->stage[STAGE_TCP], runs), pct(st->stage[STAGE_OPTS], runs),
	       pct(st->stage[STAGE_TS], runs));
	printf("  fuzz: frames made:");
	for (i = 0; i < n; i++)
		printf(" %s %llu%s", names[i], (unsigned long long)st->faults[i],
		       i + 1 < n ? "," : "\n");
	printf("  fuzz: invariants %s: every run passed and counted as the oracle says; "
	       "RTT samples %llu, none from the %llu runs not eligible; "
	       "episodes %llu (%llu excused), first valid echoes matched %llu/%llu; "
	       "malformed echoes %llu, of a live identifier %llu\n",
	       ok ? "held" : "held until the failure",
	       (unsigned long long)st->samples, (unsigned long long)st->ineligible,
	       (unsigned long long)st->episodes, (unsigned long long)st->excused,
	       (unsigned long long)st->matched, (unsigned long long)st->required,
	       (unsigned long long)st->rejected_echoes,
	       (unsigned long long)st->live_echoes);
}

/*
 * A run that passes without testing much is a failure too: most frames
 * must reach the option walk, and most episodes must end in a required
 * match, so that many malformed echoes are shown to have had a live
 * identifier to match.
 */
static bool check_power(const struct fuzz *fz)
{
	const struct fuzz_stats *st = &fz->st;
	uint64_t runs = st->runs[0] + st->runs[1] + st->runs[2];

	return expect(pct(st->stage[STAGE_OPTS], runs) >= 30.0,
		      "only %.0f%% of the frames reached the option walk",
		      pct(st->stage[STAGE_OPTS], runs)) &&
	       expect(st->required * 2 >= st->episodes,
		      "only %llu of %llu episodes required a match",
		      (unsigned long long)st->required,
		      (unsigned long long)st->episodes) &&
	       expect(pct(st->live_echoes, st->rejected_echoes) >= 50.0,
		      "only %llu of %llu malformed echoes shown to echo a live "
		      "identifier",
		      (unsigned long long)st->live_echoes,
		      (unsigned long long)st->rejected_echoes);
}

static bool test_fuzz_datapath(void)
{
	unsigned long long count = FUZZ_DEFAULT_COUNT;
	unsigned long long seed = now_ns() ^ ((unsigned long long)getpid() << 32);
	uint64_t total, rounds, r, t0;
	struct fuzz *fz;
	bool ok = true;

	if (!env_u64("PPING_FUZZ_COUNT", &count) || !env_u64("PPING_FUZZ_SEED", &seed))
		return false;
	if (!count)
		return fail("PPING_FUZZ_COUNT must be at least 1");
	fz = calloc(1, sizeof(*fz));
	if (!fz)
		return fail("out of memory");
	fz->seed = seed;
	fz->count = count;
	rng_seed(&fz->rng, seed);

	/* At least four rounds, so XDP sees frames with and without L2,
	 * with the timestamp method alone and with SEQ/ACK on. */
	total = FH_MAX * (uint64_t)count;
	rounds = (total + FUZZ_ROUND_MAX - 1) / FUZZ_ROUND_MAX;
	if (rounds < 4)
		rounds = 4;
	t0 = now_ns();
	for (r = 0; r < rounds && ok; r++)
		ok = fuzz_round(fz, total / rounds + (r < total % rounds), r & 1,
				r & 2);
	print_summary(fz, (double)(now_ns() - t0) / 1e9, ok);
	ok = ok && check_power(fz);
	free(fz);
	return ok;
}

DEFINE_TESTS(fuzz,
	{ "fuzz_datapath", test_fuzz_datapath }
);
