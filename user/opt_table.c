// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "opt_table.h"
#include "options.h"


/* getopt_long's value for the long form of entry i. */
#define OPT_LONG_BASE 256

/* --help: where an option's text starts, and the width it wraps to. */
#define HELP_COL   27
#define HELP_WIDTH 79
/* A space --help does not break a line at: "(default 100ms". */
#define NBSP "\x1f"

/* A string built piece by piece; what does not fit is cut off. */
struct text {
	char s[1024];
	size_t at;
};

__attribute__((format(printf, 2, 3)))
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->at >= sizeof(t->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->s + t->at, sizeof(t->s) - t->at, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->at += k;
	if (t->at > sizeof(t->s) - 1)
		t->at = sizeof(t->s) - 1;
}

/*
 * A duration as a person writes it: the largest unit it is a whole number
 * of, but seconds below two minutes ("60s") and hours below two days.
 */
static void add_duration(struct text *t, __u64 ns)
{
	static const struct {
		__u64 ns, from;
		const char *fmt;
	} units[] = {
		{ 86400 * NS_PER_S, 2 * 86400 * NS_PER_S, "%llu days" },
		{ 3600 * NS_PER_S, 3600 * NS_PER_S, "%lluh" },
		{ 60 * NS_PER_S, 120 * NS_PER_S, "%llum" },
		{ NS_PER_S, NS_PER_S, "%llus" },
		{ 1000000, 1000000, "%llums" },
		{ 1000, 1000, "%lluus" },
	};
	size_t i;

	for (i = 0; ns && i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns % units[i].ns == 0 && ns >= units[i].from) {
			text_add(t, units[i].fmt,
				 (unsigned long long)(ns / units[i].ns));
			return;
		}
	}
	text_add(t, ns ? "%lluns" : "%llu", (unsigned long long)ns);
}

static const char *choice_name(const struct opt_entry *e, int i)
{
	const struct opt_name *n = &e->names[i];

	return n->name ? n->name : e->name_of(n->value);
}

/* The name of a choice entry's default. */
static const char *choice_default(const struct opt_entry *e)
{
	int i;

	for (i = 0; i < e->n_names; i++)
		if (e->names[i].value == (int)e->def)
			return choice_name(e, i);
	return "?";
}

/* "a, b or c", each name followed by its gloss if glosses. */
static void add_names(struct text *t, const struct opt_entry *e, bool glosses)
{
	int i;

	for (i = 0; i < e->n_names; i++) {
		text_add(t, "%s%s", i == 0 ? "" : i == e->n_names - 1 ? " or " : ", ",
			 choice_name(e, i));
		if (glosses && e->names[i].gloss)
			text_add(t, " (%s)", e->names[i].gloss);
	}
}

/* "MIN to MAX" of a DURATION, UINT or FACTOR entry, sep between the words. */
static void add_range(struct text *t, const struct opt_entry *e, __u64 min,
		      const char *sep)
{
	if (e->kind == OPT_FACTOR) {
		text_add(t, "%g%sto%s%g", e->fmin, sep, sep, e->fmax);
	} else if (e->kind == OPT_DURATION) {
		add_duration(t, min);
		text_add(t, "%sto%s", sep, sep);
		add_duration(t, e->max);
	} else {
		text_add(t, "%llu%sto%s%llu", (unsigned long long)min, sep, sep,
			 (unsigned long long)e->max);
	}
}

/* What a bad value of e should have been, after "expected ". */
static void add_expected(struct text *t, const struct opt_entry *e)
{
	switch (e->kind) {
	case OPT_DURATION:
	case OPT_UINT:
	case OPT_FACTOR:
		if (e->zero_ok)
			text_add(t, "0 (%s) or ", e->zero);
		text_add(t, "%s from ", e->noun ? e->noun :
			 e->kind == OPT_DURATION ? "a duration" :
			 e->kind == OPT_FACTOR ? "a number" : "a whole number");
		add_range(t, e, e->min, " ");
		if (e->eg)
			text_add(t, " (e.g. %s)", e->eg);
		break;
	case OPT_CHOICE:
		add_names(t, e, false);
		break;
	case OPT_STRING:
		text_add(t, "%s", e->noun);
		if (e->max)
			text_add(t, " of 1 to %llu characters",
				 (unsigned long long)e->max);
		break;
	default:
		text_add(t, "%s", e->noun);
	}
}

int opt_bad_value(const struct opt_entry *e, const char *val,
		  const char *expected)
{
	fprintf(stderr, "pping: invalid value '%s' for --%s: expected %s\n",
		val, e->name, expected);
	return EXIT_USAGE;
}

static int bad_value(const struct opt_entry *e, const char *val)
{
	struct text t = { .at = 0 };

	add_expected(&t, e);
	return opt_bad_value(e, val, t.s);
}

int opt_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		   unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno || *end || *v < lo || *v > hi) ? -1 : 0;
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

/* Store v into a field of size bytes (a whole number or an enum). */
static void store_uint(void *field, size_t size, __u64 v)
{
	switch (size) {
	case 1: *(__u8 *)field = v; break;
	case 2: *(__u16 *)field = v; break;
	case 4: *(__u32 *)field = v; break;
	case 8: *(__u64 *)field = v; break;
	}
}

static int set_choice(const struct opt_entry *e, const char *arg, void *field)
{
	int i;

	for (i = 0; i < e->n_names; i++) {
		if (strcmp(arg, choice_name(e, i)) == 0) {
			store_uint(field, e->size, e->names[i].value);
			return -1;
		}
	}
	return bad_value(e, arg);
}

/* Check arg against e and store it; -1 to go on, or the exit code. */
static int opt_set(const struct opt_entry *e, const char *arg, void *base)
{
	void *field = (char *)base + e->off;
	unsigned long ul;
	__u64 ns;
	double d;

	switch (e->kind) {
	case OPT_DURATION:
		if (parse_duration(arg, &ns) ||
		    !((ns == 0 && e->zero_ok) || (ns >= e->min && ns <= e->max)))
			return bad_value(e, arg);
		store_uint(field, e->size, ns);
		return -1;
	case OPT_UINT:
		if (opt_parse_uint(arg, e->min, e->max, &ul))
			return bad_value(e, arg);
		store_uint(field, e->size, ul);
		return -1;
	case OPT_FACTOR:
		if (parse_factor(arg, &d) || d < e->fmin || d > e->fmax)
			return bad_value(e, arg);
		*(double *)field = d;
		return -1;
	case OPT_CHOICE:
		return set_choice(e, arg, field);
	case OPT_FLAG:
		*(bool *)field = !e->def;
		return -1;
	case OPT_STRING:
		if (!*arg || (e->max && strlen(arg) > e->max))
			return bad_value(e, arg);
		*(const char **)field = arg;
		return -1;
	case OPT_SPECIAL:
		return e->set(e, arg, base);
	}
	return -1;
}

void opt_defaults(const struct opt_entry *t, int n, void *base)
{
	int i;

	for (i = 0; i < n; i++) {
		void *field = (char *)base + t[i].off;

		switch (t[i].kind) {
		case OPT_DURATION:
		case OPT_UINT:
		case OPT_CHOICE:
			store_uint(field, t[i].size, t[i].def);
			break;
		case OPT_FACTOR:
			*(double *)field = t[i].def;
			break;
		case OPT_FLAG:
			*(bool *)field = t[i].def;
			break;
		default:
			break;
		}
	}
}

/* getopt_long's arrays for t: longs gets n + 1 entries, shorts 2n + 2. */
static void build_getopt(const struct opt_entry *t, int n,
			 struct option *longs, char *shorts)
{
	char *s = shorts;
	int i;

	*s++ = ':';     /* a missing value returns ':', not '?' */
	for (i = 0; i < n; i++) {
		longs[i] = (struct option){
			.name = t[i].name,
			.has_arg = t[i].arg ? required_argument : no_argument,
			.val = OPT_LONG_BASE + i,
		};
		if (t[i].short_name) {
			*s++ = t[i].short_name;
			if (t[i].arg)
				*s++ = ':';
		}
	}
	longs[n] = (struct option){ 0 };
	*s = 0;
}

/* The entry getopt_long's return c stands for, or -1. */
static int entry_of(const struct opt_entry *t, int n, int c)
{
	int i;

	if (c >= OPT_LONG_BASE && c < OPT_LONG_BASE + n)
		return c - OPT_LONG_BASE;
	for (i = 0; i < n; i++)
		if (t[i].short_name && t[i].short_name == c)
			return i;
	return -1;
}

int opt_parse(const struct opt_entry *t, int n, int argc, char **argv,
	      void *base, bool *given)
{
	struct option longs[OPT_TABLE_MAX + 1];
	char shorts[2 * OPT_TABLE_MAX + 2];
	int c, i, ret = -1;

	if (n > OPT_TABLE_MAX)
		return EXIT_FAIL;
	build_getopt(t, n, longs, shorts);
	opterr = 0;
	while (ret < 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == ':') {
			fprintf(stderr, "pping: option %s needs a value (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
		i = entry_of(t, n, c);
		if (i < 0) {
			fprintf(stderr, "pping: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
		given[i] = true;
		ret = opt_set(&t[i], optarg, base);
	}
	if (ret < 0 && optind < argc) {
		fprintf(stderr, "pping: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return ret;
}

/* " (default X; A to B)" of a DURATION, UINT or FACTOR entry. */
static void add_bounds(struct text *t, const struct opt_entry *e)
{
	if (e->def == 0 && e->zero) {
		text_add(t, " (default:" NBSP "%s", e->zero);
	} else if (e->kind == OPT_DURATION) {
		text_add(t, " (default" NBSP);
		add_duration(t, e->def);
	} else {
		text_add(t, " (default" NBSP "%llu", (unsigned long long)e->def);
	}
	if (!e->hide_range) {
		text_add(t, "; ");
		add_range(t, e, e->zero_ok ? 0 : e->min, NBSP);
	}
	if (e->zero_ok) {
		text_add(t, ", ");
		add_duration(t, e->min);
		text_add(t, " at least when not 0");
	}
	text_add(t, ")");
}

/* The text of e's --help entry: choices, help, default and range. */
static void help_text(struct text *t, const struct opt_entry *e)
{
	if (e->kind == OPT_CHOICE) {
		add_names(t, e, true);
		text_add(t, ": ");
	}
	text_add(t, "%s", e->help);
	switch (e->kind) {
	case OPT_DURATION:
	case OPT_UINT:
	case OPT_FACTOR:
		add_bounds(t, e);
		break;
	case OPT_CHOICE:
		text_add(t, " (default" NBSP "%s)", choice_default(e));
		break;
	default:
		break;
	}
}

/*
 * Print s word by word from column col (where the cursor is) to HELP_WIDTH,
 * each NBSP as a space.
 */
static void print_wrapped(FILE *f, const char *s, int col)
{
	int at = col;
	size_t len, i;

	s += strspn(s, " ");
	while (*s) {
		len = strcspn(s, " ");
		if (at > col && at + 1 + (int)len > HELP_WIDTH) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		for (i = 0; i < len; i++)
			fputc(s[i] == NBSP[0] ? ' ' : s[i], f);
		at += len;
		s += len;
		s += strspn(s, " ");
	}
	fputc('\n', f);
}

void opt_help(FILE *f, const struct opt_entry *t, int n)
{
	struct text text;
	int i, w;

	for (i = 0; i < n; i++) {
		if (t[i].heading) {
			fputc('\n', f);
			if (*t[i].heading)
				print_wrapped(f, t[i].heading, 0);
		}
		if (t[i].short_name)
			w = fprintf(f, "  -%c, --%s", t[i].short_name, t[i].name);
		else
			w = fprintf(f, "      --%s", t[i].name);
		if (t[i].arg)
			w += fprintf(f, " %s", t[i].arg);
		if (w + 2 > HELP_COL) {
			fputc('\n', f);
			w = 0;
		}
		fprintf(f, "%*s", HELP_COL - w, "");
		text.at = 0;
		text.s[0] = 0;
		help_text(&text, &t[i]);
		print_wrapped(f, text.s, HELP_COL);
	}
}

const char *opt_value_name(const struct opt_name *names, int n, int value)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i].value == value && names[i].name)
			return names[i].name;
	return "?";
}
