#!/usr/bin/env python3
"""Independent audit-chain verifier, Python stdlib only (docs/audit.md).
usage: audit_verify.py LOG [HMAC_KEY_FILE]   exit 0 intact, 1 broken"""
import hashlib, hmac, json, sys
prev, bad = "0" * 64, []
key = open(sys.argv[2], "rb").read() if len(sys.argv) > 2 else None
for i, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="surrogateescape")):
    if not line.strip():
        continue
    try:
        e = json.loads(line); stored = e.pop("chain_hash"); mac = e.pop("mac", None)
        canon = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        ok = stored == hashlib.sha256((prev + canon).encode()).hexdigest()
        if key is not None:
            ok = ok and mac == hmac.new(key, stored.encode(), "sha256").hexdigest()
        prev = stored
    except (ValueError, KeyError, AttributeError, TypeError):
        ok = False
    if not ok:
        bad.append(i)
print("intact" if not bad else "broken: %s" % bad)
sys.exit(1 if bad else 0)
