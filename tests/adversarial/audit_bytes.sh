#!/bin/bash
# Log family: hostile bytes in what the agent names, against the record
# stage's fast paths (docs/BENCHMARKS.md, "Session 5": strings borrowed
# from the decoded action without a copy when printable, found sixteen or
# eight bytes at a time; entries built in key order and canonicalized
# once, the chain's members spliced in). The agent removes files whose
# names put a control byte, '"', '\', DEL, a lone continuation byte, a
# valid two-byte sequence, an encoded surrogate or 0xFF at every offset
# across those word boundaries (and the same in the argv of its exec).
# Each removal must be recorded under the exact bytes it removed
# (surrogateescape), every line must be the canonical form of itself,
# and the chain must verify with attesta and with the independent
# Python verifier (tests/audit_verify.py, json.dumps + hashlib).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
sed -i 's/^  overrides:/  overrides:\n    python3: low/' "$WS/attesta.yaml"
mkdir -p "$WS/bytes.d"

cat >"$WS/agent.py" <<'PY'
import os, sys
d = os.fsencode(sys.argv[1])
names = []
for bad in (b"\x01", b"\x1f", b"\n", b'"', b"\\", b"\x7f", b"\x80", b"\xc3\xa9",
            b"\xed\xb3\xbf", b"\xff"):
    for k in range(41):
        names.append(b"a" * k + bad + b"b" * (40 - k))
for n in names:
    open(os.path.join(d, n), "wb").close()
done = 0
for n in names:
    os.unlink(os.path.join(d, n))
    done += 1
print("RESULT unlinked rc=%d errno=0" % done)
PY

gate /usr/bin/python3 "$WS/agent.py" "$WS/bytes.d" $'argv-\x01"\\\x7f\x80\xff-tail'
[ "$RC" = 0 ] || { sed 's/^/  err: /' "$WS/err" | tail -5; fail "the agent exited $RC (want 0: every removal approved)"; }
[ "$(result_rc unlinked)" = 410 ] || fail "the agent removed $(result_rc unlinked) files, want 410"
[ -z "$(ls -A "$WS/bytes.d")" ] || fail "files left in bytes.d"

"$CLI" audit verify "$AUDIT" >"$WS/verify.out" 2>&1 ||
	{ sed 's/^/  verify: /' "$WS/verify.out"; fail "attesta audit verify rejects the log"; }
python3 "$(dirname "$0")/../audit_verify.py" "$AUDIT" >"$WS/pyverify.out" 2>&1 ||
	{ cat "$WS/pyverify.out"; fail "the independent Python verifier rejects the log"; }

python3 - "$AUDIT" "$WS/bytes.d" <<'PY' || fail "entries do not name the exact bytes, or a line is not canonical"
import json, os, sys
d = os.fsencode(sys.argv[2])
want = set()
for bad in (b"\x01", b"\x1f", b"\n", b'"', b"\\", b"\x7f", b"\x80", b"\xc3\xa9",
            b"\xed\xb3\xbf", b"\xff"):
    for k in range(41):
        want.add(os.path.join(d, b"a" * k + bad + b"b" * (40 - k)))
got, argv_ok = set(), False
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    e = json.loads(line)
    if json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=True) != line:
        print("not canonical:", line[:160]); sys.exit(1)
    if e.get("action_class") == "unlink" and e.get("verdict") == "approved":
        p = os.fsencode(e["path"])
        got.add(p)
    if e.get("action_class") == "exec" and e.get("argv"):
        argv_ok |= any(os.fsencode(a) == b'argv-\x01"\\\x7f\x80\xff-tail' for a in e["argv"])
missing = want - got
if missing:
    print("%d removals not recorded under their bytes, e.g. %r" % (len(missing), sorted(missing)[0]))
    sys.exit(1)
if not argv_ok:
    print("the exec's hostile argv is not recorded byte for byte"); sys.exit(1)
PY
pass "410 hostile names recorded byte for byte; canonical lines; chain verified by attesta and Python"
