// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP and ICMPv6 echo (bpf/icmp.bpf.h): a request leaving is the
 * identifier, the reply arriving with its id and sequence number closes
 * the sample; -l does the same the other way round. Time is injected.
 */
#include "harness.h"

static const struct env_cfg CFG_ICMP = { .tc = true, .test_clock = true };

#define ECHO_ID 0x4242

/* An echo request or reply of tuple t's addresses in direction dir. */
static void build_echo(struct pkt *p, const struct tuple *t, int dir,
		       bool reply, __u16 id, __u16 seq)
{
	__u8 proto = t->ipv == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6;

	build_not_tcp(p, t, dir, proto, 56);
	p->data[p->l4_off] = t->ipv == 4 ? (reply ? 0 : 8) : (reply ? 129 : 128);
	put_be16(p->data + p->l4_off + 4, id);
	put_be16(p->data + p->l4_off + 6, seq);
}

static bool echo(struct env *e, const struct tuple *t, int dir, bool reply,
		 __u16 seq)
{
	struct pkt p;

	build_echo(&p, t, dir, reply, ECHO_ID, seq);
	return tc_hook(e, dir, &p);
}

/* The flow key of t's echoes: its addresses, the echo id as both ports. */
static struct flow_key echo_key(const struct tuple *t)
{
	struct flow_key k = tuple_key(t);

	k.local_port = k.remote_port = htons(ECHO_ID);
	k.proto = t->ipv == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6;
	return k;
}

static bool expect_icmp_rtt(struct env *e, const struct tuple *t, __u64 rtt,
			    __u8 req_dir)
{
	const struct pping_event *ev = one_event(e, PPING_EVENT_RTT);
	struct flow_key want = echo_key(t);

	CHECK(ev);
	CHECK(expect_eq("method", ev->method, PPING_METHOD_ICMP));
	CHECK(expect_eq("direction of the request", ev->dir, req_dir));
	CHECK(expect(!memcmp(&ev->flow, &want, sizeof(want)),
		     "the event's flow is not the echo's (proto %u, ports %u/%u)",
		     ev->flow.proto, ntohs(ev->flow.local_port),
		     ntohs(ev->flow.remote_port)));
	return expect_eq("rtt", ev->rtt, rtt);
}

static bool ping_case(const struct tuple *t)
{
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &CFG_ICMP));
	CHECK(echo(e, t, PPING_DIR_OUT, false, 1));
	env_advance(e, 9 * MS);
	CHECK(echo(e, t, PPING_DIR_IN, true, 1));
	CHECK(expect_icmp_rtt(e, t, 9 * MS, PPING_DIR_OUT));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("samples[icmp]", c.samples[PPING_METHOD_ICMP], 1));
	CHECK(expect_eq("icmp_echo[egress]", c.icmp_echo[PPING_HOOK_EGRESS], 1));
	CHECK(expect_eq("icmp_echo[ingress]", c.icmp_echo[PPING_HOOK_INGRESS], 1));
	CHECK(expect_eq("tcp packets", c.tcp[0] + c.tcp[1], 0));
	/* The identifier is gone: a duplicate reply is no second sample. */
	env_advance(e, MS);
	CHECK(echo(e, t, PPING_DIR_IN, true, 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("samples after a duplicate reply", c.rtt_samples, 1));
	return expect_map_sizes(e, 1, 0);
}

static bool test_icmp_ping(void)
{
	if (!ping_case(&T4))
		return fail_prefix("ICMP");
	if (!ping_case(&T6))
		return fail_prefix("ICMPv6");
	return true;
}

/* A reply must carry its request's sequence number and id, and come the
 * other way: anything else matches nothing and creates nothing. */
static bool test_icmp_mismatch(void)
{
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_ICMP));
	CHECK(echo(e, &T4, PPING_DIR_IN, true, 5));       /* no request */
	CHECK(expect_map_sizes(e, 0, 0));
	CHECK(echo(e, &T4, PPING_DIR_OUT, false, 6));
	CHECK(echo(e, &T4, PPING_DIR_IN, true, 7));       /* other sequence */
	build_echo(&p, &T4, PPING_DIR_IN, true, ECHO_ID + 1, 6);   /* other id */
	CHECK(ingress(e, &p));
	CHECK(echo(e, &T4, PPING_DIR_OUT, true, 6));      /* same way */
	CHECK(expect_eq("rtt events", count_events(e, PPING_EVENT_RTT), 0));
	/* A request arriving is not measured without -l. */
	CHECK(echo(e, &T4B, PPING_DIR_IN, false, 1));
	return expect_map_sizes(e, 1, 1);
}

/* -l: a request arriving and its reply leaving, marked as local. */
static bool test_icmp_local(void)
{
	const struct env_cfg cfg = { .tc = true, .test_clock = true,
				     .include_local = true };
	const struct pping_event *ev;
	struct env *e;

	CHECK(fixture_env(&e, &cfg));
	CHECK(echo(e, &T4, PPING_DIR_IN, false, 3));
	env_advance(e, 40000);
	CHECK(echo(e, &T4, PPING_DIR_OUT, true, 3));
	CHECK(expect_icmp_rtt(e, &T4, 40000, PPING_DIR_IN));
	ev = one_event(e, PPING_EVENT_RTT);
	return expect_eq("flags", ev->flags, PPING_EV_MATCH_ON_EGRESS);
}

/* The rate limit applies per flow direction, as for TCP. */
static bool test_icmp_rate_limit(void)
{
	struct pping_counters c;
	struct env *e;
	int i;

	CHECK(fixture_env(&e, &CFG_ICMP));
	env_runtime(e)->rate_limit_ns = 100 * MS;
	for (i = 0; i < 10; i++) {   /* ping -i 0.02 */
		CHECK(echo(e, &T4, PPING_DIR_OUT, false, i));
		env_advance(e, 5 * MS);
		CHECK(echo(e, &T4, PPING_DIR_IN, true, i));
		env_advance(e, 15 * MS);
	}
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("identifiers", c.ts_created, 2));
	CHECK(expect_eq("rate limited", c.rate_limited, 8));
	return expect_eq("samples", c.samples[PPING_METHOD_ICMP], 2);
}

/* --no-icmp, and --exclude: echoes leave no state. */
static bool test_icmp_off_and_excluded(void)
{
	const struct env_cfg off = { .tc = true, .test_clock = true, .no_icmp = true };
	struct local_net ex;
	struct env_cfg excl = { .tc = true, .test_clock = true };
	struct pping_counters c;
	struct env *e;

	CHECK(fixture_env(&e, &off));
	CHECK(echo(e, &T4, PPING_DIR_OUT, false, 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("icmp_echo with --no-icmp", c.icmp_echo[PPING_HOOK_EGRESS], 0));
	CHECK(expect_map_sizes(e, 0, 0));

	CHECK(expect(local_net_parse(T4.remote, &ex) == 0, "cannot parse %s", T4.remote));
	excl.excludes = &ex;
	excl.n_excludes = 1;
	CHECK(fixture_env(&e, &excl));
	CHECK(echo(e, &T4, PPING_DIR_OUT, false, 1));
	CHECK(read_counters(e, &c));
	CHECK(expect_eq("excluded", c.excluded, 1));
	return expect_map_sizes(e, 0, 0);
}

DEFINE_TESTS(icmp,
	{ "icmp_ping", test_icmp_ping },
	{ "icmp_mismatch", test_icmp_mismatch },
	{ "icmp_local", test_icmp_local },
	{ "icmp_rate_limit", test_icmp_rate_limit },
	{ "icmp_off_and_excluded", test_icmp_off_and_excluded },
);
