/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay on several threads (--read --threads N). The replay loop reads
 * the capture and deals its packets into a batch; each packet goes to the
 * worker its flow hashes to (addresses and ports, the same for both
 * directions), so every flow keeps its packets' order. A batch runs when
 * the daemon's schedule has work due or the batch is full: every worker
 * feeds its packets to the programs at once, and the batch ends when all
 * of them are done. So periodic work (cleanup, intervals, flushing) sees
 * exactly the packets before it, as with one thread; the events, which
 * reach the ring interleaved, are put back in packet order by the place
 * each packet had in its batch (pping_event.pkt_seq).
 *
 * The calling thread is worker 0; with one worker no thread is started.
 */
#ifndef PPING_REPLAY_POOL_H
#define PPING_REPLAY_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>

#include "capture.h"

/* Packets in a batch at most: the ring buffer must hold their events
 * (at most three of 128 bytes each) until the batch ends. */
#define REPLAY_POOL_BATCH 2048

struct replay_pool;

struct replay_worker {
	struct replay_pool *pool;
	pthread_t thread;
	__u32 *idx;           /* its packets' places in the batch, in order */
	__u32 n;
	int err;              /* -errno of the first failed test run, or 0 */
	__u32 err_at;         /* ... and the place of its packet */
};

struct replay_pool {
	int n_workers;
	int prog_fd[2];       /* by enum pping_dir */
	struct capture_pkt *pkts;   /* the batch */
	__u32 n;
	struct replay_worker *w;
	pthread_barrier_t start, done;
	bool quit;
	bool started;         /* threads running */
};

/* n workers (1 or more). Returns 0 or -errno. */
int replay_pool_init(struct replay_pool *p, int n, int out_fd, int in_fd);

/* Is there room for another packet in the batch? */
static inline bool replay_pool_full(const struct replay_pool *p)
{
	return p->n == REPLAY_POOL_BATCH;
}

/* Add a packet (copied) to the batch, for the worker of its flow. */
void replay_pool_add(struct replay_pool *p, const struct capture_pkt *pkt);

/*
 * Run the batch on every worker and wait for all of them; the batch is
 * then empty. Returns 0, or the first (in batch order) test run's -errno,
 * with the packet's place in the batch in *failed_at.
 */
int replay_pool_run(struct replay_pool *p, __u32 *failed_at);

void replay_pool_free(struct replay_pool *p);

/*
 * Run one packet through a program by BPF_PROG_TEST_RUN: its capture time
 * in tstamp, its original length in wire_len (cb[0] if too large for it),
 * seq in cb[1] for its events (pping_event.pkt_seq). Returns 0 or -errno.
 */
int replay_test_run(int prog_fd, const struct capture_pkt *pkt, __u32 seq);

/* The worker a frame's flow belongs to, of n (exposed for the tests). */
__u32 replay_flow_worker(const __u8 *frame, __u32 len, __u32 n);

#endif /* PPING_REPLAY_POOL_H */
