/*
 * tcp_pulse - paced, one-way TCP traffic for the sampling tests.
 *
 *   server: tcp_pulse -s [-p PORT] [-6] [-t SECONDS]
 *   client: tcp_pulse -c HOST [-p PORT] -i INTERVAL_US -t SECONDS [-n CONNS]
 *                     [-l BYTES] [-P]
 *
 * The client opens CONNS connections and, every INTERVAL_US on each of
 * them, writes one segment's worth of bytes (the connection's MSS, read
 * with TCP_MAXSEG after connecting; -l overrides it). TCP_NODELAY is set, so
 * each write leaves at once as one full-sized segment. With an interval
 * above 1 ms each segment carries its own TSval (Linux' TCP timestamp clock
 * ticks every millisecond).
 *
 * The server reads and discards everything and never writes, so the client
 * only ever receives ACKs, and those follow the receiver's delayed-ACK rule:
 * Linux ACKs every second full-sized segment at once, and the ACK echoes the
 * TSval of the FIRST segment of the pair (RFC 7323: ts_recent is only taken
 * from a segment at the left edge of the window, i.e. the first one since
 * the last ACK). The second segment's TSval is never echoed, which is the
 * workload pping's --burst sampling is for.
 *
 * PSH: the segments are sent WITHOUT the PSH flag (each write passes
 * MSG_MORE; a full-sized segment still leaves at once, as in the middle of
 * a bulk transfer). Since Linux 6.6 ("tcp: fix delayed ACKs for MSS
 * boundary condition", also in stable kernels) a receiver ACKs a full-sized
 * segment that has PSH set as soon as the application has read everything,
 * so a server that reads each segment as it arrives would ACK every segment
 * and echo every TSval (seen on 6.18: 1318 ACKs for 1324 segments with PSH,
 * 668 without). -P sends every segment with PSH (a plain write).
 *
 * Pacing: one thread, absolute CLOCK_MONOTONIC deadlines with
 * clock_nanosleep(TIMER_ABSTIME) and 1 ns timer slack, so the pace does not
 * drift with the time spent writing. The connections' ticks are spread
 * evenly over the interval (connection k writes at k * INTERVAL / CONNS
 * into each interval), so they do not all hit the path at the same instant.
 * A tick that is more than one interval late is skipped rather than sent
 * back to back with the next one (counted as "skipped" at exit).
 *
 * Writes never block (MSG_DONTWAIT): if the send buffer is full, the bytes
 * not written are owed and go out with the connection's next tick (counted
 * as "short writes"; in the intended use the path is never that loaded).
 *
 * At the end the client shuts down its sending side, waits (up to 5 s) for
 * the server to close, and prints one line of counters on stderr. The
 * server accepts any number of connections (poll), closes each at EOF, and
 * runs until SIGINT/SIGTERM or for -t SECONDS; it prints "listening" on
 * stderr once it accepts connections, and its counters at exit.
 *
 * -6 makes the server listen on IPv6 (dual-stack, so IPv4 clients are
 * accepted too); the client uses whatever family HOST is.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o tcp_pulse tcp_pulse.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC   1000000000ull
#define PORT_DEFAULT "5300"
#define MAX_CONNS    1024
#define BUF_SIZE     (256u << 10)
#define CLOSE_WAIT_MS 5000

static volatile sig_atomic_t stop;
static unsigned char buf[BUF_SIZE];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / NS_PER_SEC),
		.tv_nsec = (long)(t % NS_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static void die(const char *what)
{
	fprintf(stderr, "tcp_pulse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: tcp_pulse -s [-p PORT] [-6] [-t SECONDS]\n"
		"       tcp_pulse -c HOST [-p PORT] -i INTERVAL_US -t SECONDS [-n CONNS] [-l BYTES] [-P]\n"
		"  -s            server: accept connections, read and discard, never write\n"
		"  -c HOST       client: connect to HOST (IPv4 or IPv6 address)\n"
		"  -p PORT       TCP port (default " PORT_DEFAULT ")\n"
		"  -6            server: listen on IPv6 (dual-stack)\n"
		"  -i US         client: write one segment per connection every US microseconds\n"
		"  -t SECONDS    client: run time; server: exit after SECONDS (default: until signalled)\n"
		"  -n CONNS      client: number of connections (default 1, at most %d)\n"
		"  -l BYTES      client: bytes per write (default: the connection's MSS)\n"
		"  -P            client: set PSH on every segment (default: no PSH, so the\n"
		"                receiver ACKs every second segment)\n",
		MAX_CONNS);
	exit(status);
}

static double parse_num(const char *s, const char *opt, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "tcp_pulse: bad value for %s: '%s' (want %g to %g)\n", opt, s, lo, hi);
		exit(2);
	}
	return v;
}

static long parse_int(const char *s, const char *opt, long lo, long hi)
{
	double v = parse_num(s, opt, (double)lo, (double)hi);

	if (v != (double)(long)v) {
		fprintf(stderr, "tcp_pulse: bad value for %s: '%s' (want a whole number)\n", opt, s);
		exit(2);
	}
	return (long)v;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() and friends return EINTR so loops see stop. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- server ---------------------------------------------------------- */

static int server(const char *port, bool v6, double secs)
{
	struct pollfd *pfd;
	size_t n = 1, cap = 16, i;
	uint64_t accepted = 0, bytes = 0, deadline = 0;
	int one = 1, zero = 0, fd;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	unsigned long p = strtoul(port, NULL, 10);

	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)p);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)p);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		die("IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, sl))
		die("bind");
	if (listen(fd, 128))
		die("listen");

	pfd = calloc(cap, sizeof(*pfd));
	if (!pfd)
		die("calloc");
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	if (secs > 0)
		deadline = now_ns() + (uint64_t)(secs * 1e9);
	fprintf(stderr, "tcp_pulse: listening on port %lu (%s)\n", p, v6 ? "IPv6+IPv4" : "IPv4");
	fflush(stderr);

	while (!stop) {
		int timeout = -1, r;

		if (deadline) {
			uint64_t t = now_ns();

			if (t >= deadline)
				break;
			timeout = (int)((deadline - t) / 1000000) + 1;
		}
		r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Connections first: pfd may grow (realloc) below. */
		for (i = 1; i < n; i++) {
			ssize_t got;

			if (!pfd[i].revents)
				continue;
			got = read(pfd[i].fd, buf, sizeof(buf));
			if (got > 0) {
				bytes += (uint64_t)got;
				continue;
			}
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			/* EOF or error (reset): done with this one. */
			close(pfd[i].fd);
			pfd[i] = pfd[--n];
			i--;
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

			if (c < 0) {
				if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
					die("accept");
				continue;
			}
			if (n == cap) {
				struct pollfd *np = realloc(pfd, 2 * cap * sizeof(*pfd));

				if (!np)
					die("realloc");
				pfd = np;
				cap *= 2;
			}
			pfd[n].fd = c;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
			accepted++;
		}
	}
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	free(pfd);
	fprintf(stderr, "tcp_pulse: server: %llu connections, %llu bytes received\n",
		(unsigned long long)accepted, (unsigned long long)bytes);
	return 0;
}

/* ---- client ---------------------------------------------------------- */

struct conn {
	int fd;
	int mss;
	size_t owed;            /* bytes a short write left over */
};

static int connect_one(const struct addrinfo *ai)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, fd;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	/* connect() honours the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen))
		die("connect");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
	return fd;
}

/* Half-close, then wait for the server's EOF so every byte was delivered. */
static void close_cleanly(struct conn *c, int n)
{
	uint64_t end = now_ns() + CLOSE_WAIT_MS * 1000000ull;
	int open = 0, i;

	for (i = 0; i < n; i++) {
		if (shutdown(c[i].fd, SHUT_WR) == 0) {
			open++;
		} else {
			close(c[i].fd);
			c[i].fd = -1;
		}
	}
	while (open > 0) {
		struct pollfd pfd[MAX_CONNS];
		int k = 0, idx[MAX_CONNS], r;
		uint64_t t = now_ns();

		if (t >= end)
			break;
		for (i = 0; i < n; i++) {
			if (c[i].fd < 0)
				continue;
			pfd[k].fd = c[i].fd;
			pfd[k].events = POLLIN;
			idx[k++] = i;
		}
		r = poll(pfd, (nfds_t)k, (int)((end - t) / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		for (i = 0; r > 0 && i < k; i++) {
			if (!pfd[i].revents)
				continue;
			/* The server never writes: anything readable is EOF. */
			if (read(pfd[i].fd, buf, sizeof(buf)) <= 0) {
				close(pfd[i].fd);
				c[idx[i]].fd = -1;
				open--;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
}

static int client(const char *host, const char *port, double interval_us, double secs,
		  int nconns, long len, bool psh)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct conn *c;
	uint64_t interval_ns = (uint64_t)(interval_us * 1000.0 + 0.5);
	uint64_t start, end, j, due, t;
	uint64_t ticks = 0, skipped = 0, shorts = 0, late_max = 0, late_sum = 0, late_500us = 0;
	uint64_t bytes = 0;
	int i, err, mss_min = 0, mss_max = 0;
	/* MSG_MORE keeps PSH off; full-sized segments are sent regardless. */
	int send_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (psh ? 0 : MSG_MORE);

	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "tcp_pulse: %s: %s\n", host, gai_strerror(err));
		return 1;
	}
	c = calloc((size_t)nconns, sizeof(*c));
	if (!c)
		die("calloc");
	for (i = 0; i < nconns; i++) {
		socklen_t sl = sizeof(c[i].mss);

		c[i].fd = connect_one(ai);
		if (getsockopt(c[i].fd, IPPROTO_TCP, TCP_MAXSEG, &c[i].mss, &sl))
			die("TCP_MAXSEG");
		if (c[i].mss <= 0 || c[i].mss > (int)BUF_SIZE / 2) {
			fprintf(stderr, "tcp_pulse: odd MSS %d\n", c[i].mss);
			return 1;
		}
		if (!mss_min || c[i].mss < mss_min)
			mss_min = c[i].mss;
		if (c[i].mss > mss_max)
			mss_max = c[i].mss;
	}
	freeaddrinfo(ai);
	fprintf(stderr, "tcp_pulse: %d connection%s to %s port %s, MSS %d", nconns,
		nconns == 1 ? "" : "s", host, port, mss_min);
	if (mss_max != mss_min)
		fprintf(stderr, "-%d", mss_max);
	fprintf(stderr, ", %ld bytes every %.0f us for %g s, %s\n",
		len ? len : (long)mss_min, interval_us, secs, psh ? "PSH on every segment" : "no PSH");
	fflush(stderr);

	/* Timer slack would add up to 50 us to every wakeup. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	start = now_ns() + 1000000;     /* first tick 1 ms from now */
	end = start + (uint64_t)(secs * 1e9);
	/* Tick j belongs to connection j % nconns and is due at
	 * start + j * interval / nconns: every connection every interval,
	 * the connections evenly staggered. Computed from j, so no drift. */
	for (j = 0; !stop; j++) {
		struct conn *k = &c[j % (uint64_t)nconns];
		size_t want;
		ssize_t w;

		due = start + j * interval_ns / (uint64_t)nconns;
		if (due >= end)
			break;
		t = now_ns();
		if (t < due) {
			sleep_until(due);
			t = now_ns();
		}
		if (stop)
			break;
		if (t - due > interval_ns) {
			skipped++;
			continue;
		}
		late_sum += t - due;
		if (t - due > late_max)
			late_max = t - due;
		if (t - due > 500000)
			late_500us++;

		want = (size_t)(len ? len : k->mss) + k->owed;
		if (want > BUF_SIZE)
			want = BUF_SIZE;
		w = send(k->fd, buf, want, send_flags);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				die("send");
			w = 0;
		}
		if ((size_t)w < want)
			shorts++;
		k->owed = want - (size_t)w;
		bytes += (uint64_t)w;
		ticks++;
	}
	close_cleanly(c, nconns);
	free(c);
	fprintf(stderr,
		"tcp_pulse: client: %llu writes, %llu bytes; late: mean %.0f us, max %.0f us, "
		"%llu over 500 us; skipped %llu, short writes %llu\n",
		(unsigned long long)ticks, (unsigned long long)bytes,
		ticks ? late_sum / 1e3 / (double)ticks : 0.0, late_max / 1e3,
		(unsigned long long)late_500us, (unsigned long long)skipped,
		(unsigned long long)shorts);
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *port = PORT_DEFAULT;
	bool srv = false, v6 = false, psh = false;
	double interval_us = 0, secs = 0;
	int opt, nconns = 1;
	long len = 0;

	while ((opt = getopt(argc, argv, "sc:p:6i:t:n:l:Ph")) != -1) {
		switch (opt) {
		case 's': srv = true; break;
		case 'c': host = optarg; break;
		case 'p': parse_int(optarg, "-p", 1, 65535); port = optarg; break;
		case '6': v6 = true; break;
		case 'i': interval_us = parse_num(optarg, "-i", 10, 60e6); break;
		case 't': secs = parse_num(optarg, "-t", 0, 86400); break;
		case 'n': nconns = (int)parse_int(optarg, "-n", 1, MAX_CONNS); break;
		case 'l': len = parse_int(optarg, "-l", 1, BUF_SIZE / 2); break;
		case 'P': psh = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || srv == !!host)
		usage(2);
	install_signals();
	if (srv)
		return server(port, v6, secs);
	if (!interval_us || !secs) {
		fprintf(stderr, "tcp_pulse: the client needs -i INTERVAL_US and -t SECONDS\n");
		usage(2);
	}
	return client(host, port, interval_us, secs, nconns, len, psh);
}
