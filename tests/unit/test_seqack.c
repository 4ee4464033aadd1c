// SPDX-License-Identifier: GPL-2.0
/*
 * Flows without timestamps (bpf/seqack.bpf.h): SEQ/ACK identifiers, their
 * matching by cumulative ACK, Karn's rule, retransmission and gap counts,
 * probes, sequence wrap, and which method a flow uses. Each rule has a test
 * that fails when its check is taken out of the datapath.
 *
 * Time is injected: an RTT is exact to the ns.
 */
#include "harness.h"
#include "pping_tc.skel.h"

static const struct env_cfg CFG_SEQ = { .tc = true, .test_clock = true };
static const struct env_cfg CFG_SEQ_LOCAL = {
	.tc = true, .test_clock = true, .include_local = true,
};

#define ISN 1000u

/* A segment of t in direction dir with no options, through its tc hook. */
static bool seg(struct env *e, const struct tuple *t, int dir, __u8 flags,
		__u32 seq, __u32 ack, size_t payload)
{
	struct pkt p;

	build_opts(&p, t, dir, flags, NULL, payload);
	pkt_tcp_seq(&p, seq, ack);
	return tc_hook(e, dir, &p);
}

/* The same with a timestamp option. */
static bool ts_seg(struct env *e, const struct tuple *t, int dir, __u8 flags,
		   __u32 tsval, __u32 tsecr, __u32 seq, __u32 ack, size_t payload)
{
	struct pkt p;

	build_ts(&p, t, dir, flags, tsval, tsecr, payload);
	pkt_tcp_seq(&p, seq, ack);
	return tc_hook(e, dir, &p);
}

/* Data leaving (local to remote) and the peer's ACK arriving. */
static bool data_out(struct env *e, __u32 seq, size_t len)
{
	return seg(e, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, seq, 1, len);
}

static bool ack_in(struct env *e, __u32 ack)
{
	return seg(e, &T4, PPING_DIR_IN, TCPF_ACK, 1, ack, 0);
}

/* Outstanding SEQ/ACK identifiers of direction dir of T4. */
static int slots_used(struct env *e, int dir)
{
	struct flow_state fs;
	int i, n = 0;

	if (!flow_lookup(e, &T4, &fs))
		return -1;
	for (i = 0; i < PPING_ID_SLOTS; i++)
		n += fs.dir[dir].ids[i].sent != 0 &&
		     !(fs.dir[dir].ids[i].tag_ago & PPING_ID_SLOT_TS);
	return n;
}

/* Exactly one RTT event so far, measured by SEQ/ACK, of rtt ns. */
static bool expect_seq_rtt(struct env *e, __u64 rtt, __u8 data_dir)
{
	const struct pping_event *ev = one_event(e, PPING_EVENT_RTT);

	CHECK(ev);
	CHECK(expect_eq("method", ev->method, PPING_METHOD_SEQ));
	CHECK(expect_eq("direction of the data", ev->dir, data_dir));
	CHECK(expect_flow_key("flow", &ev->flow, &T4));
	return expect_eq("rtt", ev->rtt, rtt);
}

static bool test_seq_sample(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 1));
	env_advance(e, 12 * MS);
	CHECK(ack_in(e, ISN + 100));
	CHECK(expect_seq_rtt(e, 12 * MS, PPING_DIR_OUT));
	CHECK(expect_eq("slots used after the match", slots_used(e, PPING_DIR_OUT), 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("seq_created", c.seq_created, 1));
	CHECK(expect_eq("samples[seq]", c.samples[PPING_METHOD_SEQ], 1));
	CHECK(expect_eq("samples[ts]", c.samples[PPING_METHOD_TS], 0));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	CHECK(expect_eq("ts_created", c.ts_created, 0));
	return expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 1);
}

/* The handshake: a SYN occupies one sequence number. */
static bool test_seq_syn(void)
{
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_SYN, ISN, 0, 0));
	env_advance(e, 7 * MS);
	CHECK(seg(e, &T4, PPING_DIR_IN, TCPF_SYN | TCPF_ACK, 5000, ISN + 1, 0));
	return expect_seq_rtt(e, 7 * MS, PPING_DIR_OUT);
}

/* An ACK short of the identifier's end matches nothing. */
static bool test_seq_partial_ack(void)
{
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 5 * MS);
	CHECK(ack_in(e, ISN + 99));
	CHECK(expect_eq("rtt events after a partial ACK",
			count_events(e, PPING_EVENT_RTT), 0));
	env_advance(e, 5 * MS);
	CHECK(ack_in(e, ISN + 100));
	return expect_seq_rtt(e, 10 * MS, PPING_DIR_OUT);
}

/*
 * A delayed ACK covering two identifiers closes both and reports the
 * older one, as a delayed ACK's timestamp echo would.
 */
static bool test_seq_delayed_ack(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 1 * MS);
	CHECK(data_out(e, ISN + 100, 100));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 2));
	env_advance(e, 10 * MS);
	CHECK(ack_in(e, ISN + 200));
	CHECK(expect_seq_rtt(e, 11 * MS, PPING_DIR_OUT));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 0));
	CHECK(read_counters(e, &c));
	return expect_eq("samples[seq]", c.samples[PPING_METHOD_SEQ], 1);
}

/*
 * Karn's rule: once a range is resent, no outstanding identifier yields a
 * sample: neither one resent, one waiting behind a resent hole, nor one
 * before it whose ACK has not come either. Each case is checked.
 */
static bool karn_case(__u32 resend_seq)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 1 * MS);
	CHECK(data_out(e, ISN + 100, 100));
	env_advance(e, 200 * MS);
	CHECK(data_out(e, resend_seq, 100));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("retrans", c.retrans, 1));
	env_advance(e, 10 * MS);
	CHECK(ack_in(e, ISN + 200));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("seq_invalidated", c.seq_invalidated, 2));
	return expect_eq("rtt_samples", c.rtt_samples, 0);
}

static bool test_seq_karn(void)
{
	if (!karn_case(ISN + 100))
		return fail_prefix("the identifier's own range resent");
	if (!karn_case(ISN))
		return fail_prefix("a range before it resent");
	if (!karn_case(ISN + 200 - 1))
		return fail_prefix("the last byte resent");
	return true;
}

/* Retransmissions and gaps are counted per flow direction, with and
 * without timestamps. */
static bool test_seq_retrans_and_gap_counts(void)
{
	const struct pping_event *ev;
	struct flow_state fs;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	CHECK(data_out(e, ISN + 200, 100));       /* 100 bytes missing */
	CHECK(data_out(e, ISN + 100, 100));       /* fills the gap late */
	CHECK(data_out(e, ISN + 250, 100));       /* half resent, half new */
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("reordered", fs.dir[PPING_DIR_OUT].reordered, 1));
	CHECK(expect_eq("retrans", fs.dir[PPING_DIR_OUT].retrans, 2));
	CHECK(expect_eq("snd_max", (__u32)fs.dir[PPING_DIR_OUT].snd_max, ISN + 350));
	CHECK(expect_eq("retrans in", fs.dir[PPING_DIR_IN].retrans, 0));
	/* The closing event reports them. */
	CHECK(seg(e, &T4, PPING_DIR_IN, TCPF_RST, 1, 0, 0));
	ev = &e->ev[e->n_ev - 1];
	CHECK(expect_flow_event(ev, PPING_FLOW_CLOSING_EV, PPING_REASON_RST,
				PPING_DIR_IN, &T4));
	CHECK(expect_eq("closing retrans[out]", ev->retrans[PPING_DIR_OUT], 2));
	CHECK(expect_eq("closing reordered[out]", ev->reordered[PPING_DIR_OUT], 1));
	CHECK(expect_eq("closing retrans[in]", ev->retrans[PPING_DIR_IN], 0));

	/* The same on a flow with timestamps (T4B). */
	CHECK(tc_ts(e, &T4B, PPING_DIR_OUT, TCPF_ACK, 10, 0, 100));
	CHECK(tc_ts(e, &T4B, PPING_DIR_OUT, TCPF_ACK, 11, 0, 100));
	CHECK(flow_lookup(e, &T4B, &fs));
	/* tc_ts sends every segment at the builder's fixed sequence number:
	 * the second resends the first. */
	return expect_eq("retrans with timestamps", fs.dir[PPING_DIR_OUT].retrans, 1);
}

/*
 * With timestamps, an original overtaken by later data (its TSval older
 * than the newest sent) is no retransmission: the gap counted it once.
 * A resend carries a newer TSval and is one.
 */
static bool test_seq_late_original(void)
{
	struct flow_state fs;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 10, 0, ISN + 100, 1, 100));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 11, 0, ISN + 300, 1, 100));  /* gap */
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 10, 0, ISN + 200, 1, 100));  /* late */
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect_eq("reordered", fs.dir[PPING_DIR_OUT].reordered, 1));
	CHECK(expect_eq("retrans after the late original", fs.dir[PPING_DIR_OUT].retrans, 0));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 12, 0, ISN + 200, 1, 100));  /* resent */
	CHECK(flow_lookup(e, &T4, &fs));
	return expect_eq("retrans after the resend", fs.dir[PPING_DIR_OUT].retrans, 1);
}

/* A GSO packet leaving (tc egress) of segs wire segments. */
static bool data_out_gso(struct env *e, __u32 seq, size_t len, __u32 segs)
{
	struct __sk_buff skb;
	struct pkt p;

	build_opts(&p, &T4, PPING_DIR_OUT, TCPF_ACK, NULL, len);
	pkt_tcp_seq(&p, seq, 1);
	memset(&skb, 0, sizeof(skb));
	skb.gso_segs = segs;
	skb.tstamp = env_now(e);
	return run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress", &p,
			TC_ACT_UNSPEC_RET, &skb);
}

/* Retransmissions are counted in wire segments, as a capture behind the
 * hook (after GSO) sees them: a resent GSO packet counts each segment; one
 * that resends and then sends new data, the segments up to snd_max. */
static bool test_seq_retrans_gso(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out_gso(e, ISN, 300, 3));
	CHECK(data_out_gso(e, ISN, 300, 3));            /* all 3 resent */
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("retrans after a whole resend", c.retrans, 3));
	CHECK(data_out_gso(e, ISN + 150, 300, 3));      /* 150 old, 150 new */
	CHECK(read_counters(e, &c));
	return expect_eq("retrans after a partial resend", c.retrans, 5);
}

/* Keep-alives and probes (no payload, or one byte below snd_max) are
 * neither identifiers nor retransmissions; nor are pure ACKs. */
static bool test_seq_probes(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	env_runtime(e)->rate_limit_ns = 0;
	CHECK(data_out(e, ISN, 100));
	CHECK(ack_in(e, ISN + 100));
	env_advance(e, SECOND);
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, ISN + 99, 1, 0));   /* Linux */
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, ISN + 99, 1, 1));   /* with a byte */
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, ISN + 100, 1, 0));  /* pure ACK */
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("seq_created", c.seq_created, 1));
	return expect_eq("retrans", c.retrans, 0);
}

/* Sequence numbers wrap at 2^32. */
static bool test_seq_wrap(void)
{
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, 0xffffffc0u, 1000));
	env_advance(e, 3 * MS);
	CHECK(ack_in(e, 0xffffffc0u + 50));   /* partial, before the wrap point */
	CHECK(ack_in(e, 0xffffffc0u + 500));  /* partial, after it */
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0));
	CHECK(ack_in(e, 0xffffffc0u + 1000));   /* 0x3a8 */
	CHECK(expect_seq_rtt(e, 3 * MS, PPING_DIR_OUT));
	/* A segment just after the wrap is new data, not a retransmission. */
	CHECK(data_out(e, 0xffffffc0u + 1000, 100));
	return expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 1);
}

/* The rate limit, bursts and degradation apply as to timestamps; a new
 * identifier with both slots taken is counted. */
static bool test_seq_rate_limit_and_slots(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	env_runtime(e)->rate_limit_ns = 100 * MS;
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 1 * MS);
	CHECK(data_out(e, ISN + 100, 100));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rate_limited", c.rate_limited, 1));

	env_runtime(e)->rate_limit_ns = 0;
	CHECK(data_out(e, ISN + 200, 100));
	CHECK(data_out(e, ISN + 300, 100));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 2));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("seq_created", c.seq_created, 2));
	return expect_eq("seq_no_slot", c.seq_no_slot, 1);
}

/*
 * An ACK that does not move the cumulative point (a duplicate carrying
 * SACK blocks) matches nothing, even one arriving out of order after a
 * later ACK has covered the same identifiers.
 */
static bool test_seq_dup_ack(void)
{
	struct tcp_opts o;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 2 * MS);
	CHECK(ack_in(e, ISN + 100));
	CHECK(data_out(e, ISN + 100, 100));
	env_advance(e, 2 * MS);
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_sack(&o, 1);
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_ACK, &o, 0);
	pkt_tcp_seq(&p, 1, ISN + 100);
	CHECK(ingress(e, &p));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(expect_eq("slots used", slots_used(e, PPING_DIR_OUT), 1));
	env_advance(e, 2 * MS);
	CHECK(ack_in(e, ISN + 200));
	return expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 2);
}

/* A reset acknowledging the data closes no sample: it is sent when the
 * peer gives up, not when the data arrived. */
static bool test_seq_rst_no_sample(void)
{
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(data_out(e, ISN, 100));
	env_advance(e, 500 * MS);
	CHECK(seg(e, &T4, PPING_DIR_IN, TCPF_RST | TCPF_ACK, 1, ISN + 100, 0));
	return expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0);
}

/*
 * The method: timestamps while every packet carries them; SEQ/ACK from the
 * first packet without (here the reply), and for every flow with
 * --method seq; --method ts leaves flows without timestamps unmeasured.
 */
static bool test_seq_method_choice(void)
{
	const struct env_cfg seq_only = { .tc = true, .test_clock = true,
					  .tcp_method = PPING_TCP_SEQ };
	const struct env_cfg ts_only = { .tc = true, .test_clock = true,
					 .tcp_method = PPING_TCP_TS };
	struct pping_counters c;
	struct flow_state fs;
	struct tcp_opts o;
	struct env *e;
	struct pkt p;

	/* auto: timestamped data; an ACK with a malformed timestamp option
	 * (length 9) is no evidence, one without options is */
	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 10, 0, ISN, 1, 100));
	CHECK(expect_ts(e, &T4, 10, PPING_DIR_OUT));
	opts_init(&o);
	opt_nop(&o);
	opt_nop(&o);
	opt_ts_len(&o, 50, 10, 9);
	build_opts(&p, &T4, PPING_DIR_IN, TCPF_ACK, &o, 0);
	pkt_tcp_seq(&p, 1, ISN + 50);
	CHECK(ingress(e, &p));
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect(!(fs.flags & PPING_FLOW_NO_TS),
		     "flow marked without timestamps by a malformed option"));
	CHECK(ack_in(e, ISN + 100));
	CHECK(flow_lookup(e, &T4, &fs));
	CHECK(expect(fs.flags & PPING_FLOW_NO_TS, "flow not marked without timestamps"));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 11, 0, ISN + 100, 1, 100));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("seq_created after the switch", c.seq_created, 1));
	CHECK(expect_eq("ts_created", c.ts_created, 1));

	/* --method seq: timestamps on both sides, SEQ/ACK all the same */
	CHECK(fixture_env(&e, &seq_only));
	CHECK(ts_seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 10, 0, ISN, 1, 100));
	env_advance(e, 4 * MS);
	CHECK(ts_seg(e, &T4, PPING_DIR_IN, TCPF_ACK, 50, 10, 1, ISN + 100, 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created with --method seq", c.ts_created, 0));
	CHECK(expect_eq("samples[seq] with --method seq", c.samples[PPING_METHOD_SEQ], 1));

	/* --method ts: no timestamps, no flow */
	CHECK(fixture_env(&e, &ts_only));
	CHECK(data_out(e, ISN, 100));
	return expect_map_sizes(e, 0, 0);
}

/* A SYN without timestamps on a known tuple: a retransmission keeps the
 * flow, a new initial sequence number starts a new one. */
static bool test_seq_syn_reuse(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ));
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_SYN, ISN, 0, 0));
	env_advance(e, SECOND);
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_SYN, ISN, 0, 0));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("flows_opened after a resent SYN", c.flows_opened, 1));
	CHECK(expect_eq("retrans", c.retrans, 1));
	env_advance(e, SECOND);
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_SYN, ISN + 777777, 0, 0));
	CHECK(read_counters(e, &c));
	return expect_eq("flows_opened after a new SYN", c.flows_opened, 2);
}

/* With -l, SEQ/ACK works the other way too: data arriving, ACK leaving. */
static bool test_seq_local(void)
{
	const struct pping_event *ev;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_SEQ_LOCAL));
	CHECK(seg(e, &T4, PPING_DIR_IN, TCPF_ACK, 7000, 1, 100));
	env_advance(e, 300000);
	CHECK(seg(e, &T4, PPING_DIR_OUT, TCPF_ACK, 1, 7100, 0));
	ev = one_event(e, PPING_EVENT_RTT);
	CHECK(ev);
	CHECK(expect_eq("flags", ev->flags, PPING_EV_MATCH_ON_EGRESS));
	return expect_seq_rtt(e, 300000, PPING_DIR_IN);
}

DEFINE_TESTS(seqack,
	{ "seq_sample", test_seq_sample },
	{ "seq_syn", test_seq_syn },
	{ "seq_partial_ack", test_seq_partial_ack },
	{ "seq_delayed_ack", test_seq_delayed_ack },
	{ "seq_karn", test_seq_karn },
	{ "seq_retrans_and_gap_counts", test_seq_retrans_and_gap_counts },
	{ "seq_retrans_gso", test_seq_retrans_gso },
	{ "seq_late_original", test_seq_late_original },
	{ "seq_probes", test_seq_probes },
	{ "seq_wrap", test_seq_wrap },
	{ "seq_rate_limit_and_slots", test_seq_rate_limit_and_slots },
	{ "seq_dup_ack", test_seq_dup_ack },
	{ "seq_rst_no_sample", test_seq_rst_no_sample },
	{ "seq_method_choice", test_seq_method_choice },
	{ "seq_syn_reuse", test_seq_syn_reuse },
	{ "seq_local", test_seq_local },
);
