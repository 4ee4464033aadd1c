// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "output.h"

#define NS_PER_S 1000000000LL

void wall_clock_sync(struct wall_clock *c)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	c->offset_ns = (rt.tv_sec - mono.tv_sec) * NS_PER_S +
		       (rt.tv_nsec - mono.tv_nsec);
}

__u64 wall_clock_ns(const struct wall_clock *c, __u64 mono_ns)
{
	return mono_ns + c->offset_ns;
}

void format_time_of_day(char *buf, size_t len, __u64 wall_ns)
{
	time_t secs = wall_ns / NS_PER_S;
	struct tm tm;

	localtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%09llu", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (unsigned long long)(wall_ns % NS_PER_S));
}

void format_endpoint(char *buf, size_t len, const __u8 addr[16], __be16 port,
		     __u8 ipv)
{
	char ip[INET6_ADDRSTRLEN];

	if (ipv == 4)
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(port));
}

/* Local and remote ends of an event's flow, as text. */
static void format_ends(const struct flow_key *k, char *local, char *remote,
			size_t len)
{
	format_endpoint(local, len, k->local_addr, k->local_port, k->ipv);
	format_endpoint(remote, len, k->remote_addr, k->remote_port, k->ipv);
}

static const char *reason_name(__u8 r)
{
	switch (r) {
	case PPING_REASON_SYN: return "SYN";
	case PPING_REASON_SYN_ACK: return "SYN-ACK";
	case PPING_REASON_FIRST_PACKET: return "first observed packet";
	case PPING_REASON_FIN: return "FIN";
	case PPING_REASON_RST: return "RST";
	default: return "unknown";
	}
}

static void print_ms(FILE *f, __u64 ns)
{
	fprintf(f, "%llu.%06llu ms", (unsigned long long)(ns / 1000000),
		(unsigned long long)(ns % 1000000));
}

/*
 * RTT: the flow is named from the side that sent the reply, as pping and
 * ePPing do: for the usual egress-timestamped sample that is the remote end.
 * Flow events name the flow the same way as an arriving packet would (remote
 * first); "from src" means the remote end sent the packet.
 */
void print_event_standard(FILE *f, const struct pping_event *e,
			  const struct wall_clock *c)
{
	char tod[32], local[INET6_ADDRSTRLEN + 8], remote[INET6_ADDRSTRLEN + 8];

	format_time_of_day(tod, sizeof(tod), wall_clock_ns(c, e->time_ns));
	format_ends(&e->flow, local, remote, sizeof(local));

	if (e->type == PPING_EVENT_RTT) {
		bool remote_replied = e->dir == PPING_DIR_OUT;

		fprintf(f, "%s ", tod);
		print_ms(f, e->rtt);
		fputc(' ', f);
		print_ms(f, e->min_rtt);
		fprintf(f, " TCP %s+%s%s\n",
			remote_replied ? remote : local,
			remote_replied ? local : remote,
			(e->flags & PPING_EV_MATCH_ON_EGRESS) ? " (local)" : "");
	} else if (e->type == PPING_EVENT_FLOW) {
		fprintf(f, "%s TCP %s+%s %s due to %s from %s\n", tod, remote,
			local,
			e->flow_event == PPING_FLOW_OPENING ? "opening" : "closing",
			reason_name(e->reason),
			e->dir == PPING_DIR_IN ? "src" : "dest");
	}
}
