#!/bin/bash
# Escape family: the decision threads (docs/attesta-run.md, "Decision
# threads"). Seven races of race_unlink.sh, race_rename.sh, race_net.sh
# and race_exec.sh run AT ONCE in one sandbox under 4 decision threads:
# three path flips on three protected files, a cwd flip, a rename source
# flip, a connect flip and an exec flip (decided and traced by the
# decision thread that receives it, exec_watch.c). So several threads
# decode, decide, record and emulate different flips at the same moment
# while execs are verified: a decision made for one call and applied to another,
# a credential or /proc handle of one thread used for another, or an
# entry lost or reordered would show here. Every protected file must
# survive, no packet reach 127.0.0.2, the marker never run, every race
# report HELD, and the chain verify. Natively each race escapes
# (race_unlink/rename/net/exec.sh run the same controls one at a time;
# here the unlink flip's control runs again with three at once).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
R=$ADV/adv_race
start_listener

targets() {
	reset_targets
	for i in 1 2 3; do echo secret >"$WS/PROTECTED$i.txt"; : >"$WS/ok$i.txt"; done
	echo secret >"$WS/PROTECTED.mv"; : >"$WS/ok.mv"
}
cat >"$WS/races.sh" <<SH
#!/bin/sh
# one sandbox, every race at once; each prints HELD or ESCAPED
cd "$WS" || exit 2
for i in 1 2 3; do "$R" unlink-flip ok\$i.txt PROTECTED\$i.txt >"$WS/race.u\$i" 2>&1 & done
"$R" cwd-flip victim okdir PROTECTED.d >"$WS/race.cwd" 2>&1 &
"$R" rename-flip ok.mv PROTECTED.mv moved.mv >"$WS/race.mv" 2>&1 &
"$R" connect-flip 127.0.0.1 $OKPORT 127.0.0.2 $BADPORT >"$WS/race.net" 2>&1 &
"$R" exec-flip-thread /bin/true "$WS/forbidden-tool" >"$WS/race.exec" 2>&1 &
wait
cat "$WS"/race.* 
SH
chmod +x "$WS/races.sh"

# native control: the three unlink flips at once each remove their file
targets
ADV_ATTEMPTS=20000 native sh -c 'for i in 1 2 3; do "$0" unlink-flip ok$i.txt PROTECTED$i.txt & done; wait' "$R"
for i in 1 2 3; do
	[ ! -e "$WS/PROTECTED$i.txt" ] || fail "native control: PROTECTED$i.txt survived three flips at once"
done

targets
reset_listener
ATTESTA_DECISION_THREADS=4 gate "$WS/races.sh"
sleep 0.3
grep -E '^(HELD|ESCAPED)' "$WS/out" | sed 's/^/  /'
for i in 1 2 3; do expect_file "PROTECTED$i.txt" "three unlink flips at once"; done
expect_file "PROTECTED.d/victim" "cwd flip beside the others"
expect_file "PROTECTED.mv" "rename flip beside the others"
expect_no_traffic "connect flip beside the others"
expect_no_marker "exec flip beside the others"
[ "$(grep -c '^HELD' "$WS/out")" = 7 ] || fail "want 7 HELD lines, got $(grep -c '^HELD' "$WS/out") (rc $RC)"
grep -q '^ESCAPED' "$WS/out" && fail "a race ESCAPED"
expect_audit_min 3 "$DENIED_PATH" "denied removals audited"
expect_audit_min 1 "$DENIED_NET" "denied connects audited"
verify_chain
pass "7 races at once under 4 decision threads held"
