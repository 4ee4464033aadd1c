// SPDX-License-Identifier: GPL-2.0
/*
 * The text forms of user/format.c, pure logic: no BPF. They write digits
 * by hand, so each is checked against what libc prints for the same value
 * (inet_ntop, snprintf, localtime_r), over the edges of every field and
 * many values in between.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "harness.h"
#include "json.h"
#include "rng.h"

static bool expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want))
		return fail("%s: got \"%s\", want \"%s\"", what, got, want);
	return true;
}

/* Fixed seed (rng_seed's default): a failure must reproduce. */
static struct rng rs;

static void mapped(__u8 a[16], __u32 v4)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = v4 >> 24;
	a[13] = v4 >> 16;
	a[14] = v4 >> 8;
	a[15] = v4;
}

/* IPv6 addresses whose text form has a rule of its own. */
static bool test_format_ipv6_forms(void)
{
	static const char *forms[] = {
		"::", "::1", "1::", "::1:0:0:0", "1:0:0:1:0:0:0:1",
		"1:0:0:1:0:0:1:1", "0:1:0:1:0:1:0:1", "1:0:1:1:1:1:1:1",
		"::ffff:1.2.3.4", "::1.2.3.4", "::0.0.0.2", "::ffff:0.0.0.0",
		"::fffe:1.2.3.4", "64:ff9b::1.2.3.4", "fe80::1:2", "2001:db8::",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "abcd:ef01:2345:6789::a",
	};
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	unsigned int i;
	__u8 a[16];

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (inet_pton(AF_INET6, forms[i], a) != 1)
			return fail("inet_pton refused %s", forms[i]);
		inet_ntop(AF_INET6, a, want, sizeof(want));
		format_addr(got, sizeof(got), a, 6);
		if (!expect_str(forms[i], got, want))
			return false;
	}
	return true;
}

/* Addresses and endpoints of both families, as inet_ntop and "%s:%u". */
static bool test_format_endpoints(void)
{
	static const __u32 edges[] = { 0, 1, 9, 10, 99, 100, 255, 0x0a000001,
				       0x7f000001, 0xc0a80001, 0xffffffff,
				       0x01020304, 0x0a0b0c0d };
	static const __u16 ports[] = { 0, 1, 9, 10, 80, 443, 9999, 10000,
				       65535 };
	char got[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN], want[sizeof(got)];
	__u8 a[16];
	int i;

	rng_seed(&rs, 0);
	for (i = 0; i < 100000; i++) {
		/* the edges first, all as IPv4; then the families alternate */
		__u32 v4 = i < 13 ? edges[i] : (__u32)rng_next(&rs);
		__u16 port = i < 9 ? ports[i] : (__u16)rng_next(&rs);
		int ipv = i >= 13 && (i & 1) ? 6 : 4;
		__u32 be;

		if (ipv == 4) {
			mapped(a, v4);
			be = htonl(v4);
			inet_ntop(AF_INET, &be, ip, sizeof(ip));
		} else {
			__u64 r = rng_next(&rs), r2 = rng_next(&rs);
			int k;

			/* each group zero half the time, so runs of zero
			 * groups of every length and place, where inet_ntop
			 * writes ::; groups of 1 to 4 digits; and the forms
			 * it ends with a dotted quad (::a.b.c.d, ::ffff:...) */
			memcpy(a, &r, 8);
			memcpy(a + 8, &r2, 8);
			for (k = 0; k < 8; k++) {
				if (rng_next(&rs) & 1)
					a[2 * k] = a[2 * k + 1] = 0;
				else if (rng_next(&rs) & 1)
					a[2 * k] &= rng_next(&rs) & 1 ? 0 : 0x0f;
			}
			if ((i & 6) == 2) {
				memset(a, 0, 12);
				if (i & 8)
					a[10] = a[11] = 0xff;
			}
			inet_ntop(AF_INET6, a, ip, sizeof(ip));
		}
		format_addr(got, sizeof(got), a, ipv);
		if (!expect_str("format_addr", got, ip))
			return false;
		snprintf(want, sizeof(want), "%s:%u", ip, port);
		format_endpoint(got, sizeof(got), a, htons(port), ipv);
		if (!expect_str("format_endpoint", got, want))
			return false;
	}

	/* A buffer too small for the text: "?" for an address, "" for an
	 * endpoint, never a cut text; one of no length is not written. */
	mapped(a, 0x0a000001);
	format_addr(got, 9, a, 4);                      /* "10.0.0.1" fits */
	format_endpoint(want, 12, a, htons(80), 4);     /* "10.0.0.1:80" fits */
	if (!expect_str("fitting address", got, "10.0.0.1") ||
	    !expect_str("fitting endpoint", want, "10.0.0.1:80"))
		return false;
	format_addr(got, 8, a, 4);
	format_endpoint(want, 11, a, htons(80), 4);
	if (!expect_str("short address", got, "?") ||
	    !expect_str("short endpoint", want, ""))
		return false;
	got[0] = 'x';
	format_addr(got, 0, a, 4);
	format_endpoint(got, 0, a, htons(80), 4);
	return expect(got[0] == 'x', "a zero-length buffer was written");
}

/* HH:MM:SS.nnnnnnnnn as localtime_r and snprintf give it, in a zone with
 * a half-hour offset and one with summer time, across a change of it.
 * POSIX zone strings: they need no tzdata on the machine. */
static bool test_format_time_of_day(void)
{
	static const char *zones[] = { "UTC0", "IST-5:30",
				       "CET-1CEST,M3.5.0,M10.5.0/3" };
	/* 2026-03-29 00:59:58 UTC: Berlin goes to summer time at 01:00 */
	const __u64 dst = 1774745998ULL;
	const char *old = getenv("TZ");
	char got[32], want[32], *saved = old ? strdup(old) : NULL;
	bool ok = true;
	struct tm tm;
	unsigned int z;
	int i;

	rng_seed(&rs, 0);
	for (z = 0; ok && z < sizeof(zones) / sizeof(zones[0]); z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (i = 0; ok && i < 5000; i++) {
			/* seconds on both sides of the change, a few records
			 * each (the second's split is kept), and any ns */
			__u64 secs = i < 4000 ? dst + i / 1000 : rng_next(&rs) % 4102444800ULL;
			__u64 ns = i % 1000 == 0 ? 0 : i % 1000 == 1 ? 999999999 :
				   rng_next(&rs) % 1000000000ULL;
			time_t t = secs;

			localtime_r(&t, &tm);
			snprintf(want, sizeof(want), "%02d:%02d:%02d.%09llu",
				 tm.tm_hour, tm.tm_min, tm.tm_sec,
				 (unsigned long long)ns);
			format_time_of_day(got, sizeof(got),
					   secs * 1000000000ULL + ns);
			ok = expect_str(zones[z], got, want);
		}
	}
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	return ok;
}

/* The digit writers at their bounds. */
static bool test_format_digits(void)
{
	static const __u64 vals[] = { 0, 1, 9, 10, 999999, 1000000, 4294967295ULL,
				      18446744073709551615ULL };
	char got[32], want[32];
	unsigned int i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		*format_uint(got, vals[i]) = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
		if (!expect_str("format_uint", got, want))
			return false;
		*format_padded(got, vals[i], 9) = '\0';
		snprintf(want, sizeof(want), "%09llu",
			 (unsigned long long)(vals[i] % 1000000000ULL));
		if (!expect_str("format_padded", got, want))
			return false;
	}
	return true;
}

/* A JSON string as the writer must give it, escaped the plain way. */
static void ref_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Records of every kind of field, with strings needing every escape and
 * one longer than the writer's buffer, against the reference. */
static bool test_format_json(void)
{
	char odd[] = "a\"b\\c\x01d\x1f\n\te", big[3000], *got = NULL, *want = NULL;
	size_t got_len = 0, want_len = 0;
	FILE *g = open_memstream(&got, &got_len);
	FILE *w = open_memstream(&want, &want_len);
	struct json_obj j;
	bool ok;
	int r;

	if (!g || !w)
		return fail("open_memstream failed");
	for (r = 0; r < (int)sizeof(big) - 1; r++)
		big[r] = r % 97 == 0 ? '"' : 'a' + r % 26;
	big[sizeof(big) - 1] = '\0';
	for (r = 0; r < 3; r++) {
		const char *v = r == 0 ? odd : r == 1 ? big : "";

		json_begin(&j, g);
		json_u64(&j, "zero", 0);
		json_u64(&j, "max", 18446744073709551615ULL);
		json_str(&j, "s\"name", v);
		json_bool(&j, "t", true);
		json_bool(&j, "f", false);
		json_null(&j, "n");
		json_end(&j);
		fputc('\n', g);

		fprintf(w, "{\"zero\":0,\"max\":18446744073709551615,");
		ref_string(w, "s\"name");
		fputc(':', w);
		ref_string(w, v);
		fprintf(w, ",\"t\":true,\"f\":false,\"n\":null}\n");
	}
	fclose(g);
	fclose(w);
	ok = got_len == want_len && !memcmp(got, want, got_len);
	if (!ok)
		fail("json records differ: got %zu bytes, want %zu: %.120s", got_len,
		     want_len, got);
	free(got);
	free(want);
	return ok;
}

DEFINE_TESTS(format,
	{ "format_ipv6_forms", test_format_ipv6_forms },
	{ "format_endpoints", test_format_endpoints },
	{ "format_time_of_day", test_format_time_of_day },
	{ "format_digits", test_format_digits },
	{ "format_json", test_format_json }
);
