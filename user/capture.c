// SPDX-License-Identifier: GPL-2.0
/* Reading a capture for --read: packets, their time, and which way they go. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>
#include <linux/if_ether.h>

#include "log.h"
#include "capture.h"
#include "clock.h"

#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

int local_net_parse(const char *s, struct local_net *n)
{
	char buf[INET6_ADDRSTRLEN + 1], *slash, *end;
	unsigned long len;
	__u8 a4[4];
	bool v4;

	size_t alen;

	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(n, 0, sizeof(*n));
	v4 = inet_pton(AF_INET, buf, a4) == 1;
	if (v4) {
		n->addr[10] = n->addr[11] = 0xff;
		memcpy(n->addr + 12, a4, 4);
	} else if (inet_pton(AF_INET6, buf, n->addr) != 1) {
		return -1;
	}
	len = v4 ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > (v4 ? 32UL : 128UL))
			return -1;
	}
	n->bits = (__u8)(v4 ? 96 + len : len);
	return 0;
}

static bool in_net(const __u8 addr[16], const struct local_net *n)
{
	unsigned int full = n->bits / 8, rest = n->bits % 8;

	if (memcmp(addr, n->addr, full))
		return false;
	return !rest || !((addr[full] ^ n->addr[full]) & (0xff00 >> rest));
}

static bool is_local(const struct capture *cap, const __u8 addr[16])
{
	int i;

	for (i = 0; i < cap->n_nets; i++)
		if (in_net(addr, &cap->nets[i]))
			return true;
	return false;
}

int capture_open(struct capture *cap, const char *path,
		 const struct local_net *nets, int n_nets)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;

	memset(cap, 0, sizeof(*cap));
	cap->path = path;
	cap->nets = nets;
	cap->n_nets = n_nets;
	/* Nanosecond precision: libpcap scales microsecond files up. */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
						    err);
	if (!p) {
		/* libpcap names the file in some messages, not in others */
		if (strstr(err, path))
			pr_warn("cannot read %s\n", err);
		else
			pr_warn("cannot read %s: %s\n", path, err);
		return -1;
	}
	cap->linktype = pcap_datalink(p);
	switch (cap->linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		break;
	default:
		pr_warn("%s: link type %s (%d) is not supported: use a capture of Ethernet, Linux cooked (SLL, SLL2) or raw IP packets\n",
			path, pcap_datalink_val_to_name(cap->linktype) ?: "unknown",
			cap->linktype);
		pcap_close(p);
		return -1;
	}
	cap->pcap = p;
	return 0;
}

/*
 * Make an Ethernet frame of any supported link type: the programs parse
 * Ethernet, and a test run of a tc program needs an Ethernet header anyway.
 * Returns the link header bytes the frame replaces less the Ethernet
 * header's (-14 for raw IP, which gets one), or -1 (which no link type
 * gives) if the packet is too short for its link header.
 */
static int to_ethernet(const struct capture *cap, const __u8 *data, __u32 caplen,
		       struct capture_pkt *p)
{
	__u16 proto;
	__u32 hdr, copy;

	switch (cap->linktype) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return -1;
		copy = caplen < CAPTURE_SNAP ? caplen : CAPTURE_SNAP;
		memcpy(p->frame, data, copy);
		p->data_len = copy;
		return 0;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return -1;
		hdr = SLL_HDR_LEN;
		memcpy(&proto, data + 14, 2);
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return -1;
		hdr = SLL2_HDR_LEN;
		memcpy(&proto, data, 2);
		break;
	default:   /* raw IP: the version says which */
		if (caplen < 1)
			return -1;
		hdr = 0;
		proto = htons((data[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP);
		break;
	}
	memset(p->frame, 0, 2 * ETH_ALEN);
	memcpy(p->frame + 2 * ETH_ALEN, &proto, 2);
	copy = caplen - hdr;
	if (copy > CAPTURE_SNAP - ETH_HLEN)
		copy = CAPTURE_SNAP - ETH_HLEN;
	memcpy(p->frame + ETH_HLEN, data + hdr, copy);
	p->data_len = ETH_HLEN + copy;
	return (int)hdr - ETH_HLEN;
}

/* An end of a packet: address (IPv4-mapped) and TCP port (0 if unknown). */
struct endpoint {
	__u8 addr[16];
	__u16 port;
};

/*
 * Just enough of the headers to tell the two ends apart; the programs do
 * the real parsing (and the checking) again. Returns false for non-IP.
 */
static bool endpoints(const struct capture_pkt *p, struct endpoint *src,
		      struct endpoint *dst)
{
	const __u8 *f = p->frame, *end = p->frame + p->data_len, *ip, *l4 = NULL;
	__u16 proto;
	int depth;

	memcpy(&proto, f + 2 * ETH_ALEN, 2);
	ip = f + ETH_HLEN;
	for (depth = 0; depth < PPING_MAX_VLAN_TAGS &&
	     (proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD)); depth++) {
		if (ip + 4 > end)
			return false;
		memcpy(&proto, ip + 2, 2);
		ip += 4;
	}
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (proto == htons(ETH_P_IP)) {
		if (ip + 20 > end)
			return false;
		src->addr[10] = src->addr[11] = dst->addr[10] = dst->addr[11] = 0xff;
		memcpy(src->addr + 12, ip + 12, 4);
		memcpy(dst->addr + 12, ip + 16, 4);
		/* first fragment or whole datagram only */
		if (ip[9] == IPPROTO_TCP && !((ip[6] & 0x1f) | ip[7]))
			l4 = ip + (ip[0] & 0xf) * 4;
	} else if (proto == htons(ETH_P_IPV6)) {
		if (ip + 40 > end)
			return false;
		memcpy(src->addr, ip + 8, 16);
		memcpy(dst->addr, ip + 24, 16);
		if (ip[6] == IPPROTO_TCP)
			l4 = ip + 40;
	} else {
		return false;
	}
	if (l4 && l4 + 4 <= end) {
		src->port = (__u16)(l4[0] << 8 | l4[1]);
		dst->port = (__u16)(l4[2] << 8 | l4[3]);
	}
	return true;
}

/* The lower end (address, then port) plays the local one. */
static __u8 dir_by_order(const struct endpoint *s, const struct endpoint *d)
{
	int c = memcmp(s->addr, d->addr, sizeof(s->addr));

	return c > 0 || (c == 0 && s->port > d->port) ? PPING_DIR_IN : PPING_DIR_OUT;
}

/*
 * A capture point has no egress and ingress. With --local-net, packets
 * from a local address leave (egress) and packets to one arrive. Without
 * it, each connection is oriented by its ends alone, so both packets of a
 * connection find the one flow entry; the programs then timestamp and
 * match both ways (include_local). A connection with both ends local is
 * oriented the same way, or each direction would open its own flow and
 * nothing would match. Returns false for a packet --local-net rules out.
 */
static bool choose_dir(struct capture *cap, struct capture_pkt *p)
{
	struct endpoint s, d;
	bool src_local, dst_local;

	p->dir = PPING_DIR_OUT;
	if (!endpoints(p, &s, &d))
		return true;   /* not IP: the programs count it and pass it */
	if (!cap->n_nets) {
		p->dir = dir_by_order(&s, &d);
		return true;
	}
	src_local = is_local(cap, s.addr);
	dst_local = is_local(cap, d.addr);
	if (src_local && dst_local) {
		cap->both_local++;
		p->dir = dir_by_order(&s, &d);
		return true;
	}
	p->dir = src_local ? PPING_DIR_OUT : PPING_DIR_IN;
	return src_local || dst_local;
}

int capture_next(struct capture *cap, struct capture_pkt *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc, adj;

	for (;;) {
		rc = pcap_next_ex(cap->pcap, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			pr_warn("%s: packet %llu: %s\n", cap->path,
				(unsigned long long)cap->read + 1,
				pcap_geterr(cap->pcap));
			return -1;
		}
		cap->read++;
		adj = to_ethernet(cap, data, h->caplen, p);
		if (adj == -1) {
			cap->unusable++;
			continue;
		}
		if (!choose_dir(cap, p)) {
			cap->foreign++;
			continue;
		}
		break;
	}
	/* With nanosecond precision, tv_usec holds nanoseconds. The
	 * programs take time 0 for "never", which a capture with relative
	 * times has; the output clock takes the offset away again. */
	p->time_ns = (__u64)h->ts.tv_sec * NS_PER_S + (__u64)h->ts.tv_usec +
		     CAPTURE_CLOCK_OFFSET_NS;
	/* Merged or reordered captures can step back; the programs' clock
	 * must not, as the kernel's never does. A big step means a broken
	 * timestamp ahead, which holds every later packet at its time. */
	if (p->time_ns < cap->last_time_ns) {
		if (cap->last_time_ns - p->time_ns > NS_PER_S && !cap->big_step_told) {
			pr_warn("%s: packet %llu is %.3f s earlier than the one before; replaying it (and any like it) at the earlier packet's time (sort the capture first, e.g. with reordercap)\n",
				cap->path, (unsigned long long)cap->read,
				(cap->last_time_ns - p->time_ns) / 1e9);
			cap->big_step_told = true;
		}
		p->time_ns = cap->last_time_ns;
		cap->time_back++;
	}
	cap->last_time_ns = p->time_ns;
	/* a corrupt record may claim less than its own link header */
	p->wire_len = (__s64)h->len - adj > 0 ? (__u32)((__s64)h->len - adj) : 0;
	if (p->wire_len < p->data_len)
		p->wire_len = p->data_len;
	/* A BIG TCP super-packet (IP length 0) is parsed by its length, which
	 * a test run's wire_len cannot carry. */
	p->big_len = 0;
	if (p->wire_len > PPING_TEST_RUN_WIRE_LEN_MAX) {
		p->big_len = p->wire_len;
		p->wire_len = PPING_TEST_RUN_WIRE_LEN_MAX;
	}
	return 1;
}

void capture_close(struct capture *cap)
{
	if (cap->pcap)
		pcap_close(cap->pcap);
	cap->pcap = NULL;
}
