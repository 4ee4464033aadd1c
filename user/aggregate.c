// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agg_print.h"
#include "aggregate.h"
#include "subnet_mask.h"

/* With -a, subnets idle for this many intervals (and the window) go. */
#define IDLE_INTERVALS 3

static __u32 key_hash(const struct subnet_key *k)
{
	const __u8 *p = (const __u8 *)k;
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int aggregate_init(struct aggregate *a, const struct agg_config *cfg,
		   int map_fd)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->kernel_windows_fd = -1;
	a->kernel_tracked_fd = -1;
	pping_subnet_mask(a->mask_v4, 4, cfg->prefix_v4);
	pping_subnet_mask(a->mask_v6, 6, cfg->prefix_v6);
	/* Load factor at most one half keeps probe chains short. */
	a->cap = 2;
	while (a->cap < cfg->max_subnets * 2)
		a->cap <<= 1;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	if (!a->tab || subnet_map_open(&a->traffic, map_fd)) {
		aggregate_free(a);
		return -ENOMEM;
	}
	return 0;
}

static void free_stats(struct subnet_stats *s)
{
	free(s->rtt);
	free(s->qdelay);
	for (int m = 0; m < PPING_METHOD_MAX; m++)
		free(s->rtt_total[m]);
	free(s->qdelay_total);
	memset(s, 0, sizeof(*s));
}

void aggregate_free(struct aggregate *a)
{
	__u32 i;

	for (i = 0; a->tab && i < a->cap; i++)
		free_stats(&a->tab[i]);
	free(a->tab);
	a->tab = NULL;
	subnet_map_close(&a->traffic);
}

void aggregate_subnet_of(const struct aggregate *a, struct subnet_key *k,
			 const __u8 addr[16], __u8 ipv)
{
	const __u8 *m = ipv == 4 ? a->mask_v4 : a->mask_v6;
	int i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < 16; i++)
		k->addr[i] = addr[i] & m[i];
	k->ipv = ipv;
}

void aggregate_subnet_name(const struct aggregate *a,
			   const struct subnet_key *k, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	format_addr(ip, sizeof(ip), k->addr, k->ipv);
	snprintf(buf, len, "%s/%u", ip,
		 k->ipv == 4 ? a->cfg.prefix_v4 : a->cfg.prefix_v6);
}

const char *aggregate_subnet_iface(const struct aggregate *a,
				   const struct subnet_key *k)
{
	if (a->cfg.n_ifaces < 2)
		return NULL;
	return a->cfg.ifaces[k->iface % a->cfg.n_ifaces].name;
}

/* In-kernel aggregation: the datapath's view of the table, kept in step
 * with it (a subnet in or out, then whether the table is full). */
static void kernel_track(struct aggregate *a, const struct subnet_key *k,
			 bool in)
{
	__u8 one = 1;

	if (a->kernel_tracked_fd < 0)
		return;
	if (in)
		bpf_map_update_elem(a->kernel_tracked_fd, k, &one, BPF_ANY);
	else
		bpf_map_delete_elem(a->kernel_tracked_fd, k);
}

static void kernel_table_state(struct aggregate *a)
{
	if (a->kernel_table_full)
		*a->kernel_table_full = a->used >= a->cfg.max_subnets;
}

static struct histogram *hist_new(void)
{
	return calloc(1, sizeof(struct histogram));
}

/* The subnet's entry, created if there is room; NULL if the table is full
 * (or memory ran out: the sample is then counted as overflow too). */
static struct subnet_stats *lookup(struct aggregate *a,
				   const struct subnet_key *k, bool create)
{
	__u32 i = key_hash(k) & (a->cap - 1);
	struct subnet_stats *s;

	for (;; i = (i + 1) & (a->cap - 1)) {
		s = &a->tab[i];
		if (!s->used)
			break;
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
	if (!create || a->used >= a->cfg.max_subnets)
		return NULL;
	if (a->cfg.interval_ns) {
		s->rtt = hist_new();
		s->qdelay = hist_new();
	}
	if (a->cfg.cumulative)
		s->qdelay_total = hist_new();
	if ((a->cfg.interval_ns && (!s->rtt || !s->qdelay)) ||
	    (a->cfg.cumulative && !s->qdelay_total)) {
		free_stats(s);
		return NULL;
	}
	s->key = *k;
	s->used = true;
	a->used++;
	kernel_track(a, k, true);
	kernel_table_state(a);
	return s;
}

static __u64 slot_len(const struct aggregate *a)
{
	__u64 l = a->cfg.window_ns / AGG_WINDOW_SLOTS;

	return l ? l : 1;
}

/*
 * The window is AGG_WINDOW_SLOTS slots of window/slots each; a slot keeps
 * the minimum of its samples. The minimum over the slots younger than the
 * window covers between 9/10 and all of it: the oldest slot expires as a
 * whole, which is what keeps this O(slots) with no per-sample history.
 */
__u64 aggregate_window_min(const struct aggregate *a,
			   const struct subnet_stats *s, __u64 now)
{
	__u64 cur = now / slot_len(a), min = 0;
	int i;

	for (i = 0; i < AGG_WINDOW_SLOTS; i++) {
		if (!s->slot_min[i] || s->slot_id[i] + AGG_WINDOW_SLOTS <= cur ||
		    s->slot_id[i] > cur)
			continue;
		if (!min || s->slot_min[i] < min)
			min = s->slot_min[i];
	}
	return min;
}

static void window_add(struct aggregate *a, struct subnet_stats *s,
		       __u64 now, __u64 rtt)
{
	__u64 id = now / slot_len(a);
	int i = id % AGG_WINDOW_SLOTS;

	/* A zero RTT cannot be told from an empty slot; 1 ns is as good. */
	if (!rtt)
		rtt = 1;
	if (s->slot_id[i] != id) {
		s->slot_id[i] = id;
		s->slot_min[i] = rtt;
	} else if (!s->slot_min[i] || rtt < s->slot_min[i]) {
		s->slot_min[i] = rtt;
	}
}

/* How long a subnet may go without a sample or a packet: its window
 * minimum has expired by then, and with -a it had no record for
 * IDLE_INTERVALS intervals. */
static __u64 idle_limit(const struct aggregate *a)
{
	__u64 l = a->cfg.interval_ns * IDLE_INTERVALS;

	return l > a->cfg.window_ns ? l : a->cfg.window_ns;
}

/* now can be a little before a subnet's last sample: live, an interval
 * ends at the time the loop read, and the ring buffer is consumed after
 * that. Such a subnet is active (now - last_active would wrap around). */
static bool is_idle(const struct aggregate *a, const struct subnet_stats *s,
		    __u64 now)
{
	return now > s->last_active && now - s->last_active > idle_limit(a);
}

/*
 * Forget idle subnets (their minimum has expired anyway), so new subnets
 * find room. The datapath's entry goes too; a packet counted between our
 * read and the delete is lost, which is one packet of a subnet that had
 * gone quiet. With --metrics the subnet's series disappear, and start from
 * zero if it comes back (Prometheus reads that as a counter reset);
 * keeping them would let idle subnets hold the table for good.
 */
static void expire_idle(struct aggregate *a, __u64 now)
{
	struct subnet_stats *old = a->tab;
	__u32 i, cap = a->cap;
	bool any = false;

	for (i = 0; i < cap; i++)
		if (old[i].used && is_idle(a, &old[i], now))
			any = true;
	if (!any)
		return;
	/* Rebuild the table: open addressing has no cheap delete. */
	a->tab = calloc(cap, sizeof(*a->tab));
	if (!a->tab) {
		a->tab = old;
		return;
	}
	a->used = 0;
	for (i = 0; i < cap; i++) {
		struct subnet_stats *s = &old[i], *n;
		__u32 j;

		if (!s->used)
			continue;
		if (is_idle(a, s, now)) {
			subnet_map_forget(&a->traffic, &s->key);
			if (a->kernel_windows_fd >= 0)
				bpf_map_delete_elem(a->kernel_windows_fd, &s->key);
			kernel_track(a, &s->key, false);
			free_stats(s);
			continue;
		}
		for (j = key_hash(&s->key) & (cap - 1); a->tab[j].used;
		     j = (j + 1) & (cap - 1))
			;
		n = &a->tab[j];
		*n = *s;
		a->used++;
	}
	free(old);
	kernel_table_state(a);
}

/* Without -a no interval ends: the samples' clock drives the expiry, once
 * per window slot at most (the table is walked each time). */
static void expire_on_samples(struct aggregate *a, __u64 now)
{
	if (a->cfg.interval_ns || now < a->expired_at + slot_len(a))
		return;
	a->expired_at = now;
	expire_idle(a, now);
}

void aggregate_rtt(struct aggregate *a, const struct pping_event *e)
{
	const struct flow_key *f = &e->flow;
	/* The RTT belongs to the end that replied: the remote one for the
	 * usual egress-timestamped sample, the local one with -l. */
	const __u8 *addr = e->dir == PPING_DIR_OUT ? f->remote_addr : f->local_addr;
	struct subnet_stats *s;
	struct subnet_key k;
	__u64 qdelay;

	expire_on_samples(a, e->time_ns);
	aggregate_subnet_of(a, &k, addr, f->ipv);
	k.iface = f->iface;   /* as the datapath keys its traffic */
	s = lookup(a, &k, true);
	if (!s) {
		a->overflow.rtts++;
		a->overflow_total.rtts++;
		return;
	}
	window_add(a, s, e->time_ns, e->rtt);
	qdelay = e->rtt - aggregate_window_min(a, s, e->time_ns);
	if (e->rtt < qdelay)       /* only if the window was empty */
		qdelay = 0;
	if (s->rtt) {
		hist_add(s->rtt, e->rtt);
		hist_add(s->qdelay, qdelay);
	}
	if (s->qdelay_total) {
		__u8 m = e->method < PPING_METHOD_MAX ? e->method : PPING_METHOD_TS;

		/* A method's histogram is made at its first sample: most
		 * subnets see one method. Out of memory, the sample is
		 * left out of the per-method RTTs only. */
		if (!s->rtt_total[m])
			s->rtt_total[m] = hist_new();
		if (s->rtt_total[m])
			hist_add(s->rtt_total[m], e->rtt);
		hist_add(s->qdelay_total, qdelay);
	}
	s->last_active = e->time_ns;
}

void aggregate_add_entry(struct aggregate *a, const struct agg_key *k,
			 const struct agg_entry *e, __u64 now)
{
	struct subnet_stats *s = lookup(a, &k->subnet, true);
	__u8 m = k->method < PPING_METHOD_MAX ? k->method : PPING_METHOD_TS;
	__u64 n = 0;
	unsigned int b;

	for (b = 0; b < HIST_BUCKETS; b++)
		n += e->rtt.bucket[b];
	if (!n)
		return;
	if (!s) {
		a->overflow.rtts += n;
		a->overflow_total.rtts += n;
		return;
	}
	if (s->rtt) {
		hist_merge_agg(s->rtt, &e->rtt);
		hist_merge_agg(s->qdelay, &e->qdelay);
	}
	if (s->qdelay_total) {
		if (!s->rtt_total[m])
			s->rtt_total[m] = hist_new();
		if (s->rtt_total[m])
			hist_merge_agg(s->rtt_total[m], &e->rtt);
		hist_merge_agg(s->qdelay_total, &e->qdelay);
	}
	s->last_active = now;
}

bool aggregate_set_window(struct aggregate *a, const struct subnet_key *k,
			  const struct agg_window *w, __u64 now)
{
	struct subnet_stats *s = lookup(a, k, false);
	__u64 cur = now / slot_len(a);
	int i;

	if (!s)
		return false;
	/* A slot's number is kept modulo 2^28 (pping.h): the full one is
	 * the latest at or before now with those low bits. */
	for (i = 0; i < AGG_WINDOW_SLOTS; i++) {
		__u64 v = w->slot[i];
		__u64 back = ((cur & PPING_AGG_SLOT_ID_MASK) -
			      (v >> PPING_AGG_SLOT_RTT_BITS)) & PPING_AGG_SLOT_ID_MASK;

		s->slot_min[i] = v ? v & PPING_AGG_SLOT_RTT_MASK : 0;
		s->slot_id[i] = v && back <= cur ? cur - back : 0;
	}
	return true;
}

static bool traffic_any(const struct subnet_traffic *t)
{
	return t->pkts[0] || t->pkts[1];
}

struct traffic_read {
	struct aggregate *a;
	__u64 now;
};

/* One subnet of the datapath's map: what it counted since the last read
 * goes into the interval. Returns true to free the datapath's entry. */
static bool traffic_of(void *ctx, const struct subnet_key *key,
		       const struct subnet_traffic *sum)
{
	struct traffic_read *r = ctx;
	struct aggregate *a = r->a;
	struct subnet_traffic delta;
	struct subnet_stats *s;

	s = lookup(a, key, true);
	if (!s) {
		/* The table was filled by subnets with RTTs but no traffic
		 * of their own (-l: local ends). Count the packets once and
		 * free the datapath's slot, or they would be counted again
		 * every interval. */
		a->overflow.pkts += sum->pkts[0] + sum->pkts[1];
		a->overflow_total.pkts += sum->pkts[0] + sum->pkts[1];
		return true;
	}
	delta = *sum;
	/* Counters only grow, unless the entry was deleted and created
	 * again (idle expiry): then all of it is new. */
	if (sum->pkts[0] >= s->kernel_seen.pkts[0] &&
	    sum->pkts[1] >= s->kernel_seen.pkts[1])
		subnet_traffic_add(&delta, &s->kernel_seen, -1);
	s->kernel_seen = *sum;
	subnet_traffic_add(&s->traffic, &delta, 1);
	subnet_traffic_add(&s->traffic_total, &delta, 1);
	if (traffic_any(&delta))
		s->last_active = r->now;
	return false;
}

/* The global record: the counters of the interval (now minus the last
 * record's) and the subnet table. */
static void global_record(struct agg_global_record *g,
			  const struct aggregate *a,
			  const struct pping_counters *c)
{
	const struct pping_counters *p = &a->prev;
	int h;

	memset(g, 0, sizeof(*g));
	for (h = 0; h < PPING_HOOK_MAX; h++) {
		g->pkts += c->pkts[h] - p->pkts[h];
		g->tcp += c->tcp[h] - p->tcp[h];
		g->tcp_no_ts += c->tcp_no_ts[h] - p->tcp_no_ts[h];
	}
	/* Each CPU's counters are copied while its programs run, tcp before
	 * tcp_no_ts: a copy may count a packet as without timestamp before
	 * counting it as TCP. */
	if (g->tcp_no_ts > g->tcp)
		g->tcp_no_ts = g->tcp;
	g->rtt_samples = c->rtt_samples - p->rtt_samples;
	g->events_lost = c->events_lost - p->events_lost;
	g->subnets = a->used;
	g->subnets_max = a->cfg.max_subnets;
	/* With the histograms in the kernel, samples that found its map
	 * full are overflow too. */
	g->overflow_rtts = a->overflow.rtts + (c->agg_full - p->agg_full) +
			   (c->agg_untracked - p->agg_untracked);
	g->overflow_pkts = a->overflow.pkts + (c->subnet_full - p->subnet_full);
}

/* The record of each subnet with samples or traffic in the interval; its
 * interval statistics start again. */
static void subnet_records(struct aggregate *a, struct output *o,
			   const struct agg_stamp *st, __u64 now)
{
	char name[INET6_ADDRSTRLEN + 8];
	__u32 i;

	for (i = 0; i < a->cap; i++) {
		struct subnet_stats *s = &a->tab[i];
		struct agg_subnet_record r = {
			.name = name, .rtt = s->rtt, .qdelay = s->qdelay,
			.traffic = &s->traffic,
		};

		if (!s->used || !s->rtt ||
		    (!s->rtt->count && !traffic_any(&s->traffic)))
			continue;
		r.window_min = aggregate_window_min(a, s, now);
		r.ifname = aggregate_subnet_iface(a, &s->key);
		aggregate_subnet_name(a, &s->key, name, sizeof(name));
		agg_print_subnet(o, st, &r);
		a->records++;
		hist_reset(s->rtt);
		hist_reset(s->qdelay);
		memset(&s->traffic, 0, sizeof(s->traffic));
	}
}

void aggregate_flush(struct aggregate *a, struct output *o,
		     const struct pping_counters *c,
		     const struct wall_clock *clock, __u64 now)
{
	struct traffic_read tr = { .a = a, .now = now };
	struct agg_global_record g;
	struct agg_stamp st;

	agg_stamp_init(&st, wall_clock_ns(clock, now),
		       a->interval_start ? now - a->interval_start :
					   a->cfg.interval_ns);
	subnet_map_each(&a->traffic, traffic_of, &tr);
	subnet_records(a, o, &st, now);
	global_record(&g, a, c);
	agg_print_global(o, &st, &g);
	a->prev = *c;
	a->overflow.pkts = a->overflow.rtts = 0;
	a->interval_start = now;
	expire_idle(a, now);
}

void aggregate_read_traffic(struct aggregate *a, __u64 now)
{
	struct traffic_read tr = { .a = a, .now = now };
	__u32 i;

	subnet_map_each(&a->traffic, traffic_of, &tr);
	/* No records here: the interval counters are not used. */
	for (i = 0; a->tab && i < a->cap; i++)
		memset(&a->tab[i].traffic, 0, sizeof(a->tab[i].traffic));
	expire_idle(a, now);
}

const struct subnet_stats *aggregate_next(const struct aggregate *a,
					  __u32 *pos)
{
	while (a->tab && *pos < a->cap) {
		const struct subnet_stats *s = &a->tab[(*pos)++];

		if (s->used)
			return s;
	}
	return NULL;
}
