#!/bin/bash
# Escape family: the sandbox reaching the approval socket through the
# supervisor. An allowed AF_UNIX connect is performed by the supervisor
# (emulation), so the approval server would take the supervisor, not the
# sandbox, as its peer. The agent asks to connect to its own socket
# decoy.sock (held for a human), then tries to rename the approval socket
# onto decoy.sock while the call is held: a hard rule since renames are
# gated (refused with EPERM and audited), and the socket is a read-only
# bind in the sandbox besides (docs/attesta-run.md, "The gate's own
# files"). The test checks that, then makes the swap from outside the
# sandbox (as another process of the user could), and a human approves
# "connect to decoy.sock". The connect must fail (EPERM): the emulation
# refuses the approval socket by identity, not only by the name it had
# when decided.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ -x "$CLI" ] || skip "$CLI not built"
SOCK=$WS/approve.sock
write_config "approval_socket: $SOCK"
sed -i 's/^  renderer: none/  renderer: socket/; s/^  fail_mode: deny/  fail_mode: deny\n  timeout_seconds: 20/;
	s/^  overrides:/  overrides:\n    connect: medium\n    python3: low/' "$WS/attesta.yaml"

cat >"$WS/agent.py" <<PY
import os, socket, threading, time
os.chdir("$WS")
decoy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
decoy.bind("decoy.sock")
decoy.listen(4)
def swap():
    time.sleep(1.5)
    try:
        os.rename("$SOCK", "decoy.sock")  # refused: a gated rename of the gate's own file
        print("SWAPPED", flush=True)
    except OSError as e:
        print("SWAP refused", e.errno, flush=True)
threading.Thread(target=swap).start()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("decoy.sock")
    print("CONNECT ok", flush=True)
    s.sendall(b'{"op":"list"}\n')
    s.settimeout(2)
    print("REPLY", s.recv(200), flush=True)
except OSError as e:
    print("CONNECT failed", e.errno, flush=True)
PY
( cd "$WS" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" -c "$WS/attesta.yaml" -- \
	/usr/bin/python3 "$WS/agent.py" ) >"$WS/out" 2>"$WS/err" &
gate_pid=$!
for _ in $(seq 100); do grep -q "held #1 connect" "$WS/err" && break; sleep 0.1; done
grep -q "held #1 connect" "$WS/err" || { kill "$gate_pid"; fail "the connect to decoy.sock was not held"; }
for _ in $(seq 50); do grep -q "SWAP" "$WS/out" && break; sleep 0.1; done
grep -q "SWAP refused" "$WS/out" || { kill "$gate_pid"; fail "the agent's rename of the approval socket was not refused: $(cat "$WS/out")"; }
mv "$SOCK" "$WS/decoy.sock" || { kill "$gate_pid"; fail "cannot swap the socket from outside"; }
echo yes >"$WS/yes.txt"
"$CLI" approve 1 --socket "$WS/decoy.sock" --answers-file "$WS/yes.txt" >"$WS/approve.out" 2>&1 ||
	note "approve exited $?: $(head -2 "$WS/approve.out")"
wait "$gate_pid"
sed 's/^/  /' "$WS/out"
grep -q 'CONNECT ok' "$WS/out" && fail "the supervisor connected the sandbox to the approval socket"
grep -q 'CONNECT failed 1$' "$WS/out" || fail "the connect did not fail with EPERM"
grep -q 'SWAP refused 1$' "$WS/out" || fail "the rename of the approval socket was not refused"
expect_audit_min 1 'e.get("action_class") == "rename" and e.get("decision_source") == "hard_rule"' \
	"the refused rename of the approval socket is audited"
expect_audit_min 1 'e.get("action_class") == "connect" and e.get("verdict") == "approved"' \
	"the approved connect is audited"
verify_chain
pass
