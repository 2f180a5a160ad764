#!/bin/sh
# Build the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang and run
# each for $FUZZ_SECONDS on a scratch copy of its seed corpus; exit 1 if
# any harness crashes, leaks, times out or fails to build.
#
# The policy and common library sources are compiled here, directly, with
# the fuzzer + ASan + UBSan instrumentation into $FUZZ_BUILD (build-fuzz/);
# the gcc archives of the normal build are never reused. The committed
# corpus (tests/fuzz/corpus/) is read, never written: libFuzzer grows a
# copy in a temporary directory. A crashing input is saved as
# tests/fuzz/crash-<target>-<hash> (gitignored); docs/fuzzing.md says how
# to turn one into a regression test under tests/fuzz/regressions/<target>/,
# which this script replays before fuzzing.
#
#   FUZZ_SECONDS=60    seconds per target (CI uses 10)
#   FUZZ_TARGETS="config trust"   run only these (default: every harness)
#   FUZZ_BUILD=build-fuzz   build directory
#   FUZZ_KEEP=1        keep the scratch corpora (path printed) for inspection
#   FUZZ_CC=clang      compiler (must support -fsanitize=fuzzer)
set -u
cd "$(dirname "$0")/../.." || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_TARGETS=${FUZZ_TARGETS:-}
FUZZ_CC=${FUZZ_CC:-clang}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PKGS="yaml-0.1 libpcre2-8 libcjson openssl libseccomp zlib"

say() { echo "fuzz: $*" >&2; }

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	say "'$FUZZ_CC' not found (scripts/deps.sh installs clang and libclang-rt-14-dev)"
	exit 1
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
	"$FUZZ_CC" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
	say "'$FUZZ_CC' cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"
	exit 1
fi

PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null)
# No -Werror: clang warns about things gcc does not, and a clang-only
# warning in someone's file must not hide a fuzzing result.
CFLAGS_FUZZ="-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -ffp-contract=off \
-fsanitize=address,undefined -fno-sanitize-recover=undefined \
-Wall -Wextra -Wno-unused-parameter -I. -iquote policy $PKG_CFLAGS"

# --- build -------------------------------------------------------------------
all_targets=$(for h in tests/fuzz/fuzz_*.c; do basename "$h" .c | sed 's/^fuzz_//'; done)
targets=${FUZZ_TARGETS:-$all_targets}
for t in $targets; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || { say "no harness tests/fuzz/fuzz_$t.c"; exit 1; }
done

say "building into $FUZZ_BUILD/ with $FUZZ_CC"
# A throw-away makefile (read from stdin) gives -MMD dependency tracking
# and parallel builds without touching the top-level Makefile's rules.
# Library objects carry coverage instrumentation (fuzzer-no-link) so the
# fuzzer sees the parsers' branches, not just the harness's.
make --no-print-directory -s -j"$JOBS" -f - FB="$FUZZ_BUILD" CCF="$FUZZ_CC" CF="$CFLAGS_FUZZ" \
	LIBS="$PKG_LIBS" POLICY_SRCS="$(echo policy/*.c)" \
	COMMON_SRCS="$(echo supervisor/common/*.c)" \
	BINS="$(for t in $targets; do printf '%s/fuzz_%s ' "$FUZZ_BUILD" "$t"; done)" all <<'EOF' || { say "build failed"; exit 1; }
.RECIPEPREFIX = >
OBJ := $(FB)/obj
POLICY_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(POLICY_SRCS))
COMMON_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(COMMON_SRCS))
all: $(BINS)
$(OBJ)/%.o: %.c
> @mkdir -p $(dir $@)
> $(CCF) $(CF) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FB)/libpolicy.a: $(POLICY_OBJS)
> rm -f $@ && ar rcs $@ $^
$(FB)/libcommon.a: $(COMMON_OBJS)
> rm -f $@ && ar rcs $@ $^
$(FB)/fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $(FB)/libcommon.a $(FB)/libpolicy.a
> $(CCF) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS) -lm -lpthread
.SECONDARY:
-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
EOF

# --- per-target settings -------------------------------------------------------
# seeds TARGET: directories of seed inputs besides tests/fuzz/corpus/TARGET.
seeds() {
	case $1 in
	config) echo tests/data/config/seeds tests/data/config/good tests/data/config/bad examples/attesta.yaml ;;
	profile) echo tests/data/profiles examples/profiles ;;
	*) ;;
	esac
}
# max_len TARGET: the longest input worth trying (near the real cap where it
# is small, a few pages where the cap is megabytes: longer inputs only
# slow the fuzzer down without reaching new code).
max_len() {
	case $1 in
	shim) echo 1100 ;;            # POL_SHIM_MAX_MSG + a little
	decode) echo 4200 ;;          # a sockaddr or a PATH_MAX path
	agent) echo 4096 ;;
	approval) echo 8192 ;;        # a pending list of a few items
	*) echo 16384 ;;
	esac
}
# dict TARGET: a libFuzzer dictionary, if one fits.
dict() {
	case $1 in
	config | profile) echo tests/fuzz/yaml.dict ;;
	audit_line | audit_verify | trust | context | approval) echo tests/fuzz/json.dict ;;
	agent) echo tests/fuzz/shell.dict ;;
	*) ;;
	esac
}

# --- run -------------------------------------------------------------------------
scratch=$(mktemp -d /tmp/attesta-fuzz.XXXXXX)
fail=0; failed=""
for t in $targets; do
	bin=$FUZZ_BUILD/fuzz_$t
	corpus=$scratch/$t
	mkdir -p "$corpus"
	for d in tests/fuzz/corpus/$t $(seeds "$t"); do
		[ -e "$d" ] || continue
		if [ -d "$d" ]; then
			for f in "$d"/*; do
				[ -f "$f" ] && cp "$f" "$corpus/$(echo "$d" | tr '/' '_')_$(basename "$f")"
			done
		else
			cp "$d" "$corpus/$(echo "$d" | tr '/' '_')"
		fi
	done
	log=$scratch/$t.log

	# Known crashers first: each must now run clean.
	reg=tests/fuzz/regressions/$t
	bad_reg=""
	for f in "$reg"/*; do
		[ -f "$f" ] || continue
		if ! "$bin" "$f" >"$log.reg" 2>&1; then
			bad_reg="$bad_reg $f"
			grep -E 'ERROR|SUMMARY|^ +#[0-9]+ .* in [a-z_]+ /' "$log.reg" | grep -v 'in fuzzer::' |
				head -n 12 | sed 's/^/      /'
		fi
	done
	if [ -n "$bad_reg" ]; then
		echo "FAIL  fuzz/$t (regression input crashes:$bad_reg)"
		fail=$((fail + 1)); failed="$failed $t"
		continue
	fi

	d=$(dict "$t")
	set -- -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$t")" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$PWD/tests/fuzz/crash-$t-"
	[ -n "$d" ] && [ -f "$d" ] && set -- "$@" -dict="$d"
	if "$bin" "$@" "$corpus" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "PASS  fuzz/$t ($FUZZ_SECONDS s, ${execs:-?} runs, ${cov:-cov: ?})"
	else
		fail=$((fail + 1)); failed="$failed $t"
		echo "FAIL  fuzz/$t"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|.*runtime error)' "$log" | sed 's/^/      /'
		grep -A 12 'ERROR: \|runtime error' "$log" | head -n 30 | sed 's/^/      /'
	fi
done
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
	say "scratch corpora and logs kept in $scratch"
else
	rm -rf "$scratch"
fi
echo
if [ $fail -ne 0 ]; then
	echo "fuzz: $fail target(s) failed:$failed"
	echo "fuzz: reproduce with $FUZZ_BUILD/fuzz_<target> tests/fuzz/crash-<target>-...; see docs/fuzzing.md"
	exit 1
fi
echo "fuzz: no crash"
exit 0
