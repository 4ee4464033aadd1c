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
LDLIBS     += $(shell $(PKG_CONFIG) --libs libbpf libxdp 2>/dev/null || echo -lxdp -lbpf -lelf -lz) -lm

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

TEST_BINS  := $(OUT)/tests/test_bpf $(OUT)/tests/delay_relay $(OUT)/tests/tcp_pulse

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.PHONY: all deps test demo clean

all: pping

deps:
	./scripts/deps.sh

pping: $(USER_OBJS)
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

$(OUT)/tests/test_bpf: tests/unit/test_bpf.c tests/unit/packets.h $(LIB_OBJS) $(SKELS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) -lpthread -o $@

# Benchmarks that load the programs: linked like the unit tests.
$(OUT)/tests/bench_%: tests/bench/%.c $(LIB_OBJS) $(SKELS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) -o $@

# Test tools: plain C programs, no BPF.
$(OUT)/tests/%: tests/%.c | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 $(WARN) $< -o $@

test: deps
	$(MAKE) all $(TEST_BINS)
	./tests/run.sh

demo: deps
	$(MAKE) all $(OUT)/tests/delay_relay
	./scripts/demo.sh

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUT) pping

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/tests/*.d)
