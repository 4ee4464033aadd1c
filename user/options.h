/* SPDX-License-Identifier: GPL-2.0 */
/* Command line: what the user asked for, validated. */
#ifndef PPING_OPTIONS_H
#define PPING_OPTIONS_H

#include <stdbool.h>
#include <linux/types.h>
#include <net/if.h>
#include <sys/socket.h>
#include <xdp/libxdp.h>

#include "cleanup.h"
#include "output.h"
#include "capture.h"

enum ingress_hook {
	INGRESS_TC,
	INGRESS_XDP,
};

/* --replay-runs: the test runs a replay feeds packets through. */
enum replay_runs {
	REPLAY_RUNS_AUTO,     /* XDP where the kernel takes them, else tc */
	REPLAY_RUNS_XDP,      /* pping_xdp_replay: no sk_buff per packet */
	REPLAY_RUNS_TC,       /* the tc programs, as a live packet */
};

/* How the tc programs attach: the first the kernel allows, or forced. */
enum tc_attach_how {
	TC_ATTACH_AUTO,
	TC_ATTACH_TCX,        /* TCX bpf_link (Linux 6.6) */
	TC_ATTACH_CLSACT,     /* a cls_bpf filter on the clsact qdisc */
};

/* How the XDP program attaches (-I xdp). */
enum xdp_attach_how {
	XDP_ATTACH_AUTO,
	XDP_ATTACH_DISPATCHER, /* libxdp's dispatcher: the interface stays shareable */
	XDP_ATTACH_LINK,       /* an XDP bpf_link (Linux 5.9) */
	XDP_ATTACH_NETLINK,    /* the netlink attachment, undone by the guard */
};

/* --aggregate-in: where -a builds its RTT histograms. */
enum agg_where {
	AGG_AUTO,             /* kernel live, events in a replay */
	AGG_KERNEL,           /* the datapath, no event per sample */
	AGG_EVENTS,           /* the daemon, from one event per sample */
};

/* --threads: replay workers at most. */
#define REPLAY_MAX_THREADS 64

struct pping_opts {
	/* -i: the interfaces to monitor, in the order given (slot order) */
	char ifnames[PPING_MAX_IFACES][IF_NAMESIZE];
	int n_ifaces;
	__u64 rate_limit_ns;
	__u64 burst_window_ns;
	double rtt_rate;              /* 0: static rate limit */
	int rtt_type;                 /* enum pping_rtt_type */
	int burst;
	__u64 duration_ns;            /* 0: run until stopped */
	__u32 max_flows;
	__u32 max_timestamps;
	__u64 cleanup_interval_ns;    /* 0: no cleanup (and no degradation) */
	bool adaptive;                /* adaptive degradation (not --no-degrade) */
	bool include_local;
	int tcp_method;               /* --method: enum pping_tcp_method */
	bool icmp;                    /* ICMP echo (not --no-icmp) */
	enum ingress_hook ingress;
	enum xdp_attach_mode xdp_mode;
	int verbose;
	/* Output (issue 5). */
	enum output_format format;
	const char *write_path;       /* -w; NULL: stdout */
	__u64 aggregate_ns;           /* -a; 0: one record per event */
	__u8 agg_prefix_v4;
	__u8 agg_prefix_v6;
	__u32 agg_max_subnets;
	__u64 qdelay_window_ns;
	enum agg_where agg_where;
	bool metrics;                 /* --metrics given */
	struct sockaddr_storage metrics_addr;
	const char *metrics_arg;      /* as typed, for messages */
	/* Offline mode (issue 7). */
	const char *read_path;        /* --read; NULL: live on ifnames */
	int threads;                  /* --threads: replay workers; 0: one per online CPU,
				       * up to REPLAY_MAX_THREADS */
	struct local_net local_nets[CAPTURE_MAX_LOCAL_NETS];
	int n_local_nets;
	/* Filters in the datapath (issue 17). */
	struct local_net includes[PPING_MAX_FILTERS];
	int n_includes;
	struct local_net excludes[PPING_MAX_FILTERS];
	int n_excludes;
	__u64 ports[PPING_PORT_WORDS];  /* --ports bitmap */
	int n_ports;                  /* ports set; 0: every port */
	/* Kernel features (issue 14). */
	bool probe;                   /* --probe: report and exit */
	enum cleanup_mech cleanup_mech;
	enum tc_attach_how tc_attach;
	enum replay_runs replay_runs;
	enum xdp_attach_how xdp_attach;
};

/* Exit codes the daemon uses. */
#define EXIT_OK       0
#define EXIT_FAIL     1   /* runtime failure: interface, kernel, load, attach */
#define EXIT_USAGE    2   /* bad command line */

/* Returns -1 to go on, or the exit code to end with (help, version, error). */
int parse_options(int argc, char **argv, struct pping_opts *o);

/*
 * Parse a duration: a number with an optional unit ns, us, ms, s, m or h; a
 * bare number means milliseconds, as ePPing's users type it. Returns 0 and
 * the value in ns, or -1 if it is not a duration.
 */
int parse_duration(const char *s, __u64 *ns);

/*
 * Parse "[ADDR:]PORT" (IPv6 as "[ADDR]:PORT"); a bare port listens on
 * 127.0.0.1. Returns 0, or -1 if it is not an address and port 1..65535.
 */
int parse_listen_addr(const char *s, struct sockaddr_storage *ss);

/* The --xdp-mode name of an XDP attach mode. */
const char *xdp_mode_name(enum xdp_attach_mode m);

/* Log the effective configuration (at -v). */
void log_options(const struct pping_opts *o);

#endif /* PPING_OPTIONS_H */
