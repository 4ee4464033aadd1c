// SPDX-License-Identifier: GPL-2.0
/* Running replayed packets through the programs (libpcap's headers and the
 * kernel's BPF ones both define struct bpf_insn, so the reading of the file
 * lives in capture.c). */
#include <errno.h>
#include <bpf/bpf.h>

#include "replay.h"

void replay_set_progs(struct replay *r, int out_fd, int in_fd)
{
	r->prog_fd[PPING_DIR_OUT] = out_fd;
	r->prog_fd[PPING_DIR_IN] = in_fd;
}

int replay_feed(struct replay *r, const struct replay_pkt *p)
{
	struct __sk_buff skb = {
		.tstamp = p->time_ns,
		.wire_len = p->wire_len,
	};
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = p->frame,
			    .data_size_in = p->data_len,
			    .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb),
			    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(r->prog_fd[p->dir & 1], &opts);
	if (err)
		return -errno;
	r->fed++;
	return 0;
}

