// SPDX-License-Identifier: GPL-2.0
/*
 * pping --probe: the report. A child process does the trying, in network
 * and mount namespaces of its own (probe_netns.c), so attaching never
 * touches the host's interfaces and libxdp's pins never reach the host's
 * bpffs; each result comes back through a pipe as soon as it is known.
 * This process prints one line per feature, what pping would use, and the
 * verdict, like bpftool's `feature probe`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/wait.h>

#include "log.h"
#include "options.h"
#include "privs.h"
#include "probe.h"
#include "probe_priv.h"

/* Far more than a probe takes (well under a second for the features, a
 * second or two for the attachments); a hung kernel call must still end
 * in a report. */
#define PROBE_TIMEOUT_MS 120000

/* Stable keys: scripts read the line after the key's column. */
static const char *const keys[PROBE_ITEMS] = {
	[PROBE_PERMISSION] = "bpf permission",
	[PROBE_BTF] = "kernel btf",
	[PROBE_RINGBUF] = "ring buffer",
	[PROBE_DATAPATH] = "datapath loads",
	[PROBE_TCX] = "tcx links",
	[PROBE_CLSACT] = "clsact filters",
	[PROBE_XDP_LINK] = "xdp links",
	[PROBE_XDP_NETLINK] = "xdp netlink",
	[PROBE_XDP_DISPATCHER] = "libxdp dispatcher",
	[PROBE_XDP_GENERIC] = "xdp generic mode",
	[PROBE_ITER] = "map-element iterators",
	[PROBE_FOREACH] = "syscall programs",
	[PROBE_BATCH] = "batched map syscalls",
	[PROBE_TEST_RUN] = "test runs (--read)",
	[PROBE_LOCKDOWN] = "lockdown",
	[PROBE_TC_USE] = "tc attachment",
	[PROBE_XDP_USE] = "xdp (-I xdp)",
	[PROBE_CLEANUP_USE] = "cleanup",
};

#define KEY_WIDTH 26

/* ------------------------------------------------------------------------
 * The child: results as they come
 * ------------------------------------------------------------------------ */

static int say_fd = -1;
static struct probe_msg mine[PROBE_ITEMS];

void probe_say(enum probe_id id, enum probe_state st, const char *fmt, ...)
{
	struct probe_msg *m = &mine[id];
	va_list ap;

	m->id = id;
	m->state = st;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	pr_debug("probe: %s: %s%s\n", keys[id],
		 st == PROBE_YES ? "yes " : st == PROBE_NO ? "no: " : "", m->text);
	if (say_fd >= 0 && write(say_fd, m, sizeof(*m)) != sizeof(*m))
		pr_debug("probe: cannot pass a result on: %s\n", strerror(errno));
}

enum probe_state probe_state_of(enum probe_id id)
{
	return mine[id].state;
}

void probe_explain(char *buf, size_t len, int err)
{
	bool bpf = privs_have(CAP_BPF) || privs_have(CAP_SYS_ADMIN);
	bool perfmon = privs_have(CAP_PERFMON) || privs_have(CAP_SYS_ADMIN);
	bool net = privs_have(CAP_NET_ADMIN);

	if (err != -EPERM && err != -EACCES)
		snprintf(buf, len, "%s", strerror(-err));
	else if (!bpf || !perfmon || !net)
		snprintf(buf, len, "not allowed: %s (this process lacks %s%s%s%s%s; pping needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)",
			 strerror(-err), bpf ? "" : "CAP_BPF",
			 !bpf && !net ? ", " : "", net ? "" : "CAP_NET_ADMIN",
			 (!bpf || !net) && !perfmon ? ", " : "",
			 perfmon ? "" : "CAP_PERFMON");
	else
		snprintf(buf, len, "%s with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON: a security policy refused it (lockdown, an LSM)",
			 strerror(-err));
}

/*
 * The attempts that fail are expected, and each failure is in the report
 * with its reason; the daemon's code would also warn about it on stderr.
 * Without -v the child's stderr goes nowhere.
 */
static void quiet_stderr(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void child_run(int fd)
{
	bool own_mounts;
	char why[200];
	int err;

	say_fd = fd;
	if (log_get_level() < LOG_INFO)
		quiet_stderr();
	err = probe_netns_enter(&own_mounts, why, sizeof(why));
	if (err)
		pr_info("probe: %s\n", why);
	probe_kernel(own_mounts);
	probe_attach(err ? why : NULL);
	close(fd);
}

/* ------------------------------------------------------------------------
 * The parent: collecting and printing
 * ------------------------------------------------------------------------ */

struct report {
	struct probe_msg item[PROBE_ITEMS];
	char lost[120];     /* why results may be missing ("" if the child ended well) */
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Read results until the child closes the pipe, or the time is up.
 * Returns false on timeout. */
static bool collect(int fd, struct report *r)
{
	__u64 deadline = now_ms() + PROBE_TIMEOUT_MS, now;
	struct probe_msg m;
	size_t have = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ready;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			return false;
		ready = poll(&p, 1, deadline - now);
		if (ready < 0 && errno != EINTR)
			return true;
		if (ready <= 0)
			continue;
		n = read(fd, (char *)&m + have, sizeof(m) - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return true;
		have += n;
		if (have < sizeof(m))
			continue;
		have = 0;
		if (m.id < PROBE_ITEMS) {
			m.text[sizeof(m.text) - 1] = '\0';
			r->item[m.id] = m;
		}
	}
}

static void reap(pid_t pid, bool timed_out, struct report *r)
{
	int status;

	if (timed_out) {
		kill(pid, SIGKILL);
		snprintf(r->lost, sizeof(r->lost), "the probe took longer than %d s and was stopped",
			 PROBE_TIMEOUT_MS / 1000);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return;
	if (timed_out)
		return;
	if (WIFSIGNALED(status))
		snprintf(r->lost, sizeof(r->lost), "the probe process died (%s)",
			 strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		snprintf(r->lost, sizeof(r->lost), "the probe process failed (status %d)",
			 WEXITSTATUS(status));
}

/* Why an item has no result: the child died first, or it was not tried
 * because BPF is not allowed at all. */
static const char *untried_why(const struct report *r)
{
	if (r->lost[0])
		return r->lost;
	if (r->item[PROBE_PERMISSION].state == PROBE_NO)
		return "BPF is not allowed (bpf permission)";
	return "no result";
}

static void print_feature(FILE *f, const struct report *r, enum probe_id id)
{
	const struct probe_msg *m = &r->item[id];

	fprintf(f, "%-*s ", KEY_WIDTH, keys[id]);
	switch (m->state) {
	case PROBE_YES:
		fprintf(f, m->text[0] ? "yes (%s)\n" : "yes%s\n", m->text);
		break;
	case PROBE_NO:
		fprintf(f, "no: %s\n", m->text);
		break;
	case PROBE_VALUE:
		fprintf(f, "%s\n", m->text);
		break;
	default:
		fprintf(f, id == PROBE_LOCKDOWN ? "not readable: not tried: %s\n" :
			"no: not tried: %s\n", untried_why(r));
	}
}

static void print_use(FILE *f, const struct report *r, enum probe_id id)
{
	const struct probe_msg *m = &r->item[id];

	if (m->state == PROBE_VALUE)
		fprintf(f, "%s: %s\n", keys[id], m->text);
	else if (m->state == PROBE_NO)
		fprintf(f, "%s: none: %s\n", keys[id], m->text);
	else
		fprintf(f, "%s: none: not tried: %s\n", keys[id], untried_why(r));
}

/*
 * pping -i runs (with its defaults) if it may use BPF, has a ring buffer,
 * its datapath loads, some tc attachment works and some cleanup mechanism
 * does. Each one missing is named; the first always, the others only if
 * they were tried (the rest follow from the first). Exit status 1 also
 * when a need could not be tried (no namespace to try attaching in):
 * nothing says pping -i would work.
 */
static bool untried(const struct probe_msg *m)
{
	return m->state == PROBE_UNTRIED || !strncmp(m->text, "not tried", 9);
}

static int verdict(FILE *f, const struct report *r)
{
	static const enum probe_id needs[] = {
		PROBE_PERMISSION, PROBE_RINGBUF, PROBE_DATAPATH, PROBE_TC_USE,
		PROBE_CLEANUP_USE,
	};
	const struct probe_msg *m;
	bool any = false, refused = false;
	size_t i;

	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		m = &r->item[needs[i]];
		if (m->state != PROBE_YES && m->state != PROBE_VALUE)
			refused |= !untried(m);
	}
	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		m = &r->item[needs[i]];
		if (m->state == PROBE_YES || m->state == PROBE_VALUE)
			continue;
		if (any && untried(m))
			continue;
		/* Nothing refused, something not tried: that is not a "no". */
		fprintf(f, "%s%s: %s", any ? "; " : refused ?
			"verdict: pping -i cannot run here: " :
			"verdict: pping -i could not be checked here: ",
			keys[needs[i]], m->state == PROBE_NO ? m->text : untried_why(r));
		any = true;
	}
	if (any) {
		fputc('\n', f);
		return EXIT_FAIL;
	}
	fprintf(f, "verdict: pping -i can run here\n");
	return EXIT_OK;
}

static void print_report(FILE *f, const struct report *r)
{
	int id;

	for (id = 0; id < PROBE_FEATURES; id++)
		print_feature(f, r, id);
	fputc('\n', f);
	for (id = PROBE_FEATURES; id < PROBE_ITEMS; id++)
		print_use(f, r, id);
	if (r->item[PROBE_XDP_USE].state == PROBE_VALUE)
		fprintf(f, "note: XDP was tried in native mode on a veth; a real interface has native XDP only if its driver does (-x generic works on any)\n");
}

int probe_run(FILE *f, const struct pping_opts *o)
{
	static struct report r;
	bool timed_out = false, ifaces_ok;
	int fds[2] = { -1, -1 }, ret;
	pid_t pid = -1;

	/* Nothing buffered may be written twice, by the child too. */
	fflush(f);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) == 0)
		pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_run(fds[1]);
		_exit(0);
	}
	if (pid < 0)
		snprintf(r.lost, sizeof(r.lost), "cannot start the probe process: %s",
			 strerror(errno));
	if (fds[1] >= 0)
		close(fds[1]);
	if (pid > 0) {
		timed_out = !collect(fds[0], &r);
		reap(pid, timed_out, &r);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	print_report(f, &r);
	/* Before the verdict: interfaces pping cannot use make it a no. */
	ifaces_ok = probe_interfaces(f, o);
	ret = verdict(f, &r);
	if (ret == EXIT_OK && !ifaces_ok) {
		fprintf(f, "verdict: pping -i cannot run on these interfaces (see above)\n");
		ret = EXIT_FAIL;
	}
	fflush(f);
	return ret;
}
