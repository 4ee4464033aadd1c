/* SPDX-License-Identifier: GPL-2.0 */
/* Opening, configuring and loading the BPF objects. */
#ifndef PPING_LOADER_H
#define PPING_LOADER_H

#include <stdbool.h>
#include <linux/types.h>

#include "pping.h"   /* types the skeletons refer to */
#include "capture.h"  /* struct local_net */

struct pping_tc;
struct pping_xdp;

struct datapath_config {
	bool has_l2;          /* interface frames start with an Ethernet header */
	bool include_local;
	bool xdp_ingress;     /* ingress through XDP instead of tc */
	bool replay;          /* --read: packets come by test run, time with them */
	bool zero_hash_seed;  /* fixed walk order of the hash maps (replay) */
	bool flows_no_prealloc;   /* the flow map allocates entries as flows come
				   * (BPF_F_NO_PREALLOC): measured by
				   * bench_flow_scale -p, not the daemon's choice */
	bool ts_prealloc;     /* the identifier map preallocated instead of
			       * allocating entries as they come:
			       * bench_flow_scale -P */
	bool test_clock;      /* unit tests: time from the test run */
	bool exact_clock;     /* read the clock for every packet, not by the
			       * tick (clock.bpf.h): the unit tests unless
			       * they test the tick clock; benchmarks */
	unsigned int tick_hz; /* the tick clock's HZ; 0: the kernel's (tests
			       * inject their own ticks) */
	__u8 tcp_method;      /* --method: enum pping_tcp_method */
	bool no_icmp;         /* --no-icmp */
	bool ts_map_only;     /* tests: every TSval identifier in ts_map, none in
			       * the flow's slots (the map's own rules tested) */
	__u32 max_flows;      /* flow map entries; 0: the default */
	__u32 max_timestamps; /* identifier map entries; 0: the default */
	__u32 ringbuf_bytes;  /* event ring buffer size; 0: the default */
	/* Filters (filter.bpf.h): prefixes as IPv4-mapped addresses and bits */
	const struct local_net *includes, *excludes;
	int n_includes, n_excludes;
	const __u64 *ports;   /* PPING_PORT_WORDS words, or NULL: every port */
	int n_ifaces;         /* interfaces monitored; 0 or 1: one (slot 0) */
	int ifindexes[PPING_MAX_IFACES];   /* their ifindex, in slot order */
	struct pping_runtime sampling;   /* from PPING_RUNTIME_DEFAULTS */
	__u32 max_subnets;    /* subnet map entries for -a; 0: no per-subnet traffic */
	__u8 subnet_prefix_v4;
	__u8 subnet_prefix_v6;
	bool agg_kernel;      /* -a: RTTs into the datapath's histograms, no
			       * RTT events (bpf/aggregate.bpf.h) */
	bool replay_xdp;      /* a replay by XDP test runs (pping_xdp_replay)
			       * where the kernel takes them: see
			       * pping_bpf.replay_xdp_fd */
	bool refuse_replay_xdp;   /* tests: take XDP test runs as refused, so
				   * the tc fallback runs */
	__u64 qdelay_window_ns;   /* agg_kernel: --qdelay-window */
};

struct pping_bpf {
	struct pping_tc *tc;      /* egress, ingress unless XDP; owns the maps */
	struct pping_xdp *xdp;    /* XDP ingress: opened here, loaded by libxdp */
	struct pping_config config;   /* every object's rodata */
	/*
	 * A replay with datapath_config.replay_xdp: pping_xdp_replay's fd if
	 * an XDP test run with metadata worked (the tc object then loads no
	 * program, only the maps), else -1, with the refusal in
	 * replay_xdp_err and the tc programs in tc_runs, a second tc object
	 * on the same maps. Without replay_xdp the tc programs are tc's.
	 */
	int replay_xdp_fd;
	int replay_xdp_err;
	struct pping_tc *tc_runs;
};

/*
 * open -> set config -> load. The tc object is loaded here; the XDP object
 * is only configured and given the tc object's maps, because libxdp must
 * load it itself when it attaches it to its dispatcher.
 */
int pping_bpf_load(struct pping_bpf *b, const struct datapath_config *cfg);

/*
 * Open the XDP object of a loaded datapath, configured as the tc object
 * (b->config) and given its maps, not loaded. pping_bpf_load does this for
 * cfg->xdp_ingress; the unit tests call it to load XDP beside a tc object
 * with both tc programs.
 */
int pping_bpf_open_xdp(struct pping_bpf *b);
void pping_bpf_destroy(struct pping_bpf *b);

struct bpf_object;

/*
 * Give every map of dst the fd of the map of the same name in src, so a
 * second object works on the same state. Internal maps (.data, .bss,
 * .rodata) are each object's own and are left alone.
 */
int pping_bpf_share_maps(struct bpf_object *dst, const struct bpf_object *src);

/* Kernel memory charged for a map, from its fdinfo (what bpftool shows
 * as memlock): a map allocating entries as they come is charged for those
 * it holds, where the kernel reports it (Linux 6.4+). 0 if unknown. */
unsigned long long pping_map_memory(int fd);

/* Kernel memory of the shared maps in bytes; logged per map at -v if log. */
unsigned long long pping_bpf_map_memory(const struct pping_bpf *b, bool log);

/* Bits in the sampled-flows bitmap for a flow map of max_flows entries. */
__u64 pping_sampled_bits(__u32 max_flows);

#endif /* PPING_LOADER_H */
