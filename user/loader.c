// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel_hz.h"
#include "loader.h"
#include "log.h"
#include "privs.h"
#include "replay_pool.h"
#include "subnet_mask.h"
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"

int pping_bpf_share_maps(struct bpf_object *dst, const struct bpf_object *src)
{
	struct bpf_map *m;
	const struct bpf_map *from;
	int err;

	bpf_object__for_each_map(m, dst) {
		if (bpf_map__is_internal(m))
			continue;
		from = bpf_object__find_map_by_name(src, bpf_map__name(m));
		if (!from) {
			pr_warn("map %s has no counterpart to share\n", bpf_map__name(m));
			return -ENOENT;
		}
		err = bpf_map__reuse_fd(m, bpf_map__fd(from));
		if (err) {
			pr_warn("cannot share map %s: %s\n", bpf_map__name(m),
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* One state for all hooks: another object of the datapath uses the tc
 * object's maps, including .data, so runtime changes reach all of them. */
static int share_state(struct bpf_object *obj, struct bpf_map *data,
		       const struct pping_bpf *b)
{
	int err = pping_bpf_share_maps(obj, b->tc->obj);

	return err ?: bpf_map__reuse_fd(data, bpf_map__fd(b->tc->maps.data));
}

int pping_bpf_open_xdp(struct pping_bpf *b)
{
	struct pping_xdp *x;
	int err;

	x = pping_xdp__open();
	if (!x) {
		err = -errno;
		pr_warn("cannot open the XDP program: %s\n", strerror(errno));
		return err;
	}
	b->xdp = x;
	x->rodata->config = b->config;
	x->data->runtime = b->tc->data->runtime;
	/* The object's one program for the configuration: the ingress hook
	 * live, both directions' test runs in a replay. */
	bpf_program__set_autoload(x->progs.pping_xdp_ingress, !b->config.replay);
	bpf_program__set_autoload(x->progs.pping_xdp_replay, b->config.replay);

	err = share_state(x->obj, x->maps.data, b);
	if (err)
		pr_warn("cannot share the maps with the XDP program: %s\n",
			strerror(-err));
	return err;
}

/*
 * Name the missing kernel feature up front, rather than leaving the user
 * with a verifier log or an errno from deep inside the load. Each check
 * tries the feature (never the kernel version: distributions backport,
 * and lockdown or an LSM refuses what a version would promise).
 */
static int check_kernel(void)
{
	int fd;

	/* The ring buffer probe says "unsupported" when the real answer is
	 * "not allowed": ask the simplest question first. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		pr_warn("not allowed to use BPF: run pping as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n");
		return -EPERM;
	}
	if (fd >= 0)
		close(fd);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		pr_warn("this kernel cannot create BPF ring buffers (Linux 5.8+), which pping reports events through\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * EACCES is also the verifier's answer to a program it cannot prove safe:
 * with the capabilities it needs, that is what it means, and telling a
 * root user to run as root would send them the wrong way.
 */
static void explain_load_error(int err)
{
	const char *vlog = log_get_level() < LOG_DEBUG ? ", -vv shows the verifier log" : "";
	bool privileged = privs_have(CAP_SYS_ADMIN) ||
			  (privs_have(CAP_BPF) && privs_have(CAP_PERFMON));

	if (err == -EPERM || (err == -EACCES && !privileged))
		pr_warn("not allowed to load BPF programs: run pping as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n");
	else if (err == -EACCES)
		pr_warn("the kernel's verifier refused the BPF programs (pping --probe tells what this kernel allows%s)\n",
			vlog);
	else
		pr_warn("cannot load the BPF programs into the kernel: %s (they need BPF atomic compare-and-exchange, Linux 5.12+; pping --probe tells what this kernel allows%s)\n",
			strerror(-err), vlog);
}

unsigned long long pping_map_memory(int fd)
{
	unsigned long long bytes = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

unsigned long long pping_bpf_map_memory(const struct pping_bpf *b, bool log)
{
	const struct bpf_map *m;
	unsigned long long total = 0, bytes;

	bpf_object__for_each_map(m, b->tc->obj) {
		if (bpf_map__is_internal(m))
			continue;
		bytes = pping_map_memory(bpf_map__fd(m));
		total += bytes;
		if (!log)
			continue;
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			pr_info("map %s: ring buffer, %.1f MiB\n",
				bpf_map__name(m), bytes / 1048576.0);
		else if (bpf_map__map_flags(m) & BPF_F_NO_PREALLOC)
			pr_info("map %s: up to %u entries, %.1f MiB now (entries allocated as they come)\n",
				bpf_map__name(m), bpf_map__max_entries(m),
				bytes / 1048576.0);
		else
			pr_info("map %s: %u entries, %.1f MiB (%llu bytes per entry)\n",
				bpf_map__name(m), bpf_map__max_entries(m),
				bytes / 1048576.0,
				bytes / (bpf_map__max_entries(m) ?: 1));
	}
	if (log)
		pr_info("maps take %.1f MiB of kernel memory\n", total / 1048576.0);
	return total;
}

/*
 * 16 bits per flow entry, at least 64 Ki, a power of two: with many more
 * distinct flows than entries the chance that an unsampled flow hashes
 * onto a set bit stays a few percent.
 */
__u64 pping_sampled_bits(__u32 max_flows)
{
	__u64 want = (__u64)max_flows * 16, bits = 65536;

	while (bits < want)
		bits <<= 1;
	return bits;
}

/* ifindex -> slot for the programs (iface.bpf.h), with several interfaces. */
static int fill_iface_slots(struct pping_tc *tc, const struct datapath_config *cfg)
{
	int fd = bpf_map__fd(tc->maps.iface_slots), i;
	__u32 key, slot;

	for (i = 0; cfg->n_ifaces > 1 && i < cfg->n_ifaces; i++) {
		key = cfg->ifindexes[i];
		slot = i;
		if (bpf_map_update_elem(fd, &key, &slot, 0)) {
			pr_warn("cannot set the slot of interface %u: %s\n", key,
				strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int add_filters(int fd, const struct local_net *nets, int n, __u8 list)
{
	struct filter_key k;
	int i;

	for (i = 0; i < n; i++) {
		k.prefixlen = nets[i].bits;
		memcpy(k.addr, nets[i].addr, sizeof(k.addr));
		if (bpf_map_update_elem(fd, &k, &list, 0))
			return -errno;
	}
	return 0;
}

/* --include, --exclude and --ports into the programs' maps. */
static int fill_filters(struct pping_tc *tc, const struct datapath_config *cfg)
{
	int fd = bpf_map__fd(tc->maps.filter_ports), err;
	__u32 w;

	err = add_filters(bpf_map__fd(tc->maps.filter_nets), cfg->includes,
			  cfg->n_includes, PPING_FILTER_INCLUDE);
	/* A prefix in both lists is an exclusion. */
	err = err ?: add_filters(bpf_map__fd(tc->maps.filter_nets), cfg->excludes,
				 cfg->n_excludes, PPING_FILTER_EXCLUDE);
	for (w = 0; !err && cfg->ports && w < PPING_PORT_WORDS; w++)
		if (cfg->ports[w] && bpf_map_update_elem(fd, &w, &cfg->ports[w], 0))
			err = -errno;
	if (err)
		pr_warn("cannot set the filters: %s\n", strerror(-err));
	return err;
}

/* The programs' load-time configuration, the same for every object. */
static void config_of(const struct datapath_config *cfg, struct pping_config *c)
{
	const struct pping_config defaults = PPING_CONFIG_DEFAULTS;

	*c = defaults;
	c->has_l2 = cfg->has_l2;
	c->include_local = cfg->include_local;
	c->replay = cfg->replay;
	c->test_clock = cfg->test_clock;
	c->tick_clock = !cfg->replay && !cfg->exact_clock;
	if (c->tick_clock)
		c->tick_bound_ns = pping_tick_bound_ns(cfg->tick_hz ?: kernel_hz());
	c->tcp_method = cfg->tcp_method;
	c->icmp = !cfg->no_icmp;
	c->ts_slots = !cfg->ts_map_only;
	c->multi_iface = cfg->n_ifaces > 1;
	c->filter_nets = (cfg->n_includes ? PPING_FILTER_INCLUDE : 0) |
			 (cfg->n_excludes ? PPING_FILTER_EXCLUDE : 0);
	c->filter_ports = cfg->ports != NULL;
	pping_subnet_config(c, cfg->max_subnets != 0, cfg->subnet_prefix_v4,
			    cfg->subnet_prefix_v6);
	c->agg_kernel = cfg->agg_kernel;
	c->qdelay_slot_ns = cfg->qdelay_window_ns / PPING_AGG_WINDOW_SLOTS ?: 1;
}

/* A map's flags as declared, with set added and clear taken away. */
static int change_map_flags(struct bpf_map *m, __u32 set, __u32 clear)
{
	return bpf_map__set_map_flags(m, (bpf_map__map_flags(m) | set) & ~clear);
}

static int size_maps(struct pping_tc *tc, const struct datapath_config *cfg)
{
	__u32 flows = cfg->max_flows ?: bpf_map__max_entries(tc->maps.flow_map);
	/* A zero seed fixes the order a map is walked in (replay.c); the
	 * preallocation switches are the benchmarks' (bench_flow_scale -p,
	 * -P). */
	__u32 seed = cfg->zero_hash_seed ? BPF_F_ZERO_SEED : 0;
	int err;

	err = change_map_flags(tc->maps.flow_map, seed |
			       (cfg->flows_no_prealloc ? BPF_F_NO_PREALLOC : 0), 0);
	err = err ?: change_map_flags(tc->maps.ts_map, seed,
				      cfg->ts_prealloc ? BPF_F_NO_PREALLOC : 0);
	if (!err && cfg->max_flows)
		err = bpf_map__set_max_entries(tc->maps.flow_map, cfg->max_flows);
	if (!err && cfg->max_timestamps)
		err = bpf_map__set_max_entries(tc->maps.ts_map, cfg->max_timestamps);
	if (!err && cfg->ringbuf_bytes)
		err = bpf_map__set_max_entries(tc->maps.events, cfg->ringbuf_bytes);
	if (!err)
		err = bpf_map__set_max_entries(tc->maps.sampled_flows,
					       pping_sampled_bits(flows) / 64);
	if (!err && cfg->n_ifaces > 1) {
		int i, top = 0;

		for (i = 0; i < cfg->n_ifaces; i++)
			if (cfg->ifindexes[i] > top)
				top = cfg->ifindexes[i];
		err = bpf_map__set_max_entries(tc->maps.counters, cfg->n_ifaces);
		err = err ?: bpf_map__set_max_entries(tc->maps.iface_slots, top + 1);
	}
	/* Without -a the map is never used: keep it at one entry. */
	if (!err)
		err = bpf_map__set_max_entries(tc->maps.subnet_map,
					       cfg->max_subnets ?: 1);
	/* In-kernel aggregation: each subnet's histograms of each method it
	 * sees, in two generations, and its window (aggregate.bpf.h says
	 * why twice the subnets). Allocated as used. */
	if (!err)
		err = bpf_map__set_max_entries(tc->maps.agg_hists, cfg->agg_kernel ?
					       cfg->max_subnets * PPING_METHOD_MAX * 2 : 1);
	if (!err)
		err = bpf_map__set_max_entries(tc->maps.agg_windows, cfg->agg_kernel ?
					       cfg->max_subnets * 2 : 1);
	if (!err)
		err = bpf_map__set_max_entries(tc->maps.agg_tracked, cfg->agg_kernel ?
					       cfg->max_subnets : 1);
	if (err) {
		pr_warn("cannot size the maps: %s\n", strerror(-err));
		return err;
	}
	tc->data->runtime.flow_limit = flows;
	tc->data->runtime.sampled_mask = pping_sampled_bits(flows) - 1;
	return 0;
}

/* pping_xdp_replay loaded on the tc object's maps, and one probe run of
 * it (replay_probe_xdp): its fd, or -errno. */
static int load_replay_xdp(struct pping_bpf *b)
{
	int err = pping_bpf_open_xdp(b), fd = -1;

	err = err ?: pping_xdp__load(b->xdp);
	if (!err) {
		fd = bpf_program__fd(b->xdp->progs.pping_xdp_replay);
		err = replay_probe_xdp(fd);
	}
	if (!err)
		return fd;
	pping_xdp__destroy(b->xdp);
	b->xdp = NULL;
	return err;
}

/* The tc programs of a replay whose XDP runs the kernel refused: a second
 * tc object, its maps those of the first (which loaded none). */
static int load_replay_tc(struct pping_bpf *b)
{
	struct pping_tc *t = pping_tc__open();
	int err;

	if (!t)
		return -errno;
	b->tc_runs = t;
	t->rodata->config = b->config;
	err = share_state(t->obj, t->maps.data, b);
	err = err ?: pping_tc__load(t);
	if (err)
		pr_warn("cannot load the tc programs for the replay: %s\n",
			strerror(-err));
	return err;
}

/* A replay: XDP test runs where the kernel takes them, else the tc
 * programs (its choice said by the replay). */
static int load_replay(struct pping_bpf *b, const struct datapath_config *cfg)
{
	int fd = cfg->refuse_replay_xdp ? -EPERM : load_replay_xdp(b);

	b->replay_xdp_fd = fd >= 0 ? fd : -1;
	if (fd >= 0)
		return 0;
	b->replay_xdp_err = fd;
	return load_replay_tc(b);
}

int pping_bpf_load(struct pping_bpf *b, const struct datapath_config *cfg)
{
	struct pping_tc *tc;
	int err;

	memset(b, 0, sizeof(*b));
	err = check_kernel();
	if (err)
		return err;
	tc = pping_tc__open();
	if (!tc) {
		err = -errno;
		pr_warn("cannot open the BPF programs: %s\n", strerror(errno));
		return err;
	}
	b->tc = tc;
	config_of(cfg, &b->config);
	tc->rodata->config = b->config;
	tc->data->runtime = cfg->sampling;
	err = size_maps(tc, cfg);
	if (err)
		return err;
	if (cfg->xdp_ingress)
		bpf_program__set_autoload(tc->progs.pping_tc_ingress, false);
	/* A replay by XDP test runs runs no tc program: the tc object then
	 * only makes the maps (load_replay). */
	b->replay_xdp_fd = -1;
	if (cfg->replay && cfg->replay_xdp) {
		bpf_program__set_autoload(tc->progs.pping_tc_egress, false);
		bpf_program__set_autoload(tc->progs.pping_tc_ingress, false);
	}

	err = pping_tc__load(tc);
	if (err) {
		explain_load_error(err);
		return err;
	}
	err = fill_iface_slots(tc, cfg);
	err = err ?: fill_filters(tc, cfg);
	if (err)
		return err;
	pping_bpf_map_memory(b, true);
	if (cfg->xdp_ingress)
		err = pping_bpf_open_xdp(b);
	else if (cfg->replay && cfg->replay_xdp)
		err = load_replay(b, cfg);
	return err;
}

void pping_bpf_destroy(struct pping_bpf *b)
{
	pping_tc__destroy(b->tc_runs);
	b->tc_runs = NULL;
	pping_xdp__destroy(b->xdp);
	pping_tc__destroy(b->tc);
	b->xdp = NULL;
	b->tc = NULL;
}
