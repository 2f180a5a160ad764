#!/bin/bash
# While one thread's call waits 10 s for a human (socket renderer, nobody
# answers: timeout -> timed_out), another thread's 200 auto-approved
# unlinks of /tmp files keep completing: each takes < 50 ms and all finish
# while the held call is still waiting. A correctness check that nothing
# serializes behind a held call, not a benchmark (issue 5).
. "$(dirname "$0")/lib/approve.bash"
. "$(dirname "$0")/lib/approve_e2e.bash"
H=$BUILD/helpers/gate_held_latency
[ -x "$H" ] || { echo "$TEST_NAME: skip: $H not built"; exit 77; }
APPROVER_GROUP=
write_config 10
sed -i '/approval_group:/d' "$AW/attesta.yaml"
mkdir "$AW/files"
echo x >"$AW/HELDME"
start_gate lat "$H" "$AW/HELDME" "$AW/files" 200
wait_for "$AW/lat.err" "held #1 unlink" 5 || fail "the HELDME unlink was not held"
stop_gate
[ "$GATE_RC" -eq 0 ] || fail "attesta-run exited $GATE_RC"
cat "$AW/lat.out"
grep -q "^held errno=1 " "$AW/lat.out" || fail "held unlink not denied at the timeout"
python3 - "$AW/lat.out" <<'PY' || fail "auto-approved calls delayed by the held call"
import re, sys
t = open(sys.argv[1]).read()
held = float(re.search(r"held errno=\d+ seconds=([\d.]+)", t).group(1))
m = re.search(r"auto n=(\d+) failed=(\d+) max_ms=([\d.]+) during_held=(\d)", t)
n, failed, max_ms, during = int(m.group(1)), int(m.group(2)), float(m.group(3)), int(m.group(4))
assert held >= 9.0, f"held call waited only {held} s"
assert n == 200 and failed == 0, (n, failed)
assert during == 1, "auto calls did not all finish while the call was held"
assert max_ms < 50, f"max auto latency {max_ms} ms"
PY
[ -e "$AW/HELDME" ] || fail "held file removed"
[ "$(audit_count 'e["path"] == "'"$AW"'/HELDME" and e["verdict"] == "timed_out"')" = 1 ] || fail "no timed_out entry"
[ "$(audit_count 'e["action_class"] == "unlink" and e["verdict"] == "approved" and e["decision_source"] == "policy"')" = 200 ] ||
	fail "want 200 auto-approved unlinks in the audit log"
pass "200 auto-approved unlinks < 50 ms each while a call waits 10 s for a human"
exit 0
