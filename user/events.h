/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the ring buffer and handing each event to the output and the
 * aggregation. */
#ifndef PPING_EVENTS_H
#define PPING_EVENTS_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "aggregate.h"
#include "iface.h"
#include "format.h"
#include "output.h"

struct event_sink {
	struct output *out;
	bool print;                       /* one record per event (not -a) */
	struct aggregate *agg;            /* NULL: no aggregation */
	struct wall_clock clock;
	/* Live: the monitored interfaces' names by slot; a replay has none. */
	const struct iface *ifaces;
	int n_ifaces;
	unsigned long long rtt_events;
	unsigned long long flow_events;
	unsigned long long malformed;     /* records of an unexpected size */
	/* A replay on several threads: events read from the ring wait here
	 * until event_sink_release() puts them in the packets' order. */
	bool holding;
	struct held_event *held;
	size_t n_held, cap_held;
};

struct ring_buffer *events_open(int map_fd, struct event_sink *sink);

/*
 * Take one event as if it came from the ring buffer (ctx: the sink). The
 * batched cleanup, which has no ring to write to, hands its closing
 * events over this way.
 */
void event_sink_deliver(void *ctx, const struct pping_event *e);

/*
 * A replay on several threads: from now on, hold the events read from the
 * ring instead of delivering them. The workers' events reach the ring
 * interleaved; each carries its packet's place in the batch (pkt_seq),
 * and event_sink_release() delivers the held ones in that order, the
 * events of one packet in the order it made them: the order one thread
 * would have delivered them in.
 */
void event_sink_hold(struct event_sink *s);
void event_sink_release(struct event_sink *s);
void event_sink_free(struct event_sink *s);

#endif /* PPING_EVENTS_H */
