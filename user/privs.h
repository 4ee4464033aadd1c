/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities. Loading and attaching need CAP_BPF, CAP_PERFMON and
 * CAP_NET_ADMIN (or root); running afterwards needs none of them for the
 * common hooks (TCX and XDP links go with their fds, map access, the
 * cleanup iterators and the mmapped .data need no capability on fds the
 * process already holds). Raw capget/capset, so no library is needed.
 */
#ifndef PPING_PRIVS_H
#define PPING_PRIVS_H

#include <stdbool.h>
#include <linux/types.h>

#define PRIVS_BIT(cap) (1ULL << (cap))

/* Whether cap is in the effective set (true if that cannot be read). */
bool privs_have(int cap);

/*
 * Keep only the capabilities in keep (a mask of PRIVS_BIT(CAP_...)), and
 * only those already permitted: clear the rest from the effective,
 * permitted, inheritable and ambient sets, and from the bounding set where
 * allowed, and set no_new_privs, so no later exec can get them back.
 * Returns 0 or -errno (the sets may then be partly reduced).
 */
int privs_drop(__u64 keep);

/* The effective set as a mask, for messages. */
__u64 privs_effective(void);

#endif /* PPING_PRIVS_H */
