/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where records go and how they are framed: stdout or a file (-w) that
 * SIGHUP reopens for log rotation, and the JSON array around json records.
 * What a record says is up to its writer (event_print.c, aggregate.c).
 */
#ifndef PPING_OUTPUT_H
#define PPING_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

enum output_format {
	OUTPUT_STANDARD,
	OUTPUT_PPVIZ,
	OUTPUT_JSON,
	OUTPUT_JSONL,
};

struct output {
	enum output_format format;
	const char *path;          /* NULL: stdout */
	FILE *f;
	bool array_open;           /* json: '[' written, ']' owed at close */
	bool array_any;            /* json: an element was written */
	unsigned long long records;
	unsigned long long reopens;
	bool created;              /* the file did not exist before we opened it */
};

/* Parse a --format name; -1 if unknown. */
int output_format_parse(const char *name, enum output_format *fmt);
const char *output_format_name(enum output_format fmt);

/* Open stdout (path NULL) or append to path. json refuses a file that
 * already has content: a second array after the first is not JSON.
 * Returns 0, or -1 after saying why. */
int output_open(struct output *o, enum output_format fmt, const char *path);

/* SIGHUP: finish the current file and continue in a new one at the same
 * path (it was renamed by logrotate). If the new file cannot be opened,
 * output goes on in the old one. Returns 0 if a new file was opened. */
int output_reopen(struct output *o);

/* Frame one record: returns the stream to write it to. */
FILE *output_record_begin(struct output *o);
void output_record_end(struct output *o);

/* Push buffered records to the file; -1 if the output is broken. */
int output_flush(struct output *o);

/* Close the json array and the file (not stdout, which is only flushed). */
void output_close(struct output *o);

/* A start that failed before any record: leave the file as it was (remove
 * it if we created it), so the next start is not refused. */
void output_abort(struct output *o);

#endif /* PPING_OUTPUT_H */
