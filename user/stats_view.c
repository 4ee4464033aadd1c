// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <bpf/libbpf.h>

#include "aggregate.h"
#include "counters.h"
#include "events.h"
#include "loader.h"
#include "stats_view.h"
#include "upkeep.h"
#include "pping_tc.skel.h"

void stats_view_read(struct stats_view *v, struct pping_bpf *bpf,
		     struct upkeep *up, const struct aggregate *agg,
		     const struct event_sink *sink)
{
	const struct cleanup_totals *ct = &up->cleanup.totals;
	struct map_fill fill = {};

	int fd = bpf_map__fd(bpf->tc->maps.counters), i;

	memset(v, 0, sizeof(*v));
	counters_read(fd, &v->counters);
	if (sink->n_ifaces > 1) {
		v->n_ifaces = sink->n_ifaces;
		v->ifaces = sink->ifaces;
		for (i = 0; i < v->n_ifaces; i++)
			counters_read_slot(fd, i, &v->per_iface[i]);
	}
	upkeep_fill(up, &v->counters, &fill);
	v->rtt_events = sink->rtt_events;
	v->flows = fill.flows;
	v->max_flows = fill.max_flows;
	v->ts = fill.ts;
	v->max_ts = fill.max_ts;
	v->degradation_level = up->deg.level;
	v->degradation_changes = up->deg.changes;
	v->cleanup_runs = ct->runs;
	v->cleanup_ns = ct->wall_ns;
	v->cleanup_max_ns = ct->wall_max_ns;
	v->cleanup_call_max_ns = ct->call_max_ns;
	v->cleanup_mechanism = up->cleaning ?
			       cleanup_mech_name(up->cleanup.mech) : "off";
	v->cleanup_interval_ns = up->cleaning ? up->interval_ns : 0;
	v->agg = agg;
	if (agg) {
		v->subnets = agg->used;
		/* and the samples the kernel's full histogram map left out */
		v->subnet_overflow_rtts = agg->overflow_total.rtts +
					  v->counters.agg_full +
					  v->counters.agg_untracked;
	}
}

bool stats_view_subnet(const struct stats_view *v, __u32 *pos,
		       struct stats_subnet *out)
{
	const struct subnet_stats *s;

	if (!v->agg)
		return false;
	while ((s = aggregate_next(v->agg, pos))) {
		/* A subnet with samples or TCP traffic (the queueing delay
		 * gets every sample: its count says whether there is any). */
		if (!s->qdelay_total || (!s->qdelay_total->count &&
					 !s->traffic_total.pkts[0] &&
					 !s->traffic_total.pkts[1]))
			continue;
		aggregate_subnet_name(v->agg, &s->key, out->name,
				      sizeof(out->name));
		out->ifname = aggregate_subnet_iface(v->agg, &s->key);
		for (int m = 0; m < PPING_METHOD_MAX; m++)
			out->rtt[m] = s->rtt_total[m] && s->rtt_total[m]->count ?
				      s->rtt_total[m] : NULL;
		out->qdelay = s->qdelay_total;
		out->traffic = &s->traffic_total;
		return true;
	}
	return false;
}
