// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "output.h"

static const char *const format_names[] = {
	[OUTPUT_STANDARD] = "standard",
	[OUTPUT_PPVIZ] = "ppviz",
	[OUTPUT_JSON] = "json",
	[OUTPUT_JSONL] = "jsonl",
};

int output_format_parse(const char *name, enum output_format *fmt)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*fmt = i;
			return 0;
		}
	}
	return -1;
}

const char *output_format_name(enum output_format fmt)
{
	return format_names[fmt];
}

/*
 * O_APPEND so that several writers (or a truncating logrotate with
 * copytruncate) never make us write into the middle of the file. For json,
 * a file with content already holds a complete array; appending a second
 * one would make the file invalid, so refuse it.
 */
static FILE *open_file(const char *path, enum output_format fmt, bool *created)
{
	struct stat st;
	FILE *f;
	int fd;

	/* Exclusive first, only to know whether we created the file. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		pr_warn("cannot open output file %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fmt == OUTPUT_JSON && fstat(fd, &st) == 0 && st.st_size > 0) {
		pr_warn("output file %s already has content: json output is one array per file and cannot be appended to (use -F jsonl to append, or a new file)\n",
			path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		pr_warn("cannot open output file %s: %s\n", path, strerror(errno));
		close(fd);
	}
	return f;
}

int output_open(struct output *o, enum output_format fmt, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->format = fmt;
	o->path = path;
	o->f = path ? open_file(path, fmt, &o->created) : stdout;
	return o->f ? 0 : -1;
}

/* json: close the file's array; a file with no record gets "[]", so it is
 * valid JSON as well. */
static void finish_array(struct output *o)
{
	if (o->format != OUTPUT_JSON)
		return;
	if (!o->array_open)
		fputc('[', o->f);
	fputs(o->array_any ? "\n]\n" : "]\n", o->f);
	o->array_open = false;
	o->array_any = false;
}

int output_reopen(struct output *o)
{
	bool created;
	FILE *f;

	if (!o->path) {
		pr_info("SIGHUP: output is stdout, nothing to reopen\n");
		return -1;
	}
	f = open_file(o->path, o->format, &created);
	if (!f) {
		pr_warn("SIGHUP: keeping the current output file\n");
		return -1;
	}
	finish_array(o);
	if (fclose(o->f))
		pr_warn("closing the previous output file failed: %s\n",
			strerror(errno));
	o->f = f;
	o->created = created;
	o->reopens++;
	pr_info("SIGHUP: reopened %s\n", o->path);
	return 0;
}

FILE *output_record_begin(struct output *o)
{
	if (o->format == OUTPUT_JSON) {
		if (!o->array_open) {
			fputc('[', o->f);
			o->array_open = true;
		}
		fputs(o->array_any ? ",\n" : "\n", o->f);
		o->array_any = true;
	}
	o->records++;
	return o->f;
}

void output_record_end(struct output *o)
{
	if (o->format == OUTPUT_JSONL)
		fputc('\n', o->f);
}

int output_flush(struct output *o)
{
	return (fflush(o->f) || ferror(o->f)) ? -1 : 0;
}

void output_close(struct output *o)
{
	if (!o->f)
		return;
	finish_array(o);
	if (o->f == stdout)
		fflush(o->f);
	else
		fclose(o->f);
	o->f = NULL;
}

void output_abort(struct output *o)
{
	if (!o->f)
		return;
	if (o->f == stdout) {
		fflush(o->f);
	} else {
		fclose(o->f);
		if (o->created && !o->records)
			unlink(o->path);
	}
	o->f = NULL;
}
