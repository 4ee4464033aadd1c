/* SPDX-License-Identifier: GPL-2.0 */
/* One RTT or flow event as a record of the chosen output format. */
#ifndef PPING_EVENT_PRINT_H
#define PPING_EVENT_PRINT_H

#include "format.h"
#include "output.h"
#include "pping.h"

void print_event(struct output *o, const struct pping_event *e,
		 const struct wall_clock *c);

#endif /* PPING_EVENT_PRINT_H */
