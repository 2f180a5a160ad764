#!/bin/bash
# The tty renderer end to end: attesta-run --renderer tty in a real
# terminal (tmux), PROG on the supervisor's pty. A MEDIUM exec is
# confirmed at the prompt and runs; a HIGH exec's quiz answered wrong is
# denied; Ctrl-C at the third prompt denies; PROG's output reaches the
# terminal; the audit log records the terminal owner as the approver;
# the terminal's modes are restored at exit; PROG's pty has the
# terminal's window size and follows a resize.
. "$(dirname "$0")/lib/approve.bash"
. "$(dirname "$0")/lib/approve_e2e.bash"
command -v tmux >/dev/null || { echo "$TEST_NAME: skip: tmux needed"; exit 77; }
TM="tmux -L attesta-e2e-tty-$$"
tty_cleanup() { $TM kill-server 2>/dev/null; approve_cleanup; }
trap tty_cleanup EXIT
write_config 60
sed -i '/approval_group:/d' "$AW/attesta.yaml"

screen() { $TM capture-pane -p -t t -S -300; }
wait_screen() { # wait_screen PATTERN [SECONDS]
	n=0; lim=$(( ${2:-10} * 10 ))
	while ! screen | grep -q -- "$1"; do
		n=$((n + 1)); [ $n -gt $lim ] && { screen | tail -30 >"$AW/screen.out"; return 1; }
		sleep 0.1
	done
}
keys() { $TM send-keys -t t "$@"; }

$TM new-session -d -s t -x 160 -y 60 "cd $AW && $RUN -c $AW/attesta.yaml --renderer tty -- sh -c './med-tool a; ./high-tool target.txt; ./med-tool b; echo PROG-DONE' 2>$AW/run.err; echo RUN-EXIT \$?; stty -a | tr ' ;' '\\n\\n' | grep -qx icanon && stty -a | tr ' ;' '\\n\\n' | grep -qx echo && echo MODES-RESTORED; sleep 60"

# 1. confirm (MEDIUM) -> approved, runs
wait_screen "held call #1: exec med-tool a" || fail "no prompt for #1"
screen | grep -q "challenge:   confirm" || fail "prompt lacks the challenge"
keys yes Enter
wait_screen "session? \[y/N\]" || fail "no session question"
keys n Enter
wait_screen "held call #1: APPROVED" || fail "#1 not approved"
wait_screen "ran-med-tool a" || fail "approved exec did not run / output not relayed"

# 2. quiz (HIGH) answered wrong -> denied
wait_screen "held call #2: exec high-tool target.txt" || fail "no prompt for #2"
sleep 1.2
since2() { screen | sed -n '/held call #2: exec/,$p'; }
# a wrong option of Q1 (what the action does): any but "run a program"
wrong=$(since2 | sed -n 's/^    \([A-D]\)) \(.*\)$/\1 \2/p' | grep -v " run a program" | head -1 | cut -c1)
[ -n "$wrong" ] || fail "no options shown for Q1 of #2"
keys "$wrong" Enter
wait_screen "held call #2: DENIED" || fail "wrong quiz answer did not deny"
since2 | grep -q "session? \[y/N\]\|Q2\." && fail "asked on after a wrong answer, or offered a grant"

# 3. Ctrl-C at the prompt -> denied
wait_screen "held call #3: exec med-tool b" || fail "no prompt for #3"
keys C-c
wait_screen "held call #3: DENIED" || fail "Ctrl-C did not deny"
wait_screen "PROG-DONE" || fail "PROG did not finish"
wait_screen "RUN-EXIT 0" || fail "attesta-run did not exit 0"
wait_screen "MODES-RESTORED" 3 || fail "terminal left in raw mode"
screen | grep -q "ran-high-tool\|ran-med-tool b" && fail "a denied exec ran"

me=$(id -un)
[ "$(audit_count 'e["action_name"] == "med-tool" and e["argv"][1:] == ["a"] and e["verdict"] == "approved" and e["decision_source"] == "human" and e["approver_ids"] == ["'"$me"'"] and e["challenge_passed"] is True')" = 1 ] ||
	fail "confirm not audited as a human approval by the terminal owner"
[ "$(audit_count 'e["action_name"] == "high-tool" and e["verdict"] == "denied" and e["decision_source"] == "human" and e["challenge_passed"] is False')" = 1 ] ||
	fail "wrong quiz not audited"
[ "$(audit_count 'e["action_name"] == "med-tool" and e["argv"][1:] == ["b"] and e["verdict"] == "denied" and "Ctrl-C" in (e["reason"] or "")')" = 1 ] ||
	fail "Ctrl-C not audited"
pass "tty renderer: confirm, wrong quiz, Ctrl-C under attesta-run"

# 4. the window size: PROG's pty (made in the sandbox's devpts instance,
# docs/attesta-run.md "Terminals") starts with the terminal's size and
# follows a resize (the supervisor's SIGWINCH, passed on to PROG's pty)
$TM new-session -d -s w -x 100 -y 40 "cd $AW && $RUN -c $AW/attesta.yaml --renderer tty -- sh -c 'trap \"echo WINCH \\\$(stty size)\" WINCH; echo START \$(stty size); while :; do read x; done' 2>$AW/winch.err; sleep 60"
wscreen() { $TM capture-pane -p -t w -S -100; }
wait_w() { # wait_w PATTERN
	n=0
	while ! wscreen | grep -q -- "$1"; do
		n=$((n + 1)); [ $n -gt 100 ] && { wscreen | tail -20 >"$AW/screen.out"; return 1; }
		sleep 0.1
	done
}
wait_w "START 40 100" || fail "PROG's pty did not start with the terminal's size"
$TM resize-window -t w -x 120 -y 50
wait_w "WINCH 50 120" || fail "a resize did not reach PROG's pty"
pass "window size on PROG's pty, at start and after a resize"
exit 0
