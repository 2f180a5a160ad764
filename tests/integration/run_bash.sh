#!/bin/bash
# A bash script under the gate: ordinary work (mkdir, echo, rm, rmdir,
# subshells, pipes) behaves as natively; removing a PROTECTED file and
# running forbidden-tool fail with EPERM, never take effect, and are in
# the audit log as denied with a reason.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

cp /bin/true "$WS/forbidden-tool"
echo secret >"$WS/PROTECTED.txt"
cat >"$WS/agent.sh" <<'SH'
#!/bin/bash
mkdir -p build/sub && echo obj >build/a.o && echo obj >build/sub/b.o
rm build/a.o && echo "removed a.o"
rm -r build && echo "removed build"
echo tmp >scratch.txt; rm scratch.txt
ls | sort | tr '\n' ' '; echo
if rm PROTECTED.txt 2>err.txt; then echo "PROTECTED removed"; else echo "rm PROTECTED: $(cat err.txt)"; fi
if ./forbidden-tool 2>err.txt; then echo "forbidden ran"; else echo "forbidden: rc=$?"; fi
(cd /; true) && echo "subshell ok"
echo done
exit 3
SH
chmod +x "$WS/agent.sh"

gate ./agent.sh
expect_rc 3 "agent.sh"
expect_out "removed a.o"
expect_out "removed build"
expect_out "rm PROTECTED: .*Operation not permitted"
expect_out "forbidden: rc=126"
expect_out "subshell ok"
expect_out "^done"
grep -q "PROTECTED removed\|forbidden ran" "$WS/out" && fail "forbidden action took effect"
[ -f "$WS/PROTECTED.txt" ] || fail "PROTECTED.txt was removed"
[ ! -e "$WS/build" ] || fail "build not removed"

expect_audit 1 'e["action_class"]=="unlink" and e["path"]==r"'"$WS"'/PROTECTED.txt" and e["verdict"]=="denied" and e["reason"] and e["risk_level"]=="critical"' "PROTECTED unlink denied"
expect_audit 1 'e["action_name"]=="forbidden-tool" and e["verdict"]=="denied"' "forbidden-tool denied"
expect_audit 1 'e["action_class"]=="unlink" and e["path"]==r"'"$WS"'/build/a.o" and e["verdict"]=="approved"' "a.o approved"
expect_audit 1 'e["action_class"]=="rmdir" and e["path"]==r"'"$WS"'/build/sub" and e["verdict"]=="approved"' "rmdir approved"
expect_audit_min 1 'e["action_class"]=="exec" and e["action_name"]=="agent.sh"'
# every entry carries the syscall fields
expect_audit 0 'not all(k in e for k in ("action_class","pid","ppid","exe","argv","cwd","path","address","host","host_verified","errno","decision_source","mode","reason","factors","session_id","agent_id"))' "syscall fields"
expect_audit 0 'e["agent_id"]!="it-agent"' "agent id"
verify_chain
pass
