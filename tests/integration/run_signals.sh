#!/bin/bash
# Process life: signals to attesta-run reach PROG; PROG's status is
# attesta-run's (128+N for a signal); a descendant that outlives PROG is
# still gated until it exits, and attesta-run waits for it;
# --kill-on-exit kills it instead.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

# forwarding: PROG traps TERM and USR1 and reports them
cat >"$WS/trap.sh" <<'SH'
#!/bin/bash
trap 'echo got USR1' USR1
trap 'echo got TERM; exit 42' TERM
echo ready
while :; do sleep 0.05; done
SH
chmod +x "$WS/trap.sh"
( cd "$WS" && exec "$RUN" -c "$WS/attesta.yaml" -- ./trap.sh ) >"$WS/out" 2>"$WS/err" &
P=$!
for _ in $(seq 100); do grep -q ready "$WS/out" && break; sleep 0.05; done
kill -USR1 $P; sleep 0.3; kill -TERM $P
wait $P; RC=$?
expect_rc 42 "trap.sh after TERM"
expect_out "got USR1"; expect_out "got TERM"

# signal status
gate sh -c 'kill -KILL $$'
expect_rc 137 "SIGKILL status"

# a descendant outliving PROG stays gated, attesta-run waits for it
echo k >"$WS/PROTECTED.late"
gate sh -c '(sleep 0.5; rm -f PROTECTED.late; echo "late rm rc=$?" >late.txt) & exit 5'
expect_rc 5 "PROG exit 5 with a straggler"
[ -f "$WS/late.txt" ] || fail "attesta-run did not wait for the descendant"
grep -q "rc=1" "$WS/late.txt" || fail "straggler's rm was not gated: $(cat "$WS/late.txt")"
[ -f "$WS/PROTECTED.late" ] || fail "straggler removed the file"

# --kill-on-exit
( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" --kill-on-exit -- sh -c '(sleep 2; touch survived.txt) & exit 0' ) >"$WS/out" 2>"$WS/err"
RC=$?
expect_rc 0 "kill-on-exit"
sleep 2.5
[ ! -e "$WS/survived.txt" ] || fail "--kill-on-exit left a descendant running"
verify_chain
pass
