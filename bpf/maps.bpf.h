/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps shared by every pping program. Both BPF objects (tc and XDP) declare
 * them; the daemon creates them once with the tc object and hands the same
 * fds to the XDP object before it loads, so all hooks see one state.
 */
#ifndef PPING_MAPS_BPF_H
#define PPING_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/errno.h>
#include "pping.h"

/* Sizes here are the defaults of pping.h; the daemon may resize before
 * loading. */
#define PPING_DEFAULT_SAMPLED_WORDS   32768   /* 2 Mi bits: 16 per flow */

/* Per-connection state, global (not per-CPU): egress and ingress of one
 * flow may run on different CPUs and must see the same entry. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PPING_DEFAULT_MAX_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct flow_state);
} flow_map SEC(".maps");

/*
 * The value a new flow entry starts from: zero but for the two fields the
 * inserting program sets, which are the only ones ever written here. A
 * flow entry is too large for the stack of the program creating it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_state);
} flow_template SEC(".maps");

/*
 * Outstanding identifiers that do not fit their flow's slots (a flow
 * direction with more outstanding than PPING_ID_SLOTS: long RTTs, a short
 * rate limit), and ICMP echoes: when each left. Unlike the flow map, not
 * preallocated: every flow takes a flow entry, but few identifiers come
 * here, so 16 MiB reserved at start would mostly stay unused;
 * --max-timestamps still bounds the entries. An identifier that comes
 * here pays for its allocation (bench_flow_scale -m against -m -P).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PPING_DEFAULT_MAX_TIMESTAMPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ts_key);
	__type(value, struct ts_value);
} ts_map SEC(".maps");

/*
 * Entries in flow_map, kept exact by atomic adds: +1 by the insert that
 * succeeds, -1 by the delete that succeeds. The datapath reads it to judge
 * admission without walking the map; flows are created and deleted far
 * less often than packets pass, so the shared counter stays cool.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);   /* batched cleanup adds from userspace */
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} flow_count SEC(".maps");

/*
 * One bit per flow hash: set when cleanup evicts a flow that already had an
 * RTT reported during this epoch, so that under pressure it does not take a
 * free entry ahead of a flow that has none. The daemon clears it (mmapped)
 * to start a new epoch.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, PPING_DEFAULT_SAMPLED_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} sampled_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PPING_DEFAULT_RINGBUF_BYTES);
} events SEC(".maps");

/* Per-CPU counters, one slot per monitored interface. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pping_counters);
} counters SEC(".maps");

/* --include / --exclude prefixes (pping.h, struct filter_key). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PPING_MAX_FILTERS);
	__type(key, struct filter_key);
	__type(value, __u8);
} filter_nets SEC(".maps");

/* --ports: bit p of word p / 64 set for each port to measure. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PPING_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} filter_ports SEC(".maps");

/*
 * ifindex -> interface slot, with more than one interface (the daemon
 * sizes it to the highest monitored ifindex + 1). An array: the verifier
 * inlines its lookup into a bounds check and an address.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} iface_slots SEC(".maps");

#endif /* PPING_MAPS_BPF_H */
