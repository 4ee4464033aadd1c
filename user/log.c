// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum log_level cur_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	if (level > cur_level)
		return;
	fputs("pping: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* libbpf's and libxdp's warnings are shown at -v only: the daemon reports
 * failures itself in words a user can act on, and the libraries' raw text
 * would come first. Their debug output needs -vv. */
static int lib_print(bool debug, const char *fmt, va_list ap)
{
	if ((debug ? LOG_DEBUG : LOG_INFO) > cur_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print(level == LIBBPF_DEBUG, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print(level == LIBXDP_DEBUG, fmt, ap);
}

void log_route_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
