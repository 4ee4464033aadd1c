/* SPDX-License-Identifier: GPL-2.0 */
/* The median the benchmarks report of their repeated runs. */
#ifndef PPING_TEST_MEDIAN_H
#define PPING_TEST_MEDIAN_H

#include <stddef.h>

/* The median of v[0..n), n > 0, which it sorts in place: the middle
 * value, or the mean of the two middle ones. */
double median(double *v, size_t n);

#endif /* PPING_TEST_MEDIAN_H */
