#!/bin/bash
# Execs decided and traced by the decision thread that received them
# (supervisor/run/exec_watch.c; docs/attesta-run.md, "Decision threads"),
# with two decision threads, each case against a native run:
#  1. a shell loop of 200 execs: all decided, one entry each, and (the
#     mechanism, ATTESTA_DECISION_STATS=1) at most 3 handed to the main
#     thread (PROG's own execs; before session 8 every exec was);
#  2. a non-leader thread of a python3 process execs (the kernel reports
#     the exec under the thread group's id): it runs, untraced;
#  3. an approved exec that fails in the kernel (ETXTBSY) and a denied
#     one: the program sees the native errno, goes on, and is not left
#     traced (TracerPid 0; before, a failed approved exec stayed seized by
#     the main thread until the next exec);
#  4. every exec'd program runs untraced (TracerPid 0);
#  5. 300 children killed as soon as their exec is done (the parent's
#     Popen returns when the exec closes its pipe, often before the
#     tracer's verification is over): each is reaped by its parent (a
#     tracer that gave up on a dying tracee left a zombie its parent
#     could never reap: CPython's test_subprocess hung that way).
# The python3 processes are grandchildren of the supervisor (sh forks
# them), so a decision thread traces them; PROG's own execs are the main
# thread's (workers.c: caller_is_ours).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skip: $PY needed"; exit 77; }
cp /bin/true "$WS/forbidden-tool"
cp /bin/true "$WS/busy-tool"
cat >"$WS/thread_exec.py" <<'PY'
import os, sys, threading, time
def run():
    os.execv("/bin/grep", ["grep", "TracerPid", "/proc/self/status"])
t = threading.Thread(target=run)
t.start()
time.sleep(10)
print("exec from a thread did not happen")
PY
cat >"$WS/fails.py" <<'PY'
import errno, os, sys
busy = open("busy-tool", "r+b")  # open for writing: exec fails ETXTBSY
for prog in ("./busy-tool", "./forbidden-tool"):
    try:
        os.execv(prog, [prog])
    except OSError as e:
        print(prog, errno.errorcode[e.errno])
with open("/proc/self/status") as f:
    print([l.strip() for l in f if l.startswith("TracerPid")][0])
PY

cat >"$WS/kill.py" <<'PY'
import subprocess, sys
for i in range(300):
    p = subprocess.Popen(["/bin/sleep", "5"])
    p.kill()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print("child", i, "never reaped")
        sys.exit(1)
print("killed 300")
PY

run_case() { # NAME SCRIPT: natively into $WS/NAME.native, gated into $WS/out
	( cd "$WS" && sh -c "$2" ) >"$WS/$1.native" 2>&1
	( cd "$WS" && ATTESTA_DECISION_STATS=1 ATTESTA_DECISION_THREADS=2 \
		"$RUN" -c "$WS/attesta.yaml" -- sh -c "$2" ) >"$WS/out" 2>"$WS/err"
	RC=$?
}
handed() {
	sed -n 's/.*decision threads: \([0-9]*\) handed to the loop.*/\1/p' "$WS/err"
}

# 1. a loop of execs
run_case loop 'i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; echo done'
expect_rc 0 "exec loop"
expect_out "^done"
n=$(handed)
[ -n "$n" ] || fail "no stats line"
[ "$n" -le 3 ] || fail "$n execs handed to the main thread, want at most 3 (PROG's own)"
expect_audit 200 'e["action_class"]=="exec" and e["action_name"]=="true" and e["verdict"]=="approved"' "200 execs of true"

# 2. an exec from a non-leader thread
run_case thread "$PY thread_exec.py; true"
expect_rc 0 "exec from a thread"
grep -q "TracerPid:	0" "$WS/thread.native" || fail "native control: $(cat "$WS/thread.native")"
expect_out "TracerPid:	0"
grep -q "did not happen" "$WS/out" && fail "the thread's exec did not happen"
expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="grep" and e["verdict"]=="approved"' "the thread's exec"

# 3. a failing and a denied exec, then the status. The kernel refuses
# the exec of a file open for writing with ETXTBSY for root here (6.18);
# an unprivileged run (unpriv_gate.sh) got the exec instead, natively as
# gated: then only the denied exec is checked.
run_case fails "$PY fails.py; true"
expect_rc 0 "failing execs"
if grep -q "busy-tool ETXTBSY" "$WS/fails.native"; then
	expect_out "./busy-tool ETXTBSY"
	expect_out "./forbidden-tool EPERM"
	expect_out "TracerPid:	0"
	expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="busy-tool" and e["verdict"]=="approved"' "busy-tool approved"
	expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="forbidden-tool" and e["verdict"]=="denied"' "forbidden-tool denied"
else
	echo "note: the native exec of a file open for writing did not fail: $(head -c 200 "$WS/fails.native")"
	expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="busy-tool" and e["verdict"]=="approved"' "busy-tool approved"
fi
# 5. children killed right after their exec
run_case kill "$PY kill.py; true"
expect_rc 0 "spawn and kill"
grep -q "killed 300" "$WS/kill.native" || fail "native control: $(cat "$WS/kill.native")"
expect_out "killed 300"
verify_chain
pass "execs traced by the thread that decided them"
