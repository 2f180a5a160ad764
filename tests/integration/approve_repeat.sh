#!/bin/bash
# A call a human refused is not put to the human again at once
# (supervisor/run/repeat.h): dash tries every PATH entry after an EPERM,
# and on a merged-/usr system two entries name the same file. Here PATH
# holds a directory and a symlink to it; the human denies the first exec
# of med-tool (MEDIUM, held), the shell's retry through the symlink is
# refused at once as a repeat (no second prompt), and both are audited.
# A different call (other arguments) is asked again.
. "$(dirname "$0")/lib/approve.bash"
need_approvers
. "$(dirname "$0")/lib/approve_e2e.bash"
write_config 60
mkdir -p "$AW/pa"
mv "$AW/med-tool" "$AW/pa/med-tool"
ln -s pa "$AW/pb"

start_gate rep sh -c "PATH=$AW/pa:$AW/pb:/usr/bin:/bin; med-tool target.txt; echo rep-rc=\$?; med-tool other.txt; echo rep2-rc=\$?"
wait_for "$AW/rep.err" "held #1 exec" || fail "no held line for the first exec"
as attesta-t1 "$ATTESTA" deny 1 --socket "$SOCK" --reason "no" >"$AW/d1.out" 2>&1 || fail "deny 1 exited $?"
wait_for "$AW/rep.err" "held #2 exec" || fail "the call with other arguments was not held"
as attesta-t1 "$ATTESTA" deny 2 --socket "$SOCK" --reason "no" >"$AW/d2.out" 2>&1 || fail "deny 2 exited $?"
stop_gate
grep -q "rep-rc=12[67]" "$AW/rep.out" || fail "the denied exec did not fail in the shell: $(cat "$AW/rep.out")"
grep -q "held #3" "$AW/rep.err" && fail "a retry of a refused call was put to the human again"
[ "$(audit_count 'e["action_name"] == "med-tool" and e["verdict"] == "denied" and e["decision_source"] == "human" and "target.txt" in e["argv"]')" = 1 ] ||
	fail "the human denial is not audited once"
[ "$(audit_count 'e["action_name"] == "med-tool" and e["verdict"] == "denied" and e["decision_source"] == "repeat" and "target.txt" in e["argv"]')" -ge 1 ] ||
	fail "the retry is not audited as a repeat"
[ "$(audit_count 'e["action_name"] == "med-tool" and e["decision_source"] == "human" and "other.txt" in e["argv"]')" = 1 ] ||
	fail "the call with other arguments was not asked"
pass "a retry of a refused call is refused at once; another call is asked"
