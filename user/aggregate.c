// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "aggregate.h"
#include "json.h"
#include "loader.h"
#include "log.h"

/* Subnets idle for this many intervals (and the window) are forgotten. */
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
	a->map_fd = map_fd;
	pping_subnet_mask(a->mask_v4, 4, cfg->prefix_v4);
	pping_subnet_mask(a->mask_v6, 6, cfg->prefix_v6);
	/* Load factor at most one half keeps probe chains short. */
	a->cap = 2;
	while (a->cap < cfg->max_subnets * 2)
		a->cap <<= 1;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	if (!a->tab)
		return -ENOMEM;
	if (map_fd >= 0) {
		a->ncpus = libbpf_num_possible_cpus();
		if (a->ncpus > 0)
			a->percpu = calloc(a->ncpus, sizeof(*a->percpu));
		if (!a->percpu) {
			aggregate_free(a);
			return -ENOMEM;
		}
	}
	return 0;
}

static void free_stats(struct subnet_stats *s)
{
	free(s->rtt);
	free(s->qdelay);
	free(s->rtt_total);
	free(s->qdelay_total);
	memset(s, 0, sizeof(*s));
}

void aggregate_free(struct aggregate *a)
{
	__u32 i;

	for (i = 0; a->tab && i < a->cap; i++)
		free_stats(&a->tab[i]);
	free(a->tab);
	free(a->percpu);
	a->tab = NULL;
	a->percpu = NULL;
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
	if (a->cfg.cumulative) {
		s->rtt_total = hist_new();
		s->qdelay_total = hist_new();
	}
	if ((a->cfg.interval_ns && (!s->rtt || !s->qdelay)) ||
	    (a->cfg.cumulative && (!s->rtt_total || !s->qdelay_total))) {
		free_stats(s);
		return NULL;
	}
	s->key = *k;
	s->used = true;
	a->used++;
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

void aggregate_rtt(struct aggregate *a, const struct pping_event *e)
{
	const struct flow_key *f = &e->flow;
	/* The RTT belongs to the end that replied: the remote one for the
	 * usual egress-timestamped sample, the local one with -l. */
	const __u8 *addr = e->dir == PPING_DIR_OUT ? f->remote_addr : f->local_addr;
	struct subnet_stats *s;
	struct subnet_key k;
	__u64 qdelay;

	aggregate_subnet_of(a, &k, addr, f->ipv);
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
	if (s->rtt_total) {
		hist_add(s->rtt_total, e->rtt);
		hist_add(s->qdelay_total, qdelay);
	}
	s->last_active = e->time_ns;
}

static void traffic_add(struct subnet_traffic *dst,
			const struct subnet_traffic *d, __s64 sign)
{
	int i;

	for (i = 0; i < PPING_DIR_MAX; i++) {
		dst->pkts[i] += sign * d->pkts[i];
		dst->bytes[i] += sign * d->bytes[i];
	}
}

static bool traffic_any(const struct subnet_traffic *t)
{
	return t->pkts[0] || t->pkts[1];
}

/* Every subnet the datapath counted: add what it counted since the last
 * read to the interval. */
static void read_traffic(struct aggregate *a, __u64 now)
{
	struct subnet_key key, next, *prev = NULL;
	struct subnet_traffic sum, delta;
	struct subnet_stats *s;
	int c;

	while (bpf_map_get_next_key(a->map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(a->map_fd, &key, a->percpu))
			continue;   /* deleted meanwhile */
		memset(&sum, 0, sizeof(sum));
		for (c = 0; c < a->ncpus; c++)
			traffic_add(&sum, &a->percpu[c], 1);
		s = lookup(a, &key, true);
		if (!s) {
			/* The table was filled by subnets with RTTs but no
			 * traffic of their own (-l: local ends). Count the
			 * packets once and free the datapath's slot, or they
			 * would be counted again every interval. */
			a->overflow.pkts += sum.pkts[0] + sum.pkts[1];
			a->overflow_total.pkts += sum.pkts[0] + sum.pkts[1];
			bpf_map_delete_elem(a->map_fd, &key);
			continue;
		}
		delta = sum;
		/* Counters only grow, unless the entry was deleted and
		 * created again (idle expiry): then all of it is new. */
		if (sum.pkts[0] >= s->kernel_seen.pkts[0] &&
		    sum.pkts[1] >= s->kernel_seen.pkts[1])
			traffic_add(&delta, &s->kernel_seen, -1);
		s->kernel_seen = sum;
		traffic_add(&s->traffic, &delta, 1);
		if (traffic_any(&delta))
			s->last_active = now;
	}
}

static __u64 idle_limit(const struct aggregate *a)
{
	__u64 l = a->cfg.interval_ns * IDLE_INTERVALS;

	return l > a->cfg.window_ns ? l : a->cfg.window_ns;
}

/*
 * Forget subnets with no sample and no packet for the window (their
 * minimum has expired anyway), so new subnets find room. The datapath's
 * entry goes too; a packet counted between our read and the delete is
 * lost, which is one packet of a subnet that had gone quiet. With
 * --metrics the subnet's series disappear, and start from zero if it comes
 * back (Prometheus reads that as a counter reset); keeping them would let
 * idle subnets hold the table for good.
 */
static void expire_idle(struct aggregate *a, __u64 now)
{
	struct subnet_stats *old = a->tab;
	__u32 i, cap = a->cap;
	bool any = false;

	for (i = 0; i < cap; i++)
		if (old[i].used && now - old[i].last_active > idle_limit(a))
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
		if (now - s->last_active > idle_limit(a)) {
			if (a->map_fd >= 0)
				bpf_map_delete_elem(a->map_fd, &s->key);
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
}

static void print_ms_field(FILE *f, const char *name, __u64 ns)
{
	fprintf(f, " %s %llu.%03llu", name, (unsigned long long)(ns / 1000000),
		(unsigned long long)(ns % 1000000 / 1000));
}

static void record_text(FILE *f, const struct subnet_stats *s, const char *tod,
			const char *name, __u64 wmin)
{
	const struct histogram *r = s->rtt, *q = s->qdelay;

	fprintf(f, "%s %s rtts %llu", tod, name, (unsigned long long)r->count);
	if (r->count) {
		print_ms_field(f, "min", r->min);
		print_ms_field(f, "p50", hist_quantile(r, 0.50));
		print_ms_field(f, "p95", hist_quantile(r, 0.95));
		print_ms_field(f, "p99", hist_quantile(r, 0.99));
		print_ms_field(f, "max", r->max);
		fputs(" ms qdelay", f);
		print_ms_field(f, "p50", hist_quantile(q, 0.50));
		print_ms_field(f, "p95", hist_quantile(q, 0.95));
		print_ms_field(f, "p99", hist_quantile(q, 0.99));
		print_ms_field(f, "max", q->max);
		fputs(" ms", f);
		if (wmin) {
			print_ms_field(f, "window-min", wmin);
			fputs(" ms", f);
		}
	}
	fprintf(f, " tx %llu pkts %llu B rx %llu pkts %llu B\n",
		(unsigned long long)s->traffic.pkts[PPING_DIR_OUT],
		(unsigned long long)s->traffic.bytes[PPING_DIR_OUT],
		(unsigned long long)s->traffic.pkts[PPING_DIR_IN],
		(unsigned long long)s->traffic.bytes[PPING_DIR_IN]);
}

static void json_quantiles(struct json_obj *j, const char *prefix,
			   const struct histogram *h, bool with_min)
{
	static const struct { const char *name; double q; } qs[] = {
		{ "p50", 0.50 }, { "p95", 0.95 }, { "p99", 0.99 },
	};
	char name[32];
	size_t i;

	if (with_min) {
		snprintf(name, sizeof(name), "%s_min", prefix);
		h->count ? json_u64(j, name, h->min) : json_null(j, name);
	}
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, qs[i].name);
		h->count ? json_u64(j, name, hist_quantile(h, qs[i].q)) :
			   json_null(j, name);
	}
	snprintf(name, sizeof(name), "%s_max", prefix);
	h->count ? json_u64(j, name, h->max) : json_null(j, name);
}

static void record_json(FILE *f, const struct subnet_stats *s, __u64 wall,
			__u64 interval, const char *name, __u64 wmin)
{
	struct json_obj j;

	json_begin(&j, f);
	json_u64(&j, "timestamp", wall);
	json_str(&j, "type", "subnet");
	json_u64(&j, "interval_ns", interval);
	json_str(&j, "subnet", name);
	json_u64(&j, "rtt_count", s->rtt->count);
	json_quantiles(&j, "rtt", s->rtt, true);
	/* wmin is 0 when the interval is longer than the window and its
	 * samples have left it. */
	(s->rtt->count && wmin) ? json_u64(&j, "window_min_rtt", wmin) :
				  json_null(&j, "window_min_rtt");
	json_quantiles(&j, "qdelay", s->qdelay, false);
	json_u64(&j, "tx_packets", s->traffic.pkts[PPING_DIR_OUT]);
	json_u64(&j, "tx_bytes", s->traffic.bytes[PPING_DIR_OUT]);
	json_u64(&j, "rx_packets", s->traffic.pkts[PPING_DIR_IN]);
	json_u64(&j, "rx_bytes", s->traffic.bytes[PPING_DIR_IN]);
	json_end(&j);
}

/* Counters of the interval: now minus the last record's. */
struct global_delta {
	__u64 pkts, tcp, tcp_no_ts, rtt_samples, events_lost, subnet_full;
};

static void global_delta(struct global_delta *d, const struct pping_counters *c,
			 const struct pping_counters *p)
{
	int h;

	memset(d, 0, sizeof(*d));
	for (h = 0; h < PPING_HOOK_MAX; h++) {
		d->pkts += c->pkts[h] - p->pkts[h];
		d->tcp += c->tcp[h] - p->tcp[h];
		d->tcp_no_ts += c->tcp_no_ts[h] - p->tcp_no_ts[h];
	}
	/* Each CPU's counters are copied while its programs run, tcp before
	 * tcp_no_ts: a copy may count a packet as without timestamp before
	 * counting it as TCP. */
	if (d->tcp_no_ts > d->tcp)
		d->tcp_no_ts = d->tcp;
	d->rtt_samples = c->rtt_samples - p->rtt_samples;
	d->events_lost = c->events_lost - p->events_lost;
	d->subnet_full = c->subnet_full - p->subnet_full;
}

static void record_global(struct output *o, const struct aggregate *a,
			  const struct global_delta *d, const char *tod,
			  __u64 wall, __u64 interval)
{
	FILE *f = output_record_begin(o);
	struct json_obj j;

	if (o->format == OUTPUT_STANDARD) {
		fprintf(f, "%s global packets %llu tcp %llu with-ts %llu without-ts %llu rtt-samples %llu events-lost %llu subnets %u overflow-rtts %llu overflow-pkts %llu\n",
			tod, (unsigned long long)d->pkts,
			(unsigned long long)d->tcp,
			(unsigned long long)(d->tcp - d->tcp_no_ts),
			(unsigned long long)d->tcp_no_ts,
			(unsigned long long)d->rtt_samples,
			(unsigned long long)d->events_lost, a->used,
			(unsigned long long)a->overflow.rtts,
			(unsigned long long)(a->overflow.pkts + d->subnet_full));
	} else {
		json_begin(&j, f);
		json_u64(&j, "timestamp", wall);
		json_str(&j, "type", "global");
		json_u64(&j, "interval_ns", interval);
		json_u64(&j, "packets", d->pkts);
		json_u64(&j, "tcp_packets", d->tcp);
		json_u64(&j, "tcp_packets_with_ts", d->tcp - d->tcp_no_ts);
		json_u64(&j, "tcp_packets_without_ts", d->tcp_no_ts);
		json_u64(&j, "rtt_samples", d->rtt_samples);
		json_u64(&j, "events_lost", d->events_lost);
		json_u64(&j, "subnets", a->used);
		json_u64(&j, "subnets_max", a->cfg.max_subnets);
		json_u64(&j, "overflow_rtts", a->overflow.rtts);
		json_u64(&j, "overflow_packets", a->overflow.pkts + d->subnet_full);
		json_end(&j);
	}
	output_record_end(o);
}

void aggregate_flush(struct aggregate *a, struct output *o,
		     const struct pping_counters *c,
		     const struct wall_clock *clock, __u64 now)
{
	__u64 wall = wall_clock_ns(clock, now);
	__u64 interval = a->interval_start ? now - a->interval_start :
			 a->cfg.interval_ns;
	char tod[32], name[INET6_ADDRSTRLEN + 8];
	struct global_delta d;
	__u32 i;

	if (a->map_fd >= 0)
		read_traffic(a, now);
	format_time_of_day(tod, sizeof(tod), wall);
	for (i = 0; i < a->cap; i++) {
		struct subnet_stats *s = &a->tab[i];
		__u64 wmin;

		if (!s->used || !s->rtt ||
		    (!s->rtt->count && !traffic_any(&s->traffic)))
			continue;
		wmin = aggregate_window_min(a, s, now);
		aggregate_subnet_name(a, &s->key, name, sizeof(name));
		if (o->format == OUTPUT_STANDARD) {
			record_text(output_record_begin(o), s, tod, name, wmin);
		} else {
			record_json(output_record_begin(o), s, wall, interval,
				    name, wmin);
		}
		output_record_end(o);
		a->records++;
		hist_reset(s->rtt);
		hist_reset(s->qdelay);
		memset(&s->traffic, 0, sizeof(s->traffic));
	}
	global_delta(&d, c, &a->prev);
	record_global(o, a, &d, tod, wall, interval);
	a->prev = *c;
	a->overflow.pkts = a->overflow.rtts = 0;
	a->interval_start = now;
	expire_idle(a, now);
}
