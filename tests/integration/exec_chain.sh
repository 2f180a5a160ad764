#!/bin/bash
# Wrapper chains cost one decision (issue 18 item 1; docs/decode.md,
# "Wrapper chains"; docs/scoring.md, "Overrides and the name the user
# types"). A pyenv-style chain built here: shims/python3 (#!/usr/bin/env
# bash) execs libexec/fake-pyenv (#!/usr/bin/env bash), which execs the
# real /usr/bin/python3 (Debian: a symlink to python3.11).
#  1. renderer none, `python3: low`: `python3 -c 'os.remove(...)'` runs;
#     the final program (named python3.11) gets the override by its
#     typed name; every hop is audited with metadata.exec_chain naming
#     the head's entry.
#  2. approval socket, no override: exactly one prompt for the exec
#     chain and one for the removal (amplified to MEDIUM): a human
#     approved the head and the final exec is "chain:<head entry id>",
#     or the head needed nobody and the final program was the one asked.
#  3. the tty renderer in a real terminal (tmux): the same two prompts.
#  4. 1 and 2 through the real pyenv of this machine, when there is one.
. "$(dirname "$0")/lib/approve.bash"
[ -x /usr/bin/python3 ] || { echo "$TEST_NAME: skip: /usr/bin/python3 needed"; exit 77; }
RUN=$BUILD/attesta-run

# The shims live where a root agent cannot have made them during the
# session: a root-owned directory that is not world-writable (not /tmp).
SH=$(mktemp -d "$BUILD/chain-shims.XXXXXX") || fail "mktemp"
chmod 755 "$SH"
trap 'rm -rf "$SH"; approve_cleanup' EXIT
mkdir -p "$SH/shims" "$SH/libexec"
cat >"$SH/shims/python3" <<SHIM
#!/usr/bin/env bash
set -e
program="\${0##*/}"
exec "$SH/libexec/fake-pyenv" exec "\$program" "\$@"
SHIM
cat >"$SH/libexec/fake-pyenv" <<'SHIM'
#!/usr/bin/env bash
[ "$1" = exec ] || exit 2
shift; program=$1; shift
exec "/usr/bin/$program" "$@"
SHIM
chmod 755 "$SH/shims/python3" "$SH/libexec/fake-pyenv"
sleep 0.1 # older than the session (docs/scoring.md: a root agent)

AUDIT=$AW/audit.jsonl
# config RENDERER EXTRA-OVERRIDE
config() {
	cat >"$AW/attesta.yaml" <<YAML
policy:
  fail_mode: deny
  timeout_seconds: 60
  minimum_review_seconds: {low: 0, medium: 0, high: 0, critical: 0}
risk:
  overrides:
    attesta: low
    ${2:-sh: low}
  amplifiers:
    - pattern: "HELDME"
      target: path
      boost: 0.35
audit:
  path: $AUDIT
gate:
  renderer: $1
  approval_socket: $AW/sock/a.sock
  approval_group: $APPROVER_GROUP
  agent_id: chain-agent
trust:
  path: $AW/trust.json
YAML
	chmod 644 "$AW/attesta.yaml"
}
audit_count() { json_count "$AUDIT" "$1"; }
code() { echo "import os; os.remove(\"$1\"); print(\"removed\")"; }
CODE=$(code HELDME.txt)

# --- 1. renderer none, python3: low ------------------------------------
# none PYTHON3 NAME: PYTHON3 -c CODE runs with no prompt at all
none() {
	config none "python3: low"
	rm -f "$AUDIT"
	echo x >"$AW/gone.txt"
	( cd "$AW" && "$RUN" -c "$AW/attesta.yaml" -- "$1" -c "$(code gone.txt)" ) >"$AW/$2.out" 2>"$AW/$2.err"
	rc=$?
	[ $rc -eq 0 ] || fail "$2: renderer none: the chain exited $rc (denied at a hop?)"
	grep -q removed "$AW/$2.out" || fail "$2: renderer none: python did not run"
	python3 - "$AUDIT" <<'PY' || fail "$2: renderer none: audit of the chain"
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
ex = [e for e in es if e.get("action_class") == "exec"]
head = ex[0]
assert head["action_name"] == "python3" and head["metadata"].get("exec_chain") is None, head
hid = head["entry_id"]
hops = [e for e in ex if e["metadata"].get("exec_chain", {}).get("head") == hid]
names = [e["action_name"] for e in hops]
assert names[-1].startswith("python3."), names
assert "bash" in names and len(hops) >= 4, names
assert [e["metadata"]["exec_chain"]["hop"] for e in hops] == list(range(1, len(hops) + 1)), hops
final = hops[-1]
assert final["verdict"] == "approved" and "override: python3" in final["reason"], final["reason"]
assert all(e["verdict"] == "approved" for e in es if e.get("action_class") in ("exec", "unlink"))
rm = [e for e in es if e.get("action_class") == "unlink" and e["path"].endswith("gone.txt")]
assert rm and rm[0]["verdict"] == "approved", rm
PY
	[ ! -e "$AW/gone.txt" ] || fail "$2: renderer none: the file was not removed"
}
none "$SH/shims/python3" none-shim
grep -q fake-pyenv "$AUDIT" || fail "the built chain did not go through fake-pyenv"
if [ -x /root/.pyenv/shims/python3 ] && /root/.pyenv/shims/python3 -c 'import sys' 2>/dev/null; then
	none /root/.pyenv/shims/python3 none-pyenv
fi

# --- 2./3. one prompt for the chain, one for the removal ----------------
need_approvers
SOCK=$AW/sock/a.sock
# prompts PYTHON3 NAME: run PYTHON3 -c CODE, approve what is held, count.
prompts() {
	rm -f "$AUDIT"
	echo x >"$AW/HELDME.txt"
	( cd "$AW" && exec "$RUN" -c "$AW/attesta.yaml" -- "$1" -c "$CODE" ) </dev/null >"$AW/$2.out" 2>"$AW/$2.err" &
	BG_PID=$!
	wait_for "$AW/$2.err" "approval socket: $SOCK" || fail "$2: attesta-run did not start"
	n=0
	while kill -0 "$BG_PID" 2>/dev/null && [ $n -lt 6 ]; do
		if grep -q "held #$((n + 1)) " "$AW/$2.err"; then
			n=$((n + 1))
			as attesta-t1 "$ATTESTA" approve $n --socket "$SOCK" --answers-file "$AW/yes.txt" >"$AW/$2.a$n.out" 2>&1 || fail "$2: approve $n: $(cat "$AW/$2.a$n.out")"
		fi
		sleep 0.05
	done
	wait "$BG_PID"; rc=$?; BG_PID=
	[ $rc -eq 0 ] || fail "$2: exited $rc"
	grep -q removed "$AW/$2.out" || fail "$2: python did not run"
	[ "$(grep -c 'held #' "$AW/$2.err")" = 2 ] || fail "$2: $(grep -c 'held #' "$AW/$2.err") prompts, want 2 (one for the chain, one for the removal): $(grep 'held #' "$AW/$2.err")"
	grep -q "held #1 exec" "$AW/$2.err" || fail "$2: the first prompt is not the exec"
	grep -q "held #2 unlink" "$AW/$2.err" || fail "$2: the second prompt is not the removal"
	python3 - "$AUDIT" <<'PY' || fail "$2: audit"
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
human = [e for e in es if e.get("decision_source") == "human"]
assert len(human) == 2, [(e["action_description"]) for e in human]
ex = [e for e in es if e.get("action_class") == "exec"]
hid = ex[0]["entry_id"]  # the head: the shim as the user typed it
hops = [e for e in ex if e["metadata"].get("exec_chain", {}).get("head") == hid]
names = [e["action_name"] for e in hops]
assert hops and names[-1].startswith("python3"), names
# one decision: a human approved the head and the final program is
# covered by it, or the head needed nobody and the human was asked once,
# for the program the chain ends in
final = hops[-1]
if ex[0]["decision_source"] == "human":
    assert final["decision_source"] == "chain:" + hid, (final["decision_source"], names)
else:
    assert final["decision_source"] == "human", (final["decision_source"], names)
assert all(e["verdict"] == "approved" for e in [ex[0]] + hops)
assert human[1]["action_class"] == "unlink", human[1]["action_description"]
PY
	[ ! -e "$AW/HELDME.txt" ] || fail "$2: the file was not removed"
}
echo yes >"$AW/yes.txt"; chmod 644 "$AW/yes.txt"
config socket
prompts "$SH/shims/python3" shim
# the tty renderer, in a real terminal (tmux): the same two prompts
if command -v tmux >/dev/null; then
	TM="tmux -L attesta-chain-$$"
	trap '$TM kill-server 2>/dev/null; rm -rf "$SH"; approve_cleanup' EXIT
	config tty
	sed -i '/approval_group:/d' "$AW/attesta.yaml"
	rm -f "$AUDIT"
	echo x >"$AW/HELDME.txt"
	printf '%s\n' "cd '$AW' && '$RUN' -c '$AW/attesta.yaml' --renderer tty -- '$SH/shims/python3' -c '$CODE' 2>'$AW/tty.err'" \
		'echo RUN-EXIT $?' 'sleep 60' >"$AW/tty-run.sh"
	$TM new-session -d -s t -x 160 -y 60 "bash $AW/tty-run.sh"
	screen() { $TM capture-pane -p -t t -S -300; }
	wait_screen() {
		k=0
		while ! screen | grep -q -- "$1"; do
			k=$((k + 1)); [ $k -gt 150 ] && { screen | tail -30 >"$AW/screen.out"; return 1; }
			sleep 0.1
		done
	}
	n=0 waited=0
	while ! screen | grep -q "RUN-EXIT" && [ $n -le 4 ] && [ $waited -lt 300 ]; do
		if screen | grep -q "held call #$((n + 1)): \(exec\|unlink\)"; then
			n=$((n + 1))
			$TM send-keys -t t yes Enter
			wait_screen "session? \[y/N\]" || fail "tty: no session question for #$n"
			$TM send-keys -t t n Enter
			wait_screen "held call #$n: APPROVED" || fail "tty: #$n not approved"
		fi
		waited=$((waited + 1))
		sleep 0.1
	done
	wait_screen "RUN-EXIT 0" || fail "tty: attesta-run did not exit 0"
	screen | grep -q "^removed" || fail "tty: python did not run"
	[ $n = 2 ] || fail "tty: $n prompts, want 2: $(screen | grep 'held call #' | sort -u)"
	screen | grep -q "held call #1: exec" || fail "tty: the first prompt is not the exec"
	screen | grep -q "held call #2: unlink" || fail "tty: the second prompt is not the removal"
	[ ! -e "$AW/HELDME.txt" ] || fail "tty: the file was not removed"
	[ "$(audit_count 'e.get("decision_source") == "human"')" = 2 ] || fail "tty: not two human decisions"
	tty="the tty renderer, "
	$TM kill-server 2>/dev/null
fi
config socket
if [ -x /root/.pyenv/shims/python3 ] && /root/.pyenv/shims/python3 -c 'import sys' 2>/dev/null &&
	runuser -u attesta-t1 -- true 2>/dev/null; then
	prompts /root/.pyenv/shims/python3 pyenv
	real="and the real pyenv"
else
	real="(no real pyenv here)"
fi
pass "a shim chain is one decision (approval socket, ${tty:-}prompts counted); python3: low applies by the typed name; $real"
