#!/usr/bin/env python3
"""Write an audit log the way the reference SDK does (AuditEntry fields,
chain_hash = sha256(previous + json.dumps(entry without chain_hash,
sort_keys=True, separators=(",", ":")))), with the hard cases: non-ASCII
text, emoji, non-UTF-8 path bytes (surrogateescape), lone surrogates, the
float forms Python prints (0.1, 83.6, 1e-05, 1e+16, 100.0, -0.0, NaN,
Infinity), 1 versus 1.0 and big integers. Some lines are written in
non-canonical form (unsorted keys, spaces, raw UTF-8) so the verifier
must re-serialize them. usage: make_python_log.py OUT"""
import hashlib, json, sys, uuid

def entry(**kw):
    e = dict(entry_id=uuid.uuid4().hex, chain_hash="", previous_hash="", action_name="",
             action_description="", agent_id="", risk_score=0.0, risk_level="",
             challenge_type="", challenge_passed=None, approver_ids=[], verdict="",
             review_duration_seconds=0.0, min_review_met=True, intercepted_at="",
             decided_at="", executed_at="", session_id="", environment="", metadata={})
    e.update(kw)
    return e

path_bytes = b"/srv/d\xe9p\xf4t/\xff\xferaw"
cases = [
    entry(action_name="deploy", action_description="caf\u00e9 \u2014 na\u00efve", risk_score=0.1,
          risk_level="low", verdict="approved", review_duration_seconds=83.6),
    entry(action_name="emoji \U0001F680\U0001F600", risk_score=1e-05, risk_level="low",
          verdict="approved", metadata={"note": "\u65e5\u672c\u8a9e", "z": 1, "a": 1.0}),
    entry(action_name="rm", risk_score=100.0, review_duration_seconds=1e16, verdict="denied",
          metadata={"path": path_bytes.decode("utf-8", "surrogateescape"),
                    "argv": ["rm", "-rf", b"\x80\x81".decode("utf-8", "surrogateescape")]}),
    entry(action_name="floats", risk_score=-0.0, metadata={
        "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "big": 2 ** 70,
        "neg": -(2 ** 64), "tiny": 5e-324, "third": 1 / 3, "e22": 1e22, "e15": 1e15,
        "lone": "\ud800x\udfff", "ctrl": "\x00\x1f\x7f\t\n", "quote": "\"\\/"}),
    entry(action_name="approve", risk_level="critical", verdict="approved",
          review_duration_seconds=1.5, approver_ids=["al\u00efce", "bob"],
          challenge_type="multi_party", challenge_passed=True),
]
prev = "0" * 64
with open(sys.argv[1], "wb") as out:
    for i, e in enumerate(cases):
        e["previous_hash"] = prev
        d = dict(e)
        d.pop("chain_hash")
        e["chain_hash"] = hashlib.sha256(
            (prev + json.dumps(d, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
        prev = e["chain_hash"]
        if i % 2:
            # non-canonical on disk: unsorted, spaced, raw UTF-8 where it can be
            try:
                line = json.dumps(e, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                line = json.dumps(e).encode("ascii")
        else:
            line = json.dumps(e, sort_keys=True, separators=(",", ":")).encode("ascii")
        out.write(line + b"\n")
