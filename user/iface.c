// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if_arp.h>

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif
#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif

#include "iface.h"
#include "log.h"

/*
 * Link types whose frames reach tc and XDP starting at the IP header: tun,
 * wireguard (ARPHRD_NONE), PPP, raw-IP modems and IP-in-IP/GRE tunnels.
 */
static bool link_is_l3(unsigned short type)
{
	switch (type) {
	case ARPHRD_NONE:
	case ARPHRD_PPP:
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
		return true;
	default:
		return false;
	}
}

static int link_type(const char *name, unsigned short *type)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		*type = ifr.ifr_hwaddr.sa_family;
	close(fd);
	return err;
}

int iface_lookup(const char *name, struct iface *ifc)
{
	unsigned short type = 0;
	int err;

	memset(ifc, 0, sizeof(*ifc));
	if (strlen(name) >= IF_NAMESIZE) {
		pr_warn("interface name '%s' is longer than %d characters\n",
			name, IF_NAMESIZE - 1);
		return -1;
	}
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = if_nametoindex(name);
	if (!ifc->ifindex) {
		pr_warn("no interface named '%s' in this network namespace\n",
			name);
		return -1;
	}
	err = link_type(name, &type);
	if (err) {
		pr_warn("cannot read the link type of '%s': %s\n", name,
			strerror(-err));
		return -1;
	}
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK) {
		ifc->has_l2 = true;
	} else if (link_is_l3(type)) {
		ifc->has_l2 = false;
	} else {
		pr_warn("interface '%s' has link type %u, which pping cannot parse (Ethernet or IP-only links are supported)\n",
			name, type);
		return -1;
	}
	pr_info("interface %s: index %d, %s\n", ifc->name, ifc->ifindex,
		ifc->has_l2 ? "Ethernet framing" : "no link-layer header");
	return 0;
}

bool iface_present(const struct iface *ifc)
{
	char buf[IF_NAMESIZE];

	return if_indextoname(ifc->ifindex, buf) != NULL || errno != ENXIO;
}
