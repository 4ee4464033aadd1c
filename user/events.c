// SPDX-License-Identifier: GPL-2.0
#include "event_print.h"
#include "events.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	struct event_sink *s = ctx;

	if (size < sizeof(struct pping_event)) {
		s->malformed++;
		return 0;
	}
	event_sink_deliver(s, data);
	return 0;
}

void event_sink_deliver(void *ctx, const struct pping_event *e)
{
	struct event_sink *s = ctx;

	if (e->type == PPING_EVENT_RTT) {
		s->rtt_events++;
		if (s->agg)
			aggregate_rtt(s->agg, e);
	} else {
		s->flow_events++;
	}
	if (s->print) {
		/* Records name their interface when there are several, so
		 * a one-interface run writes what ePPing's parsers expect. */
		struct event_where w = {
			.ifname = s->n_ifaces > 1 ?
				  s->ifaces[e->flow.iface % s->n_ifaces].name : NULL,
		};

		print_event(s->out, e, &s->clock, &w);
	}
}

struct ring_buffer *events_open(int map_fd, struct event_sink *sink)
{
	wall_clock_sync(&sink->clock);
	return ring_buffer__new(map_fd, handle_event, sink, NULL);
}
