/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running kernel's tick rate (CONFIG_HZ), which the tick clock's bound
 * depends on (bpf/clock.bpf.h).
 */
#ifndef PPING_KERNEL_HZ_H
#define PPING_KERNEL_HZ_H

/* CONFIG_HZ from /boot/config-$(uname -r) or /proc/config.gz, where
 * libbpf looks for kernel configuration too; 0 if neither says. */
unsigned int kernel_hz(void);

#endif /* PPING_KERNEL_HZ_H */
