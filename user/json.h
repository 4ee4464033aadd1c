/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal JSON object writer for pping's records: flat objects of
 * numbers, strings, booleans and nulls, written straight to a stream.
 * Field names are fixed by the caller; string values are escaped.
 */
#ifndef PPING_JSON_H
#define PPING_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct json_obj {
	FILE *f;
	bool any;        /* a field was written: the next needs a comma */
};

void json_begin(struct json_obj *j, FILE *f);
void json_u64(struct json_obj *j, const char *name, __u64 v);
void json_str(struct json_obj *j, const char *name, const char *v);
void json_bool(struct json_obj *j, const char *name, bool v);
void json_null(struct json_obj *j, const char *name);
void json_end(struct json_obj *j);

#endif /* PPING_JSON_H */
