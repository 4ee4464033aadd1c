// SPDX-License-Identifier: GPL-2.0
/*
 * pping: passive TCP RTT monitor.
 * Options -> open the daemon (input, output, load, attach) -> one loop
 * (live on an interface, or a replay of a capture) -> close.
 */
#include "daemon.h"
#include "live.h"
#include "log.h"
#include "options.h"
#include "probe.h"
#include "replay.h"

int main(int argc, char **argv)
{
	static struct daemon d;   /* the metrics server keeps pointers into it */
	struct pping_opts opts;
	int ret;

	ret = parse_options(argc, argv, &opts);
	if (ret >= 0)
		return ret;
	log_set_level(opts.verbose >= 2 ? LOG_DEBUG :
		      opts.verbose ? LOG_INFO : LOG_WARN);
	log_route_libs();
	if (opts.probe)
		return probe_run(stdout, &opts);
	log_options(&opts);

	ret = daemon_open(&d, &opts);
	if (ret != EXIT_OK)
		return ret;
	ret = opts.read_path ? replay_loop(&d) : live_loop(&d);
	return daemon_close(&d, ret);
}
