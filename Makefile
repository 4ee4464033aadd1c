# SPDX-License-Identifier: GPL-2.0
#
# pping: .bpf.c -> .bpf.o -> .skel.h -> daemon objects -> ./pping
# Everything generated goes to $(OUT); `make V=1` shows the commands.

OUT        ?= build
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= bpftool
PKG_CONFIG ?= pkg-config
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)

VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARN       := -Wall -Wextra -Werror
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) \
              -Iheaders -Ibpf -I$(OUT) $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
CFLAGS     ?= -g -O2
CFLAGS     += $(WARN) -Iheaders -Iuser -I$(OUT) -DPPING_VERSION='"$(VERSION)"' \
              $(shell $(PKG_CONFIG) --cflags libbpf libxdp 2>/dev/null)
LDLIBS     += $(shell $(PKG_CONFIG) --libs libbpf libxdp 2>/dev/null || echo -lxdp -lbpf -lelf -lz) -lz -lmicrohttpd -lpcap -lm -lpthread

ifeq ($(SANITIZE),1)
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# Objects shared by the daemon and the unit tests (everything but main).
LIB_OBJS   := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))

TEST_BINS  := $(OUT)/tests/test_bpf $(OUT)/tests/delay_relay $(OUT)/tests/tcp_pulse \
              $(OUT)/tests/flowgen $(OUT)/tests/pcap_rtt $(OUT)/tests/pcapgen

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
# Keep the objects and skeletons of a first build (before the .d files name
# them, make would delete them as intermediates and rebuild them next time).
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: all deps test sanitize-build soak soak-router fuzz bench demo clean install uninstall

all: pping

deps:
	./scripts/deps.sh

pping: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The same daemon inside $(OUT): the sanitizer build below must not replace
# ./pping.
$(OUT)/pping: $(USER_OBJS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT) $(OUT)/user $(OUT)/tests:
	$(Q)mkdir -p $@

# Header dependencies of the BPF side come from clang -MMD, so a changed
# headers/ or bpf/ file rebuilds the objects, skeletons and the daemon.
$(OUT)/%.bpf.o: bpf/%.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# Every daemon object may include a skeleton; generate them all first.
$(OUT)/user/%.o: user/%.c $(SKELS) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The packet builder (tests/lib/packets.c), shared by the unit tests, the
# benchmarks and the test tools, and the benchmarks' median.
TESTLIB_OBJS := $(OUT)/tests/lib/packets.o $(OUT)/tests/lib/median.o

$(OUT)/tests/lib:
	$(Q)mkdir -p $@

$(OUT)/tests/lib/%.o: tests/lib/%.c | $(OUT)/tests/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Unit tests: the harness and one file per concern, linked with the
# daemon's objects (the tests drive user/cleanup.c and user/degrade.c too).
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_OBJS  := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%.o,$(UNIT_SRCS))

$(OUT)/tests/unit:
	$(Q)mkdir -p $@

$(OUT)/tests/unit/%.o: tests/unit/%.c $(SKELS) | $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Itests/lib -MMD -MP -c $< -o $@

$(OUT)/tests/test_bpf: $(UNIT_OBJS) $(LIB_OBJS) $(TESTLIB_OBJS) | $(OUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lpthread -o $@

-include $(wildcard $(OUT)/tests/unit/*.d $(OUT)/tests/lib/*.d)

# Benchmarks that load the programs: linked like the unit tests.
$(OUT)/tests/bench_%: tests/bench/%.c $(LIB_OBJS) $(TESTLIB_OBJS) $(SKELS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -MMD -MP $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) -o $@

# Test tools (tests/tools/): plain C programs, no BPF, built where the
# scripts call them (build/tests/NAME). The traffic and capture generators
# build their frames with the packet builder; the ground truth for the
# accuracy test reads captures and the capture generator writes them, with
# libpcap.
$(OUT)/tests/flowgen $(OUT)/tests/pcapgen: $(TESTLIB_OBJS)
$(OUT)/tests/pcap_rtt $(OUT)/tests/pcapgen: TOOL_LIBS := -lpcap

$(OUT)/tests/%: tests/tools/%.c | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 $(WARN) -Itests/lib -MMD -MP $(filter %.c %.o,$^) $(LDFLAGS) $(TOOL_LIBS) -o $@

# ASan and UBSan build of the daemon and the unit tests, in its own
# directory; tests/sanitize.sh runs suites with it and fails on any report.
SAN_OUT    ?= build-san

sanitize-build:
	$(MAKE) OUT=$(SAN_OUT) SANITIZE=1 $(SAN_OUT)/pping $(SAN_OUT)/tests/test_bpf

test: deps
	$(MAKE) all $(TEST_BINS) sanitize-build
	./tests/run.sh

# The unit under a real systemd (issue 17; not part of test): builds the
# Debian package, boots systemd as PID 1 in a container of a Debian tree
# (debootstrap'ed once into build/systemd/, about a minute) and runs the
# unit there. Needs root.
.PHONY: test-systemd
test-systemd: deps
	$(MAKE) deb
	./tests/systemd/test_systemd.sh

# Long run under connection churn (not part of test): SOAK_SECONDS=600.
soak: deps
	$(MAKE) all $(OUT)/tests/delay_relay
	./tests/soak/soak.sh

# The same with pping on both sides of the relay, as on a router.
soak-router: deps
	$(MAKE) all $(OUT)/tests/delay_relay
	SOAK_IFACES=2 ./tests/soak/soak.sh

# The datapath fuzzer of the unit tests (tests/unit/test_fuzz.c) run long:
# FUZZ_COUNT packets for each of the 3 programs; PPING_FUZZ_SEED replays a run.
FUZZ_COUNT ?= 1000000

fuzz: $(OUT)/tests/test_bpf
	PPING_FUZZ_COUNT=$(FUZZ_COUNT) ./$(OUT)/tests/test_bpf fuzz_datapath

BENCH_BINS := $(OUT)/tests/bench_load_cost $(OUT)/tests/bench_cleanup_cost $(OUT)/tests/flowgen $(OUT)/tests/delay_relay \
              $(OUT)/tests/bench_flow_scale $(OUT)/tests/pcapgen

bench: deps
	$(MAKE) all $(BENCH_BINS)
	./scripts/bench.sh

demo: deps
	$(MAKE) all $(OUT)/tests/delay_relay
	./scripts/demo.sh

# Installation. PREFIX=/usr for a distribution package, DESTDIR to stage.
# The unit goes to $(PREFIX)/lib/systemd/system, which systemd searches for
# both /usr/local and /usr; its ExecStart is made to name $(SBINDIR).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALLED  := $(SBINDIR)/pping $(MANDIR)/man8/pping.8 $(UNITDIR)/pping@.service \
              $(BINDIR)/pping-plot

install: pping
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 pping $(DESTDIR)$(SBINDIR)/pping
	$(Q)install -D -m 0644 doc/pping.8 $(DESTDIR)$(MANDIR)/man8/pping.8
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/pping@.service > $(DESTDIR)$(UNITDIR)/pping@.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/pping@.service
	$(if $(wildcard scripts/pping-plot),$(Q)install -D -m 0755 scripts/pping-plot $(DESTDIR)$(BINDIR)/pping-plot)

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# Debian package (issue 17): `make deb` writes $(DEB_DIR)/pping_VERSION_ARCH.deb,
# with pping-dbgsym, .buildinfo and .changes beside it. dpkg-buildpackage
# runs on a copy of the tracked and new (not ignored) files in
# $(DEB_DIR)/pping, so it neither cleans this tree's build/ nor writes to
# the parent directory; then lintian must pass the .changes and the
# packages (each override in debian/pping.lintian-overrides says why).
# VERSION is debian/changelog's (0.0) +gitDATE.TIME.COMMIT (commit time,
# UTC), +dirty for uncommitted changes; the entry gets the commit's date. A package newer than every source
# file is up to date. Build tools: make deps.
DEB_DIR     ?= $(OUT)/deb
DEB_ARCH     = $(shell dpkg --print-architecture)
# The commit is the one VERSION (pping --version) names.
DEB_COMMIT   = $(patsubst %-dirty,%,$(VERSION))
DEB_VERSION  = $(shell dpkg-parsechangelog -l debian/changelog -S Version)+git$(shell \
               TZ=UTC0 git log -1 --format=%cd --date=format-local:%Y%m%d.%H%M%S $(DEB_COMMIT)).$(shell \
               git rev-parse --short $(DEB_COMMIT))$(if $(filter %-dirty,$(VERSION)),+dirty)
# The changelog entry's date (and so SOURCE_DATE_EPOCH): the commit's.
DEB_DATE     = $(shell TZ=UTC0 LC_ALL=C git log -1 \
               --date='format-local:%a, %d %b %Y %H:%M:%S +0000' --format=%cd $(DEB_COMMIT))
# Only the sub-make below lists the sources (the other targets never run git for it).
DEB_SRCS     = $(if $(DEB_BUILD),$(wildcard $(shell git ls-files -co --exclude-standard)))

.PHONY: deb
ifndef DEB_BUILD
# The version is worked out once here: a commit made meanwhile cannot give
# the package one name and its changelog another.
deb:
	$(Q)git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
		{ echo "make deb: packages the files git tracks: needs a git checkout" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory DEB_BUILD=1 DEB_VERSION='$(DEB_VERSION)' \
		DEB_ARCH='$(DEB_ARCH)' DEB_DATE='$(DEB_DATE)' VERSION='$(VERSION)' deb
else
deb: $(DEB_DIR)/pping_$(DEB_VERSION)_$(DEB_ARCH).deb
	@echo "  $<"
endif

$(DEB_DIR)/pping_%.deb: $(DEB_SRCS)
	$(call msg,DEB,$@)
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/pping
	$(Q)cp -a --parents $(DEB_SRCS) $(DEB_DIR)/pping/
	$(Q)sed -i -e '1s/([^)]*)/($(DEB_VERSION))/' \
		-e '0,/^ -- /s/^\( -- .*>  \).*/\1$(DEB_DATE)/' $(DEB_DIR)/pping/debian/changelog
	$(Q)cd $(DEB_DIR)/pping && PPING_VERSION='$(VERSION)' dpkg-buildpackage -b --no-sign -jauto \
		$(if $(Q),>../build.log 2>&1 || { tail -n 30 ../build.log; \
		echo "make deb: dpkg-buildpackage failed; all of it: $(DEB_DIR)/build.log" >&2; exit 1; })
	$(call msg,LINTIAN,$(DEB_DIR)/pping_$(DEB_VERSION)_$(DEB_ARCH).changes)
	$(Q)lintian --fail-on error,warning,info --info --display-info \
		$(DEB_DIR)/pping_$(DEB_VERSION)_$(DEB_ARCH).changes

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUT) $(SAN_OUT) pping

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/tests/*.d)
