// SPDX-License-Identifier: GPL-2.0
/*
 * Naming the two ends: an RTT event names the flow from the side that sent
 * the reply, as pping and ePPing do (for the usual egress-timestamped
 * sample that is the remote end). A flow event names it as an arriving
 * packet would (remote first); "from src" means the remote end sent the
 * packet that triggered it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "clock.h"
#include "event_print.h"
#include "json.h"

/* The replying end of an RTT event (src) and the timestamping end (dst). */
static bool rtt_src_is_remote(const struct pping_event *e)
{
	return e->dir == PPING_DIR_OUT;
}

const char *rtt_method_name(__u8 method)
{
	switch (method) {
	case PPING_METHOD_TS:
		return "ts";
	case PPING_METHOD_SEQ:
		return "seq";
	case PPING_METHOD_ICMP:
		return "icmp";
	}
	return "unknown";
}

/* "TCP", "ICMP" or "ICMPv6", as ePPing names a flow's protocol. */
static const char *proto_name(const struct flow_key *k)
{
	if (k->proto == IPPROTO_ICMP)
		return "ICMP";
	if (k->proto == IPPROTO_ICMPV6)
		return "ICMPv6";
	return "TCP";
}

/* Which end's packet triggered a flow event; "cleanup" if none did. */
static const char *trigger_name(const struct pping_event *e)
{
	if (e->flags & PPING_EV_BY_CLEANUP)
		return "cleanup";
	return e->dir == PPING_DIR_IN ? "src" : "dest";
}

/* "M.uuuuuu ms", written as format.c writes digits (one thread writes
 * the output: unlocked). */
static void print_ms(FILE *f, __u64 ns)
{
	char buf[32], *p;

	p = format_uint(buf, ns / 1000000);
	*p++ = '.';
	p = format_padded(p, ns % 1000000, 6);
	memcpy(p, " ms", 3);
	fwrite_unlocked(buf, 1, p + 3 - buf, f);
}

/*
 * With several interfaces a line ends in " dev IF", after everything an
 * ePPing-shaped parser reads, so such parsers keep working. So does the
 * method of a sample not taken from timestamps: " (seq)".
 */
static void print_standard(FILE *f, const struct pping_event *e,
			   const struct wall_clock *c, const struct event_where *w)
{
	const char *dev = w->ifname;
	char tod[32], local[FORMAT_ENDPOINT_LEN], remote[FORMAT_ENDPOINT_LEN];
	const struct flow_key *k = &e->flow;

	format_time_of_day(tod, sizeof(tod), wall_clock_ns(c, e->time_ns));
	format_endpoint(local, sizeof(local), k->local_addr, k->local_port, k->ipv);
	format_endpoint(remote, sizeof(remote), k->remote_addr, k->remote_port,
			k->ipv);

	fputs_unlocked(tod, f);
	putc_unlocked(' ', f);
	if (e->type == PPING_EVENT_RTT) {
		bool rem = rtt_src_is_remote(e);

		print_ms(f, e->rtt);
		putc_unlocked(' ', f);
		print_ms(f, e->min_rtt);
		putc_unlocked(' ', f);
		fputs_unlocked(proto_name(k), f);
		putc_unlocked(' ', f);
		fputs_unlocked(rem ? remote : local, f);
		putc_unlocked('+', f);
		fputs_unlocked(rem ? local : remote, f);
		if (e->flags & PPING_EV_MATCH_ON_EGRESS)
			fputs_unlocked(" (local)", f);
		/* ICMP needs no mark: its protocol field says it. */
		if (e->method == PPING_METHOD_SEQ) {
			fputs_unlocked(" (", f);
			fputs_unlocked(rtt_method_name(e->method), f);
			putc_unlocked(')', f);
		}
	} else {
		fputs_unlocked(proto_name(k), f);
		putc_unlocked(' ', f);
		fputs_unlocked(remote, f);
		putc_unlocked('+', f);
		fputs_unlocked(local, f);
		putc_unlocked(' ', f);
		fputs_unlocked(flow_event_name(e->flow_event), f);
		fputs_unlocked(" due to ", f);
		fputs_unlocked(flow_reason_name(e->reason), f);
		if (!(e->flags & PPING_EV_BY_CLEANUP)) {
			fputs_unlocked(" from ", f);
			fputs_unlocked(trigger_name(e), f);
		}
	}
	if (dev) {
		fputs_unlocked(" dev ", f);
		fputs_unlocked(dev, f);
	}
	putc_unlocked('\n', f);
}

/*
 * ppviz (pollere's visualiser) reads RTT samples only, as
 * "epoch.ns rtt_s min_rtt_s SRC:PORT+DST:PORT", seconds with ns digits.
 */
static void print_ppviz(FILE *f, const struct pping_event *e,
			const struct wall_clock *c)
{
	char local[FORMAT_ENDPOINT_LEN], remote[FORMAT_ENDPOINT_LEN];
	const struct flow_key *k = &e->flow;
	__u64 t = wall_clock_ns(c, e->time_ns);
	bool rem = rtt_src_is_remote(e);

	format_endpoint(local, sizeof(local), k->local_addr, k->local_port, k->ipv);
	format_endpoint(remote, sizeof(remote), k->remote_addr, k->remote_port,
			k->ipv);
	fprintf(f, "%llu.%09llu %llu.%09llu %llu.%09llu %s+%s\n",
		(unsigned long long)(t / NS_PER_S), (unsigned long long)(t % NS_PER_S),
		(unsigned long long)(e->rtt / NS_PER_S),
		(unsigned long long)(e->rtt % NS_PER_S),
		(unsigned long long)(e->min_rtt / NS_PER_S),
		(unsigned long long)(e->min_rtt % NS_PER_S),
		rem ? remote : local, rem ? local : remote);
}

/*
 * ePPing's field names, so existing jq scripts keep working. For an RTT
 * event "sent" is the traffic of the timestamped direction and "rec" that
 * of the replies.
 */
static void print_json(FILE *f, const struct pping_event *e,
		       const struct wall_clock *c, const struct event_where *w)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	const struct flow_key *k = &e->flow;
	bool src_remote = e->type == PPING_EVENT_RTT ? rtt_src_is_remote(e) : true;
	struct json_obj j;
	int d = e->dir & 1;

	format_addr(local, sizeof(local), k->local_addr, k->ipv);
	format_addr(remote, sizeof(remote), k->remote_addr, k->ipv);

	json_begin(&j, f);
	json_u64(&j, "timestamp", wall_clock_ns(c, e->time_ns));
	json_str(&j, "src_ip", src_remote ? remote : local);
	json_u64(&j, "src_port", ntohs(src_remote ? k->remote_port : k->local_port));
	json_str(&j, "dest_ip", src_remote ? local : remote);
	json_u64(&j, "dest_port", ntohs(src_remote ? k->local_port : k->remote_port));
	json_str(&j, "protocol", proto_name(k));
	if (w->ifname)
		json_str(&j, "interface", w->ifname);
	if (e->type == PPING_EVENT_RTT) {
		json_u64(&j, "rtt", e->rtt);
		json_str(&j, "method", rtt_method_name(e->method));
		json_u64(&j, "min_rtt", e->min_rtt);
		json_u64(&j, "sent_packets", e->pkts[d]);
		json_u64(&j, "sent_bytes", e->bytes[d]);
		json_u64(&j, "rec_packets", e->pkts[d ^ 1]);
		json_u64(&j, "rec_bytes", e->bytes[d ^ 1]);
		json_bool(&j, "match_on_egress",
			  e->flags & PPING_EV_MATCH_ON_EGRESS);
	} else {
		json_str(&j, "flow_event", flow_event_name(e->flow_event));
		json_str(&j, "reason", flow_reason_name(e->reason));
		json_str(&j, "triggered_by", trigger_name(e));
		/* The loss signal, both directions together: per direction
		 * it is in the -a records. */
		if (e->flow_event == PPING_FLOW_CLOSING_EV &&
		    e->flow.proto == IPPROTO_TCP) {
			json_u64(&j, "retrans_packets",
				 (__u64)e->retrans[0] + e->retrans[1]);
			json_u64(&j, "out_of_order_packets",
				 (__u64)e->reordered[0] + e->reordered[1]);
		}
	}
	json_end(&j);
}

void print_event(struct output *o, const struct pping_event *e,
		 const struct wall_clock *c, const struct event_where *w)
{
	FILE *f;

	if (e->type != PPING_EVENT_RTT && e->type != PPING_EVENT_FLOW)
		return;
	if (o->format == OUTPUT_PPVIZ && e->type != PPING_EVENT_RTT)
		return;
	f = output_record_begin(o);
	switch (o->format) {
	case OUTPUT_STANDARD:
		print_standard(f, e, c, w);
		break;
	case OUTPUT_PPVIZ:
		print_ppviz(f, e, c);
		break;
	case OUTPUT_JSON:
	case OUTPUT_JSONL:
		print_json(f, e, c, w);
		break;
	}
	output_record_end(o);
}
