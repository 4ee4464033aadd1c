// SPDX-License-Identifier: GPL-2.0
/*
 * pping --probe, the features that need no interface: BPF permission,
 * kernel BTF, ring buffers, the three cleanup mechanisms, test runs (what
 * --read replays through) and the lockdown mode. Each is found by doing
 * it: creating, loading and running, never from the kernel version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "loader.h"
#include "probe_priv.h"
#include "replay.h"
#include "pping_tc.skel.h"

#define LOCKDOWN_PATH "/sys/kernel/security/lockdown"
#define LSM_PATH "/sys/kernel/security/lsm"

/* The simplest BPF object there is: anything else needs this first. */
static bool probe_permission(void)
{
	char why[200];
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0) {
		probe_explain(why, sizeof(why), -errno);
		probe_say(PROBE_PERMISSION, PROBE_NO, "%s", why);
		return false;
	}
	close(fd);
	probe_say(PROBE_PERMISSION, PROBE_YES, "%s", "");
	return true;
}

/* Iterators' context types are relocated against it (CO-RE), and libxdp's
 * dispatcher extensions are typed by it. */
static void probe_btf(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long err = libbpf_get_error(btf);

	if (err) {
		probe_say(PROBE_BTF, PROBE_NO, "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s",
			  strerror(-err));
		return;
	}
	probe_say(PROBE_BTF, PROBE_YES, "%u types", btf__type_cnt(btf));
	btf__free(btf);
}

/* Every event reaches the daemon through one. */
static void probe_ringbuf(void)
{
	char why[200];
	int ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);

	if (ret == 1) {
		probe_say(PROBE_RINGBUF, PROBE_YES, "%s", "");
		return;
	}
	if (ret == 0) {
		probe_say(PROBE_RINGBUF, PROBE_NO, "the kernel cannot create BPF ring buffers");
		return;
	}
	probe_explain(why, sizeof(why), ret);
	probe_say(PROBE_RINGBUF, PROBE_NO, "%s", why);
}

static const enum probe_id mech_line[CLEANUP_MECHS] = {
	[CLEANUP_ITER] = PROBE_ITER,
	[CLEANUP_FOREACH] = PROBE_FOREACH,
	[CLEANUP_BATCH] = PROBE_BATCH,
};

static const char *const mech_short[CLEANUP_MECHS] = {
	[CLEANUP_ITER] = "iterators",
	[CLEANUP_FOREACH] = "syscall programs",
	[CLEANUP_BATCH] = "batched map syscalls",
};

/*
 * Each mechanism loaded on maps of its own and run once (cleanup_probe),
 * then the daemon's choice: the first that works, in the daemon's order.
 */
static void probe_cleanup(void)
{
	char why[160], refused[160] = "";
	const enum cleanup_mech *order;
	enum cleanup_mech m, use = CLEANUP_AUTO;
	size_t n, i;
	int err;

	order = cleanup_auto_order(&n);
	for (i = 0; i < n; i++) {
		m = order[i];
		err = cleanup_probe(m, why, sizeof(why));
		if (err)
			probe_say(mech_line[m], PROBE_NO, "%s", why);
		else
			probe_say(mech_line[m], PROBE_YES, "%s", "");
		if (!err && use == CLEANUP_AUTO)
			use = m;
		if (err && use == CLEANUP_AUTO)
			snprintf(refused + strlen(refused), sizeof(refused) - strlen(refused),
				 "%s%s", refused[0] ? " and " : "", mech_short[m]);
	}
	if (use == CLEANUP_AUTO)
		probe_say(PROBE_CLEANUP_USE, PROBE_NO,
			  "the kernel refused every mechanism (-c 0 runs without cleanup)");
	else
		probe_say(PROBE_CLEANUP_USE, PROBE_VALUE, "%s%s%s%s",
			  cleanup_mech_name(use), refused[0] ? " (" : "", refused,
			  refused[0] ? " refused)" : "");
}

/*
 * --read runs each packet through the tc programs built for replay, by
 * BPF_PROG_TEST_RUN with the capture time and length in the context: do
 * exactly that with one small TCP packet.
 */
static void probe_test_run(void)
{
	static const __u8 frame[] = {
		[12] = 0x08, [13] = 0x00,                  /* Ethernet: IPv4 */
		[14] = 0x45, [17] = 40, [22] = 64, [23] = 6, /* IPv4: 40 bytes, TCP */
		[26] = 10, [29] = 1, [30] = 10, [33] = 2,    /* 10.0.0.1 -> 10.0.0.2 */
		[34] = 0x30, [35] = 0x39, [36] = 0x00, [37] = 0x50,
		[46] = 0x50, [47] = 0x10, [48] = 0xff,     /* TCP: ACK */
		[53] = 0,
	};
	struct capture_pkt p = {
		.time_ns = CAPTURE_CLOCK_OFFSET_NS,
		.data_len = sizeof(frame),
		.wire_len = sizeof(frame),
		.dir = PPING_DIR_OUT,
	};
	struct datapath_config cfg;
	struct replay rp = {};
	struct pping_bpf b;
	char why[200];
	int err;

	memcpy(p.frame, frame, sizeof(frame));
	probe_datapath_config(&cfg, false, true);
	err = pping_bpf_load(&b, &cfg);
	if (err) {
		probe_explain(why, sizeof(why), err);
		probe_say(PROBE_TEST_RUN, PROBE_NO, "the replay programs do not load: %s", why);
		goto out;
	}
	replay_set_progs(&rp, bpf_program__fd(b.tc->progs.pping_tc_egress),
			 bpf_program__fd(b.tc->progs.pping_tc_ingress));
	err = replay_feed(&rp, &p);
	if (err) {
		probe_explain(why, sizeof(why), err);
		probe_say(PROBE_TEST_RUN, PROBE_NO, "the kernel refused to run a packet through them: %s",
			  why);
	} else {
		probe_say(PROBE_TEST_RUN, PROBE_YES, "%s", "");
	}
out:
	pping_bpf_destroy(&b);
}

/* The bracketed word of "none [integrity] confidentiality". */
static int read_lockdown(char *mode, size_t len)
{
	char line[128], *open, *close;
	FILE *f = fopen(LOCKDOWN_PATH, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		err = -EIO;
	fclose(f);
	open = err ? NULL : strchr(line, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return err ?: -EINVAL;
	snprintf(mode, len, "%.*s", (int)(close - open - 1), open + 1);
	return 0;
}

/* The active LSMs, which is where a refusal as root comes from (the BPF
 * LSM, lockdown). Empty if unknown. */
static void read_lsms(char *lsms, size_t len)
{
	FILE *f = fopen(LSM_PATH, "r");

	lsms[0] = '\0';
	if (!f)
		return;
	if (!fgets(lsms, len, f))
		lsms[0] = '\0';
	lsms[strcspn(lsms, "\n")] = '\0';
	fclose(f);
}

/*
 * securityfs is not always mounted; in our own mount namespace it can be
 * mounted read-only for the read, invisibly to the host.
 */
static void probe_lockdown(bool own_mounts)
{
	char mode[32], lsms[160];
	int err, merr = 0;

	err = read_lockdown(mode, sizeof(mode));
	if (err == -ENOENT && own_mounts) {
		merr = probe_mount_securityfs();
		if (!merr)
			err = read_lockdown(mode, sizeof(mode));
	}
	if (err == -ENOENT && !own_mounts)
		probe_say(PROBE_LOCKDOWN, PROBE_VALUE,
			  "not readable: securityfs is not mounted, and without a private mount namespace the probe does not mount it");
	else if (merr)
		probe_say(PROBE_LOCKDOWN, PROBE_VALUE,
			  "not readable: securityfs is not mounted and mounting it failed: %s",
			  strerror(-merr));
	else if (err == -ENOENT)
		probe_say(PROBE_LOCKDOWN, PROBE_VALUE,
			  "not readable: %s does not exist (no lockdown LSM)", LOCKDOWN_PATH);
	else if (err)
		probe_say(PROBE_LOCKDOWN, PROBE_VALUE, "not readable: %s: %s",
			  LOCKDOWN_PATH, strerror(-err));
	if (err)
		return;
	read_lsms(lsms, sizeof(lsms));
	probe_say(PROBE_LOCKDOWN, PROBE_VALUE, "%s%s%s%s", mode,
		  lsms[0] ? " (active LSMs: " : "", lsms, lsms[0] ? ")" : "");
}

void probe_kernel(bool own_mounts)
{
	probe_btf();
	probe_lockdown(own_mounts);
	if (!probe_permission())
		return;   /* the rest is "not tried", said by the report */
	probe_ringbuf();
	probe_cleanup();
	probe_test_run();
}
