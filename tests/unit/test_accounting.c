// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow packet and byte accounting.
 */
#include <string.h>

#include "harness.h"
#include "pping_tc.skel.h"

static bool test_flow_accounting(void)
{
	struct __sk_buff skb;
	struct flow_state fs;
	size_t len_out, len_in;
	struct env *e;
	struct pkt p;

	CHECK(fixture_env(&e, &CFG_TC));

	/* A GSO packet counts as all its segments, and bytes are the frame
	 * length at the hook. */
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 100, 0, 400);
	len_out = p.len;
	memset(&skb, 0, sizeof(skb));
	skb.gso_segs = 4;
	CHECK(run_prog(e, e->tc->progs.pping_tc_egress, "pping_tc_egress", &p,
		       TC_ACT_UNSPEC_RET, &skb));
	build_ts(&p, &T4, PPING_DIR_IN, TCPF_ACK, 500, 100, 0);
	len_in = p.len;
	CHECK(ingress(e, &p));
	CHECK(ingress(e, &p));

	CHECK(expect(flow_lookup(e, &T4, &fs), "no flow"));
	CHECK(expect_eq("pkts[out]", fs.dir[PPING_DIR_OUT].pkts, 4));
	CHECK(expect_eq("bytes[out]", fs.dir[PPING_DIR_OUT].bytes, len_out));
	CHECK(expect_eq("pkts[in]", fs.dir[PPING_DIR_IN].pkts, 2));
	CHECK(expect_eq("bytes[in]", fs.dir[PPING_DIR_IN].bytes, 2 * len_in));
	CHECK(expect(fs.last_seen > 0, "last_seen not set"));
	return true;
}

DEFINE_TESTS(accounting,
	{ "flow_accounting", test_flow_accounting }
);
