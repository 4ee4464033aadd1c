/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datapath fuzzer (test_fuzz.c) and its two halves:
 *  - fuzz_gen.c builds frames: well-formed TCP segments with a random
 *    layout, the same segments with one fault, and frames that are not TCP;
 *  - fuzz_oracle.c reads a frame the way the datapath is documented to
 *    (bpf/parse.bpf.h) and says whether it is a well-formed TCP segment and
 *    whether it carries a valid timestamp option. It shares no code with the
 *    BPF side, so a parser bug does not hide behind the same bug here.
 *
 * Everything random comes from one seeded xorshift generator, so a seed
 * replays a run packet for packet.
 */
#ifndef PPING_TEST_FUZZ_H
#define PPING_TEST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "rng.h"

/* ========================================================================
 * Frames: a struct pkt's bytes plus the offsets the faults work on. As
 * large as a struct pkt, which leaves room to insert an IPv6 chain over
 * the parser's byte bound (1024) into a built frame. The test run takes up
 * to about a page.
 * ======================================================================== */

#define FRAME_MAX PKT_MAX

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	size_t l3;        /* offset of the IP header */
	size_t l4;        /* ... of the TCP header */
	size_t nh;        /* ... of the byte that says "TCP" (IPv4 protocol,
			   * or the next-header field before TCP) */
	int ipv;
	const char *fault;   /* what was done to it ("valid" if nothing) */
};

/* Insert n zero bytes at off; offsets after it move along. */
bool frame_insert(struct frame *f, size_t off, size_t n);
/* Drop the Ethernet header and tags, as on an L3-only interface. */
void frame_strip_l2(struct frame *f);

/* ========================================================================
 * The generator (fuzz_gen.c)
 * ======================================================================== */

/* The segment a frame is built from (before any fault). */
struct seg {
	const struct tuple *t;
	int dir;            /* PPING_DIR_*: who sends it */
	uint8_t flags;      /* TCPF_* */
	uint32_t tsval, tsecr;
	size_t payload;
};

/* A well-formed segment with a random layout: VLAN tags, IPv4 options or
 * IPv6 extension headers within the parser's bounds, and a valid option list
 * with the timestamp anywhere in it. */
void gen_valid(struct rng *r, struct frame *f, const struct seg *s);
/* The same segment with one fault, sometimes plus random bit flips.
 * f->fault names the fault. */
void gen_malformed(struct rng *r, struct frame *f, const struct seg *s);
/* A frame of tuple t that is not a TCP segment, or random bytes. */
void gen_junk(struct rng *r, struct frame *f, const struct tuple *t, int dir);

/* Names of the faults, for the statistics (index = fault number). */
#define FUZZ_FAULTS_MAX 40
size_t gen_fault_names(const char **names, size_t max);
int gen_fault_index(const char *name);

/* ========================================================================
 * The oracle (fuzz_oracle.c)
 * ======================================================================== */

/* How far a frame gets, by the oracle's reading. Each stage includes the
 * ones before it. */
enum stage {
	STAGE_FRAME = 0,   /* nothing usable */
	STAGE_IP,          /* an IP header is there to be read */
	STAGE_L4,          /* IP accepted it as (first-fragment) TCP */
	STAGE_TCP,         /* a well-formed TCP header */
	STAGE_OPTS,        /* ... whose option walk read at least one byte */
	STAGE_TS,          /* ... and found a valid timestamp option */
	STAGE_MAX,
};

struct verdict {
	enum stage stage;
	bool tcp;          /* well-formed TCP segment: counted as TCP */
	bool has_ts;       /* kind 8, length 10, inside the header and frame */
	bool icmp_echo;    /* an ICMP (v4) or ICMPv6 (v6) echo request or reply,
			    * code 0, its 8-byte header inside the frame */
	bool icmp_reply;   /* ... a reply: it may close an echo's sample */
	bool ts_absent;    /* TCP whose whole option area was walked cleanly
			    * without a timestamp: moves its flow to SEQ/ACK */
	uint8_t flags;
	uint32_t tsval, tsecr;
	struct flow_key key;   /* as the hook of direction dir orients it */
};

void oracle_read(const uint8_t *data, size_t len, bool has_l2, int dir,
		 struct verdict *v);

#endif /* PPING_TEST_FUZZ_H */
