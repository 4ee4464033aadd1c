// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "clock.h"
#include "event_print.h"
#include "log.h"
#include "metrics.h"
#include "stats_view.h"


/* A scraper is one or two clients; bound what a misbehaving one can hold. */
#define MAX_CONNECTIONS   16
#define CONN_TIMEOUT_S    10

/*
 * Exposition buckets: boundaries of the log-linear histogram's buckets, so
 * the cumulative counts are exact (a sample exactly on a boundary, to the
 * ns, lands in the next bucket). RTT: 8 per octave, 2^e x (1 + k/8) ns,
 * from 8.192 us to 17.18 s; histogram_quantile interpolates inside a bucket
 * at most 12.5 % wide, so a 20 ms median comes out within about 1.2 ms.
 * Queueing delay is a trend signal: 4 per octave is enough and halves its
 * series. Either way a subnet costs a fixed number of series (bounded by
 * --aggregate-max-subnets).
 */
#define LE_FIRST_OCTAVE 13
#define LE_LAST_OCTAVE  33
#define LE_RTT_STEPS    8
#define LE_QDELAY_STEPS 4

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(FILE *f, const char *name, const char *labels,
		       unsigned long long v)
{
	fprintf(f, "%s%s%s%s %llu\n", name, labels ? "{" : "",
		labels ? labels : "", labels ? "}" : "", v);
}

static void sample_f(FILE *f, const char *name, const char *labels, double v)
{
	fprintf(f, "%s%s%s%s %.9g\n", name, labels ? "{" : "",
		labels ? labels : "", labels ? "}" : "", v);
}

static void counter(FILE *f, const char *name, const char *help,
		    unsigned long long v)
{
	family(f, name, "counter", help);
	sample_u64(f, name, NULL, v);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	sample_f(f, name, NULL, v);
}

/* The "le" bounds of a histogram with steps buckets per octave, in ns. */
#define LE_MAX ((LE_LAST_OCTAVE - LE_FIRST_OCTAVE + 1) * LE_RTT_STEPS + 1)

static unsigned int le_bounds(__u64 *bounds, unsigned int steps)
{
	unsigned int k, n = 0;
	int e;

	for (e = LE_FIRST_OCTAVE; e <= LE_LAST_OCTAVE; e++)
		for (k = 0; k < steps; k++)
			bounds[n++] = (1ULL << e) + ((1ULL << e) / steps) * k;
	bounds[n++] = 1ULL << (LE_LAST_OCTAVE + 1);
	return n;
}

/* who: the series' labels before le (subnet, and interface of several). */
static void histogram_series(FILE *f, const char *name, const char *who,
			     const struct histogram *h, unsigned int steps)
{
	__u64 bounds[LE_MAX], below[LE_MAX];
	unsigned int i, n = le_bounds(bounds, steps);
	char labels[160];

	hist_counts_below(h, bounds, n, below);
	for (i = 0; i < n; i++) {
		snprintf(labels, sizeof(labels), "%s,le=\"%.12g\"",
			 who, bounds[i] / (double)NS_PER_S);
		sample_u64(f, name, labels, below[i]);
	}
	snprintf(labels, sizeof(labels), "%s,le=\"+Inf\"", who);
	sample_u64(f, name, labels, h->count);
}

/* One histogram's _bucket, _sum and _count series with these labels. */
static void histogram_all(FILE *f, const char *base, const char *labels,
			  const struct histogram *h, unsigned int steps)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_bucket", base);
	histogram_series(f, name, labels, h, steps);
	snprintf(name, sizeof(name), "%s_sum", base);
	sample_f(f, name, labels, h->sum / (double)NS_PER_S);
	snprintf(name, sizeof(name), "%s_count", base);
	sample_u64(f, name, labels, h->count);
}

/* The labels of a subnet's series: subnet, and interface of several. */
static void subnet_labels(char *buf, size_t len, const struct stats_subnet *sn)
{
	if (sn->ifname)
		snprintf(buf, len, "interface=\"%s\",subnet=\"%s\"", sn->ifname,
			 sn->name);
	else
		snprintf(buf, len, "subnet=\"%s\"", sn->name);
}

/* Per subnet (and interface, of several); the RTTs also per method,
 * a series only for the methods that measured the subnet. */
static void histogram_family(FILE *f, const struct stats_view *v,
			     const char *base, const char *help, bool qdelay)
{
	char who[128], labels[160];
	struct stats_subnet sn;
	__u32 pos = 0;
	int m;

	family(f, base, "histogram", help);
	while (stats_view_subnet(v, &pos, &sn)) {
		subnet_labels(who, sizeof(who), &sn);
		if (qdelay) {
			if (sn.qdelay->count)
				histogram_all(f, base, who, sn.qdelay, LE_QDELAY_STEPS);
			continue;
		}
		for (m = 0; m < PPING_METHOD_MAX; m++) {
			if (!sn.rtt[m])
				continue;
			snprintf(labels, sizeof(labels), "%s,method=\"%s\"", who,
				 rtt_method_name(m));
			histogram_all(f, base, labels, sn.rtt[m], LE_RTT_STEPS);
		}
	}
}

/* Per subnet: TCP segments resent each way, and coverage (flows seen and
 * sampled, counted once per interval each). */
static void subnet_counters(FILE *f, const struct stats_view *v)
{
	char who[128], labels[160];
	struct stats_subnet sn;
	__u32 pos;

	family(f, "pping_retransmits_total", "counter",
	       "TCP segments resending data, per subnet of the remote end; direction tx: sent towards it, rx: from it.");
	for (pos = 0; stats_view_subnet(v, &pos, &sn);) {
		subnet_labels(who, sizeof(who), &sn);
		snprintf(labels, sizeof(labels), "%s,direction=\"tx\"", who);
		sample_u64(f, "pping_retransmits_total", labels,
			   sn.traffic->retrans[PPING_DIR_OUT]);
		snprintf(labels, sizeof(labels), "%s,direction=\"rx\"", who);
		sample_u64(f, "pping_retransmits_total", labels,
			   sn.traffic->retrans[PPING_DIR_IN]);
	}
	family(f, "pping_subnet_tcp_flows_total", "counter",
	       "TCP flows of the subnet that sent a packet, counted once per interval (-a, or 10 s).");
	for (pos = 0; stats_view_subnet(v, &pos, &sn);) {
		subnet_labels(who, sizeof(who), &sn);
		sample_u64(f, "pping_subnet_tcp_flows_total", who, sn.traffic->flows);
	}
	family(f, "pping_subnet_tcp_flows_sampled_total", "counter",
	       "TCP flows of the subnet that gave an RTT sample, counted once per interval (-a, or 10 s).");
	for (pos = 0; stats_view_subnet(v, &pos, &sn);) {
		subnet_labels(who, sizeof(who), &sn);
		sample_u64(f, "pping_subnet_tcp_flows_sampled_total", who,
			   sn.traffic->flows_sampled);
	}
}

/* One series per hook (and protocol, given tcp), of the interface ifname
 * if not NULL. */
static void per_hook(FILE *f, const char *name, const __u64 *v,
		     const __u64 *tcp, const char *ifname)
{
	static const char *const hooks[PPING_HOOK_MAX] = { "egress", "ingress" };
	char labels[96], at[48] = "";
	int h;

	if (ifname)
		snprintf(at, sizeof(at), "interface=\"%s\",", ifname);

	for (h = 0; h < PPING_HOOK_MAX; h++) {
		if (tcp) {
			/* Each CPU's slot is copied while its programs run:
			 * a copy may hold a TCP count newer than the total. */
			__u64 other = v[h] > tcp[h] ? v[h] - tcp[h] : 0;

			snprintf(labels, sizeof(labels),
				 "%shook=\"%s\",protocol=\"tcp\"", at, hooks[h]);
			sample_u64(f, name, labels, tcp[h]);
			snprintf(labels, sizeof(labels),
				 "%shook=\"%s\",protocol=\"other\"", at, hooks[h]);
			sample_u64(f, name, labels, other);
		} else {
			snprintf(labels, sizeof(labels), "%shook=\"%s\"", at, hooks[h]);
			sample_u64(f, name, labels, v[h]);
		}
	}
}

/* The per-hook counters: with several interfaces, each one's series, with
 * an interface label; otherwise the totals. */
static void per_iface_hook(FILE *f, const struct stats_view *v,
			   const char *name, bool no_ts)
{
	const struct pping_counters *c;
	int i;

	for (i = 0; i < (v->n_ifaces > 1 ? v->n_ifaces : 1); i++) {
		c = v->n_ifaces > 1 ? &v->per_iface[i] : &v->counters;
		per_hook(f, name, no_ts ? c->tcp_no_ts : c->pkts, no_ts ? NULL : c->tcp,
			 v->n_ifaces > 1 ? v->ifaces[i].name : NULL);
	}
}

static void per_map(FILE *f, const char *name, const char *type,
		    const char *help, double flows, double ts)
{
	family(f, name, type, help);
	sample_f(f, name, "map=\"flows\"", flows);
	sample_f(f, name, "map=\"timestamps\"", ts);
}

/* The page: every family, from one view of the daemon's figures. */
static void render(FILE *f, const struct stats_view *v)
{
	const struct pping_counters *c = &v->counters;
	char labels[96], mech[48];
	int m;

	family(f, "pping_build_info", "gauge", "Version of the running pping.");
	snprintf(labels, sizeof(labels), "version=\"%s\"", PPING_VERSION);
	sample_u64(f, "pping_build_info", labels, 1);

	family(f, "pping_packets_total", "counter",
	       "Packets the BPF programs ran on, by hook and protocol.");
	per_iface_hook(f, v, "pping_packets_total", false);
	counter(f, "pping_packets_excluded_total",
		"TCP packets left out by --include, --exclude or --ports.",
		c->excluded);
	family(f, "pping_tcp_packets_without_timestamp_total", "counter",
	       "TCP packets without a usable timestamp option.");
	per_iface_hook(f, v, "pping_tcp_packets_without_timestamp_total", true);

	family(f, "pping_rtt_samples_total", "counter",
	       "RTT samples matched in the datapath, by method (ts: TCP timestamps, seq: SEQ/ACK, icmp: ICMP echo).");
	for (m = 0; m < PPING_METHOD_MAX; m++) {
		snprintf(labels, sizeof(labels), "method=\"%s\"", rtt_method_name(m));
		sample_u64(f, "pping_rtt_samples_total", labels, c->samples[m]);
	}
	counter(f, "pping_tcp_retransmits_total",
		"TCP segments that resent data already seen sent (a loss signal).",
		c->retrans);
	counter(f, "pping_tcp_out_of_order_total",
		"TCP segments starting beyond the highest sequence seen sent (data lost or reordered before this point).",
		c->reordered);
	counter(f, "pping_exact_clock_reads_total",
		"Packets that read the exact clock; the others were timed by their jiffy (the tick clock).",
		c->clock_reads);
	counter(f, "pping_tick_overruns_total",
		"Exact clock reads that found their jiffy's time older than the tick clock's bound (a stalled jiffies counter: a packet may have been rate limited late).",
		c->tick_overrun);
	family(f, "pping_seq_identifiers_total", "counter",
	       "SEQ/ACK identifiers: stored, not stored for want of a free slot, dropped by a retransmission (Karn's rule).");
	sample_u64(f, "pping_seq_identifiers_total", "outcome=\"stored\"", c->seq_created);
	sample_u64(f, "pping_seq_identifiers_total", "outcome=\"no_slot\"", c->seq_no_slot);
	sample_u64(f, "pping_seq_identifiers_total", "outcome=\"dropped_by_retransmission\"",
		   c->seq_invalidated);
	counter(f, "pping_rtt_events_total",
		"RTT events received by the daemon.", v->rtt_events);
	counter(f, "pping_timestamp_entries_created_total",
		"Identifiers created (TSvals and ICMP echoes), in flow slots or the identifier map.",
		c->ts_created);
	counter(f, "pping_identifier_map_inserts_total",
		"Identifiers stored in the identifier map: TSvals that found both slots of their flow taken, and ICMP echoes.",
		c->ts_in_map);
	counter(f, "pping_timestamp_identifiers_passed_total",
		"TSval identifiers dropped unanswered from flow slots: a newer TSval was echoed first.",
		c->ts_passed);
	counter(f, "pping_claims_lost_total",
		"Sampling slots another CPU claimed first.", c->claims_lost);
	counter(f, "pping_rate_limited_total",
		"Timestamps skipped by the rate limit.", c->rate_limited);
	family(f, "pping_map_insert_failures_total", "counter",
	       "Inserts refused because a map was full (or, for timestamps, had no memory for an entry).");
	sample_u64(f, "pping_map_insert_failures_total", "map=\"flows\"",
		   c->flow_map_full);
	sample_u64(f, "pping_map_insert_failures_total", "map=\"timestamps\"",
		   c->ts_map_full);
	counter(f, "pping_flows_deferred_total",
		"New flows deferred: sampled this epoch while the map was busy.",
		c->flows_deferred);
	per_map(f, "pping_map_entries", "gauge", "Entries in a map.",
		v->flows, v->ts);
	per_map(f, "pping_map_capacity", "gauge", "Entries a map can hold.",
		v->max_flows, v->max_ts);
	per_map(f, "pping_map_fill_ratio", "gauge",
		"Entries over capacity of a map.",
		v->max_flows ? (double)v->flows / v->max_flows : 0,
		v->max_ts ? (double)v->ts / v->max_ts : 0);
	gauge(f, "pping_degradation_level",
	      "Adaptive degradation level (0: as configured).",
	      v->degradation_level);
	counter(f, "pping_degradation_changes_total",
		"Degradation level changes.", v->degradation_changes);
	counter(f, "pping_events_lost_total",
		"Events dropped because the ring buffer was full.",
		c->events_lost);
	counter(f, "pping_cleanup_runs_total", "Map cleanup passes.",
		v->cleanup_runs);
	family(f, "pping_cleanup_seconds_total", "counter",
	       "Time spent in map cleanup passes.");
	sample_f(f, "pping_cleanup_seconds_total", NULL, v->cleanup_ns / (double)NS_PER_S);
	gauge(f, "pping_cleanup_max_seconds", "Longest map cleanup pass.",
	      v->cleanup_max_ns / (double)NS_PER_S);
	gauge(f, "pping_cleanup_interval_seconds",
	      "The configured cleanup interval (-c); 0: cleanup off.",
	      v->cleanup_interval_ns / (double)NS_PER_S);
	gauge(f, "pping_cleanup_max_call_seconds",
	      "Longest single kernel call of a map cleanup pass (how long cleanup held a CPU at once).",
	      v->cleanup_call_max_ns / (double)NS_PER_S);
	snprintf(mech, sizeof(mech), "mechanism=\"%s\"", v->cleanup_mechanism);
	family(f, "pping_cleanup_info", "gauge",
	       "The map cleanup mechanism in use (iter, foreach, batch or off).");
	sample_u64(f, "pping_cleanup_info", mech, 1);

	gauge(f, "pping_subnets", "Subnets with RTT statistics.", v->subnets);
	counter(f, "pping_subnet_overflow_rtts_total",
		"RTT samples of subnets beyond --aggregate-max-subnets.",
		v->subnet_overflow_rtts);
	histogram_family(f, v, "pping_rtt_seconds",
			 "RTT samples per subnet of the replying end.", false);
	histogram_family(f, v, "pping_queueing_delay_seconds",
			 "RTT minus the subnet's minimum RTT over the window.",
			 true);
	subnet_counters(f, v);
}

void metrics_render(FILE *f, const struct metrics_source *src)
{
	struct stats_view v;

	stats_view_read(&v, src->bpf, src->up, src->agg, src->sink);
	render(f, &v);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     char *body, size_t len, const char *type)
{
	/* A 405 must say what is allowed (RFC 9110). */
	bool not_allowed = status == MHD_HTTP_METHOD_NOT_ALLOWED;
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (not_allowed)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *text)
{
	return reply(conn, status, strdup(text), strlen(text), "text/plain");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **req_ctx)
{
	struct metrics *m = cls;
	size_t len = 0;
	char *body = NULL;
	FILE *f;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_ctx;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "pping serves /metrics\n");
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	metrics_render(f, &m->src);
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	m->scrapes++;
	return reply(conn, MHD_HTTP_OK, body, len,
		     "text/plain; version=0.0.4; charset=utf-8");
}

int metrics_start(struct metrics *m, const struct sockaddr_storage *addr,
		  const struct metrics_source *src)
{
	/* No MHD_USE_ERROR_LOG: failures are reported once, below. */
	unsigned int flags = MHD_USE_EPOLL;
	char host[INET6_ADDRSTRLEN];
	unsigned int port;

	memset(m, 0, sizeof(*m));
	m->src = *src;
	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;

		flags |= MHD_USE_IPv6;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	}
	errno = 0;
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, handle, m,
				  MHD_OPTION_SOCK_ADDR, addr,
				  MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		pr_warn("cannot serve metrics on %s port %u: %s\n", host, port,
			errno ? strerror(errno) : "libmicrohttpd failed to start");
		return -1;
	}
	if (metrics_poll_fd(m) < 0) {
		pr_warn("cannot serve metrics: libmicrohttpd has no epoll fd\n");
		metrics_stop(m);
		return -1;
	}
	pr_info("serving metrics on http://%s%s%s:%u/metrics\n",
		addr->ss_family == AF_INET6 ? "[" : "", host,
		addr->ss_family == AF_INET6 ? "]" : "", port);
	return 0;
}

int metrics_poll_fd(const struct metrics *m)
{
	const union MHD_DaemonInfo *i;

	if (!m->mhd)
		return -1;
	i = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

void metrics_run(struct metrics *m)
{
	if (m->mhd)
		MHD_run(m->mhd);
}

void metrics_stop(struct metrics *m)
{
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
}
