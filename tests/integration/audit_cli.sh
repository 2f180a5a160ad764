#!/bin/sh
# `attesta audit export|stats|get|inspect|rubber-stamps` on a small log
# with known content, and the exit codes of verify with -c FILE.
set -u
B=${BUILD:-build}
ATTESTA=$B/attesta
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -x "$ATTESTA" ] || { echo "FAIL: build $ATTESTA first"; exit 1; }
T=$(mktemp -d /tmp/audit_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$T/log.jsonl" <<'PY'
import hashlib, json, sys
rows = [
    dict(entry_id="a" * 32, action_name="exec", action_class="exec", agent_id="bot",
         verdict="approved", risk_level="critical", risk_score=0.91,
         review_duration_seconds=1.5, intercepted_at="2026-01-01T10:00:00", reason="human"),
    dict(entry_id="b" * 32, action_name="unlink", action_class="unlink", agent_id="bot",
         verdict="denied", risk_level="high", risk_score=0.7,
         review_duration_seconds=0.0, intercepted_at="2026-01-02T10:00:00",
         reason="attestation: revoked"),
    dict(entry_id="b" * 32, action_name="unlink", action_class="unlink", agent_id="bot",
         verdict="approved", risk_level="high", risk_score=0.7, would_deny=True,
         review_duration_seconds=30.0, intercepted_at="2026-01-02T10:00:00",
         reason="attestation: not_enrolled"),
    dict(entry_id="c" * 32, action_name="connect", action_class="connect", agent_id="other",
         verdict="approved", risk_level="low", risk_score=0.1,
         review_duration_seconds=0.0, intercepted_at="2026-01-03T10:00:00",
         reason="auto, with \"quotes\", commas"),
]
prev = "0" * 64
with open(sys.argv[1], "w") as out:
    for r in rows:
        r["previous_hash"] = prev
        r["chain_hash"] = prev = hashlib.sha256(
            (prev + json.dumps(r, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
        out.write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
A() { "$ATTESTA" audit "$@" --log "$T/log.jsonl"; }

A verify >/dev/null || fail "verify"
[ "$(A export | grep -c '')" -eq 4 ] || fail "export jsonl"
A export --format json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 4' ||
	fail "export json is not a 4-element array"
A export --format csv --verdict approved > "$T/csv"
python3 - "$T/csv" <<'PY' || fail "export csv"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:3] == ["entry_id", "intercepted_at", "action_name"], rows[0]
assert len(rows) == 4, rows
assert rows[1][3] == "0.91" and rows[1][8] == "1.5", rows[1]
PY
[ "$(A export --agent other | grep -c '')" -eq 1 ] || fail "--agent"
[ "$(A export --action unlink | grep -c '')" -eq 2 ] || fail "--action"
[ "$(A export --since 2026-01-02 --until 2026-01-02T23 | grep -c '')" -eq 2 ] || fail "--since/--until"
[ "$(A inspect --json --reason-prefix attestation: | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "inspect --reason-prefix"
A inspect --reason-prefix attestation: | grep -q "attestation: not_enrolled" || fail "inspect table"
[ "$(A get "$(printf 'b%.0s' $(seq 32))" | grep -c '')" -eq 2 ] || fail "get (entry and its shadow)"
A get deadbeef >/dev/null 2>&1 && fail "get of an unknown id must fail"
A rubber-stamps | grep -q "1 rubber stamp" || fail "rubber-stamps default (high, 5s)"
A rubber-stamps --min-risk low --max-seconds 0 | grep -q "1 rubber stamp" || fail "rubber-stamps low/0s"
A rubber-stamps --json --min-risk high --max-seconds 60 |
	python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 2' || fail "rubber-stamps --json"
A stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["total"] == 4 and s["verdicts"] == {"approved": 3, "denied": 1}, s
assert s["rubber_stamps"] == 1, s' || fail "stats --json"

# -c FILE: the config names the log
printf 'audit:\n  path: %s\n' "$T/log.jsonl" > "$T/attesta.yaml"
"$ATTESTA" audit verify -c "$T/attesta.yaml" >/dev/null || fail "verify -c"
# a broken log: exit 1 and the index
sed '2s/"risk_score":0.7/"risk_score":0.71/' "$T/log.jsonl" > "$T/bad.jsonl"
"$ATTESTA" audit verify --log "$T/bad.jsonl" > "$T/out"; rc=$?
[ $rc -eq 1 ] || fail "broken log exit $rc"
grep -q "broken lines: 1$" "$T/out" || fail "broken index"
"$ATTESTA" audit verify --json --log "$T/bad.jsonl" | grep -q '"broken":\[1\]' || fail "verify --json broken"
# usage errors: exit 2
"$ATTESTA" audit frobnicate --log "$T/log.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "unknown subcommand"
"$ATTESTA" audit export --format xml --log "$T/log.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "bad format"
echo "ok: audit cli"
