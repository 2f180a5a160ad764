#!/bin/sh
# attesta audit for operators (docs/audit.md):
#  - rubber-stamps counts human approvals only: automatic approvals
#    (decision_source policy, session:/scope: grants, fail_mode) never
#    are, a human one is, and an entry without decision_source (the
#    reference's log) counts as in the reference; stats agrees;
#  - inspect shows an exec's argv, not only its basename;
#  - --since / --until take the documented ISO-8601 forms and refuse
#    anything else with exit 2;
#  - a gzip-compressed rotated log (logrotate's compress) verifies:
#    intact, a forged one is broken, a truncated or corrupt stream is
#    unreadable (exit 2); export reads it too.
set -u
BUILD=${BUILD:-build}
B=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "audit_operator: no build directory"; exit 77; }
A=$B/attesta
RUN=$B/attesta-run
[ -x "$A" ] && [ -x "$RUN" ] || { echo "audit_operator: build first"; exit 77; }
command -v python3 >/dev/null || { echo "audit_operator: python3 needed"; exit 77; }
command -v gzip >/dev/null || { echo "audit_operator: gzip needed"; exit 77; }
T=$(mktemp -d /tmp/attesta-audit-operator.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
failures=0
fail() { echo "audit_operator: FAIL: $*"; failures=$((failures + 1)); }
expect_rc() { want=$1; shift; "$@" >out.txt 2>err.txt; got=$?; [ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want: $(head -c 300 err.txt)"; }

# --- rubber stamps: a log of high-risk approvals decided in 0 s by
# different sources (readers do not verify the chain: a crafted log is
# enough to test the counting)
python3 - <<'PY'
import json
rows = [("policy", "a1"), ("session:7", "a2"), ("scope:3", "a3"), ("fail_mode", "a4"),
        ("human", "h1"), (None, "ref1")]
with open("stamps.jsonl", "w") as f:
    for src, eid in rows:
        e = {"entry_id": eid, "action_name": "deploy", "risk_score": 0.7, "risk_level": "high",
             "verdict": "approved", "review_duration_seconds": 0.0, "agent_id": "bot",
             "intercepted_at": "2026-12-07T10:00:00.000000+00:00"}
        if src is not None:
            e["decision_source"] = src
        f.write(json.dumps(e) + "\n")
PY
expect_rc 0 "$A" audit rubber-stamps --json stamps.jsonl
got=$(python3 -c 'import json; print(" ".join(sorted(e["entry_id"] for e in json.load(open("out.txt")))))')
[ "$got" = "h1 ref1" ] || fail "rubber stamps are '$got', want 'h1 ref1' (human and reference entries only)"
expect_rc 0 "$A" audit rubber-stamps stamps.jsonl
grep -q "^2 rubber stamp(s)" out.txt || fail "rubber-stamps summary: $(tail -1 out.txt)"
expect_rc 0 "$A" audit stats --json stamps.jsonl
[ "$(python3 -c 'import json; print(json.load(open("out.txt"))["rubber_stamps"])')" = 2 ] ||
	fail "stats counts rubber stamps differently: $(cat out.txt)"

# --- inspect shows argv (a real log written by attesta-run)
mkdir ws && : > ws/victim
"$RUN" --renderer none --audit real.jsonl -- /bin/sh -c 'exec /bin/rm -f ws/victim' >/dev/null 2>&1
expect_rc 0 "$A" audit inspect real.jsonl
grep -q "/bin/sh -c exec /bin/rm -f ws/victim" out.txt || fail "inspect does not show the argv: $(cat out.txt)"
grep -q "/bin/rm -f ws/victim" out.txt || fail "inspect does not show rm's argv: $(cat out.txt)"

# --- --since / --until: the documented forms only
for v in 2026-12-07 2026-12-07T10:00 "2026-12-07 10:00:00" 2026-12-07T10:00:00.5 \
	2026-12-07T10:00:00Z 2026-12-07T10:00:00+00:00; do
	expect_rc 0 "$A" audit export --since "$v" stamps.jsonl
	expect_rc 0 "$A" audit inspect --until "$v" stamps.jsonl
done
for v in yesterday 7d 12/07/2026 2026-12-7 2026-12-07T1 2026-12-07T10:00:00+0000 "" 1733565600; do
	expect_rc 2 "$A" audit export --since "$v" stamps.jsonl
	grep -q "invalid --since" err.txt || fail "--since '$v': $(cat err.txt)"
	expect_rc 2 "$A" audit stats --until "$v" stamps.jsonl
done
# Z is the +00:00 the entries are written with; a space is the T
expect_rc 0 "$A" audit export --since 2026-12-07T10:00:00Z stamps.jsonl
[ "$(wc -l < out.txt)" = 6 ] || fail "--since ...Z dropped entries: $(wc -l < out.txt)"
expect_rc 0 "$A" audit export --since "2026-12-07 10:00:01" stamps.jsonl
[ ! -s out.txt ] || fail "--since with a space kept earlier entries"

# --- compressed rotated logs
"$RUN" --renderer none --audit rot.jsonl -- /bin/true >/dev/null 2>&1
"$RUN" --renderer none --audit rot.jsonl -- /bin/true >/dev/null 2>&1
cp rot.jsonl rot.jsonl.1 && gzip -9 rot.jsonl.1
expect_rc 0 "$A" audit verify rot.jsonl.1.gz
grep -q "intact" out.txt || fail "compressed log not intact: $(cat out.txt)"
n=$(wc -l < rot.jsonl)
expect_rc 0 "$A" audit export rot.jsonl.1.gz
[ "$(wc -l < out.txt)" = "$n" ] || fail "export of the .gz: $(wc -l < out.txt) lines, want $n"
cp rot.jsonl.1.gz renamed.log && expect_rc 0 "$A" audit verify renamed.log
sed 's/"verdict": *"started"/"verdict":"approved"/; s/"verdict":"started"/"verdict":"approved"/' rot.jsonl | gzip > forged.gz
cmp -s forged.gz rot.jsonl.1.gz && fail "forgery did not change the log"
expect_rc 1 "$A" audit verify forged.gz
head -c 60 rot.jsonl.1.gz > trunc.gz
expect_rc 2 "$A" audit verify trunc.gz
python3 -c '
d = bytearray(open("rot.jsonl.1.gz", "rb").read()); d[len(d) // 2] ^= 0xff
open("corrupt.gz", "wb").write(d)'
expect_rc 2 "$A" audit verify corrupt.gz
printf 'garbage after the stream' | cat rot.jsonl.1.gz - > trailing.gz
expect_rc 2 "$A" audit verify trailing.gz

if [ "$failures" -ne 0 ]; then
	echo "audit_operator: $failures failure(s)"
	exit 1
fi
echo "audit_operator: ok"
