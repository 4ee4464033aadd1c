// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>

#include "guard.h"
#include "log.h"

static void undo_xdp(const struct guard_plan *p)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog = NULL;

	mp = xdp_multiprog__get_from_ifindex(p->ifindex);
	if (libxdp_get_error(mp))
		return;   /* nothing attached any more (or the link is gone) */
	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		if (prog && xdp_program__id(prog) == p->xdp_prog_id)
			xdp_multiprog__detach(mp);
	} else {
		while ((prog = xdp_multiprog__next_prog(prog, mp))) {
			if (xdp_program__id(prog) == p->xdp_prog_id) {
				xdp_program__detach(prog, p->ifindex,
						    xdp_multiprog__attach_mode(mp), 0);
				break;
			}
		}
	}
	xdp_multiprog__close(mp);
}

static void undo_tc(const struct guard_plan *p)
{
	int i;

	for (i = 0; i < p->n_filters; i++) {
		const struct guard_tc_filter *f = &p->filters[i];
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = p->ifindex,
				    .attach_point = f->attach_point);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = f->handle,
				    .priority = f->priority);

		bpf_tc_detach(&hook, &opts);
	}
	if (p->destroy_clsact) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = p->ifindex,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);
	}
}

void guard_undo(const struct guard_plan *p)
{
	if (p->xdp_prog_id)
		undo_xdp(p);
	undo_tc(p);
}

static bool plan_empty(const struct guard_plan *p)
{
	return !p->xdp_prog_id && !p->n_filters && !p->destroy_clsact;
}

/*
 * The watchdog keeps nothing of the daemon's but the pipe: holding the
 * daemon's map, program or link fds would keep them alive after it died.
 * It ignores the terminal's signals, so Ctrl-C reaches only the daemon,
 * which then cleans up and releases it.
 */
static void __attribute__((noreturn)) guard_main(int rfd, int wfd,
						 const struct guard_plan *p)
{
	char c = 0;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	setsid();
	/* The write end must go even if it got a low number (stdio closed
	 * when the daemon started), or the pipe never reports EOF. */
	if (wfd != 3)
		close(wfd);
	if (dup2(rfd, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);

	do
		n = read(3, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && c == 'D')
		_exit(0);

	guard_undo(p);
	fprintf(stderr, "pping: daemon ended without cleaning up; detached its programs from ifindex %d\n",
		p->ifindex);
	_exit(0);
}

int guard_start(struct guard *g, const struct guard_plan *plan)
{
	int fds[2];
	pid_t pid;

	g->pid = -1;
	g->fd = -1;
	if (plan_empty(plan))
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		pr_warn("cannot start the detach watchdog: %s\n", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		pr_warn("cannot start the detach watchdog: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0)
		guard_main(fds[0], fds[1], plan);

	close(fds[0]);
	g->pid = pid;
	g->fd = fds[1];
	pr_debug("detach watchdog running as pid %d\n", pid);
	return 0;
}

void guard_release(struct guard *g)
{
	if (g->fd >= 0) {
		if (write(g->fd, "D", 1) != 1)
			pr_debug("watchdog pipe: %s\n", strerror(errno));
		close(g->fd);
		g->fd = -1;
	}
	if (g->pid > 0) {
		while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
			;
		g->pid = -1;
	}
}
