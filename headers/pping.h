/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and the daemon. Everything that crosses the
 * kernel/user boundary is built from fixed-width types with explicit padding,
 * so both compilers agree on the layout.
 */
#ifndef PPING_H
#define PPING_H

#include <linux/types.h>

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
	__u8 pad[2];
};

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

/* State of one direction of a flow. */
struct flow_dir_state {
	__u64 last_tsval;     /* newest TSval of an eligible packet | PPING_TS_VALID */
	__u64 last_tsecr;     /* newest TSecr looked up in this direction's map | VALID */
	__u64 last_ts_time;   /* when the last timestamp entry was created (rate limit) */
	__u64 min_rtt;        /* ns, of samples taken on this direction's packets */
	__u64 srtt;           /* ns, smoothed as TCP does: 7/8 old + 1/8 new */
	__u64 pkts;           /* packets sent in this direction (GSO segments counted) */
	__u64 bytes;          /* bytes sent in this direction, frame length at the hook */
};

/* Bits of flow_state.flags */
#define PPING_FLOW_FIN_OUT   (1U << 0)
#define PPING_FLOW_FIN_IN    (1U << 1)
#define PPING_FLOW_RST       (1U << 2)
#define PPING_FLOW_CLOSING   (1U << 3)   /* closing event sent */

/* Value of the flow map: both directions of one connection. */
struct flow_state {
	struct flow_dir_state dir[PPING_DIR_MAX];
	__u64 first_seen;     /* ns, monotonic */
	__u64 last_seen;      /* ns, monotonic */
	__u32 flags;          /* PPING_FLOW_* */
	__u32 pad;
};

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
};

/* Bits of pping_event.flags */
#define PPING_EV_MATCH_ON_EGRESS (1U << 0)

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
	__u32 flags;          /* PPING_EV_* */
	__u64 time_ns;        /* monotonic clock of the packet that caused it */
	__u64 rtt;            /* ns */
	__u64 min_rtt;        /* ns */
	__u64 srtt;           /* ns */
	__u64 pkts[PPING_DIR_MAX];
	__u64 bytes[PPING_DIR_MAX];
	struct flow_key flow;
};

/* Per-CPU counters, one slot of the counters map; summed by the daemon. */
struct pping_counters {
	__u64 pkts[PPING_HOOK_MAX];       /* every packet a program ran on */
	__u64 tcp[PPING_HOOK_MAX];        /* well-formed TCP segments */
	__u64 tcp_no_ts[PPING_HOOK_MAX];  /* TCP without a valid timestamp option */
	__u64 ts_created;                 /* identifier entries stored */
	__u64 ts_exists;                  /* identifier already stored */
	__u64 ts_map_full;                /* identifier insert failed */
	__u64 flow_map_full;              /* flow insert failed */
	__u64 rate_limited;               /* new identifier skipped by the rate limit */
	__u64 claims_lost;                /* another CPU claimed the same slot first */
	__u64 rtt_samples;                /* matches whose delete this program won */
	__u64 flows_opened;
	__u64 flows_closed;
	__u64 events_lost;                /* ring buffer reservations that failed */
};

/* Datapath settings the daemon may change while running (.data). */
struct pping_runtime {
	__u64 rate_limit_ns;   /* min time between identifiers of one flow direction */
};

#endif /* PPING_H */
