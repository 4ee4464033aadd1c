/*
 * pcap_rtt - TCP timestamp RTTs computed from a packet capture, as ground
 * truth for pping's accuracy test. It shares no code with pping: it reads a
 * pcap file with libpcap and applies the rules below, written from pping's
 * documented semantics (README, SAMPLING_DESIGN.md) with --rate-limit 0.
 *
 *   pcap_rtt -l LOCAL_ADDR [-l ...] [-p PORT ...] [-m ts|seq] [-M] [-s] FILE.pcap
 *
 * -m seq computes SEQ/ACK RTTs instead (rules S1-S6 below), for flows
 * without timestamps.
 * -M  hold time from going backwards, as pping --read replays a capture
 *     (a packet stamped earlier than the one before it takes that one's
 *     time): a capture of both directions interleaves two CPUs' clocks.
 *
 * -l  an address of the monitored host (repeat for IPv4 and IPv6). Packets
 *     from it are "leaving", packets to it "arriving"; others are ignored.
 * -p  only connections with this port at either end (repeatable).
 * -s  print one summary line instead of one line per RTT.
 *
 * Output, one line per RTT, in the capture's order:
 *   EPOCH_NS RTT_NS REMOTE_ADDR:PORT+LOCAL_ADDR:PORT
 * EPOCH_NS is the capture time of the echoing packet; the connection is
 * named from the replying end, like pping's RTT lines. With -s:
 *   n N median MS p90 MS min MS max MS
 * (median: mean of the two middle values for an even count; p90: nearest
 * rank, the ceil(0.9 n)-th smallest). Counters go to stderr.
 *
 * Link types: Ethernet (with VLAN tags), Linux cooked v1/v2, raw IP. Open the
 * file with nanosecond precision; a capture made with microsecond precision
 * is still read, its times are just coarser. Packets cut short by the snap
 * length are used as long as the TCP options are inside the captured part;
 * payload lengths come from the IP header, not the captured length.
 *
 * The rules, and why each one:
 *
 *  1. Only TCP packets with a well-formed timestamp option (kind 8, length
 *     10, inside the option area) count. Non-first fragments carry no TCP
 *     header and are skipped.
 *  2. A leaving packet becomes an identifier only if it can elicit an
 *     immediate reply: it has payload, or SYN, or FIN. A pure ACK is not
 *     itself acknowledged, so its TSval is echoed only by whatever data the
 *     peer happens to send next, possibly much later: that "RTT" would
 *     include the application's think time.
 *  3. ... and only if its TSval is strictly newer (serial arithmetic, so it
 *     survives the 32-bit wrap) than every TSval of earlier eligible leaving
 *     packets of that connection. The first packet with a new TSval is the
 *     one whose echo measures the round trip; later packets with the same
 *     TSval left up to one TS clock tick later and would understate the RTT,
 *     and a reordered older TSval would be a second identifier for an echo
 *     that may already have come.
 *  4. An arriving packet with the ACK flag matches if its TSecr is strictly
 *     newer than the TSecr of every earlier arriving ACK of the connection
 *     (the first echo of a value; TCP's TS.Recent only moves forward, so an
 *     older or repeated echo is a duplicate or a reordered packet), and an
 *     identifier with that TSval exists and has not been matched. The RTT is
 *     the capture time of the echo minus that of the identifier's packet.
 *     Each identifier is matched at most once.
 *  5. Connections are keyed by their addresses and ports. A RST ends the
 *     connection: its state is forgotten after the RST itself was processed.
 *     A SYN (without ACK) on a connection that saw a FIN, or whose TSval is
 *     not newer than the last one, starts a new connection (the port was
 *     reused; the peer picked a new random timestamp offset).
 *
 * SEQ/ACK (-m seq), every TCP packet, timestamp option or not:
 *
 *  S1. A leaving segment occupies [seq, seq + payload + SYN + FIN). Per
 *      connection the end of the highest range sent so far is kept
 *      (snd_max). A segment that occupies nothing (a pure ACK, a probe
 *      without payload) is not looked at.
 *  S2. A segment that ends at or below snd_max, or starts below it, resends
 *      data: a retransmission. It drops every outstanding identifier of
 *      the connection (Karn's rule). The exception is one byte just below
 *      snd_max (a keep-alive's optional byte): nothing.
 *  S3. Any other segment is sent for the first time; it becomes an
 *      identifier (its end, and its capture time) if fewer than two are
 *      outstanding (pping keeps two per flow direction).
 *  S4. An arriving packet with the ACK flag whose acknowledgement number is
 *      newer (serial arithmetic) than every earlier one of the connection
 *      closes every outstanding identifier whose end it reaches; the oldest
 *      of them gives the RTT. An ACK that does not move forward (duplicate,
 *      SACK) closes nothing, nor does a RST (rule S5).
 *  S5. A RST forgets the connection. A SYN (without ACK) whose range does
 *      not end at snd_max (not a retransmitted SYN) starts a new one.
 *  S6. As with timestamps, only leaving data is measured (no -l).
 *
 * With --rate-limit 0 pping makes every eligible new TSval an identifier, so
 * its samples should be these. What this program does not model: pping's
 * cleanup drops identifiers that waited longer than 8 x the flow's RTT (at
 * least 1 s), and echoes arriving 60 s or more after the identifier.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o pcap_rtt pcap_rtt.c -lpcap
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOCAL 16
#define MAX_PORTS 16

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Addresses are kept as 16 bytes; IPv4 as ::ffff:a.b.c.d. */
struct addr {
	uint8_t b[16];
};

struct pkt {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t flags;
	int family;
	uint32_t payload;
	uint32_t tsval, tsecr;
	uint32_t seq, ack;
	bool has_ts;
};

/* -m seq: identifiers outstanding per connection, as pping keeps them. */
#define SEQ_SLOTS 2

struct seq_ident {
	uint32_t end;
	uint64_t sent_ns;
};

/* One connection, from the monitored host's point of view. */
struct conn {
	struct addr local, remote;
	uint16_t lport, rport;
	int family;
	bool used;
	bool fin_seen;
	bool have_tsval, have_tsecr;
	uint32_t last_tsval;       /* newest TSval of an eligible leaving packet */
	uint32_t last_tsecr;       /* newest TSecr of an arriving ACK */
	uint32_t gen;              /* bumped when the connection is reset */
	/* -m seq */
	bool have_snd_max, have_acked;
	uint32_t snd_max, acked;
	struct seq_ident seq_ids[SEQ_SLOTS];
	int n_seq_ids;
};

static bool seq_mode;

/* An identifier: (connection slot, generation, TSval) -> capture time. */
struct ident {
	uint32_t conn, gen, tsval;
	bool used, matched;
	uint64_t sent_ns;
};

static struct conn *conns;
static size_t conns_cap, conns_n;
static struct ident *idents;
static size_t idents_cap, idents_n;

static struct addr local_addrs[MAX_LOCAL];
static int n_local;
static uint16_t ports[MAX_PORTS];
static int n_ports;

static struct {
	uint64_t frames, not_tcp, truncated, no_ts, foreign, filtered;
	uint64_t idents, matches;
} cnt;

static double *rtts;     /* for -s */
static size_t rtts_n, rtts_cap;

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p) {
		fprintf(stderr, "pcap_rtt: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t hash_bytes(const void *data, size_t len, uint64_t h)
{
	const uint8_t *p = data;
	size_t i;

	/* FNV-1a */
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t conn_hash(const struct addr *l, uint16_t lp,
			  const struct addr *r, uint16_t rp)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_bytes(l, sizeof(*l), h);
	h = hash_bytes(&lp, sizeof(lp), h);
	h = hash_bytes(r, sizeof(*r), h);
	return hash_bytes(&rp, sizeof(rp), h);
}

static void conns_grow(void);

/* Find or create the connection (open addressing, linear probing). */
static struct conn *conn_get(const struct addr *l, uint16_t lp,
			     const struct addr *r, uint16_t rp, int family)
{
	size_t i;

	if ((conns_n + 1) * 2 > conns_cap)
		conns_grow();
	i = conn_hash(l, lp, r, rp) & (conns_cap - 1);
	for (;; i = (i + 1) & (conns_cap - 1)) {
		struct conn *c = &conns[i];

		if (!c->used) {
			c->used = true;
			c->local = *l;
			c->remote = *r;
			c->lport = lp;
			c->rport = rp;
			c->family = family;
			conns_n++;
			return c;
		}
		if (c->lport == lp && c->rport == rp &&
		    !memcmp(&c->local, l, sizeof(*l)) &&
		    !memcmp(&c->remote, r, sizeof(*r)))
			return c;
	}
}

static void conns_grow(void)
{
	struct conn *old = conns;
	size_t old_cap = conns_cap, i;

	conns_cap = old_cap ? old_cap * 2 : 64;
	conns = xcalloc(conns_cap, sizeof(*conns));
	conns_n = 0;
	for (i = 0; i < old_cap; i++) {
		struct conn *c;

		if (!old[i].used)
			continue;
		c = conn_get(&old[i].local, old[i].lport, &old[i].remote,
			     old[i].rport, old[i].family);
		*c = old[i];
	}
	free(old);
}

/*
 * Identifiers are never removed: a matched one is only marked, and a reset
 * connection gets a new generation, so stale ones can no longer be found.
 * Captures of a test run hold some ten thousand of them.
 */
static uint64_t ident_hash(uint32_t conn, uint32_t gen, uint32_t tsval)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_bytes(&conn, sizeof(conn), h);
	h = hash_bytes(&gen, sizeof(gen), h);
	return hash_bytes(&tsval, sizeof(tsval), h);
}

static struct ident *ident_find(uint32_t conn, uint32_t gen, uint32_t tsval,
				bool create);

static void idents_grow(void)
{
	struct ident *old = idents;
	size_t old_cap = idents_cap, i;

	idents_cap = old_cap ? old_cap * 2 : 4096;
	idents = xcalloc(idents_cap, sizeof(*idents));
	idents_n = 0;
	for (i = 0; i < old_cap; i++)
		if (old[i].used)
			*ident_find(old[i].conn, old[i].gen, old[i].tsval, true) = old[i];
	free(old);
}

static struct ident *ident_find(uint32_t conn, uint32_t gen, uint32_t tsval,
				bool create)
{
	size_t i;

	if (create && (idents_n + 1) * 2 > idents_cap)
		idents_grow();
	if (!idents_cap)
		return NULL;
	i = ident_hash(conn, gen, tsval) & (idents_cap - 1);
	for (;; i = (i + 1) & (idents_cap - 1)) {
		struct ident *d = &idents[i];

		if (!d->used) {
			if (!create)
				return NULL;
			d->used = true;
			d->conn = conn;
			d->gen = gen;
			d->tsval = tsval;
			idents_n++;
			return d;
		}
		if (d->conn == conn && d->gen == gen && d->tsval == tsval)
			return d;
	}
}

/* a is newer than b in 32-bit serial arithmetic (RFC 1982). */
static bool ts_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static bool is_local(const struct addr *a)
{
	int i;

	for (i = 0; i < n_local; i++)
		if (!memcmp(a, &local_addrs[i], sizeof(*a)))
			return true;
	return false;
}

static bool port_selected(uint16_t a, uint16_t b)
{
	int i;

	if (!n_ports)
		return true;
	for (i = 0; i < n_ports; i++)
		if (ports[i] == a || ports[i] == b)
			return true;
	return false;
}

static void format_endpoint(char *buf, size_t len, const struct addr *a,
			    int family, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == 4)
		inet_ntop(AF_INET, &a->b[12], ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, a->b, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, port);
}

static void rtt_out(bool summary, uint64_t now, uint64_t rtt,
		    const struct conn *c)
{
	char r[INET6_ADDRSTRLEN + 8], l[INET6_ADDRSTRLEN + 8];

	cnt.matches++;
	if (summary) {
		if (rtts_n == rtts_cap) {
			rtts_cap = rtts_cap ? rtts_cap * 2 : 4096;
			rtts = realloc(rtts, rtts_cap * sizeof(*rtts));
			if (!rtts) {
				fprintf(stderr, "pcap_rtt: out of memory\n");
				exit(1);
			}
		}
		rtts[rtts_n++] = rtt / 1e6;
		return;
	}
	format_endpoint(r, sizeof(r), &c->remote, c->family, c->rport);
	format_endpoint(l, sizeof(l), &c->local, c->family, c->lport);
	printf("%llu %llu %s+%s\n", (unsigned long long)now,
	       (unsigned long long)rtt, r, l);
}

/*
 * The TCP timestamp option in opts[0..len), or false. Any inconsistency (an
 * option length below 2 or running past the area, a kind-8 option that is
 * not 10 bytes) means no timestamp: guessing would invent identifiers.
 */
static bool find_ts(const uint8_t *opts, size_t len, uint32_t *tsval,
		    uint32_t *tsecr)
{
	size_t off = 0;

	while (off < len) {
		uint8_t kind = opts[off], olen;

		if (kind == 0)          /* end of options */
			return false;
		if (kind == 1) {        /* NOP */
			off++;
			continue;
		}
		if (off + 2 > len)
			return false;
		olen = opts[off + 1];
		if (olen < 2 || off + olen > len)
			return false;
		if (kind == 8) {
			if (olen != 10)
				return false;
			memcpy(tsval, opts + off + 2, 4);
			memcpy(tsecr, opts + off + 6, 4);
			*tsval = ntohl(*tsval);
			*tsecr = ntohl(*tsecr);
			return true;
		}
		off += olen;
	}
	return false;
}

enum parse_res { P_TCP, P_NOT_TCP, P_TRUNC };

/* TCP header at p (caplen bytes captured), l4len bytes by the IP header. */
static enum parse_res parse_tcp(const uint8_t *p, size_t caplen, uint32_t l4len,
				struct pkt *k)
{
	size_t hlen;

	if (caplen < 20)
		return P_TRUNC;
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < 20 || l4len < hlen)
		return P_NOT_TCP;
	k->sport = (uint16_t)(p[0] << 8 | p[1]);
	k->dport = (uint16_t)(p[2] << 8 | p[3]);
	k->flags = p[13];
	k->seq = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	k->ack = (uint32_t)p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
	k->payload = l4len - (uint32_t)hlen;
	/* A truncated option area might hide the timestamp: don't guess. */
	if (caplen < hlen)
		return P_TRUNC;
	k->has_ts = find_ts(p + 20, hlen - 20, &k->tsval, &k->tsecr);
	return P_TCP;
}

static enum parse_res parse_ipv4(const uint8_t *p, size_t caplen, struct pkt *k)
{
	size_t hlen;
	uint32_t tot;

	if (caplen < 20)
		return P_TRUNC;
	if (p[0] >> 4 != 4)
		return P_NOT_TCP;
	hlen = (size_t)(p[0] & 0xf) * 4;
	if (hlen < 20)
		return P_NOT_TCP;
	if (caplen < hlen)
		return P_TRUNC;
	if (p[9] != IPPROTO_TCP)
		return P_NOT_TCP;
	if ((p[6] << 8 | p[7]) & 0x1fff)        /* non-first fragment */
		return P_NOT_TCP;
	tot = (uint32_t)(p[2] << 8 | p[3]);
	if (tot < hlen)
		return P_NOT_TCP;
	memset(&k->src, 0, sizeof(k->src));
	memset(&k->dst, 0, sizeof(k->dst));
	k->src.b[10] = k->src.b[11] = 0xff;
	k->dst.b[10] = k->dst.b[11] = 0xff;
	memcpy(&k->src.b[12], p + 12, 4);
	memcpy(&k->dst.b[12], p + 16, 4);
	k->family = 4;
	return parse_tcp(p + hlen, caplen - hlen, tot - (uint32_t)hlen, k);
}

static enum parse_res parse_ipv6(const uint8_t *p, size_t caplen, struct pkt *k)
{
	uint32_t plen;
	size_t off = 40;
	uint8_t nh;
	int i;

	if (caplen < 40)
		return P_TRUNC;
	if (p[0] >> 4 != 6)
		return P_NOT_TCP;
	plen = (uint32_t)(p[4] << 8 | p[5]);
	nh = p[6];
	memcpy(k->src.b, p + 8, 16);
	memcpy(k->dst.b, p + 24, 16);
	k->family = 6;
	for (i = 0; i < 16 && nh != IPPROTO_TCP; i++) {
		const uint8_t *h = p + off;
		size_t len;

		if (caplen < off + 8)
			return P_TRUNC;
		switch (nh) {
		case 0:    /* hop-by-hop */
		case 43:   /* routing */
		case 60:   /* destination options */
			len = ((size_t)h[1] + 1) * 8;
			break;
		case 51:   /* AH */
			len = ((size_t)h[1] + 2) * 4;
			break;
		case 44:   /* fragment: only the first carries the TCP header */
			if ((h[2] << 5 | h[3] >> 3) != 0)
				return P_NOT_TCP;
			len = 8;
			break;
		default:
			return P_NOT_TCP;
		}
		nh = h[0];
		off += len;
	}
	if (nh != IPPROTO_TCP || plen < off - 40)
		return P_NOT_TCP;
	if (caplen < off)
		return P_TRUNC;
	return parse_tcp(p + off, caplen - off, plen - (uint32_t)(off - 40), k);
}

static enum parse_res parse_l3(uint16_t ethertype, const uint8_t *p,
			       size_t caplen, struct pkt *k)
{
	if (ethertype == 0x0800)
		return parse_ipv4(p, caplen, k);
	if (ethertype == 0x86dd)
		return parse_ipv6(p, caplen, k);
	return P_NOT_TCP;
}

static enum parse_res parse_frame(int dlt, const uint8_t *p, size_t caplen,
				  struct pkt *k)
{
	uint16_t et;
	size_t off;
	int i;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return P_TRUNC;
		et = (uint16_t)(p[12] << 8 | p[13]);
		off = 14;
		for (i = 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++) {
			if (caplen < off + 4)
				return P_TRUNC;
			et = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
			off += 4;
		}
		return parse_l3(et, p + off, caplen - off, k);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return P_TRUNC;
		et = (uint16_t)(p[14] << 8 | p[15]);
		return parse_l3(et, p + 16, caplen - 16, k);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return P_TRUNC;
		et = (uint16_t)(p[0] << 8 | p[1]);
		return parse_l3(et, p + 20, caplen - 20, k);
	case DLT_RAW:
		if (caplen < 1)
			return P_TRUNC;
		return parse_l3((p[0] >> 4) == 6 ? 0x86dd : 0x0800, p, caplen, k);
	}
	return P_NOT_TCP;
}

static void conn_reset(struct conn *c)
{
	uint32_t gen = c->gen + 1;
	struct addr l = c->local, r = c->remote;
	uint16_t lp = c->lport, rp = c->rport;
	int family = c->family;

	memset(c, 0, sizeof(*c));
	c->used = true;
	c->local = l;
	c->remote = r;
	c->lport = lp;
	c->rport = rp;
	c->family = family;
	c->gen = gen;
}

/* Rules S1-S3 for a leaving segment of connection c. */
static void seq_leaving(struct conn *c, const struct pkt *k, uint64_t now)
{
	uint32_t end = k->seq + k->payload + !!(k->flags & TH_SYN) +
		       !!(k->flags & TH_FIN);

	if (end == k->seq)
		return;
	if (c->have_snd_max && !ts_after(end, c->snd_max)) {
		if (!(k->payload == 1 && end == c->snd_max &&
		      !(k->flags & (TH_SYN | TH_FIN))))
			c->n_seq_ids = 0;   /* resent: Karn's rule */
		return;
	}
	if (c->have_snd_max && ts_after(c->snd_max, k->seq)) {
		c->n_seq_ids = 0;           /* resent, then new data */
		c->snd_max = end;
		return;
	}
	c->have_snd_max = true;
	c->snd_max = end;
	if (c->n_seq_ids < SEQ_SLOTS) {
		c->seq_ids[c->n_seq_ids].end = end;
		c->seq_ids[c->n_seq_ids].sent_ns = now;
		c->n_seq_ids++;
		cnt.idents++;
	}
}

/* Rule S4 for an arriving ACK of connection c. */
static void seq_arriving(struct conn *c, const struct pkt *k, uint64_t now,
			 bool summary)
{
	uint64_t first = 0;
	int i, kept = 0;

	if (!(k->flags & TH_ACK))
		return;
	if (c->have_acked && !ts_after(k->ack, c->acked))
		return;
	c->have_acked = true;
	c->acked = k->ack;
	for (i = 0; i < c->n_seq_ids; i++) {
		struct seq_ident *d = &c->seq_ids[i];

		if (ts_after(d->end, k->ack)) {
			c->seq_ids[kept++] = *d;
			continue;
		}
		if (!first || d->sent_ns < first)
			first = d->sent_ns;
	}
	c->n_seq_ids = kept;
	if (first && now >= first)
		rtt_out(summary, now, now - first, c);
}

static void process_seq(const struct pkt *k, uint64_t now, bool summary,
			bool out)
{
	struct conn *c;

	c = out ? conn_get(&k->src, k->sport, &k->dst, k->dport, k->family)
		: conn_get(&k->dst, k->dport, &k->src, k->sport, k->family);
	if (k->flags & TH_RST) {
		conn_reset(c);
		return;
	}
	/* Rule S5: a new connection on the same ports. */
	if (out && (k->flags & (TH_SYN | TH_ACK)) == TH_SYN && c->have_snd_max &&
	    c->snd_max != k->seq + 1 + k->payload)
		conn_reset(c);
	if (out)
		seq_leaving(c, k, now);
	else
		seq_arriving(c, k, now, summary);
}

static void process(const struct pkt *k, uint64_t now, bool summary)
{
	bool out = is_local(&k->src), in = is_local(&k->dst);
	struct conn *c;
	struct ident *d;

	if (out == in) {        /* neither end (or both) is the monitored host */
		cnt.foreign++;
		return;
	}
	if (!port_selected(k->sport, k->dport)) {
		cnt.filtered++;
		return;
	}
	if (seq_mode) {
		process_seq(k, now, summary, out);
		return;
	}
	if (!k->has_ts) {
		cnt.no_ts++;
		/* Rule 5: a RST ends the connection, timestamp or not. */
		if (k->flags & TH_RST) {
			c = out ? conn_get(&k->src, k->sport, &k->dst, k->dport, k->family)
				: conn_get(&k->dst, k->dport, &k->src, k->sport, k->family);
			conn_reset(c);
		}
		return;
	}
	c = out ? conn_get(&k->src, k->sport, &k->dst, k->dport, k->family)
		: conn_get(&k->dst, k->dport, &k->src, k->sport, k->family);

	/* Rule 5: port reuse. */
	if ((k->flags & (TH_SYN | TH_ACK)) == TH_SYN && out &&
	    (c->fin_seen || (c->have_tsval && !ts_after(k->tsval, c->last_tsval))))
		conn_reset(c);

	if (out) {
		/* Rules 2 and 3. */
		if ((k->payload > 0 || (k->flags & (TH_SYN | TH_FIN))) &&
		    (!c->have_tsval || ts_after(k->tsval, c->last_tsval))) {
			c->have_tsval = true;
			c->last_tsval = k->tsval;
			d = ident_find((uint32_t)(c - conns), c->gen, k->tsval, true);
			d->sent_ns = now;
			d->matched = false;
			cnt.idents++;
		}
	} else if ((k->flags & TH_ACK) &&
		   (!c->have_tsecr || ts_after(k->tsecr, c->last_tsecr))) {
		/* Rule 4. */
		c->have_tsecr = true;
		c->last_tsecr = k->tsecr;
		d = ident_find((uint32_t)(c - conns), c->gen, k->tsecr, false);
		if (d && !d->matched && now >= d->sent_ns) {
			d->matched = true;
			rtt_out(summary, now, now - d->sent_ns, c);
		}
	}

	if (k->flags & TH_FIN)
		c->fin_seen = true;
	if (k->flags & TH_RST)
		conn_reset(c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_summary(void)
{
	double med, p90;

	if (!rtts_n) {
		printf("n 0\n");
		return;
	}
	qsort(rtts, rtts_n, sizeof(*rtts), cmp_double);
	med = rtts_n % 2 ? rtts[rtts_n / 2]
			 : (rtts[rtts_n / 2 - 1] + rtts[rtts_n / 2]) / 2;
	p90 = rtts[(9 * rtts_n + 9) / 10 - 1];    /* ceil(0.9 n)-th */
	printf("n %zu median %.6f p90 %.6f min %.6f max %.6f\n", rtts_n, med,
	       p90, rtts[0], rtts[rtts_n - 1]);
}

static int parse_addr(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 0;
	a->b[10] = a->b[11] = 0xff;
	if (inet_pton(AF_INET, s, &a->b[12]) == 1)
		return 0;
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pcap_rtt -l LOCAL_ADDR [-l ...] [-p PORT ...] [-m ts|seq] [-s] FILE.pcap\n"
		"  -m seq   SEQ/ACK RTTs (flows without timestamps) instead of TSval/TSecr\n"
		"  -M       time never goes backwards (as pping --read replays)\n"
		"  -l ADDR  an address of the monitored host (up to %d)\n"
		"  -p PORT  only connections with this port at either end (up to %d)\n"
		"  -s       print count, median, p90, min and max (ms) instead of\n"
		"           one 'EPOCH_NS RTT_NS REMOTE+LOCAL' line per RTT\n",
		MAX_LOCAL, MAX_PORTS);
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	bool summary = false, monotonic = false;
	uint64_t last_now = 0;
	pcap_t *pc;
	int opt, dlt, rc;
	long v;
	char *end;

	while ((opt = getopt(argc, argv, "l:p:m:Msh")) != -1) {
		switch (opt) {
		case 'M':
			monotonic = true;
			break;
		case 'm':
			if (strcmp(optarg, "ts") && strcmp(optarg, "seq")) {
				fprintf(stderr, "pcap_rtt: -m: ts or seq, not %s\n", optarg);
				return 2;
			}
			seq_mode = !strcmp(optarg, "seq");
			break;
		case 'l':
			if (n_local == MAX_LOCAL ||
			    parse_addr(optarg, &local_addrs[n_local]) < 0) {
				fprintf(stderr, "pcap_rtt: -l: bad or too many addresses: %s\n",
					optarg);
				return 2;
			}
			n_local++;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (n_ports == MAX_PORTS || errno || *end || v < 1 || v > 65535) {
				fprintf(stderr, "pcap_rtt: -p: want a port 1 to 65535 (at most %d): %s\n",
					MAX_PORTS, optarg);
				return 2;
			}
			ports[n_ports++] = (uint16_t)v;
			break;
		case 's':
			summary = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !n_local) {
		usage(stderr);
		return 2;
	}

	pc = pcap_open_offline_with_tstamp_precision(argv[optind],
						     PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	if (!pc) {
		fprintf(stderr, "pcap_rtt: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(pc);
	if (dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL && dlt != DLT_LINUX_SLL2 &&
	    dlt != DLT_RAW) {
		fprintf(stderr, "pcap_rtt: unsupported link type %s\n",
			pcap_datalink_val_to_name(dlt));
		pcap_close(pc);
		return 1;
	}

	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct pkt k = { 0 };
		uint64_t now = (uint64_t)hdr->ts.tv_sec * 1000000000ull +
			       (uint64_t)hdr->ts.tv_usec;   /* ns: opened NANO */

		if (monotonic && now < last_now)
			now = last_now;
		last_now = now;

		cnt.frames++;
		switch (parse_frame(dlt, data, hdr->caplen, &k)) {
		case P_TRUNC:
			cnt.truncated++;
			continue;
		case P_NOT_TCP:
			cnt.not_tcp++;
			continue;
		case P_TCP:
			break;
		}
		process(&k, now, summary);
	}
	if (rc == PCAP_ERROR) {
		/* A capture cut off mid-record (tcpdump killed) still counts up
		 * to there; say so, but it is not fatal. */
		fprintf(stderr, "pcap_rtt: warning: %s\n", pcap_geterr(pc));
	}
	pcap_close(pc);

	if (summary)
		print_summary();
	fprintf(stderr,
		"pcap_rtt: frames %llu, not TCP %llu, truncated %llu, without timestamp %llu, "
		"other hosts %llu, other ports %llu; identifiers %llu, RTTs %llu\n",
		(unsigned long long)cnt.frames, (unsigned long long)cnt.not_tcp,
		(unsigned long long)cnt.truncated, (unsigned long long)cnt.no_ts,
		(unsigned long long)cnt.foreign, (unsigned long long)cnt.filtered,
		(unsigned long long)cnt.idents, (unsigned long long)cnt.matches);
	return 0;
}
