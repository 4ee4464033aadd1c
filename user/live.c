// SPDX-License-Identifier: GPL-2.0
/* The live loop: events from the ring buffer, metrics requests, and the
 * daemon's schedule on the wall clock. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "daemon.h"
#include "live.h"
#include "log.h"

#define POLL_TIMEOUT_MS 100

/*
 * Wait for events or a metrics request, at most POLL_TIMEOUT_MS. The ring
 * buffer's epoll fd and libmicrohttpd's are both pollable, so one thread
 * serves both and nothing is shared across threads.
 */
static int wait_and_consume(struct daemon *d)
{
	struct pollfd pfd[2] = {
		{ .fd = ring_buffer__epoll_fd(d->rb), .events = POLLIN },
		{ .fd = metrics_poll_fd(&d->metrics), .events = POLLIN },
	};
	int n, err;

	n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, POLL_TIMEOUT_MS);
	if (n < 0 && errno != EINTR)
		return -errno;
	err = ring_buffer__consume(d->rb);
	if (err < 0 && err != -EINTR)
		return err;
	if (pfd[1].fd >= 0)
		metrics_run(&d->metrics);
	return 0;
}

int live_loop(struct daemon *d)
{
	int err;

	daemon_clock_start(d, mono_ns());
	while (!daemon_stop_requested()) {
		err = wait_and_consume(d);
		if (err) {
			pr_warn("reading events failed: %s\n", strerror(-err));
			return EXIT_FAIL;
		}
		err = sched_run(&d->sched, mono_ns());
		if (err < 0)
			return EXIT_FAIL;
		if (err > 0)   /* --duration */
			break;
	}
	daemon_say_stopped();
	return EXIT_OK;
}
