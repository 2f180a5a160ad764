#!/bin/bash
# Human approvals end to end under attesta-run with the socket renderer
# (issue 5): two distinct unprivileged users approve a CRITICAL exec
# (multi-party); the same user twice does not count twice; an answer
# before the minimum review time is refused; the audit entry carries the
# approvers, the real review time and the challenge result; trust rises;
# `attesta audit rubber-stamps` finds a quick approval; wrong quiz
# answers deny; a sandboxed `attesta approve` on its own held call fails
# (hard rule) and the call is not approved; a timeout gives timed_out.
. "$(dirname "$0")/lib/approve.bash"
need_approvers
. "$(dirname "$0")/lib/approve_e2e.bash"
write_config 60

# --- 1. CRITICAL multi-party: t1 (teach-back) + t2 (quiz) ---------------
start_gate mp sh -c './crit-tool target.txt; echo "crit-rc=$?"'
wait_for "$AW/mp.err" "held #1 exec" || fail "no held line for the CRITICAL exec"
grep -q "held #1 exec crit-tool target.txt (CRITICAL, multi_party): run 'attesta approve 1 --socket $SOCK'" "$AW/mp.err" ||
	fail "hint line wrong"
echo "this runs crit-tool on target.txt in the test workspace and prints a line, nothing else" >"$AW/tb.txt"
chmod 644 "$AW/tb.txt"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/tb.txt" >"$AW/t1.out" 2>"$AW/t1.err"
rc=$?
[ $rc -eq 0 ] || fail "t1 approve exited $rc"
grep -q "too early" "$AW/t1.err" || fail "answer before the minimum review time was not refused"
grep -q "waiting for the other approvers" "$AW/t1.out" || fail "t1 not told to wait"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/tb.txt" >"$AW/t1b.out" 2>"$AW/t1b.err"
rc=$?
[ $rc -eq 1 ] || fail "t1 twice exited $rc, want 1"
grep -q "already answered" "$AW/t1b.err" || fail "t1 twice: no 'already answered'"
grep -q "ran-crit-tool" "$AW/mp.out" && fail "ran after one approver"
quiz_answers attesta-t2 1 "{'effect': 'run a program (no file, host or branch named)', 'program': 'crit-tool', 'target': 'target.txt', 'directory': '$AW', 'subcommand': 'target.txt', 'count': '1'}" >"$AW/q2.txt"
chmod 644 "$AW/q2.txt"
as attesta-t2 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/q2.txt" >"$AW/t2.out" 2>"$AW/t2.err"
rc=$?
[ $rc -eq 0 ] || fail "t2 approve exited $rc"
stop_gate
[ "$GATE_RC" -eq 0 ] || fail "attesta-run exited $GATE_RC"
grep -q "ran-crit-tool target.txt" "$AW/mp.out" || fail "approved exec did not run"
grep -q "crit-rc=0" "$AW/mp.out" || fail "approved exec failed"
[ "$(audit_count 'e["action_name"] == "crit-tool" and e["verdict"] == "approved" and e["decision_source"] == "human" and sorted(e["approver_ids"]) == ["attesta-t1", "attesta-t2"] and e["challenge_type"] == "multi_party" and e["challenge_passed"] is True and e["min_review_met"] is True and e["review_duration_seconds"] >= 2 and e["metadata"]["challenge_result"]["challenge_type"] == "multi_party" and e["risk_level"] == "critical"')" = 1 ] ||
	fail "audit entry of the multi-party approval wrong"
python3 - "$AW/trust.json" <<'PY' || fail "trust store did not record the approval"
import json, sys
d = json.load(open(sys.argv[1]))["agents"]["e2e-agent"]["domains"]["general"]
assert d["approvals"] == 1 and d["denials"] == 0, d
PY
pass "two distinct users approve a CRITICAL call; same user twice refused; early answer refused; trust recorded"

# --- 2. quick confirm is a rubber stamp; the CRITICAL one is not --------
start_gate conf sh -c './med-tool target.txt'
wait_for "$AW/conf.err" "held #1 exec" || fail "no held line for the MEDIUM exec"
echo yes >"$AW/yes.txt"; chmod 644 "$AW/yes.txt"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/yes.txt" >"$AW/c.out" 2>"$AW/c.err" || fail "confirm exited $?"
stop_gate
grep -q "ran-med-tool" "$AW/conf.out" || fail "confirmed exec did not run"
"$ATTESTA" audit rubber-stamps --log "$AUDIT" --min-risk medium --max-seconds 1 --json >"$AW/rs.out" 2>"$AW/rs.err" ||
	[ $? -eq 1 ] || fail "rubber-stamps failed"
grep -q "med-tool" "$AW/rs.out" || fail "rubber-stamps did not find the quick approval"
grep -q "crit-tool" "$AW/rs.out" && fail "rubber-stamps listed the 2 s multi-party review"
pass "rubber-stamps finds a quick approval (no padding)"

# --- 3. wrong quiz answers deny ------------------------------------------
start_gate quiz sh -c './high-tool target.txt; echo "high-rc=$?"'
wait_for "$AW/quiz.err" "held #1 exec" || fail "no held line for the HIGH exec"
quiz_answers attesta-t1 1 "{'effect': '!run a program (no file, host or branch named)', 'program': 'rm', 'target': 'other.txt', 'directory': '/etc', 'subcommand': 'x', 'count': '9'}" >"$AW/wrong.txt"
chmod 644 "$AW/wrong.txt"
sleep 1.1
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/wrong.txt" >"$AW/w.out" 2>"$AW/w.err"
rc=$?
[ $rc -eq 1 ] || fail "wrong quiz answers exited $rc, want 1"
stop_gate
grep -q "ran-high-tool" "$AW/quiz.out" && fail "denied exec ran"
grep -q "high-rc=126" "$AW/quiz.out" || fail "denied exec: want exit 126 from sh"
[ "$(audit_count 'e["action_name"] == "high-tool" and e["verdict"] == "denied" and e["decision_source"] == "human" and e["challenge_passed"] is False and e["approver_ids"] == ["attesta-t1"] and e["errno"] == 1')" = 1 ] ||
	fail "wrong quiz answer not audited as a human denial"
pass "wrong quiz answers deny"

# --- 4. a sandboxed `attesta approve` on its own held call fails ---------
start_gate sb sh -c "./high-tool target.txt & sleep 0.5; $ATTESTA approve 1 --socket $SOCK --answers-file $AW/right.txt; echo approve-rc=\$?; wait"
wait_for "$AW/sb.err" "held #1 exec" || fail "no held call (sandbox case)"
quiz_answers attesta-t1 1 "{'effect': 'run a program (no file, host or branch named)', 'program': 'high-tool', 'target': 'target.txt', 'directory': '$AW', 'subcommand': 'target.txt', 'count': '1'}" >"$AW/right.txt"
chmod 644 "$AW/right.txt"
wait_for "$AW/sb.out" "approve-rc=" 15 || fail "sandboxed approve did not finish"
grep -q "approve-rc=0" "$AW/sb.out" && fail "sandboxed approve succeeded"
as attesta-t2 "$ATTESTA" deny 1 --socket "$SOCK" --reason "test over" >"$AW/d.out" 2>&1 || fail "deny exited $?"
stop_gate
grep -q "ran-high-tool" "$AW/sb.out" && fail "the sandbox approved its own call"
[ "$(audit_count 'e["action_class"] == "connect" and e["verdict"] == "denied" and e["decision_source"] == "hard_rule" and e["reason"] == "connect to the approval socket from inside the sandbox"')" -ge 1 ] ||
	fail "no hard-rule denial of the sandbox's connect"
[ "$(audit_count 'e["action_name"] == "high-tool" and e["verdict"] == "denied" and e["approver_ids"] == ["attesta-t2"] and "test over" in (e["reason"] or "")')" = 1 ] ||
	fail "deny not recorded"
pass "sandboxed approver refused (hard rule); call not approved"

# --- 5. timeout -> timed_out ---------------------------------------------
write_config 1
start_gate to sh -c './high-tool target.txt; echo "to-rc=$?"'
stop_gate
grep -q "to-rc=126" "$AW/to.out" || fail "timed-out exec not denied"
[ "$(audit_count 'e["action_name"] == "high-tool" and e["verdict"] == "timed_out" and e["decision_source"] == "timeout" and e["errno"] == 1')" = 1 ] ||
	fail "timeout not audited as timed_out"
python3 - "$AW/trust.json" <<'PY' || fail "denials not recorded in trust"
import json, sys
d = json.load(open(sys.argv[1]))["agents"]["e2e-agent"]["domains"]["general"]
assert d["approvals"] == 2 and d["denials"] == 3, d
PY
"$ATTESTA" audit verify --log "$AUDIT" >/dev/null || fail "audit chain broken"
pass "timeout gives timed_out; trust counts; chain intact"
exit 0
