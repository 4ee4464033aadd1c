// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "subnet_mask.h"

void pping_subnet_mask(__u8 mask[16], __u8 ipv, unsigned int prefix)
{
	unsigned int bits = ipv == 4 ? 96 + prefix : prefix, i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8)
			mask[i] = 0xff;
		else
			mask[i] = (__u8)(0xff00 >> bits);
		bits = bits >= 8 ? bits - 8 : 0;
	}
}

void pping_subnet_config(struct pping_config *c, bool enabled, __u8 prefix_v4,
			 __u8 prefix_v6)
{
	__u8 m[16];

	c->aggregate_subnets = enabled;
	pping_subnet_mask(m, 4, prefix_v4);
	memcpy(c->subnet_mask_v4, m, sizeof(c->subnet_mask_v4));
	pping_subnet_mask(m, 6, prefix_v6);
	memcpy(c->subnet_mask_v6, m, sizeof(c->subnet_mask_v6));
}
