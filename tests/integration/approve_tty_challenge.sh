#!/bin/bash
# Challenges that test understanding (docs/challenges.md), in a real
# terminal (tmux) under attesta-run --renderer tty: what the agent printed
# just before a held call is on the screen above the prompt (not held back
# behind it); an `rm -rf` prompt shows what it deletes, measured (files,
# directories, bytes; symlinks not followed), and for a big tree a lower
# bound, cut short in bounded time; an answer that is not an option is
# refused and not recorded; the quiz asks what the action does and how
# much it deletes; the first wrong answer denies at once, with no further
# question and no session grant offered; the audit records exactly the
# answers given; the exit summary counts the held calls and their wait.
. "$(dirname "$0")/lib/approve.bash"
. "$(dirname "$0")/lib/approve_e2e.bash"
command -v tmux >/dev/null || { echo "$TEST_NAME: skip: tmux needed"; exit 77; }
TM="tmux -L attesta-tty-ch-$$"
tty_cleanup() { $TM kill-server 2>/dev/null; approve_cleanup; }
trap tty_cleanup EXIT
write_config 120
sed -i '/approval_group:/d; s/^    sh: low$/    sh: low\n    rm: high/' "$AW/attesta.yaml"

screen() { $TM capture-pane -p -t t -S -400; }
wait_screen() { # wait_screen PATTERN [SECONDS]
	n=0; lim=$(( ${2:-10} * 10 ))
	while ! screen | grep -q -- "$1"; do
		n=$((n + 1)); [ $n -gt $lim ] && { screen | tail -40 >"$AW/screen.out"; return 1; }
		sleep 0.1
	done
}
keys() { $TM send-keys -t t "$@"; }
line_of() { screen | grep -n -- "$1" | head -1 | cut -d: -f1; }

# small: 3 files (x 5 bytes, y 7 bytes, a symlink to /etc that must not be
# followed), 2 directories
mkdir -p "$AW/small/a"
printf '12345' >"$AW/small/a/x"; printf '1234567' >"$AW/small/y"; ln -s /etc "$AW/small/etc-link"
# big: 120 directories of 1000 empty files: more than a 50 ms walk covers
python3 - "$AW/big" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(120):
    p = os.path.join(root, "d%03d" % d)
    os.makedirs(p)
    for f in range(1000):
        os.close(os.open(os.path.join(p, "f%04d" % f), os.O_CREAT | os.O_WRONLY, 0o644))
PY

# (a script file: an `sh -c` string naming rm -rf is itself held). The
# agent first prints a lot (more than the relay queues at once, so some of
# it is still in the pty when the call is held), then its marker line,
# then the held call: the marker must be on the screen above the prompt.
printf 'seq -f "filler line %%g of the agent output before the held call" 1 6000\necho OUTPUT-BEFORE-HELD\nrm -rf small\necho rc1=$?\nrm -rf big\necho rc2=$?\necho PROG-DONE\n' >"$AW/prog.sh"
chmod 644 "$AW/prog.sh"
$TM new-session -d -s t -x 160 -y 80 "cd $AW && $RUN -c $AW/attesta.yaml --renderer tty -- sh prog.sh 2>$AW/run.err; echo RUN-EXIT \$?; sleep 60"

# 1. rm -rf small: the agent's line is above the prompt while it is up
wait_screen "held call #1: exec rm -rf small" || fail "no prompt for #1"
at=$(line_of "OUTPUT-BEFORE-HELD"); hdr=$(line_of "held call #1: exec rm -rf small")
[ -n "$at" ] && [ "$at" -lt "$hdr" ] || fail "the agent's output before the held call is not above the prompt (line ${at:-none}, prompt $hdr)"
screen | grep -q "removes:     3 files, 2 directories, 12 bytes (measured in" ||
	fail "prompt lacks the measured scale of rm -rf small"
screen | grep -q "Q1\. What will this action do?" || fail "Q1 is not about what the action does"
screen | grep -q "Which program will run" && fail "the quiz asks for the program printed above it"
sleep 1.2
keys git Enter
wait_screen "not an option: answer with a letter" || fail "a non-option answer was not refused"
keys "delete files or directories" Enter
wait_screen "Q2\. How much will it delete" || fail "no scale question"
keys "1 to 9 files" Enter
wait_screen "Q3\." || fail "no third question"
keys small Enter
wait_screen "session? \[y/N\]" || fail "a passed challenge was not offered the session scope"
keys n Enter
wait_screen "held call #1: APPROVED" || fail "#1 not approved"
wait_screen "rc1=0" || fail "approved rm did not run"
[ -e "$AW/small" ] && fail "approved rm -rf small left small"
[ -d /etc ] || fail "/etc gone (the symlink was followed)"

# 2. rm -rf big: a lower bound, measured in bounded time; the first wrong
# answer denies at once
wait_screen "held call #2: exec rm -rf big" || fail "no prompt for #2"
since2() { screen | sed -n '/held call #2: exec rm -rf big/,$p'; }
since2 | grep -q "removes:     at least [0-9]* files, [0-9]* directories, 0 bytes (measuring stopped after [0-9]* ms" ||
	fail "big tree: no 'at least' scale: $(since2 | grep removes)"
ms=$(since2 | sed -n 's/.*measuring stopped after \([0-9]*\) ms.*/\1/p' | head -1)
[ "$ms" -le 1000 ] || fail "measuring the big tree took $ms ms (bounded at 50 ms + one call)"
sleep 1.2
keys "delete files or directories" Enter
wait_screen "Q2\. How much will it delete" || fail "no scale question on #2"
keys "none (only empty directories)" Enter
wait_screen "held call #2: DENIED (wrong answer; nothing more is asked)" || fail "wrong answer did not deny at once"
since2 | grep -q "Q3\." && fail "a question was asked after the wrong answer"
since2 | grep -q "session? \[y/N\]" && fail "a session grant was offered for a failed challenge"
wait_screen "rc2=126" || fail "denied rm: want 126"
wait_screen "PROG-DONE" || fail "PROG did not finish"
wait_screen "RUN-EXIT 0" || fail "attesta-run did not exit 0"
[ "$(find "$AW/big" -type f | wc -l)" = 120000 ] || fail "the denied rm removed files"

# 3. the audit records exactly the answers given (no "git", nothing after
# the wrong answer)
python3 - "$AUDIT" <<'PY' || fail "audit of the challenges wrong"
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
# (the shell's retry of a refused exec is denied as a repeat, unasked)
rm = {tuple(e["argv"]): e for e in es
      if e.get("action_name") == "rm" and "challenge_result" in (e.get("metadata") or {})}
a = rm[("rm", "-rf", "small")]
r = a["metadata"]["challenge_result"]
assert a["verdict"] == "approved" and a["challenge_passed"] is True, a["verdict"]
assert [q["given"] for q in r["details"]["questions"]] == ["delete files or directories", "1 to 9 files", "small"], r
b = rm[("rm", "-rf", "big")]
r = b["metadata"]["challenge_result"]
assert b["verdict"] == "denied" and b["challenge_passed"] is False, b["verdict"]
qs = r["details"]["questions"]
assert [q["given"] for q in qs] == ["delete files or directories", "none (only empty directories)"], qs
assert [q["correct"] for q in qs] == [True, False], qs
assert r["questions_asked"] == 2 and r["details"]["questions_total"] == 3, r
PY
grep -q "^attesta-run: [0-9]* gated calls decided: [0-9]* approved, [12] denied; 2 held for a human, [0-9.]* s waiting in all" "$AW/run.err" ||
	fail "no exit summary with the held calls: $(cat "$AW/run.err")"
pass "output before a held call shown first; rm -rf scale measured and bounded; non-option refused; first wrong answer denies, no grant offered; audit has exactly the answers given"
exit 0
