// SPDX-License-Identifier: GPL-2.0
/* Replay on several threads: see replay_pool.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

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

static int feed(struct replay_pool *p, __u32 i)
{
	const struct capture_pkt *pkt = &p->pkts[i];

	/* 1 + the place in the batch, which the packet's events carry. */
	return replay_test_run(p->prog_fd[pkt->dir & 1], pkt, i + 1);
}

/* A worker's share of the batch; it stops at its first failure. */
static void work(struct replay_worker *w)
{
	__u32 k;
	int err;

	for (k = 0; k < w->n; k++) {
		err = feed(w->pool, w->idx[k]);
		if (err) {
			w->err = err;
			w->err_at = w->idx[k];
			break;
		}
	}
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

int replay_pool_init(struct replay_pool *p, int n, int out_fd, int in_fd)
{
	int i, err;

	memset(p, 0, sizeof(*p));
	p->n_workers = n < 1 ? 1 : n;
	p->prog_fd[0] = out_fd;
	p->prog_fd[1] = in_fd;
	p->pkts = malloc(REPLAY_POOL_BATCH * sizeof(*p->pkts));
	p->w = calloc(p->n_workers, sizeof(*p->w));
	if (!p->pkts || !p->w)
		goto nomem;
	for (i = 0; i < p->n_workers; i++) {
		p->w[i].pool = p;
		p->w[i].idx = malloc(REPLAY_POOL_BATCH * sizeof(*p->w[i].idx));
		if (!p->w[i].idx)
			goto nomem;
	}
	if (p->n_workers == 1)
		return 0;
	if (pthread_barrier_init(&p->start, NULL, p->n_workers) ||
	    pthread_barrier_init(&p->done, NULL, p->n_workers))
		goto nomem;
	for (i = 1; i < p->n_workers; i++) {
		err = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
		/* The replay then fails; the threads already started wait
		 * on the barrier until the process exits. */
		if (err)
			return -err;
	}
	p->started = true;
	return 0;
nomem:
	replay_pool_free(p);
	return -ENOMEM;
}

void replay_pool_add(struct replay_pool *p, const struct capture_pkt *pkt)
{
	struct capture_pkt *c = &p->pkts[p->n];
	struct replay_worker *w;

	/* Only what the programs read: the frame as far as it goes. */
	memcpy(c, pkt, offsetof(struct capture_pkt, frame) + pkt->data_len);
	w = &p->w[replay_flow_worker(pkt->frame, pkt->data_len, p->n_workers)];
	w->idx[w->n++] = p->n++;
}

int replay_pool_run(struct replay_pool *p, __u32 *failed_at)
{
	int i, err = 0;
	__u32 at = 0;

	if (p->started)
		pthread_barrier_wait(&p->start);
	work(&p->w[0]);
	if (p->started)
		pthread_barrier_wait(&p->done);
	for (i = 0; i < p->n_workers; i++) {
		struct replay_worker *w = &p->w[i];

		if (w->err && (!err || w->err_at < at)) {
			err = w->err;
			at = w->err_at;
		}
		w->n = 0;
		w->err = 0;
	}
	p->n = 0;
	if (err && failed_at)
		*failed_at = at;
	return err;
}

void replay_pool_free(struct replay_pool *p)
{
	int i;

	if (p->started) {
		p->quit = true;
		pthread_barrier_wait(&p->start);
		for (i = 1; i < p->n_workers; i++)
			pthread_join(p->w[i].thread, NULL);
		pthread_barrier_destroy(&p->start);
		pthread_barrier_destroy(&p->done);
		p->started = false;
	}
	if (p->w)
		for (i = 0; i < p->n_workers; i++)
			free(p->w[i].idx);
	free(p->w);
	free(p->pkts);
	p->w = NULL;
	p->pkts = NULL;
}
