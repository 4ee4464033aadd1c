// SPDX-License-Identifier: GPL-2.0
/*
 * pping --probe -i IF...: what the named interfaces allow, in the network
 * namespace pping runs in, without attaching anything: that the interface
 * exists, its framing (Ethernet or none), and whether its driver runs XDP
 * natively, from the kernel's netdev family (generic netlink, Linux 6.3:
 * the xdp-features a driver declares). Older kernels cannot say; -x
 * generic works on any interface.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "iface.h"
#include "log.h"
#include "options.h"
#include "probe_priv.h"

/* From linux/netdev.h (Linux 6.3), which Debian 12's headers predate. */
#define NETDEV_FAMILY_NAME        "netdev"
#define NETDEV_CMD_DEV_GET        1
#define NETDEV_A_DEV_IFINDEX      1
#define NETDEV_A_DEV_XDP_FEATURES 3
#define NETDEV_XDP_ACT_BASIC      (1ULL << 0)
#define NETDEV_XDP_ACT_REDIRECT   (1ULL << 1)

#define NL_BUF 4096

struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void add_attr(struct nl_req *r, unsigned short type, const void *v,
		     unsigned short len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, v, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send r and return the answer's attributes in buf (*len bytes), or
 * -errno (the kernel's error for an unknown family or device). */
static int transact(int fd, struct nl_req *r, char *buf, int *len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, NL_BUF, 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nh, n))
		return -EBADMSG;
	if (nh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(nh))->error ?: -ENOMSG;
	*len = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	memmove(buf, (char *)NLMSG_DATA(nh) + GENL_HDRLEN, *len);
	return 0;
}

static const struct nlattr *find_attr(const char *buf, int len,
				      unsigned short type)
{
	const struct nlattr *a = (const struct nlattr *)buf;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static void request(struct nl_req *r, __u16 family, __u8 cmd)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = family;
	r->nh.nlmsg_flags = NLM_F_REQUEST;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

/* The XDP features ifindex's driver declares: 0 and *flags set, or -errno
 * (-ENOENT: the kernel has no netdev family). */
static int xdp_features(int ifindex, __u64 *flags)
{
	const struct nlattr *a;
	struct nl_req r;
	char buf[NL_BUF];
	__u32 idx = ifindex;
	__u16 family;
	int fd, len, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	request(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	add_attr(&r, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME,
		 sizeof(NETDEV_FAMILY_NAME));
	err = transact(fd, &r, buf, &len);
	a = err ? NULL : find_attr(buf, len, CTRL_ATTR_FAMILY_ID);
	if (!err && !a)
		err = -ENOENT;
	if (!err) {
		memcpy(&family, (const char *)a + NLA_HDRLEN, sizeof(family));
		request(&r, family, NETDEV_CMD_DEV_GET);
		add_attr(&r, NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
		err = transact(fd, &r, buf, &len);
	}
	a = err ? NULL : find_attr(buf, len, NETDEV_A_DEV_XDP_FEATURES);
	if (!err && !a)
		err = -ENODATA;
	if (!err)
		memcpy(flags, (const char *)a + NLA_HDRLEN, sizeof(*flags));
	close(fd);
	return err;
}

/* One line for interface name; false if pping -i could not use it. */
static bool probe_one(FILE *f, const char *name, struct iface *ifc)
{
	__u64 flags = 0;
	int err;

	if (iface_lookup(name, ifc)) {
		fprintf(f, "interface %s: no: see the message above\n", name);
		return false;
	}
	fprintf(f, "interface %s: index %d, %s, native XDP ", name, ifc->ifindex,
		ifc->has_l2 ? "Ethernet" : "no link-layer header");
	err = xdp_features(ifc->ifindex, &flags);
	if (err == -ENOENT)
		fprintf(f, "unknown (the kernel has no netdev xdp-features, Linux 6.3; -x generic works)\n");
	else if (err)
		fprintf(f, "unknown (netdev xdp-features: %s; -x generic works)\n",
			strerror(-err));
	else if (flags & NETDEV_XDP_ACT_BASIC)
		fprintf(f, "yes (driver declares xdp-features %#llx)\n",
			(unsigned long long)flags);
	else
		fprintf(f, "no (its driver declares none: use -x generic, or -I tc)\n");
	return true;
}

bool probe_interfaces(FILE *f, const struct pping_opts *o)
{
	struct iface ifc[PPING_MAX_IFACES];
	bool ok = true;
	int i;

	for (i = 0; i < o->n_ifaces; i++)
		ok &= probe_one(f, o->ifnames[i], &ifc[i]);
	for (i = 1; ok && i < o->n_ifaces; i++)
		if (ifc[i].has_l2 != ifc[0].has_l2) {
			fprintf(f, "interfaces: no: %s and %s differ in framing; one pping monitors interfaces of one kind\n",
				ifc[0].name, ifc[i].name);
			ok = false;
		}
	return ok;
}
