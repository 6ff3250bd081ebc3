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
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Iinclude -Ibpf $(ARCH_INC) $(BPF_EXTRA)
LIBS      := -lbpf -lelf -lz -lyaml -ljansson
AGENT_LIBS := -lmnl -levent -levent_openssl -lssl -lcrypto -ljansson -lsystemd
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

BPF_OBJS  := $(BUILD)/lb.bpf.o $(BUILD)/decap.bpf.o $(BUILD)/bench_floor.bpf.o $(BUILD)/bench_warm.bpf.o \
             $(BUILD)/napi_pass.bpf.o
SKELS     := $(BPF_OBJS:.bpf.o=.skel.h)
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard include/shoal/*.h)
# the agent in rooms (README: layout); model/ is pure, dataplane/ the only map writer
MODEL_SRCS := agent/model/addr.c agent/model/config.c agent/model/config_check.c \
	      agent/model/config_health.c agent/model/health.c agent/model/checkwire.c \
	      agent/model/state.c agent/model/maglev.c agent/model/ids.c agent/model/config_bgp.c \
	      agent/model/bgpwire.c agent/model/bfdwire.c agent/model/config_discovery.c \
	      agent/model/etcdwire.c agent/model/discovered.c agent/model/names.c \
	      agent/model/decap_config.c
DP_SRCS   := agent/dataplane/object.c agent/dataplane/apply.c agent/dataplane/stats.c \
	     agent/dataplane/lookup.c agent/dataplane/flows.c
CORE_SRCS := agent/core/log.c agent/core/loop.c agent/core/reconcile.c agent/core/notify.c \
	     agent/core/lock.c agent/core/accept.c
LIB_SRCS  := $(MODEL_SRCS) $(DP_SRCS)
TEST_LIB  := tests/lib/pktgen.c tests/lib/lbfix.c
LIB_HDRS  := $(wildcard agent/*/*.h) $(wildcard include/shoal/*.h) $(SKELS)

AGENT_SRCS := agent/main.c $(CORE_SRCS) agent/configfile/configfile.c agent/control/server.c \
	      agent/control/commands.c agent/control/proto.c agent/metrics/metrics.c \
	      agent/metrics/http.c agent/metrics/health_metrics.c agent/metrics/anycast_metrics.c agent/control/health_json.c agent/control/anycast_json.c agent/control/flows_json.c \
	      agent/net/netlink.c agent/net/nexthop.c agent/dataplane/flowwatch.c \
	      agent/health/health.c agent/health/view.c agent/health/check_plain.c agent/health/check_stream.c \
	      agent/health/check_dgram.c agent/anycast/anycast.c agent/anycast/bgp.c agent/anycast/bgp_sock.c agent/anycast/bfd.c \
	      agent/anycast/kroute.c agent/discovery/etcd.c agent/discovery/tls.c
PROGS     := $(BUILD)/shoald $(BUILD)/shoald-asan $(BUILD)/lbctl $(BUILD)/shoal-decap \
             $(BUILD)/lbbench $(BUILD)/shoal-lab
UNIT_TESTS := $(BUILD)/tests/test_maglev $(BUILD)/tests/test_addr $(BUILD)/tests/test_config \
              $(BUILD)/tests/test_state $(BUILD)/tests/test_ctl_proto $(BUILD)/tests/test_ids \
              $(BUILD)/tests/test_reconcile $(BUILD)/tests/test_http $(BUILD)/tests/test_health \
              $(BUILD)/tests/test_bgpwire $(BUILD)/tests/test_discovery
LB_SUITES := encap flows sched icmp hostile checks
BPF_TESTS := $(LB_SUITES:%=$(BUILD)/tests/test_lb_%) $(BUILD)/tests/test_decap \
             $(BUILD)/tests/test_apply

.PHONY: all build-all deps fuzz test test-unit test-bpf test-e2e bench demo format format-check clean \
	install man deb programs

all: deps
	$(Q)$(MAKE) --no-print-directory build-all

FUZZERS   := $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_ctl $(BUILD)/fuzz/fuzz_save \
	     $(BUILD)/fuzz/fuzz_http $(BUILD)/fuzz/fuzz_netlink $(BUILD)/fuzz/fuzz_check_reply \
	     $(BUILD)/fuzz/fuzz_bgp $(BUILD)/fuzz/fuzz_bfd $(BUILD)/fuzz/fuzz_etcd \
	     $(BUILD)/fuzz/fuzz_decap

build-all: $(BPF_OBJS) $(SKELS) $(PROGS) $(UNIT_TESTS) $(BPF_TESTS) $(FUZZERS) $(MANPAGES) $(UNITS)

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

LBBENCH_SRCS := tools/lbbench.c tools/lbbench_run.c tools/lbbench_dp.c
$(BUILD)/lbbench: $(LBBENCH_SRCS) tools/lbbench.h $(LIB_SRCS) $(LIB_HDRS) $(TEST_LIB) $(wildcard tests/lib/*.h)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -Itests/lib $(LBBENCH_SRCS) $(LIB_SRCS) $(TEST_LIB) -o $@ $(LIBS) -lm

$(BUILD)/shoald: $(AGENT_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(AGENT_SRCS) $(LIB_SRCS) -o $@ $(LDFLAGS) $(LIBS) $(AGENT_LIBS)

# the agent under ASan/UBSan, for one run of its namespace lab in make test
$(BUILD)/shoald-asan: $(AGENT_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) $(AGENT_SRCS) $(LIB_SRCS) -o $@ $(LIBS) $(AGENT_LIBS)

LBCTL_SRCS := tools/lbctl.c tools/lbctl_register.c tools/lbctl_flows.c tools/lbctl_stats.c agent/control/proto.c agent/model/addr.c \
	      agent/model/etcdwire.c agent/model/names.c agent/discovery/tls.c
$(BUILD)/lbctl: $(LBCTL_SRCS) agent/control/proto.h agent/model/etcdwire.h tools/lbctl_register.h tools/lbctl.h \
		agent/discovery/tls.h
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Itools $(LBCTL_SRCS) -o $@ $(LDFLAGS) -ljansson -lssl -lcrypto

DECAP_SRCS := tools/shoal-decap.c $(MODEL_SRCS)
$(BUILD)/shoal-decap: $(DECAP_SRCS) agent/model/decap_config.h $(BUILD)/decap.skel.h
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DECAP_SRCS) -o $@ $(LDFLAGS) -lbpf -lelf -lz -lyaml -ljansson

$(BUILD)/shoal-lab: tests/e2e/shoal-lab.c agent/control/proto.c $(LIB_SRCS) $(LIB_HDRS)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) tests/e2e/shoal-lab.c agent/control/proto.c $(LIB_SRCS) -o $@ $(LIBS) -ljansson

# Unit tests: pure modules (and the loop's scheduling), under ASan/UBSan.
UNIT_LIBS_maglev := agent/model/maglev.c agent/model/addr.c
UNIT_LIBS_addr := agent/model/addr.c
UNIT_LIBS_config := agent/model/config.c agent/model/config_check.c agent/model/addr.c \
		    agent/model/maglev.c agent/model/config_health.c agent/model/health.c \
		    agent/model/config_bgp.c agent/model/config_discovery.c agent/model/names.c \
		    agent/model/etcdwire.c
UNIT_LIBS_state := $(MODEL_SRCS)
UNIT_LIBS_ids := agent/model/ids.c
UNIT_LIBS_ctl_proto := agent/control/proto.c agent/model/addr.c
UNIT_LIBS_reconcile := agent/core/loop.c agent/core/reconcile.c
UNIT_LIBS_http := agent/metrics/http.c
UNIT_LIBS_health := agent/model/health.c agent/model/checkwire.c
UNIT_LIBS_bgpwire := agent/model/bgpwire.c agent/model/bfdwire.c
UNIT_LIBS_discovery := $(MODEL_SRCS)
UNIT_LDLIBS := $(CHECK_LIBS) -lm -lyaml -ljansson -levent
.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $$(UNIT_LIBS_$$*) $(LIB_HDRS) | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/lib $< $(UNIT_LIBS_$*) -o $@ $(UNIT_LDLIBS)

# BPF tests: BPF_PROG_TEST_RUN on the real objects, also under ASan/UBSan. Headers behind
# a 14-byte Ethernet header are unaligned by nature, hence no alignment check there.
$(BUILD)/tests/test_%: tests/bpf/test_%.c $(TEST_LIB) tests/lib/lbtest.c $(wildcard tests/lib/*.h) $(LIB_SRCS) $(LIB_HDRS) | $(BUILD)/tests
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -fno-sanitize=alignment -Itests/lib $< $(TEST_LIB) tests/lib/lbtest.c \
		$(LIB_SRCS) -o $@ $(CHECK_LIBS) $(LIBS) -lm

# libFuzzer harnesses for every parser of outside input (clang, ASan, UBSan)
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iagent \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(UNIT_LIBS_config) agent/model/config.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(UNIT_LIBS_config) -o $@ -lyaml -ljansson
$(BUILD)/fuzz/fuzz_save: tests/fuzz/fuzz_save.c $(MODEL_SRCS) agent/model/state.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(MODEL_SRCS) -o $@ -lyaml -ljansson
$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c agent/metrics/http.c agent/metrics/http.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/metrics/http.c -o $@
$(BUILD)/fuzz/fuzz_check_reply: tests/fuzz/fuzz_check_reply.c $(UNIT_LIBS_health) agent/model/checkwire.h agent/model/health.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(UNIT_LIBS_health) -o $@
$(BUILD)/fuzz/fuzz_bgp: tests/fuzz/fuzz_bgp.c agent/model/bgpwire.c agent/model/bgpwire.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/model/bgpwire.c -o $@
$(BUILD)/fuzz/fuzz_bfd: tests/fuzz/fuzz_bfd.c agent/model/bfdwire.c agent/model/bfdwire.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/model/bfdwire.c -o $@
$(BUILD)/fuzz/fuzz_netlink: tests/fuzz/fuzz_netlink.c agent/net/netlink.c agent/net/netlink.h agent/model/addr.c
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< agent/net/netlink.c agent/model/addr.c -o $@ -lmnl
$(BUILD)/fuzz/fuzz_etcd: tests/fuzz/fuzz_etcd.c $(MODEL_SRCS) agent/model/etcdwire.h agent/model/discovered.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(MODEL_SRCS) -o $@ -lyaml -ljansson
$(BUILD)/fuzz/fuzz_decap: tests/fuzz/fuzz_decap.c $(MODEL_SRCS) agent/model/decap_config.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(MODEL_SRCS) -o $@ -lyaml -ljansson
$(BUILD)/fuzz/fuzz_ctl: tests/fuzz/fuzz_ctl.c $(UNIT_LIBS_ctl_proto) agent/control/proto.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(UNIT_LIBS_ctl_proto) -o $@ -ljansson

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
	$(Q)$(BUILD)/lbbench memory
	$(Q)$(BUILD)/lbbench dataplane
	$(Q)$(BUILD)/lbbench flood
	$(Q)./tests/bench/compare.sh
	$(Q)$(BUILD)/lbbench decap
	$(Q)$(BUILD)/lbbench maglev
	$(Q)$(BUILD)/lbbench apply
	$(Q)$(BUILD)/lbbench config
	$(Q)./tests/bench/loop.sh
	$(Q)./tests/bench/health.sh
	$(Q)./tests/bench/failover.sh
	$(Q)./tests/bench/discovery.sh

demo: all
	$(Q)./examples/demo.sh

# Installation (FHS): make install [PREFIX=/usr] [DESTDIR=...]. The BPF objects
# are built into the binaries (libbpf skeletons); the .o files are installed
# for inspection and for loaders of one's own (bpftool, ip link ... xdp obj).
PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/shoal
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions
MANPAGES   := $(BUILD)/man/shoald.8 $(BUILD)/man/lbctl.8 $(BUILD)/man/shoal-decap.8 \
	      $(BUILD)/man/shoal.yaml.5
UNITS      := $(BUILD)/shoald.service $(BUILD)/shoal-decap.service
INSTALL    ?= install

# shoal.yaml(5)'s keys come from the README's reference table: one source
$(BUILD)/man/shoal.yaml.5: doc/shoal.yaml.5.scd.in README.md scripts/man-keys.py
	@mkdir -p $(dir $@)
	$(Q)python3 scripts/man-keys.py README.md $< | scdoc >$@
$(BUILD)/man/%: doc/%.scd
	@mkdir -p $(dir $@)
	$(Q)scdoc <$< >$@
man: $(MANPAGES)

$(BUILD)/%.service: packaging/%.service.in
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

# what is installed, and nothing else (debian/rules builds this)
programs: $(BUILD)/shoald $(BUILD)/lbctl $(BUILD)/shoal-decap $(MANPAGES) $(UNITS)

install: programs
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/shoal \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPDIR)
	$(INSTALL) -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/shoal
	$(INSTALL) -m 0755 $(BUILD)/shoald $(BUILD)/shoal-decap $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(BUILD)/lbctl $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(BUILD)/lb.bpf.o $(BUILD)/decap.bpf.o $(DESTDIR)$(LIBDIR)/shoal/
	$(INSTALL) -m 0644 $(filter %.8,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(filter %.5,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	$(INSTALL) -m 0644 packaging/lbctl.bash-completion $(DESTDIR)$(COMPDIR)/lbctl
	$(INSTALL) -m 0644 examples/shoal.yaml examples/decap.yaml examples/grafana-dashboard.json \
		examples/alerts.yaml \
		$(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 0644 README.md BENCHMARKS.md $(DESTDIR)$(DOCDIR)/

# Debian packages shoal and shoal-decap (debian/), into $(BUILD)/deb, checked by lintian
DEB_VERSION = $(shell dpkg-parsechangelog -S Version)
deb:
	$(Q)dpkg-buildpackage -b -us -uc >$(BUILD)/deb.log 2>&1 || { tail -n 40 $(BUILD)/deb.log; exit 1; }
	$(Q)mkdir -p $(BUILD)/deb && for f in shoal_$(DEB_VERSION)_*.deb shoal-decap_$(DEB_VERSION)_*.deb \
		shoal_$(DEB_VERSION)_*.buildinfo shoal_$(DEB_VERSION)_*.changes \
		shoal-dbgsym_$(DEB_VERSION)_*.deb shoal-decap-dbgsym_$(DEB_VERSION)_*.deb; do \
		for g in ../$$f; do [ -e "$$g" ] && mv "$$g" $(BUILD)/deb/; done; done; true
	$(Q)ls $(BUILD)/deb
	$(Q)lintian --info $(BUILD)/deb/*.changes

FORMAT_SRCS := $(wildcard agent/*.[ch] agent/*/*.[ch] tools/*.c tests/unit/*.c tests/bpf/*.c tests/lib/*.[ch] \
		tests/e2e/*.c bpf/*.[ch] include/shoal/*.h)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@echo "  FORMAT  check"
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)
	@echo "  SHELL   check"
	$(Q)shellcheck -S warning tests/e2e/*.sh tests/bench/*.sh tests/run.sh examples/demo.sh scripts/*.sh .ci/run
	$(Q)shellcheck -S warning -s bash packaging/lbctl.bash-completion
	@echo "  SPDX    check"
	$(Q)./scripts/spdx-check.sh

clean:
	rm -rf $(BUILD)
