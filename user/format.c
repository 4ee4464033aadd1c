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

/*
 * Hand-made digits: the formats below are written once per record, and
 * through printf, with localtime once per record and inet_ntop's own
 * sprintf, they were the daemon's largest cost per event.
 */

char *format_uint(char *p, __u64 v)
{
	char tmp[20], *t = tmp + sizeof(tmp);

	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, t, tmp + sizeof(tmp) - t);
	return p + (tmp + sizeof(tmp) - t);
}

char *format_padded(char *p, __u64 v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

#define TIME_OF_DAY_LEN 18   /* HH:MM:SS.nnnnnnnnn */

void format_time_of_day(char *buf, size_t len, __u64 wall_ns)
{
	/* localtime_r is the cost, and records come many to a second:
	 * its answer is kept for the second it was asked for (per thread,
	 * so any thread may format) */
	static __thread time_t cached_secs = -1;
	static __thread char hms[8];
	time_t secs = wall_ns / NS_PER_S;
	struct tm tm;

	if (len <= TIME_OF_DAY_LEN) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (secs != cached_secs) {
		localtime_r(&secs, &tm);
		format_padded(hms, tm.tm_hour, 2);
		hms[2] = ':';
		format_padded(hms + 3, tm.tm_min, 2);
		hms[5] = ':';
		format_padded(hms + 6, tm.tm_sec, 2);
		cached_secs = secs;
	}
	memcpy(buf, hms, sizeof(hms));
	buf[8] = '.';
	format_padded(buf + 9, wall_ns % NS_PER_S, 9);
	buf[TIME_OF_DAY_LEN] = '\0';
}

/* A dotted quad at p; returns the end (no terminator). */
static char *put_ipv4(char *p, const __u8 a[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = format_uint(p, a[i]);
	}
	return p;
}

/*
 * The text form inet_ntop gives an IPv6 address (RFC 5952): groups in
 * lowercase hex without leading zeros, the longest run of two or more
 * zero groups (the first of equal ones) as "::", and an IPv4-compatible or
 * IPv4-mapped address with its last 32 bits as a dotted quad.
 */
static char *put_ipv6(char *p, const __u8 a[16])
{
	static const char hex[] = "0123456789abcdef";
	int i, base = -1, run = 0, cur = -1, cur_len = 0;
	unsigned int w[8];

	for (i = 0; i < 8; i++) {
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > run)
				base = cur, run = cur_len;
		} else {
			cur = -1;
		}
	}
	if (run < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + run) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && base == 0 &&
		    (run == 6 || (run == 5 && w[5] == 0xffff)))
			return put_ipv4(p, a + 12);
		if (w[i] >> 12)
			*p++ = hex[w[i] >> 12];
		if (w[i] >> 8)
			*p++ = hex[w[i] >> 8 & 0xf];
		if (w[i] >> 4)
			*p++ = hex[w[i] >> 4 & 0xf];
		*p++ = hex[w[i] & 0xf];
	}
	if (base >= 0 && base + run == 8)
		*p++ = ':';
	return p;
}

/* The address's text at p; returns the end (no terminator). */
static char *put_addr(char *p, const __u8 addr[16], __u8 ipv)
{
	return ipv == 4 ? put_ipv4(p, addr + 12) : put_ipv6(p, addr);
}

/* The text from tmp to end into buf of len bytes, terminated, if it fits;
 * else what small stands for, as much of it as fits. */
static void put_fitting(char *buf, size_t len, const char *tmp,
			const char *end, const char *small)
{
	size_t n = end - tmp;

	if (n < len) {
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	} else if (len) {
		snprintf(buf, len, "%s", small);
	}
}

void format_addr(char *buf, size_t len, const __u8 addr[16], __u8 ipv)
{
	char tmp[INET6_ADDRSTRLEN];

	put_fitting(buf, len, tmp, put_addr(tmp, addr, ipv), "?");
}

void format_endpoint(char *buf, size_t len, const __u8 addr[16], __be16 port,
		     __u8 ipv)
{
	char tmp[FORMAT_ENDPOINT_LEN], *p = put_addr(tmp, addr, ipv);

	*p++ = ':';
	put_fitting(buf, len, tmp, format_uint(p, ntohs(port)), "");
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
