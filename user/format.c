// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "format.h"


void wall_clock_sync(struct wall_clock *c)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	c->offset_ns = (rt.tv_sec - mono.tv_sec) * (__s64)NS_PER_S +
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

void format_addr(char *buf, size_t len, const __u8 addr[16], __u8 ipv)
{
	if (!inet_ntop(ipv == 4 ? AF_INET : AF_INET6, ipv == 4 ? addr + 12 : addr,
		       buf, len))
		snprintf(buf, len, "?");
}

void format_endpoint(char *buf, size_t len, const __u8 addr[16], __be16 port,
		     __u8 ipv)
{
	char ip[INET6_ADDRSTRLEN];

	format_addr(ip, sizeof(ip), addr, ipv);
	snprintf(buf, len, "%s:%u", ip, ntohs(port));
}

const char *flow_reason_name(__u8 r)
{
	switch (r) {
	case PPING_REASON_SYN: return "SYN";
	case PPING_REASON_SYN_ACK: return "SYN-ACK";
	case PPING_REASON_FIRST_PACKET: return "first observed packet";
	case PPING_REASON_FIN: return "FIN";
	case PPING_REASON_RST: return "RST";
	case PPING_REASON_IDLE: return "idle timeout";
	case PPING_REASON_UNANSWERED: return "no reply";
	case PPING_REASON_EVICTED: return "eviction";
	default: return "unknown";
	}
}

const char *flow_event_name(__u8 ev)
{
	return ev == PPING_FLOW_OPENING ? "opening" : "closing";
}
