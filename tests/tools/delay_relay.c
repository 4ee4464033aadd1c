/*
 * delay_relay - an L2 relay that adds a one-way delay between two interfaces.
 *
 * The pping tests need a network path with a known RTT, and the test machines
 * have no netem. So the tests join client and server through a third network
 * namespace where this program bridges two veths: every frame received on one
 * interface is held for DELAY_MS (plus an optional random jitter in
 * [0, JITTER_MS]) and then transmitted unchanged on the other interface. The
 * delay applies to each direction, so the path RTT grows by 2 x DELAY_MS.
 *
 *   usage: delay_relay -a IF_A -b IF_B -d DELAY_MS [-j JITTER_MS]
 *                      [-l LOSS_PERCENT [-S SEED]] [-s SPIN_US] [-p RT_PRIO] [-v]
 *
 * -l drops that share of the frames going from IF_A to IF_B (only that
 * direction, so a test knows which side retransmits), chosen by a
 * generator seeded with -S (default 1): the same seed drops the same
 * frames of the same traffic.
 *
 * Design, briefly:
 *  - one AF_PACKET/SOCK_RAW socket per interface, bound to it with ETH_P_ALL,
 *    in promiscuous mode, ignoring its own transmissions;
 *  - a FIFO per direction; each frame gets a release time when it arrives.
 *    With jitter, a frame is never released before the frame ahead of it, so
 *    the relay reorders nothing (real paths rarely reorder, and TCP would
 *    react to reordering with dup-ACKs and spurious retransmissions);
 *  - one thread, epoll over the two sockets, a signalfd and a timerfd that is
 *    armed for the earliest release time with an absolute CLOCK_MONOTONIC
 *    deadline (timerfd expiries are not subject to timer slack);
 *  - waking from a timer takes 30-200 us, occasionally 400 us, in the VMs the
 *    tests run in (the vCPU halts when idle), which would add that much to
 *    each frame's delay. So the timer is set SPIN_US early and the last
 *    stretch is spent polling (epoll_wait with timeout 0, which keeps
 *    receiving meanwhile), which lands releases within a few microseconds;
 *  - it runs SCHED_FIFO (priority 1 by default): with ordinary priority, any
 *    CPU hog (a compiler, iperf3, the monitor under test) delays releases by
 *    milliseconds and the path RTT is no longer what the test assumes.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o delay_relay delay_relay.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_CAP   65536u          /* frames held per direction */
#define QUEUE_BYTES (256u << 20)    /* bytes held per direction */
#define FRAME_MAX   (256u << 10)    /* receive buffer: a 64 KiB GSO frame fits */
#define RX_BATCH    64              /* frames read per wakeup before releasing */
#define NS_PER_SEC  1000000000ull
#define SPIN_US_DEFAULT 300u        /* covers ~p99 of timer wakeup latency */
#define RT_PRIO_DEFAULT 1           /* above every SCHED_OTHER task */

struct frame {
	uint64_t due;           /* CLOCK_MONOTONIC ns at which to transmit */
	uint32_t len;
	unsigned char data[];   /* virtio_net_hdr + Ethernet frame */
};

struct dir {
	char name[2 * IF_NAMESIZE + 4];
	int in, out;                    /* receive socket, transmit socket */
	struct frame **ring;            /* FIFO of QUEUE_CAP slots */
	uint32_t head, count;
	size_t bytes;
	uint64_t last_due;
	/* counters reported at exit */
	uint64_t fwd, drop_full, drop_big, drop_tx, rx_err, no_tstamp;
	uint64_t drop_loss;             /* dropped on purpose (-l) */
	uint64_t loss_ppm;              /* -l, per million; a->b only */
	uint64_t late_sum, late_max;    /* transmit time minus due time, ns */
};

static uint64_t delay_ns, jitter_ns, spin_ns = SPIN_US_DEFAULT * 1000ull;
static uint64_t loss_ppm;
static int verbose;
static unsigned char rxbuf[FRAME_MAX];

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* xorshift64*: jitter needs no cryptographic quality, only cheap uniformity */
static uint64_t rnd_state, loss_state = 1;
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd(void)
{
	return rnd_next(&rnd_state);
}

static void die(const char *what)
{
	fprintf(stderr, "delay_relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* "2.5" -> 2500000 ns; rejects junk, negatives and absurd values */
static uint64_t parse_ms(const char *s, const char *opt)
{
	char *end;
	double ms = strtod(s, &end);

	if (end == s || *end || !(ms >= 0 && ms <= 60000)) {
		fprintf(stderr, "delay_relay: bad value for %s: '%s'\n", opt, s);
		exit(2);
	}
	return (uint64_t)(ms * 1e6 + 0.5);
}

static int open_if(const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);
	int one = 1, bufsz = 16 << 20, fd;
	struct sockaddr_ll sll = { 0 };
	struct packet_mreq mr = { 0 };

	if (!idx) {
		fprintf(stderr, "delay_relay: no interface '%s'\n", ifname);
		exit(1);
	}
	/* Protocol 0: the socket receives nothing until bound to one interface,
	 * so no frame from another interface can slip in. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET)");
	/* Without this the socket would read back every frame we send on it
	 * and bounce it straight back. */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
		die("PACKET_IGNORE_OUTGOING");
	/* A frame from a stack with checksum offload carries only a partial
	 * checksum (CHECKSUM_PARTIAL) and may be a GSO super-frame. The virtio
	 * net header says so on receive and, handed back on transmit, lets the
	 * kernel finish the job on the far side. Without it such frames arrive
	 * with bad TCP checksums, or are rejected as larger than the MTU. */
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)))
		die("PACKET_VNET_HDR");
	/* Kernel receive timestamps let the delay count from the moment the
	 * frame reached the socket, not from when this process woke up. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		die("SO_TIMESTAMPNS");
	/* Large buffers absorb bursts (iperf3) while we are busy sending. The
	 * FORCE variants need CAP_NET_ADMIN; fall back to the capped ones. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
	/* We forward frames addressed to the far side's MAC, not ours. */
	mr.mr_ifindex = idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		die("PACKET_MR_PROMISC");
	return fd;
}

/* When did the kernel receive this frame, on the CLOCK_MONOTONIC scale?
 * SO_TIMESTAMPNS stamps with CLOCK_REALTIME, so convert via the frame's age
 * rather than via a fixed offset, which a clock step would invalidate. */
static uint64_t arrival_ns(struct msghdr *m, struct dir *d)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			int64_t age;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			age = (int64_t)(clock_ns(CLOCK_REALTIME) -
					((uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec));
			/* Ignore stamps that are not plausible receive times
			 * (e.g. a clock step, or a sender-side delivery time). */
			if (age >= 0 && age < (int64_t)NS_PER_SEC)
				return now - age;
			break;
		}
	}
	d->no_tstamp++;
	return now;
}

static void enqueue(struct dir *d, const void *data, size_t len, uint64_t arrival)
{
	struct frame *f;
	uint64_t due;

	if (d->count == QUEUE_CAP || d->bytes + len > QUEUE_BYTES) {
		d->drop_full++;
		return;
	}
	f = malloc(sizeof(*f) + len);
	if (!f) {
		d->drop_full++;
		return;
	}
	due = arrival + delay_ns + (jitter_ns ? rnd() % (jitter_ns + 1) : 0);
	if (due < d->last_due)          /* keep FIFO order despite jitter */
		due = d->last_due;
	d->last_due = due;
	f->due = due;
	f->len = len;
	memcpy(f->data, data, len);
	d->ring[(d->head + d->count) % QUEUE_CAP] = f;
	d->count++;
	d->bytes += len;
}

/* Read what is waiting on d->in, up to a batch so that due frames in the
 * other direction are not held up by a flood in this one. */
static void receive(struct dir *d)
{
	char cbuf[CMSG_SPACE(sizeof(struct timespec)) + 64];

	for (int i = 0; i < RX_BATCH; i++) {
		struct sockaddr_ll from;
		struct iovec iov = { rxbuf, sizeof(rxbuf) };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t n = recvmsg(d->in, &m, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/* e.g. a GSO type the vnet header cannot express:
			 * the kernel dropped that frame; carry on. */
			d->rx_err++;
			if (verbose)
				fprintf(stderr, "delay_relay: %s: recv: %s\n",
					d->name, strerror(errno));
			continue;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;       /* belt and braces, see IGNORE_OUTGOING */
		if ((m.msg_flags & MSG_TRUNC) || (size_t)n > sizeof(rxbuf)) {
			d->drop_big++;
			continue;
		}
		if (d->loss_ppm && rnd_next(&loss_state) % 1000000 < d->loss_ppm) {
			d->drop_loss++;
			continue;
		}
		enqueue(d, rxbuf, n, arrival_ns(&m, d));
	}
}

/* Transmit every frame whose time has come. */
static void release(struct dir *d)
{
	while (d->count) {
		struct frame *f = d->ring[d->head];
		uint64_t now = clock_ns(CLOCK_MONOTONIC), late;

		if (f->due > now)
			return;
		late = now - f->due;
		d->late_sum += late;
		if (late > d->late_max)
			d->late_max = late;
		if (send(d->out, f->data, f->len, 0) < 0) {
			d->drop_tx++;
			if (verbose)
				fprintf(stderr, "delay_relay: %s: send: %s\n",
					d->name, strerror(errno));
		} else {
			d->fwd++;
			if (verbose)
				fprintf(stderr, "delay_relay: %s len=%u queued=%u late=%.1fus\n",
					d->name, f->len, d->count - 1, late / 1e3);
		}
		d->ring[d->head] = NULL;
		d->head = (d->head + 1) % QUEUE_CAP;
		d->count--;
		d->bytes -= f->len;
		free(f);
	}
}

static void report(struct dir *d)
{
	struct tpacket_stats st = { 0 };
	socklen_t sl = sizeof(st);
	uint64_t sent = d->fwd + d->drop_tx;

	/* Frames the kernel dropped because our receive buffer was full. */
	getsockopt(d->in, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	fprintf(stderr,
		"delay_relay: %s: forwarded %llu, dropped %llu (queue full %llu, "
		"oversize %llu, send error %llu, recv error %llu, socket %u); "
		"no rx timestamp %llu; lateness avg %.1f us max %.1f us%s",
		d->name, (unsigned long long)d->fwd,
		(unsigned long long)(d->drop_full + d->drop_big + d->drop_tx + d->rx_err + st.tp_drops),
		(unsigned long long)d->drop_full, (unsigned long long)d->drop_big,
		(unsigned long long)d->drop_tx, (unsigned long long)d->rx_err,
		st.tp_drops, (unsigned long long)d->no_tstamp,
		sent ? d->late_sum / 1e3 / sent : 0.0, d->late_max / 1e3,
		d->loss_ppm ? "" : "\n");
	if (d->loss_ppm)
		fprintf(stderr, "; dropped on purpose (-l) %llu\n",
			(unsigned long long)d->drop_loss);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: delay_relay -a IF_A -b IF_B -d DELAY_MS [-j JITTER_MS]\n"
		"                   [-l LOSS_PERCENT [-S SEED]] [-s SPIN_US] [-p RT_PRIO] [-v]\n"
		"  Relays all frames between IF_A and IF_B, delaying each by\n"
		"  DELAY_MS plus a uniform random [0, JITTER_MS], in both\n"
		"  directions (so the RTT grows by twice that). Order is kept.\n"
		"  -l drops LOSS_PERCENT of the frames from IF_A to IF_B, chosen by a\n"
		"  generator seeded with -S (default 1).\n"
		"  -s polls for the last SPIN_US before each release instead of\n"
		"  sleeping, for precision (default %u; 0 saves CPU).\n"
		"  -p runs SCHED_FIFO at RT_PRIO (default %d; 0: normal priority).\n"
		"  -v traces every frame to stderr (slow; for debugging).\n",
		SPIN_US_DEFAULT, RT_PRIO_DEFAULT);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *if_a = NULL, *if_b = NULL;
	bool have_delay = false;
	struct dir dirs[2] = { 0 };
	struct epoll_event ev;
	uint64_t armed = 0;
	sigset_t sigs;
	int sa, sb, tfd, sfd, ep, opt, rt_prio = RT_PRIO_DEFAULT;

	while ((opt = getopt(argc, argv, "a:b:d:j:l:S:s:p:vh")) != -1) {
		switch (opt) {
		case 'a': if_a = optarg; break;
		case 'b': if_b = optarg; break;
		case 'd': delay_ns = parse_ms(optarg, "-d"); have_delay = true; break;
		case 'j': jitter_ns = parse_ms(optarg, "-j"); break;
		/* a percentage, parsed as parse_ms parses ms (0 to 100 here) */
		case 'l': loss_ppm = parse_ms(optarg, "-l") / 100;
			  if (loss_ppm > 1000000) { fprintf(stderr, "delay_relay: -l: 0 to 100\n"); exit(2); }
			  break;
		case 'S': loss_state = strtoull(optarg, NULL, 0) | 1; break;
		case 's': spin_ns = parse_ms(optarg, "-s") / 1000; break;
		case 'p': rt_prio = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (!if_a || !if_b || !have_delay || optind != argc)
		usage();

	/* Signals arrive through a signalfd so that shutdown is just another
	 * event in the loop, and the counters can be printed safely. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL))
		die("sigprocmask");
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd");

	/* Timer slack (50 us by default) would let wakeups run late. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (rt_prio > 0) {
		struct sched_param sp = { .sched_priority = rt_prio };

		/* Not fatal: the relay still works, only less precisely. */
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			fprintf(stderr, "delay_relay: warning: SCHED_FIFO %d: %s\n",
				rt_prio, strerror(errno));
	}
	rnd_state = clock_ns(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32) ^ 1;

	sa = open_if(if_a);
	sb = open_if(if_b);
	snprintf(dirs[0].name, sizeof(dirs[0].name), "%s->%s", if_a, if_b);
	snprintf(dirs[1].name, sizeof(dirs[1].name), "%s->%s", if_b, if_a);
	dirs[0].in = sa; dirs[0].out = sb;
	dirs[1].in = sb; dirs[1].out = sa;
	dirs[0].loss_ppm = loss_ppm;
	for (int i = 0; i < 2; i++) {
		dirs[i].ring = calloc(QUEUE_CAP, sizeof(*dirs[i].ring));
		if (!dirs[i].ring)
			die("calloc");
	}

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (tfd < 0 || ep < 0)
		die("timerfd/epoll");
	int fds[] = { sa, sb, tfd, sfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}

	fprintf(stderr, "delay_relay: %s <-> %s, delay %.3f ms, jitter %.3f ms, "
		"spin %.0f us, rt prio %d, ready\n", if_a, if_b, delay_ns / 1e6,
		jitter_ns / 1e6, spin_ns / 1e3, rt_prio);

	for (;;) {
		struct epoll_event evs[4];
		uint64_t next = 0, wake;
		int n, timeout;

		release(&dirs[0]);
		release(&dirs[1]);

		/* Earliest head-of-queue release time, 0 if both are empty. */
		for (int i = 0; i < 2; i++) {
			if (dirs[i].count) {
				uint64_t due = dirs[i].ring[dirs[i].head]->due;

				if (!next || due < next)
					next = due;
			}
		}
		/* Close to it: poll without sleeping. Otherwise sleep until
		 * SPIN_US before it (or until a frame or signal arrives). */
		if (next && next <= clock_ns(CLOCK_MONOTONIC) + spin_ns) {
			timeout = 0;
			wake = 0;
		} else {
			timeout = -1;
			wake = next ? next - spin_ns : 0;
		}
		if (wake != armed) {
			struct itimerspec its = { 0 };  /* all zero disarms */

			its.it_value.tv_sec = wake / NS_PER_SEC;
			its.it_value.tv_nsec = wake % NS_PER_SEC;
			if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL))
				die("timerfd_settime");
			armed = wake;
		}

		n = epoll_wait(ep, evs, 4, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd)
				goto out;
			if (fd == tfd) {
				uint64_t expirations;

				/* Drain the expiry count; release() runs anyway.
				 * The timer is spent: forget it, or re-arming it
				 * for the same instant would be skipped. */
				if (read(tfd, &expirations, sizeof(expirations)) < 0 &&
				    errno != EAGAIN)
					die("read timerfd");
				armed = 0;
			}
			if (fd == sa)
				receive(&dirs[0]);
			if (fd == sb)
				receive(&dirs[1]);
		}
	}
out:
	report(&dirs[0]);
	report(&dirs[1]);
	return 0;
}
