#!/bin/bash
# Resource exhaustion of the gate: the agent keeps hundreds of calls
# waiting for a human (renderer socket), each holding a held-call record
# and a descriptor in the supervisor, with attesta-run started under a
# soft descriptor limit of 200 (as a user's `ulimit -n` may be). The
# approver must still reach the approval socket (`attesta pending`), the
# gate must still decide new calls (allowed removal done, protected one
# denied), and the flood must end denied and audited.
# Control: the supervisor's limit is real: a process under the same soft
# limit cannot hold 300 descriptors.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ -x "$CLI" ] || skip "$CLI not built"
F=$ADV/adv_flood
[ -x "$F" ] || fail "$F not built"
N=${ADV_FLOOD:-300}
SOCK=$WS/approve.sock
write_config "approval_socket: $SOCK"
sed -i 's/^  renderer: none/  renderer: socket/; s/^  fail_mode: deny/  fail_mode: deny\n  timeout_seconds: 25/;
	s/^  overrides:/  overrides:\n    adv_flood: low/' "$WS/attesta.yaml"

# control: 300 descriptors under a soft limit of 200 fail
( ulimit -S -n 200; python3 -c 'import os
fds = []
try:
    for i in range(300): fds.append(os.open("/dev/null", os.O_RDONLY))
    print("opened", len(fds))
except OSError as e:
    print("EMFILE after", len(fds))' ) >"$WS/native.out" 2>&1
grep -q EMFILE "$WS/native.out" || fail "control: a soft limit of 200 did not limit descriptors ($(cat "$WS/native.out"))"

: >"$WS/alive.txt"; echo secret >"$WS/PROTECTED.txt"; rm -f "$WS/flooding"
( ulimit -S -n 200; cd "$WS" && exec setsid -w timeout -k 5 120 "$RUN" -c "$WS/attesta.yaml" -- "$F" "$N" "$WS/forbidden-tool" ) \
	>"$WS/out" 2>"$WS/err" &
BG=$!
for _ in $(seq 600); do [ -e "$WS/flooding" ] && break; sleep 0.05; done
[ -e "$WS/flooding" ] || { kill "$BG"; fail "the flood did not start"; }
timeout 10 "$CLI" pending --json --socket "$SOCK" >"$WS/pending.json" 2>"$WS/pending.err"
PRC=$?
wait "$BG"; RC=$?
[ "$PRC" = 0 ] || fail "the approver could not list pending calls during the flood (attesta pending exited $PRC: $(head -2 "$WS/pending.err"))"
held=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WS/pending.json" 2>/dev/null || echo 0)
[ "$held" -gt 0 ] || fail "no call was held for the approver"
grep -q '^RESULT alive-allowed rc=0 ' "$WS/out" || fail "an allowed call was not decided during the flood"
grep -q '^RESULT alive-forbidden rc=-1 errno=1 ' "$WS/out" || fail "the protected removal was not denied during the flood"
expect_file PROTECTED.txt "flood"
expect_no_marker "flood"
grep -q "^RESULT held rc=$N " "$WS/out" || fail "not every held exec ended EPERM: $(grep '^RESULT held' "$WS/out")"
[ "$RC" = 0 ] || fail "attesta-run exited $RC"
expect_audit_min "$N" 'e.get("action_class") == "exec" and e.get("verdict") != "approved" and "forbidden-tool" in (e.get("path") or "")' "every held exec audited"
verify_chain
pass "$held held for the approver, the rest decided at once; the approver and the gate kept working"
