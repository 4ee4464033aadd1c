// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "attach.h"
#include "log.h"
#include "privs.h"
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

/*
 * TCX where the kernel has it (a link that goes with the process), else a
 * clsact filter; --tc-attach forces either. A fallback is said once.
 */
static int tc_attach(struct attachment *a, struct bpf_program *prog,
		     bool egress, enum tc_attach_how how)
{
	const char *dir = egress ? "egress" : "ingress";
	int fd, err;

	if (how != TC_ATTACH_CLSACT) {
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
		if (fd != -EINVAL || how == TC_ATTACH_TCX) {
			pr_warn("cannot attach to tc %s with a TCX link%s: %s%s\n", dir,
				how == TC_ATTACH_TCX ? " (--tc-attach tcx)" : "",
				strerror(-fd),
				fd == -EINVAL ? " (this kernel has no TCX, Linux 6.6)" : "");
			return fd;
		}
		if (!a->told_tc_fallback)
			pr_warn("this kernel has no TCX links (Linux 6.6); attaching to tc through a clsact qdisc filter\n");
		a->told_tc_fallback = true;
	}
	err = clsact_attach(a, bpf_program__fd(prog),
			    egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	if (err) {
		pr_warn("cannot attach to tc %s (clsact): %s\n", dir, strerror(-err));
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

/* The XDP link flag of an attach mode. */
static int xdp_link_flags(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE: return XDP_FLAGS_DRV_MODE;
	case XDP_MODE_SKB: return XDP_FLAGS_SKB_MODE;
	case XDP_MODE_HW: return XDP_FLAGS_HW_MODE;
	default: return 0;
	}
}

/* Is the program attached without libxdp's dispatcher? */
static bool xdp_is_legacy(int ifindex, enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool legacy;

	if (libxdp_get_error(mp))
		return true;
	legacy = xdp_multiprog__is_legacy(mp);
	*mode = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
	return legacy;
}

/*
 * Without its dispatcher (the kernel refused extension programs, as 6.18
 * does with libxdp 1.3, or --xdp-attach asked for link or netlink) libxdp
 * attaches the program by netlink, which the kernel keeps after the
 * process is gone: only the guard would detach it, and nothing if the
 * guard dies too. An XDP bpf_link (Linux 5.9) goes with its last fd
 * instead, so swap the netlink attachment for one, in the mode libxdp
 * chose. The interface is without the program for the few microseconds
 * between the two calls. With the dispatcher, libxdp's attachment stays:
 * other XDP programs can then share the interface.
 *
 * If the kernel refuses the link, attach by netlink again (auto) or fail
 * (forced link). 0 on success.
 */
static int xdp_swap_to_link(struct attachment *a, enum xdp_attach_mode mode,
			    bool forced)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd, err;

	err = xdp_program__detach(a->xdp, a->ifindex, mode, 0);
	if (err) {
		pr_warn("cannot detach the netlink XDP attachment to replace it by a link: %s\n",
			strerror(-err));
		return err;
	}
	a->plan.xdp_prog_id = 0;
	lo.flags = xdp_link_flags(mode);
	fd = bpf_link_create(xdp_program__fd(a->xdp), a->ifindex, BPF_XDP, &lo);
	if (fd >= 0) {
		a->xdp_link = fd;
		return 0;
	}
	err = -errno;
	if (forced) {
		pr_warn("cannot attach XDP as a bpf_link (--xdp-attach link): %s\n",
			strerror(-err));
		return err;
	}
	/* Old kernel: back to netlink, with the guard to detach it. */
	pr_debug("no XDP bpf_link (%s); attaching by netlink again\n", strerror(-err));
	err = xdp_program__attach(a->xdp, a->ifindex, mode, 0);
	if (err) {
		pr_warn("cannot re-attach XDP after bpf_link failed: %s\n", strerror(-err));
		return err;
	}
	a->plan.xdp_prog_id = xdp_program__id(a->xdp);
	return 0;
}

/* Why an XDP attach failed, in the terms of the likely cause. */
static void explain_xdp_error(const char *ifname, int ifindex,
			      enum xdp_attach_mode mode, int err)
{
	__u32 id = 0;

	if ((err == -EBUSY || err == -EEXIST) &&
	    bpf_xdp_query_id(ifindex, 0, &id) == 0 && id) {
		pr_warn("cannot attach XDP to %s: another XDP program (id %u) is attached there and does not share the interface through libxdp's dispatcher; another pping -I xdp on %s? Stop it, or use -I tc (tc hooks can be shared)\n",
			ifname, id, ifname);
		return;
	}
	pr_warn("cannot attach XDP to %s in %s mode: %s%s\n", ifname,
		xdp_mode_name(mode), strerror(-err),
		mode == XDP_MODE_NATIVE ?
		" (the driver may lack native XDP; try --xdp-mode generic)" : "");
}

/*
 * libxdp finds attached programs by id when it attaches and detaches them,
 * which needs CAP_SYS_ADMIN. Without it a netlink attach succeeds but the
 * detach at exit fails and leaves the program on the interface, so refuse
 * up front.
 *
 * How it ends up attached: libxdp's dispatcher when the kernel allows it
 * (auto, dispatcher); else an XDP link (auto, link); else netlink (auto,
 * netlink). The first fallback is said once on stderr.
 */
static int xdp_attach(struct attachment *a, struct pping_bpf *b,
		      const char *ifname, enum xdp_attach_mode mode,
		      enum xdp_attach_how how, struct xdp_program *shared)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = b->xdp->obj,
			    .prog_name = "pping_xdp_ingress");
	enum xdp_attach_mode got = mode;
	struct xdp_program *prog;
	bool legacy;
	int err;

	ensure_bpffs();
	if (!privs_have(CAP_SYS_ADMIN)) {
		pr_warn("XDP ingress (-I xdp) needs CAP_SYS_ADMIN (libxdp could not detach the program at exit without it); use -I tc, or grant it\n");
		return -EPERM;
	}
	/* libxdp's own switch: attach by netlink, no dispatcher. */
	if (how == XDP_ATTACH_LINK || how == XDP_ATTACH_NETLINK)
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	/* The first interface's program, loaded by its attach: libxdp
	 * attaches one program to several interfaces through references. */
	prog = shared ? xdp_program__clone(shared, 0) : xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err) {
		pr_warn("cannot prepare the XDP program: %s\n", strerror(-err));
		return err;
	}
	err = xdp_program__attach(prog, a->ifindex, mode, 0);
	/* Not left set for the guard (a child) or a later attach. */
	unsetenv("LIBXDP_SKIP_DISPATCHER");
	if (err) {
		explain_xdp_error(ifname, a->ifindex, mode, err);
		xdp_program__close(prog);
		return err;
	}
	a->xdp = prog;
	a->plan.xdp_prog_id = xdp_program__id(prog);
	a->plan.xdp_mode = mode;
	legacy = xdp_is_legacy(a->ifindex, &got);
	if (legacy && how == XDP_ATTACH_DISPATCHER) {
		pr_warn("cannot attach XDP through libxdp's dispatcher (--xdp-attach dispatcher): the kernel refused it (extension programs); -vv shows libxdp's reason\n");
		return -EOPNOTSUPP;
	}
	/* libxdp reads its switch with secure_getenv(): a setcap binary
	 * gets the dispatcher anyway. Forced is forced. */
	if (!legacy && (how == XDP_ATTACH_LINK || how == XDP_ATTACH_NETLINK)) {
		pr_warn("cannot attach XDP without libxdp's dispatcher (--xdp-attach %s): libxdp used its dispatcher (it ignores LIBXDP_SKIP_DISPATCHER in a process with file capabilities)\n",
			how == XDP_ATTACH_LINK ? "link" : "netlink");
		return -EOPNOTSUPP;
	}
	if (legacy && how != XDP_ATTACH_NETLINK) {
		err = xdp_swap_to_link(a, got, how == XDP_ATTACH_LINK);
		if (err)
			return err;
	}
	if (a->xdp_link >= 0)
		a->ingress_how = "xdp (link)";
	else if (legacy)
		a->ingress_how = "xdp (netlink)";
	else
		a->ingress_how = "xdp (dispatcher)";
	if (legacy && how == XDP_ATTACH_AUTO)
		pr_warn("libxdp's dispatcher is not available on this kernel; XDP attached %s: other XDP programs cannot share %s while pping runs\n",
			a->xdp_link >= 0 ? "as a bpf_link" : "by netlink", ifname);
	return 0;
}

int attach_all(struct attachment *a, struct pping_bpf *b,
	       const struct iface *ifc, const struct pping_opts *o,
	       struct xdp_program *shared)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->ifindex = ifc->ifindex;
	a->egress_link = -1;
	a->ingress_link = -1;
	a->xdp_link = -1;
	a->guard.pid = -1;
	a->guard.fd = -1;
	a->plan.ifindex = ifc->ifindex;

	err = tc_attach(a, b->tc->progs.pping_tc_egress, true, o->tc_attach);
	if (err)
		goto fail;
	if (o->ingress == INGRESS_XDP)
		err = xdp_attach(a, b, ifc->name, o->xdp_mode, o->xdp_attach,
				 shared);
	else
		err = tc_attach(a, b->tc->progs.pping_tc_ingress, false,
				o->tc_attach);
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
	if (a->xdp_link >= 0) {
		close(a->xdp_link);
		a->xdp_link = -1;
	} else if (a->xdp) {
		int err = xdp_program__detach(a->xdp, a->ifindex,
					      a->plan.xdp_mode, 0);

		if (err && err != -ENOENT && err != -ENODEV)
			pr_warn("detaching XDP: %s\n", strerror(-err));
	}
	if (a->xdp) {
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

/*
 * What the daemon itself needs after attaching, found by running it with
 * each capability removed: reading and updating maps, the .data
 * configuration (mmapped), reading the ring buffer and running the
 * cleanup iterators all work on fds it already holds and need nothing;
 * closing a TCX or XDP link needs nothing. Only what was attached by
 * netlink needs capabilities to undo: a clsact filter CAP_NET_ADMIN;
 * libxdp CAP_SYS_ADMIN (it looks programs up by id) and CAP_NET_ADMIN, plus
 * CAP_BPF and CAP_PERFMON when it must rebuild a shared dispatcher without
 * our program. The guard was forked before the drop and keeps its own set.
 */
/*
 * Can a process without capabilities still use the BPF fds it holds? Since
 * Linux 6.5 the bpf() syscall checks each command on its own, and reading
 * a map or running a test run on an fd needs nothing; before, with
 * kernel.unprivileged_bpf_disabled set (Ubuntu's default), every command
 * needed CAP_BPF. Found by trying, in a child that drops everything, on a
 * map the daemon reads all the time.
 */
static bool bpf_fds_need_caps(int map_fd)
{
	__u32 zero = 0;
	__s64 v;
	int status;
	pid_t pid;

	if (map_fd < 0)
		return false;
	pid = fork();
	if (pid < 0)
		return true;   /* cannot tell: keep what BPF needs */
	if (pid == 0)
		_exit(privs_drop(0) == 0 &&
		      bpf_map_lookup_elem(map_fd, &zero, &v) != 0 && errno == EPERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return true;
	return WEXITSTATUS(status) != 0;
}

void attach_drop_privileges(const struct attachment *att, int n, int map_fd)
{
	__u64 keep = 0, before = privs_effective();
	const struct attachment *a;
	int err;

	if (bpf_fds_need_caps(map_fd)) {
		keep |= PRIVS_BIT(CAP_BPF);
		pr_info("this kernel wants CAP_BPF for every bpf() call, even on fds pping holds: keeping it\n");
	}
	for (a = att; a < att + n; a++) {
		if (a->plan.n_filters || a->plan.destroy_clsact)
			keep |= PRIVS_BIT(CAP_NET_ADMIN);
		if (a->xdp && a->xdp_link < 0)
			keep |= PRIVS_BIT(CAP_NET_ADMIN) | PRIVS_BIT(CAP_SYS_ADMIN) |
				PRIVS_BIT(CAP_BPF) | PRIVS_BIT(CAP_PERFMON);
	}
	err = privs_drop(keep);
	if (err) {
		pr_warn("cannot drop capabilities after attaching: %s; running with them\n",
			strerror(-err));
		return;
	}
	pr_info("dropped capabilities after attaching: effective set %#llx, was %#llx\n",
		(unsigned long long)privs_effective(), (unsigned long long)before);
}
