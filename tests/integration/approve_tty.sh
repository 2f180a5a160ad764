#!/bin/bash
# The tty renderer driven through a real terminal (tmux send-keys /
# capture-pane): confirm with an answer before the minimum review time
# (refused, the prompt stays), a quiz with a wrong answer (denied), a
# teach-back, Ctrl-C at a prompt (denied), and a timeout; held calls queue
# and are shown one at a time. Runs the approval server of
# tests/tools/run_approval_hub with its --tty renderer (PROG is `cat` on
# the pty).
. "$(dirname "$0")/lib/approve.bash"
HUB=$BUILD/tools/run_approval_hub
[ -x "$HUB" ] || { echo "$TEST_NAME: skip: $HUB not built"; exit 77; }
command -v tmux >/dev/null || { echo "$TEST_NAME: skip: tmux needed"; exit 77; }
TM="tmux -L attesta-tty-$$"
tty_cleanup() { $TM kill-server 2>/dev/null; approve_cleanup; }
trap tty_cleanup EXIT

cat >"$AW/attesta.yaml" <<YAML
policy:
  timeout_seconds: 60
  minimum_review_seconds: {low: 0, medium: 2, high: 1, critical: 1}
  require_multi_party: {critical: 0}
  challenge_map: {critical: teach_back}
gate:
  approval_socket: $AW/sock/a.sock
YAML

screen() { $TM capture-pane -p -t t -S -200; }
# wait_screen PATTERN [SECONDS]
wait_screen() {
	n=0; lim=$(( ${2:-10} * 10 ))
	while ! screen | grep -q -- "$1"; do
		n=$((n + 1)); [ $n -gt $lim ] && { screen | tail -25 >"$AW/screen.out"; return 1; }
		sleep 0.1
	done
}
keys() { $TM send-keys -t t "$@"; }

$TM new-session -d -s t -x 160 -y 60 "cd $AW && $HUB $AW/attesta.yaml --tty 'echo agent-started >/dev/tty; exec cat' -- git push origin main --- git push --force origin main --- rm -rf / --- git push origin dev >$AW/hub.jsonl 2>$AW/hub.err; echo HUB-EXIT \$?; sleep 60"

# 1. confirm (MEDIUM): an answer before the 2 s minimum is refused, the prompt stays
wait_screen "held call #1: exec git push origin main" || fail "no prompt for #1"
screen | grep -q "held call #2" && fail "two prompts at once"
screen | grep -q "program:     /usr/bin/git" || fail "prompt lacks the program"
screen | grep -q "risk:        0\.[0-9][0-9] MEDIUM" || fail "prompt lacks the risk level"
screen | grep -q "challenge:   confirm" || fail "prompt lacks the challenge"
screen | grep -q "you are:     $(id -un) (owner of this terminal)" || fail "prompt lacks the identity"
keys yes Enter
wait_screen "too early: review the action" || fail "early confirm not refused"
sleep 2.2
keys Enter
wait_screen "session? \[y/N\]" || fail "no session question"
keys n Enter
wait_screen "held call #1: APPROVED" || fail "#1 not approved"

# 2. quiz (HIGH): an answer that is not an option is refused (the same
# question stays); the first wrong answer denies at once: no further
# question, no "for this session?" offer
wait_screen "held call #2: exec git push --force origin main" || fail "no prompt for #2"
sleep 1.2
since2() { screen | sed -n '/held call #2: exec/,$p'; }
keys git Enter
wait_screen "not an option: answer with a letter" || fail "a non-option answer was not refused"
since2 | grep -q "Q2\." && fail "a non-option answer moved on to Q2"
keys "publish commits to a remote repository" Enter
wait_screen "Q2\." || fail "no second quiz question"
keys not-main Enter
wait_screen "held call #2: DENIED (wrong answer; nothing more is asked)" || fail "wrong quiz answer did not deny at once"
since2 | grep -q "Q3\." && fail "a question was asked after the wrong answer"
since2 | grep -q "session? \[y/N\]" && fail "a session grant was offered for a failed challenge"

# 3. teach-back (CRITICAL with challenge_map critical: teach_back)
wait_screen "held call #3: exec rm -rf /" || fail "no prompt for #3"
sleep 1.2
keys "this will run rm recursively with force on the root directory / and erase the whole machine" Enter
wait_screen "held call #3: APPROVED" || fail "teach-back not approved"

# 4. Ctrl-C at a prompt -> denied
wait_screen "held call #4: exec git push origin dev" || fail "no prompt for #4"
keys C-c
wait_screen "held call #4: DENIED" || fail "Ctrl-C did not deny"
wait_screen "HUB-EXIT 0" || fail "hub did not finish"

python3 - "$AW/hub.jsonl" <<'PY' || fail "outcomes wrong"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"action\"")]
by = {o["action"]: o for o in out}
a = by["exec git push origin main"]
assert a["verdict"] == "approved" and a["review_seconds"] >= 2 and a["min_review_met"], a
b = by["exec git push --force origin main"]
assert b["verdict"] == "denied" and not b["challenge_passed"], b
qs = b["challenge_result"]["details"]["questions"]
assert [q["given"] for q in qs] == ["publish commits to a remote repository", "not-main"], qs
assert b["challenge_result"]["questions_asked"] == 2, b["challenge_result"]
c = by["exec rm -rf /"]
assert c["verdict"] == "approved" and c["challenge_result"]["challenge_type"] == "teach_back", c
d = by["exec git push origin dev"]
assert d["verdict"] == "denied" and "Ctrl-C" in d["reason"], d
PY
# The agent printed at once. The relay is drained before each prompt is
# shown and paused while one is up: its line may come between prompts,
# never inside one (between a held call's header and its outcome).
wait_screen "agent-started" || fail "the agent's output never reached the terminal"
screen >"$AW/screen.txt"
python3 - "$AW/screen.txt" <<'PY' || fail "agent output shown while a prompt was up"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
at = [i for i, l in enumerate(lines) if "agent-started" in l][0]
for n in range(1, 5):
    start = [i for i, l in enumerate(lines) if l.startswith("held call #%d: exec" % n)][0]
    end = [i for i, l in enumerate(lines) if re.search(r"held call #%d: (APPROVED|DENIED)" % n, l)][0]
    assert not (start < at < end), (n, start, at, end)
PY
pass "confirm (early answer refused), quiz: non-option refused, first wrong answer denies with no grant offer, teach-back, Ctrl-C"

# 5. timeout while the prompt is up
$TM kill-session -t t 2>/dev/null
sed -i 's/timeout_seconds: 60/timeout_seconds: 2/' "$AW/attesta.yaml"
$TM new-session -d -s t -x 160 -y 60 "cd $AW && $HUB $AW/attesta.yaml --tty 'exec cat' -- git push origin main >$AW/hub2.jsonl 2>$AW/hub2.err; echo HUB-EXIT \$?; sleep 60"
wait_screen "held call #1" || fail "no prompt (timeout case)"
wait_screen "held call #1: timed_out (decided elsewhere)" 6 || fail "timeout not shown at the prompt"
wait_screen "HUB-EXIT 0" || fail "hub did not finish (timeout case)"
[ "$(json_count "$AW/hub2.jsonl" 'l.get("verdict") == "timed_out"')" = 1 ] || fail "no timed_out outcome"
pass "timeout at the prompt"
exit 0
