// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "loader.h"
#include "log.h"
#include "pping_cleanup.skel.h"
#include "pping_tc.skel.h"

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct bpf_link *attach_iter(struct bpf_program *prog, int map_fd)
{
	union bpf_iter_link_info info = { .map.map_fd = map_fd };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts,
		.link_info = &info,
		.link_info_len = sizeof(info),
	);
	struct bpf_link *link = bpf_program__attach_iter(prog, &opts);

	if (!link)
		pr_warn("cannot attach cleanup iterator %s: %s\n",
			bpf_program__name(prog), strerror(errno));
	return link;
}

int cleanup_open(struct cleanup *c, const struct pping_bpf *b)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->skel = pping_cleanup__open();
	if (!c->skel) {
		err = -errno;
		pr_warn("cannot open the cleanup programs: %s\n", strerror(errno));
		return err;
	}
	err = pping_bpf_share_maps(c->skel->obj, b->tc->obj);
	if (err)
		return err;
	err = pping_cleanup__load(c->skel);
	if (err) {
		pr_warn("cannot load the cleanup iterators (needs BPF iterators, Linux 5.9, and kernel BTF): %s\n",
			strerror(-err));
		return err;
	}
	c->flows_link = attach_iter(c->skel->progs.cleanup_flows,
				    bpf_map__fd(b->tc->maps.flow_map));
	if (!c->flows_link)
		return -errno;
	c->ts_link = attach_iter(c->skel->progs.cleanup_ts,
				 bpf_map__fd(b->tc->maps.ts_map));
	if (!c->ts_link)
		return -errno;
	return 0;
}

/*
 * An iterator runs while its fd is read; it prints nothing, so each read
 * returns 0 at the end of the map. The kernel stops a read after a
 * million elements with EAGAIN when nothing was printed: go on reading.
 */
static int run_iter(struct bpf_link *link)
{
	char buf[64];
	int fd, err = 0;
	ssize_t n;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			err = -errno;
		break;
	}
	close(fd);
	return err;
}

static void add_stats(struct cleanup_stats *sum, const struct cleanup_stats *s)
{
	const __u64 *src = (const __u64 *)s;
	__u64 *dst = (__u64 *)sum;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(__u64); i++)
		dst[i] += src[i];
}

int cleanup_run(struct cleanup *c, const struct cleanup_params *p,
		struct cleanup_stats *out)
{
	__u64 wall = clock_ns(CLOCK_MONOTONIC);
	__u64 cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int err;

	c->skel->bss->params = *p;
	memset(&c->skel->bss->stats, 0, sizeof(c->skel->bss->stats));
	/* Flows first: identifiers of a flow removed now go in the same run. */
	err = run_iter(c->flows_link);
	c->last_flows_ns = clock_ns(CLOCK_MONOTONIC) - wall;
	if (!err)
		err = run_iter(c->ts_link);
	*out = c->skel->bss->stats;

	wall = clock_ns(CLOCK_MONOTONIC) - wall;
	c->last_ts_ns = wall - c->last_flows_ns;
	c->totals.runs++;
	c->totals.wall_ns += wall;
	if (wall > c->totals.wall_max_ns)
		c->totals.wall_max_ns = wall;
	c->totals.cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	add_stats(&c->totals.sum, out);
	if (err)
		pr_warn("map cleanup failed: %s\n", strerror(-err));
	return err;
}

void cleanup_close(struct cleanup *c)
{
	bpf_link__destroy(c->ts_link);
	bpf_link__destroy(c->flows_link);
	pping_cleanup__destroy(c->skel);
	memset(c, 0, sizeof(*c));
}
