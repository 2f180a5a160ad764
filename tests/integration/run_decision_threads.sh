#!/bin/bash
# Decision threads (docs/attesta-run.md, "Decision threads"): 4 processes
# of 8 threads make gated calls at once under 4 decision threads — unlink,
# rename, connect, sendto (allowed and denied), an unlink that needs a
# human (denied by renderer none through fail_mode; with the approval
# socket and nobody answering, held and timed out: the call handed to the
# loop thread), and execs (allowed and denied; decided and traced by
# the decision thread that receives them, exec_watch.c). Every answer must be right (tests/helpers/
# gate_mix.c checks each one), the audit chain must verify, and there
# must be exactly one entry per decided call: none lost, none twice.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"
MIX=$HELPERS/gate_mix
[ -x "$MIX" ] || { echo "skip: $MIX not built"; exit 77; }
cp /bin/true "$WS/forbidden-tool"

write_config() { # RENDERER-LINES
	cat >"$WS/attesta.yaml" <<YAML
policy:
  fail_mode: deny
  timeout_seconds: 1
risk:
  overrides:
    forbidden-tool: critical
    gate_mix: low
    "true": low
  amplifiers:
    - pattern: "PROTECTED"
      target: path
      boost: 1.0
    - pattern: "NEEDHUMAN"
      target: path
      boost: 0.4
    - pattern: "127\\\\.0\\\\.0\\\\.2"
      target: host
      boost: 1.0
audit:
  path: $AUDIT
  sync: tiered
gate:
$1
  agent_id: it-agent
trust:
  path: $WS/trust.json
YAML
}

# check_run P T ITER EXEC_EVERY HUMAN_VERDICT: the audit has one entry per
# call; what needs a human (everything refused here) has HUMAN_VERDICT
check_run() {
	local p=$1 t=$2 it=$3 ev=$4 hv=$5
	local n=$((p * t * it)) nx=$((p * t * ((it + ev - 1) / ev)))
	grep -q '^BAD' "$WS/out" && fail "wrong answers: $(grep -c '^BAD' "$WS/out")"
	[ "$(grep -c '^P[0-9]* calls=[0-9]* bad=0$' "$WS/out")" = "$p" ] || fail "not every process reported"
	python3 - "$AUDIT" "$n" "$nx" "$hv" "$WS" <<'PY' || fail "audit entries do not match the calls"
import collections, json, sys
path, n, nx, hv, ws = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
count = collections.Counter()
seen = collections.Counter()
ids = collections.Counter()
for line in open(path, encoding="utf-8", errors="surrogateescape"):
    e = json.loads(line)
    ids[e.get("entry_id") or e.get("id") or line] += 1
    cls, v, p = e.get("action_class"), e.get("verdict"), e.get("path") or ""
    name = p.rsplit("/", 1)[-1]
    addr = e.get("address") or ""
    if cls == "unlink" and name.startswith("u_"):
        key = ("unlink", v)
    elif cls == "unlink" and name.startswith("d_") and "/PROTECTED/" in p:
        key = ("unlink-protected", v)
    elif cls == "unlink" and name.startswith("NEEDHUMAN_"):
        key = ("unlink-human", v)
    elif cls == "rename" and name.startswith("r_"):
        key = ("rename", v)
    elif cls in ("connect", "sendto") and addr.startswith("127.0.0.1:"):
        key = (cls, v)
    elif cls in ("connect", "sendto") and addr.startswith("127.0.0.2:"):
        key = (cls + "-denied", v)
    elif cls == "exec" and p.endswith("/true"):
        key = ("exec", v)
    elif cls == "exec" and p.endswith("/forbidden-tool"):
        key = ("exec-denied", v)
    else:
        continue
    count[key] += 1
    if cls in ("unlink", "rename"):
        seen[p] += 1
# every denied kind needs a human (medium or critical): hv says how it ends
want = {
    ("unlink", "approved"): n, ("unlink-protected", hv): n,
    ("unlink-human", hv): n, ("rename", "approved"): n,
    ("connect", "approved"): n, ("connect-denied", hv): n,
    ("sendto", "approved"): n, ("sendto-denied", hv): n,
    ("exec", "approved"): nx, ("exec-denied", hv): nx,
}
bad = False
for k in sorted(set(want) | set(count)):
    if count[k] != want.get(k, 0):
        print(f"  {k}: {count[k]} entries, want {want.get(k, 0)}")
        bad = True
twice = [p for p, c in seen.items() if c != 1]
if twice:
    print(f"  {len(twice)} paths with more than one entry, e.g. {twice[0]}")
    bad = True
dup = [i for i, c in ids.items() if c != 1]
if dup:
    print(f"  {len(dup)} entry ids used twice")
    bad = True
sys.exit(1 if bad else 0)
PY
	verify_chain
}

run_mix() { # P T ITER EXEC_EVERY
	rm -rf "$WS/mix"
	mkdir -p "$WS/mix/ok" "$WS/mix/PROTECTED"
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	( cd "$WS" && ATTESTA_DECISION_THREADS=4 "$RUN" -c "$WS/attesta.yaml" -- \
		"$MIX" "$WS/mix" "$PORT" "$@" ) >"$WS/out" 2>"$WS/err"
	RC=$?
}

# 1. renderer none: what needs a human is denied at once (fail_mode)
write_config "  renderer: none"
run_mix 4 8 15 5
expect_rc 0 "gate_mix, renderer none"
check_run 4 8 15 5 denied
expect_audit 0 'e.get("decision_source")=="human"' "no human decisions"
[ "$(audit_count 'e.get("action_class")=="unlink" and "NEEDHUMAN_" in e.get("path","") and e.get("decision_source")=="fail_mode"')" = 480 ] ||
	fail "the NEEDHUMAN unlinks were not settled by fail_mode"

# 2. the approval socket, nobody answering: each call that needs a human
# is held (the loop thread's), times out after 1 s and is denied
# (timed_out)
rm -f "$AUDIT" "$AUDIT".*
write_config "  renderer: socket
  approval_socket: $WS/sock/approve.sock"
run_mix 2 4 3 2
expect_rc 0 "gate_mix, approval socket"
check_run 2 4 3 2 timed_out
pass "4 decision threads: every answer right, one entry per call, chain intact"
