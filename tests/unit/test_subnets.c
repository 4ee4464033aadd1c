// SPDX-License-Identifier: GPL-2.0
/*
 * Per-subnet traffic for aggregation (-a, bpf/subnets.bpf.h): every
 * well-formed TCP packet is counted under the remote address masked to its
 * prefix, per direction, in the per-CPU subnet_map. The tests read the
 * values back summed over the CPUs, as the daemon does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "pping_tc.skel.h"

/* Aggregation on, IPv4 /24 and IPv6 /48 (different prefixes, so using one
 * family's mask for the other shows). */
static const struct env_cfg CFG_SUBNETS = {
	.tc = true, .aggregate_subnets = true,
	.subnet_prefix_v4 = 24, .subnet_prefix_v6 = 48,
};

static struct env_cfg subnets_cfg(__u8 prefix_v4, __u8 prefix_v6)
{
	struct env_cfg cfg = CFG_SUBNETS;

	cfg.subnet_prefix_v4 = prefix_v4;
	cfg.subnet_prefix_v6 = prefix_v6;
	return cfg;
}

/* A connection from local to remote (TCP 40000 -> 80). */
static struct tuple conn(int ipv, const char *local, const char *remote)
{
	struct tuple t = { ipv, local, remote, 40000, 80 };

	return t;
}

/*
 * One TCP segment of t in direction dir through the tc hook of that
 * direction, with a timestamp option or none, and gso_segs set if segs is
 * not 0. Adds its frame length to *bytes if bytes is not NULL.
 */
static bool tc_seg_gso(struct env *e, const struct tuple *t, int dir,
		       __u8 flags, bool ts, size_t payload, __u32 segs,
		       __u64 *bytes)
{
	struct __sk_buff skb;
	struct pkt p;

	if (ts)
		build_ts(&p, t, dir, flags, 100, dir == PPING_DIR_IN ? 100 : 0,
			 payload);
	else
		build_opts(&p, t, dir, flags, NULL, payload);
	if (bytes)
		*bytes += p.len;
	memset(&skb, 0, sizeof(skb));
	skb.gso_segs = segs;
	if (dir == PPING_DIR_OUT)
		return run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress",
				&p, TC_ACT_UNSPEC_RET, segs ? &skb : NULL);
	return run_prog(e, e->tc->progs.pping_tc_ingress, "pping_tc_ingress",
			&p, TC_ACT_UNSPEC_RET, segs ? &skb : NULL);
}

static bool tc_seg(struct env *e, const struct tuple *t, int dir, __u8 flags,
		   bool ts, size_t payload, __u64 *bytes)
{
	return tc_seg_gso(e, t, dir, flags, ts, payload, 0, bytes);
}

/* A data segment with a timestamp, the common case. */
static bool tc_data(struct env *e, const struct tuple *t, int dir,
		    size_t payload, __u64 *bytes)
{
	return tc_seg(e, t, dir, TCPF_ACK | TCPF_PSH, true, payload, bytes);
}

/* The key of subnet net (a network address, as the datapath leaves it
 * after masking): IPv4 IPv4-mapped, padding zero. */
static bool subnet_key(int ipv, const char *net, struct subnet_key *k)
{
	int ok;

	memset(k, 0, sizeof(*k));
	if (ipv == 4) {
		k->addr[10] = k->addr[11] = 0xff;
		ok = inet_pton(AF_INET, net, &k->addr[12]);
	} else {
		ok = inet_pton(AF_INET6, net, k->addr);
	}
	k->ipv = ipv;
	return expect(ok == 1, "bad test address %s", net);
}

/* The traffic of subnet net summed over the CPUs; *found tells whether
 * the map has the key at all. */
static bool subnet_read(struct env *e, int ipv, const char *net,
			struct subnet_traffic *sum, bool *found)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, d;
	struct subnet_traffic *per_cpu;
	struct subnet_key k;

	memset(sum, 0, sizeof(*sum));
	*found = false;
	if (!subnet_key(ipv, net, &k))
		return false;
	if (ncpu <= 0)
		return fail("libbpf_num_possible_cpus: %s", strerror(-ncpu));
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return fail("out of memory");
	if (bpf_map_lookup_elem(e->subnet_fd, &k, per_cpu)) {
		free(per_cpu);
		if (errno == ENOENT)
			return true;
		return fail("looking up subnet %s: %s", net, strerror(errno));
	}
	*found = true;
	for (cpu = 0; cpu < ncpu; cpu++) {
		sum->flows += per_cpu[cpu].flows;
		sum->flows_sampled += per_cpu[cpu].flows_sampled;
		for (d = 0; d < PPING_DIR_MAX; d++) {
			sum->pkts[d] += per_cpu[cpu].pkts[d];
			sum->bytes[d] += per_cpu[cpu].bytes[d];
			sum->retrans[d] += per_cpu[cpu].retrans[d];
		}
	}
	free(per_cpu);
	return true;
}

static bool expect_subnet(struct env *e, int ipv, const char *net,
			  __u64 pkts_out, __u64 bytes_out,
			  __u64 pkts_in, __u64 bytes_in)
{
	struct subnet_traffic t;
	bool found;

	if (!subnet_read(e, ipv, net, &t, &found))
		return false;
	if (!found)
		return fail("no entry for subnet %s (ipv %d)", net, ipv);
	if (!expect_eq("pkts[out]", t.pkts[PPING_DIR_OUT], pkts_out) ||
	    !expect_eq("bytes[out]", t.bytes[PPING_DIR_OUT], bytes_out) ||
	    !expect_eq("pkts[in]", t.pkts[PPING_DIR_IN], pkts_in) ||
	    !expect_eq("bytes[in]", t.bytes[PPING_DIR_IN], bytes_in))
		return fail_prefix(net);
	return true;
}

static bool expect_no_subnet(struct env *e, int ipv, const char *net)
{
	struct subnet_traffic t;
	bool found;

	if (!subnet_read(e, ipv, net, &t, &found))
		return false;
	return expect(!found, "unexpected entry for subnet %s (ipv %d)", net, ipv);
}

static bool expect_subnets(struct env *e, int n)
{
	return expect_eq("entries in subnet_map",
			 map_entries(e->subnet_fd, sizeof(struct subnet_key)), n);
}

/* Without -a nothing is counted per subnet, whatever the traffic. */
static bool test_subnet_off_by_default(void)
{
	struct tuple t4 = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t6 = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_TC));
	REQUIRE(tc_data(&e, &t4, PPING_DIR_OUT, 100, NULL));
	REQUIRE(tc_data(&e, &t4, PPING_DIR_IN, 0, NULL));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_OUT, TCPF_ACK, false, 50, NULL));
	REQUIRE(tc_data(&e, &t6, PPING_DIR_OUT, 100, NULL));
	REQUIRE(tc_data(&e, &t6, PPING_DIR_IN, 0, NULL));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 3));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 2));
	REQUIRE(expect_subnets(&e, 0));
	REQUIRE(expect_eq("subnet_full", c.subnet_full, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* IPv4 /24: hosts of one /24 share a key (the network address, IPv4-mapped)
 * with traffic per direction; another /24 has its own. */
static bool test_subnet_ipv4_prefix(void)
{
	struct tuple a = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple b = conn(4, "192.168.0.1", "10.1.2.99");
	struct tuple c = conn(4, "192.168.0.1", "10.1.2.200");
	struct tuple other = conn(4, "192.168.0.1", "10.1.3.1");
	__u64 out = 0, in = 0, other_out = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	REQUIRE(tc_data(&e, &a, PPING_DIR_OUT, 100, &out));
	REQUIRE(tc_data(&e, &b, PPING_DIR_IN, 0, &in));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 1, out, 1, in));
	/* A second packet each way adds to the existing entry. */
	REQUIRE(tc_data(&e, &c, PPING_DIR_OUT, 300, &out));
	REQUIRE(tc_data(&e, &a, PPING_DIR_IN, 20, &in));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 2, out, 2, in));

	REQUIRE(tc_data(&e, &other, PPING_DIR_OUT, 10, &other_out));
	REQUIRE(expect_subnet(&e, 4, "10.1.3.0", 1, other_out, 0, 0));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 2, out, 2, in));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* IPv6 /48: the mask cuts inside the first word of the address. */
static bool test_subnet_ipv6_prefix(void)
{
	struct tuple a = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	struct tuple b = conn(6, "fd00:ffff::1", "fd00:200:1:ffff::9");
	struct tuple other = conn(6, "fd00:ffff::1", "fd00:200:2::1");
	__u64 out = 0, in = 0, other_in = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	REQUIRE(tc_data(&e, &a, PPING_DIR_OUT, 100, &out));
	REQUIRE(tc_data(&e, &b, PPING_DIR_IN, 0, &in));
	REQUIRE(tc_data(&e, &b, PPING_DIR_OUT, 700, &out));
	REQUIRE(tc_data(&e, &other, PPING_DIR_IN, 40, &other_in));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::", 2, out, 1, in));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:2::", 0, 0, 1, other_in));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Prefix 0: one key per family for everything (the IPv4 key keeps the
 * ::ffff: of the mapping). */
static bool test_subnet_prefix_zero(void)
{
	const struct env_cfg cfg = subnets_cfg(0, 0);
	struct tuple t4a = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t4b = conn(4, "192.168.0.1", "172.16.9.9");
	struct tuple t6a = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	struct tuple t6b = conn(6, "fd00:ffff::1", "2001:db8::1");
	__u64 out4 = 0, in4 = 0, out6 = 0, in6 = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &cfg));
	REQUIRE(tc_data(&e, &t4a, PPING_DIR_OUT, 100, &out4));
	REQUIRE(tc_data(&e, &t4b, PPING_DIR_IN, 10, &in4));
	REQUIRE(tc_data(&e, &t6a, PPING_DIR_OUT, 200, &out6));
	REQUIRE(tc_data(&e, &t6b, PPING_DIR_OUT, 300, &out6));
	REQUIRE(tc_data(&e, &t6b, PPING_DIR_IN, 0, &in6));
	REQUIRE(expect_subnet(&e, 4, "0.0.0.0", 1, out4, 1, in4));
	REQUIRE(expect_subnet(&e, 6, "::", 2, out6, 1, in6));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Full-length prefixes (/32, /128): one key per address, nothing masked. */
static bool test_subnet_prefix_full(void)
{
	const struct env_cfg cfg = subnets_cfg(32, 128);
	struct tuple t4a = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t4b = conn(4, "192.168.0.1", "10.1.2.4");
	struct tuple t6a = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	struct tuple t6b = conn(6, "fd00:ffff::1", "fd00:200:1::4");
	__u64 len4a = 0, len4b = 0, len6a = 0, len6b = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &cfg));
	REQUIRE(tc_data(&e, &t4a, PPING_DIR_OUT, 100, &len4a));
	REQUIRE(tc_data(&e, &t4b, PPING_DIR_OUT, 200, &len4b));
	REQUIRE(tc_data(&e, &t6a, PPING_DIR_IN, 300, &len6a));
	REQUIRE(tc_data(&e, &t6b, PPING_DIR_IN, 400, &len6b));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.3", 1, len4a, 0, 0));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.4", 1, len4b, 0, 0));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::5", 0, 0, 1, len6a));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::4", 0, 0, 1, len6b));
	REQUIRE(expect_subnets(&e, 4));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* The key is the remote end: the destination of what leaves, the source of
 * what arrives. With exact prefixes the key names the address used, and
 * the local address never gets one. */
static bool test_subnet_remote_address(void)
{
	const struct env_cfg cfg = subnets_cfg(32, 128);
	struct tuple t4 = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t6 = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	__u64 out4 = 0, in4 = 0, out6 = 0, in6 = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &cfg));
	REQUIRE(tc_data(&e, &t4, PPING_DIR_OUT, 100, &out4));
	REQUIRE(tc_data(&e, &t6, PPING_DIR_OUT, 100, &out6));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.3", 1, out4, 0, 0));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::5", 1, out6, 0, 0));
	REQUIRE(tc_data(&e, &t4, PPING_DIR_IN, 0, &in4));
	REQUIRE(tc_data(&e, &t6, PPING_DIR_IN, 0, &in6));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.3", 1, out4, 1, in4));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::5", 1, out6, 1, in6));
	REQUIRE(expect_no_subnet(&e, 4, "192.168.0.1"));
	REQUIRE(expect_no_subnet(&e, 6, "fd00:ffff::1"));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* Traffic is all TCP, not only what pping can time: segments without a
 * timestamp option (which pping_process drops at once), pure ACKs, a SYN
 * without options, resets. */
static bool test_subnet_all_tcp(void)
{
	struct tuple t4 = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t6 = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	__u64 out4 = 0, in4 = 0, out6 = 0, in6 = 0;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_OUT, TCPF_SYN, false, 0, &out4));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_IN, TCPF_SYN | TCPF_ACK, false, 0, &in4));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, false, 500, &out4));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_IN, TCPF_ACK, false, 0, &in4));
	REQUIRE(tc_seg(&e, &t4, PPING_DIR_IN, TCPF_RST, false, 0, &in4));
	REQUIRE(tc_seg(&e, &t6, PPING_DIR_OUT, TCPF_ACK, true, 0, &out6));
	REQUIRE(tc_seg(&e, &t6, PPING_DIR_IN, TCPF_ACK, true, 0, &in6));
	REQUIRE(tc_seg(&e, &t6, PPING_DIR_OUT, TCPF_ACK, false, 0, &out6));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("tcp_no_ts[egress]", c.tcp_no_ts[PPING_HOOK_EGRESS], 3));
	REQUIRE(expect_eq("tcp_no_ts[ingress]", c.tcp_no_ts[PPING_HOOK_INGRESS], 3));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 2, out4, 3, in4));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::", 2, out6, 1, in6));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* ---- not TCP: all between addresses of the subnets above ------------------ */

static const struct tuple T4_SUBNET = { 4, "10.1.2.3", "10.1.2.4", 40000, 80 };
static const struct tuple T6_SUBNET = { 6, "fd00:200:1::5", "fd00:200:1::6", 40000, 80 };

static void udp4(struct pkt *p)
{
	build_not_tcp(p, &T4_SUBNET, PPING_DIR_OUT, PKT_IPPROTO_UDP, 40);
}

static void udp6(struct pkt *p)
{
	build_not_tcp(p, &T6_SUBNET, PPING_DIR_OUT, PKT_IPPROTO_UDP, 40);
}

static void icmp4(struct pkt *p)
{
	build_not_tcp(p, &T4_SUBNET, PPING_DIR_OUT, PKT_IPPROTO_ICMP, 56);
}

static void icmp6(struct pkt *p)
{
	build_not_tcp(p, &T6_SUBNET, PPING_DIR_OUT, PKT_IPPROTO_ICMPV6, 56);
}

/* TCP header shorter than its fixed part: addresses parsed, TCP not. */
static void tcp4_doff_4(struct pkt *p)
{
	build_ts(p, &T4_SUBNET, PPING_DIR_OUT, TCPF_ACK, 1, 0, 100);
	pkt_tcp_doff(p, 4);
}

/* TCP header longer than the segment the IP length leaves for it. */
static void tcp6_doff_past_end(struct pkt *p)
{
	build_ts(p, &T6_SUBNET, PPING_DIR_OUT, TCPF_ACK, 1, 0, 0);
	pkt_tcp_doff(p, 15);
}

/* Non-first fragments carry no TCP header. */
static void tcp4_fragment(struct pkt *p)
{
	build_ts(p, &T4_SUBNET, PPING_DIR_OUT, TCPF_ACK, 1, 0, 100);
	pkt_ipv4_set_frag(p, false, 100);
}

static void tcp6_fragment(struct pkt *p)
{
	struct tcp_opts o;

	ts_opts(&o, 1, 0);
	pkt_init(p);
	pkt_eth(p, PKT_ETH_P_IPV6);
	pkt_ipv6(p, "fd00:200:1::5", "fd00:200:1::6", PKT_IPPROTO_FRAGMENT);
	pkt_ipv6_frag(p, PKT_IPPROTO_TCP, 100, false);
	pkt_tcp(p, 40000, 80, TCPF_ACK, &o);
	pkt_payload(p, 100);
	pkt_finish(p);
}

static bool test_subnet_not_tcp(void)
{
	static const struct pkt_case cases[] = {
		{ "UDP/IPv4", udp4 },
		{ "UDP/IPv6", udp6 },
		{ "ICMP", icmp4 },
		{ "ICMPv6", icmp6 },
		{ "TCP/IPv4 doff 4", tcp4_doff_4 },
		{ "TCP/IPv6 doff past the end", tcp6_doff_past_end },
		{ "IPv4 non-first fragment", tcp4_fragment },
		{ "IPv6 non-first fragment", tcp6_fragment },
	};
	struct pping_counters c;
	struct env e;
	bool ok = false;
	size_t i;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pkt p;

		cases[i].build(&p);
		if (!egress(&e, &p) || !ingress(&e, &p) || !expect_subnets(&e, 0)) {
			fail_prefix(cases[i].name);
			goto out;
		}
	}
	/* They ran, and the parser did take none of them for TCP. */
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("pkts[egress]", c.pkts[PPING_HOOK_EGRESS], ARRAY_SIZE(cases)));
	REQUIRE(expect_eq("tcp[egress]", c.tcp[PPING_HOOK_EGRESS], 0));
	REQUIRE(expect_eq("tcp[ingress]", c.tcp[PPING_HOOK_INGRESS], 0));
	REQUIRE(expect_eq("subnet_full", c.subnet_full, 0));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* A full map: new subnets are counted as missed, known ones still counted. */
static bool test_subnet_map_full(void)
{
	struct env_cfg cfg = CFG_SUBNETS;
	struct tuple a = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple b = conn(6, "fd00:ffff::1", "fd00:200:1::5");
	struct tuple c3 = conn(4, "192.168.0.1", "10.1.4.3");
	struct tuple c4 = conn(6, "fd00:ffff::1", "fd00:200:2::1");
	__u64 out_a = 0, in_b = 0;
	struct pping_counters c;
	struct env e;
	bool ok = false;

	cfg.subnet_map_entries = 2;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(tc_data(&e, &a, PPING_DIR_OUT, 100, &out_a));
	REQUIRE(tc_data(&e, &b, PPING_DIR_IN, 100, &in_b));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("subnet_full with room", c.subnet_full, 0));

	REQUIRE(tc_data(&e, &c3, PPING_DIR_OUT, 100, NULL));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("subnet_full", c.subnet_full, 1));
	REQUIRE(tc_data(&e, &c4, PPING_DIR_IN, 100, NULL));
	REQUIRE(tc_data(&e, &c3, PPING_DIR_IN, 100, NULL));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("subnet_full", c.subnet_full, 3));
	REQUIRE(expect_subnets(&e, 2));
	REQUIRE(expect_no_subnet(&e, 4, "10.1.4.0"));
	REQUIRE(expect_no_subnet(&e, 6, "fd00:200:2::"));

	REQUIRE(tc_data(&e, &a, PPING_DIR_OUT, 100, &out_a));
	REQUIRE(tc_data(&e, &b, PPING_DIR_IN, 100, &in_b));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 2, out_a, 0, 0));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::", 0, 0, 2, in_b));
	REQUIRE(read_counters(&e, &c));
	REQUIRE(expect_eq("subnet_full after known subnets", c.subnet_full, 3));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* A GSO packet counts as all its segments (both when it creates the entry
 * and when it adds to it); bytes are the frame length at the hook. */
static bool test_subnet_gso(void)
{
	struct tuple t4 = conn(4, "192.168.0.1", "10.1.2.3");
	__u64 out = 0, in = 0;
	struct env e;
	bool ok = false;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	REQUIRE(tc_seg_gso(&e, &t4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, true,
			   600, 5, &out));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 5, out, 0, 0));
	REQUIRE(tc_seg_gso(&e, &t4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, true,
			   400, 3, &out));
	REQUIRE(tc_seg_gso(&e, &t4, PPING_DIR_IN, TCPF_ACK, true, 0, 2, &in));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 8, out, 2, in));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/* With XDP ingress (-x), both objects count into the one shared map; the
 * XDP object gets the same masks. */
static bool test_subnet_xdp_ingress(void)
{
	struct env_cfg cfg = CFG_SUBNETS;
	struct tuple t4 = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple t6 = conn(6, "fd00:ffff::1", "fd00:200:1:ffff::9");
	__u64 out4 = 0;
	struct pkt p4, p6;
	struct env e;
	bool ok = false;

	cfg.xdp = true;
	cfg.xdp_l3_only = true;
	REQUIRE(env_open(&e, &cfg));
	REQUIRE(tc_data(&e, &t4, PPING_DIR_OUT, 100, &out4));
	build_ts_l3(&p4, &t4, PPING_DIR_IN, TCPF_ACK, 500, 100, 0);
	REQUIRE(xdp_ingress(&e, &p4));
	build_ts_l3(&p6, &t6, PPING_DIR_IN, TCPF_ACK, 500, 100, 30);
	REQUIRE(xdp_ingress(&e, &p6));
	REQUIRE(expect_subnet(&e, 4, "10.1.2.0", 1, out4, 1, p4.len));
	REQUIRE(expect_subnet(&e, 6, "fd00:200:1::", 0, 0, 1, p6.len));
	REQUIRE(expect_subnets(&e, 2));
	ok = true;
out:
	env_close(&e);
	return ok;
}


/* Retransmissions per subnet and direction: the local side resending to
 * the subnet (tx) and the subnet resending (rx), with and without
 * timestamps. */
static bool test_subnet_retrans(void)
{
	struct tuple t = conn(4, "192.168.0.1", "10.1.2.3");
	struct subnet_traffic tr;
	struct env e;
	bool ok = false, found;
	int i;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	/* The builder sends every segment at one sequence number: each
	 * after the first of a direction resends it. */
	for (i = 0; i < 3; i++)
		REQUIRE(tc_seg(&e, &t, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, false, 100, NULL));
	for (i = 0; i < 2; i++)
		REQUIRE(tc_seg(&e, &t, PPING_DIR_IN, TCPF_ACK | TCPF_PSH, true, 100, NULL));
	REQUIRE(tc_seg(&e, &t, PPING_DIR_IN, TCPF_ACK, true, 0, NULL));   /* no data */
	REQUIRE(subnet_read(&e, 4, "10.1.2.0", &tr, &found));
	REQUIRE(expect(found, "no subnet entry"));
	REQUIRE(expect_eq("retrans tx", tr.retrans[PPING_DIR_OUT], 2));
	REQUIRE(expect_eq("retrans rx", tr.retrans[PPING_DIR_IN], 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

/*
 * Coverage: each TCP flow of a subnet counts once per aggregation interval
 * as seen when it sends a packet, and once as sampled when it gives an RTT
 * sample; the daemon starts a new interval by moving agg_interval.
 */
static bool test_subnet_coverage(void)
{
	struct tuple a = conn(4, "192.168.0.1", "10.1.2.3");
	struct tuple b = conn(4, "192.168.0.2", "10.1.2.4");
	struct subnet_traffic tr;
	struct env e;
	bool ok = false, found;

	REQUIRE(env_open(&e, &CFG_SUBNETS));
	/* a: data and its echo (a sample), twice; b: data, no reply */
	REQUIRE(send_data(&e, &a, 100) && ack_echo(&e, &a, 100));
	REQUIRE(send_data(&e, &a, 101) && ack_echo(&e, &a, 101));
	REQUIRE(send_data(&e, &b, 100));
	REQUIRE(subnet_read(&e, 4, "10.1.2.0", &tr, &found));
	REQUIRE(expect_eq("flows seen", tr.flows, 2));
	REQUIRE(expect_eq("flows sampled", tr.flows_sampled, 1));

	/* The next interval: b alone sends. */
	env_runtime(&e)->agg_interval++;
	REQUIRE(send_data(&e, &b, 101));
	REQUIRE(subnet_read(&e, 4, "10.1.2.0", &tr, &found));
	REQUIRE(expect_eq("flows seen after two intervals", tr.flows, 3));
	REQUIRE(expect_eq("flows sampled after two intervals", tr.flows_sampled, 1));
	ok = true;
out:
	env_close(&e);
	return ok;
}

DEFINE_TESTS(subnets,
	{ "subnet_off_by_default", test_subnet_off_by_default },
	{ "subnet_ipv4_prefix", test_subnet_ipv4_prefix },
	{ "subnet_ipv6_prefix", test_subnet_ipv6_prefix },
	{ "subnet_prefix_zero", test_subnet_prefix_zero },
	{ "subnet_prefix_full", test_subnet_prefix_full },
	{ "subnet_remote_address", test_subnet_remote_address },
	{ "subnet_all_tcp", test_subnet_all_tcp },
	{ "subnet_not_tcp", test_subnet_not_tcp },
	{ "subnet_map_full", test_subnet_map_full },
	{ "subnet_gso", test_subnet_gso },
	{ "subnet_xdp_ingress", test_subnet_xdp_ingress },
	{ "subnet_retrans", test_subnet_retrans },
	{ "subnet_coverage", test_subnet_coverage }
);
