#!/bin/bash
# The approval socket and `attesta pending|approve|deny`, driven through
# tests/tools/run_approval_hub (the approval server without a sandbox):
# two distinct unprivileged users pass a CRITICAL multi-party challenge;
# the same user twice does not count twice; a wrong quiz answer denies;
# an answer before the minimum review time is refused (the prompt stays,
# the recorded review time is real); a child of the server (inside its
# "sandbox") is refused; deny works; a timeout applies fail_mode.
. "$(dirname "$0")/lib/approve.bash"
HUB=$BUILD/tools/run_approval_hub
[ -x "$HUB" ] || { echo "$TEST_NAME: skip: $HUB not built"; exit 77; }
need_approvers

SOCK=$AW/sock/approve.sock
cat >"$AW/attesta.yaml" <<YAML
policy:
  timeout_seconds: 30
  minimum_review_seconds: {low: 0, medium: 1, high: 1, critical: 2}
gate:
  approval_socket: $SOCK
  approval_group: $APPROVER_GROUP
YAML
chmod 644 "$AW/attesta.yaml"

start_hub() { # start_hub OUTNAME ARGS...
	out=$1; shift
	( cd "$AW" && exec "$HUB" "$AW/attesta.yaml" "$@" ) >"$AW/$out.jsonl" 2>"$AW/$out.err" &
	BG_PID=$!
	wait_for "$AW/$out.jsonl" '"socket"' || fail "hub did not start"
}
stop_hub() { wait "$BG_PID" 2>/dev/null; BG_PID=; }

# --- 1. multi-party: rm -rf / is CRITICAL, needs 2 distinct approvers ----
start_hub mp -- rm -rf /
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), want 660 with approval_group"
[ "$(stat -c %a "$AW/sock")" = 750 ] || fail "socket dir mode $(stat -c %a "$AW/sock")"
as attesta-t1 "$ATTESTA" pending --socket "$SOCK" --json >"$AW/p.out" || fail "pending as t1"
python3 - "$AW/p.out" <<'PY' || fail "pending --json lacks the held call, or shows answers"
import json, sys
items = json.load(open(sys.argv[1]))
assert len(items) == 1 and items[0]["id"] == 1, items
it = items[0]
assert it["level"] == "critical" and it["challenge"] == "multi_party", it
assert it["argv"] == ["rm", "-rf", "/"], it
assert it["approvers_required"] == 2
text = json.dumps(it)
assert "accepted" not in text and "expected" not in text, "answers leaked"
PY
# t1 gets the teach-back part (the first approver gets the hardest)
echo "this runs rm recursively and forcefully on the root directory / and deletes everything" >"$AW/tb.txt"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/tb.txt" >"$AW/t1.out" 2>"$AW/t1.err"
rc=$?
[ $rc -eq 0 ] || fail "t1 approve exited $rc"
grep -q "waiting for the other approvers" "$AW/t1.out" || fail "t1 not told to wait"
grep -q "too early" "$AW/t1.err" || fail "scripted answer before the minimum review time was not refused"
# the same user again does not satisfy N=2
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/tb.txt" >"$AW/t1b.out" 2>"$AW/t1b.err"
rc=$?
[ $rc -eq 1 ] || fail "t1 twice exited $rc, want 1"
grep -q "already answered" "$AW/t1b.err" || fail "t1 twice: no 'already answered'"
[ "$(json_count "$AW/mp.jsonl" '"verdict" in l')" = 0 ] || fail "decided after one approver"
# t2 gets the quiz part: read the questions, answer them right
as attesta-t2 "$ATTESTA" pending --socket "$SOCK" --json >"$AW/p2.out"
python3 - "$AW/p2.out" >"$AW/quiz.txt" <<'PY' || fail "cannot build t2's answers"
import json, sys
it = json.load(open(sys.argv[1]))[0]
assert it["part_challenge"] == "quiz", it.get("part_challenge")
ans = {"effect": "delete files or directories", "program": "rm", "target": "/", "count": "1",
       "directory": "/"}
for q in it["questions"]:
    print(ans[q["kind"]])
PY
as attesta-t2 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/quiz.txt" >"$AW/t2.out" 2>"$AW/t2.err"
rc=$?
[ $rc -eq 0 ] || fail "t2 approve exited $rc"
grep -q "approved #1" "$AW/t2.out" || fail "t2 not told approved"
stop_hub
[ "$(json_count "$AW/mp.jsonl" 'l.get("verdict") == "approved" and sorted(l["approvers"]) == ["attesta-t1", "attesta-t2"] and l["source"] == "human" and l["min_review_met"] and l["review_seconds"] >= 2')" = 1 ] ||
	fail "multi-party outcome not approved by both distinct users with real review time"
pass "multi-party needs two distinct users; same user twice refused; early answer refused"

# --- 2. an answer that is not an option is refused; the first wrong answer
# denies, nothing after it is asked or recorded ------------------------------
start_hub quiz -- git push --force origin main
printf 'git\n' >"$AW/notopt.txt"
chmod 644 "$AW/notopt.txt"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/notopt.txt" >"$AW/n.out" 2>"$AW/n.err"
rc=$?
[ $rc -eq 1 ] || fail "non-option answer exited $rc, want 1"
grep -q "not one of the options" "$AW/n.err" || fail "non-option answer not refused: $(cat "$AW/n.err")"
[ "$(json_count "$AW/quiz.jsonl" '"verdict" in l')" = 0 ] || fail "a non-option answer decided the call"
printf 'publish commits to a remote repository\nnot-the-branch\npush\n' >"$AW/wrong.txt"
chmod 644 "$AW/wrong.txt"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/wrong.txt" >"$AW/w.out" 2>"$AW/w.err"
rc=$?
[ $rc -eq 1 ] || fail "wrong quiz answer exited $rc, want 1"
grep -q "denied #1: wrong answer to question 2 (nothing more is asked)" "$AW/w.out" || fail "not told denied at question 2: $(cat "$AW/w.out")"
grep -q "^> push" "$AW/w.out" && fail "question 3 was asked after a wrong answer"
stop_hub
[ "$(json_count "$AW/quiz.jsonl" 'l.get("verdict") == "denied" and not l["approved"] and l["source"] == "human"')" = 1 ] ||
	fail "wrong quiz answer did not deny"
python3 - "$AW/quiz.jsonl" <<'PY' || fail "audit of the failed quiz does not record exactly the answers given"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if '"verdict"' in l][0]
r = o["challenge_result"]
qs = r["details"]["questions"]
assert [q["given"] for q in qs] == ["publish commits to a remote repository", "not-the-branch"], qs
assert [q["correct"] for q in qs] == [True, False], qs
assert r["questions_asked"] == 2 and r["questions_correct"] == 1, r
assert not any(q.get("given") is None for q in qs), qs
PY
pass "non-option answer refused (nothing recorded); first wrong answer denies; audit has exactly the answers given"

# --- 3. a process inside the server's sandbox is refused ----------------
printf 'publish commits to a remote repository\nmain\npush\n' >"$AW/right.txt"
chmod 644 "$AW"/*.txt
( cd "$AW" && exec "$HUB" "$AW/attesta.yaml" --child "$ATTESTA approve 1 --socket $SOCK --answers-file $AW/right.txt" -- git push --force origin main ) >"$AW/sb.jsonl" 2>"$AW/sb.err" &
BG_PID=$!
wait_for "$AW/sb.jsonl" '"child_status"' 15 || fail "sandboxed approver did not finish"
as attesta-t1 "$ATTESTA" deny 1 --socket "$SOCK" --reason "test over" >"$AW/d.out" 2>&1 || fail "deny exited $?"
stop_hub
[ "$(json_count "$AW/sb.jsonl" 'l.get("child_status") == 1')" = 1 ] || fail "sandboxed approve did not fail with 1"
grep -q "inside the sandbox\|descends from the supervisor" "$AW/sb.err" "$AW/sb.jsonl" || fail "no refusal message"
[ "$(json_count "$AW/sb.jsonl" 'l.get("verdict") == "denied" and l["approvers"] == ["attesta-t1"] and "test over" in l["reason"]')" = 1 ] ||
	fail "call approved by the sandbox, or deny not recorded"
pass "sandboxed approver refused; deny recorded with its reason"

# --- 4. timeout applies fail_mode ---------------------------------------
sed -i 's/timeout_seconds: 30/timeout_seconds: 1/' "$AW/attesta.yaml"
start_hub to -- git push --force origin main
stop_hub
[ "$(json_count "$AW/to.jsonl" 'l.get("verdict") == "timed_out" and not l["approved"] and l["source"] == "timeout"')" = 1 ] ||
	fail "timeout did not give timed_out"
grep -q "held #1 exec git push --force origin main (HIGH, quiz): run 'attesta approve 1 --socket $SOCK'" "$AW/to.err" ||
	fail "no 'held #ID' hint line on stderr"
pass "timeout -> timed_out; stderr hint line"
exit 0
