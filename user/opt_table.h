/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options described by one table (libbpf-tools' argp opts[],
 * with the range and default in the entry too): the getopt_long parser, the
 * error messages and the --help entries are all made from it, so they
 * cannot drift apart. options.c holds pping's table.
 */
#ifndef PPING_OPT_TABLE_H
#define PPING_OPT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum opt_kind {
	OPT_DURATION,  /* parse_duration(), in [min, max] ns */
	OPT_UINT,      /* a whole number in [min, max] */
	OPT_FACTOR,    /* a decimal number in [fmin, fmax] */
	OPT_CHOICE,    /* one of names[]: stores its value */
	OPT_FLAG,      /* no argument: stores !def into a bool */
	OPT_STRING,    /* a non-empty string (at most max bytes if max) */
	OPT_SPECIAL,   /* set() does the work */
};

/* One name a choice option accepts. */
struct opt_name {
	const char *name;        /* NULL: the entry's name_of(value) says it */
	int value;
	const char *gloss;       /* said after the name in --help, or NULL */
};

struct opt_entry {
	const char *name;        /* long name, without "--" */
	char short_name;         /* 0: none */
	const char *arg;         /* the argument in --help; NULL: takes none */
	enum opt_kind kind;
	size_t off, size;        /* the field it sets in the caller's struct */
	__u64 min, max;          /* DURATION (ns), UINT; STRING: max length */
	double fmin, fmax;       /* FACTOR */
	__u64 def;               /* DURATION (ns), UINT, CHOICE (a value), FLAG,
				  * FACTOR (whole numbers only) */
	bool zero_ok;            /* DURATION: 0 is accepted besides the range */
	bool hide_range;         /* --help does not state the range */
	const char *zero;        /* what 0 means ("off"), for a default of 0
				  * or with zero_ok */
	const struct opt_name *names;   /* CHOICE, in the order --help says */
	int n_names;
	const char *(*name_of)(int value);
	/* SPECIAL: -1 to go on, or the exit code to end with. */
	int (*set)(const struct opt_entry *e, const char *arg, void *base);
	const char *noun;        /* what the value is, in errors: "a file name" */
	const char *eg;          /* examples, in errors */
	const char *heading;     /* --help: a blank line and this before it */
	const char *help;
};

/* Most entries a table may have (getopt's arrays are built on the stack). */
#define OPT_TABLE_MAX 64

/* Store every entry's default into base. */
void opt_defaults(const struct opt_entry *t, int n, void *base);

/*
 * getopt_long over argv with the options of t, each stored into base;
 * given[i] is set for every entry t[i] on the command line. Returns -1 to
 * go on, or the exit code to end with (a setter's, or EXIT_USAGE after
 * saying what was wrong).
 */
int opt_parse(const struct opt_entry *t, int n, int argc, char **argv,
	      void *base, bool *given);

/* Print the --help entries of t. */
void opt_help(FILE *f, const struct opt_entry *t, int n);

/* "pping: invalid value 'VAL' for --NAME: expected EXPECTED"; EXIT_USAGE. */
int opt_bad_value(const struct opt_entry *e, const char *val,
		  const char *expected);

/* The name of value in names[0..n), or "?". */
const char *opt_value_name(const struct opt_name *names, int n, int value);

/* A whole number in [lo, hi], digits only: no sign, no spaces. */
int opt_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		   unsigned long *v);

#endif /* PPING_OPT_TABLE_H */
