/* SPDX-License-Identifier: GPL-2.0 */
/* Text forms shared by every output format: times, addresses, names. */
#ifndef PPING_FORMAT_H
#define PPING_FORMAT_H

#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>
#include "pping.h"

/* Converts the BPF programs' monotonic clock to wall-clock time. */
struct wall_clock {
	__s64 offset_ns;     /* realtime - monotonic */
};

void wall_clock_sync(struct wall_clock *c);
__u64 wall_clock_ns(const struct wall_clock *c, __u64 mono_ns);

/* v in decimal at p, no terminator; returns the end (20 bytes at most). */
char *format_uint(char *p, __u64 v);

/* v's last width digits, zero-padded, at p; returns the end. */
char *format_padded(char *p, __u64 v, int width);

/* "HH:MM:SS.nnnnnnnnn" in local time. */
void format_time_of_day(char *buf, size_t len, __u64 wall_ns);
/* "addr:port" with the canonical text form of the address (IPv4-mapped
 * addresses print as dotted quads); "" where len is too small for it. */
#define FORMAT_ENDPOINT_LEN (INET6_ADDRSTRLEN + 6)   /* ":65535" */
void format_endpoint(char *buf, size_t len, const __u8 addr[16], __be16 port,
		     __u8 ipv);

/* The address alone, canonical text form (IPv4-mapped as a dotted quad);
 * "?" where len is too small for it. */
void format_addr(char *buf, size_t len, const __u8 addr[16], __u8 ipv);

/* Names of flow events as ePPing prints them ("SYN", "opening", ...). */
const char *flow_reason_name(__u8 reason);
const char *flow_event_name(__u8 flow_event);

#endif /* PPING_FORMAT_H */
