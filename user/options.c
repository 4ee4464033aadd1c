// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <getopt.h>
#include <net/if.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "pping.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

#define RATE_LIMIT_MAX_NS (60 * NS_PER_S)
#define BURST_WINDOW_MAX_NS (1 * NS_PER_S)
#define RTT_RATE_MIN 0.001
#define RTT_RATE_MAX 1000.0

/* Long options without a short form. */
enum {
	OPT_BURST = 256,
	OPT_BURST_WINDOW,
	OPT_MAX_FLOWS,
	OPT_MAX_TIMESTAMPS,
	OPT_NO_DEGRADE,
	OPT_AGG_V4,
	OPT_AGG_V6,
	OPT_AGG_MAX,
	OPT_QDELAY_WINDOW,
	OPT_METRICS,
	OPT_READ,
	OPT_LOCAL_NET,
	OPT_PROBE,
	OPT_CLEANUP_MECH,
	OPT_TC_ATTACH,
	OPT_XDP_ATTACH,
};

/* Map sizes: 16 Mi entries of either map already take ~3.5 GiB. */
#define MAP_ENTRIES_MIN 16
#define MAP_ENTRIES_MAX (16U << 20)
#define MAP_ENTRIES_DEFAULT 131072
#define CLEANUP_DEFAULT_NS (1 * NS_PER_S)
#define CLEANUP_MAX_NS (3600 * NS_PER_S)
#define AGGREGATE_MIN_NS  (100 * NS_PER_MS)
#define AGGREGATE_MAX_NS  (3600 * NS_PER_S)
#define AGG_SUBNETS_MAX   4096
#define AGG_SUBNETS_DEFAULT 256
#define QDELAY_WINDOW_MIN_NS (1 * NS_PER_S)
#define QDELAY_WINDOW_MAX_NS (3600 * NS_PER_S)
#define QDELAY_WINDOW_DEFAULT_NS (300 * NS_PER_S)
#define DURATION_MAX_NS   (366ULL * 24 * 3600 * NS_PER_S)

static const struct option long_opts[] = {
	{ "interface",     required_argument, NULL, 'i' },
	{ "rate-limit",    required_argument, NULL, 'r' },
	{ "rtt-rate",      required_argument, NULL, 'R' },
	{ "rtt-type",      required_argument, NULL, 't' },
	{ "burst",         required_argument, NULL, OPT_BURST },
	{ "burst-window",  required_argument, NULL, OPT_BURST_WINDOW },
	{ "include-local", no_argument,       NULL, 'l' },
	{ "ingress-hook",  required_argument, NULL, 'I' },
	{ "xdp-mode",      required_argument, NULL, 'x' },
	{ "duration",      required_argument, NULL, 'd' },
	{ "max-flows",     required_argument, NULL, OPT_MAX_FLOWS },
	{ "max-timestamps", required_argument, NULL, OPT_MAX_TIMESTAMPS },
	{ "cleanup-interval", required_argument, NULL, 'c' },
	{ "no-degrade",    no_argument,       NULL, OPT_NO_DEGRADE },
	{ "format",        required_argument, NULL, 'F' },
	{ "write",         required_argument, NULL, 'w' },
	{ "aggregate",     required_argument, NULL, 'a' },
	{ "aggregate-subnets-v4", required_argument, NULL, OPT_AGG_V4 },
	{ "aggregate-subnets-v6", required_argument, NULL, OPT_AGG_V6 },
	{ "aggregate-max-subnets", required_argument, NULL, OPT_AGG_MAX },
	{ "qdelay-window", required_argument, NULL, OPT_QDELAY_WINDOW },
	{ "metrics",       required_argument, NULL, OPT_METRICS },
	{ "read",          required_argument, NULL, OPT_READ },
	{ "local-net",     required_argument, NULL, OPT_LOCAL_NET },
	{ "probe",         no_argument,       NULL, OPT_PROBE },
	{ "cleanup-mechanism", required_argument, NULL, OPT_CLEANUP_MECH },
	{ "tc-attach",     required_argument, NULL, OPT_TC_ATTACH },
	{ "xdp-attach",    required_argument, NULL, OPT_XDP_ATTACH },
	{ "verbose",       no_argument,       NULL, 'v' },
	{ "version",       no_argument,       NULL, 'V' },
	{ "help",          no_argument,       NULL, 'h' },
	{ 0 },
};

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
"Options:\n"
"  -i, --interface IF       interface to monitor (required unless --read)\n"
"      --read FILE          replay a capture (pcap or pcapng; Ethernet, Linux\n"
"                           cooked or raw IP) through the same programs, on\n"
"                           the capture's clock, as fast as the CPU allows\n"
"      --local-net CIDR     with --read: addresses on our side (repeatable, up\n"
"                           to 32); their packets count as leaving, packets\n"
"                           to them as arriving, others are skipped. Without\n"
"                           it both ends of every flow are measured\n"
"  -r, --rate-limit DUR     minimum time between bursts of timestamped packets\n"
"                           of one flow direction (one packet each unless\n"
"                           --burst); 0 timestamps every new TSval\n"
"                           (default 100ms; 0 to 60s)\n"
"  -R, --rtt-rate FACTOR    make that interval FACTOR x the flow's RTT once it\n"
"                           has one (--rate-limit until then); 0.001 to 1000\n"
"                           (default: off)\n"
"  -t, --rtt-type TYPE      min or smoothed: which RTT --rtt-rate uses; smoothed\n"
"                           takes the lower of the smoothed RTT and the latest\n"
"                           sample, so the interval shrinks as soon as the RTT\n"
"                           does (default min)\n"
"      --burst N            timestamp up to N packets with distinct TSvals per\n"
"                           interval, all within --burst-window of the first;\n"
"                           rescues flows whose delayed ACKs echo the second\n"
"                           packet; only a burst's first match is printed\n"
"                           (default 1; 1 to 255)\n"
"      --burst-window DUR   how long after its first packet a burst may add\n"
"                           more (default 4ms; 0 to 1s)\n"
"  -l, --include-local      also measure the RTT towards the local side:\n"
"                           timestamp arriving packets and match replies on\n"
"                           egress; such samples are marked\n"
"  -I, --ingress-hook HOOK  tc or xdp: where arriving packets are seen\n"
"                           (default tc)\n"
"  -x, --xdp-mode MODE      native, generic or unspecified: how the XDP\n"
"                           program attaches with -I xdp (default native)\n"
"  -d, --duration DUR       stop after DUR (default: run until SIGINT/SIGTERM)\n"
"      --max-flows N        flow map entries (default 131072; 16 to 16777216)\n"
"      --max-timestamps N   outstanding-identifier map entries (default 131072;\n"
"                           16 to 16777216)\n"
"  -c, --cleanup-interval DUR\n"
"                           remove expired identifiers and closed, unanswered\n"
"                           and idle flows this often; 0 turns cleanup and\n"
"                           adaptive degradation off (default 1s; 0 to 1h)\n"
"      --no-degrade         keep the configured rate limit and timeouts even\n"
"                           when the maps fill (default: degrade gracefully)\n"
"  -F, --format FMT         standard, ppviz, json or jsonl (default standard);\n"
"                           ppviz prints RTT events only\n"
"  -w, --write FILE         append the output to FILE instead of stdout;\n"
"                           SIGHUP reopens it (log rotation); json refuses a\n"
"                           file that already has content\n"
"  -a, --aggregate DUR      instead of one record per event, every DUR one\n"
"                           record per subnet (RTT min, p50, p95, p99, max,\n"
"                           queueing delay, traffic) and a global record\n"
"                           (100ms to 1h; default: off)\n"
"      --aggregate-subnets-v4 N\n"
"                           IPv4 subnet prefix length (default 24; 0 to 32)\n"
"      --aggregate-subnets-v6 N\n"
"                           IPv6 subnet prefix length (default 48; 0 to 128)\n"
"      --aggregate-max-subnets N\n"
"                           subnets tracked at once; others are counted as\n"
"                           overflow (default 256; 1 to 4096)\n"
"      --qdelay-window DUR  queueing delay is the RTT minus the subnet's\n"
"                           minimum RTT over this sliding window\n"
"                           (default 5m; 1s to 1h)\n"
"      --metrics [ADDR:]PORT\n"
"                           serve Prometheus metrics on http://ADDR:PORT/metrics\n"
"                           (ADDR default 127.0.0.1; IPv6 as [::1]:PORT)\n"
"      --probe              print which kernel features pping uses are\n"
"                           available (yes/no and why) and what pping would\n"
"                           use for tc, XDP and map cleanup; exit 0 if\n"
"                           pping -i can run here, 1 if not\n"
"\n"
"Kernel fallbacks (default auto: the first the kernel allows, said once on\n"
"stderr when it is not the first; forcing one the kernel refuses fails):\n"
"      --cleanup-mechanism M  auto, iter (map-element iterators), foreach\n"
"                           (for-each walks in syscall programs) or batch\n"
"                           (batched map syscalls)\n"
"      --tc-attach HOW      auto, tcx (bpf_link) or clsact (cls_bpf filter)\n"
"      --xdp-attach HOW     with -I xdp: auto, dispatcher (libxdp; the\n"
"                           interface stays shareable), link (XDP bpf_link)\n"
"                           or netlink\n"
"\n"
"  -v, --verbose            more diagnostics on stderr; twice shows libbpf\n"
"                           and libxdp debug output\n"
"  -V, --version            print the version and exit\n"
"  -h, --help               print this help and exit\n"
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

static int parse_factor(const char *s, double *v)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	return (errno || *end || !isfinite(*v)) ? -1 : 0;
}

/* A whole number in [lo, hi], digits only: no sign, no spaces. */
static int parse_uint_range(const char *s, unsigned long lo, unsigned long hi,
			    unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno || *end || *v < lo || *v > hi) ? -1 : 0;
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
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
	if (parse_uint_range(port, 1, 65535, &p))
		return -1;
	if (ss->ss_family == AF_INET6)
		a6->sin6_port = htons(p);
	else
		a4->sin_port = htons(p);
	return 0;
}

/* --read replays a file: options about a live interface make no sense. */
static int check_replay_options(const struct pping_opts *o)
{
	const char *live = o->ifname ? "--interface" :
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

static const char *const tc_attach_names[] = {
	[TC_ATTACH_AUTO] = "auto", [TC_ATTACH_TCX] = "tcx",
	[TC_ATTACH_CLSACT] = "clsact",
};

static const char *const xdp_attach_names[] = {
	[XDP_ATTACH_AUTO] = "auto", [XDP_ATTACH_DISPATCHER] = "dispatcher",
	[XDP_ATTACH_LINK] = "link", [XDP_ATTACH_NETLINK] = "netlink",
};

/* Index of s in names[0..n), or -1. */
static int name_index(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int bad_value(const char *opt, const char *val, const char *allowed)
{
	fprintf(stderr, "pping: invalid value '%s' for %s: expected %s\n",
		val, opt, allowed);
	return EXIT_USAGE;
}

int parse_options(int argc, char **argv, struct pping_opts *o)
{
	bool xdp_mode_set = false;
	unsigned long ul;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->rate_limit_ns = 100 * NS_PER_MS;
	o->burst_window_ns = 4 * NS_PER_MS;
	o->burst = 1;
	o->rtt_type = PPING_RTT_MIN;
	o->ingress = INGRESS_TC;
	o->xdp_mode = XDP_MODE_NATIVE;
	o->max_flows = MAP_ENTRIES_DEFAULT;
	o->max_timestamps = MAP_ENTRIES_DEFAULT;
	o->cleanup_interval_ns = CLEANUP_DEFAULT_NS;
	o->adaptive = true;
	o->format = OUTPUT_STANDARD;
	o->agg_prefix_v4 = 24;
	o->agg_prefix_v6 = 48;
	o->agg_max_subnets = AGG_SUBNETS_DEFAULT;
	o->qdelay_window_ns = QDELAY_WINDOW_DEFAULT_NS;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:r:R:t:lI:x:d:c:F:w:a:vVh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE)
				return bad_value("--interface", optarg,
						 "an interface name of 1 to 15 characters");
			o->ifname = optarg;
			break;
		case 'r':
			if (parse_duration(optarg, &o->rate_limit_ns) ||
			    o->rate_limit_ns > RATE_LIMIT_MAX_NS)
				return bad_value("--rate-limit", optarg,
						 "a duration from 0 to 60s (e.g. 100ms, 0.1s, 500us; a bare number is ms)");
			break;
		case 'R':
			if (parse_factor(optarg, &o->rtt_rate) ||
			    o->rtt_rate < RTT_RATE_MIN || o->rtt_rate > RTT_RATE_MAX)
				return bad_value("--rtt-rate", optarg,
						 "a number from 0.001 to 1000 (e.g. 1, 0.5)");
			break;
		case 't':
			if (strcmp(optarg, "min") == 0)
				o->rtt_type = PPING_RTT_MIN;
			else if (strcmp(optarg, "smoothed") == 0)
				o->rtt_type = PPING_RTT_SMOOTHED;
			else
				return bad_value("--rtt-type", optarg,
						 "min or smoothed");
			break;
		case OPT_BURST:
			if (parse_uint_range(optarg, 1, PPING_BURST_MAX, &ul))
				return bad_value("--burst", optarg,
						 "a whole number from 1 to 255");
			o->burst = ul;
			break;
		case OPT_BURST_WINDOW:
			if (parse_duration(optarg, &o->burst_window_ns) ||
			    o->burst_window_ns > BURST_WINDOW_MAX_NS)
				return bad_value("--burst-window", optarg,
						 "a duration from 0 to 1s (e.g. 4ms)");
			break;
		case 'l':
			o->include_local = true;
			break;
		case 'I':
			if (strcmp(optarg, "tc") == 0)
				o->ingress = INGRESS_TC;
			else if (strcmp(optarg, "xdp") == 0)
				o->ingress = INGRESS_XDP;
			else
				return bad_value("--ingress-hook", optarg,
						 "tc or xdp");
			break;
		case 'x':
			if (strcmp(optarg, "native") == 0)
				o->xdp_mode = XDP_MODE_NATIVE;
			else if (strcmp(optarg, "generic") == 0)
				o->xdp_mode = XDP_MODE_SKB;
			else if (strcmp(optarg, "unspecified") == 0)
				o->xdp_mode = XDP_MODE_UNSPEC;
			else
				return bad_value("--xdp-mode", optarg,
						 "native, generic or unspecified");
			xdp_mode_set = true;
			break;
		case 'd':
			if (parse_duration(optarg, &o->duration_ns) ||
			    o->duration_ns == 0 || o->duration_ns > DURATION_MAX_NS)
				return bad_value("--duration", optarg,
						 "a duration from 1ns to 366 days (e.g. 10s, 5m)");
			break;
		case OPT_MAX_FLOWS:
			if (parse_uint_range(optarg, MAP_ENTRIES_MIN, MAP_ENTRIES_MAX, &ul))
				return bad_value("--max-flows", optarg,
						 "a whole number from 16 to 16777216");
			o->max_flows = ul;
			break;
		case OPT_MAX_TIMESTAMPS:
			if (parse_uint_range(optarg, MAP_ENTRIES_MIN, MAP_ENTRIES_MAX, &ul))
				return bad_value("--max-timestamps", optarg,
						 "a whole number from 16 to 16777216");
			o->max_timestamps = ul;
			break;
		case 'c':
			if (parse_duration(optarg, &o->cleanup_interval_ns) ||
			    o->cleanup_interval_ns > CLEANUP_MAX_NS ||
			    (o->cleanup_interval_ns && o->cleanup_interval_ns < NS_PER_MS))
				return bad_value("--cleanup-interval", optarg,
						 "0 (off) or a duration from 1ms to 1h (e.g. 1s, 500ms)");
			break;
		case OPT_NO_DEGRADE:
			o->adaptive = false;
			break;
		case 'F':
			if (output_format_parse(optarg, &o->format))
				return bad_value("--format", optarg,
						 "standard, ppviz, json or jsonl");
			break;
		case 'w':
			if (!*optarg)
				return bad_value("--write", optarg, "a file name");
			o->write_path = optarg;
			break;
		case 'a':
			if (parse_duration(optarg, &o->aggregate_ns) ||
			    o->aggregate_ns < AGGREGATE_MIN_NS ||
			    o->aggregate_ns > AGGREGATE_MAX_NS)
				return bad_value("--aggregate", optarg,
						 "a duration from 100ms to 1h (e.g. 10s, 1m)");
			break;
		case OPT_AGG_V4:
			if (parse_uint_range(optarg, 0, 32, &ul))
				return bad_value("--aggregate-subnets-v4", optarg,
						 "a prefix length from 0 to 32");
			o->agg_prefix_v4 = ul;
			break;
		case OPT_AGG_V6:
			if (parse_uint_range(optarg, 0, 128, &ul))
				return bad_value("--aggregate-subnets-v6", optarg,
						 "a prefix length from 0 to 128");
			o->agg_prefix_v6 = ul;
			break;
		case OPT_AGG_MAX:
			if (parse_uint_range(optarg, 1, AGG_SUBNETS_MAX, &ul))
				return bad_value("--aggregate-max-subnets", optarg,
						 "a whole number from 1 to 4096");
			o->agg_max_subnets = ul;
			break;
		case OPT_QDELAY_WINDOW:
			if (parse_duration(optarg, &o->qdelay_window_ns) ||
			    o->qdelay_window_ns < QDELAY_WINDOW_MIN_NS ||
			    o->qdelay_window_ns > QDELAY_WINDOW_MAX_NS)
				return bad_value("--qdelay-window", optarg,
						 "a duration from 1s to 1h (e.g. 5m)");
			break;
		case OPT_METRICS:
			if (parse_listen_addr(optarg, &o->metrics_addr))
				return bad_value("--metrics", optarg,
						 "[ADDR:]PORT with PORT 1 to 65535 (e.g. 9100, 0.0.0.0:9100, [::1]:9100)");
			o->metrics = true;
			o->metrics_arg = optarg;
			break;
		case OPT_READ:
			if (!*optarg)
				return bad_value("--read", optarg, "a capture file name");
			o->read_path = optarg;
			break;
		case OPT_LOCAL_NET:
			if (o->n_local_nets == CAPTURE_MAX_LOCAL_NETS)
				return bad_value("--local-net", optarg,
						 "at most 32 prefixes");
			if (local_net_parse(optarg, &o->local_nets[o->n_local_nets]))
				return bad_value("--local-net", optarg,
						 "an IPv4 address with an optional prefix length 0 to 32, or an IPv6 address with 0 to 128 (e.g. 10.0.0.0/8, 2001:db8::/32)");
			o->n_local_nets++;
			break;
		case OPT_PROBE:
			o->probe = true;
			break;
		case OPT_CLEANUP_MECH:
			if (cleanup_mech_parse(optarg, &o->cleanup_mech))
				return bad_value("--cleanup-mechanism", optarg,
						 "auto, iter, foreach or batch");
			break;
		case OPT_TC_ATTACH:
			idx = name_index(optarg, tc_attach_names, 3);
			if (idx < 0)
				return bad_value("--tc-attach", optarg,
						 "auto, tcx or clsact");
			o->tc_attach = (enum tc_attach_how)idx;
			break;
		case OPT_XDP_ATTACH:
			idx = name_index(optarg, xdp_attach_names, 4);
			if (idx < 0)
				return bad_value("--xdp-attach", optarg,
						 "auto, dispatcher, link or netlink");
			o->xdp_attach = (enum xdp_attach_how)idx;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("pping %s\n", PPING_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			fprintf(stderr, "pping: option %s needs a value (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "pping: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pping: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (o->probe)
		return -1;   /* every other option is ignored */
	if (o->aggregate_ns && o->format == OUTPUT_PPVIZ) {
		fprintf(stderr, "pping: --format ppviz carries RTT events only and cannot be used with --aggregate (use standard, json or jsonl)\n");
		return EXIT_USAGE;
	}
	if (o->read_path)
		return check_replay_options(o);
	if (o->n_local_nets) {
		fprintf(stderr, "pping: --local-net is for --read (a live interface knows its directions)\n");
		return EXIT_USAGE;
	}
	if (!o->ifname) {
		fprintf(stderr, "pping: --interface or --read is required (see --help)\n");
		return EXIT_USAGE;
	}
	if ((xdp_mode_set || o->xdp_attach != XDP_ATTACH_AUTO) &&
	    o->ingress != INGRESS_XDP)
		fprintf(stderr, "pping: note: --xdp-mode and --xdp-attach have no effect without --ingress-hook xdp\n");
	return -1;
}

void log_options(const struct pping_opts *o)
{
	static const char *const xdp_modes[] = {
		[XDP_MODE_UNSPEC] = "unspecified", [XDP_MODE_NATIVE] = "native",
		[XDP_MODE_SKB] = "generic", [XDP_MODE_HW] = "offload",
	};

	pr_info("config: %s %s, rate limit %llu ns, rtt-rate %g (%s), burst %d within %llu ns, ingress %s%s%s, include-local %s, duration %llu ns, "
		"max flows %u, max timestamps %u, cleanup every %llu ns, degradation %s\n",
		o->read_path ? "replay of" : "interface",
		o->read_path ? o->read_path : o->ifname,
		(unsigned long long)o->rate_limit_ns, o->rtt_rate,
		o->rtt_type == PPING_RTT_SMOOTHED ? "smoothed" : "min",
		o->burst, (unsigned long long)o->burst_window_ns,
		o->ingress == INGRESS_XDP ? "xdp (" : "tc",
		o->ingress == INGRESS_XDP ? xdp_modes[o->xdp_mode] : "",
		o->ingress == INGRESS_XDP ? ")" : "",
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
	pr_info("config: cleanup mechanism %s, tc attach %s, xdp attach %s\n",
		cleanup_mech_name(o->cleanup_mech), tc_attach_names[o->tc_attach],
		xdp_attach_names[o->xdp_attach]);
}
