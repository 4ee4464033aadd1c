// SPDX-License-Identifier: GPL-2.0
/*
 * pping's command line: one table (opts[] below) gives each option's names,
 * argument, range, default and help text; opt_table.c makes the parser, the
 * error messages and --help from it. What no single option can check is
 * checked after the parse, one rule a function.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <net/if.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "options.h"
#include "opt_table.h"
#include "pping.h"


#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

/* Map sizes: 16 Mi entries of either map already take ~3.5 GiB. */
#define MAP_ENTRIES_MIN 16
#define MAP_ENTRIES_MAX (16U << 20)

/* Where --metrics listens when given only a port. */
#define METRICS_ADDR_DEFAULT "127.0.0.1"

int parse_duration(const char *s, __u64 *ns)
{
	static const struct {
		const char *name;
		double mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }, { "", 1e6 },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name) == 0) {
			double t = v * units[i].mult;

			if (t > 1e19)
				return -1;
			*ns = (__u64)llround(t);
			return 0;
		}
	}
	return -1;
}

int parse_listen_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = s, *colon;
	unsigned long p;

	memset(ss, 0, sizeof(*ss));
	a4->sin_family = AF_INET;
	inet_pton(AF_INET, METRICS_ADDR_DEFAULT, &a4->sin_addr);
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon || colon - s - 1 >= (long)sizeof(host))
			return -1;
		memcpy(host, s + 1, colon - s - 1);
		host[colon - s - 1] = 0;
		memset(ss, 0, sizeof(*ss));
		a6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -1;
		port = colon + 2;
	} else if ((colon = strrchr(s, ':'))) {
		if (colon - s >= (long)sizeof(host))
			return -1;
		memcpy(host, s, colon - s);
		host[colon - s] = 0;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		port = colon + 1;
	}
	if (opt_parse_uint(port, 1, 65535, &p))
		return -1;
	if (ss->ss_family == AF_INET6)
		a6->sin6_port = htons(p);
	else
		a4->sin_port = htons(p);
	return 0;
}

/* The names of each choice option, in the order --help and errors say them. */
static const struct opt_name rtt_types[] = {
	{ "min", PPING_RTT_MIN, NULL }, { "smoothed", PPING_RTT_SMOOTHED, NULL },
};

static const struct opt_name tcp_methods[] = {
	{ "auto", PPING_TCP_AUTO, "timestamps where both directions carry them, SEQ/ACK otherwise" },
	{ "ts", PPING_TCP_TS, "timestamps only; flows without them are not measured" },
	{ "seq", PPING_TCP_SEQ, "SEQ/ACK for every flow" },
};

static const struct opt_name ingress_hooks[] = {
	{ "tc", INGRESS_TC, NULL }, { "xdp", INGRESS_XDP, NULL },
};

static const struct opt_name xdp_modes[] = {
	{ "native", XDP_MODE_NATIVE, NULL }, { "generic", XDP_MODE_SKB, NULL },
	{ "unspecified", XDP_MODE_UNSPEC, NULL },
};

const char *xdp_mode_name(enum xdp_attach_mode m)
{
	/* Offload is no --xdp-mode, but libxdp may report it. */
	return m == XDP_MODE_HW ? "offload" :
	       opt_value_name(xdp_modes, ARRAY_SIZE(xdp_modes), m);
}

static const struct opt_name agg_wheres[] = {
	{ "auto", AGG_AUTO, NULL },
	{ "kernel", AGG_KERNEL, NULL },
	{ "events", AGG_EVENTS, NULL },
};

static const struct opt_name replay_runss[] = {
	{ "auto", REPLAY_RUNS_AUTO, NULL },
	{ "xdp", REPLAY_RUNS_XDP, "no sk_buff per packet" },
	{ "tc", REPLAY_RUNS_TC, NULL },
};

static const struct opt_name tc_attaches[] = {
	{ "auto", TC_ATTACH_AUTO, NULL },
	{ "tcx", TC_ATTACH_TCX, "bpf_link" },
	{ "clsact", TC_ATTACH_CLSACT, "cls_bpf filter" },
};

static const struct opt_name xdp_attaches[] = {
	{ "auto", XDP_ATTACH_AUTO, NULL },
	{ "dispatcher", XDP_ATTACH_DISPATCHER, "libxdp; the interface stays shareable" },
	{ "link", XDP_ATTACH_LINK, "XDP bpf_link" },
	{ "netlink", XDP_ATTACH_NETLINK, NULL },
};

/* Output formats and cleanup mechanisms are named by output.c and cleanup.c. */
static const struct opt_name formats[] = {
	{ .value = OUTPUT_STANDARD }, { .value = OUTPUT_PPVIZ },
	{ .value = OUTPUT_JSON }, { .value = OUTPUT_JSONL },
};

static const struct opt_name cleanup_mechs[] = {
	{ .value = CLEANUP_AUTO },
	{ .value = CLEANUP_FOREACH, .gloss = "for-each walks in syscall programs" },
	{ .value = CLEANUP_ITER, .gloss = "map-element iterators" },
	{ .value = CLEANUP_BATCH, .gloss = "batched map syscalls" },
};

static const char *format_name(int v)
{
	return output_format_name((enum output_format)v);
}

static const char *mech_name(int v)
{
	return cleanup_mech_name((enum cleanup_mech)v);
}

/* -i IF, repeatable, or -i IF1,IF2: each name once, at most
 * PPING_MAX_IFACES. */
static int set_interfaces(const struct opt_entry *e, const char *arg, void *base)
{
	struct pping_opts *o = base;
	const char *p = arg, *end;
	size_t len;
	int i;

	do {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len || len >= IF_NAMESIZE)
			return opt_bad_value(e, arg, "interface names of 1 to 15 characters, separated by commas");
		if (o->n_ifaces == PPING_MAX_IFACES)
			return opt_bad_value(e, arg, "at most " STR(PPING_MAX_IFACES) " interfaces");
		memcpy(o->ifnames[o->n_ifaces], p, len);
		o->ifnames[o->n_ifaces][len] = '\0';
		for (i = 0; i < o->n_ifaces; i++)
			if (!strcmp(o->ifnames[i], o->ifnames[o->n_ifaces]))
				return opt_bad_value(e, arg, "each interface once");
		o->n_ifaces++;
		p = end ? end + 1 : NULL;
	} while (p);
	return -1;
}

static int set_local_net(const struct opt_entry *e, const char *arg, void *base)
{
	struct pping_opts *o = base;
	char most[32];

	if (o->n_local_nets == CAPTURE_MAX_LOCAL_NETS) {
		snprintf(most, sizeof(most), "at most %d prefixes",
			 CAPTURE_MAX_LOCAL_NETS);
		return opt_bad_value(e, arg, most);
	}
	if (local_net_parse(arg, &o->local_nets[o->n_local_nets]))
		return opt_bad_value(e, arg, "an IPv4 address with an optional prefix length 0 to 32, or an IPv6 address with 0 to 128 (e.g. 10.0.0.0/8, 2001:db8::/32)");
	o->n_local_nets++;
	return -1;
}

/* --include / --exclude CIDR, repeatable. */
static int add_prefix(const struct opt_entry *e, const char *arg,
		      struct local_net *list, int *n)
{
	if (*n == PPING_MAX_FILTERS)
		return opt_bad_value(e, arg, "at most " STR(PPING_MAX_FILTERS) " prefixes");
	if (local_net_parse(arg, &list[*n]))
		return opt_bad_value(e, arg, "an IPv4 address with an optional prefix length 0 to 32, or an IPv6 address with 0 to 128 (e.g. 10.0.0.0/8, 2001:db8::/32)");
	(*n)++;
	return -1;
}

static int set_include(const struct opt_entry *e, const char *arg, void *base)
{
	struct pping_opts *o = base;

	return add_prefix(e, arg, o->includes, &o->n_includes);
}

static int set_exclude(const struct opt_entry *e, const char *arg, void *base)
{
	struct pping_opts *o = base;

	return add_prefix(e, arg, o->excludes, &o->n_excludes);
}

/* --ports P[,P|P-Q]...: whole numbers 1 to 65535, ranges low to high. */
static int set_ports(const struct opt_entry *e, const char *arg, void *base)
{
	static const char what[] = "ports 1 to 65535 and ranges, separated by commas (e.g. 80,443,8000-8099)";
	struct pping_opts *o = base;
	const char *p = arg;
	unsigned long lo, hi, port;
	char *end;

	do {
		if (!isdigit((unsigned char)*p))
			return opt_bad_value(e, arg, what);
		lo = hi = strtoul(p, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return opt_bad_value(e, arg, what);
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo < 1 || hi > 65535 || lo > hi || (*end && *end != ','))
			return opt_bad_value(e, arg, what);
		for (port = lo; port <= hi; port++) {
			if (!(o->ports[port / 64] & (1ULL << (port % 64))))
				o->n_ports++;
			o->ports[port / 64] |= 1ULL << (port % 64);
		}
		p = *end ? end + 1 : NULL;
	} while (p);
	return -1;
}

static int set_metrics(const struct opt_entry *e, const char *arg, void *base)
{
	struct pping_opts *o = base;

	if (parse_listen_addr(arg, &o->metrics_addr))
		return opt_bad_value(e, arg, "[ADDR:]PORT with PORT 1 to 65535 (e.g. 9100, 0.0.0.0:9100, [::1]:9100)");
	o->metrics = true;
	o->metrics_arg = arg;
	return -1;
}

static int set_verbose(const struct opt_entry *e, const char *arg, void *base)
{
	(void)e, (void)arg;
	((struct pping_opts *)base)->verbose++;
	return -1;
}

static int show_version(const struct opt_entry *e, const char *arg, void *base)
{
	(void)e, (void)arg, (void)base;
	printf("pping %s\n", PPING_VERSION);
	return EXIT_OK;
}

static void usage(FILE *f);

static int show_help(const struct opt_entry *e, const char *arg, void *base)
{
	(void)e, (void)arg, (void)base;
	usage(stdout);
	return EXIT_OK;
}

/* The field of struct pping_opts an entry sets. */
#define FIELD(f) .off = offsetof(struct pping_opts, f), \
		 .size = sizeof(((struct pping_opts *)0)->f)
#define NAMES(list) .names = list, .n_names = ARRAY_SIZE(list)

/* In the order of --help. */
static const struct opt_entry opts[] = {
	{ "interface", 'i', "IF", OPT_SPECIAL, .set = set_interfaces,
	  .help = "interface to monitor (required unless --read); repeat it, or give IF1,IF2, to monitor several (up to " STR(PPING_MAX_IFACES) ") with one set of maps: each record then names its interface" },
	{ "read", 0, "FILE", OPT_STRING, FIELD(read_path),
	  .noun = "a capture file name",
	  .help = "replay a capture (pcap or pcapng; Ethernet, Linux cooked or raw IP) through the same programs, on the capture's clock, as fast as the CPU allows" },
	{ "threads", 0, "N", OPT_UINT, FIELD(threads),
	  .min = 0, .max = REPLAY_MAX_THREADS, .def = 0, .zero = "one per online CPU",
	  .help = "with --read: run packets on N worker threads, both directions of a flow on the same one, while the main thread reads the capture and writes the output (1: the main thread does it all in turn); the output is the same as with 1, unless the flow map fills (which flows get an entry then depends on timing)" },
	{ "local-net", 0, "CIDR", OPT_SPECIAL, .set = set_local_net,
	  .help = "with --read: addresses on our side (repeatable, up to " STR(CAPTURE_MAX_LOCAL_NETS) "); their packets count as leaving, packets to them as arriving, others are skipped. Without it both ends of every flow are measured" },
	{ "include", 0, "CIDR", OPT_SPECIAL, .set = set_include,
	  .help = "measure only flows with an end in CIDR (repeatable, IPv4 or IPv6, up to " STR(PPING_MAX_FILTERS) " with --exclude); the longest matching prefix of either end decides" },
	{ "exclude", 0, "CIDR", OPT_SPECIAL, .set = set_exclude,
	  .help = "leave out flows with an end in CIDR (repeatable), e.g. a VPN concentrator; it costs one lookup per end and creates no state" },
	{ "ports", 0, "LIST", OPT_SPECIAL, .set = set_ports,
	  .help = "measure only TCP flows with either port in LIST (e.g. 80,443,8000-8099; default: every port)" },
	{ "rate-limit", 'r', "DUR", OPT_DURATION, FIELD(rate_limit_ns),
	  .min = 0, .max = 60 * NS_PER_S, .def = PPING_DEFAULT_RATE_LIMIT_NS,
	  .eg = "100ms, 0.1s, 500us; a bare number is ms",
	  .help = "minimum time between bursts of timestamped packets of one flow direction (one packet each unless --burst); 0 timestamps every new TSval" },
	{ "rtt-rate", 'R', "FACTOR", OPT_FACTOR, FIELD(rtt_rate),
	  .fmin = 0.001, .fmax = 1000, .def = 0, .zero = "off", .eg = "1, 0.5",
	  .help = "make that interval FACTOR x the flow's RTT once it has one; --rate-limit until then" },
	{ "rtt-type", 't', "TYPE", OPT_CHOICE, FIELD(rtt_type), NAMES(rtt_types),
	  .def = PPING_RTT_MIN,
	  .help = "which RTT --rtt-rate uses; smoothed takes the lower of the smoothed RTT and the latest sample, so the interval shrinks as soon as the RTT does" },
	{ "burst", 0, "N", OPT_UINT, FIELD(burst),
	  .min = 1, .max = PPING_BURST_MAX, .def = PPING_DEFAULT_BURST,
	  .help = "timestamp up to N packets with distinct TSvals per interval, all within --burst-window of the first; rescues flows whose delayed ACKs echo the second packet; only a burst's first match is printed" },
	{ "burst-window", 0, "DUR", OPT_DURATION, FIELD(burst_window_ns),
	  .min = 0, .max = NS_PER_S, .def = PPING_DEFAULT_BURST_WINDOW_NS, .eg = "4ms",
	  .help = "how long after its first packet a burst may add more" },
	{ "method", 0, "M", OPT_CHOICE, FIELD(tcp_method), NAMES(tcp_methods),
	  .def = PPING_TCP_AUTO,
	  .help = "how TCP RTTs are taken: by the timestamp option's echo, or by the ACK that first covers a data range sent once (SEQ/ACK, Karn's rule)" },
	{ "no-icmp", 0, NULL, OPT_FLAG, FIELD(icmp), .def = true,
	  .help = "do not measure ICMP and ICMPv6 echo (ping) round trips (default: measured, request to reply)" },
	{ "include-local", 'l', NULL, OPT_FLAG, FIELD(include_local),
	  .help = "also measure the RTT towards the local side: timestamp arriving packets and match replies on egress; such samples are marked" },
	{ "ingress-hook", 'I', "HOOK", OPT_CHOICE, FIELD(ingress),
	  NAMES(ingress_hooks), .def = INGRESS_TC,
	  .help = "where arriving packets are seen" },
	{ "xdp-mode", 'x', "MODE", OPT_CHOICE, FIELD(xdp_mode), NAMES(xdp_modes),
	  .def = XDP_MODE_NATIVE,
	  .help = "how the XDP program attaches with -I xdp" },
	{ "replay-runs", 0, "HOW", OPT_CHOICE, FIELD(replay_runs),
	  NAMES(replay_runss), .def = REPLAY_RUNS_AUTO,
	  .help = "with --read, the test runs that feed packets to the programs (the same results either way)" },
	{ "duration", 'd', "DUR", OPT_DURATION, FIELD(duration_ns),
	  .min = 1, .max = 366ULL * 24 * 3600 * NS_PER_S, .def = 0,
	  .zero = "run until SIGINT/SIGTERM", .hide_range = true,
	  .eg = "10s, 5m", .help = "stop after DUR" },
	{ "max-flows", 0, "N", OPT_UINT, FIELD(max_flows),
	  .min = MAP_ENTRIES_MIN, .max = MAP_ENTRIES_MAX,
	  .def = PPING_DEFAULT_MAX_FLOWS, .help = "flow map entries" },
	{ "max-timestamps", 0, "N", OPT_UINT, FIELD(max_timestamps),
	  .min = MAP_ENTRIES_MIN, .max = MAP_ENTRIES_MAX,
	  .def = PPING_DEFAULT_MAX_TIMESTAMPS,
	  .help = "outstanding-identifier map entries" },
	{ "cleanup-interval", 'c', "DUR", OPT_DURATION, FIELD(cleanup_interval_ns),
	  .min = NS_PER_MS, .max = 3600 * NS_PER_S, .def = NS_PER_S,
	  .zero_ok = true, .zero = "off", .eg = "1s, 500ms",
	  .help = "remove expired identifiers and closed, unanswered and idle flows this often; 0 turns cleanup and adaptive degradation off" },
	{ "no-degrade", 0, NULL, OPT_FLAG, FIELD(adaptive), .def = true,
	  .help = "keep the configured rate limit and timeouts even when the maps fill (default: degrade gracefully)" },
	{ "format", 'F', "FMT", OPT_CHOICE, FIELD(format), NAMES(formats),
	  .name_of = format_name, .def = OUTPUT_STANDARD,
	  .help = "how records are written; ppviz prints RTT events only" },
	{ "write", 'w', "FILE", OPT_STRING, FIELD(write_path),
	  .noun = "a file name",
	  .help = "append the output to FILE instead of stdout; SIGHUP reopens it (log rotation); json refuses a file that already has content" },
	{ "aggregate", 'a', "DUR", OPT_DURATION, FIELD(aggregate_ns),
	  .min = 100 * NS_PER_MS, .max = 3600 * NS_PER_S, .def = 0,
	  .zero = "off", .eg = "10s, 1m",
	  .help = "instead of one record per event, every DUR one record per subnet (RTT min, p50, p95, p99, max, queueing delay, traffic) and a global record" },
	{ "aggregate-subnets-v4", 0, "N", OPT_UINT, FIELD(agg_prefix_v4),
	  .min = 0, .max = 32, .def = 24, .noun = "a prefix length",
	  .help = "IPv4 subnet prefix length" },
	{ "aggregate-subnets-v6", 0, "N", OPT_UINT, FIELD(agg_prefix_v6),
	  .min = 0, .max = 128, .def = 48, .noun = "a prefix length",
	  .help = "IPv6 subnet prefix length" },
	{ "aggregate-max-subnets", 0, "N", OPT_UINT, FIELD(agg_max_subnets),
	  .min = 1, .max = 4096, .def = PPING_DEFAULT_MAX_SUBNETS,
	  .help = "subnets tracked at once; others are counted as overflow" },
	{ "qdelay-window", 0, "DUR", OPT_DURATION, FIELD(qdelay_window_ns),
	  .min = NS_PER_S, .max = 3600 * NS_PER_S, .def = 300 * NS_PER_S,
	  .eg = "5m",
	  .help = "queueing delay is the RTT minus the subnet's minimum RTT over this sliding window" },
	{ "aggregate-in", 0, "WHERE", OPT_CHOICE, FIELD(agg_where),
	  NAMES(agg_wheres), .def = AGG_AUTO,
	  .help = "with -a, where its RTT histograms are built: kernel (the datapath adds each sample, no event per sample), events (the daemon, from one event per sample) or auto (kernel live; events in a replay, so every --threads gives the same records); without -a it changes nothing" },
	{ "metrics", 0, "[ADDR:]PORT", OPT_SPECIAL, .set = set_metrics,
	  .help = "serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR default " METRICS_ADDR_DEFAULT "; IPv6 as [::1]:PORT)" },
	{ "probe", 0, NULL, OPT_FLAG, FIELD(probe),
	  .help = "print which kernel features pping uses are available (yes/no and why) and what pping would use for tc, XDP and map cleanup; with -i, a line per interface (framing, native XDP); exit 0 if pping -i can run here, 1 if not" },
	{ "cleanup-mechanism", 0, "M", OPT_CHOICE, FIELD(cleanup_mech),
	  NAMES(cleanup_mechs), .name_of = mech_name, .def = CLEANUP_AUTO,
	  .heading = "Kernel fallbacks (auto: the first the kernel allows, said once on stderr when it is not the first; forcing one the kernel refuses fails):",
	  .help = "how map cleanup walks the maps" },
	{ "tc-attach", 0, "HOW", OPT_CHOICE, FIELD(tc_attach), NAMES(tc_attaches),
	  .def = TC_ATTACH_AUTO, .help = "how the tc programs attach" },
	{ "xdp-attach", 0, "HOW", OPT_CHOICE, FIELD(xdp_attach),
	  NAMES(xdp_attaches), .def = XDP_ATTACH_AUTO,
	  .help = "how the XDP program attaches with -I xdp" },
	{ "verbose", 'v', NULL, OPT_SPECIAL, .set = set_verbose, .heading = "",
	  .help = "more diagnostics on stderr; twice shows libbpf and libxdp debug output" },
	{ "version", 'V', NULL, OPT_SPECIAL, .set = show_version,
	  .help = "print the version and exit" },
	{ "help", 'h', NULL, OPT_SPECIAL, .set = show_help,
	  .help = "print this help and exit" },
};

#define N_OPTS ((int)ARRAY_SIZE(opts))
_Static_assert(ARRAY_SIZE(opts) <= OPT_TABLE_MAX, "raise OPT_TABLE_MAX");

static void usage(FILE *f)
{
	fprintf(f,
"Usage: pping -i INTERFACE [options]\n"
"       pping --read FILE [--local-net CIDR]... [options]\n"
"       pping --probe\n"
"\n"
"Passively measures the round-trip time of every TCP flow through INTERFACE\n"
"from the TCP timestamp option (TSval out, TSecr back). Sends no packets.\n"
"\n"
"Options:\n");
	opt_help(f, opts, N_OPTS);
	fprintf(f,
"\n"
"DUR is a number with a unit ns, us, ms, s, m or h (100ms, 0.1s, 500us);\n"
"a bare number is milliseconds.\n"
"\n"
"Standard output, one line per event:\n"
"  HH:MM:SS.nnnnnnnnn RTT ms MIN_RTT ms TCP SRC:PORT+DST:PORT\n"
"  HH:MM:SS.nnnnnnnnn TCP SRC:PORT+DST:PORT opening due to SYN from dest\n"
"RTT lines name the flow from the side that sent the reply.\n"
"A summary goes to stderr at exit.\n"
"\n"
"Exit status: 0 done, 1 runtime failure, 2 bad command line.\n");
}

/* Whether the option named name was on the command line. */
static bool was_given(const bool *given, const char *name)
{
	int i;

	for (i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return given[i];
	return false;
}

static int check_ppviz(const struct pping_opts *o)
{
	if (o->aggregate_ns && o->format == OUTPUT_PPVIZ) {
		fprintf(stderr, "pping: --format ppviz carries RTT events only and cannot be used with --aggregate (use standard, json or jsonl)\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* --read replays a file: options about a live interface make no sense. */
static int check_replay_options(const struct pping_opts *o)
{
	const char *live = o->n_ifaces ? "--interface" :
			   o->ingress != INGRESS_TC ? "--ingress-hook" :
			   o->duration_ns ? "--duration" :
			   o->metrics ? "--metrics" : NULL;

	if (live) {
		fprintf(stderr, "pping: --read replays a file and cannot be combined with %s, which needs a live interface\n",
			live);
		return EXIT_USAGE;
	}
	return -1;
}

static int check_live_options(const struct pping_opts *o)
{
	if (o->n_local_nets) {
		fprintf(stderr, "pping: --local-net is for --read (a live interface knows its directions)\n");
		return EXIT_USAGE;
	}
	if (o->threads) {
		fprintf(stderr, "pping: --threads is for --read (live, packets run on the CPUs that receive them)\n");
		return EXIT_USAGE;
	}
	if (!o->n_ifaces) {
		fprintf(stderr, "pping: --interface or --read is required (see --help)\n");
		return EXIT_USAGE;
	}
	return -1;
}

static void note_xdp_options(const struct pping_opts *o, const bool *given)
{
	if ((was_given(given, "xdp-mode") || o->xdp_attach != XDP_ATTACH_AUTO) &&
	    o->ingress != INGRESS_XDP)
		fprintf(stderr, "pping: note: --xdp-mode and --xdp-attach have no effect without --ingress-hook xdp\n");
}

int parse_options(int argc, char **argv, struct pping_opts *o)
{
	bool given[N_OPTS] = { false };
	int ret;

	memset(o, 0, sizeof(*o));
	opt_defaults(opts, N_OPTS, o);
	ret = opt_parse(opts, N_OPTS, argc, argv, o, given);
	if (ret >= 0 || o->probe)   /* --probe ignores every other option */
		return ret;
	ret = check_ppviz(o);
	if (ret >= 0)
		return ret;
	if (o->read_path)
		return check_replay_options(o);
	ret = check_live_options(o);
	if (ret < 0)
		note_xdp_options(o, given);
	return ret;
}

void log_options(const struct pping_opts *o)
{
	bool xdp = o->ingress == INGRESS_XDP;
	char ifs[PPING_MAX_IFACES * (IF_NAMESIZE + 1)] = "";
	int i;

	for (i = 0; i < o->n_ifaces; i++)
		snprintf(ifs + strlen(ifs), sizeof(ifs) - strlen(ifs), "%s%s",
			 i ? "," : "", o->ifnames[i]);
	pr_info("config: %s %s, method %s, rate limit %llu ns, rtt-rate %g (%s), burst %d within %llu ns, ingress %s%s%s%s, include-local %s, duration %llu ns, "
		"max flows %u, max timestamps %u, cleanup every %llu ns, degradation %s\n",
		o->read_path ? "replay of" : o->n_ifaces > 1 ? "interfaces" : "interface",
		o->read_path ? o->read_path : ifs,
		opt_value_name(tcp_methods, ARRAY_SIZE(tcp_methods), o->tcp_method),
		(unsigned long long)o->rate_limit_ns, o->rtt_rate,
		opt_value_name(rtt_types, ARRAY_SIZE(rtt_types), o->rtt_type),
		o->burst, (unsigned long long)o->burst_window_ns,
		opt_value_name(ingress_hooks, ARRAY_SIZE(ingress_hooks), o->ingress),
		xdp ? " (" : "",
		xdp ? xdp_mode_name(o->xdp_mode) : "",
		xdp ? ")" : "",
		o->include_local ? "yes" :
		o->read_path && !o->n_local_nets ? "yes (a replay without --local-net)" : "no",
		(unsigned long long)o->duration_ns, o->max_flows,
		o->max_timestamps, (unsigned long long)o->cleanup_interval_ns,
		!o->cleanup_interval_ns ? "off (no cleanup)" :
		o->adaptive ? "adaptive" : "off");
	pr_info("config: format %s to %s, aggregate every %llu ns (/%u, /%u, max %u subnets), qdelay window %llu ns, metrics %s\n",
		output_format_name(o->format),
		o->write_path ? o->write_path : "stdout",
		(unsigned long long)o->aggregate_ns, o->agg_prefix_v4,
		o->agg_prefix_v6, o->agg_max_subnets,
		(unsigned long long)o->qdelay_window_ns,
		o->metrics ? o->metrics_arg : "off");
	pr_info("config: filters: %d included prefixes, %d excluded, %s\n",
		o->n_includes, o->n_excludes,
		o->n_ports ? "some ports only" : "every port");
	pr_info("config: cleanup mechanism %s, tc attach %s, xdp attach %s\n",
		cleanup_mech_name(o->cleanup_mech),
		opt_value_name(tc_attaches, ARRAY_SIZE(tc_attaches), o->tc_attach),
		opt_value_name(xdp_attaches, ARRAY_SIZE(xdp_attaches), o->xdp_attach));
}
