# mailinit: build, test, lint. "make help" lists the targets.

PREFIX     ?= /usr/local
SHAREDIR   ?= /usr/share/mailinit
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
CC         ?= cc
PYTHON     ?= /usr/bin/python3
PKGS       := libconfuse libssl libcrypto libcap libcrypt
BUILD      ?= build

# Asked of pkg-config only by the targets that compile on this machine (make run and
# make image build mailinit inside the image), once, with one clear line if missing.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkg_config,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(call pkg_config,--libs))$(PKG_LIBS)
pkg_config = $(if $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes),\
             $(shell pkg-config $(1) $(PKGS)),\
             $(error the build libraries are missing: install libconfuse-dev libssl-dev \
             libcap-dev libcrypt-dev pkg-config, or run tools/setup.sh test as root))

OPTFLAGS   ?= -O2 -g -D_FORTIFY_SOURCE=2
HARDEN     := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
WARN       := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
              -Wmissing-prototypes -Wvla -Wnull-dereference
CFLAGS     += -std=c17 -D_GNU_SOURCE $(OPTFLAGS) $(HARDEN) $(WARN) $(PKG_CFLAGS) \
              -Isrc -DMAILINIT_VERSION='"$(VERSION)"' -DMAILINIT_SHAREDIR='"$(SHAREDIR)"'
LDFLAGS    += -pie -Wl,-z,relro,-z,now -Wl,--as-needed

# src/base, src/init, src/mail, src/cli: docs/architecture.md (make layers checks the rule).
LAYERS     := base init mail cli
SRCS       := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
HDRS       := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.h))
LIB_OBJS   := $(patsubst src/%.c,$(BUILD)/%.o,$(filter-out src/cli/main.c src/cli/init_main.c,$(SRCS)))
# PID 1's program: the supervisor and the settings, no OpenSSL (src/cli/init_main.c says why).
INIT_OBJS  := $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/base/*.c src/init/*.c) \
              src/cli/init_main.c src/cli/run.c src/cli/options.c src/cli/usage.c \
              src/cli/ban_watch.c src/cli/metrics_watch.c src/mail/auth_failures.c \
              src/mail/ban_count.c src/mail/mail_events.c src/mail/networks.c \
              src/mail/ban_list.c src/mail/settings.c src/mail/settings_read.c \
              src/mail/settings_check.c src/mail/validate.c src/mail/domains.c)
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_OBJS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%.o,$(UNIT_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60


# podman if installed, else docker if its engine answers (tools/setup.sh engine).
ENGINE     ?= $(eval ENGINE := $(shell tools/setup.sh engine 2>/dev/null || echo podman))$(ENGINE)
# The podman settings a machine like CI's needs (hybrid cgroups, low hard rlimits), unless
# the caller chose a file; the image's own build has no tools/, and needs none.
ifeq ($(origin CONTAINERS_CONF),undefined)
PODMAN_CONF := $(shell test -x tools/setup.sh && tools/setup.sh podman-conf)
ifneq ($(PODMAN_CONF),)
export CONTAINERS_CONF := $(PODMAN_CONF)
endif
endif
IMAGE      ?= mailinit:dev
# make run publishes every port on 127.0.0.1 at 2000 + the port (4190: 24190).
RUN_PORTS  := -p 127.0.0.1:2525:25 -p 127.0.0.1:2465:465 -p 127.0.0.1:2587:587 \
              -p 127.0.0.1:2110:110 -p 127.0.0.1:2143:143 -p 127.0.0.1:2993:993 \
              -p 127.0.0.1:2995:995 -p 127.0.0.1:24190:4190
# podman writes OCI images by default, which drop HEALTHCHECK; docker has neither flag.
BUILD_FLAGS = $(if $(filter podman,$(notdir $(ENGINE))),--pull=never --format docker,)
SOURCES    := Containerfile Makefile $(SRCS) $(HDRS) $(wildcard configs/* templates/*/*)

.PHONY: all engine image run test host-test unit init-test provision-test container-test container-test-lean docs docs-check \
        layers asan valgrind fuzz fuzz-build fuzz-run lint format format-check bench install clean help

all: $(BUILD)/mailinit $(BUILD)/mailinit-init

# "make V=1" shows the whole compiler command lines.
Q := $(if $(V),,@)

$(BUILD)/%.o: src/%.c $(HDRS) | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: tests/unit/%.c $(HDRS) $(wildcard tests/unit/*.h) | $(BUILD)/unit
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/mailinit: $(BUILD)/cli/main.o $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# PID 1 is linked statically, unless sanitized (ASan needs the shared runtime): no dynamic
# linker and no shared libc mapped, half its resident memory (docs/decisions.md). It calls
# no NSS function; libconfuse's "~user" expansion would, and is never asked for: the
# linker's notice about it is left out of the output, and only it (ld's --no-warnings
# would hide errors too: a symbol left undefined linked, and PID 1 would jump to 0).
INIT_STATIC ?= yes
INIT_LINK   = $(if $(filter yes,$(INIT_STATIC)),-static-pie $(filter-out -pie,$(LDFLAGS)) \
              -o $@ $^ -l:libconfuse.a -l:libcap.a,$(LDFLAGS) -o $@ $^ $(PKG_LIBS))
comma      := ,

$(BUILD)/mailinit-init: $(INIT_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(INIT_LINK) 2>$@.ld || { cat $@.ld >&2; exit 1; }
	@awk '/in function .cfg_tilde_expand/ { known = 1; next } /in function/ { known = 0 } \
		!(known && /Using .getpw(nam|uid). in statically/)' $@.ld >&2

$(BUILD)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -lpthread

$(BUILD) $(BUILD)/unit:
	mkdir -p $@

## image: the container image (builds the Debian base locally when no registry answers)
image: build/image.stamp

# The container engine, installed on a fresh Debian/Ubuntu machine as root, else named.
engine:
	@ENGINE=$(ENGINE) tools/setup.sh run

build/image.stamp: $(SOURCES) | engine $(BUILD)
	ENGINE=$(ENGINE) tools/base-image.sh
	$(ENGINE) build $(BUILD_FLAGS) -f Containerfile --build-arg VERSION=$(VERSION) -t $(IMAGE) .
	touch $@

## run: the mail server on its embedded defaults, in the foreground; Ctrl-C stops it
run: engine image
	$(ENGINE) run --rm --name mailinit-dev --hostname mail.example.test $(RUN_PORTS) \
		-e MAIL_DOMAIN=example.test -e DEMO_ACCOUNT=demo@example.test -e ENABLE_MANAGESIEVE=yes \
		$(IMAGE)

## test: unit tests, the docs check, PID 1, provisioning, then the image end to end (as root),
## on its defaults and then as the lean server (ENABLE_RSPAMD=no)
test: host-test container-test container-test-lean

# Everything that runs mailinit on this machine (what the sanitizer build checks).
host-test: unit docs-check init-test provision-test

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

init-test: $(BUILD)/mailinit $(BUILD)/mailinit-init
	MAILINIT=$(abspath $(BUILD)/mailinit) $(PYTHON) -m pytest -q -p no:cacheprovider tests/init

provision-test: $(BUILD)/mailinit $(BUILD)/mailinit-init
	MAILINIT=$(abspath $(BUILD)/mailinit) $(PYTHON) -m pytest -q -p no:cacheprovider tests/provision

## container-test: builds the image and talks to it from outside with real clients
container-test:
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) $(PYTHON) -m pytest -q -p no:cacheprovider tests/container

## container-test-lean: the same suite with ENABLE_RSPAMD=no in every test server (tests
## about rspamd itself are skipped): what an operator who turns the filter off runs
container-test-lean:
	MAILINIT_TEST_ENV="ENABLE_RSPAMD=no" ENGINE=$(ENGINE) IMAGE=$(IMAGE) \
		$(PYTHON) -m pytest -q -p no:cacheprovider -rs tests/container

## docs: regenerate the settings table in docs/configuration.md from the one table in src/
docs: $(BUILD)/mailinit
	tools/settings-doc.sh $(BUILD)/mailinit docs/configuration.md write

docs-check: $(BUILD)/mailinit
	tools/settings-doc.sh $(BUILD)/mailinit docs/configuration.md check

## asan: rebuilt with ASan+UBSan into build-asan/, and every test that runs it on this machine
asan:
	$(MAKE) BUILD=build-asan OPTFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' INIT_STATIC=no host-test

## fuzz: every libFuzzer target FUZZ_SECONDS (60) from its seeds, after its regressions
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang-14 \
		OPTFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		fuzz-run

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/common.c tests/fuzz/fuzz.h $(LIB_OBJS) | $(BUILD)
	@mkdir -p $(BUILD)/fuzz
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer $(LDFLAGS) -o $@ \
		$< tests/fuzz/common.c $(LIB_OBJS) $(PKG_LIBS)

# tests/fuzz/regressions/TARGET/ holds every input that once crashed: replayed first. Then
# FUZZ_SECONDS of fuzzing from the seeds; a crash (its input left in
# $(BUILD)/fuzz/crash-*), a fuzzer that fails, or one that ran no inputs fails the run.
fuzz-run: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t; \
		if [ -d tests/fuzz/regressions/$$t ]; then \
			echo "replaying $$(ls tests/fuzz/regressions/$$t | wc -l) regression inputs of $$t"; \
			$(BUILD)/fuzz/$$t -close_fd_mask=3 tests/fuzz/regressions/$$t/* \
				>$(BUILD)/fuzz/$$t.regressions.log 2>&1 || \
				{ tail -n 30 $(BUILD)/fuzz/$$t.regressions.log; \
				  echo "$$t: a regression input fails again"; exit 1; }; fi; \
		echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
		status=0; $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$t- \
			$(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1 || status=$$?; \
		grep -E '^(stat::number_of_executed_units|stat::new_units_added|==|SUMMARY|Done)' \
			$(BUILD)/fuzz/$$t.log || true; \
		if [ $$status -ne 0 ]; then tail -n 40 $(BUILD)/fuzz/$$t.log; \
			echo "$$t failed (exit $$status): $$(ls $(BUILD)/fuzz/crash-$$t-* 2>/dev/null)"; exit 1; fi; \
		runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(BUILD)/fuzz/$$t.log); \
		if [ "$${runs:-0}" -le 1 ]; then echo "$$t ran no inputs"; exit 1; fi; \
	done

## valgrind: the unit tests under memcheck, any error fails
valgrind: $(BUILD)/unit-tests
	valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		$(BUILD)/unit-tests

## layers: each layer of src/ includes only what it may (docs/architecture.md)
layers:
	tools/layers.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr -D_GNU_SOURCE -Isrc --suppress=missingIncludeSystem src tests/unit
	clang-tidy --quiet $(SRCS) -- -std=c17 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)
	shellcheck .ci/run bench/*.sh tests/init/fake/*.sh tools/*.sh configs/postfix-drain

format:
	clang-format -i $(SRCS) $(HDRS) tests/unit/*.c

format-check:
	clang-format --dry-run --Werror $(SRCS) $(HDRS) tests/unit/*.c

## bench: every figure of bench/RESULTS.md: PID 1, start-up, stop, reload, idle CPU, load, the baseline side by side, a large store, the metrics, image size
bench: $(BUILD)/mailinit $(BUILD)/mailinit-init $(BUILD)/owner_walk image
	MAILINIT=$(abspath $(BUILD)/mailinit) bench/pid1-memory.sh
	bench/owner-walk.sh $(BUILD)
	bench/maps.sh
	bench/password.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/startup.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/reload.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/load.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) MAILBOXES=1 COUNT=5000 CLIENTS=0 bench/load.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/rspamd.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/side-by-side.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/store-startup.sh
	ENGINE=$(ENGINE) IMAGE=$(IMAGE) bench/metrics.sh
	@echo "image size: $$($(ENGINE) image inspect --format '{{.Size}}' $(IMAGE)) bytes"

$(BUILD)/owner_walk: bench/owner_walk.c $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

install: $(BUILD)/mailinit $(BUILD)/mailinit-init
	install -D -m 0755 $(BUILD)/mailinit $(DESTDIR)$(PREFIX)/bin/mailinit
	install -D -m 0755 $(BUILD)/mailinit-init $(DESTDIR)$(PREFIX)/bin/mailinit-init
	install -D -m 0644 configs/services.conf $(DESTDIR)$(SHAREDIR)/services.conf
	install -D -m 0755 configs/postfix-drain $(DESTDIR)$(SHAREDIR)/postfix-drain
	for f in templates/*/*; do install -D -m 0644 $$f $(DESTDIR)$(SHAREDIR)/$$f; done

clean:
	rm -rf build build-asan build-fuzz

help:
	@grep -E '^## ' Makefile | sed 's/^## /make /'
	@echo "make, make lint, make format, make install, make clean"
