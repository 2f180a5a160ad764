#!/bin/bash
# Escape family: the sandbox approving its own held call. With renderer
# socket, the agent holds a forbidden removal in the background, then
# (1) connects to the approval socket itself and (2) runs `attesta
# pending` / `attesta approve ID --yes` (listed IDs and guesses 1..3) from inside the sandbox. Both must
# be refused (connecting to the approval socket from the sandbox is always
# denied; peers inside the sandbox are refused), the file must survive,
# and the held call must end denied / timed out in the audit log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ -x "$CLI" ] || skip "$CLI not built"
SOCK=$WS/approve.sock
write_config "approval_socket: $SOCK"
sed -i 's/^  renderer: none/  renderer: socket/; s/^  fail_mode: deny/  fail_mode: deny\n  timeout_seconds: 6/;
	s/^  overrides:/  overrides:\n    attesta: low\n    python3: low\n    agent.sh: low\n    sleep: low\n    rm: low/' "$WS/attesta.yaml"
gate /bin/true
if grep -qi 'not supported' "$WS/err"; then skip "attesta-run has no socket renderer yet: $(head -1 "$WS/err")"; fi
[ "$RC" = 0 ] || fail "attesta-run with renderer socket failed to run /bin/true (rc $RC)"

cat >"$WS/agent.sh" <<SH
#!/bin/bash
cd "$WS"
rm -f PROTECTED.txt & held=\$!
sleep 1.5
python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1]); print("APPROVAL-CONNECT ok")
except OSError as e:
    print("APPROVAL-CONNECT failed", e.errno)
PY
"$CLI" pending --json -c "$WS/attesta.yaml" >pending.json 2>pending.err; echo "PENDING rc=\$?"
for id in \$(python3 -c 'import json,sys
try: print(" ".join(str(x.get("id")) for x in json.load(open("pending.json"))))
except Exception: pass') 1 2 3; do
	yes "rm PROTECTED.txt removes the protected file from the workspace as asked" | "$CLI" approve "\$id" --yes -c "$WS/attesta.yaml" >>approve.out 2>&1
	echo "APPROVE \$id rc=\$?"
done
wait \$held; echo "HELD rc=\$?"
SH
chmod +x "$WS/agent.sh"
reset_targets
gate "$WS/agent.sh"
sed 's/^/  /' "$WS/out"
expect_file PROTECTED.txt "approval from inside the sandbox"
grep -q 'APPROVAL-CONNECT ok' "$WS/out" && fail "the sandbox connected to the approval socket"
grep -q 'APPROVE .* rc=0' "$WS/out" && fail "attesta approve from inside the sandbox succeeded"
grep -q '^APPROVE ' "$WS/out" || fail "the agent never tried attesta approve"
expect_audit_min 1 "$DENIED_PATH" "the held removal ended denied"
verify_chain
pass
