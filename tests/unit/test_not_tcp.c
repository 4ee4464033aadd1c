// SPDX-License-Identifier: GPL-2.0
/*
 * Packets that are not TCP: other protocols, and frames cut inside a header.
 * Both hooks count them and leave no state. ICMP echo is measured
 * (test_icmp.c) unless --no-icmp, so the echo cases here run without it,
 * and other ICMP messages are never measured.
 */
#include "harness.h"

static void other_udp4(struct pkt *p)
{
	build_not_tcp(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_UDP, 40);
}

static void other_icmp4(struct pkt *p)
{
	build_not_tcp(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_ICMP, 56);
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
	build_not_tcp(p, &T6, PPING_DIR_OUT, PKT_IPPROTO_UDP, 40);
}

static void other_icmp6(struct pkt *p)
{
	build_not_tcp(p, &T6, PPING_DIR_OUT, PKT_IPPROTO_ICMPV6, 56);
}

/* ICMP messages that are not echoes: destination unreachable. */
static void icmp4_unreachable(struct pkt *p)
{
	build_not_tcp(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_ICMP, 56);
	p->data[p->l4_off] = 3;
}

static void icmp6_unreachable(struct pkt *p)
{
	build_not_tcp(p, &T6, PPING_DIR_OUT, PKT_IPPROTO_ICMPV6, 56);
	p->data[p->l4_off] = 1;
}

/* An echo request with a nonzero code is no echo. */
static void icmp4_echo_bad_code(struct pkt *p)
{
	build_not_tcp(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_ICMP, 56);
	p->data[p->l4_off + 1] = 1;
}

/* An ICMPv6 echo type inside IPv4 (and the reverse) is no echo either. */
static void icmp4_v6_type(struct pkt *p)
{
	build_not_tcp(p, &T4, PPING_DIR_OUT, PKT_IPPROTO_ICMP, 56);
	p->data[p->l4_off] = 128;
}

/* An echo request cut inside its 8-byte header. */
static void icmp6_echo_cut(struct pkt *p)
{
	build_not_tcp(p, &T6, PPING_DIR_OUT, PKT_IPPROTO_ICMPV6, 0);
	pkt_truncate(p, p->l4_off + 6);
}

static bool check_other_both_hooks(const struct pkt_case *cs, const struct pkt *p)
{
	static const struct env_cfg no_icmp = { .tc = true, .no_icmp = true };
	struct env *e;

	(void)cs;
	return expect_one_pkt(&e, &no_icmp, RUN_EGRESS | RUN_INGRESS, p, NOT_TCP);
}

static bool check_icmp_not_echo(const struct pkt_case *cs, const struct pkt *p)
{
	struct env *e;

	(void)cs;
	return expect_one_pkt(&e, &CFG_TC, RUN_EGRESS | RUN_INGRESS, p, NOT_TCP);
}

static bool test_icmp_not_echo(void)
{
	static const struct pkt_case cases[] = {
		{ "ICMP unreachable", icmp4_unreachable },
		{ "ICMPv6 unreachable", icmp6_unreachable },
		{ "ICMP echo with code 1", icmp4_echo_bad_code },
		{ "ICMPv6 echo type in IPv4", icmp4_v6_type },
	};

	return run_cases(cases, ARRAY_SIZE(cases), check_icmp_not_echo);
}

/* XDP, where a frame may end anywhere: an echo header cut short. */
static bool test_icmp_echo_cut(void)
{
	struct env *e;
	struct pkt p;

	icmp6_echo_cut(&p);
	return expect_one_pkt(&e, &CFG_XDP_L2, RUN_XDP, &p, NOT_TCP);
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
	struct tcp_opts o;

	/* The frame ends inside a hop-by-hop header, whose segment the IPv6
	 * header says is all there. */
	ts_opts(&o, 1, 0);
	pkt_init(p);
	l2_header(p, &T6);
	add_ip(p, &T6, PPING_DIR_IN, PKT_IPPROTO_HOPOPTS);
	pkt_ipv6_ext(p, PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_TCP, 8);
	add_tcp(p, &T6, PPING_DIR_IN, TCPF_ACK, &o, 100);
	pkt_truncate(p, p->l3_off + 40 + 4);
}

static bool check_runt_xdp(const struct pkt_case *cs, const struct pkt *p)
{
	struct env *e;

	(void)cs;
	return expect_one_pkt(&e, &CFG_XDP_L2, RUN_XDP, p, NOT_TCP);
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

DEFINE_TESTS(not_tcp,
	{ "non_tcp", test_non_tcp },
	{ "icmp_not_echo", test_icmp_not_echo },
	{ "icmp_echo_cut", test_icmp_echo_cut },
	{ "runt_frames", test_runt_frames }
);
