# SPDX-License-Identifier: GPL-2.0-only
# shoal: one Makefile, everything into build/.
#   make            build everything
#   make test       install what is missing, build, run every test (root)
#   make bench      benchmarks, printed as a table
#   make demo       the namespace lab (once the agent exists)
#   make format-check / clean

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH_INC  := -I/usr/include/$(shell uname -m)-linux-gnu
Q         := $(if $(V),,@)

WARN      := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS    ?= -O2 -g
CFLAGS    += $(WARN) -std=gnu11 -Iinclude -I$(BUILD) -Iagent -D_GNU_SOURCE
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Iinclude -Ibpf $(ARCH_INC) $(BPF_EXTRA)
LIBS      := -lbpf -lelf -lz -lyaml
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

BPF_OBJS  := $(BUILD)/lb.bpf.o $(BUILD)/decap.bpf.o $(BUILD)/bench_floor.bpf.o \
             $(BUILD)/napi_pass.bpf.o
SKELS     := $(BPF_OBJS:.bpf.o=.skel.h)
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard include/shoal/*.h)
LIB_SRCS  := agent/maglev.c agent/addr.c agent/dataplane.c agent/state.c agent/config.c
TEST_LIB  := tests/lib/pktgen.c tests/lib/lbfix.c
LIB_HDRS  := $(wildcard agent/*.h) $(wildcard include/shoal/*.h) $(SKELS)

AGENT_SRCS := agent/main.c agent/ctl.c agent/ctl_proto.c agent/metrics.c agent/netlink.c agent/log.c
PROGS     := $(BUILD)/shoald $(BUILD)/shoald-asan $(BUILD)/lbctl $(BUILD)/shoal-decap \
             $(BUILD)/lbbench $(BUILD)/shoal-lab
UNIT_TESTS := $(BUILD)/tests/test_maglev $(BUILD)/tests/test_addr $(BUILD)/tests/test_config \
              $(BUILD)/tests/test_state $(BUILD)/tests/test_ctl_proto
BPF_TESTS := $(BUILD)/tests/test_lb $(BUILD)/tests/test_decap

.PHONY: all build-all deps fuzz test test-unit test-bpf test-e2e bench demo format format-check clean

all: deps
	$(Q)$(MAKE) --no-print-directory build-all

FUZZERS   := $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_ctl

build-all: $(BPF_OBJS) $(SKELS) $(PROGS) $(UNIT_TESTS) $(BPF_TESTS) $(FUZZERS)

# installs what is missing (a no-op when everything is there)
deps:
	$(Q)./scripts/deps.sh

$(BUILD) $(BUILD)/tests:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

$(BUILD)/lbbench: tools/lbbench.c $(LIB_SRCS) $(LIB_HDRS) $(TEST_LIB) $(wildcard tests/lib/*.h)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -Itests/lib tools/lbbench.c $(LIB_SRCS) $(TEST_LIB) -o $@ $(LIBS) -lm

$(BUILD)/shoald: $(AGENT_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(AGENT_SRCS) $(LIB_SRCS) -o $@ $(LIBS) -lmnl -levent -ljansson

# the agent under ASan/UBSan, for one run of its namespace lab in make test
$(BUILD)/shoald-asan: $(AGENT_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) $(AGENT_SRCS) $(LIB_SRCS) -o $@ $(LIBS) -lmnl -levent -ljansson

$(BUILD)/lbctl: tools/lbctl.c agent/ctl_proto.c agent/ctl_proto.h agent/addr.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) tools/lbctl.c agent/ctl_proto.c agent/addr.c -o $@ -ljansson

$(BUILD)/shoal-decap: tools/shoal-decap.c agent/addr.c $(BUILD)/decap.skel.h
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) tools/shoal-decap.c agent/addr.c -o $@ -lbpf -lelf -lz

$(BUILD)/shoal-lab: tests/e2e/shoal-lab.c agent/ctl_proto.c $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) tests/e2e/shoal-lab.c agent/ctl_proto.c $(LIB_SRCS) -o $@ $(LIBS) -ljansson

# Unit tests: pure modules, under ASan/UBSan.
$(BUILD)/tests/test_maglev: tests/unit/test_maglev.c agent/maglev.c agent/maglev.h | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< agent/maglev.c -o $@ $(CHECK_LIBS) -lm

$(BUILD)/tests/test_addr: tests/unit/test_addr.c agent/addr.c agent/addr.h | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< agent/addr.c -o $@ $(CHECK_LIBS)

$(BUILD)/tests/test_config: tests/unit/test_config.c agent/config.c agent/config.h agent/addr.c agent/maglev.c | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< agent/config.c agent/addr.c agent/maglev.c -o $@ $(CHECK_LIBS) -lyaml

$(BUILD)/tests/test_state: tests/unit/test_state.c agent/state.c agent/state.h agent/config.c agent/addr.c agent/maglev.c | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< agent/state.c agent/config.c agent/addr.c agent/maglev.c -o $@ $(CHECK_LIBS) -lyaml

$(BUILD)/tests/test_ctl_proto: tests/unit/test_ctl_proto.c agent/ctl_proto.c agent/ctl_proto.h agent/addr.c | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< agent/ctl_proto.c agent/addr.c -o $@ $(CHECK_LIBS) -ljansson

# BPF tests: BPF_PROG_TEST_RUN on the real objects, also under ASan/UBSan. Headers behind
# a 14-byte Ethernet header are unaligned by nature, hence no alignment check there.
$(BUILD)/tests/test_%: tests/bpf/test_%.c $(TEST_LIB) $(wildcard tests/lib/*.h) $(LIB_SRCS) $(LIB_HDRS) | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -fno-sanitize=alignment -Itests/lib $< $(TEST_LIB) $(LIB_SRCS) -o $@ $(CHECK_LIBS) $(LIBS) -lm

# libFuzzer harnesses for every parser of outside input (clang, ASan, UBSan)
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iagent \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c agent/config.c agent/addr.c agent/maglev.c agent/config.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/config.c agent/addr.c agent/maglev.c -o $@ -lyaml
$(BUILD)/fuzz/fuzz_ctl: tests/fuzz/fuzz_ctl.c agent/ctl_proto.c agent/addr.c agent/ctl_proto.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/ctl_proto.c agent/addr.c -o $@ -ljansson

FUZZ_SECONDS ?= 60
fuzz: all
	$(Q)for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/$$n.corpus; \
		$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/$$n.corpus tests/fuzz/corpus/$${n#fuzz_} || exit 1; done

test: all
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)./tests/run.sh

test-unit test-bpf test-e2e: build-all
	$(Q)./tests/run.sh $(subst test-,,$@)

bench: all
	$(Q)$(BUILD)/lbbench dataplane
	$(Q)$(BUILD)/lbbench maglev
	$(Q)$(BUILD)/lbbench apply

demo: all
	$(Q)./examples/demo.sh

FORMAT_SRCS := $(wildcard agent/*.[ch] tools/*.c tests/unit/*.c tests/bpf/*.c tests/lib/*.[ch] \
		tests/e2e/*.c bpf/*.[ch] include/shoal/*.h)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@echo "  FORMAT  check"
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)
	@echo "  SHELL   check"
	$(Q)shellcheck -S warning tests/e2e/*.sh tests/run.sh examples/demo.sh scripts/deps.sh .ci/run

clean:
	rm -rf $(BUILD)
