// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "agg_print.h"
#include "format.h"
#include "json.h"

void agg_stamp_init(struct agg_stamp *st, __u64 wall, __u64 interval)
{
	st->wall = wall;
	st->interval = interval;
	format_time_of_day(st->tod, sizeof(st->tod), wall);
}

static void print_ms_field(FILE *f, const char *name, __u64 ns)
{
	fprintf(f, " %s %llu.%03llu", name, (unsigned long long)(ns / 1000000),
		(unsigned long long)(ns % 1000000 / 1000));
}

static void subnet_text(FILE *f, const struct agg_stamp *st,
			const struct agg_subnet_record *s)
{
	const struct histogram *r = s->rtt, *q = s->qdelay;

	fprintf(f, "%s %s rtts %llu", st->tod, s->name,
		(unsigned long long)r->count);
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
		if (s->window_min) {
			print_ms_field(f, "window-min", s->window_min);
			fputs(" ms", f);
		}
	}
	fprintf(f, " tx %llu pkts %llu B rx %llu pkts %llu B retrans tx %llu rx %llu flows %llu sampled %llu",
		(unsigned long long)s->traffic->pkts[PPING_DIR_OUT],
		(unsigned long long)s->traffic->bytes[PPING_DIR_OUT],
		(unsigned long long)s->traffic->pkts[PPING_DIR_IN],
		(unsigned long long)s->traffic->bytes[PPING_DIR_IN],
		(unsigned long long)s->traffic->retrans[PPING_DIR_OUT],
		(unsigned long long)s->traffic->retrans[PPING_DIR_IN],
		(unsigned long long)s->traffic->flows,
		(unsigned long long)s->traffic->flows_sampled);
	if (s->ifname)
		fprintf(f, " dev %s", s->ifname);
	fputc('\n', f);
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

static void subnet_json(FILE *f, const struct agg_stamp *st,
			const struct agg_subnet_record *s)
{
	struct json_obj j;

	json_begin(&j, f);
	json_u64(&j, "timestamp", st->wall);
	json_str(&j, "type", "subnet");
	json_u64(&j, "interval_ns", st->interval);
	json_str(&j, "subnet", s->name);
	if (s->ifname)
		json_str(&j, "interface", s->ifname);
	json_u64(&j, "rtt_count", s->rtt->count);
	json_quantiles(&j, "rtt", s->rtt, true);
	/* The window minimum is 0 when the interval is longer than the
	 * window and its samples have left it. */
	(s->rtt->count && s->window_min) ?
		json_u64(&j, "window_min_rtt", s->window_min) :
		json_null(&j, "window_min_rtt");
	json_quantiles(&j, "qdelay", s->qdelay, false);
	json_u64(&j, "tx_packets", s->traffic->pkts[PPING_DIR_OUT]);
	json_u64(&j, "tx_bytes", s->traffic->bytes[PPING_DIR_OUT]);
	json_u64(&j, "rx_packets", s->traffic->pkts[PPING_DIR_IN]);
	json_u64(&j, "rx_bytes", s->traffic->bytes[PPING_DIR_IN]);
	json_u64(&j, "tx_retrans_packets", s->traffic->retrans[PPING_DIR_OUT]);
	json_u64(&j, "rx_retrans_packets", s->traffic->retrans[PPING_DIR_IN]);
	json_u64(&j, "tcp_flows", s->traffic->flows);
	json_u64(&j, "tcp_flows_sampled", s->traffic->flows_sampled);
	json_end(&j);
}

void agg_print_subnet(struct output *o, const struct agg_stamp *st,
		      const struct agg_subnet_record *r)
{
	FILE *f = output_record_begin(o);

	if (o->format == OUTPUT_STANDARD)
		subnet_text(f, st, r);
	else
		subnet_json(f, st, r);
	output_record_end(o);
}

static void global_text(FILE *f, const struct agg_stamp *st,
			const struct agg_global_record *g)
{
	fprintf(f, "%s global packets %llu tcp %llu with-ts %llu without-ts %llu rtt-samples %llu events-lost %llu subnets %u overflow-rtts %llu overflow-pkts %llu\n",
		st->tod, (unsigned long long)g->pkts,
		(unsigned long long)g->tcp,
		(unsigned long long)(g->tcp - g->tcp_no_ts),
		(unsigned long long)g->tcp_no_ts,
		(unsigned long long)g->rtt_samples,
		(unsigned long long)g->events_lost, g->subnets,
		(unsigned long long)g->overflow_rtts,
		(unsigned long long)g->overflow_pkts);
}

static void global_json(FILE *f, const struct agg_stamp *st,
			const struct agg_global_record *g)
{
	struct json_obj j;

	json_begin(&j, f);
	json_u64(&j, "timestamp", st->wall);
	json_str(&j, "type", "global");
	json_u64(&j, "interval_ns", st->interval);
	json_u64(&j, "packets", g->pkts);
	json_u64(&j, "tcp_packets", g->tcp);
	json_u64(&j, "tcp_packets_with_ts", g->tcp - g->tcp_no_ts);
	json_u64(&j, "tcp_packets_without_ts", g->tcp_no_ts);
	json_u64(&j, "rtt_samples", g->rtt_samples);
	json_u64(&j, "events_lost", g->events_lost);
	json_u64(&j, "subnets", g->subnets);
	json_u64(&j, "subnets_max", g->subnets_max);
	json_u64(&j, "overflow_rtts", g->overflow_rtts);
	json_u64(&j, "overflow_packets", g->overflow_pkts);
	json_end(&j);
}

void agg_print_global(struct output *o, const struct agg_stamp *st,
		      const struct agg_global_record *g)
{
	FILE *f = output_record_begin(o);

	if (o->format == OUTPUT_STANDARD)
		global_text(f, st, g);
	else
		global_json(f, st, g);
	output_record_end(o);
}
