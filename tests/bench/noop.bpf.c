// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of datapath_cost.sh: a tc program that does nothing and
 * returns TC_ACT_UNSPEC (-1), so the packet goes on as if there were no
 * filter. Its run time is entering a program and the kernel's own
 * accounting of it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int noop(struct __sk_buff *skb)
{
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
