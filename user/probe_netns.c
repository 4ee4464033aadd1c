// SPDX-License-Identifier: GPL-2.0
/*
 * The probe's own network and mount namespace: attachments are tried on a
 * veth pair that exists only there, and libxdp's pins go to a bpffs that
 * exists only there, so the host's interfaces, tc and XDP state and mounts
 * are never touched. Both go away with the probe's last process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "probe_priv.h"

#define BPFFS_PATH "/sys/fs/bpf"
#define SECURITYFS_PATH "/sys/kernel/security"

/* An RTM_NEWLINK request: header, link message, attributes. */
struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *nl_tail(struct nl_req *r)
{
	return (struct rtattr *)((char *)&r->nh + NLMSG_ALIGN(r->nh.nlmsg_len));
}

static void nl_attr(struct nl_req *r, int type, const void *data, size_t len)
{
	struct rtattr *a = nl_tail(r);

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct rtattr *nl_nest(struct nl_req *r, int type)
{
	struct rtattr *a = nl_tail(r);

	nl_attr(r, type, NULL, 0);
	return a;
}

static void nl_nest_end(struct nl_req *r, struct rtattr *a)
{
	a->rta_len = (char *)nl_tail(r) - (char *)a;
}

/*
 * ip link add PROBE_IF up type veth peer name PROBE_PEER, by rtnetlink
 * (no iproute2 needed). A veth because it has native XDP, as the daemon's
 * default --xdp-mode asks; a NIC's own driver decides that for the NIC.
 */
static int add_veth(void)
{
	struct nl_req r = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_NEWLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
				       NLM_F_ACK,
			.nlmsg_seq = 1,
		},
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP,
			 .ifi_change = IFF_UP },
	};
	/* Not up: the peer is opened before it is linked to its other end,
	 * and the kernel refuses that (ENOTCONN). Nothing needs it up. */
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct rtattr *info, *data, *p;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int fd, err;
	ssize_t n;

	nl_attr(&r, IFLA_IFNAME, PROBE_IF, sizeof(PROBE_IF));
	info = nl_nest(&r, IFLA_LINKINFO);
	nl_attr(&r, IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = nl_nest(&r, IFLA_INFO_DATA);
	/* The peer's attribute is a link message of its own. */
	p = nl_nest(&r, VETH_INFO_PEER);
	memcpy(nl_tail(&r), &peer, sizeof(peer));
	r.nh.nlmsg_len += NLMSG_ALIGN(sizeof(peer));
	nl_attr(&r, IFLA_IFNAME, PROBE_PEER, sizeof(PROBE_PEER));
	nl_nest_end(&r, p);
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &r, r.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		err = -errno;
	} else {
		n = recv(fd, &ack, sizeof(ack), 0);
		if (n < 0)
			err = -errno;
		else if ((size_t)n < sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
			err = -EPROTO;
		else
			err = ack.err.error;
	}
	close(fd);
	return err;
}

int probe_netns_enter(bool *own_mounts, char *why, size_t len)
{
	int err;

	*own_mounts = false;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		err = -errno;
		snprintf(why, len, "cannot create a private network namespace to try it in: %s%s",
			 strerror(errno), err == -EPERM ?
			 " (it needs CAP_SYS_ADMIN: run pping --probe as root)" : "");
		return err;
	}
	/* Mounts made from here on must not propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = -errno;
		snprintf(why, len, "cannot make the private mount namespace private: %s",
			 strerror(errno));
		return err;
	}
	*own_mounts = true;
	/* A new bpffs instance over the host's one: libxdp pins its
	 * dispatcher there, and must not pin into the host's. */
	if (mount("bpf", BPFFS_PATH, "bpf", 0, NULL)) {
		err = -errno;
		snprintf(why, len, "cannot mount a private bpffs on %s: %s",
			 BPFFS_PATH, strerror(errno));
		return err;
	}
	err = add_veth();
	if (err)
		snprintf(why, len, "cannot create a veth pair in the private namespace: %s%s",
			 strerror(-err), err == -EPERM ? " (it needs CAP_NET_ADMIN)" : "");
	return err;
}

int probe_mount_securityfs(void)
{
	struct statfs st;

	if (statfs(SECURITYFS_PATH, &st) == 0 && st.f_type == SECURITYFS_MAGIC)
		return 0;
	if (mount("securityfs", SECURITYFS_PATH, "securityfs",
		  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	return 0;
}
