#!/bin/bash
# Exec verification (docs/SECURITY.md): a thread rewrites the exec path
# between the gate's read and the kernel's, racing an approved /bin/true
# against a forbidden script. The forbidden program must never run; every
# swapped exec is killed before its first instruction and audited with
# decision_source exec_check.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"
[ -x "$HELPERS/gate_race" ] || { echo "skip: gate_race not built"; exit 77; }
printf '#!/bin/sh\necho FORBIDDEN-RAN\n' >"$WS/forbidden-tool"; chmod +x "$WS/forbidden-tool"
sed -i 's/^    gate_vfork: low$/&\n    gate_race: low/' "$WS/attesta.yaml"

gate "$HELPERS/gate_race" /bin/true "$WS/forbidden-tool" 150
expect_rc 0 "gate_race"
grep -q FORBIDDEN-RAN "$WS/out" && fail "the forbidden program ran"
killed=$(sed -n 's/.*killed=\([0-9]*\).*/\1/p' "$WS/out")
[ -n "$killed" ] || fail "no summary"
expect_audit "$killed" 'e["decision_source"]=="exec_check" and e["verdict"]=="denied" and e["action_class"]=="exec"' "one audit entry per killed exec"
grep -q "other=0" "$WS/out" || fail "unexpected outcomes"
echo "  $(cat "$WS/out")"

# The exe named in each entry is the image that made the call, also when
# a thread other than the leader execs (the new image inherits the
# leader's tid, whose old exe the supervisor has cached).
touch "$WS/by-python" "$WS/by-rm"
cat >"$WS/thread_exec.py" <<'PY'
import os, sys, threading
os.unlink(sys.argv[1])
t = threading.Thread(target=lambda: os.execv("/usr/bin/rm", ["rm", sys.argv[2]]))
t.start()
t.join()
PY
gate /usr/bin/python3 "$WS/thread_exec.py" "$WS/by-python" "$WS/by-rm"
expect_rc 0 "thread exec"
[ -e "$WS/by-python" ] || [ -e "$WS/by-rm" ] && fail "a file was not removed"
PYEXE=$(readlink -f /usr/bin/python3)
expect_audit 1 "e.get('path')=='$WS/by-python' and e['exe']=='$PYEXE'" "unlink by python names python"
expect_audit 1 "e.get('path')=='$WS/by-rm' and e['exe']=='/usr/bin/rm'" "unlink by rm after a thread's exec names rm"

# The check is off only on request, and says so.
ATTESTA_EXEC_CHECK=off gate true
expect_rc 0 "true without exec check"
grep -q "exec verification is off" "$WS/err" || fail "no warning when exec check is off"
verify_chain
pass
