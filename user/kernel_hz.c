// SPDX-License-Identifier: GPL-2.0
/* The running kernel's CONFIG_HZ: see kernel_hz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "kernel_hz.h"

/* The value of CONFIG_HZ in a configuration file (plain or gzip: gzopen
 * reads both), 0 if it has none. */
static unsigned int hz_in(const char *path)
{
	const char key[] = "CONFIG_HZ=";
	unsigned long hz = 0;
	char line[256];
	gzFile f = gzopen(path, "r");

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (!strncmp(line, key, sizeof(key) - 1)) {
			hz = strtoul(line + sizeof(key) - 1, NULL, 10);
			break;
		}
	gzclose(f);
	/* Linux offers 100 to 1000; anything else is not a HZ we trust. */
	return hz >= 100 && hz <= 1000 ? (unsigned int)hz : 0;
}

unsigned int kernel_hz(void)
{
	struct utsname u;
	char path[sizeof(u.release) + 16];
	unsigned int hz = 0;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_in(path);
	}
	return hz ? hz : hz_in("/proc/config.gz");
}
