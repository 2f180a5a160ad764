#!/bin/bash
# attesta-run basics: allowed work runs as without the gate (same output,
# same status), exit codes 125/126/127, unsupported options refused, the
# first exec gated and audited, a forbidden first exec exits 126.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

gate sh -c 'echo hello; exit 7'
expect_rc 7 "sh exit 7"; expect_out hello
gate sh -c 'kill -TERM $$'
expect_rc 143 "sh killed by TERM"
gate true
expect_rc 0 true
expect_audit_min 3 'e["action_class"]=="exec" and e["verdict"]=="approved"' "first execs audited"
expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="true" and e["argv"]==["true"]' "exec true argv"

# Same output and status as without the gate.
mkdir -p "$WS/fixture/sub"; echo a >"$WS/fixture/a"; ln -s a "$WS/fixture/l"
native=$(cd "$WS" && ls -la fixture | md5sum)
gate ls -la fixture
[ "$(md5sum <"$WS/out")" = "$native" ] || fail "ls output differs under the gate"

# Not found, not executable, forbidden.
gate no-such-program-xyz
expect_rc 127 "missing program"
grep -q "command not found" "$WS/err" || fail "no not-found message"
printf 'data\n' >"$WS/notexec"; chmod 644 "$WS/notexec"
gate ./notexec
expect_rc 126 "non-executable"
cp /bin/true "$WS/forbidden-tool"
gate ./forbidden-tool
expect_rc 126 "forbidden first exec"
grep -q "Operation not permitted" "$WS/err" || fail "no EPERM message for forbidden first exec"
expect_audit 1 'e["action_name"]=="forbidden-tool" and e["verdict"]=="denied" and e["reason"]' "forbidden exec denied with reason"
expect_audit 1 'e["action_name"]=="forbidden-tool" and e["errno"]==1 and e["decision_source"]=="fail_mode"'
# A denial is visible on attesta-run's stderr (docs/attesta-run.md,
# "Denials on stderr"): what, risk, reason, the dry run that explains it,
# and a summary at exit; --quiet turns both off.
grep -q "^attesta-run: denied exec $WS/forbidden-tool (critical " "$WS/err" || fail "no denial line on stderr: $(cat "$WS/err")"
grep -q "^attesta-run:   why: attesta score exec $WS/forbidden-tool " "$WS/err" || fail "no 'attesta score' line for the denial"
grep -q "^attesta-run: 1 gated calls decided: 0 approved, 1 denied" "$WS/err" || fail "no exit summary"
( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" --quiet -- ./forbidden-tool ) >"$WS/out" 2>"$WS/err"; RC=$?
expect_rc 126 "forbidden first exec, --quiet"
grep -q "^attesta-run: denied\|gated calls decided" "$WS/err" && fail "--quiet still printed denials: $(cat "$WS/err")"
# A clean run prints no summary (nothing denied, nobody asked).
gate true
grep -q "gated calls decided" "$WS/err" && fail "summary printed for a clean run: $(cat "$WS/err")"
# A torn audit-log tail (a run that stopped mid-write) is repaired at
# start, and the user is told (policy/ only returns the fact); --quiet
# keeps it quiet (the repair entry is in the log either way).
printf '{"torn":' >>"$AUDIT"
gate true
expect_rc 0 "run after a torn audit tail"
grep -q "^attesta-run: the audit log $AUDIT ended in a torn line .*removed 8 bytes" "$WS/err" ||
	fail "torn tail repaired silently: $(cat "$WS/err")"
expect_audit 1 'e["action_name"]=="audit.repair" and e["verdict"]=="repaired"' "repair recorded"
printf '{"torn":' >>"$AUDIT"
( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" --quiet -- true ) >"$WS/out" 2>"$WS/err"; RC=$?
expect_rc 0 "torn tail, --quiet"
grep -q "torn line" "$WS/err" && fail "--quiet still told of the repair"

# Unsupported options are refused, not ignored.
# (--renderer tty with no terminal on stdin is refused the same way.)
for opt in "--renderer tty" "--attestation bogus" "--bundle x.tar" "--timeout -3" "--renderer bogus"; do
	( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" $opt -- true ) </dev/null >"$WS/out" 2>"$WS/err"
	RC=$?
	expect_rc 125 "attesta-run $opt"
	[ "$(wc -l <"$WS/err")" -eq 1 ] || fail "$opt: want a one-line reason"
done
# (not a process substitution: grep -q would return while that
# attesta-run still closes the log, racing the next run's start-up)
(cd "$WS" && "$RUN" -c "$WS/attesta.yaml" --renderer tty -- true </dev/null) >"$WS/out" 2>"$WS/err"
grep -q "needs stdin to be a terminal" "$WS/err" || fail "tty without a terminal: no reason"
# The socket renderer starts and says where its socket is.
( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" --renderer socket -- true ) </dev/null >"$WS/out" 2>"$WS/err"; RC=$?
expect_rc 0 "attesta-run --renderer socket"
grep -q "approval socket: /" "$WS/err" || fail "socket renderer: no socket path at start-up"
( cd "$WS" && "$RUN" -c "$WS/nonexistent.yaml" -- true ) >"$WS/out" 2>"$WS/err"; RC=$?
expect_rc 125 "missing config"
( cd "$WS" && "$RUN" ) >"$WS/out" 2>"$WS/err"; RC=$?
expect_rc 125 "no PROG"

verify_chain
pass
