// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

/* The counters proper: the tick clock's fields after them are no sums. */
#define N_FIELDS (offsetof(struct pping_counters, tick) / sizeof(__u64))

/* Add every CPU's counters of one interface slot to sum. */
static int add_slot(int map_fd, __u32 key, struct pping_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pping_counters *per_cpu;
	int cpu, err = 0;
	size_t i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, per_cpu)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *src = (const __u64 *)&per_cpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (i = 0; i < N_FIELDS; i++)
			dst[i] += src[i];
	}
out:
	free(per_cpu);
	return err;
}

int counters_read_slot(int map_fd, __u32 slot, struct pping_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	return add_slot(map_fd, slot, sum);
}

int counters_read(int map_fd, struct pping_counters *sum)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), slot;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	for (slot = 0, err = 0; slot < info.max_entries && !err; slot++)
		err = add_slot(map_fd, slot, sum);
	return err;
}

void counters_print_summary(FILE *f, const char *ifname,
			    const struct pping_counters *c)
{
	char excl[48] = "";

	/* Only where filters left something out: the line keeps its shape. */
	if (c->excluded)
		snprintf(excl, sizeof(excl), ", excluded by filters %llu",
			 (unsigned long long)c->excluded);
	fprintf(f,
		"pping: %s%spackets egress %llu ingress %llu (TCP %llu/%llu, without timestamp %llu/%llu%s); "
		"RTT samples %llu (not printed %llu); identifiers stored %llu (rate-limited %llu, claims lost %llu, map full %llu); "
		"flows opened %llu closed %llu (flow map full %llu); events lost %llu\n",
		ifname ? ifname : "", ifname ? ": " : "",
		(unsigned long long)c->pkts[PPING_HOOK_EGRESS],
		(unsigned long long)c->pkts[PPING_HOOK_INGRESS],
		(unsigned long long)c->tcp[PPING_HOOK_EGRESS],
		(unsigned long long)c->tcp[PPING_HOOK_INGRESS],
		(unsigned long long)c->tcp_no_ts[PPING_HOOK_EGRESS],
		(unsigned long long)c->tcp_no_ts[PPING_HOOK_INGRESS],
		excl,
		(unsigned long long)c->rtt_samples,
		(unsigned long long)c->rtt_unreported,
		(unsigned long long)c->ts_created,
		(unsigned long long)c->rate_limited,
		(unsigned long long)c->claims_lost,
		(unsigned long long)c->ts_map_full,
		(unsigned long long)c->flows_opened,
		(unsigned long long)c->flows_closed,
		(unsigned long long)c->flow_map_full,
		(unsigned long long)c->events_lost);
	/* A line of its own, so scripts reading the first keep working. */
	fprintf(f,
		"pping: %s%sRTT samples by method: timestamps %llu, SEQ/ACK %llu, ICMP %llu; "
		"identifiers in the identifier map %llu (flow slots taken, or ICMP), "
		"timestamp identifiers passed by a newer echo %llu; "
		"SEQ/ACK identifiers stored %llu (no free slot %llu, dropped by retransmissions %llu); "
		"TCP segments retransmitted %llu, out of order %llu; ICMP echoes egress %llu ingress %llu; "
		"exact clock reads %llu (past the tick's bound %llu)\n",
		ifname ? ifname : "", ifname ? ": " : "",
		(unsigned long long)c->samples[PPING_METHOD_TS],
		(unsigned long long)c->samples[PPING_METHOD_SEQ],
		(unsigned long long)c->samples[PPING_METHOD_ICMP],
		(unsigned long long)c->ts_in_map,
		(unsigned long long)c->ts_passed,
		(unsigned long long)c->seq_created,
		(unsigned long long)c->seq_no_slot,
		(unsigned long long)c->seq_invalidated,
		(unsigned long long)c->retrans,
		(unsigned long long)c->reordered,
		(unsigned long long)c->icmp_echo[PPING_HOOK_EGRESS],
		(unsigned long long)c->icmp_echo[PPING_HOOK_INGRESS],
		(unsigned long long)c->clock_reads,
		(unsigned long long)c->tick_overrun);
}
