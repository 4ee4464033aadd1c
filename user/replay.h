/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offline mode (--read): packets of a capture file go, in file order, through
 * the same tc programs a live run attaches, by BPF_PROG_TEST_RUN. The
 * capture's timestamp and original length travel in the test-run context,
 * so the programs measure capture time, and nothing sleeps.
 */
#ifndef PPING_REPLAY_H
#define PPING_REPLAY_H

#include <stdbool.h>
#include <linux/types.h>

#include "pping.h"

/* --local-net: an IPv4-mapped prefix, as flow keys store addresses. */
struct local_net {
	__u8 addr[16];
	__u8 bits;            /* IPv4: 96 + the prefix length */
};

#define REPLAY_MAX_LOCAL_NETS 32

/*
 * Bytes of each packet handed to the programs. They read headers only; a
 * capture of TSO/GRO super-packets holds frames far above what a test run
 * accepts (about a page), so the rest is cut and its length kept.
 */
#define REPLAY_SNAP 512

/* Added to capture times for the programs, whose clock never reads 0 (it
 * means "never" in their state); the output clock subtracts it. */
#define REPLAY_CLOCK_OFFSET_NS 1000000000ULL

struct replay_pkt {
	__u64 time_ns;        /* capture time, ns since the epoch */
	__u32 data_len;       /* bytes in frame */
	__u32 wire_len;       /* the packet's original length, as an Ethernet frame */
	__u8 dir;             /* enum pping_dir: which program runs it */
	__u8 frame[REPLAY_SNAP];
};

struct replay {
	void *pcap;           /* pcap_t */
	const char *path;
	int linktype;
	int prog_fd[PPING_DIR_MAX];
	const struct local_net *nets;
	int n_nets;
	__u64 last_time_ns;
	/* what the file held */
	__u64 read;           /* packets read from the file */
	__u64 fed;            /* ... run through the programs */
	__u64 fed_at_cleanup; /* fed when the last cleanup pass ran */
	__u64 foreign;        /* neither end in --local-net: skipped */
	__u64 both_local;     /* both ends in --local-net: oriented by address */
	__u64 unusable;       /* too short for their link header: skipped */
	__u64 time_back;      /* earlier than the packet before: given its time */
	__u64 run_ns;         /* wall time spent replaying */
	bool big_step_told;
};

/* Pure parsing, shared with the option parser: "ADDR/LEN" or "ADDR". */
int local_net_parse(const char *s, struct local_net *n);

/*
 * Open the file and check its link type; errors are printed, naming the
 * file. Returns 0 or -1.
 */
int replay_open(struct replay *r, const char *path,
		const struct local_net *nets, int n_nets);

/* The programs to run packets of each direction through. */
void replay_set_progs(struct replay *r, int out_fd, int in_fd);

/*
 * The next packet to replay, as an Ethernet frame with its direction.
 * Returns 1, 0 at the end of the file, or -1 after printing which packet of
 * which file could not be read.
 */
int replay_next(struct replay *r, struct replay_pkt *p);

/* Run one packet through its program. Returns 0 or -errno. */
int replay_feed(struct replay *r, const struct replay_pkt *p);

void replay_close(struct replay *r);

#endif /* PPING_REPLAY_H */
