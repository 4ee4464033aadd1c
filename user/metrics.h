/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --metrics: /metrics in the Prometheus text exposition format, served by
 * libmicrohttpd from the daemon's own event loop (no thread: the page is
 * built from the same state the loop updates, so nothing needs a lock).
 */
#ifndef PPING_METRICS_H
#define PPING_METRICS_H

#include <stdio.h>
#include <sys/socket.h>
#include <linux/types.h>

struct aggregate;
struct event_sink;
struct pping_bpf;
struct upkeep;

/* The modules whose figures a page shows: it reads them only through one
 * stats view (stats_view.h), filled for each scrape. */
struct metrics_source {
	struct pping_bpf *bpf;
	struct upkeep *up;
	struct aggregate *agg;
	struct event_sink *sink;
};

struct metrics {
	struct MHD_Daemon *mhd;
	struct metrics_source src;
	unsigned long long scrapes;
};

/* Listen on addr. Returns 0, or -1 after saying why. */
int metrics_start(struct metrics *m, const struct sockaddr_storage *addr,
		  const struct metrics_source *src);
/* An fd that becomes readable when the server has work; -1 if none. */
int metrics_poll_fd(const struct metrics *m);
/* Serve whatever is pending; never blocks. */
void metrics_run(struct metrics *m);
void metrics_stop(struct metrics *m);

/* The page itself (also used by the tests through the daemon). */
void metrics_render(FILE *f, const struct metrics_source *src);

#endif /* PPING_METRICS_H */
