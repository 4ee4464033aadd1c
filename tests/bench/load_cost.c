// SPDX-License-Identifier: GPL-2.0
/*
 * What it costs to load the datapath, which is most of the time pping
 * takes to start: for each way the daemon loads it, the wall time of
 * pping_bpf_load (maps and the tc object; the replay's XDP program and
 * its probe run) and, per program, the instructions the verifier
 * processed (bpf_prog_info.verified_insns, Linux 5.16+; deterministic for
 * a kernel and a build). The XDP ingress program, which libxdp loads when
 * it attaches, is loaded here on its own and timed apart. The floor is
 * loading a two-instruction program in the same run, so the times read as
 * ratios on a noisy machine.
 *
 * Usage: bench_load_cost [REPS]   (default 5; medians). Needs root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "median.h"
#include "pping_tc.skel.h"
#include "pping_xdp.skel.h"

#define MAX_REPS 51

struct how {
	const char *name;
	struct datapath_config cfg;
	bool xdp_ingress;     /* also load the XDP ingress program */
};

static const struct how hows[] = {
	{ .name = "live, tc ingress", .cfg = { .has_l2 = true } },
	{ .name = "live, XDP ingress", .xdp_ingress = true,
	  .cfg = { .has_l2 = true, .xdp_ingress = true } },
	{ .name = "live, -a in the kernel",
	  .cfg = { .has_l2 = true, .max_subnets = 256, .subnet_prefix_v4 = 24,
		   .subnet_prefix_v6 = 48, .agg_kernel = true } },
	{ .name = "replay (XDP test runs)",
	  .cfg = { .has_l2 = true, .replay = true, .replay_xdp = true } },
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* 0 where the kernel does not say (before Linux 5.16). */
static __u32 verified(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.verified_insns;
}

/* ms to load a no-op program, or -errno. */
static double load_noop(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	double t = now_ms();
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "noop", "GPL", insns, 2, NULL);

	t = now_ms() - t;
	if (fd < 0)
		return -errno;
	close(fd);
	return t;
}

static void print_prog(const char *name, int fd)
{
	__u32 n = verified(fd);

	if (n)
		printf("  %-26s %10u\n", name, n);
	else
		printf("  %-26s %10s (the kernel does not say: Linux 5.16+)\n", name, "n/a");
}

/* One load of one way; its programs' counts printed on the first. */
static int load_once(const struct how *h, bool print, double *ms, double *xdp_ms)
{
	struct pping_bpf b;
	double t = now_ms();
	int err = pping_bpf_load(&b, &h->cfg);

	*ms = now_ms() - t;
	*xdp_ms = 0;
	if (err)
		goto out;
	if (h->xdp_ingress) {
		t = now_ms();
		err = pping_xdp__load(b.xdp);
		*xdp_ms = now_ms() - t;
	}
	if (!err && print) {
		/* A replay the kernel refuses XDP test runs for runs the tc
		 * programs of a second object (tc_runs). */
		const struct pping_tc *tc = b.tc_runs ? b.tc_runs : b.tc;

		if (b.replay_xdp_fd >= 0) {
			print_prog("pping_xdp_replay", b.replay_xdp_fd);
		} else {
			if (b.tc_runs)
				printf("  (XDP test runs refused: %s; tc test runs)\n",
				       strerror(-b.replay_xdp_err));
			print_prog("pping_tc_egress", bpf_program__fd(tc->progs.pping_tc_egress));
			if (!h->xdp_ingress)
				print_prog("pping_tc_ingress", bpf_program__fd(tc->progs.pping_tc_ingress));
		}
		if (h->xdp_ingress)
			print_prog("pping_xdp_ingress", bpf_program__fd(b.xdp->progs.pping_xdp_ingress));
	}
out:
	pping_bpf_destroy(&b);
	return err;
}

int main(int argc, char **argv)
{
	double floor_v[MAX_REPS], ms[MAX_REPS], xms[MAX_REPS], fl, m;
	int reps = argc > 1 ? atoi(argv[1]) : 5, i, r, err;

	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "bench_load_cost: REPS must be 1..%d\n", MAX_REPS);
		return 2;
	}
	libbpf_set_print(NULL);
	for (r = 0; r < reps; r++) {
		floor_v[r] = load_noop();
		if (floor_v[r] < 0) {
			fprintf(stderr, "bench_load_cost: cannot load a no-op program: %s\n",
				strerror((int)-floor_v[r]));
			return 1;
		}
	}
	fl = median(floor_v, reps);
	printf("Loading the datapath, medians of %d loads; floor: a no-op program loads in %.3f ms\n",
	       reps, fl);
	for (i = 0; i < (int)(sizeof(hows) / sizeof(hows[0])); i++) {
		const struct how *h = &hows[i];

		printf("%s: instructions the verifier processed\n", h->name);
		for (r = 0; r < reps; r++) {
			err = load_once(h, r == 0, &ms[r], &xms[r]);
			if (err) {
				fprintf(stderr, "bench_load_cost: %s: load failed: %s\n",
					h->name, strerror(-err));
				return 1;
			}
		}
		m = median(ms, reps);
		printf("  load (pping_bpf_load)     %8.1f ms  (%.0f x the floor)\n",
		       m, m / fl);
		if (h->xdp_ingress) {
			m = median(xms, reps);
			printf("  load of the XDP program   %8.1f ms  (%.0f x the floor)\n",
			       m, m / fl);
		}
	}
	return 0;
}
