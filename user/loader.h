/* SPDX-License-Identifier: GPL-2.0 */
/* Opening, configuring and loading the BPF objects. */
#ifndef PPING_LOADER_H
#define PPING_LOADER_H

#include <stdbool.h>
#include <linux/types.h>

#include "pping.h"   /* types the skeletons refer to */

struct pping_tc;
struct pping_xdp;

struct datapath_config {
	bool has_l2;          /* interface frames start with an Ethernet header */
	bool include_local;
	bool xdp_ingress;     /* ingress through XDP instead of tc */
	struct pping_runtime sampling;
};

struct pping_bpf {
	struct pping_tc *tc;      /* egress, ingress unless XDP; owns the maps */
	struct pping_xdp *xdp;    /* XDP ingress: opened here, loaded by libxdp */
};

/*
 * open -> set config -> load. The tc object is loaded here; the XDP object
 * is only configured and given the tc object's maps, because libxdp must
 * load it itself when it attaches it to its dispatcher.
 */
int pping_bpf_load(struct pping_bpf *b, const struct datapath_config *cfg);
void pping_bpf_destroy(struct pping_bpf *b);

/* Change the rate limit of a running datapath (both hooks see it). */
void pping_bpf_set_rate_limit(struct pping_bpf *b, __u64 ns);

#endif /* PPING_LOADER_H */
