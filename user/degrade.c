// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "clock.h"
#include "degrade.h"


/*
 * Timeouts at level 0 and the floors they are halved towards, one halving
 * per level. Why these values:
 * - identifiers: 8 x srtt (an ACK later than that is not for this segment),
 *   at least 1 s, which covers the longest delayed ACK RFC 1122 allows
 *   (500 ms) plus RTT; at most 10 s, also the lifetime before the flow has
 *   an RTT. The floor never shrinks: below it real samples would be lost.
 * - closed (both FINs): 1 s of quiet, enough for the last ACK and a
 *   retransmitted FIN or two.
 * - half closed (one FIN): 10 s; the other side may still be sending.
 * - unanswered (no RTT sample yet): 30 s from opening covers the SYN
 *   retries of a connect() that gives up after ~30 s; floor 2 s.
 * - idle: 300 s, as long as a quiet interactive session is worth keeping;
 *   floor 2 s.
 */
#define TS_RTT_MULT       8
#define TS_FLOOR_NS       (1 * NS_PER_S)
#define TS_CAP_NS         (10 * NS_PER_S)
#define CLOSED_NS         (1 * NS_PER_S)
#define HALF_CLOSED_NS    (10 * NS_PER_S)
#define HALF_CLOSED_MIN   (1 * NS_PER_S)
#define UNANSWERED_NS     (30 * NS_PER_S)
#define UNANSWERED_MIN    (2 * NS_PER_S)
#define IDLE_NS           (300 * NS_PER_S)
#define IDLE_MIN          (2 * NS_PER_S)

static __u64 halve(__u64 base, int level, __u64 floor)
{
	__u64 v = base >> level;

	return v < floor ? floor : v;
}

void degrade_timeouts(int level, struct cleanup_params *p)
{
	p->ts_rtt_mult = TS_RTT_MULT;
	p->ts_floor_ns = TS_FLOOR_NS;
	p->ts_cap_ns = halve(TS_CAP_NS, level, TS_FLOOR_NS);
	p->closed_ns = CLOSED_NS;
	p->half_closed_ns = halve(HALF_CLOSED_NS, level, HALF_CLOSED_MIN);
	p->unanswered_ns = halve(UNANSWERED_NS, level, UNANSWERED_MIN);
	p->idle_ns = halve(IDLE_NS, level, IDLE_MIN);
}

void degrade_init(struct degrade *d, const struct degrade_cfg *cfg)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
}

__u64 degrade_low_flows(const struct degrade *d)
{
	return (__u64)(d->cfg.max_flows * DEGRADE_LOW_WATERMARK);
}

static double fill_of(__u64 n, __u64 max)
{
	return max ? (double)n / (double)max : 0.0;
}

/*
 * Called once per cleanup interval, before the cleanup pass:
 * - Pressure (either map above the high watermark, or inserts refused for
 *   lack of room) raises the level by one; both maps below the low
 *   watermark with nothing refused lowers it by one. One step per interval
 *   in either direction, so a burst does not swing it.
 * - Under degradation, while flows are refused or deferred, flows that
 *   already had an RTT reported are evicted down to the low watermark:
 *   the room above it goes to flows without a sample, which the datapath
 *   admits first (sampled ones only below the watermark).
 * - When flows were deferred but none refused for lack of room, every flow
 *   that wanted an entry without a sample got one: a new epoch starts and
 *   the sampled ones queue on equal terms again. Leaving degradation also
 *   starts one.
 */
void degrade_step(struct degrade *d, const struct degrade_input *in,
		  struct degrade_action *act)
{
	double fill = fill_of(in->flows, d->cfg.max_flows);
	double ts_fill = fill_of(in->ts, d->cfg.max_ts);
	__u64 low = degrade_low_flows(d);
	bool pressure, demand;

	if (ts_fill > fill)
		fill = ts_fill;
	pressure = fill >= DEGRADE_HIGH_WATERMARK || in->flows_refused ||
		   in->ts_refused;

	memset(act, 0, sizeof(*act));
	act->prev_level = d->level;
	if (d->cfg.adaptive) {
		if (pressure && d->level < PPING_DEGRADE_MAX_LEVEL)
			d->level++;
		else if (!pressure && fill < DEGRADE_LOW_WATERMARK && d->level > 0)
			d->level--;
	}
	if (d->level != act->prev_level)
		d->changes++;
	if (d->level > d->highest)
		d->highest = d->level;

	demand = in->flows_refused || in->flows_deferred;
	act->new_epoch = (d->level > 0 && in->flows_deferred && !in->flows_refused) ||
			 (d->level == 0 && act->prev_level > 0);
	if (act->new_epoch)
		d->epochs++;

	act->level = d->level;
	act->sampled_admit = low;
	degrade_timeouts(d->level, &act->params);
	if (d->level > 0 && demand && in->flows > low)
		act->params.evict_budget = in->flows - low;
}
