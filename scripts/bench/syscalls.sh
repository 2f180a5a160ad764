#!/bin/bash
# System calls of the whole supervisor per decision (docs/BENCHMARKS.md,
# "Session 7"): runs a workload under attesta-run, attaches `strace -f -c`
# to the supervisor for a window, and divides each call's count by the
# decisions made in it.
#
#   scripts/bench/syscalls.sh [BUILD] unlink|exec [SECONDS]
#
# unlink: bench/latency's auto-approved unlinks (`make bench` builds it),
#         decisions = unlinkat calls (each emulated removal makes one);
# exec:   a dash loop of /bin/true, decisions = audit entries written
#         while strace was attached (each exec is one entry; the ptrace
#         calls per exec differ by thread since session 8).
# The config is the benchmark's (rm overridden to LOW, sync tiered,
# renderer none). Counts are exact; the time columns of strace are not
# (every traced call stops the supervisor): use `make bench` for time.
# Needs strace and root (or ptrace rights over attesta-run).
set -u
BUILD=${1:-build}
WORK=${2:-unlink}
SECS=${3:-2}
command -v strace >/dev/null || { echo "syscalls.sh: strace needed" >&2; exit 2; }
[ -x "$BUILD/attesta-run" ] || { echo "syscalls.sh: no $BUILD/attesta-run" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
T=$(mktemp -d /tmp/attesta-syscalls.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat >"$T/cfg.yaml" <<YAML
risk:
  overrides:
    rm: low
audit:
  path: $T/audit.jsonl
  sync: tiered
gate:
  renderer: none
trust:
  path: $T/trust.json
YAML
case $WORK in
unlink)
	[ -x "$BUILD/bench/latency" ] || { echo "syscalls.sh: no $BUILD/bench/latency (make bench builds it)" >&2; exit 2; }
	( cd "$T" && exec "$BUILD/attesta-run" -c "$T/cfg.yaml" -- "$BUILD/bench/latency" -d "$T" -n 3000000 unlink ) >/dev/null 2>&1 &
	;;
exec)
	( cd "$T" && exec "$BUILD/attesta-run" -c "$T/cfg.yaml" -- dash -c 'while :; do /bin/true; done' ) >/dev/null 2>&1 &
	;;
*) echo "syscalls.sh: unlink or exec" >&2; exit 2 ;;
esac
RUNNER=$!
sleep 1
SUP=$(pgrep -P "$RUNNER" -x attesta-run)
[ -n "$SUP" ] || { echo "syscalls.sh: no supervisor process" >&2; kill "$RUNNER"; exit 1; }
entries() { wc -l <"$T/audit.jsonl" 2>/dev/null || echo 0; }
E0=$(entries)
timeout "$SECS" strace -f -c -p "$SUP" -o "$T/counts" 2>/dev/null
E1=$(entries)
kill -TERM "$RUNNER" 2>/dev/null
wait "$RUNNER" 2>/dev/null
python3 - "$T/counts" "$WORK" "$((E1 - E0))" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
        rows[f[-1]] = int(f[3])
n = rows.get("unlinkat", 0) if sys.argv[2] == "unlink" else int(sys.argv[3])
if not n:
    sys.exit("syscalls.sh: no decisions in the window")
print("%s: %d decisions, %.1f system calls per decision" % (sys.argv[2], n, sum(rows.values()) / n))
for k, v in sorted(rows.items(), key=lambda kv: -kv[1]):
    print("  %-18s %6.2f" % (k, v / n))
PY
