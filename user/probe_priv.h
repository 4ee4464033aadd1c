/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside pping --probe. A child process tries every feature (in network and
 * mount namespaces of its own, so no host interface or mount is touched)
 * and hands each result to the parent as it gets it; the parent prints the
 * report. A result that never arrives (the child died) is reported as not
 * tried, so a crash cannot pass for a "yes".
 */
#ifndef PPING_PROBE_PRIV_H
#define PPING_PROBE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "loader.h"

/* What the report has a line for, in the order it prints them. */
enum probe_id {
	PROBE_PERMISSION,
	PROBE_BTF,
	PROBE_RINGBUF,
	PROBE_DATAPATH,
	PROBE_TCX,
	PROBE_CLSACT,
	PROBE_XDP_LINK,
	PROBE_XDP_NETLINK,
	PROBE_XDP_DISPATCHER,
	PROBE_XDP_GENERIC,
	PROBE_ITER,
	PROBE_FOREACH,
	PROBE_BATCH,
	PROBE_TEST_RUN,
	PROBE_LOCKDOWN,
	/* What pping would use: the daemon's own choice, found by running
	 * its code with the automatic settings. */
	PROBE_TC_USE,
	PROBE_XDP_USE,
	PROBE_CLEANUP_USE,
	PROBE_ITEMS,
};

#define PROBE_FEATURES PROBE_TC_USE   /* the lines before it are features */

enum probe_state {
	PROBE_UNTRIED = 0,   /* no result came */
	PROBE_YES,
	PROBE_NO,            /* text: why */
	PROBE_VALUE,         /* not yes/no: a lockdown mode, a choice */
};

/* One result, as it crosses the pipe: small enough to be written at once
 * (PIPE_BUF), so results never interleave or arrive torn. */
#define PROBE_TEXT 248
struct probe_msg {
	__u32 id;            /* enum probe_id */
	__u32 state;         /* enum probe_state */
	char text[PROBE_TEXT];
};

/* Child side (probe.c): record a result and send it to the parent. */
__attribute__((format(printf, 3, 4)))
void probe_say(enum probe_id id, enum probe_state st, const char *fmt, ...);
/* A result the child already has (PROBE_UNTRIED if none yet). */
enum probe_state probe_state_of(enum probe_id id);

/*
 * Why a BPF operation failed, in terms an operator can act on: EPERM means
 * "not allowed" and says which privilege is missing, or that a security
 * policy refused it although the privileges are there.
 */
void probe_explain(char *buf, size_t len, int err);

/* probe_netns.c: a private network and mount namespace with a fresh bpffs
 * (libxdp keeps its state there) and a veth pair to attach to. */
#define PROBE_IF "pping-probe0"
#define PROBE_PEER "pping-probe1"
/* 0, or -errno with the reason in why. own_mounts: the mount namespace is
 * ours and private (mounting there cannot reach the host), even if a later
 * step failed. */
int probe_netns_enter(bool *own_mounts, char *why, size_t len);
/* Mount securityfs read-only if it is not mounted (only ever called in
 * our own mount namespace). 0, or -errno. */
int probe_mount_securityfs(void);

/* probe_kernel.c: what needs no interface. own_mounts: we are in a mount
 * namespace of our own and may mount securityfs there. */
void probe_kernel(bool own_mounts);

/* probe_attach.c: the datapath and the attachments; ns_why is NULL in the
 * private namespace, else why there is none (nothing is attached then). */
void probe_attach(const char *ns_why);

struct pping_opts;
/* The interfaces of -i, in this namespace, nothing attached: a line each.
 * False if pping -i could not monitor them. */
bool probe_interfaces(FILE *f, const struct pping_opts *o);

/* The datapath configuration a probe loads: small maps, Ethernet framing. */
static inline void probe_datapath_config(struct datapath_config *c, bool xdp,
					 bool replay)
{
	*c = (struct datapath_config){
		.has_l2 = true,
		.xdp_ingress = xdp,
		.replay = replay,
		.max_flows = 16,
		.max_timestamps = 16,
		.sampling = {
			.rate_limit_ns = 100000000ULL,
			.burst = 1,
		},
		.subnet_prefix_v4 = 24,
		.subnet_prefix_v6 = 48,
	};
}

#endif /* PPING_PROBE_PRIV_H */
