#!/usr/bin/env python3
"""The `make bench` driver (docs/BENCHMARKS.md, docs/BENCHMARKS.md).

Runs every measurement in one process, interleaved round-robin (repeat 1
of every regime, then repeat 2, ...) so that slow drifts of a shared
machine hit all regimes alike, keeps the raw samples in RESULTS/raw.tsv,
and hands them to report.py for the table. Called by scripts/bench.sh,
which builds the floor benchmark and passes every path in the environment:

  BUILD       build directory (attesta, attesta-run, bench/, tools/)
  FLOOR       directory holding a built floorbench/floortarget, or empty
  SCRATCH     scratch directory on the file system under test
  RESULTS     where raw.tsv and the logs go
  REPEATS     latency repeats (default 5); E2E_REPEATS (default 3)
  LAT_N       samples per call kind and repeat (default 600; exec N/10)
  RSS_CALLS   gated decisions for the memory run (default 100000)
  RSS_MISS    gated-but-undecided notifications for the memory run (1000000)
  BIG_LOG_MB  size of the big audit log for the start-up test (1024)
  SHIP_ENTRIES entries shipped for the shipping rate (scripts/bench/ship.sh, 20000)

Trusts its caller; everything it runs is ours.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

B = os.environ["BUILD"]
FLOOR = os.environ.get("FLOOR", "")
T = os.environ["SCRATCH"]
RES = os.environ["RESULTS"]
REPEATS = int(os.environ.get("REPEATS", "5"))
E2E_REPEATS = int(os.environ.get("E2E_REPEATS", "3"))
LAT_N = int(os.environ.get("LAT_N", "600"))
RSS_CALLS = int(os.environ.get("RSS_CALLS", "100000"))
RSS_MISS = int(os.environ.get("RSS_MISS", "1000000"))
BIG_LOG_MB = int(os.environ.get("BIG_LOG_MB", "1024"))
HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(B, "attesta-run")
LAT = os.path.join(B, "bench", "latency")
CONC = os.path.join(B, "bench", "concurrency")
WORKLOADS = os.path.join(HERE, "workloads.sh")
MODES = ("tiered", "always", "off")
LAT_OPS = ("unlink", "rename", "connect", "sendto", "exec", "getppid", "rw", "socket")
TRACE_SET = "execve,execveat,unlink,unlinkat,rmdir,rename,renameat,renameat2,connect,sendto,sendmsg,sendmmsg"
T0 = time.monotonic()

raw = open(os.path.join(RES, "raw.tsv"), "w")
log = open(os.path.join(RES, "run.log"), "w")


def note(msg):
    line = "[%5.0fs] %s" % (time.monotonic() - T0, msg)
    print(line, flush=True)
    log.write(line + "\n")
    log.flush()


def record(section, label, key, rep, value):
    raw.write("%s\t%s\t%s\t%s\t%s\n" % (section, label, key, rep, value))
    raw.flush()


def run(argv, env=None, check=True, stdout=subprocess.PIPE, cwd=None):
    """Run argv; return (stdout text, returncode). stderr goes to run.log."""
    p = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    err = p.stderr.decode(errors="replace")
    # attesta-run's fixed warnings (sync off, exec check off) are expected
    for line in err.splitlines():
        log.write("  %s: %s\n" % (os.path.basename(argv[0]), line))
    if check and p.returncode != 0:
        raise SystemExit("bench: %s exited %d:\n%s" % (" ".join(argv), p.returncode, err[-2000:]))
    out = p.stdout.decode(errors="replace") if p.stdout is not None else ""
    return out, p.returncode


def gate_argv(mode, argv):
    return [RUN, "-c", os.path.join(T, "cfg-%s.yaml" % mode), "--"] + argv


def write_configs():
    for mode in MODES:
        with open(os.path.join(T, "cfg-%s.yaml" % mode), "w") as f:
            f.write(
                "# make bench: %s audit sync; everything the workloads do is\n"
                "# auto-approved (rm is rated HIGH by the built-in agent profile\n"
                "# for rm -r DIR, so it is overridden to low, as in the tests)\n"
                "risk:\n  overrides:\n    rm: low\n"
                "audit:\n  path: %s/audit-%s.jsonl\n  sync: %s\n"
                "gate:\n  renderer: none\n"
                "trust:\n  path: %s/trust-%s.json\n" % (mode, T, mode, mode, T, mode))


# --- per-call latency --------------------------------------------------------

def parse_latency(text, label, rep):
    for line in text.splitlines():
        f = line.split()
        if len(f) == 6 and f[0] in LAT_OPS:
            record("lat", label, f[0], rep, f[1])
            record("lat_p99", label, f[0], rep, f[4])


def parse_floor(text, label, rep):
    # floorbench TSV: label op repeat median p10 p90 p99 n batch
    for line in text.splitlines():
        f = line.split("\t")
        if len(f) >= 7 and f[1] in ("unlink", "connect", "exec"):
            record("lat", label, f[1], rep, str(int(float(f[3]))))


def latency_round(rep):
    lat = [LAT, "-n", str(LAT_N), "-d", T] + list(LAT_OPS)
    regimes = [("native", lat, None)]
    if FLOOR:
        fb = os.path.join(FLOOR, "floorbench")
        scale = "%.3f" % (LAT_N / 3000.0)
        common = ["--ops", "unlink,connect,exec", "--scale", scale, "--workdir", T,
                  "--repeat-base", str(rep)]
        regimes.append(("floor-native", [fb, "--label", "n", "--mode", "native"] + common, "floor"))
        regimes.append(("floor-notify", [fb, "--label", "f", "--mode", "notify"] + common, "floor"))
        # the same with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, which attesta-run uses
        regimes.append(("floor-sync", [fb, "--label", "w", "--mode", "notify", "--sync-wakeup"] +
                        common, "floor"))
        regimes.append(("floor-fdatasync", [fb, "--label", "s", "--mode", "notify", "--audit",
                                            os.path.join(T, "floor-audit.log"), "--fsync",
                                            "fdatasync"] + common, "floor"))
    regimes.append(("strace", ["strace", "-f", "--seccomp-bpf", "-e", "trace=" + TRACE_SET,
                               "-o", "/dev/null"] + lat, None))
    for mode in MODES:
        regimes.append(("gated-" + mode, gate_argv(mode, lat), None))
    for label, argv, kind in regimes:
        out, _ = run(argv)
        if kind == "floor":
            parse_floor(out, label, rep)
        else:
            parse_latency(out, label, rep)
    try:
        os.unlink(os.path.join(T, "floor-audit.log"))
    except FileNotFoundError:
        pass


# --- end-to-end work ----------------------------------------------------------

E2E = ("cproj", "execloop", "git", "rmtree")


def audit_lines(mode):
    try:
        with open(os.path.join(T, "audit-%s.jsonl" % mode), "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def e2e_round(rep):
    for w in E2E:
        d = os.path.join(T, "w-" + w)
        for label in ("native", "gated-tiered"):
            run(["sh", WORKLOADS, "prepare-" + w, d])
            argv = ["sh", WORKLOADS, "run-" + w, d]
            if label != "native":
                argv = gate_argv("tiered", argv)
            before = audit_lines("tiered")
            t0 = time.perf_counter_ns()
            run(argv, stdout=subprocess.DEVNULL)
            record("e2e", label, w, rep, time.perf_counter_ns() - t0)
            if label != "native":
                # gated calls decided during the run (one audit entry each)
                record("e2e-calls", label, w, rep, audit_lines("tiered") - before)


# --- start-up ------------------------------------------------------------------

def make_big_log(path):
    """A log of BIG_LOG_MB MiB whose every line is a valid entry: 20,000
    chained entries from tests/tools/audit_writer, concatenated. Each copy
    restarts the chain (verify would report the seams); the writer reads
    only the tail window on start-up, and the last copy is a valid chain."""
    seed = os.path.join(T, "seed.jsonl")
    run([os.path.join(B, "tools", "audit_writer"), "-s", "off", seed, "20000"])
    data = open(seed, "rb").read()
    want = BIG_LOG_MB * 1024 * 1024
    with open(path, "wb") as f:
        written = 0
        while written < want:
            f.write(data)
            written += len(data)
    for p in (seed, seed + ".head", path + ".head"):
        if os.path.exists(p):
            os.unlink(p)
    return written


def startup_configs():
    big = os.path.join(T, "big.jsonl")
    size = make_big_log(big)
    note("big audit log: %d bytes" % size)
    cfgs = {}
    for name, path in (("empty", os.path.join(T, "startup-empty.jsonl")), ("1gb", big)):
        cfg = os.path.join(T, "cfg-startup-%s.yaml" % name)
        with open(cfg, "w") as f:
            f.write("audit:\n  path: %s\n  sync: tiered\ngate:\n  renderer: none\n"
                    "trust:\n  path: %s/trust-startup.json\n" % (path, T))
        cfgs[name] = (cfg, path)
    return cfgs


def startup_round(cfgs, rep, runs=5):
    for i in range(runs):
        for label in ("native", "empty", "1gb"):
            if label == "native":
                argv = ["/bin/true"]
            else:
                cfg, path = cfgs[label]
                if label == "empty":
                    for p in (path, path + ".head"):
                        if os.path.exists(p):
                            os.unlink(p)
                argv = [RUN, "-c", cfg, "--", "/bin/true"]
            t0 = time.perf_counter_ns()
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter_ns() - t0
            if p.returncode != 0:
                raise SystemExit("bench: %s exited %d" % (" ".join(argv), p.returncode))
            record("startup", label, "true", rep * 100 + i, dt)


# --- concurrency ---------------------------------------------------------------

def conc_round(rep):
    for op, calls in (("unlink", "40"), ("unlinkmiss", "200")):
        for label in ("native", "gated-tiered"):
            argv = [CONC, "-p", "8", "-t", "8", "-c", calls, "-d", T, "-o", op]
            if label != "native":
                argv = gate_argv("tiered", argv)
            out, _ = run(argv)
            for line in out.splitlines():
                if line.startswith("concurrency "):
                    kv = dict(x.split("=", 1) for x in line.split()[1:])
                    for k in ("calls_per_s", "median_ns", "p99_ns"):
                        record("conc", label, op + ":" + k, rep, kv[k])


# --- memory ---------------------------------------------------------------------

def rss_run(op, calls):
    marks = sorted({max(1, calls * k // 10) for k in (1, 2, 5, 10)})
    argv = gate_argv("off", [LAT, "-d", T, "-c", str(calls), "-o", op,
                             "-m", ",".join(str(m) for m in marks)])
    out, _ = run(argv)
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "rss":
            kv = dict(x.split("=", 1) for x in f[1:])
            record("rss", op, kv["calls"], 0, "%s,%s" % (kv["rss_kib"], kv["hwm_kib"]))
        elif f and f[0] == "rss_total_ns":
            record("rss_time", op, str(calls), 0, f[1])
    for mode in MODES:
        p = os.path.join(T, "audit-%s.jsonl" % mode)
        for q in (p, p + ".head"):
            if os.path.exists(q):
                os.unlink(q)


# --- audit (scripts/bench-audit.sh, the audit engineer's benchmark) ----------------

def audit_bench():
    env = dict(os.environ, BUILD=B)
    out, rc = run(["sh", os.path.join(HERE, "..", "bench-audit.sh")], env=env, check=False)
    with open(os.path.join(RES, "bench-audit.out"), "w") as f:
        f.write(out)
    for line in out.splitlines():
        if line.startswith("verify:") and "entries/s" in line:
            rate = line.split("=")[1].split()[0]
            record("audit", "verify", "entries_per_s", 0, rate)
        elif line.startswith("writer start-up"):
            record("audit", "writer_startup", "line", 0, json.dumps(line))
    if rc != 0:
        note("bench-audit.sh exited %d (see %s/bench-audit.out)" % (rc, RES))


# --- audit shipping (scripts/bench/ship.sh: a PostgreSQL server of its own) ------

def ship_bench():
    env = dict(os.environ, BUILD=B, SCRATCH=T, REPEATS=str(REPEATS), LAT_N=str(LAT_N))
    out, rc = run(["sh", os.path.join(HERE, "ship.sh")], env=env, check=False)
    with open(os.path.join(RES, "ship.out"), "w") as f:
        f.write(out)
    for line in out.splitlines():
        f = line.split()
        if len(f) == 9 and f[0] == "ship-lat":
            record("lat", "gated-ship-" + f[1], f[3], f[2], f[4])
            record("lat_p99", "gated-ship-" + f[1], f[3], f[2], f[7])
        elif len(f) == 3 and f[0] == "ship-throughput" and float(f[2]) > 0:
            record("ship", "throughput", "entries", 0, f[1])
            record("ship", "throughput", "entries_per_s", 0, "%.0f" % (int(f[1]) / float(f[2])))
        elif len(f) == 2 and f[0] == "ship-lat-shipped":
            record("ship", "latency-run", "shipped", 0, f[1])
        elif f and f[0] == "ship:":
            note(line)
    if rc != 0:
        note("ship.sh exited %d (see %s/ship.out)" % (rc, RES))


def settle():
    """Before each phase: the writeback of the phase before (the e2e
    workloads' trees, the 1 GiB log of the start-up test) is finished, so
    that a phase measures its own I/O, not the harness's. Without it the
    64-thread round started while the 1 GiB log was still being written
    back, and its throughput and p99 were bimodal (docs/BENCHMARKS.md,
    "Session 7")."""
    os.sync()


def main():
    write_configs()
    note("per-call latency: %d interleaved repeats of native, floor, strace, attesta-run x %s"
         % (REPEATS, "/".join(MODES)))
    for rep in range(1, REPEATS + 1):
        latency_round(rep)
        note("  latency repeat %d/%d done" % (rep, REPEATS))
    settle()
    note("end-to-end work: %d interleaved repeats of %s, native vs gated"
         % (E2E_REPEATS, ", ".join(E2E)))
    for rep in range(1, E2E_REPEATS + 1):
        e2e_round(rep)
        note("  end-to-end repeat %d/%d done" % (rep, E2E_REPEATS))
    settle()
    note("start-up of attesta-run /bin/true, empty vs %d MiB audit log" % BIG_LOG_MB)
    cfgs = startup_configs()
    settle()
    for rep in range(1, 4):
        startup_round(cfgs, rep)
    os.unlink(cfgs["1gb"][1])
    settle()
    note("concurrency: 64 threads in 8 processes")
    for rep in range(1, 4):
        conc_round(rep)
    settle()
    note("memory: %d audited decisions, then %d undecided notifications" % (RSS_CALLS, RSS_MISS))
    rss_run("sendto", RSS_CALLS)
    if RSS_MISS > 0:
        rss_run("unlinkmiss", RSS_MISS)
    settle()
    note("audit log: scripts/bench-audit.sh")
    audit_bench()
    settle()
    note("audit shipping: scripts/bench/ship.sh (on beside off, then the rate)")
    ship_bench()
    note("done")
    raw.close()


if __name__ == "__main__":
    main()
