// SPDX-License-Identifier: GPL-2.0
/*
 * pping --probe, the datapath and its attachments: the real tc and XDP
 * programs (with small maps) are loaded and attached by the daemon's own
 * attach code (attach_all) with each --tc-attach and --xdp-attach choice,
 * then with the automatic ones, which is how the report names what pping
 * would use. Only ever called inside the probe's private network
 * namespace, on its veth (probe_netns.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdp/libxdp.h>

#include "attach.h"
#include "iface.h"
#include "loader.h"
#include "options.h"
#include "probe_priv.h"

/*
 * libxdp says why it did not use its dispatcher only in its own messages
 * (the attach just succeeds without it). Keep the line that names the
 * failure, and pass every message on to the daemon's routing (-v, -vv).
 */
static libxdp_print_fn_t lib_print;
static char xdp_said[160];

static int catch_libxdp(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	char buf[sizeof(xdp_said) + 8], *line = buf;
	va_list cp;

	va_copy(cp, ap);
	vsnprintf(buf, sizeof(buf), fmt, cp);
	va_end(cp);
	buf[strcspn(buf, "\n")] = '\0';
	if (!strncmp(line, "libxdp: ", 8))
		line += 8;
	/* libxdp 1.3: "Compatibility check for dispatcher program failed:
	 * <error>" when the kernel refuses the freplace extension; the first
	 * such line is the cause, later ones are consequences. */
	if (!xdp_said[0] && strstr(line, "ispatcher") && strstr(line, "failed"))
		snprintf(xdp_said, sizeof(xdp_said), "%.*s",
			 (int)sizeof(xdp_said) - 1, line);
	return lib_print ? lib_print(level, fmt, ap) : 0;
}

/* Attach with options o, note how it went ("tcx", "xdp (link)"...), and
 * detach again. 0 or -errno. */
static int try_attach(struct pping_bpf *b, const struct iface *ifc,
		      const struct pping_opts *o, char *how, size_t len)
{
	struct attachment att;
	int err;

	err = attach_all(&att, b, ifc, o, NULL);
	if (err)
		return err;
	snprintf(how, len, "%s", o->ingress == INGRESS_XDP ? att.ingress_how :
		 att.egress_how);
	detach_all(&att);
	return 0;
}

/* EINVAL from a link create: the attach type is unknown to the kernel
 * (attach.c falls back from TCX on exactly that). */
static void say_attach_error(enum probe_id id, int err)
{
	bool link = id == PROBE_TCX || id == PROBE_XDP_LINK;
	char why[200];

	probe_explain(why, sizeof(why), err);
	probe_say(id, PROBE_NO, "%s%s",
		  link && err == -EINVAL ? "the kernel does not know this link type: " : "",
		  why);
}

/*
 * tc: --tc-attach tcx, clsact, then auto (the daemon's choice). Returns
 * whether some tc attachment works: -I xdp attaches tc egress too.
 */
static bool probe_tc(struct pping_bpf *b, const struct iface *ifc)
{
	struct pping_opts o = { .ingress = INGRESS_TC };
	char how[32];
	int err;

	o.tc_attach = TC_ATTACH_TCX;
	err = try_attach(b, ifc, &o, how, sizeof(how));
	if (err)
		say_attach_error(PROBE_TCX, err);
	else
		probe_say(PROBE_TCX, PROBE_YES, "%s", "");

	o.tc_attach = TC_ATTACH_CLSACT;
	err = try_attach(b, ifc, &o, how, sizeof(how));
	if (err)
		say_attach_error(PROBE_CLSACT, err);
	else
		probe_say(PROBE_CLSACT, PROBE_YES, "%s", "");

	o.tc_attach = TC_ATTACH_AUTO;
	err = try_attach(b, ifc, &o, how, sizeof(how));
	if (err) {
		char why[200];

		probe_explain(why, sizeof(why), err);
		probe_say(PROBE_TC_USE, PROBE_NO, "%s", why);
		return false;
	}
	probe_say(PROBE_TC_USE, PROBE_VALUE, "%s%s", how,
		  strcmp(how, "tcx") ? " (no TCX links)" : "");
	return true;
}

/* One XDP attempt, on a datapath of its own: libxdp loads the XDP program
 * when it attaches it, as an extension of its dispatcher or not, so a
 * loaded program cannot be reused for the next attempt. */
static int try_xdp(const struct iface *ifc, enum xdp_attach_how how,
		   enum xdp_attach_mode mode, char *got, size_t len)
{
	struct pping_opts o = {
		.ingress = INGRESS_XDP,
		.tc_attach = TC_ATTACH_AUTO,
		.xdp_attach = how,
		.xdp_mode = mode,
	};
	struct datapath_config cfg;
	struct pping_bpf b;
	char how_s[32];
	int err;

	/* attach.c sets this for link and netlink, and it would stay set
	 * for the attempts after. */
	unsetenv("LIBXDP_SKIP_DISPATCHER");
	xdp_said[0] = '\0';
	probe_datapath_config(&cfg, true, false);
	err = pping_bpf_load(&b, &cfg);
	if (!err)
		err = try_attach(&b, ifc, &o, how_s, sizeof(how_s));
	pping_bpf_destroy(&b);
	if (err)
		return err;
	/* "xdp (link)" -> "link" */
	snprintf(got, len, "%.*s", (int)strcspn(how_s + 5, ")"), how_s + 5);
	return 0;
}

static void say_dispatcher_refused(int err)
{
	if (err != -EOPNOTSUPP)
		say_attach_error(PROBE_XDP_DISPATCHER, err);
	else if (strstr(xdp_said, "Compatibility check"))
		probe_say(PROBE_XDP_DISPATCHER, PROBE_NO,
			  "the kernel refused the freplace extension programs it needs (libxdp: %s)",
			  xdp_said);
	else if (xdp_said[0])
		probe_say(PROBE_XDP_DISPATCHER, PROBE_NO, "libxdp could not use it (libxdp: %s)",
			  xdp_said);
	else
		probe_say(PROBE_XDP_DISPATCHER, PROBE_NO,
			  "libxdp attached without it (-vv shows libxdp's reason)");
}

/*
 * -I xdp: each --xdp-attach choice in the daemon's default native mode,
 * then auto (the daemon's choice), then auto in generic mode. Native mode
 * is tried on a veth; on a real interface it depends on the driver.
 */
static void probe_xdp(const struct iface *ifc)
{
	static const struct {
		enum probe_id id;
		enum xdp_attach_how how;
	} forced[] = {
		{ PROBE_XDP_DISPATCHER, XDP_ATTACH_DISPATCHER },
		{ PROBE_XDP_LINK, XDP_ATTACH_LINK },
		{ PROBE_XDP_NETLINK, XDP_ATTACH_NETLINK },
	};
	char got[32];
	size_t i;
	int err;

	for (i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
		err = try_xdp(ifc, forced[i].how, XDP_MODE_NATIVE, got, sizeof(got));
		if (!err)
			probe_say(forced[i].id, PROBE_YES, "%s", "");
		else if (forced[i].id == PROBE_XDP_DISPATCHER)
			say_dispatcher_refused(err);
		else
			say_attach_error(forced[i].id, err);
	}

	err = try_xdp(ifc, XDP_ATTACH_AUTO, XDP_MODE_NATIVE, got, sizeof(got));
	if (err) {
		char why[200];

		probe_explain(why, sizeof(why), err);
		probe_say(PROBE_XDP_USE, PROBE_NO, "%s", why);
	} else {
		probe_say(PROBE_XDP_USE, PROBE_VALUE, "%s%s", got,
			  !strcmp(got, "link") ? " (libxdp dispatcher refused)" :
			  !strcmp(got, "netlink") ? " (libxdp dispatcher and XDP links refused)" : "");
	}

	err = try_xdp(ifc, XDP_ATTACH_AUTO, XDP_MODE_SKB, got, sizeof(got));
	if (err)
		say_attach_error(PROBE_XDP_GENERIC, err);
	else
		probe_say(PROBE_XDP_GENERIC, PROBE_YES, "%s", got);
}

static const enum probe_id attach_lines[] = {
	PROBE_TCX, PROBE_CLSACT, PROBE_XDP_LINK, PROBE_XDP_NETLINK,
	PROBE_XDP_DISPATCHER, PROBE_XDP_GENERIC, PROBE_TC_USE, PROBE_XDP_USE,
};

static void say_all_untried(const char *why)
{
	size_t i;

	for (i = 0; i < sizeof(attach_lines) / sizeof(attach_lines[0]); i++)
		if (probe_state_of(attach_lines[i]) == PROBE_UNTRIED)
			probe_say(attach_lines[i], PROBE_NO, "not tried: %s", why);
}

void probe_attach(const char *ns_why)
{
	struct datapath_config cfg;
	struct pping_bpf b;
	struct iface ifc;
	char why[200];
	int err;

	if (probe_state_of(PROBE_PERMISSION) != PROBE_YES)
		return;   /* the report says "not tried" */
	probe_datapath_config(&cfg, false, false);
	err = pping_bpf_load(&b, &cfg);
	if (err) {
		probe_explain(why, sizeof(why), err);
		probe_say(PROBE_DATAPATH, PROBE_NO, "the tc programs do not load: %s", why);
		say_all_untried("the datapath does not load");
		goto out;
	}
	probe_say(PROBE_DATAPATH, PROBE_YES, "%s", "");
	if (ns_why) {
		say_all_untried(ns_why);
		goto out;
	}
	if (iface_lookup(PROBE_IF, &ifc)) {
		say_all_untried("the probe's veth vanished");
		goto out;
	}
	if (!probe_tc(&b, &ifc)) {
		say_all_untried("-I xdp attaches tc egress too, and no tc attachment worked");
		goto out;
	}
	lib_print = libxdp_set_print(catch_libxdp);
	probe_xdp(&ifc);
	libxdp_set_print(lib_print);
out:
	pping_bpf_destroy(&b);
}
