// SPDX-License-Identifier: GPL-2.0
/*
 * Matching: an echo of a stored TSval gives one RTT sample, and only an
 * ACK of the other direction echoes.
 */
#include "harness.h"

static bool match_one_family(const struct tuple *t)
{
	const struct pping_event *ev;
	__u64 before, after, sent_at = 0;
	struct pping_counters c;
	struct flow_state fs;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));

	before = now_ns();
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, MATCH_TSVAL, 77, 100));
	CHECK(expect(ts_lookup(e, t, MATCH_TSVAL, PPING_DIR_OUT, &sent_at),
		     "data segment not timestamped"));
	CHECK(expect(sent_at >= before, "identifier time %llu before the send %llu",
		     (unsigned long long)sent_at, (unsigned long long)before));

	/* The peer's ACK echoes it. */
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 5000, MATCH_TSVAL, 0));
	after = now_ns();

	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect(ev->rtt > 0, "rtt is 0"));
	CHECK(expect(ev->rtt <= after - before, "rtt %llu ns longer than the test (%llu ns)",
		     (unsigned long long)ev->rtt,
		     (unsigned long long)(after - before)));
	CHECK(expect_eq("rtt event time - identifier time", ev->time_ns - sent_at,
			ev->rtt));
	CHECK(expect_eq("rtt event dir", ev->dir, PPING_DIR_OUT));
	CHECK(expect_eq("rtt event flags", ev->flags, 0));
	CHECK(expect_eq("rtt event min_rtt", ev->min_rtt, ev->rtt));
	CHECK(expect_eq("rtt event srtt", ev->srtt, ev->rtt));
	CHECK(expect_eq("rtt event pkts[out]", ev->pkts[PPING_DIR_OUT], 1));
	CHECK(expect_eq("rtt event pkts[in]", ev->pkts[PPING_DIR_IN], 1));
	CHECK(expect_flow_key("rtt event", &ev->flow, t));
	CHECK(expect_no_ts(e, t, MATCH_TSVAL, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	CHECK(expect(flow_lookup(e, t, &fs), "flow gone"));
	CHECK(expect_eq("flow min_rtt[out]", fs.dir[PPING_DIR_OUT].min_rtt, ev->rtt));
	/* Taken from the flow's slot, not the map: no map entry came or
	 * went, and the map's echo claim was not needed. */
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 0));
	CHECK(expect_eq("ts_deleted", c.ts_deleted, 0));
	CHECK(expect_eq("flow last_tsecr[out]", fs.dir[PPING_DIR_OUT].last_tsecr, 0));

	/* A second ACK echoing the same TSval (delayed ACKs, dup ACKs): no
	 * second sample. */
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 5001, MATCH_TSVAL, 0));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	return true;
}

static bool test_match_rtt(void)
{
	if (!match_one_family(&T4))
		return fail_prefix("IPv4");
	if (!match_one_family(&T6))
		return fail_prefix("IPv6");
	return true;
}

/*
 * On the injected clock an RTT is exactly the time the test let pass, on
 * either ingress hook: tc (the time in __sk_buff.tstamp) and XDP (in the
 * packet's metadata), as with -x on a tun device.
 */
static bool test_match_rtt_injected_clock(void)
{
	struct env_cfg cfg = CFG_TC_XDP_L3;
	const struct pping_event *ev;
	__u64 t0, sent_at = 0;
	struct env *e;
	struct pkt p;

	cfg.test_clock = true;
	CHECK(fixture_env(&e, &cfg));
	t0 = env_now(e);
	CHECK(send_data(e, &T4, MATCH_TSVAL));
	CHECK(expect(ts_lookup(e, &T4, MATCH_TSVAL, PPING_DIR_OUT, &sent_at),
		     "data segment not timestamped"));
	CHECK(expect_eq("identifier time", sent_at, t0));
	env_advance(e, 12345678);
	build_ts_l3(&p, &T4, PPING_DIR_IN, TCPF_ACK, 5000, MATCH_TSVAL, 0);
	CHECK(xdp_ingress(e, &p));
	CHECK((ev = one_event(e, PPING_EVENT_RTT)));
	CHECK(expect_eq("XDP: rtt", ev->rtt, 12345678));
	CHECK(expect_eq("XDP: event time", ev->time_ns, t0 + 12345678));

	t0 = env_now(e) + SECOND;
	env_set_time(e, t0);
	CHECK(send_data(e, &T4, MATCH_TSVAL + 1));
	env_advance(e, 7654321);
	CHECK(ack_echo(e, &T4, MATCH_TSVAL + 1));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 2));
	ev = &e->ev[e->n_ev - 1];
	CHECK(expect_eq("tc: rtt", ev->rtt, 7654321));
	CHECK(expect_eq("tc: event time", ev->time_ns, t0 + 7654321));
	return true;
}

static bool test_match_requires_ack(void)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(send_data(e, &T4, MATCH_TSVAL));

	/* Without ACK the TSecr field means nothing (RFC 7323): no match,
	 * and the identifier stays for the real echo. */
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_PSH, 5000, MATCH_TSVAL, 10));
	CHECK(expect_eq("rtt events after a non-ACK echo",
			count_events(e, PPING_EVENT_RTT), 0));
	CHECK(expect_ts(e, &T4, MATCH_TSVAL, PPING_DIR_OUT));

	/* An echo of a TSval that was never stored: nothing either. */
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_ACK, 5001, MATCH_TSVAL - 1, 0));
	CHECK(expect_eq("rtt events after an unknown echo",
			count_events(e, PPING_EVENT_RTT), 0));

	/* An echo on an egress packet (no include_local): not matched. */
	CHECK(tc_ts(e, &T4, PPING_DIR_OUT, TCPF_ACK, MATCH_TSVAL + 1, MATCH_TSVAL, 0));
	CHECK(expect_eq("rtt events after an egress echo",
			count_events(e, PPING_EVENT_RTT), 0));

	/* The real ACK still matches. */
	CHECK(tc_ts(e, &T4, PPING_DIR_IN, TCPF_ACK, 5002, MATCH_TSVAL, 0));
	CHECK(expect_eq("rtt events after the ACK",
			count_events(e, PPING_EVENT_RTT), 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("rtt_samples", c.rtt_samples, 1));
	return true;
}

/*
 * (ts_map.) Echoes of TSvals that never became identifiers are answered
 * from the flow's identifier range: they neither claim last_tsecr nor look up the
 * identifier map. The range restarts once every echo has passed it, and an
 * identifier whose echo was lost keeps it open until one passes.
 */
static bool test_match_identifier_range(void)
{
	const struct tuple *t = &T4;
	struct env_cfg cfg = CFG_TC;
	struct flow_dir_state *d;
	struct flow_state fs;
	struct env *e;

	cfg.rate_limit_ns = 1000 * SECOND;   /* one identifier, then none */
	cfg.ts_map_only = true;
	CHECK(fixture_env(&e, &cfg));
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1000, 1, 100));
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 1001, 1, 100));   /* rate-limited: not an identifier */
	CHECK(flow_lookup(e, t, &fs));
	d = &fs.dir[PPING_DIR_OUT];
	CHECK(expect_eq("id_first", d->id_first, 1000));
	CHECK(expect_eq("id_last", d->id_last, 1000));

	/* Echoes before and after the identifier: no claim, no sample. */
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 9, 999, 0));
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 10, 1001, 0));
	CHECK(flow_lookup(e, t, &fs));
	CHECK(expect_eq("last_tsecr after echoes outside the range",
			fs.dir[PPING_DIR_OUT].last_tsecr, 0));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0));

	/* The identifier's own echo still matches: the out-of-range echo
	 * above (1001) did not claim past it. */
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 11, 1000, 0));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(flow_lookup(e, t, &fs));
	CHECK(expect_eq("last_tsecr", fs.dir[PPING_DIR_OUT].last_tsecr, 1000));
	return true;
}

static bool test_match_range_restart(void)
{
	const struct tuple *t = &T4;
	struct env_cfg cfg = CFG_TC;
	struct flow_state fs;
	struct env *e;

	cfg.rate_limit_ns = 0;
	cfg.ts_map_only = true;
	CHECK(fixture_env(&e, &cfg));
	/* Identifier 100 whose echo is lost, then 200: the range must keep
	 * 100 (no echo has passed it)... */
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 1, 100));
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 200, 1, 100));
	CHECK(flow_lookup(e, t, &fs));
	CHECK(expect_eq("id_first with 100 unanswered", fs.dir[PPING_DIR_OUT].id_first, 100));
	CHECK(expect_eq("id_last", fs.dir[PPING_DIR_OUT].id_last, 200));
	/* ...and 100's late echo still finds it. */
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 5, 100, 0));
	CHECK(tc_ts(e, t, PPING_DIR_IN, TCPF_ACK, 6, 200, 0));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 2));
	/* Every echo has passed 200: the next identifier starts the range. */
	CHECK(tc_ts(e, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 300, 1, 100));
	CHECK(flow_lookup(e, t, &fs));
	CHECK(expect_eq("id_first restarted", fs.dir[PPING_DIR_OUT].id_first, 300));
	CHECK(expect_eq("id_last", fs.dir[PPING_DIR_OUT].id_last, 300));
	return true;
}

/*
 * The flow's two slots hold the first identifiers; a third outstanding
 * one goes to ts_map. Each echo finds its own, wherever it is, once.
 */
static bool test_match_slots_then_map(void)
{
	const struct tuple *t = &T4;
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env *e;
	__u32 v;

	cfg.rate_limit_ns = 0;
	CHECK(fixture_env(&e, &cfg));
	for (v = 100; v <= 300; v += 100)
		CHECK(send_data(e, t, v));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_created", c.ts_created, 3));
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 1));
	CHECK(expect_eq("ts_map entries", map_entries(e->ts_fd, sizeof(struct ts_key)), 1));
	for (v = 100; v <= 300; v += 100) {
		CHECK(ack_echo(e, t, v));
		CHECK(ack_echo(e, t, v));   /* a duplicate: nothing more */
	}
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 3));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_deleted (the map's one)", c.ts_deleted, 1));
	CHECK(expect_eq("ts_passed", c.ts_passed, 0));
	CHECK(expect_map_sizes(e, 1, 0));
	return true;
}

/*
 * An echo of a newer TSval passes the older identifiers in the slots:
 * their echoes will never come (a receiver echoes the oldest segment it
 * has not acknowledged, and only ever moves forward), so they are dropped,
 * counted, and a late echo of one is no sample. A slot is then free for
 * the next identifier.
 */
static bool test_match_slot_passed(void)
{
	const struct tuple *t = &T4;
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct env *e;

	cfg.rate_limit_ns = 0;
	CHECK(fixture_env(&e, &cfg));
	CHECK(send_data(e, t, 100));
	CHECK(send_data(e, t, 200));
	CHECK(ack_echo(e, t, 200));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_passed", c.ts_passed, 1));
	CHECK(expect_no_ts(e, t, 100, PPING_DIR_OUT));
	CHECK(ack_echo(e, t, 100));
	CHECK(expect_eq("rtt events after the late echo", count_events(e, PPING_EVENT_RTT), 1));
	CHECK(send_data(e, t, 300));
	CHECK(send_data(e, t, 400));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("ts_in_map", c.ts_in_map, 0));
	CHECK(expect_map_sizes(e, 1, 2));
	return true;
}

/*
 * Karn's rule drops SEQ/ACK identifiers when data is resent; a timestamp
 * identifier stays (the resent segment carries a new TSval, so its echo
 * is unambiguous). The same sequence range sent twice, with two TSvals.
 */
static bool test_match_resend_keeps_ts(void)
{
	const struct tuple *t = &T4;
	struct env_cfg cfg = CFG_TC;
	struct pping_counters c;
	struct pkt p;
	struct env *e;

	cfg.rate_limit_ns = 0;
	CHECK(fixture_env(&e, &cfg));
	build_ts(&p, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 0, 100);
	CHECK(tc_hook(e, PPING_DIR_OUT, &p));
	build_ts(&p, t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 101, 0, 100);
	CHECK(tc_hook(e, PPING_DIR_OUT, &p));   /* same sequence range: resent */
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("retrans", c.retrans, 1));
	CHECK(expect_eq("seq_invalidated", c.seq_invalidated, 0));
	CHECK(expect_ts(e, t, 100, PPING_DIR_OUT));
	CHECK(expect_ts(e, t, 101, PPING_DIR_OUT));
	CHECK(ack_echo(e, t, 100));
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 1));
	return true;
}

DEFINE_TESTS(match,
	{ "match_rtt", test_match_rtt },
	{ "match_rtt_injected_clock", test_match_rtt_injected_clock },
	{ "match_requires_ack", test_match_requires_ack },
	{ "match_identifier_range", test_match_identifier_range },
	{ "match_range_restart", test_match_range_restart },
	{ "match_slots_then_map", test_match_slots_then_map },
	{ "match_slot_passed", test_match_slot_passed },
	{ "match_resend_keeps_ts", test_match_resend_keeps_ts }
);
