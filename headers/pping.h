/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and the daemon. Everything that crosses the
 * kernel/user boundary is built from fixed-width types with explicit padding,
 * so both compilers agree on the layout.
 */
#ifndef PPING_H
#define PPING_H

#include <linux/types.h>

/* VLAN tags looked through to the IP header (802.1Q, and 802.1ad outside
 * it): by the datapath and by the capture reader of --read alike. */
#define PPING_MAX_VLAN_TAGS 2

/*
 * The largest original length a BPF_PROG_TEST_RUN context's wire_len may
 * carry (the kernel's GSO_LEGACY_MAX_SIZE). A replayed packet longer than
 * that (a BIG TCP super-packet in a capture) passes its length in
 * __sk_buff.cb[0] instead.
 */
#define PPING_TEST_RUN_WIRE_LEN_MAX 65536

/*
 * A replay by XDP test runs (pping_xdp_replay): what tc takes from the
 * __sk_buff of its test runs travels in the packet's metadata, in front of
 * the frame. 24 bytes: XDP metadata is a multiple of 4, at most 32.
 */
struct pping_replay_meta {
	__u64 time_ns;        /* the packet's capture time (its `now`) */
	__u32 len;            /* its original length */
	__u32 seq;            /* its place in its batch, for its events */
	__u8 dir;             /* enum pping_dir, or PPING_REPLAY_PROBE */
	__u8 pad[7];
};

/* pping_replay_meta.dir of a run that only asks whether XDP test runs with
 * metadata work here: the program returns at once, touching nothing. */
#define PPING_REPLAY_PROBE 0xff

/*
 * Directions of a connection, seen from the monitored interface. "Out" is a
 * packet leaving through the interface (tc egress), "in" one arriving
 * (ingress). The side that sends "out" packets is called local below, even on
 * a router where it is not this host.
 */
enum pping_dir {
	PPING_DIR_OUT = 0,
	PPING_DIR_IN = 1,
	PPING_DIR_MAX = 2,
};

/*
 * Interfaces one daemon monitors at most. Each has a slot (0..N-1), part of
 * the identity of its flows (a flow forwarded through two monitored
 * interfaces is two flows, one per leg) and the index of its counters.
 */
#define PPING_MAX_IFACES 64

/* Counter slots: which hook saw a packet. */
enum pping_hook {
	PPING_HOOK_EGRESS = 0,
	PPING_HOOK_INGRESS = 1,
	PPING_HOOK_MAX = 2,
};

/*
 * One TCP connection, oriented by the interface rather than sorted, so no
 * per-packet comparison is needed to build it: egress packets fill it from
 * (src, dst), ingress packets from (dst, src). IPv4 addresses are stored
 * IPv4-mapped (::ffff:a.b.c.d) so one key type serves both families.
 */
struct flow_key {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__be16 local_port;
	__be16 remote_port;
	__u8 ipv;      /* 4 or 6 */
	__u8 proto;    /* IPPROTO_TCP */
	__u8 iface;    /* slot of the interface it was seen on */
	__u8 pad;
} __attribute__((aligned(8)));   /* hashed as five 64-bit words */

/* Key of an outstanding identifier: a TSval sent in one direction of a flow. */
struct ts_key {
	struct flow_key flow;
	__u32 tsval;
	__u8 dir;      /* enum pping_dir of the timestamped packet */
	__u8 pad[3];
};

/*
 * Packed "last identifier" words: bit 32 says the low 32 bits hold a value, so
 * an unset word (0) is distinguishable from TSval 0 and the pair can be
 * claimed with one 64-bit compare-and-exchange.
 */
#define PPING_TS_VALID (1ULL << 32)

/*
 * Sampling slot word of a flow direction: the start of the current burst in
 * ns with the low 8 bits replaced by the number of identifiers created in
 * it, so start and count are claimed together by one compare-and-exchange.
 * The 256 ns lost from the start time are far below any rate limit.
 */
#define PPING_SLOT_COUNT_BITS 8
#define PPING_SLOT_COUNT_MASK ((1ULL << PPING_SLOT_COUNT_BITS) - 1)
#define PPING_BURST_MAX       PPING_SLOT_COUNT_MASK

/*
 * The tick clock's bound (bpf/clock.bpf.h): the jiffies counter may lag
 * the time by the tick it is in, and by the ticks the kernel lets it stall
 * before another CPU takes over its update (MAX_STALLED_JIFFIES, 5: the
 * timekeeping CPU held by stop_machine or by its hypervisor). Without the
 * kernel's HZ, the lowest there is, 100.
 */
#define PPING_TICK_STALLED 5
#define PPING_HZ_MIN 100

static inline __u64 pping_tick_bound_ns(unsigned int hz)
{
	return (PPING_TICK_STALLED + 1) * 1000000000ULL / (hz ? hz : PPING_HZ_MIN);
}

/* RTTs kept per flow are u32 ns and saturate here (4.29 s). */
#define PPING_RTT_SAT 0xffffffffU

/*
 * How an RTT sample was measured: a TCP timestamp echoed (TSval/TSecr), a
 * TCP data range acknowledged (SEQ/ACK, for flows without timestamps), or
 * an ICMP echo answered.
 */
enum pping_method {
	PPING_METHOD_TS = 0,
	PPING_METHOD_SEQ = 1,
	PPING_METHOD_ICMP = 2,
	PPING_METHOD_MAX = 3,
};

/* --method: which TCP method a flow uses (pping_config.tcp_method). */
enum pping_tcp_method {
	PPING_TCP_AUTO = 0,   /* timestamps while both directions carry them */
	PPING_TCP_TS = 1,     /* timestamps only: flows without them unmeasured */
	PPING_TCP_SEQ = 2,    /* SEQ/ACK for every flow */
};

/*
 * Identifiers outstanding per flow direction, kept in the flow entry
 * itself, by both methods. SEQ/ACK must: the reply is a cumulative ACK,
 * which covers an identifier without naming it, so identifiers are found
 * by range, not by key. Timestamps gain by it: a reply that matches, one
 * that misses and a new identifier each touch only the flow entry (one
 * lookup), where a separate map costs a second lookup and a delete. The
 * rate limit leaves one outstanding on most flows; a second serves bursts
 * and paths whose RTT exceeds the interval. A new timestamp identifier
 * that finds both taken goes to the identifier map (ts_map; counted as
 * ts_in_map), a SEQ/ACK one is counted (seq_no_slot): never silently lost.
 */
#define PPING_ID_SLOTS 2

/* id_slot.sent while its writer fills it in: matchers pass it over. */
#define PPING_ID_SLOT_BUSY 1

/* id_slot.tag_ago: the identifier is a TSval (else a SEQ/ACK range end). */
#define PPING_ID_SLOT_TS (1U << 31)
#define PPING_ID_SLOT_AGO_MASK (PPING_ID_SLOT_TS - 1)

struct id_slot {
	__u64 sent;           /* ns, when the identifier left; 0: free */
	__u32 id;             /* the TSval, or the sequence number just past the range */
	__u32 tag_ago;        /* PPING_ID_SLOT_TS | sent - start of its burst, ns,
			       * 31-bit signed (bursts last at most 1 s) */
};

/* The start of the burst a slot's identifier, sent at sent, belongs to
 * (the datapath's matchers and the unit tests read it alike). */
static inline __attribute__((always_inline))
__u64 pping_id_slot_burst(__u64 sent, __u32 tag_ago)
{
	__s32 ago = (__s32)(tag_ago << 1) >> 1;   /* sign-extend 31 bits */

	return sent - (__s64)ago;
}

/*
 * State of one direction of a flow: what sampling needs for the
 * identifiers this direction sends, and what matching keeps about them.
 * See SAMPLING_DESIGN.md for why each field is here.
 *
 * The first five fields are written by almost every packet of the
 * direction, and only by the hook that sees those packets (egress for
 * PPING_DIR_OUT, ingress for PPING_DIR_IN), usually on one CPU. The rest
 * is written only when an identifier is taken or matched, and the other
 * hook reads it on every reply (ids[], id_first, id_last). The 80 bytes of
 * that part separate dir[0]'s per-packet fields from dir[1]'s, so however
 * the map places an entry against cache lines (its value starts 88 bytes
 * into the element), the two hooks' per-packet stores never share a line:
 * a hook reading the identifiers does not pull the line the other hook
 * stores packet counts to on every packet.
 */
struct flow_dir_state {
	/* written per packet of this direction, by its hook: */
	__u64 pkts;           /* packets sent in this direction (GSO segments counted) */
	__u64 bytes;          /* bytes sent in this direction, frame length at the hook */
	__u64 snd_max;        /* end of the highest range sent | PPING_TS_VALID */
	__u64 last_tsval;     /* newest TSval of an eligible packet | PPING_TS_VALID */
	__u64 ack_sent;       /* highest cumulative ACK this direction carried
			       * (of the other direction's data) | PPING_TS_VALID */
	/* written per identifier: */
	__u64 slot;           /* sampling slot: burst start | identifiers in it */
	__u64 reported_burst; /* start of the newest burst whose first match was printed */
	__u32 last_tsecr;     /* newest echo of this direction's TSvals looked up; 0: none */
	__u32 min_rtt;        /* ns, of samples of this direction's identifiers */
	__u32 srtt;           /* ns, smoothed as TCP does: 7/8 old + 1/8 new */
	__u32 last_rtt;       /* ns, the latest sample */
	__u32 id_first;       /* TSvals of the oldest and newest identifiers that */
	__u32 id_last;        /* may be outstanding in ts_map; id_last 0: none yet */
	__u32 retrans;        /* segments resending data at or below snd_max */
	__u32 reordered;      /* segments starting beyond snd_max (a gap ahead) */
	struct id_slot ids[PPING_ID_SLOTS];     /* identifiers of either method */
};

/* Bits of flow_state.flags */
#define PPING_FLOW_FIN_OUT   (1U << 0)
#define PPING_FLOW_FIN_IN    (1U << 1)
#define PPING_FLOW_RST       (1U << 2)
#define PPING_FLOW_CLOSING   (1U << 3)   /* closing event sent */
#define PPING_FLOW_NO_TS     (1U << 4)   /* a packet without timestamps seen */

/* Value of the flow map: both directions of one connection (264 bytes). */
struct flow_state {
	struct flow_dir_state dir[PPING_DIR_MAX];
	__u64 last_seen;      /* ns, monotonic */
	__u32 flags;          /* PPING_FLOW_* */
	__u32 opened;         /* when the entry was created, in PPING_OPENED_SHIFT units */
	/* -a coverage: the last aggregation interval (pping_runtime
	 * .agg_interval) in which the flow was counted as seen, and as
	 * sampled; 0: never */
	__u32 agg_seen;
	__u32 agg_sampled;
};

/*
 * flow_state.opened keeps only bits 20..51 of the monotonic clock (units of
 * 1.05 ms): cleanup needs the age of young flows to a few ms, and the
 * wrap after 52 days is harmless because ages are taken modulo 2^32.
 */
#define PPING_OPENED_SHIFT 20

/* Value of the identifier map. */
struct ts_value {
	__u64 sent;           /* ns, monotonic, when the identifier left */
	__u64 burst;          /* start of the burst it was created in (its id) */
};

/*
 * An identifier this old is stale: no reply will come for it, and a TSval
 * clock that has wrapped around to its value must not be matched with it
 * (that would report an RTT of the wrap period). Far above any real RTT.
 */
#define PPING_TS_STALE_NS (60ULL * 1000000000ULL)

enum pping_event_type {
	PPING_EVENT_RTT = 1,
	PPING_EVENT_FLOW = 2,
};

enum pping_flow_event {
	PPING_FLOW_OPENING = 1,
	PPING_FLOW_CLOSING_EV = 2,
};

enum pping_flow_reason {
	PPING_REASON_SYN = 1,
	PPING_REASON_SYN_ACK = 2,
	PPING_REASON_FIRST_PACKET = 3,
	PPING_REASON_FIN = 4,
	PPING_REASON_RST = 5,
	/* closings by cleanup (PPING_EV_BY_CLEANUP), of flows that ended
	 * without a FIN or RST this side saw */
	PPING_REASON_IDLE = 6,
	PPING_REASON_UNANSWERED = 7,
	PPING_REASON_EVICTED = 8,
};

/* Bits of pping_event.flags */
#define PPING_EV_MATCH_ON_EGRESS (1U << 0)
#define PPING_EV_BY_CLEANUP      (1U << 1)   /* a closing no packet triggered */

/*
 * One ring buffer record. For an RTT event, dir is the direction whose
 * packets were timestamped (the reply came back the other way); for a flow
 * event, the direction of the packet that triggered it.
 */
struct pping_event {
	__u8 type;            /* enum pping_event_type */
	__u8 flow_event;      /* enum pping_flow_event */
	__u8 reason;          /* enum pping_flow_reason */
	__u8 dir;             /* enum pping_dir */
	__u16 flags;          /* PPING_EV_* */
	__u8 method;          /* RTT event: enum pping_method */
	__u8 pad;
	__u64 time_ns;        /* monotonic clock of the packet that caused it */
	__u64 rtt;            /* ns */
	__u64 min_rtt;        /* ns */
	__u64 srtt;           /* ns */
	__u64 pkts[PPING_DIR_MAX];
	__u64 bytes[PPING_DIR_MAX];
	/* Closing events: each direction's segments retransmitted and out
	 * of order (flow_dir_state.retrans, .reordered); 0 otherwise. */
	__u32 retrans[PPING_DIR_MAX];
	__u32 reordered[PPING_DIR_MAX];
	struct flow_key flow;
	/* A replay: 1 + the place of the packet that caused it in its batch
	 * (events of several threads are put back in packet order by it);
	 * 0 live, and for events of cleanup. */
	__u32 pkt_seq;
	__u32 pad2;
};

/*
 * What a flow event reports of its flow: the local side's RTTs, both
 * directions' packets and bytes, and the loss signal. The datapath's
 * closing events and cleanup's (every mechanism) use this one fill.
 */
static inline __attribute__((always_inline))
void pping_event_fill_flow(struct pping_event *e, const struct flow_state *fs)
{
	int d;

	e->min_rtt = fs->dir[PPING_DIR_OUT].min_rtt;
	e->srtt = fs->dir[PPING_DIR_OUT].srtt;
	for (d = 0; d < PPING_DIR_MAX; d++) {
		e->pkts[d] = fs->dir[d].pkts;
		e->bytes[d] = fs->dir[d].bytes;
		e->retrans[d] = fs->dir[d].retrans;
		e->reordered[d] = fs->dir[d].reordered;
	}
}

/* Per-CPU counters, one slot of the counters map; summed by the daemon. */
struct pping_counters {
	__u64 pkts[PPING_HOOK_MAX];       /* every packet a program ran on */
	__u64 tcp[PPING_HOOK_MAX];        /* well-formed TCP segments */
	__u64 tcp_no_ts[PPING_HOOK_MAX];  /* TCP without a valid timestamp option */
	__u64 ts_created;                 /* identifiers created (TSvals, ICMP echoes) */
	__u64 ts_in_map;                  /* ... stored in ts_map: TSvals finding
					   * both flow slots taken, and ICMP */
	__u64 ts_deleted;                 /* ts_map entries deleted by a match */
	__u64 ts_passed;                  /* TSvals dropped from flow slots unanswered:
					   * a newer echo came first */
	__u64 ts_exists;                  /* identifier already stored */
	__u64 ts_stale;                   /* stale identifiers replaced or refused, and
					   * those taken by an echo whose CPU read an
					   * earlier clock than their send time */
	__u64 ts_map_full;                /* identifier insert failed: map full, or
					   * no memory for an entry (ts_map allocates
					   * them as they come) */
	__u64 flow_map_full;              /* flow insert failed (or would have: map full) */
	__u64 flows_deferred;             /* new flow refused: sampled this epoch, map busy */
	__u64 rate_limited;               /* new identifier skipped by the rate limit */
	__u64 claims_lost;                /* another CPU claimed the same slot first */
	__u64 rtt_samples;                /* matches whose delete this program won */
	__u64 rtt_unreported;             /* ... not printed: their burst already was */
	__u64 flows_opened;
	__u64 flows_closed;
	__u64 events_lost;                /* ring buffer reservations that failed */
	__u64 subnet_full;                /* TCP packets not counted per subnet: map full */
	__u64 excluded;                   /* TCP packets the filters left out */
	__u64 seq_created;                /* SEQ/ACK identifiers stored in a flow */
	__u64 seq_no_slot;                /* ... not stored: both slots taken */
	__u64 seq_invalidated;            /* ... dropped by a retransmission (Karn) */
	__u64 samples[PPING_METHOD_MAX];  /* RTT samples per enum pping_method */
	__u64 retrans;                    /* TCP segments resending sent data */
	__u64 reordered;                  /* TCP segments beyond the highest sent */
	__u64 icmp_echo[PPING_HOOK_MAX];  /* ICMP echo requests and replies */
	__u64 agg_full;                   /* config.agg_kernel: samples not added, the
					   * histogram map full (overflow in -a records) */
	__u64 agg_no_window;              /* ... added as their own minimum: the
					   * window map full */
	__u64 agg_untracked;              /* ... not added: a subnet the daemon's full
					   * table does not track (overflow in -a records) */
	__u64 agg_late;                   /* ... added while the daemon turned the
					   * generation: lost, or read a read later */
	__u64 clock_reads;                /* tick clock: packets that read the exact
					   * clock (the others were timed by their tick) */
	__u64 tick_overrun;               /* ... that found it tick_bound_ns or more
					   * past their tick's time (a stalled jiffy) */
	/* Not counters, and left out of the sums (counters.c): this CPU's
	 * tick clock (clock.bpf.h), the tick it last saw and the exact time
	 * it read in that tick; and a unit test's injected time. */
	__u64 tick;
	__u64 tick_ns;
	__u64 test_now;
};

/*
 * Aggregation (-a): TCP traffic per subnet of the remote end, counted per
 * packet by the datapath (the only place that sees every packet). RTT
 * statistics per subnet: live, the datapath adds each sample to its
 * subnet's histograms (struct agg_hist) instead of sending an event,
 * since with -a nobody reads events one by one; a replay builds them from
 * its events, in packet order, so any number of threads gives the same
 * records.
 */
struct subnet_key {
	__u8 addr[16];        /* the remote address masked to its prefix, IPv4-mapped */
	__u8 ipv;             /* 4 or 6 */
	__u8 iface;           /* slot of the interface */
	__u8 pad[6];
} __attribute__((aligned(8)));

/* Per-CPU value of the subnet map, indexed by enum pping_dir: OUT is
 * traffic sent towards the subnet, IN traffic received from it; retrans
 * the TCP segments of it that resent data. */
struct subnet_traffic {
	__u64 pkts[PPING_DIR_MAX];
	__u64 bytes[PPING_DIR_MAX];
	__u64 retrans[PPING_DIR_MAX];
	/* Coverage: TCP flows counted once per aggregation interval when
	 * they send a packet, and when they give an RTT sample. */
	__u64 flows;
	__u64 flows_sampled;
};

/*
 * In-kernel RTT aggregation (-a, live). Log-linear buckets: each power of
 * two of nanoseconds cut into 2^PPING_HIST_SUB_BITS equal ones, values
 * from 2^PPING_HIST_MAX_BITS (68.7 s) up in the last; user/histogram.h
 * uses the same, so the daemon adds the datapath's buckets to its own.
 */
#define PPING_HIST_SUB_BITS 5
#define PPING_HIST_MAX_BITS 36
#define PPING_HIST_BUCKETS  ((PPING_HIST_MAX_BITS - PPING_HIST_SUB_BITS + 1) << PPING_HIST_SUB_BITS)

/*
 * Histograms are kept per generation: the daemon flips runtime.agg_gen,
 * then reads and deletes the entries of the generation before, so each
 * read takes exactly the samples since the previous one, with their own
 * minimum and maximum.
 */
struct agg_key {
	struct subnet_key subnet;
	__u8 method;          /* enum pping_method */
	__u8 gen;             /* runtime.agg_gen & 1 when added */
	__u8 pad[6];
};

/* One histogram, shared by all CPUs (atomic adds: per-CPU copies would
 * take 8 KiB per CPU per subnet and method). Bucket counts are 32-bit:
 * the daemon reads them at least every -a interval; the sample count is
 * their sum. min 0 is "none yet", so a 0 ns sample is kept there as 1
 * (bucket 0 says it was 0). */
struct agg_hist {
	__u64 sum;
	__u64 min;
	__u64 max;
	__u32 bucket[PPING_HIST_BUCKETS];
};

/* A subnet's samples of one method in one generation: their RTTs and
 * their queueing delays, found with one lookup. */
struct agg_entry {
	struct agg_hist rtt;
	struct agg_hist qdelay;
};

/*
 * The queueing-delay window of a subnet: AGG_WINDOW_SLOTS slots of
 * window/slots each, each the minimum RTT of its slot. The slot's number
 * and minimum share one word, so one compare-and-swap updates both:
 * number (modulo 2^28) in the top bits, RTT (clamped below 2^36 ns) in the
 * low ones; 0 is an empty slot.
 */
#define PPING_AGG_WINDOW_SLOTS 10
#define PPING_AGG_SLOT_RTT_BITS 36
#define PPING_AGG_SLOT_ID_MASK ((1ULL << (64 - PPING_AGG_SLOT_RTT_BITS)) - 1)
#define PPING_AGG_SLOT_RTT_MASK ((1ULL << PPING_AGG_SLOT_RTT_BITS) - 1)

struct agg_window {
	__u64 slot[PPING_AGG_WINDOW_SLOTS];
};

enum pping_rtt_type {
	PPING_RTT_MIN = 0,
	PPING_RTT_SMOOTHED = 1,
};

/* Fixed-point scale of the RTT-rate factor (the programs have no floats). */
#define PPING_RTT_RATE_SHIFT 16

/*
 * Under degradation level L > 0 the interval between bursts is at least
 * this, and is then multiplied by 2^L (so --rate-limit 0 degrades too).
 */
#define PPING_DEGRADE_BASE_NS (10ULL * 1000000ULL)
#define PPING_DEGRADE_MAX_LEVEL 6

/* The interval between bursts in force at a level; the datapath and the
 * daemon's reports both use this one definition. */
static inline __u64 pping_degraded_interval(__u64 interval_ns, unsigned int level)
{
	if (!level)
		return interval_ns;
	if (interval_ns < PPING_DEGRADE_BASE_NS)
		interval_ns = PPING_DEGRADE_BASE_NS;
	return interval_ns << (level & 7);
}

/*
 * Defaults, defined once: the programs' initial values, the map sizes in
 * their definitions, and the command line's defaults and --help text all
 * come from here.
 */
#define PPING_DEFAULT_RATE_LIMIT_NS   (100ULL * 1000000ULL)
#define PPING_DEFAULT_BURST_WINDOW_NS (4ULL * 1000000ULL)
#define PPING_DEFAULT_BURST           1
#define PPING_DEFAULT_MAX_FLOWS       131072
#define PPING_DEFAULT_MAX_TIMESTAMPS  131072
#define PPING_DEFAULT_MAX_SUBNETS     256
#define PPING_DEFAULT_RINGBUF_BYTES   (1U << 22)

/*
 * Load-time configuration of the programs: one struct, the rodata of every
 * object, set through the skeleton before loading by one function
 * (user/loader.c, which the unit tests use too), so the verifier prunes
 * what it switches off.
 */
struct pping_config {
	/* -a: prefix masks over the 16-byte (IPv4-mapped) address, as two
	 * words in memory order, so masking a key is two ANDs */
	__u64 subnet_mask_v4[2];
	__u64 subnet_mask_v6[2];
	__u8 has_l2;            /* frames start with an Ethernet header (not tun, PPP) */
	__u8 include_local;     /* -l: also timestamp arriving packets, match on egress */
	__u8 replay;            /* --read: time and length from the test-run context */
	__u8 test_clock;        /* unit tests only: time from the test run */
	__u8 aggregate_subnets; /* -a: count traffic per subnet */
	__u8 multi_iface;       /* more than one interface: look up each packet's slot */
	__u8 filter_nets;       /* --include/--exclude: PPING_FILTER_* bits in use */
	__u8 filter_ports;      /* --ports: only these TCP ports */
	__u8 tcp_method;        /* --method: enum pping_tcp_method */
	__u8 icmp;              /* measure ICMP echo (not --no-icmp) */
	__u8 ts_slots;          /* TSval identifiers in the flow's slots first
				 * (0: all in ts_map; unit tests of the map) */
	__u8 agg_kernel;        /* -a live: RTTs into agg_hists, no RTT events */
	__u8 tick_clock;        /* read the clock only where the tick cannot
				 * decide (clock.bpf.h); not in a replay */
	__u8 pad[3];
	__u64 qdelay_slot_ns;   /* agg_kernel: --qdelay-window / PPING_AGG_WINDOW_SLOTS */
	__u64 tick_bound_ns;    /* tick_clock: a packet's exact time is less than
				 * this after its tick's time (pping_tick_bound_ns) */
};

/*
 * --include / --exclude: a longest-prefix-match trie of 16-byte
 * (IPv4-mapped) prefixes; each entry says which list it came from. A
 * packet is left out if either end's longest match is an exclusion, or if
 * there are inclusions and neither end's is one.
 */
#define PPING_MAX_FILTERS 256
#define PPING_FILTER_INCLUDE 1
#define PPING_FILTER_EXCLUDE 2

struct filter_key {
	__u32 prefixlen;      /* IPv4: 96 + the prefix length */
	__u8 addr[16];
};

/* --ports: a bitmap of the TCP ports to measure, one bit per port. */
#define PPING_PORT_WORDS (65536 / 64)

#define PPING_CONFIG_DEFAULTS { \
	.subnet_mask_v4 = { ~0ULL, ~0ULL }, \
	.subnet_mask_v6 = { ~0ULL, ~0ULL }, \
	.has_l2 = 1, \
	.icmp = 1, \
	.ts_slots = 1, \
}

/*
 * Sampling and admission settings; the daemon changes them while running
 * (.data, shared by every object).
 */
struct pping_runtime {
	__u64 rate_limit_ns;   /* min time between bursts of one flow direction */
	__u64 burst_window_ns; /* a burst's identifiers all start within this */
	__u32 rtt_rate_fp;     /* interval = RTT * this >> SHIFT; 0: rate_limit_ns only */
	__u8 rtt_type;         /* enum pping_rtt_type */
	__u8 burst;            /* identifiers per burst, 1..PPING_BURST_MAX */
	__u8 level;            /* degradation level, 0..PPING_DEGRADE_MAX_LEVEL */
	__u8 agg_table_full;   /* config.agg_kernel: the daemon's subnet table is
				* full; only subnets in agg_tracked make entries */
	__u64 flow_limit;      /* flow map capacity; 0: not known, always try */
	__u64 sampled_admit;   /* level > 0: a flow sampled this epoch gets a new
				* entry only while fewer flows than this exist */
	__u64 sampled_mask;    /* bits in the sampled-flows bitmap - 1 */
	__u32 agg_interval;    /* -a: number of the interval in progress, from 1
				* (a flow's 0 means "never counted") */
	__u32 agg_gen;         /* config.agg_kernel: histograms are added to
				* generation agg_gen & 1 (struct agg_key) */
};

#define PPING_RUNTIME_DEFAULTS { \
	.rate_limit_ns = PPING_DEFAULT_RATE_LIMIT_NS, \
	.burst_window_ns = PPING_DEFAULT_BURST_WINDOW_NS, \
	.rtt_type = PPING_RTT_MIN, \
	.burst = PPING_DEFAULT_BURST, \
	.agg_interval = 1, \
}

/*
 * Cleanup: what the daemon asks one pass over the maps to remove. Times
 * are ns. The rules themselves are in cleanup_rules.h.
 */
struct cleanup_params {
	__u64 now;              /* 0: the kernel's monotonic clock */
	__u64 ts_floor_ns;      /* identifiers live at least this long */
	__u64 ts_cap_ns;        /* ... at most this long; this long if no RTT yet */
	__u64 closed_ns;        /* both FINs seen and quiet this long */
	__u64 half_closed_ns;   /* one FIN seen and quiet this long */
	__u64 unanswered_ns;    /* no RTT sample yet, opened this long ago */
	__u64 idle_ns;          /* no packet for this long */
	__u64 evict_budget;     /* sampled flows to evict to make room */
	__u64 sampled_mask;     /* as pping_runtime.sampled_mask */
	__u32 ts_rtt_mult;      /* identifier lifetime = this x the flow's srtt */
	__u32 pad;
};

enum cleanup_flow_reason {
	CLEAN_FLOW_CLOSED = 0,
	CLEAN_FLOW_HALF_CLOSED,
	CLEAN_FLOW_UNANSWERED,
	CLEAN_FLOW_IDLE,
	CLEAN_FLOW_EVICTED,     /* sampled, made room for unsampled flows */
	CLEAN_FLOW_REASONS,
};

enum cleanup_ts_reason {
	CLEAN_TS_EXPIRED = 0,   /* older than its lifetime */
	CLEAN_TS_ORPHANED,      /* its flow is gone */
	CLEAN_TS_REASONS,
};

/*
 * One call of a for-each cleanup walk (cleanup mechanism "foreach"): a
 * for-each over a hash map always starts at its first bucket and does not
 * reschedule, so a call passes over the entries earlier calls of the walk
 * kept, and stops once it has deleted its budget (a mass expiry is split).
 */
struct cleanup_walk {
	__u64 skip;             /* entries kept by earlier calls: passed over */
	__u64 budget;           /* deletions after which this call stops */
	__u64 index;            /* out: entries met, passed over or examined */
	__u64 examined;         /* out */
	__u64 removed;          /* out: of those examined */
	__u64 vanished;         /* out: of those examined, deleted by another meanwhile */
	__u32 stopped;          /* out: budget spent before the end of the map */
	__u32 pad;
};

/* What one cleanup pass saw and did. */
struct cleanup_stats {
	__u64 flows_seen;
	__u64 flows_removed[CLEAN_FLOW_REASONS];
	__u64 flows_sampled;    /* of those seen: had an RTT reported */
	__u64 ts_seen;
	__u64 ts_removed[CLEAN_TS_REASONS];
	__u64 delete_failed;    /* entries already gone when deleted */
};

#endif /* PPING_H */
