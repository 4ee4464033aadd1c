// SPDX-License-Identifier: GPL-2.0
/* Replay on several threads: see replay_pool.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "replay_pool.h"

/* FNV-1a over a few bytes. */
static __u32 mix(__u32 h, const __u8 *b, size_t n)
{
	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/*
 * Addresses and ports (ICMP: the echo id, which the datapath keys ICMP
 * flows by; other protocols: addresses only), summed over the two ends so
 * that both directions hash alike. A frame this cannot read goes to
 * worker 0, as do all frames with one worker.
 */
__u32 replay_flow_worker(const __u8 *f, __u32 len, __u32 n)
{
	__u32 off = 12, l4 = 0, alen = 0, a = 0, h, i;
	__u16 proto;
	__u8 next = 0;

	if (n <= 1 || len < 14)
		return 0;
	proto = (__u16)(f[12] << 8 | f[13]);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && off + 6 <= len) {
		off += 4;
		proto = (__u16)(f[off] << 8 | f[off + 1]);
	}
	off += 2;
	if (proto == ETH_P_IP && off + 20 <= len) {
		a = off + 12;
		alen = 4;
		next = f[off + 9];
		/* Fragments after the first have no ports. */
		if (!(((f[off + 6] & 0x1f) << 8) | f[off + 7]))
			l4 = off + (f[off] & 0x0f) * 4;
	} else if (proto == ETH_P_IPV6 && off + 40 <= len) {
		a = off + 8;
		alen = 16;
		next = f[off + 6];
		l4 = off + 40;
		/* Past extension headers, which one direction may carry and
		 * the other not; a fragment leaves the ports out. */
		for (i = 0; i < 8 && l4 + 8 <= len; i++) {
			if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			    next == IPPROTO_DSTOPTS) {
				next = f[l4];
				l4 += (f[l4 + 1] + 1) * 8;
			} else if (next == IPPROTO_FRAGMENT) {
				l4 = 0;
				break;
			} else {
				break;
			}
		}
	} else {
		return 0;
	}
	h = mix(2166136261u, &f[a], alen) + mix(2166136261u, &f[a + alen], alen);
	if (l4 && l4 + 8 <= len) {
		if (next == IPPROTO_TCP || next == IPPROTO_UDP)
			h += mix(0, &f[l4], 2) + mix(0, &f[l4 + 2], 2);
		else if (next == IPPROTO_ICMP || next == IPPROTO_ICMPV6)
			h += mix(0, &f[l4 + 4], 2);
	}
	h ^= h >> 16;
	return h % n;
}

int replay_test_run(int prog_fd, const struct capture_pkt *pkt, __u32 seq)
{
	struct __sk_buff skb = {
		.tstamp = pkt->time_ns,
		.wire_len = pkt->wire_len,
		.cb = { pkt->big_len, seq },
	};
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = pkt->frame,
			    .data_size_in = pkt->data_len,
			    .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb),
			    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return 0;
}

/* The metadata and the frame of an XDP test run, contiguous. */
struct xdp_run {
	struct pping_replay_meta meta;
	__u8 frame[CAPTURE_SNAP];
};

static int xdp_run(int prog_fd, struct xdp_run *run, __u32 frame_len)
{
	struct xdp_md ctx = {
		/* the metadata's length: the test run puts that much of
		 * data_in in front of data */
		.data = sizeof(run->meta),
		.data_end = sizeof(run->meta) + frame_len,
	};
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = run,
			    .data_size_in = ctx.data_end,
			    .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx),
			    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return 0;
}

int replay_test_run_xdp(int prog_fd, const struct capture_pkt *pkt, __u32 seq)
{
	struct xdp_run run;   /* only what the run reads: not all CAPTURE_SNAP */

	run.meta = (struct pping_replay_meta){
		.time_ns = pkt->time_ns,
		.len = pkt->big_len ? pkt->big_len : pkt->wire_len,
		.seq = seq,
		.dir = pkt->dir & 1,
	};
	memcpy(run.frame, pkt->frame, pkt->data_len);
	return xdp_run(prog_fd, &run, pkt->data_len);
}

int replay_probe_xdp(int prog_fd)
{
	struct xdp_run run = { .meta = { .dir = PPING_REPLAY_PROBE } };

	return xdp_run(prog_fd, &run, ETH_HLEN);   /* the least a run takes */
}

/* The batch that runs: the one not being filled. */
static struct replay_batch *run_batch_of(struct replay_pool *p)
{
	return &p->batch[!p->fill];
}

/* One shard's packets in order; the shard stops at its first failure,
 * which the worker keeps if it is its earliest in the batch. */
static void run_shard(struct replay_worker *w, const struct replay_batch *b,
		      __u32 s)
{
	const struct capture_pkt *pkt;
	__u32 k, i;
	int err;

	for (k = 0; k < b->cnt[s]; k++) {
		i = b->idx[s][k];
		pkt = &b->pkts[i];
		/* 1 + the place in the batch, which the packet's events carry. */
		err = w->pool->xdp_fd >= 0 ?
		      replay_test_run_xdp(w->pool->xdp_fd, pkt, i + 1) :
		      replay_test_run(w->pool->prog_fd[pkt->dir & 1], pkt, i + 1);
		if (err) {
			if (!w->err || i < w->err_at) {
				w->err = err;
				w->err_at = i;
			}
			return;
		}
	}
}

/* Take shards of the running batch until none is left. */
static void work(struct replay_worker *w)
{
	struct replay_pool *p = w->pool;
	struct replay_batch *b = run_batch_of(p);
	__u32 s;

	while ((s = __atomic_fetch_add(&b->next_shard, 1, __ATOMIC_RELAXED)) <
	       (__u32)p->n_shards)
		run_shard(w, b, s);
}

static void *worker_main(void *arg)
{
	struct replay_worker *w = arg;
	struct replay_pool *p = w->pool;

	for (;;) {
		pthread_barrier_wait(&p->start);
		if (p->quit)
			return NULL;
		work(w);
		pthread_barrier_wait(&p->done);
	}
}

static int batch_init(struct replay_batch *b, int n)
{
	int i;

	b->pkts = malloc(REPLAY_POOL_BATCH * sizeof(*b->pkts));
	b->idx = calloc(n, sizeof(*b->idx));
	b->cnt = calloc(n, sizeof(*b->cnt));
	if (!b->pkts || !b->idx || !b->cnt)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		b->idx[i] = malloc(REPLAY_POOL_BATCH * sizeof(**b->idx));
		if (!b->idx[i])
			return -ENOMEM;
	}
	return 0;
}

static void batch_free(struct replay_batch *b, int n)
{
	int i;

	if (b->idx)
		for (i = 0; i < n; i++)
			free(b->idx[i]);
	free(b->idx);
	free(b->cnt);
	free(b->pkts);
	memset(b, 0, sizeof(*b));
}

int replay_pool_init(struct replay_pool *p, int n, int out_fd, int in_fd,
		     int xdp_fd)
{
	int i, err;

	memset(p, 0, sizeof(*p));
	p->n_workers = n < 1 ? 1 : n;
	p->n_shards = p->n_workers == 1 ? 1 :
		      p->n_workers * REPLAY_POOL_SHARDS_PER_WORKER;
	p->prog_fd[0] = out_fd;
	p->prog_fd[1] = in_fd;
	p->xdp_fd = xdp_fd;
	/* and the loop's thread, which helps with the batch it waits for */
	p->w = calloc(p->n_workers + 1, sizeof(*p->w));
	if (!p->w || batch_init(&p->batch[0], p->n_shards) ||
	    batch_init(&p->batch[1], p->n_shards)) {
		replay_pool_free(p);
		return -ENOMEM;
	}
	for (i = 0; i <= p->n_workers; i++) {
		p->w[i].pool = p;
		p->w[i].id = i;
	}
	if (p->n_workers == 1)
		return 0;
	/* The workers and the thread that launches and waits. */
	if (pthread_barrier_init(&p->start, NULL, p->n_workers + 1) ||
	    pthread_barrier_init(&p->done, NULL, p->n_workers + 1)) {
		replay_pool_free(p);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_workers; i++) {
		err = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
		/* The replay then fails; the threads already started wait
		 * on the barrier until the process exits. */
		if (err)
			return -err;
	}
	p->started = true;
	return 0;
}

void replay_pool_add(struct replay_pool *p, const struct capture_pkt *pkt)
{
	struct replay_batch *b = &p->batch[p->fill];
	struct capture_pkt *c = &b->pkts[b->n];
	__u32 s;

	/* Only what the programs read: the frame as far as it goes. */
	memcpy(c, pkt, offsetof(struct capture_pkt, frame) + pkt->data_len);
	s = replay_flow_worker(pkt->frame, pkt->data_len, p->n_shards);
	b->idx[s][b->cnt[s]++] = b->n++;
}

void replay_pool_launch(struct replay_pool *p)
{
	p->fill = !p->fill;
	p->running = true;
	if (p->started)
		pthread_barrier_wait(&p->start);
	else
		work(&p->w[0]);
}

int replay_pool_wait(struct replay_pool *p, __u32 *failed_at, __u32 *size)
{
	struct replay_batch *b = run_batch_of(p);
	int i, err = 0;
	__u32 at = 0;

	if (!p->running)
		return 0;
	if (p->started) {
		/* Done with reading and writing out, the loop's thread takes
		 * the shards left rather than wait: one more runner where
		 * the CPUs outnumber the workers. Where they do not, it
		 * finds few left (the two-thread ratio on 2 CPUs did not
		 * move either way). */
		work(&p->w[p->n_workers]);
		pthread_barrier_wait(&p->done);
	}
	p->running = false;
	for (i = 0; i <= p->n_workers; i++) {
		struct replay_worker *w = &p->w[i];

		if (w->err && (!err || w->err_at < at)) {
			err = w->err;
			at = w->err_at;
		}
		w->err = 0;
	}
	for (i = 0; i < p->n_shards; i++)
		b->cnt[i] = 0;
	b->next_shard = 0;
	if (failed_at)
		*failed_at = at;
	if (size)
		*size = b->n;
	b->n = 0;
	return err;
}

void replay_pool_free(struct replay_pool *p)
{
	int i;

	if (p->started) {
		replay_pool_wait(p, NULL, NULL);
		p->quit = true;
		pthread_barrier_wait(&p->start);
		for (i = 0; i < p->n_workers; i++)
			pthread_join(p->w[i].thread, NULL);
		pthread_barrier_destroy(&p->start);
		pthread_barrier_destroy(&p->done);
		p->started = false;
	}
	batch_free(&p->batch[0], p->n_shards);
	batch_free(&p->batch[1], p->n_shards);
	free(p->w);
	p->w = NULL;
}
