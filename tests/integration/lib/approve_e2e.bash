# Shared setup for tests/integration/approve_e2e_*.sh (sourced, bash, after
# lib/approve.bash): attesta-run with a human renderer, tools whose risk
# level is fixed by name (med-tool MEDIUM -> confirm, high-tool HIGH ->
# quiz, crit-tool CRITICAL -> multi-party), an audit log and trust store in
# $AW, and helpers to start PROG under the gate in the background.
RUN=$BUILD/attesta-run
[ -x "$RUN" ] || { echo "$TEST_NAME: skip: $RUN not built"; exit 77; }
# make asan: `attesta` run inside the gate (the sandboxed-approver case)
# gets the plain, unsanitized preload library in LD_PRELOAD ahead of its
# ASan runtime, and ASan's start-up check would abort it before it even
# tries to connect ("ASan runtime does not come first"). The preload
# library defines no allocator, so ASan still works with the check off.
if readelf -d "$ATTESTA" 2>/dev/null | grep -q 'libasan'; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	export ASAN_OPTIONS
fi
SOCK=$AW/sock/a.sock
AUDIT=$AW/audit.jsonl
for t in med-tool high-tool crit-tool; do
	printf '#!/bin/sh\necho "ran-%s $*"\n' "$t" >"$AW/$t"
	chmod 755 "$AW/$t"
done
echo data >"$AW/target.txt"

# write_config TIMEOUT [EXTRA-POLICY-LINE]
write_config() {
	cat >"$AW/attesta.yaml" <<YAML
policy:
  fail_mode: deny
  timeout_seconds: $1
  minimum_review_seconds: {low: 0, medium: 0, high: 1, critical: 2}
  ${2:-}
risk:
  overrides:
    med-tool: medium
    high-tool: high
    crit-tool: critical
    sh: low
    attesta: low
    gate_held_latency: low
  amplifiers:
    - pattern: "HELDME"
      target: path
      boost: 1.0
audit:
  path: $AUDIT
gate:
  renderer: socket
  approval_socket: $SOCK
  approval_group: $APPROVER_GROUP
  agent_id: e2e-agent
trust:
  path: $AW/trust.json
YAML
	chmod 644 "$AW/attesta.yaml"
}

# start_gate NAME CMD...: attesta-run CMD in the background in $AW;
# stdout $AW/NAME.out, stderr $AW/NAME.err; waits for the start-up line.
start_gate() {
	n=$1; shift
	( cd "$AW" && exec "$RUN" -c "$AW/attesta.yaml" -- "$@" ) </dev/null >"$AW/$n.out" 2>"$AW/$n.err" &
	BG_PID=$!
	wait_for "$AW/$n.err" "approval socket: $SOCK" || fail "attesta-run did not start"
}
# stop_gate: wait for attesta-run; sets GATE_RC.
stop_gate() { wait "$BG_PID"; GATE_RC=$?; BG_PID=; }

# audit_count PYEXPR: audit entries e for which PYEXPR holds.
audit_count() { json_count "$AUDIT" "$1"; }

# quiz_answers USER ID ANSWERS-PY-DICT > FILE: the answers for USER's
# part of held call ID, by question kind. A value "!X" picks the first
# option that is not X (a wrong answer that is still an option).
quiz_answers() {
	as "$1" "$ATTESTA" pending --socket "$SOCK" --json >"$AW/pending.out" || fail "pending as $1"
	python3 - "$AW/pending.out" "$2" "$3" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))
it = [i for i in items if i["id"] == int(sys.argv[2])][0]
ans = eval(sys.argv[3])
for q in it["questions"]:
    a = ans[q["kind"]]
    if a.startswith("!"):
        a = [o for o in q["options"] if o != a[1:]][0]
    print(a)
PY
}
