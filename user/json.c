// SPDX-License-Identifier: GPL-2.0
#include "json.h"

void json_begin(struct json_obj *j, FILE *f)
{
	j->f = f;
	j->any = false;
	fputc('{', f);
}

/* Names are literals from our code, but escape them like values anyway:
 * one path for every string keeps the output valid by construction. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_name(struct json_obj *j, const char *name)
{
	if (j->any)
		fputc(',', j->f);
	j->any = true;
	put_string(j->f, name);
	fputc(':', j->f);
}

void json_u64(struct json_obj *j, const char *name, __u64 v)
{
	put_name(j, name);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_str(struct json_obj *j, const char *name, const char *v)
{
	put_name(j, name);
	put_string(j->f, v);
}

void json_bool(struct json_obj *j, const char *name, bool v)
{
	put_name(j, name);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json_obj *j, const char *name)
{
	put_name(j, name);
	fputs("null", j->f);
}

void json_end(struct json_obj *j)
{
	fputc('}', j->f);
}
