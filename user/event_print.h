/* SPDX-License-Identifier: GPL-2.0 */
/* One RTT or flow event as a record of the chosen output format. */
#ifndef PPING_EVENT_PRINT_H
#define PPING_EVENT_PRINT_H

#include <stdbool.h>

#include "format.h"
#include "output.h"
#include "pping.h"

/* Where an event was seen. */
struct event_where {
	const char *ifname;   /* its interface, of several; else NULL */
};

/* "ts", "seq" or "icmp": the name of an enum pping_method in records. */
const char *rtt_method_name(__u8 method);

void print_event(struct output *o, const struct pping_event *e,
		 const struct wall_clock *c, const struct event_where *w);

#endif /* PPING_EVENT_PRINT_H */
