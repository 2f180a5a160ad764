# attesta — one non-recursive Makefile, out-of-tree build directory.
#
#   make            build everything into $(BUILD)/
#   make check      install missing Debian packages, build, run every test
#   make demo       install missing packages, build, run the example agent
#   make asan       the same suite under AddressSanitizer + UBSan
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each
#   make bench      the benchmark (docs/BENCHMARKS.md)
#   make install    PREFIX=/usr/local DESTDIR=
#
# V=1 shows full command lines.  BUILD=dir builds elsewhere (helpers and
# sanitizer builds use their own directory so they never mix objects).

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS      = yaml-0.1 libpcre2-8 libcjson openssl libseccomp zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
PQ_CFLAGS  := $(shell pkg-config --cflags libpq 2>/dev/null)
PQ_LIBS    := $(shell pkg-config --libs libpq 2>/dev/null)
# attesta-run links libcrypto, libpcre2, libyaml and libseccomp statically:
# resolving libcrypto's thousands of symbols at every start cost about a
# third of the start-up budget (docs/BENCHMARKS.md). STATIC_LIBS=0 links
# them dynamically (distribution security updates then apply without a
# rebuild; a static build must be rebuilt when they change).
STATIC_LIBS ?= 1
ifeq ($(STATIC_LIBS),1)
RUN_LIBS   := -Wl,-Bstatic -lcrypto -lpcre2-8 -lyaml -lseccomp -Wl,-Bdynamic \
              $(shell pkg-config --libs libcjson 2>/dev/null) $(shell pkg-config --libs zlib 2>/dev/null)
else
RUN_LIBS   := $(PKG_LIBS)
endif

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wimplicit-fallthrough -Werror
HARDEN   = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
OPT     ?= -O2 -g
# -ffp-contract=off: the reference scorer's sums must be bit-exact (docs/scoring.md).
CFLAGS_ALL = -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) -ffp-contract=off \
             -I. -iquote policy $(PKG_CFLAGS) $(PQ_CFLAGS) $(SAN_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro -Wl,-z,now $(SAN_LDFLAGS) $(LDFLAGS)

ifeq ($(SANITIZE),1)
SAN_CFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_LDFLAGS = -fsanitize=address,undefined
HARDEN      = -fPIE
endif
CFLAGS_ALL += $(HARDEN)

ifeq ($(V),1)
Q =
else
Q = @
endif

# --- sources -----------------------------------------------------------------
POLICY_SRCS  := $(sort $(wildcard policy/*.c))
COMMON_SRCS  := $(sort $(wildcard supervisor/common/*.c))
CLI_SRCS     := $(sort $(wildcard supervisor/cli/*.c))
RUN_SRCS     := $(sort $(wildcard supervisor/run/*.c))
PRELOAD_SRCS := $(sort $(wildcard preload/*.c))
UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRCS  := $(sort $(wildcard tests/helpers/*.c))
# cifuse (a case-insensitive FUSE file system for tests) needs libfuse3;
# without it the helper is not built and its test skips.
FUSE_CFLAGS  := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS    := $(shell pkg-config --libs fuse3 2>/dev/null)
ifeq ($(FUSE_LIBS),)
HELPER_SRCS  := $(filter-out tests/helpers/cifuse.c,$(HELPER_SRCS))
endif
TOOL_SRCS    := $(sort $(wildcard tests/tools/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
POLICY_OBJS  := $(call obj,$(POLICY_SRCS))
COMMON_OBJS  := $(call obj,$(COMMON_SRCS))
CLI_OBJS     := $(call obj,$(CLI_SRCS))
RUN_OBJS     := $(call obj,$(RUN_SRCS))
PRELOAD_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(PRELOAD_SRCS))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELPER_BINS  := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRCS))
TOOL_BINS    := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

LIBPOLICY    := $(BUILD)/libattesta-policy.a
LIBCOMMON    := $(BUILD)/libattesta-common.a
ATTESTA      := $(BUILD)/attesta
ATTESTA_RUN  := $(BUILD)/attesta-run
PRELOAD_SO   := $(BUILD)/libattesta-preload.so

BINS := $(ATTESTA)
ifneq ($(RUN_SRCS),)
BINS += $(ATTESTA_RUN)
endif
ifneq ($(PRELOAD_SRCS),)
BINS += $(PRELOAD_SO)
endif

.PHONY: all tests deps check unit integration lint asan fuzz bench thirdparty demo install clean
all: $(BINS) $(HELPER_BINS) $(TOOL_BINS)
tests: $(UNIT_BINS)

# Keep objects of test programs (make would delete them as intermediates).
.SECONDARY:

# --- rules -------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The preload library is libc-only and exports nothing but its hooks. It
# is never sanitized, not even in `make asan`: it is loaded into arbitrary
# uninstrumented programs, where an ASan runtime cannot come first.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC(pic) $<")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) -I. -fPIC -fvisibility=hidden \
		-D_FORTIFY_SOURCE=3 -fstack-protector-strong $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBPOLICY): $(POLICY_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCOMMON): $(COMMON_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(ATTESTA): $(CLI_OBJS) $(LIBCOMMON) $(LIBPOLICY)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJS) $(LIBCOMMON) $(LIBPOLICY) $(PKG_LIBS) $(PQ_LIBS) -lm

$(ATTESTA_RUN): $(RUN_OBJS) $(LIBCOMMON) $(LIBPOLICY)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(RUN_OBJS) $(LIBCOMMON) $(LIBPOLICY) $(RUN_LIBS) -ldl -lm

$(PRELOAD_SO): $(PRELOAD_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-z,relro -Wl,-z,now -o $@ $^ -ldl

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBCOMMON) $(LIBPOLICY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBCOMMON) $(LIBPOLICY) $(PKG_LIBS) $(PQ_LIBS) $(CMOCKA_LIBS) -lm -lpthread

# Test programs that use the policy library without cmocka (tests/tools/).
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBCOMMON) $(LIBPOLICY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBCOMMON) $(LIBPOLICY) $(PKG_LIBS) $(PQ_LIBS) -lm -lpthread

# tests/tools/run_*.c drive supervisor/run/ code directly (decoders,
# emulation): linked with every attesta-run object except main.o.
RUN_LIB_OBJS := $(filter-out $(BUILD)/obj/supervisor/run/main.o,$(RUN_OBJS))
$(BUILD)/tools/run_%: $(BUILD)/obj/tests/tools/run_%.o $(RUN_LIB_OBJS) $(LIBCOMMON) $(LIBPOLICY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(RUN_LIB_OBJS) $(LIBCOMMON) $(LIBPOLICY) $(PKG_LIBS) $(PQ_LIBS) -lm -lpthread

# Unit tests of supervisor/run/ code through its headers (test_decide:
# the decision table; test_state_refuses: the emulation's identity
# check): linked with the attesta-run objects like run_*.
RUN_UNIT_BINS := $(BUILD)/tests/test_decide $(BUILD)/tests/test_state_refuses
$(RUN_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(RUN_LIB_OBJS) $(LIBCOMMON) $(LIBPOLICY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(RUN_LIB_OBJS) $(LIBCOMMON) $(LIBPOLICY) $(PKG_LIBS) $(PQ_LIBS) $(CMOCKA_LIBS) -lm -lpthread

# Small test programs run under the gate (raw syscalls, threads, vfork...).
# Not sanitized: they run with the (plain) preload library in LD_PRELOAD,
# and the product under test, not these programs, is what `make asan` checks.
$(BUILD)/helpers/%: tests/helpers/%.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -I. -o $@ $< -lpthread

$(BUILD)/helpers/cifuse: tests/helpers/cifuse.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror $(FUSE_CFLAGS) -o $@ $< $(FUSE_LIBS)

# gate_static is gate_raw linked statically (no ld.so, no shared libc):
# only the kernel-level gate can see its calls. Never sanitized (static).
$(BUILD)/helpers/gate_static: tests/helpers/gate_static.c tests/helpers/gate_raw.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -static -o $@ $<

# Adversarial programs (tests/adversarial/*.c): the agent trying to get
# past the gate. Never sanitized (they make raw syscalls, int 0x80, clone
# with CLONE_VM); the ones in ADV_STATIC also get a -static build (no
# ld.so, no shim: only the kernel-level gate can see their calls).
ADV_SRCS     := $(sort $(wildcard tests/adversarial/*.c))
ADV_STATIC   := adv_raw adv_race
ADV_BINS     := $(patsubst tests/adversarial/%.c,$(BUILD)/adversarial/%,$(ADV_SRCS)) \
                $(patsubst %,$(BUILD)/adversarial/%-static,$(filter $(ADV_STATIC),$(patsubst tests/adversarial/%.c,%,$(ADV_SRCS))))
ADV_CFLAGS   := -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -I. -Itests/adversarial
all: $(ADV_BINS)

$(BUILD)/adversarial/%-static: tests/adversarial/%.c tests/adversarial/adv.h Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) $(ADV_CFLAGS) -static -o $@ $< -lpthread

$(BUILD)/adversarial/%: tests/adversarial/%.c tests/adversarial/adv.h Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ADV_CFLAGS) -o $@ $< -lpthread

# --- targets -------------------------------------------------------------------
deps:
	@sh scripts/deps.sh

unit: $(UNIT_BINS)
	@BUILD=$(BUILD) sh tests/run-unit.sh $(UNIT_BINS)

integration: all
	@BUILD=$(BUILD) sh tests/run-integration.sh

lint:
	@sh scripts/lint.sh

check: deps
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory lint
	@BUILD=$(BUILD) sh tests/run-all.sh

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 OPT="-O1 -g" all tests
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run-all.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

# Benchmark drivers (scripts/bench/*.c): plain programs run under the gate.
BENCH_SRCS := $(sort $(wildcard scripts/bench/*.c))
BENCH_BINS := $(patsubst scripts/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
$(BUILD)/bench/%: scripts/bench/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $< -lpthread

# execstop measures the exec check's own code (docs/BENCHMARKS.md, Session 6)
$(BUILD)/bench/execstop: scripts/bench/execstop.c supervisor/run/execmaps.c supervisor/run/execmaps.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I. -o $@ $<

bench: deps all $(BENCH_BINS)
	@BUILD=$(BUILD) sh scripts/bench.sh

# A third-party test suite (CPython's own tests of os, shutil, subprocess,
# socket, ...) natively and under the gate with a policy that approves
# everything: the same results are expected (scripts/thirdparty.sh).
thirdparty: deps all
	@BUILD=$(BUILD) sh scripts/thirdparty.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh scripts/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/attesta $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(ATTESTA) $(DESTDIR)$(PREFIX)/bin/attesta
	$(if $(filter $(ATTESTA_RUN),$(BINS)),install -m 0755 $(ATTESTA_RUN) $(DESTDIR)$(PREFIX)/bin/attesta-run)
	$(if $(filter $(PRELOAD_SO),$(BINS)),install -m 0644 $(PRELOAD_SO) $(DESTDIR)$(PREFIX)/lib/attesta/libattesta-preload.so)
	for m in docs/*.1; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done
	for m in docs/*.5; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	install -m 0644 scripts/completion/attesta.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/attesta
	install -m 0644 scripts/completion/attesta.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/attesta-run

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
