#!/usr/bin/env python3
"""Regenerate canon.tsv: each line is INPUT<TAB>EXPECTED, where EXPECTED is
what Python's json.dumps(json.loads(INPUT), sort_keys=True,
separators=(",", ":"), ensure_ascii=True) prints. Run from this directory:
python3 gen_canon.py > canon.tsv"""
import json, random, struct

def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

objs = [
    None, True, False, 0, 1, -1, 12345678901234567890123, -9007199254740993,
    0.0, -0.0, 0.1, 83.6, 1e-05, 1e+16, 1e15, 100.0, 1.5, 0.0001, 0.00001234,
    123456789012345.6, 9999999999999998.0, 1.7976931348623157e308, 5e-324,
    2.2250738585072014e-308, float("nan"), float("inf"), float("-inf"), 1/3, 2/3,
    0.30000000000000004, 1e22, 1e21, 1e-7, 1700000000.123456, 0.5, 3.14159,
    "", "plain", "quote\" back\\ slash/", "\n\r\t\b\f\x00\x01\x1f\x7f", "caf\u00e9",
    "\u2028\u2029", "\U0001F600 emoji", "\U00010000\U0010FFFF", "\ud800", "\udfff",
    "\udc80\udcff", b"/tmp/\xff\xfe\x80name".decode("utf-8", "surrogateescape"),
    "\ud83d\ude00", "\uffff\ufffe",
    [], {}, [1, 1.0, "1"], {"b": 1, "a": 2, "A": 3, "_": 4, "aa": 5, "": 6},
    {"\u00e9": 1, "e": 2, "\U0001F600": 3, "\uffff": 4, "\ud800": 5, "z": 6},
    {"nested": {"z": [1, {"y": 2.5, "x": None}], "a": True}},
    {"entry_id": "0123456789abcdef0123456789abcdef", "risk_score": 0.72,
     "review_duration_seconds": 12.0, "metadata": {"argv": ["rm", "-rf", "/tmp/\udcff"]}},
]
random.seed(7)
for _ in range(300):
    d = struct.unpack("<d", random.getrandbits(64).to_bytes(8, "little"))[0]
    objs.append(d)
for _ in range(100):
    objs.append(round(random.uniform(0, 1000), random.randint(0, 6)))
    objs.append(random.uniform(-1e-6, 1e-6))

for o in objs:
    try:
        text = json.dumps(o, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(o)
    print(text + "\t" + canon(o))

# raw lexical forms
raw = ['1E5', '-0', '-0.0', '0.10000000000000001', '1e400', '-1e400', '1.0e-3',
       '{"a":1,"a":2}', '{"b":[1,2],"b":{"c":3}}', '"\\u00E9\\u00e9"',
       '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00\\ud83d"', '"\\/"',
       ' { "k" : [ 1 , 2 ] } ', '123456789012345678901234567890', '2.5E+10',
       '"\\u0000"', '1e-5', '1.10', '1000000000000000000000.0']
for t in raw:
    print(t + "\t" + canon(json.loads(t)))
