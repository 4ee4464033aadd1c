// SPDX-License-Identifier: GPL-2.0
/*
 * Checksums: the datapath never validates them.
 */
#include "harness.h"

static bool test_checksums_ignored(void)
{
	struct env *e;
	struct pkt p;

	/* Every other test sends zero checksums; here they are wrong but
	 * non-zero. Neither stops the datapath (it must not validate what
	 * offloads may not have computed yet on egress). */
	CHECK(fixture_env(&e, &CFG_TC));
	build_ts(&p, &T4, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 11, 0, 100);
	put_be16(p.data + p.l3_off + 10, 0xdead);   /* IPv4 header checksum */
	put_be16(p.data + p.l4_off + 16, 0xbeef);   /* TCP checksum */
	CHECK(egress(e, &p));
	CHECK(expect_ts(e, &T4, 11, PPING_DIR_OUT));
	build_ts(&p, &T6, PPING_DIR_OUT, TCPF_ACK | TCPF_PSH, 12, 0, 100);
	put_be16(p.data + p.l4_off + 16, 0xbeef);
	CHECK(egress(e, &p));
	CHECK(expect_ts(e, &T6, 12, PPING_DIR_OUT));
	return true;
}

DEFINE_TESTS(checksums,
	{ "checksums_ignored", test_checksums_ignored }
);
