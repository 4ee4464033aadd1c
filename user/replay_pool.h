/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay on several threads (--read --threads N). The replay loop reads
 * the capture and deals its packets into a batch; each packet goes to the
 * shard its flow hashes to (addresses and ports, the same for both
 * directions), and one worker runs a shard's packets in order, so every
 * flow keeps its packets' order. Workers take the batch's shards as they
 * become free, not a fixed share: a worker the loop's thread (or anything
 * else) holds off the CPU for a while then delays the batch by at most the
 * shard it holds, while the others take the rest. A batch ends when
 * the daemon's schedule has work due or the batch is full. It is then
 * launched: the workers feed its packets to the programs while the loop
 * reads the next batch and writes out the events of the one before, and
 * then takes the shards still left, as a worker would. So the reading
 * and the output of one thread overlap with the test runs of the others.
 * Where work is due, the loop waits for every packet before it, so
 * periodic work (cleanup, intervals) sees exactly those packets, as with
 * one thread; the events, which reach the ring interleaved, are put back
 * in packet order by the place each packet had in its batch
 * (pping_event.pkt_seq).
 *
 * With one worker no thread is started: a launch runs the batch at once on
 * the calling thread.
 */
#ifndef PPING_REPLAY_POOL_H
#define PPING_REPLAY_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>

#include "capture.h"

/* Packets in a batch at most: the ring buffer must hold their events
 * (at most three of 128 bytes each) until the batch's end is read. */
#define REPLAY_POOL_BATCH 2048

/* Shards per worker: enough that a worker held off the CPU leaves little
 * for the others to wait for (a batch of 2048 over 2 workers: 16 shards
 * of about 128 packets), few enough that taking one stays cheap. */
#define REPLAY_POOL_SHARDS_PER_WORKER 8

struct replay_pool;

/* Packets of the capture in order, each marked with its shard. */
struct replay_batch {
	struct capture_pkt *pkts;
	__u32 n;
	__u32 **idx;          /* per shard: its packets' places, in order */
	__u32 *cnt;           /* per shard: how many */
	__u32 next_shard;     /* the next shard a worker takes (atomic) */
};

struct replay_worker {
	struct replay_pool *pool;
	pthread_t thread;
	int id;
	int err;              /* -errno of its first failed test run, or 0 */
	__u32 err_at;         /* ... and the place of that packet */
};

struct replay_pool {
	int n_workers;
	int n_shards;         /* n_workers * REPLAY_POOL_SHARDS_PER_WORKER; 1 alone */
	int prog_fd[2];       /* by enum pping_dir: tc test runs */
	int xdp_fd;           /* or both directions by XDP test runs (>= 0) */
	struct replay_batch batch[2];
	int fill;             /* the batch being filled; the other one runs */
	bool running;         /* the other one was launched and not waited for */
	struct replay_worker *w;   /* n_workers, then the loop thread's */
	pthread_barrier_t start, done;   /* the workers and the launching thread */
	bool quit;
	bool started;         /* threads running */
};

/* n workers (1 or more), running packets through pping_xdp_replay if
 * xdp_fd >= 0, else through the tc programs out_fd and in_fd. Returns 0
 * or -errno. */
int replay_pool_init(struct replay_pool *p, int n, int out_fd, int in_fd,
		     int xdp_fd);

/* Packets in the batch being filled. */
static inline __u32 replay_pool_filled(const struct replay_pool *p)
{
	return p->batch[p->fill].n;
}

/* Add a packet (copied) to the batch being filled, for the worker of its
 * flow. The caller keeps the batch below REPLAY_POOL_BATCH. */
void replay_pool_add(struct replay_pool *p, const struct capture_pkt *pkt);

/*
 * Launch the batch filled so far (after replay_pool_wait for the one
 * before) and start filling the other. With threads this returns at once;
 * with one worker it runs the batch first.
 */
void replay_pool_launch(struct replay_pool *p);

/*
 * Wait for the launched batch, if any. Returns 0, or the first (in batch
 * order) failed test run's -errno, with the packet's place in the batch
 * in *failed_at and the batch's size in *size.
 */
int replay_pool_wait(struct replay_pool *p, __u32 *failed_at, __u32 *size);

void replay_pool_free(struct replay_pool *p);

/*
 * Run one packet through a program by BPF_PROG_TEST_RUN: its capture time
 * in tstamp, its original length in wire_len (cb[0] if too large for it),
 * seq in cb[1] for its events (pping_event.pkt_seq). Returns 0 or -errno.
 */
int replay_test_run(int prog_fd, const struct capture_pkt *pkt, __u32 seq);

/*
 * The same through pping_xdp_replay, its time, length, direction and seq
 * in the metadata (struct pping_replay_meta). Returns 0 or -errno.
 */
int replay_test_run_xdp(int prog_fd, const struct capture_pkt *pkt, __u32 seq);

/* Does an XDP test run with metadata work here? One run that
 * pping_xdp_replay returns from at once (PPING_REPLAY_PROBE), through the
 * same path as the packets'. 0 or -errno. */
int replay_probe_xdp(int prog_fd);

/* The shard (of n) a frame's flow belongs to (exposed for the tests). */
__u32 replay_flow_worker(const __u8 *frame, __u32 len, __u32 n);

#endif /* PPING_REPLAY_POOL_H */
