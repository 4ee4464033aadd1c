// SPDX-License-Identifier: GPL-2.0
/*
 * --include, --exclude and --ports in the datapath (bpf/filter.bpf.h): a
 * flow left out is counted as excluded and leaves no state (no flow, no
 * identifier, no RTT); the longest matching prefix of either end decides;
 * IPv4 and IPv6; ports match either end. Without filters nothing is left
 * out.
 */
#include "harness.h"

/* A data segment of t out and its echo back: measured if the datapath
 * keeps the flow. */
static bool exchange(struct env *e, const struct tuple *t)
{
	return send_data(e, t, 100) && ack_echo(e, t, 100);
}

/* t was measured (a flow, an RTT) or left out (nothing but the count). */
static bool expect_measured(struct env *e, const struct tuple *t, bool measured)
{
	struct flow_state fs;
	bool have = flow_lookup(e, t, &fs);

	if (have != measured)
		return fail("flow %s:%u->%s:%u %s", t->local, t->lport, t->remote,
			    t->rport, measured ? "not measured" : "has state");
	return true;
}

static bool expect_excluded(struct env *e, __u64 want)
{
	struct pping_counters c;

	return read_counters(e, &c) && expect_eq("packets excluded", c.excluded, want);
}

static struct local_net net(const char *cidr)
{
	struct local_net n;

	if (local_net_parse(cidr, &n))
		fail("bad prefix %s in the test", cidr);
	return n;
}

static bool test_filter_off_by_default(void)
{
	struct env *e;

	CHECK(fixture_env(&e, &CFG_TC));
	CHECK(exchange(e, &T4) && exchange(e, &T6));
	CHECK(expect_measured(e, &T4, true) && expect_measured(e, &T6, true));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 2));
	return expect_excluded(e, 0);
}

/* --exclude of the remote's subnet: both directions of the flow are left
 * out (2 packets), while a flow elsewhere is measured. */
static bool test_filter_exclude(void)
{
	const struct tuple other = { 4, "10.0.0.1", "192.0.2.7", 40010, 80 };
	struct local_net ex[] = { net("10.0.0.0/24") };
	struct env_cfg cfg = CFG_TC;
	struct env *e;

	cfg.excludes = ex;
	cfg.n_excludes = 1;
	CHECK(fixture_env(&e, &cfg));
	CHECK(exchange(e, &T4) && exchange(e, &other));
	/* other's local end 10.0.0.1 is in the prefix too: either end. */
	CHECK(expect_measured(e, &T4, false) && expect_measured(e, &other, false));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 0));
	CHECK(expect_map_sizes(e, 0, 0));
	return expect_excluded(e, 4);
}

/* --include: only flows with an end inside; the longest prefix decides,
 * so an exclusion inside an inclusion wins for its addresses. */
static bool test_filter_include_longest_prefix(void)
{
	const struct tuple in = { 4, "192.0.2.1", "10.2.0.9", 40020, 80 };
	const struct tuple carved = { 4, "192.0.2.1", "10.1.2.3", 40021, 80 };
	const struct tuple out = { 4, "192.0.2.1", "198.51.100.4", 40022, 80 };
	/* One end included, the other excluded: excluded wins. */
	const struct tuple both = { 4, "10.2.0.1", "10.1.2.3", 40023, 80 };
	struct local_net inc[] = { net("10.0.0.0/8") };
	struct local_net ex[] = { net("10.1.0.0/16") };
	struct env_cfg cfg = CFG_TC;
	struct env *e;

	cfg.includes = inc;
	cfg.n_includes = 1;
	cfg.excludes = ex;
	cfg.n_excludes = 1;
	CHECK(fixture_env(&e, &cfg));
	CHECK(exchange(e, &in) && exchange(e, &carved) && exchange(e, &out) &&
	      exchange(e, &both));
	CHECK(expect_measured(e, &in, true));
	CHECK(expect_measured(e, &carved, false));
	CHECK(expect_measured(e, &out, false));
	CHECK(expect_measured(e, &both, false));
	CHECK(expect_eq("RTT events", count_events(e, PPING_EVENT_RTT), 1));
	return expect_excluded(e, 6);
}

static bool test_filter_ipv6(void)
{
	const struct tuple kept = { 6, "fd00::1", "2001:db8:1::5", 40030, 443 };
	struct local_net ex[] = { net("fd00::2/128") };
	struct env_cfg cfg = CFG_TC;
	struct env *e;

	cfg.excludes = ex;
	cfg.n_excludes = 1;
	CHECK(fixture_env(&e, &cfg));
	CHECK(exchange(e, &T6) && exchange(e, &kept));
	CHECK(expect_measured(e, &T6, false) && expect_measured(e, &kept, true));
	return expect_excluded(e, 2);
}

/* --ports 443: either end's port may match. */
static bool test_filter_ports(void)
{
	const struct tuple client = { 4, "10.0.0.1", "10.0.0.2", 40040, 443 };
	const struct tuple server = { 4, "10.0.0.1", "10.0.0.2", 443, 40041 };
	static __u64 ports[PPING_PORT_WORDS];
	struct env_cfg cfg = CFG_TC;
	struct env *e;

	ports[443 / 64] |= 1ULL << (443 % 64);
	cfg.ports = ports;
	CHECK(fixture_env(&e, &cfg));
	CHECK(exchange(e, &T4) && exchange(e, &client) && exchange(e, &server));
	CHECK(expect_measured(e, &T4, false));   /* port 80 */
	CHECK(expect_measured(e, &client, true) && expect_measured(e, &server, true));
	return expect_excluded(e, 2);
}

DEFINE_TESTS(filter,
	{ "filter_off_by_default", test_filter_off_by_default },
	{ "filter_exclude", test_filter_exclude },
	{ "filter_include_longest_prefix", test_filter_include_longest_prefix },
	{ "filter_ipv6", test_filter_ipv6 },
	{ "filter_ports", test_filter_ports }
);
