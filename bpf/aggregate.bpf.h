/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel RTT aggregation (config.agg_kernel: -a, live). With -a nobody
 * reads RTT events one by one, so instead of a ring-buffer record per
 * sample the datapath adds the sample to its subnet's histograms of its
 * method: one of RTTs, one of queueing delays, in one entry. The daemon reads and deletes
 * them at each -a interval (and every second for --metrics), one
 * generation at a time (struct agg_key), and adds them to what the RTT
 * events would have built (user/aggregate.c). Off, the verifier prunes
 * all of it away.
 *
 * Histograms are shared by all CPUs and updated with atomic adds: the
 * cost is per sample, not per packet (samples are rate-limited per flow),
 * and per-CPU copies would take 8 KiB per CPU per subnet and method.
 */
#ifndef PPING_AGGREGATE_BPF_H
#define PPING_AGGREGATE_BPF_H

#include "config.bpf.h"
#include "maps.bpf.h"
#include "identifiers.bpf.h"
#include "subnets.bpf.h"

/* Entries are made as subnets send samples: no preallocation of the
 * default 1,536 entries (12 MiB) a run with few subnets never uses. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PPING_DEFAULT_MAX_SUBNETS * PPING_METHOD_MAX * 2);
	__type(key, struct agg_key);
	__type(value, struct agg_entry);
} agg_hists SEC(".maps");

/* An entry is too large for the stack: new ones start from this one,
 * never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct agg_entry);
} agg_zero SEC(".maps");

/* The subnets the daemon's table tracks (user/aggregate.c keeps it).
 * While that table is full, a sample of another subnet can only be
 * overflow: it makes no entry, so it cannot take the room of a tracked
 * subnet's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PPING_DEFAULT_MAX_SUBNETS);
	__type(key, struct subnet_key);
	__type(value, __u8);
} agg_tracked SEC(".maps");

/* A sample's key is built here, not on the stack: this function's stack
 * adds to its callers', and the chain must stay within 512 bytes on
 * kernels that round each frame up to 32 bytes (before 6.9). Per CPU: a
 * program is not interrupted by another on its CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct agg_key);
} agg_scratch SEC(".maps");

/* The queueing-delay window of each subnet, kept across generations.
 * Twice the subnets the daemon tracks: subnets beyond those make windows
 * too until the daemon's next read deletes them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PPING_DEFAULT_MAX_SUBNETS * 2);
	__type(key, struct subnet_key);
	__type(value, struct agg_window);
} agg_windows SEC(".maps");

/* The histogram bucket of v, as user/histogram.c's hist_bucket: the
 * position of the top bit by halving (BPF has no count-leading-zeros). */
static __always_inline __u32 agg_bucket(__u64 v)
{
	__u64 x;
	__u32 e = 0, shift;

	if (v >= (1ULL << PPING_HIST_MAX_BITS))
		v = (1ULL << PPING_HIST_MAX_BITS) - 1;
	x = v | (1ULL << PPING_HIST_SUB_BITS);
	if (x >> 32) { e += 32; x >>= 32; }
	if (x >> 16) { e += 16; x >>= 16; }
	if (x >> 8) { e += 8; x >>= 8; }
	if (x >> 4) { e += 4; x >>= 4; }
	if (x >> 2) { e += 2; x >>= 2; }
	if (x >> 1)
		e += 1;
	shift = e - PPING_HIST_SUB_BITS;
	return ((shift << PPING_HIST_SUB_BITS) + (__u32)(v >> shift)) &
	       (PPING_HIST_BUCKETS - 1);
}

/* *p = min(*p, v), where 0 is "no value yet"; gives up after CLAIM_TRIES
 * lost races (each one another CPU's smaller or first value). */
static __always_inline void agg_store_min(__u64 *p, __u64 v)
{
	__u64 old = *(volatile __u64 *)p;
	int i;

	for (i = 0; i < CLAIM_TRIES && (!old || v < old); i++) {
		__u64 seen = __sync_val_compare_and_swap(p, old, v);

		if (seen == old)
			break;
		old = seen;
	}
}

static __always_inline void agg_store_max(__u64 *p, __u64 v)
{
	__u64 old = *(volatile __u64 *)p;
	int i;

	for (i = 0; i < CLAIM_TRIES && v > old; i++) {
		__u64 seen = __sync_val_compare_and_swap(p, old, v);

		if (seen == old)
			break;
		old = seen;
	}
}

/* The entry of key, made at the subnet's first sample of its method in
 * this generation; NULL if the map is full. */
static __always_inline struct agg_entry *agg_entry_of(const struct agg_key *key)
{
	struct agg_entry *h = bpf_map_lookup_elem(&agg_hists, key);
	__u32 zero = 0;
	void *z;

	if (h)
		return h;
	z = bpf_map_lookup_elem(&agg_zero, &zero);
	if (!z)
		return NULL;
	/* Another CPU may make it first (EEXIST): the lookup finds its. */
	bpf_map_update_elem(&agg_hists, key, z, BPF_NOEXIST);
	return bpf_map_lookup_elem(&agg_hists, key);
}

/* Two atomic adds; min and max only change, by compare-and-swap, when the
 * sample is a new extreme, which after the first few is rare. Global, so
 * the verifier checks its loops once, not at each of its two calls. */
__noinline int agg_hist_add(struct agg_hist *h, __u64 v)
{
	if (!h)
		return 0;
	agg_store_min(&h->min, v ?: 1);
	agg_store_max(&h->max, v);
	__sync_fetch_and_add(&h->bucket[agg_bucket(v)], 1);
	__sync_fetch_and_add(&h->sum, v);
	return 0;
}

/*
 * Add rtt to the subnet's window and set *min to the window's minimum,
 * this sample included, as user/aggregate.c's window_add and
 * aggregate_window_min do: slots of config.qdelay_slot_ns, the minimum of
 * the last PPING_AGG_WINDOW_SLOTS of them. False if the subnet has no
 * window (the map full).
 */
static __always_inline bool agg_window_min(const struct subnet_key *sk,
					   __u64 rtt, __u64 now, __u64 *min)
{
	struct agg_window *w = bpf_map_lookup_elem(&agg_windows, sk);
	__u64 id, tag, packed;
	__u32 i, at, zero = 0;
	void *empty;

	if (!w) {
		/* Zeros from the entry template: the stack of this function
		 * adds to its caller's, within 512 bytes in all. */
		empty = bpf_map_lookup_elem(&agg_zero, &zero);
		if (!empty)
			return false;
		bpf_map_update_elem(&agg_windows, sk, empty, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&agg_windows, sk);
		if (!w)
			return false;
	}
	id = now / config.qdelay_slot_ns;
	tag = id & PPING_AGG_SLOT_ID_MASK;
	if (rtt > PPING_AGG_SLOT_RTT_MASK)
		rtt = PPING_AGG_SLOT_RTT_MASK;
	packed = tag << PPING_AGG_SLOT_RTT_BITS | (rtt ?: 1);
	at = id % PPING_AGG_WINDOW_SLOTS;
	/* The compiler knows at < SLOTS and drops the check; the verifier
	 * does not know it from the division, and needs it. */
	asm volatile("" : "+r"(at));
	if (at < PPING_AGG_WINDOW_SLOTS) {
		__u64 *slot = &w->slot[at];
		__u64 old = *(volatile __u64 *)slot;

		/* A slot of an older number starts again; one of this
		 * number keeps the smaller RTT. */
		for (i = 0; i < CLAIM_TRIES; i++) {
			__u64 seen;

			if (old && old >> PPING_AGG_SLOT_RTT_BITS == tag &&
			    (old & PPING_AGG_SLOT_RTT_MASK) <= (rtt ?: 1))
				break;
			seen = __sync_val_compare_and_swap(slot, old, packed);
			if (seen == old)
				break;
			old = seen;
		}
	}
	/* The sample itself, if every try to store it lost a race. */
	*min = rtt ?: 1;
	for (i = 0; i < PPING_AGG_WINDOW_SLOTS; i++) {
		__u64 v = w->slot[i], m = v & PPING_AGG_SLOT_RTT_MASK;

		/* A slot of a later number (another CPU's clock a little
		 * ahead) or of one older than the window does not count. */
		if (!v || ((tag - (v >> PPING_AGG_SLOT_RTT_BITS)) &
			   PPING_AGG_SLOT_ID_MASK) >= PPING_AGG_WINDOW_SLOTS)
			continue;
		if (m < *min)
			*min = m;
	}
	return true;
}

/*
 * One reported sample of direction dir's identifiers (dir_method: dir <<
 * 8 | method, as BPF calls take five arguments): into the histograms of
 * the subnet of the end that replied (the remote one for the usual
 * sample, the local one with -l), as user/aggregate.c's aggregate_rtt does
 * with an RTT event. A global function, not inlined: the matchers report
 * samples from four places, and the per-packet path should not carry four
 * copies of code that runs once per sample; and global, the verifier
 * checks it once on its own instead of once per state it is called in
 * (with -a in the kernel that was two thirds of what it did for a
 * program).
 */
__noinline int agg_sample(const struct flow_key *fk, __u64 rtt, __u64 now,
			  __u32 dir_method, struct pping_counters *cnt)
{
	__u8 dir = dir_method >> 8, method = dir_method & 0xff;
	__u32 gen = *(volatile __u32 *)&runtime.agg_gen, zero = 0;
	struct agg_entry *h;
	struct agg_key *key;
	const __u8 *addr;
	__u64 min;
	bool windowed;

	if (!fk || !cnt)
		return 0;
	addr = dir == PPING_DIR_OUT ? fk->remote_addr : fk->local_addr;
	key = bpf_map_lookup_elem(&agg_scratch, &zero);
	if (!key)
		return 0;
	subnet_key_of(&key->subnet, addr, fk->ipv, fk->iface);
	key->method = 0;
	key->gen = gen & 1;
	__builtin_memset(key->pad, 0, sizeof(key->pad));
	if (*(volatile __u8 *)&runtime.agg_table_full &&
	    !bpf_map_lookup_elem(&agg_tracked, &key->subnet)) {
		cnt->agg_untracked++;
		return 0;
	}

	/* Without a window (the window map full) the sample is its own
	 * minimum, as a subnet's first sample is. Either map full is
	 * counted, the histograms' once per sample as overflow. */
	windowed = agg_window_min(&key->subnet, rtt, now, &min);
	if (!windowed)
		min = rtt;
	key->method = method < PPING_METHOD_MAX ? method : PPING_METHOD_TS;
	h = agg_entry_of(key);
	if (!h) {
		cnt->agg_full++;
		return 0;
	}
	if (!windowed)
		cnt->agg_no_window++;
	agg_hist_add(&h->rtt, rtt);
	agg_hist_add(&h->qdelay, rtt >= min ? rtt - min : 0);
	/* The daemon turned the generation while this sample was added
	 * (it waits a millisecond before reading, far longer than a program
	 * runs, so this is rare): if it read and deleted the histogram
	 * first, the sample is lost; if not, the read after next takes it.
	 * Counted either way; the whole number is compared, so two turns
	 * are seen too. */
	if (*(volatile __u32 *)&runtime.agg_gen != gen)
		cnt->agg_late++;
	return 0;
}

#endif /* PPING_AGGREGATE_BPF_H */
