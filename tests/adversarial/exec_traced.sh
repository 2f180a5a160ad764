#!/bin/bash
# Escape family: exec verification needs the supervisor to be the tracer
# of the thread that execs (execcheck.h). An agent that makes its child
# traced by itself first (PTRACE_TRACEME) would take that place. The
# child's exec must then be denied (EPERM), audited with decision_source
# exec_check, and nothing must run. Native control: the same program
# execs under its parent's tracing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
sed -i 's/^  overrides:/  overrides:\n    python3: low\n    python3.11: low/' "$WS/attesta.yaml"
cat >"$WS/traced.py" <<'PYEOF'
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_TRACEME, PTRACE_CONT = 0, 7
pid = os.fork()
if pid == 0:
    if libc.ptrace(PTRACE_TRACEME, 0, 0, 0) != 0:
        print("TRACEME failed", ctypes.get_errno(), flush=True)
        os._exit(4)
    os.kill(os.getpid(), signal.SIGSTOP)
    try:
        os.execv(sys.argv[1], [sys.argv[1], "RAN"])
    except OSError as e:
        print("EXEC failed", e.errno, flush=True)
        os._exit(3)
while True:
    _, st = os.waitpid(pid, 0)
    if os.WIFSTOPPED(st):
        libc.ptrace(PTRACE_CONT, pid, 0, 0)
        continue
    print("CHILD", os.waitstatus_to_exitcode(st), flush=True)
    break
PYEOF
printf '#!/bin/sh\necho "MARKER $1"\n' >"$WS/marker.sh"; chmod +x "$WS/marker.sh"

native "$PY" "$WS/traced.py" "$WS/marker.sh"
grep -q 'MARKER RAN' "$WS/native.out" || fail "native control: the traced child did not exec: $(cat "$WS/native.out")"
gate "$PY" "$WS/traced.py" "$WS/marker.sh"
sed 's/^/  /' "$WS/out"
grep -q 'MARKER RAN' "$WS/out" && fail "a child traced by the agent exec'd under the gate"
if grep -q '^TRACEME failed' "$WS/out"; then
	note "PTRACE_TRACEME itself was refused"
else
	grep -q '^EXEC failed 1$' "$WS/out" || fail "the traced child's exec did not fail with EPERM"
	expect_audit_min 1 'e.get("decision_source") == "exec_check" and e.get("verdict") == "denied" and e.get("action_class") == "exec"' \
		"the untraceable exec is audited"
fi
verify_chain
pass
