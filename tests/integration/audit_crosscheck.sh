#!/bin/sh
# The audit chain both ways: a log written by our writer is verified by an
# independent Python stdlib verifier (tests/audit_verify.py), and a log
# written by Python the way the reference SDK does (non-ASCII, emoji,
# non-UTF-8 path bytes, the float forms, non-canonical lines) is verified
# by `attesta audit verify`. Tampering must make both fail.
set -u
B=${BUILD:-build}
ATTESTA=$B/attesta
WRITER=$B/tools/audit_writer
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -x "$ATTESTA" ] && [ -x "$WRITER" ] || { echo "FAIL: build $ATTESTA and $WRITER first"; exit 1; }
T=$(mktemp -d /tmp/audit_crosscheck.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ours -> python
"$WRITER" -t "agent-\303\251" "$T/ours.jsonl" 200 >/dev/null || fail "writer"
"$WRITER" -k deny -t second "$T/ours.jsonl" 50 >/dev/null || fail "writer (deny)"
python3 tests/audit_verify.py "$T/ours.jsonl" >/dev/null || fail "python rejects our log"
"$ATTESTA" audit verify --log "$T/ours.jsonl" >/dev/null || fail "attesta rejects our log"

# ours with a key -> python with the key
umask 077
printf 'integration-key' > "$T/key"
"$WRITER" -K "$T/key" "$T/keyed.jsonl" 20 >/dev/null || fail "keyed writer"
python3 tests/audit_verify.py "$T/keyed.jsonl" "$T/key" >/dev/null || fail "python rejects macs"
"$ATTESTA" audit verify --key "$T/key" --log "$T/keyed.jsonl" >/dev/null || fail "attesta rejects macs"

# with a key, an attacker who edits entry 3 and recomputes the plain chain
# (keeping or stripping the macs) and rewrites the head is still caught
python3 - "$T/keyed.jsonl" "$T/forged.jsonl" <<'PY' || fail "forging script"
import hashlib, json, sys
prev, out = "0" * 64, []
for i, line in enumerate(open(sys.argv[1])):
    e = json.loads(line)
    if i == 3:
        e["verdict"] = "denied"
    if i == 5:
        e.pop("mac")
    e.pop("chain_hash")
    mac = e.pop("mac", None)
    e["previous_hash"] = prev
    prev = hashlib.sha256((prev + json.dumps(e, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
    e["chain_hash"] = prev
    if mac:
        e["mac"] = mac
    out.append(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n")
open(sys.argv[2], "w").writelines(out)
open(sys.argv[2] + ".head", "w").write('{"count":%d,"last_hash":"%s"}\n' % (len(out), prev))
PY
# without the key, verify must not call it intact (the macs are unchecked)
"$ATTESTA" audit verify --no-head --log "$T/forged.jsonl" >"$T/out"; rc=$?
[ $rc -eq 2 ] && grep -q 'MACs not checked: no key (audit.hmac_key_file)' "$T/out" ||
	fail "macs and no key: exit $rc, want 2 and 'MACs not checked': $(cat "$T/out")"
grep -q 'chain intact' "$T/out" && fail "macs and no key reported as intact"
# --no-mac asks for the plain chain on purpose, which a rewrite keeps valid
"$ATTESTA" audit verify --no-mac --no-head --log "$T/forged.jsonl" >"$T/out" ||
	fail "a recomputed plain chain is a valid plain chain (the key is what catches it)"
grep -q 'MACs not checked (--no-mac)' "$T/out" || fail "--no-mac without its note: $(cat "$T/out")"
"$ATTESTA" audit verify --json --key "$T/key" --log "$T/forged.jsonl" > "$T/out"; rc=$?
[ $rc -eq 1 ] || fail "forged keyed log: exit $rc"
grep -q '"line":3,"problem":"bad_mac"' "$T/out" || fail "forged entry 3 not reported: $(cat "$T/out")"
grep -q '"line":5,"problem":"missing_mac"' "$T/out" || fail "stripped mac not reported"
grep -q '"problem":"head_invalid"' "$T/out" || fail "unMACed head not reported"
python3 tests/audit_verify.py "$T/forged.jsonl" "$T/key" >/dev/null && fail "python misses forged macs"
# a bad key file is exit 2, never a silent downgrade
chmod 644 "$T/key"
"$ATTESTA" audit verify --key "$T/key" --log "$T/keyed.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "world-readable key: exit $rc, want 2"
"$WRITER" -K "$T/key" "$T/keyed2.jsonl" 1 >/dev/null 2>&1 && fail "writer accepted a world-readable key"
chmod 600 "$T/key"

# python -> ours
python3 tests/data/audit/make_python_log.py "$T/py.jsonl" || fail "python log"
python3 tests/audit_verify.py "$T/py.jsonl" >/dev/null || fail "python rejects its own log"
out=$("$ATTESTA" audit verify --log "$T/py.jsonl") || fail "attesta rejects the python log: $out"
"$ATTESTA" audit verify --json --log "$T/py.jsonl" | grep -q '"intact":true,"total":5' ||
	fail "verify --json"

# tampering: change one character of a float in entry 2 of each log
sed '3s/"risk_score":0\.1[0-9]*/"risk_score":0.5/' "$T/ours.jsonl" > "$T/bad.jsonl"
cmp -s "$T/ours.jsonl" "$T/bad.jsonl" && fail "tamper edit did nothing"
python3 tests/audit_verify.py "$T/bad.jsonl" >/dev/null && fail "python misses an edit"
"$ATTESTA" audit verify --no-head --log "$T/bad.jsonl" > "$T/out"; rc=$?
[ $rc -eq 1 ] || fail "attesta verify exit $rc on an edited log"
grep -q "broken lines: 2$" "$T/out" || { cat "$T/out"; fail "wrong broken index"; }
sed '1s/"risk_score":0.1/"risk_score":0.10/' "$T/py.jsonl" > "$T/py-same.jsonl"
"$ATTESTA" audit verify --log "$T/py-same.jsonl" >/dev/null ||
	fail "0.10 and 0.1 are the same float: the line must still verify"
sed '1s/"risk_score":0.1/"risk_score":0.2/' "$T/py.jsonl" > "$T/py-bad.jsonl"
"$ATTESTA" audit verify --log "$T/py-bad.jsonl" >/dev/null; rc=$?
[ $rc -eq 1 ] || fail "attesta verify exit $rc on an edited python log"

# an unreadable log is exit 2
"$ATTESTA" audit verify --log "$T/missing.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "missing log gives $rc, want 2"
echo "ok: audit crosscheck"
