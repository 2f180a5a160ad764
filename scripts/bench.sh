#!/bin/sh
# `make bench` (docs/BENCHMARKS.md, docs/BENCHMARKS.md): builds the seccomp-notify
# floor benchmark (../shared/bench/floor, copied to a scratch directory,
# never into the project), runs scripts/bench/run.py (every measurement,
# interleaved, in one run), prints the budget table and writes it to the
# top of docs/BENCHMARKS.md. Needs $BUILD/attesta, attesta-run,
# tools/audit_writer and bench/* (make bench builds them), python3,
# strace and dash. Raw samples stay in $BUILD/bench/results/.
#
# Knobs (environment): REPEATS E2E_REPEATS LAT_N RSS_CALLS RSS_MISS
# BIG_LOG_MB SHIP_ENTRIES (see scripts/bench/run.py), FLOOR_SRC (the floor benchmark),
# BENCH_TMP (scratch parent, default /tmp), BENCH_DOC (default
# docs/BENCHMARKS.md; "none" leaves the docs alone).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${BUILD:-build}" && pwd)
FLOOR_SRC=${FLOOR_SRC:-$ROOT/../shared/bench/floor}
DOC=${BENCH_DOC:-$ROOT/docs/BENCHMARKS.md}
for f in attesta attesta-run tools/audit_writer bench/latency bench/concurrency; do
	[ -x "$BUILD/$f" ] || { echo "bench: $BUILD/$f missing (make bench builds it)" >&2; exit 2; }
done
for t in python3 strace dash; do
	command -v "$t" >/dev/null || { echo "bench: '$t' missing (make deps)" >&2; exit 2; }
done

SCRATCH=$(mktemp -d "${BENCH_TMP:-/tmp}/attesta-bench.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT INT TERM
RESULTS=$BUILD/bench/results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# The floor: the bare round trip on this machine, measured in this run.
FLOOR=
if [ -f "$FLOOR_SRC/floorbench.c" ]; then
	cp -r "$FLOOR_SRC" "$SCRATCH/floor"
	chmod -R u+w "$SCRATCH/floor"
	if make -s -C "$SCRATCH/floor" floorbench floortarget >"$RESULTS/floor-build.log" 2>&1; then
		FLOOR=$SCRATCH/floor
	else
		echo "bench: cannot build the floor benchmark (see $RESULTS/floor-build.log)" >&2
	fi
else
	echo "bench: no floor benchmark at '$FLOOR_SRC': floor rows are not measured" >&2
fi

cmd="make bench"
[ "$BUILD" = "$ROOT/build" ] || cmd="make BUILD=${BUILD} bench"
for k in REPEATS E2E_REPEATS LAT_N RSS_CALLS RSS_MISS BIG_LOG_MB SHIP_ENTRIES; do
	eval "v=\${$k:-}"
	[ -z "$v" ] || cmd="$k=$v $cmd"
done

{
	echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine:   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel:    $(uname -r)"
	echo "fs:        $(df -T "$SCRATCH" | awk 'NR==2 {print $2 " on " $1}') (scratch, audit logs)"
	echo "attesta:   $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	echo "strace:    $(strace -V | head -1)"
	echo "loadavg:   $(cut -d' ' -f1-3 /proc/loadavg) (before)"
} >"$RESULTS/env.txt"
cat "$RESULTS/env.txt"

start=$(date +%s)
BUILD=$BUILD FLOOR=$FLOOR SCRATCH=$SCRATCH RESULTS=$RESULTS \
	python3 "$ROOT/scripts/bench/run.py"
# A real third-party test suite natively and gated, once (the issue-17
# row; BENCH_THIRDPARTY=0 leaves it out): CPython's test_os, test_shutil
# and test_subprocess through scripts/thirdparty.sh, its wall times into
# the raw samples.
if [ "${BENCH_THIRDPARTY:-1}" != 0 ]; then
	BUILD=$BUILD THIRDPARTY_TESTS=${THIRDPARTY_TESTS:-test_os test_shutil test_subprocess} \
		sh "$ROOT/scripts/thirdparty.sh" >"$RESULTS/thirdparty.log" 2>&1
	echo "bench: third-party suite: exit $? (log: $RESULTS/thirdparty.log)"
	awk '($1 == "native" || $1 == "gated") && $3 == "cases," {
		printf "thirdparty\t%s\tseconds\t0\t%s\n", $1, $4 }' "$RESULTS/thirdparty.log" >>"$RESULTS/raw.tsv"
fi
echo "loadavg:   $(cut -d' ' -f1-3 /proc/loadavg) (after); bench took $(( $(date +%s) - start )) s" >>"$RESULTS/env.txt"

if [ "$DOC" = none ]; then
	python3 "$ROOT/scripts/bench/report.py" "$RESULTS/raw.tsv" "$RESULTS/env.txt" "$cmd"
else
	python3 "$ROOT/scripts/bench/report.py" "$RESULTS/raw.tsv" "$RESULTS/env.txt" "$cmd" "$DOC"
	echo "bench: table written to $DOC; raw samples in $RESULTS/"
fi
