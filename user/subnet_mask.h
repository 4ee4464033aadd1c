/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which leading bits of an address name its subnet, for the aggregation
 * per subnet: the loader gives the masks to the datapath as rodata (which
 * counts traffic per subnet), the aggregation applies them to the RTT
 * samples; both must cut addresses the same way.
 */
#ifndef PPING_SUBNET_MASK_H
#define PPING_SUBNET_MASK_H

#include <stdbool.h>
#include <linux/types.h>
#include "pping.h"

/* Mask keeping the first bits of a 16-byte address: the IPv4-mapped
 * prefix plus prefix bits for IPv4, prefix bits for IPv6. */
void pping_subnet_mask(__u8 mask[16], __u8 ipv, unsigned int prefix);

/* The per-subnet counting part of the programs' configuration. */
void pping_subnet_config(struct pping_config *c, bool enabled, __u8 prefix_v4,
			 __u8 prefix_v6);

#endif /* PPING_SUBNET_MASK_H */
