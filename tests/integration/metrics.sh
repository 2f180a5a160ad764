#!/bin/sh
# `attesta metrics` (docs/audit.md "Metrics"): the Prometheus text format
# node_exporter's textfile collector reads, from a real audit log written
# by attesta-run and a crafted one (human reviews, several sources and
# environments), and the trust store: counts, histogram buckets, trust
# gauges, escaping of hostile label values, the series cap, --out
# written atomically with mode 0644, and errors (corrupt store: 1).
set -u
BUILD=${BUILD:-build}
B=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "metrics: no build directory"; exit 77; }
A=$B/attesta
RUN=$B/attesta-run
[ -x "$A" ] && [ -x "$RUN" ] || { echo "metrics: build first"; exit 77; }
command -v python3 >/dev/null || { echo "metrics: python3 needed"; exit 77; }
T=$(mktemp -d /tmp/attesta-metrics.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
failures=0
fail() { echo "metrics: FAIL: $*"; failures=$((failures + 1)); }

cat > parse.py <<'PY'
# Parse the text format strictly; print "name{k=v,...} value" per sample,
# labels sorted, so the shell can grep exact samples.
import re, sys
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(,|$)')
types = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert kind in ("counter", "gauge", "histogram"), line
        assert name not in types, "TYPE twice: " + name
        types[name] = kind
        continue
    m = sample.match(line)
    assert m, "line %d is not a sample: %r" % (n, line)
    base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
    assert m.group(1) in types or base in types, "sample before its TYPE: " + line
    labels, rest = [], m.group(3) or ""
    while rest:
        l = label.match(rest)
        assert l, "bad labels on line %d: %r" % (n, line)
        labels.append("%s=%s" % (l.group(1), l.group(2)))
        rest = rest[l.end():]
    float(m.group(4))
    print("%s{%s} %s" % (m.group(1), ",".join(sorted(labels)), m.group(4)))
PY
has() { grep -qxF -- "$1" samples.txt || fail "no sample '$1' in: $(cat samples.txt | head -40)"; }

# a real log: automatic approvals
"$RUN" --renderer none --audit real.jsonl -- /bin/sh -c '/bin/true; /bin/ls >/dev/null' >/dev/null 2>&1
"$A" metrics real.jsonl > real.prom || fail "metrics exited $?"
python3 parse.py real.prom > samples.txt || fail "real log: not the text format"
grep -q '^attesta_approvals_total{environment=development,risk_level=low,verdict=approved} [1-9]' samples.txt ||
	fail "no automatic approvals counted: $(cat samples.txt)"
want=$(python3 -c '
import json
n = sum(1 for l in open("real.jsonl") if json.loads(l)["action_class"] != "session")
print(n)')
has "attesta_audit_decisions{} $want"

# a crafted log: reviews by humans, sources, environments, a hostile label
python3 - <<'PY'
import json
rows = [
  ("approved", "high", "production", "human", 3.0),
  ("approved", "high", "production", "human", 40.0),
  ("denied", "high", "production", "human", 7.0),
  ("approved", "low", "production", "policy", 0.0),
  ("approved", "medium", "staging", "session:12", 0.0),
  ("denied", "medium", "staging", "fail_mode", 0.0),
  ("denied", "critical", "ci", "policy", 0.0),
  ("escalated", "medium", "ci", "fail_mode", 0.0),
  ("denied", "low", "ev\"il\\\nenv", "hard_rule", 0.0),
  ("approved", "critical", "development", None, 12.0),
]
with open("crafted.jsonl", "w") as f:
    f.write(json.dumps({"action_class": "session", "verdict": "started"}) + "\n")
    for i, (v, lvl, env, src, sec) in enumerate(rows):
        e = {"entry_id": "e%d" % i, "verdict": v, "risk_level": lvl, "environment": env,
             "review_duration_seconds": sec, "action_class": "exec"}
        if src is not None:
            e["decision_source"] = src
        f.write(json.dumps(e) + "\n")
PY
"$A" trust revoke evil >/dev/null && "$A" trust incident 'q"uote' >/dev/null || fail "store setup"
"$A" metrics --log crafted.jsonl > crafted.prom || fail "metrics exited $?"
python3 parse.py crafted.prom > samples.txt || fail "crafted log: not the text format"
has 'attesta_approvals_total{environment=production,risk_level=high,verdict=approved} 2'
has 'attesta_approvals_total{environment=production,risk_level=high,verdict=denied} 1'
has 'attesta_approvals_total{environment=ci,risk_level=medium,verdict=escalated} 1'
has 'attesta_approvals_total{environment=ev\"il\\?env,risk_level=low,verdict=denied} 1'
has 'attesta_denials_total{reason=human} 1'
has 'attesta_denials_total{reason=fail_mode} 2'
has 'attesta_denials_total{reason=policy} 1'
has 'attesta_denials_total{reason=hard_rule} 1'
grep -q 'reason=session' samples.txt && fail "an approval counted as a denial"
has 'attesta_review_duration_seconds_bucket{le=5,risk_level=high} 1'
has 'attesta_review_duration_seconds_bucket{le=10,risk_level=high} 2'
has 'attesta_review_duration_seconds_bucket{le=+Inf,risk_level=high} 3'
has 'attesta_review_duration_seconds_sum{risk_level=high} 50'
has 'attesta_review_duration_seconds_count{risk_level=high} 3'
has 'attesta_review_duration_seconds_count{risk_level=critical} 1'
grep -q 'attesta_review_duration_seconds_count{risk_level=low}' samples.txt &&
	fail "automatic decisions counted as reviews"
has 'attesta_trust_score{agent_id=evil} 0'
has 'attesta_trust_revoked{agent_id=evil} 1'
has 'attesta_trust_score{agent_id=q\"uote} 0.21'
has 'attesta_audit_decisions{} 10'

# a hostile log with 2000 environments: at most 256 series + "other"
python3 -c '
import json
with open("many.jsonl", "w") as f:
    for i in range(2000):
        f.write(json.dumps({"verdict": "denied", "risk_level": "low", "environment": "e%d" % i,
                            "decision_source": "policy", "action_class": "exec"}) + "\n")'
"$A" metrics many.jsonl > many.prom || fail "metrics exited $?"
python3 parse.py many.prom > samples.txt || fail "many: not the text format"
[ "$(grep -c '^attesta_approvals_total' samples.txt)" -le 257 ] || fail "series not capped"
has 'attesta_approvals_total{environment=other,risk_level=other,verdict=other} 1744'

# --out: atomic, 0644, same content
"$A" metrics --out out/../metrics.prom crafted.jsonl 2>err.txt && fail "--out into a missing directory worked"
"$A" metrics --out metrics.prom --log crafted.jsonl || fail "--out exited $?"
cmp -s metrics.prom crafted.prom || fail "--out differs from stdout"
[ "$(stat -c %a metrics.prom)" = 644 ] || fail "--out mode $(stat -c %a metrics.prom)"

# errors
printf '{"format":"attesta-trust","version":1,"agents":{"x": nope}}\n' > .attesta/trust.json
"$A" metrics crafted.jsonl >/dev/null 2>err.txt; rc=$?
[ "$rc" -eq 1 ] && grep -q "trust.json" err.txt || fail "corrupt store: exit $rc $(cat err.txt)"
"$A" metrics --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "usage error exit"
"$A" metrics a.jsonl b.jsonl >/dev/null 2>&1; [ $? -eq 2 ] || fail "two logs exit"

if [ "$failures" -ne 0 ]; then
	echo "metrics: $failures failure(s)"
	exit 1
fi
echo "metrics: ok"
