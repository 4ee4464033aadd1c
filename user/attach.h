/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching the programs to the interface, and undoing it on every exit. */
#ifndef PPING_ATTACH_H
#define PPING_ATTACH_H

#include "guard.h"
#include "iface.h"
#include "loader.h"
#include "options.h"

struct attachment {
	int ifindex;
	int egress_link;              /* TCX link fds, -1 if not used */
	int ingress_link;
	int xdp_link;                 /* XDP bpf_link fd, -1 if attached by netlink */
	struct xdp_program *xdp;      /* attached XDP program, or NULL */
	struct guard_plan plan;       /* what must be undone by hand */
	struct guard guard;
	const char *egress_how;       /* "tcx" or "clsact", for messages */
	const char *ingress_how;      /* "tcx", "clsact", "xdp (dispatcher)", "xdp (link)"
				       * or "xdp (netlink)" */
	bool told_tc_fallback;        /* the clsact fallback was said */
};

/*
 * Attach egress tc and the chosen ingress hook to one interface. shared:
 * the XDP program attached to an earlier interface (NULL for the first),
 * which this one uses too. On failure, everything that was attached is
 * detached again before returning.
 */
int attach_all(struct attachment *a, struct pping_bpf *b,
	       const struct iface *ifc, const struct pping_opts *o,
	       struct xdp_program *shared);
void detach_all(struct attachment *a);

/*
 * Once everything is loaded and attached: drop every capability except
 * those detach_all needs for this attachment (none for TCX and XDP links;
 * see attach.c), and CAP_BPF if this kernel wants it even for the fds the
 * daemon holds (tried on map_fd). Failure is reported, not fatal.
 */
void attach_drop_privileges(const struct attachment *a, int n, int map_fd);

#endif /* PPING_ATTACH_H */
