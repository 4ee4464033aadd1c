/*
 * flowgen - synthetic many-flow TCP traffic with a known RTT, for pping's
 * overload tests.
 *
 *   flowgen -a IF_A -b IF_B -n FLOWS -t SECONDS -r RTT_MS [-p PERIOD_MS]
 *           [-6] [-s START_INDEX] [-P RT_PRIO] [-N]
 *
 * -N: every other flow (odd i) carries no TCP options at all, as between
 * hosts that do not use timestamps, so a monitor must measure it by
 * SEQ/ACK: a mixed workload.
 *
 * IF_A and IF_B are the two ends of a veth pair (no addresses needed). pping
 * watches IF_A. Two AF_PACKET SOCK_RAW sockets write complete Ethernet
 * frames: the clients' data segments on IF_A (so they pass IF_A's tc egress
 * hook, where pping stores their TSvals) and the servers' ACKs on IF_B (so
 * they arrive on IF_A's ingress, where pping matches their TSecr).
 * PACKET_QDISC_BYPASS is deliberately NOT set: it would skip tc egress.
 * Nothing answers these frames: the namespace has no addresses for them and
 * does not forward, so the kernel drops them after the hooks have seen them.
 *
 * Flow g = START_INDEX + i, for i in 0..FLOWS-1:
 *   IPv4  client 10.201.(g/250).(g%250+1) port 40000+(g%20000)
 *         server 10.202.0.1 port 80
 *   IPv6  client fd00:201::(g+1)  (the low 32 bits, hex), same ports
 *         server fd00:202::1
 * START_INDEX + FLOWS may be at most 64000, so addresses never repeat.
 *
 * Every PERIOD_MS (default 100) each flow sends one data segment A->B:
 * ACK|PSH, 100 bytes of payload, options NOP,NOP,Timestamp (doff 8). Its
 * TSval is the flow's client counter (random start, +1 per segment); its
 * TSecr is the TSval of the last ACK the server sent (before the first one:
 * the server counter's random start minus one, as if from a handshake).
 * Exactly RTT_MS after that segment's sendto() returned (so after pping's
 * egress hook has run on it), the server sends a pure ACK B->A with its own
 * TSval (server counter, +1 per ACK) and TSecr = the segment's TSval.
 * Sequence numbers: the client's advance by 100 per segment, the server
 * sends no data, so its seq stays put and each ACK acknowledges everything
 * up to the end of the segment it answers.
 *
 * Schedule: flow i's k-th segment is due at T0 + k*PERIOD + i*PERIOD/FLOWS,
 * so the flows' segments are spread evenly and the packet rate is smooth.
 * Both directions are FIFO queues in time order (data round-robin over the
 * flows; ACKs in the order of the segments they answer, since the RTT is the
 * same for all), so one loop sleeps (clock_nanosleep TIMER_ABSTIME on
 * CLOCK_MONOTONIC, 1 ns timer slack) until the earlier of the two heads and
 * sends whatever is due, oldest first. A segment that falls behind its
 * schedule is sent late, not skipped (data_late_max_us shows by how much).
 *
 * Priority: flowgen runs SCHED_FIFO (priority 1 by default, -P 0 for normal
 * priority; failure is only a warning), like tests/tools/delay_relay.c: otherwise
 * any CPU hog, including pping's own user space on a 2-CPU VM, delays ACKs
 * by milliseconds. It does not busy-wait. Measured on a 2-CPU VM: 1024
 * flows every 100 ms (20k frames/s) take about 10 us of CPU per frame
 * (20-25% of one CPU), 15 us with pping attached, whose BPF programs run
 * inside these sendto() calls; 2048 flows (41k frames/s) about 40%, 60%
 * with pping. What remains are the VM's own stalls: even a loop with no
 * network I/O at all (sleeping or busy-waiting) sees a few 1-12 ms gaps
 * per 10 s there, so late_max_us around 10 ms and a few hundred ACKs in
 * late_over_1ms are normal; checks must use the printed figures.
 *
 * ACK lateness = (CLOCK_MONOTONIC just after the ACK's sendto() returned) -
 * (its due time). Measured after the call, so it is an upper bound on what
 * pping sees: every RTT pping reports for these flows should lie in
 * [RTT_MS, RTT_MS + late_max_us] up to the few microseconds pping's own
 * timestamps sit inside the two sendto() calls.
 *
 * At T0 + SECONDS no new segment is sent; the ACKs still owed are sent on
 * time, then flowgen prints one line on stdout and exits 0:
 *
 *   flowgen: flows N data D acks A rtt_ms R late_max_us L late_over_1ms K
 *   send_errors E data_late_max_us DL elapsed_ms MS
 *
 * (one line; D and A count frames actually sent, L and K are over the ACKs,
 * E counts failed sendto() calls of both kinds, DL is the worst lateness of
 * a data segment against its schedule, MS the run time from the start to the
 * last frame.) SIGINT/SIGTERM stop sending data at once and still send the
 * owed ACKs (at most RTT_MS more); a second signal skips those. A failed
 * data send is not answered; a failed ACK is dropped; both are counted in
 * send_errors and the first of each kind is reported on stderr.
 *
 * Exit status: 0 after a run (even with send errors: check send_errors),
 * 1 if an interface cannot be opened or used, 2 for bad arguments.
 *
 * Build: make build/tests/flowgen (with the packet builder, tests/lib/packets.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "packets.h"

#define MAX_FLOWS    64000
#define PAYLOAD_LEN  100
#define SERVER_PORT  80
#define CLIENT_PORT0 40000

struct flow {
	uint32_t cli_seq;        /* next client sequence number */
	uint32_t srv_seq;        /* server's sequence number (no data) */
	uint32_t cli_tsval;      /* client's next TSval */
	uint32_t srv_tsval;      /* server's next TSval */
	uint32_t srv_last_tsval; /* TSval of the server's last ACK */
};

struct pending_ack {
	uint64_t due;   /* CLOCK_MONOTONIC ns */
	uint32_t flow;  /* index into flows[] */
	uint32_t ack;   /* acknowledgement number to send */
	uint32_t tsecr; /* the data segment's TSval */
};

/* FIFO of owed ACKs; grows by doubling. */
struct ack_ring {
	struct pending_ack *v;
	size_t cap, head, len; /* cap is a power of two */
};

struct port {
	const char *name;
	int fd;
	int ifindex;
	uint8_t mac[6];
	unsigned long errors;
};

static volatile sig_atomic_t stop_requests;

static void on_signal(int sig)
{
	(void)sig;
	stop_requests++;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -a IF_A -b IF_B -n FLOWS -t SECONDS -r RTT_MS "
		"[-p PERIOD_MS] [-6] [-s START_INDEX] [-P RT_PRIO] [-N]\n"
		"  -a IF_A     client side: data segments leave here (pping "
		"watches it)\n"
		"  -b IF_B     server side: ACKs leave here (IF_A's veth peer)\n"
		"  -n FLOWS    number of flows, 1..%d\n"
		"  -t SECONDS  how long to send data (may be fractional)\n"
		"  -r RTT_MS   delay from each data segment to its ACK, "
		"0..60000\n"
		"  -p PERIOD_MS  time between one flow's data segments, "
		"1..60000 (default 100)\n"
		"  -6          IPv6 instead of IPv4\n"
		"  -s START_INDEX  first flow index (START_INDEX + FLOWS <= "
		"%d)\n"
		"  -P RT_PRIO  run SCHED_FIFO at this priority, 0: normal "
		"priority (default 1)\n"
		"  -N          every other flow without TCP options (no timestamps)\n",
		prog, MAX_FLOWS, MAX_FLOWS);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000ull),
		.tv_nsec = (long)(t % 1000000000ull),
	};

	/* EINTR (a signal) just returns to the loop, which checks the flag. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* splitmix64: per-flow pseudo-random starting values. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Addresses of flow g (network byte order bytes). */
static void client_addr(bool v6, uint32_t g, uint8_t *a)
{
	if (v6) {
		static const uint8_t pfx[4] = { 0xfd, 0x00, 0x02, 0x01 };

		memset(a, 0, 16);
		memcpy(a, pfx, 4);
		put_be32(a + 12, g + 1);
	} else {
		a[0] = 10;
		a[1] = 201;
		a[2] = (uint8_t)(g / 250);
		a[3] = (uint8_t)(g % 250 + 1);
	}
}

static void server_addr(bool v6, uint8_t *a)
{
	if (v6) {
		static const uint8_t srv[16] = { 0xfd, 0x00, 0x02, 0x02, 0, 0, 0, 0,
						 0,    0,    0,    0,    0, 0, 0, 1 };

		memcpy(a, srv, 16);
	} else {
		a[0] = 10;
		a[1] = 202;
		a[2] = 0;
		a[3] = 1;
	}
}

struct seg {
	const uint8_t *eth_src, *eth_dst;
	const uint8_t *ip_src, *ip_dst;
	uint16_t sport, dport;
	uint32_t seq, ack, tsval, tsecr;
	uint8_t flags;
	uint16_t payload;
	bool no_opts;            /* no timestamp option (-N, odd flows) */
};

static uint16_t ip_id;

/* One Ethernet frame with valid checksums (tests/lib/packets.h). */
static void build_frame(struct pkt *p, bool v6, const struct seg *s)
{
	struct tcp_opts o;
	uint8_t *payload;

	pkt_init(p);
	pkt_eth_mac(p, s->eth_dst, s->eth_src, v6 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP);
	if (v6) {
		pkt_ipv6_addrs(p, s->ip_src, s->ip_dst, PKT_IPPROTO_TCP);
	} else {
		pkt_ipv4_addrs(p, s->ip_src, s->ip_dst, PKT_IPPROTO_TCP, NULL, 0);
		pkt_ipv4_set_id(p, ip_id++);
		pkt_ipv4_set_df(p);
	}
	ts_opts(&o, s->tsval, s->tsecr);
	pkt_tcp(p, s->sport, s->dport, s->flags, s->no_opts ? NULL : &o);
	pkt_tcp_seq(p, s->seq, s->ack);
	payload = pkt_put(p, s->payload);
	for (size_t k = 0; k < s->payload; k++)
		payload[k] = (uint8_t)('a' + k % 26);
	pkt_finish(p);
	pkt_checksums(p);
}

static int open_port(struct port *p)
{
	struct ifreq ifr;
	struct sockaddr_ll sll;

	if (strlen(p->name) >= IFNAMSIZ) {
		fprintf(stderr, "flowgen: interface name too long: %s\n",
			p->name);
		return -1;
	}
	/* Protocol 0: this socket only sends, it never gets frames queued. */
	p->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (p->fd < 0) {
		fprintf(stderr, "flowgen: %s: AF_PACKET socket: %s\n", p->name,
			strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, p->name);
	if (ioctl(p->fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "flowgen: %s: no such interface: %s\n", p->name,
			strerror(errno));
		return -1;
	}
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "flowgen: %s: SIOCGIFHWADDR: %s\n", p->name,
			strerror(errno));
		return -1;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		fprintf(stderr, "flowgen: %s: not an Ethernet interface\n",
			p->name);
		return -1;
	}
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(p->fd, SIOCGIFFLAGS, &ifr) < 0) {
		fprintf(stderr, "flowgen: %s: SIOCGIFFLAGS: %s\n", p->name,
			strerror(errno));
		return -1;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		fprintf(stderr, "flowgen: %s: interface is down\n", p->name);
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0;
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "flowgen: %s: bind: %s\n", p->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Send one frame; returns 0 or -1 (counted, first error reported). */
static int port_send(struct port *p, const struct pkt *frame, bool v6,
		     const char *what)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	sll.sll_ifindex = p->ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame->data, 6);
	if (sendto(p->fd, frame->data, frame->len, 0, (struct sockaddr *)&sll,
		   sizeof(sll)) == (ssize_t)frame->len)
		return 0;
	if (p->errors++ == 0)
		fprintf(stderr, "flowgen: %s: sending %s failed: %s\n",
			p->name, what, errno ? strerror(errno) : "short write");
	return -1;
}

static int ring_push(struct ack_ring *r, const struct pending_ack *a)
{
	if (r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 1024;
		struct pending_ack *nv = malloc(ncap * sizeof(*nv));

		if (!nv)
			return -1;
		for (size_t k = 0; k < r->len; k++)
			nv[k] = r->v[(r->head + k) & (r->cap - 1)];
		free(r->v);
		r->v = nv;
		r->cap = ncap;
		r->head = 0;
	}
	r->v[(r->head + r->len) & (r->cap - 1)] = *a;
	r->len++;
	return 0;
}

int main(int argc, char **argv)
{
	struct port pa = { .fd = -1 }, pb = { .fd = -1 };
	long nflows = 0, rtt_ms = -1, period_ms = 100, start = 0;
	double seconds = 0;
	long rt_prio = 1;
	bool v6 = false, have_t = false, mixed = false;
	struct ack_ring ring = { 0 };
	struct flow *flows;
	uint8_t srv_ip[16];
	struct pkt frame;
	uint8_t (*cli_ip)[16];
	uint64_t seed, t0, t_end, period_ns, rtt_ns, now, last = 0;
	uint64_t n_data = 0, n_acks = 0, late_over = 0;
	int64_t late_max = 0, data_late_max = 0;
	uint64_t round = 0;
	uint32_t next_i = 0;
	bool data_on = true;
	struct sigaction sa;
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "a:b:n:t:r:p:6s:P:Nh")) != -1) {
		switch (opt) {
		case 'a':
			pa.name = optarg;
			break;
		case 'b':
			pb.name = optarg;
			break;
		case 'n':
			if (!parse_long(optarg, 1, MAX_FLOWS, &nflows)) {
				fprintf(stderr, "flowgen: -n: want 1..%d, got "
					"'%s'\n", MAX_FLOWS, optarg);
				return 2;
			}
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(seconds > 0 && seconds <= 86400)) {
				fprintf(stderr, "flowgen: -t: want seconds, "
					"more than 0 and at most 86400, got "
					"'%s'\n", optarg);
				return 2;
			}
			have_t = true;
			break;
		case 'r':
			if (!parse_long(optarg, 0, 60000, &rtt_ms)) {
				fprintf(stderr, "flowgen: -r: want 0..60000 "
					"ms, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (!parse_long(optarg, 1, 60000, &period_ms)) {
				fprintf(stderr, "flowgen: -p: want 1..60000 "
					"ms, got '%s'\n", optarg);
				return 2;
			}
			break;
		case '6':
			v6 = true;
			break;
		case 'N':
			mixed = true;
			break;
		case 's':
			if (!parse_long(optarg, 0, MAX_FLOWS - 1, &start)) {
				fprintf(stderr, "flowgen: -s: want 0..%d, got "
					"'%s'\n", MAX_FLOWS - 1, optarg);
				return 2;
			}
			break;
		case 'P':
			if (!parse_long(optarg, 0, 99, &rt_prio)) {
				fprintf(stderr, "flowgen: -P: want 0..99, got "
					"'%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowgen: unexpected argument '%s'\n",
			argv[optind]);
		usage(argv[0]);
		return 2;
	}
	if (!pa.name || !pb.name || !nflows || !have_t || rtt_ms < 0) {
		fprintf(stderr, "flowgen: -a, -b, -n, -t and -r are "
			"required\n");
		usage(argv[0]);
		return 2;
	}
	if (!strcmp(pa.name, pb.name)) {
		fprintf(stderr, "flowgen: -a and -b must be different "
			"interfaces\n");
		return 2;
	}
	if (start + nflows > MAX_FLOWS) {
		fprintf(stderr, "flowgen: -s %ld plus -n %ld exceeds %d "
			"flows\n", start, nflows, MAX_FLOWS);
		return 2;
	}

	if (open_port(&pa) < 0 || open_port(&pb) < 0)
		return 1;

	flows = calloc((size_t)nflows, sizeof(*flows));
	cli_ip = calloc((size_t)nflows, sizeof(*cli_ip));
	if (!flows || !cli_ip) {
		fprintf(stderr, "flowgen: out of memory\n");
		return 1;
	}
	seed = mix64(now_ns() ^ ((uint64_t)getpid() << 32) ^
		     (uint64_t)time(NULL));
	for (long i = 0; i < nflows; i++) {
		uint64_t r1 = mix64(seed + 2 * (uint64_t)i);
		uint64_t r2 = mix64(seed + 2 * (uint64_t)i + 1);

		flows[i].cli_seq = (uint32_t)r1;
		flows[i].cli_tsval = (uint32_t)(r1 >> 32);
		flows[i].srv_seq = (uint32_t)r2;
		flows[i].srv_tsval = (uint32_t)(r2 >> 32);
		flows[i].srv_last_tsval = flows[i].srv_tsval - 1;
		client_addr(v6, (uint32_t)(start + i), cli_ip[i]);
	}
	server_addr(v6, srv_ip);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Default slack is 50 us: too coarse for ~50 us between frames. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (rt_prio > 0) {
		struct sched_param sp = { .sched_priority = (int)rt_prio };

		/* Not fatal: only the timing gets worse. */
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			fprintf(stderr, "flowgen: warning: SCHED_FIFO %ld: "
				"%s\n", rt_prio, strerror(errno));
	}

	period_ns = (uint64_t)period_ms * 1000000ull;
	rtt_ns = (uint64_t)rtt_ms * 1000000ull;
	t0 = now_ns();
	t_end = t0 + (uint64_t)(seconds * 1e9);
	now = t0;

	for (;;) {
		uint64_t data_due = UINT64_MAX, ack_due = UINT64_MAX, next;

		if (stop_requests >= 2)
			break;
		if (stop_requests)
			data_on = false;
		if (data_on) {
			data_due = t0 + round * period_ns +
				   (uint64_t)next_i * period_ns /
					   (uint64_t)nflows;
			if (data_due >= t_end) {
				data_on = false;
				data_due = UINT64_MAX;
			}
		}
		if (ring.len)
			ack_due = ring.v[ring.head].due;
		if (data_due == UINT64_MAX && ack_due == UINT64_MAX)
			break;
		next = ack_due <= data_due ? ack_due : data_due;
		if (next > now) {
			now = now_ns();
			if (next > now) {
				sleep_until(next);
				now = now_ns();
				continue;
			}
		}

		if (ack_due <= data_due) {
			/* Server -> client pure ACK, sent on B. */
			struct pending_ack a = ring.v[ring.head];
			struct flow *f = &flows[a.flow];
			struct seg s = {
				.eth_src = pb.mac, .eth_dst = pa.mac,
				.ip_src = srv_ip, .ip_dst = cli_ip[a.flow],
				.sport = SERVER_PORT,
				.dport = (uint16_t)(CLIENT_PORT0 +
						    (start + a.flow) % 20000),
				.seq = f->srv_seq, .ack = a.ack,
				.tsval = f->srv_tsval, .tsecr = a.tsecr,
				.flags = TCPF_ACK, .payload = 0,
				.no_opts = mixed && (a.flow & 1),
			};
			int rc;

			build_frame(&frame, v6, &s);
			rc = port_send(&pb, &frame, v6, "an ACK");

			now = now_ns();
			last = now;
			ring.head = (ring.head + 1) & (ring.cap - 1);
			ring.len--;
			if (rc == 0) {
				int64_t late = (int64_t)(now - a.due);

				n_acks++;
				f->srv_last_tsval = f->srv_tsval++;
				if (late > late_max)
					late_max = late;
				if (late > 1000000)
					late_over++;
			}
		} else {
			/* Client -> server data segment, sent on A. */
			struct flow *f = &flows[next_i];
			struct seg s = {
				.eth_src = pa.mac, .eth_dst = pb.mac,
				.ip_src = cli_ip[next_i], .ip_dst = srv_ip,
				.sport = (uint16_t)(CLIENT_PORT0 +
						    (start + next_i) % 20000),
				.dport = SERVER_PORT,
				.seq = f->cli_seq, .ack = f->srv_seq,
				.tsval = f->cli_tsval,
				.tsecr = f->srv_last_tsval,
				.flags = TCPF_ACK | TCPF_PSH,
				.payload = PAYLOAD_LEN,
				.no_opts = mixed && (next_i & 1),
			};
			int rc;

			build_frame(&frame, v6, &s);
			rc = port_send(&pa, &frame, v6, "a data segment");

			now = now_ns();
			last = now;
			if (rc == 0) {
				struct pending_ack a = {
					.due = now + rtt_ns,
					.flow = next_i,
					.ack = f->cli_seq + PAYLOAD_LEN,
					.tsecr = f->cli_tsval,
				};

				if (ring_push(&ring, &a) < 0) {
					fprintf(stderr, "flowgen: out of "
						"memory\n");
					return 1;
				}
				n_data++;
				f->cli_seq += PAYLOAD_LEN;
				f->cli_tsval++;
				if ((int64_t)(now - data_due) > data_late_max)
					data_late_max =
						(int64_t)(now - data_due);
			}
			if (++next_i == (uint32_t)nflows) {
				next_i = 0;
				round++;
			}
		}
	}

	printf("flowgen: flows %ld data %llu acks %llu rtt_ms %ld "
	       "late_max_us %lld late_over_1ms %llu send_errors %lu "
	       "data_late_max_us %lld elapsed_ms %llu\n",
	       nflows, (unsigned long long)n_data,
	       (unsigned long long)n_acks, rtt_ms,
	       (long long)(late_max / 1000), (unsigned long long)late_over,
	       pa.errors + pb.errors, (long long)(data_late_max / 1000),
	       (unsigned long long)((last > t0 ? last - t0 : 0) / 1000000));
	fflush(stdout);
	close(pa.fd);
	close(pb.fd);
	free(ring.v);
	free(flows);
	free(cli_ip);
	return 0;
}
