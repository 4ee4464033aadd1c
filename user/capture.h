/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a capture file for --read (libpcap): each packet as an Ethernet
 * frame with its capture time, original length and direction. libpcap's
 * headers and the kernel's BPF ones both define struct bpf_insn, so this
 * is apart from the code that runs the packets through the programs
 * (replay.c).
 */
#ifndef PPING_CAPTURE_H
#define PPING_CAPTURE_H

#include <stdbool.h>
#include <linux/types.h>

#include "pping.h"

/* --local-net: an IPv4-mapped prefix, as flow keys store addresses. */
struct local_net {
	__u8 addr[16];
	__u8 bits;            /* IPv4: 96 + the prefix length */
};

#define CAPTURE_MAX_LOCAL_NETS 32

/*
 * Bytes of each packet handed to the programs. They read headers only; a
 * capture of TSO/GRO super-packets holds frames far above what a test run
 * accepts (about a page), so the rest is cut and its length kept.
 */
#define CAPTURE_SNAP 512

/* Added to capture times for the programs, whose clock never reads 0 (it
 * means "never" in their state); the output clock subtracts it. */
#define CAPTURE_CLOCK_OFFSET_NS 1000000000ULL

struct capture_pkt {
	__u64 time_ns;        /* capture time + CAPTURE_CLOCK_OFFSET_NS */
	__u32 data_len;       /* bytes in frame */
	__u32 wire_len;       /* the packet's original length, as an Ethernet frame,
			       * at most PPING_TEST_RUN_WIRE_LEN_MAX */
	__u32 big_len;        /* the original length if above that, else 0 */
	__u8 dir;             /* enum pping_dir: which program runs it */
	__u8 frame[CAPTURE_SNAP];
};

struct capture {
	void *pcap;           /* pcap_t */
	const char *path;
	int linktype;
	const struct local_net *nets;
	int n_nets;
	__u64 last_time_ns;
	/* what the file held */
	__u64 read;           /* packets read from the file */
	__u64 foreign;        /* neither end in --local-net: skipped */
	__u64 both_local;     /* both ends in --local-net: oriented by address */
	__u64 unusable;       /* too short for their link header: skipped */
	__u64 time_back;      /* earlier than the packet before: given its time */
	bool big_step_told;
};

/* Pure parsing, shared with the option parser: "ADDR/LEN" or "ADDR". */
int local_net_parse(const char *s, struct local_net *n);

/*
 * Open the file and check its link type; errors are printed, naming the
 * file. Returns 0 or -1.
 */
int capture_open(struct capture *c, const char *path,
		 const struct local_net *nets, int n_nets);

/*
 * The next packet to replay, as an Ethernet frame with its direction.
 * Returns 1, 0 at the end of the file, or -1 after printing which packet of
 * which file could not be read.
 */
int capture_next(struct capture *c, struct capture_pkt *p);

void capture_close(struct capture *c);

#endif /* PPING_CAPTURE_H */
