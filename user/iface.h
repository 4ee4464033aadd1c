/* SPDX-License-Identifier: GPL-2.0 */
/* The monitored interface: lookup, link type, and whether it still exists. */
#ifndef PPING_IFACE_H
#define PPING_IFACE_H

#include <stdbool.h>
#include <net/if.h>

struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
	bool has_l2;     /* frames start with an Ethernet header */
};

/* Returns 0, or -1 after printing why the interface cannot be monitored. */
int iface_lookup(const char *name, struct iface *ifc);
/* False once the interface is gone (deleted, or its netns went away). */
bool iface_present(const struct iface *ifc);

#endif /* PPING_IFACE_H */
