/* SPDX-License-Identifier: GPL-2.0 */
/* Diagnostics to stderr, kept apart from the event output on stdout. */
#ifndef PPING_LOG_H
#define PPING_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Route libbpf's and libxdp's messages through our levels. */
void log_route_libs(void);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* PPING_LOG_H */
