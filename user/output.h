/* SPDX-License-Identifier: GPL-2.0 */
/* Turning events into text for the user. */
#ifndef PPING_OUTPUT_H
#define PPING_OUTPUT_H

#include <stdio.h>
#include <linux/types.h>
#include "pping.h"

/* Converts the BPF programs' monotonic clock to wall-clock time. */
struct wall_clock {
	__s64 offset_ns;     /* realtime - monotonic */
};

void wall_clock_sync(struct wall_clock *c);
__u64 wall_clock_ns(const struct wall_clock *c, __u64 mono_ns);

/* "HH:MM:SS.nnnnnnnnn" in local time. */
void format_time_of_day(char *buf, size_t len, __u64 wall_ns);
/* "addr:port" with the canonical text form of the address (IPv4-mapped
 * addresses print as dotted quads). */
void format_endpoint(char *buf, size_t len, const __u8 addr[16], __be16 port,
		     __u8 ipv);

void print_event_standard(FILE *f, const struct pping_event *e,
			  const struct wall_clock *c);

#endif /* PPING_OUTPUT_H */
