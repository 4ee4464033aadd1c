// SPDX-License-Identifier: GPL-2.0
/*
 * Unlocked stdio: one thread writes a record stream (the daemon's main
 * thread), and a locked call per character cost more than the rest of a
 * --read at --rate-limit 0 (a million records).
 */
#define _GNU_SOURCE
#include <string.h>

#include "json.h"

void json_begin(struct json_obj *j, FILE *f)
{
	j->f = f;
	j->any = false;
	putc_unlocked('{', f);
}

/* Names are literals from our code, but escape them like values anyway:
 * one path for every string keeps the output valid by construction. Runs
 * that need no escape go out in one write. */
static void put_string(FILE *f, const char *s)
{
	size_t run;

	putc_unlocked('"', f);
	for (;;) {
		for (run = 0; (unsigned char)s[run] >= 0x20 && s[run] != '"' &&
			      s[run] != '\\'; run++)
			;
		fwrite_unlocked(s, 1, run, f);
		s += run;
		if (!*s)
			break;
		if (*s == '"' || *s == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(*s, f);
		} else {
			fprintf(f, "\\u%04x", (unsigned char)*s);
		}
		s++;
	}
	putc_unlocked('"', f);
}

static void put_name(struct json_obj *j, const char *name)
{
	if (j->any)
		putc_unlocked(',', j->f);
	j->any = true;
	put_string(j->f, name);
	putc_unlocked(':', j->f);
}

void json_u64(struct json_obj *j, const char *name, __u64 v)
{
	char buf[24], *p = buf + sizeof(buf);

	put_name(j, name);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, j->f);
}

void json_str(struct json_obj *j, const char *name, const char *v)
{
	put_name(j, name);
	put_string(j->f, v);
}

void json_bool(struct json_obj *j, const char *name, bool v)
{
	put_name(j, name);
	fputs_unlocked(v ? "true" : "false", j->f);
}

void json_null(struct json_obj *j, const char *name)
{
	put_name(j, name);
	fputs_unlocked("null", j->f);
}

void json_end(struct json_obj *j)
{
	putc_unlocked('}', j->f);
}
