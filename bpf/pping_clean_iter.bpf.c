// SPDX-License-Identifier: GPL-2.0
/*
 * Cleanup by map-element iterators: the daemon attaches one iterator to
 * each map and reads its fd once per pass; the kernel calls the program on
 * every entry. Some kernels refuse to load them (lockdown with the BPF
 * LSM: EPERM before verification), and they need kernel BTF. A read()
 * covers up to a million entries without rescheduling (map iterators do
 * not), so a pass holds a CPU as long as a for-each walk does.
 */
#include "clean.bpf.h"

/* Iterator context, as the kernel defines it (only the fields used). */
struct bpf_iter_meta {
	void *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	void *map;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

SEC("iter/bpf_map_elem")
int cleanup_flows(struct bpf_iter__bpf_map_elem *ctx)
{
	if (ctx->key && ctx->value)
		clean_flow(ctx->key, ctx->value);
	return 0;
}

SEC("iter/bpf_map_elem")
int cleanup_ts(struct bpf_iter__bpf_map_elem *ctx)
{
	if (ctx->key && ctx->value)
		clean_ts(ctx->key, ctx->value);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
