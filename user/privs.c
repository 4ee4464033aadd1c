// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "log.h"
#include "privs.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static __u64 mask_of(const struct __user_cap_data_struct d[2], size_t off)
{
	const __u32 *lo = (const __u32 *)((const char *)&d[0] + off);
	const __u32 *hi = (const __u32 *)((const char *)&d[1] + off);

	return (__u64)*hi << 32 | *lo;
}

__u64 privs_effective(void)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d))
		return 0;
	return mask_of(d, offsetof(struct __user_cap_data_struct, effective));
}

bool privs_have(int cap)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d))
		return true;   /* cannot tell: let the operation itself decide */
	return d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* Dropping from the bounding set needs CAP_SETPCAP, so it comes first; a
 * process without it keeps its bounding set, which no_new_privs and the
 * empty permitted set make harmless. */
static void drop_bounding(__u64 keep)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (keep & PRIVS_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;   /* not in the set, or past the kernel's last */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			pr_debug("cannot shrink the capability bounding set: %s\n",
				 strerror(errno));
			return;
		}
	}
}

int privs_drop(__u64 keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	__u64 permitted;
	int err, i;

	err = caps_get(d);
	if (err)
		return err;
	permitted = mask_of(d, offsetof(struct __user_cap_data_struct, permitted));
	keep &= permitted;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	drop_bounding(keep);
	/* Ambient capabilities (systemd's AmbientCapabilities=) would be
	 * handed to any child; clearing them needs no privilege. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	for (i = 0; i < 2; i++) {
		d[i].effective = d[i].permitted = (__u32)(keep >> (32 * i));
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}
