/* SPDX-License-Identifier: GPL-2.0 */
/* Monitoring an interface: the loop of a live run. */
#ifndef PPING_LIVE_H
#define PPING_LIVE_H

struct daemon;

/* Until SIGINT/SIGTERM, --duration or a failure. Returns the exit code. */
int live_loop(struct daemon *d);

#endif /* PPING_LIVE_H */
