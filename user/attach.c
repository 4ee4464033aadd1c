// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "attach.h"
#include "log.h"
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"

/* Attach types of TCX (Linux 6.6); the installed UAPI header may predate
 * them, so use the kernel's numbers directly. */
enum {
	PPING_TCX_INGRESS = 46,
	PPING_TCX_EGRESS = 47,
};

#define BPFFS_PATH "/sys/fs/bpf"

static int tcx_attach(int prog_fd, int ifindex, int attach_type)
{
	int fd = bpf_link_create(prog_fd, ifindex, attach_type, NULL);

	return fd < 0 ? -errno : fd;
}

/* Older kernels: a filter on the clsact qdisc, recorded in the guard plan
 * because it outlives the process. */
static int clsact_attach(struct attachment *a, int prog_fd,
			 enum bpf_tc_attach_point point)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = point);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
	struct guard_tc_filter *f;
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	if (!err)
		a->plan.destroy_clsact = true;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return err;
	f = &a->plan.filters[a->plan.n_filters++];
	f->attach_point = point;
	f->handle = opts.handle;
	f->priority = opts.priority;
	return 0;
}

static int tc_attach(struct attachment *a, struct bpf_program *prog,
		     bool egress)
{
	int fd, err;

	fd = tcx_attach(bpf_program__fd(prog), a->ifindex,
			egress ? PPING_TCX_EGRESS : PPING_TCX_INGRESS);
	if (fd >= 0) {
		if (egress)
			a->egress_link = fd;
		else
			a->ingress_link = fd;
		*(egress ? &a->egress_how : &a->ingress_how) = "tcx";
		return 0;
	}
	/* EINVAL: this kernel does not know the TCX attach type. */
	if (fd != -EINVAL) {
		pr_warn("cannot attach to tc %s: %s\n",
			egress ? "egress" : "ingress", strerror(-fd));
		return fd;
	}
	pr_info("kernel has no TCX links; using a clsact filter for %s\n",
		egress ? "egress" : "ingress");
	err = clsact_attach(a, bpf_program__fd(prog),
			    egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	if (err) {
		pr_warn("cannot attach to tc %s (clsact): %s\n",
			egress ? "egress" : "ingress", strerror(-err));
		return err;
	}
	*(egress ? &a->egress_how : &a->ingress_how) = "clsact";
	return 0;
}

/*
 * libxdp keeps its dispatcher's state in bpffs. Hosts mount it at boot, but
 * `ip netns exec` and minimal containers may not; mount it then (in a
 * mount namespace of its own, that mount is invisible outside).
 */
static void ensure_bpffs(void)
{
	struct statfs st;

	if (statfs(BPFFS_PATH, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", BPFFS_PATH, "bpf", 0, NULL) == 0)
		pr_info("mounted bpffs on %s for libxdp\n", BPFFS_PATH);
	else
		pr_info("bpffs is not mounted on %s and mounting it failed (%s); libxdp may fall back to attaching without its dispatcher\n",
			BPFFS_PATH, strerror(errno));
}

static const char *xdp_mode_name(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE: return "native";
	case XDP_MODE_SKB: return "generic";
	case XDP_MODE_HW: return "offload";
	default: return "unspecified";
	}
}

/*
 * libxdp falls back to attaching the program directly when the kernel will
 * not load extension programs into its dispatcher; then no other XDP
 * program can share the interface, which an operator should know.
 */
static void warn_if_exclusive(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	if (libxdp_get_error(mp))
		return;
	if (xdp_multiprog__is_legacy(mp))
		pr_info("XDP program attached without libxdp's dispatcher (the kernel refused extension programs): other XDP programs cannot share this interface while pping runs\n");
	xdp_multiprog__close(mp);
}

/*
 * libxdp finds attached programs by id when it detaches them, which needs
 * CAP_SYS_ADMIN. Without it the attach succeeds but the detach at exit
 * fails and leaves the program on the interface, so refuse up front.
 */
static bool have_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return true;   /* cannot tell: let libxdp try */
	return d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

static int xdp_attach(struct attachment *a, struct pping_bpf *b,
		      enum xdp_attach_mode mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = b->xdp->obj,
			    .prog_name = "pping_xdp_ingress");
	struct xdp_program *prog;
	int err;

	ensure_bpffs();
	if (!have_sys_admin()) {
		pr_warn("XDP ingress (-I xdp) needs CAP_SYS_ADMIN (libxdp could not detach the program at exit without it); use -I tc, or grant it\n");
		return -EPERM;
	}
	prog = xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err) {
		pr_warn("cannot prepare the XDP program: %s\n", strerror(-err));
		return err;
	}
	err = xdp_program__attach(prog, a->ifindex, mode, 0);
	if (err) {
		pr_warn("cannot attach XDP in %s mode: %s%s\n",
			xdp_mode_name(mode), strerror(-err),
			mode == XDP_MODE_NATIVE ?
			" (the driver may lack native XDP; try --xdp-mode generic)" : "");
		xdp_program__close(prog);
		return err;
	}
	a->xdp = prog;
	a->plan.xdp_prog_id = xdp_program__id(prog);
	warn_if_exclusive(a->ifindex);
	a->plan.xdp_mode = mode;
	a->ingress_how = "xdp";
	return 0;
}

int attach_all(struct attachment *a, struct pping_bpf *b,
	       const struct iface *ifc, const struct pping_opts *o)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->ifindex = ifc->ifindex;
	a->egress_link = -1;
	a->ingress_link = -1;
	a->guard.pid = -1;
	a->guard.fd = -1;
	a->plan.ifindex = ifc->ifindex;

	err = tc_attach(a, b->tc->progs.pping_tc_egress, true);
	if (err)
		goto fail;
	if (o->ingress == INGRESS_XDP)
		err = xdp_attach(a, b, o->xdp_mode);
	else
		err = tc_attach(a, b->tc->progs.pping_tc_ingress, false);
	if (err)
		goto fail;

	err = guard_start(&a->guard, &a->plan);
	if (err)
		goto fail;
	pr_info("attached to %s: egress %s, ingress %s\n", ifc->name,
		a->egress_how, a->ingress_how);
	return 0;

fail:
	detach_all(a);
	return err;
}

void detach_all(struct attachment *a)
{
	if (a->xdp) {
		int err = xdp_program__detach(a->xdp, a->ifindex,
					      a->plan.xdp_mode, 0);

		if (err && err != -ENOENT && err != -ENODEV)
			pr_warn("detaching XDP: %s\n", strerror(-err));
		xdp_program__close(a->xdp);
		a->xdp = NULL;
		a->plan.xdp_prog_id = 0;
	}
	if (a->egress_link >= 0)
		close(a->egress_link);
	if (a->ingress_link >= 0)
		close(a->ingress_link);
	a->egress_link = a->ingress_link = -1;
	guard_undo(&a->plan);
	a->plan.n_filters = 0;
	a->plan.destroy_clsact = false;
	guard_release(&a->guard);
}
