// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "loader.h"
#include "log.h"
#include "upkeep.h"
#include "pping_tc.skel.h"

static int map_sampled(struct upkeep *u)
{
	const struct bpf_map *m = u->bpf->tc->maps.sampled_flows;
	size_t page = sysconf(_SC_PAGESIZE);
	void *p;

	u->sampled_len = ((size_t)bpf_map__max_entries(m) * sizeof(__u64) +
			  page - 1) / page * page;
	p = mmap(NULL, u->sampled_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		pr_warn("cannot map the sampled-flows bitmap: %s\n", strerror(errno));
		u->sampled_len = 0;
		return -errno;
	}
	u->sampled = p;
	return 0;
}

int upkeep_open(struct upkeep *u, struct pping_bpf *b, __u64 interval_ns,
		enum cleanup_mech mech, bool adaptive, __u64 rate_limit_ns)
{
	struct degrade_cfg dc = {
		.adaptive = adaptive && interval_ns,
		.max_flows = bpf_map__max_entries(b->tc->maps.flow_map),
		.max_ts = bpf_map__max_entries(b->tc->maps.ts_map),
	};
	int err;

	memset(u, 0, sizeof(*u));
	u->bpf = b;
	u->rate_limit_ns = rate_limit_ns;
	degrade_init(&u->deg, &dc);
	b->tc->data->runtime.sampled_admit = degrade_low_flows(&u->deg);
	if (!interval_ns)
		return 0;
	u->interval_ns = interval_ns;
	err = map_sampled(u);
	if (!err)
		err = cleanup_open(&u->cleanup, b, mech);
	if (err)
		return err;
	u->cleaning = true;
	return counters_read(bpf_map__fd(b->tc->maps.counters), &u->prev);
}

int upkeep_fill(struct upkeep *u, const struct pping_counters *c,
		struct map_fill *f)
{
	const struct cleanup_stats *cs = &u->cleanup.totals.sum;
	__u32 zero = 0;
	__s64 flows = 0;
	__s64 ts;

	f->max_flows = u->deg.cfg.max_flows;
	f->max_ts = u->deg.cfg.max_ts;
	if (bpf_map_lookup_elem(bpf_map__fd(u->bpf->tc->maps.flow_count),
				&zero, &flows))
		return -errno;
	ts = (__s64)(c->ts_in_map - c->ts_deleted -
		     cs->ts_removed[CLEAN_TS_EXPIRED] -
		     cs->ts_removed[CLEAN_TS_ORPHANED]);
	f->flows = flows > 0 ? (__u64)flows : 0;
	f->ts = ts > 0 ? (__u64)ts : 0;
	return 0;
}

static double pct(__u64 n, __u64 max)
{
	return max ? 100.0 * (double)n / (double)max : 0.0;
}

static void log_level_change(const struct upkeep *u,
			     const struct degrade_action *a,
			     const struct degrade_input *in)
{
	pr_info("degradation level %d -> %d: flow map %.0f%% full, identifier map %.0f%%, "
		"%llu new flows refused (map full) and %llu deferred in the last interval; "
		"rate limit now %.0f ms, idle timeout %.0f s, identifier lifetime at most %.1f s\n",
		a->prev_level, a->level, pct(in->flows, u->deg.cfg.max_flows),
		pct(in->ts, u->deg.cfg.max_ts),
		(unsigned long long)in->flows_refused,
		(unsigned long long)in->flows_deferred,
		pping_degraded_interval(u->rate_limit_ns, a->level) / 1e6,
		a->params.idle_ns / 1e9,
		a->params.ts_cap_ns / 1e9);
}

int upkeep_tick(struct upkeep *u, __u64 now)
{
	volatile struct pping_runtime *rt = &u->bpf->tc->data->runtime;
	struct pping_counters c;
	struct degrade_input in = {};
	struct degrade_action act;
	struct cleanup_stats st;
	struct map_fill f;
	int err;

	if (!u->cleaning)
		return 0;
	err = counters_read(bpf_map__fd(u->bpf->tc->maps.counters), &c);
	err = err ?: upkeep_fill(u, &c, &f);
	if (err)
		return err;
	in.flows = f.flows;
	in.ts = f.ts;
	in.flows_refused = c.flow_map_full - u->prev.flow_map_full;
	in.flows_deferred = c.flows_deferred - u->prev.flows_deferred;
	in.ts_refused = c.ts_map_full - u->prev.ts_map_full;
	u->prev = c;

	degrade_step(&u->deg, &in, &act);
	if (act.level != act.prev_level)
		log_level_change(u, &act, &in);
	if (act.new_epoch)
		memset(u->sampled, 0, u->sampled_len);
	rt->sampled_admit = act.sampled_admit;
	rt->level = (__u8)act.level;

	act.params.sampled_mask = rt->sampled_mask;
	act.params.now = now;
	err = cleanup_run(&u->cleanup, &act.params, &st);
	if (!err && st.flows_removed[CLEAN_FLOW_EVICTED])
		pr_debug("cleanup evicted %llu sampled flows (budget %llu)\n",
			 (unsigned long long)st.flows_removed[CLEAN_FLOW_EVICTED],
			 (unsigned long long)act.params.evict_budget);
	return err;
}

void upkeep_print_summary(FILE *out, struct upkeep *u,
			  const struct pping_counters *c)
{
	const struct cleanup_totals *t = &u->cleanup.totals;
	const struct cleanup_stats *s = &t->sum;
	struct map_fill f = {};

	upkeep_fill(u, c, &f);
	fprintf(out,
		"pping: maps: flows %llu of %llu (%.0f%%), identifiers %llu of %llu (%.0f%%), %.1f MiB; "
		"degradation level %d (highest %d, %llu changes); flows deferred %llu\n",
		(unsigned long long)f.flows, (unsigned long long)f.max_flows,
		pct(f.flows, f.max_flows),
		(unsigned long long)f.ts, (unsigned long long)f.max_ts,
		pct(f.ts, f.max_ts),
		pping_bpf_map_memory(u->bpf, false) / 1048576.0,
		u->deg.level, u->deg.highest,
		(unsigned long long)u->deg.changes,
		(unsigned long long)c->flows_deferred);
	if (!u->cleaning) {
		fprintf(out, "pping: cleanup: off\n");
		return;
	}
	fprintf(out,
		"pping: cleanup: %llu runs (mechanism %s), %.0f us each on average (longest %.0f us, longest kernel call %.0f us, %.3f s of CPU); "
		"removed flows closed %llu, half-closed %llu, unanswered %llu, idle %llu, evicted %llu; "
		"identifiers expired %llu, orphaned %llu; already gone when deleted %llu\n",
		(unsigned long long)t->runs,
		cleanup_mech_name(u->cleanup.mech),
		t->runs ? t->wall_ns / 1e3 / t->runs : 0.0,
		t->wall_max_ns / 1e3, t->call_max_ns / 1e3, t->cpu_ns / 1e9,
		(unsigned long long)s->flows_removed[CLEAN_FLOW_CLOSED],
		(unsigned long long)s->flows_removed[CLEAN_FLOW_HALF_CLOSED],
		(unsigned long long)s->flows_removed[CLEAN_FLOW_UNANSWERED],
		(unsigned long long)s->flows_removed[CLEAN_FLOW_IDLE],
		(unsigned long long)s->flows_removed[CLEAN_FLOW_EVICTED],
		(unsigned long long)s->ts_removed[CLEAN_TS_EXPIRED],
		(unsigned long long)s->ts_removed[CLEAN_TS_ORPHANED],
		(unsigned long long)s->delete_failed);
}

void upkeep_close(struct upkeep *u)
{
	if (u->cleaning)
		cleanup_close(&u->cleanup);
	if (u->sampled)
		munmap(u->sampled, u->sampled_len);
	u->sampled = NULL;
	u->cleaning = false;
}
