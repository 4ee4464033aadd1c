// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "event_print.h"
#include "events.h"

struct held_event {
	struct pping_event e;
	size_t arrival;   /* ties in pkt_seq keep the ring's order */
};

static int hold(struct event_sink *s, const struct pping_event *e)
{
	struct held_event *h;
	size_t cap;

	if (s->n_held == s->cap_held) {
		cap = s->cap_held ? 2 * s->cap_held : 4096;
		h = realloc(s->held, cap * sizeof(*h));
		if (!h) {
			/* Out of order rather than lost. */
			event_sink_release(s);
			event_sink_deliver(s, e);
			return 0;
		}
		s->held = h;
		s->cap_held = cap;
	}
	h = &s->held[s->n_held];
	h->e = *e;
	h->arrival = s->n_held++;
	return 0;
}

static int by_packet(const void *a, const void *b)
{
	const struct held_event *x = a, *y = b;

	if (x->e.pkt_seq != y->e.pkt_seq)
		return x->e.pkt_seq < y->e.pkt_seq ? -1 : 1;
	return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

void event_sink_hold(struct event_sink *s)
{
	s->holding = true;
}

void event_sink_release(struct event_sink *s)
{
	size_t i;

	if (!s->n_held)
		return;
	qsort(s->held, s->n_held, sizeof(*s->held), by_packet);
	for (i = 0; i < s->n_held; i++)
		event_sink_deliver(s, &s->held[i].e);
	s->n_held = 0;
}

void event_sink_free(struct event_sink *s)
{
	free(s->held);
	s->held = NULL;
	s->n_held = s->cap_held = 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct event_sink *s = ctx;

	if (size < sizeof(struct pping_event)) {
		s->malformed++;
		return 0;
	}
	if (s->holding)
		return hold(s, data);
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
