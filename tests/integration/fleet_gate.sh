#!/bin/sh
# Fleet mode in attesta-run with the file registry (docs/fleet.md, "Fleet
# mode in attesta-run"): a verified bundle is the policy; advisory writes
# a would-deny shadow under the policy entry's id and never denies;
# enforce denies gated calls with "attestation: <sub-check>" while the
# program's ungated work goes on; a revoke reaches a running gate within
# 2 s; a bad signature, an unknown key, no key and an unreadable registry
# fail closed with their reason; a local config may not set policy keys.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "fleet_gate: no build directory"; exit 77; }
A=$BUILD/attesta
R=$BUILD/attesta-run
[ -x "$A" ] && [ -x "$R" ] || { echo "fleet_gate: not built"; exit 77; }
command -v python3 >/dev/null || { echo "fleet_gate: python3 needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-fleet-gate.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset ATTESTA_NODE_ID ATTESTA_BUNDLE_PUBKEY ATTESTA_ATTESTATION_MODE
fail() { echo "fleet_gate: FAIL: $*"; for f in out err; do [ -f "$f" ] && sed "s/^/  $f: /" "$f" | tail -15; done; exit 1; }

"$A" bundle keygen --out keys >/dev/null || fail keygen
"$A" bundle keygen --out other >/dev/null || fail keygen
cat > pol.yaml <<'Y'
policy:
  fail_mode: deny
risk:
  overrides:
    python3: low
gate:
  renderer: none
  agent_id: fleet-agent
domain: ops
Y
mkdir prof && printf 'name: ops\nbase_risk_floor: 0.0\n' > prof/ops.yaml
"$A" bundle pack --key keys/bundle.key --name web --version 1 --enrollment-ref ref-1 \
	--out b.tar pol.yaml prof/ops.yaml >/dev/null || fail pack
"$A" bundle pack --key other/bundle.key --name web --version 1 --enrollment-ref ref-1 \
	--out unknown-key.tar pol.yaml prof/ops.yaml >/dev/null || fail pack
python3 - <<'PY' || fail "tamper"
b = bytearray(open("b.tar", "rb").read())
i = b.index(b"manifest.sig") + 512      # the signature member's data
b[i] = ord("0") if b[i] != ord("0") else ord("1")
open("bad-sig.tar", "wb").write(bytes(b))
PY

# local config: node-local keys only (audit log per phase: $1)
local_cfg() {
	printf 'audit:\n  path: %s/%s\ntrust:\n  path: %s/trust.json\nattestation:\n  pubkey: keys/bundle.pub\n  registry: %s/reg/registry.json\n' \
		"$T" "$1" "$T" "$T" > local.yaml
}
local_cfg audit.jsonl
"$A" node enroll -c local.yaml --node-id n1 --enrollment-ref ref-1 >/dev/null || fail enroll
"$A" node enroll -c local.yaml --node-id n2 --enrollment-ref ref-typo >/dev/null || fail enroll

# agent: unlinks N files (gated), sleeping between (ungated), one line each
cat > agent.py <<'PY'
import os, sys, time
n, pause, tag = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
for i in range(n):
    p = "%s-%d" % (tag, i)
    open(p, "w").close()
    try:
        os.unlink(p)
        r = "ok"
    except PermissionError:
        r = "denied"
    print("%s %.3f" % (r, time.time()), flush=True)
    time.sleep(pause)
print("done", flush=True)
PY
run() { # run MODE NODE BUNDLE N PAUSE TAG
	"$R" -c local.yaml --attestation "$1" --node-id "$2" --bundle "$3" -- \
		"$PY" agent.py "$4" "$5" "$6" > out 2> err
}
# the interpreter itself (not a version-manager shim that execs more programs)
PY=$(python3 -c 'import sys; print(sys.executable)')
oks() { n=$(grep -c '^ok' "$1" 2>/dev/null); echo "${n:-0}"; }
count() { python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if eval(sys.argv[2]):
        n += 1
print(n)
PY
}

# --- the bundle is the policy: its agent_id, its profile --------------------
run enforce n1 b.tar 2 0 p || fail "enforce n1: rc $?"
[ "$(grep -c '^ok' out)" = 2 ] || fail "enforce, enrolled node: unlinks should pass"
grep -q "attestation enforce: allow" err || fail "no start-up attestation line"
[ "$(count audit.jsonl 'e.get("agent_id")=="fleet-agent" and e["action_class"]=="unlink" and e["verdict"]=="approved"')" = 2 ] ||
	fail "the bundle's config is not the policy"
[ "$(count audit.jsonl 'e["action_class"]=="attestation" and e["verdict"]=="allow"')" = 1 ] ||
	fail "no attestation status entry"

# --- advisory: a mis-enrolled node logs would-denies and keeps working ------
run advisory n2 b.tar 3 0 a || fail "advisory n2: rc $?"
[ "$(grep -c '^ok' out)" = 3 ] || fail "advisory denied a call"
grep -q "attestation advisory: attestation: enrollment_mismatch" err || fail "advisory stderr"
wd=$(count audit.jsonl 'e.get("would_deny") is True and e["reason"]=="attestation: enrollment_mismatch" and e["node_id"]=="n2"')
[ "$wd" -ge 4 ] || fail "advisory: $wd would-deny entries (want exec + 3 unlinks)"
id=$(python3 -c '
import json
for l in open("audit.jsonl"):
    e = json.loads(l)
    if e.get("would_deny") and e["action_class"] == "unlink":
        print(e["entry_id"]); break')
"$A" audit get "$id" audit.jsonl > out 2> err || fail "audit get"
python3 - <<'PY' || fail "audit get: want the policy entry and its shadow"
import json
es = [json.loads(l) for l in open("out") if l.strip()]
assert len(es) == 2, es
assert es[0]["verdict"] == "approved" and not es[0].get("would_deny") and es[0]["decision_source"] == "policy"
assert es[1]["verdict"] == "approved" and es[1]["would_deny"] is True
assert es[1]["reason"] == "attestation: enrollment_mismatch" and es[1]["decision_source"] == "attestation"
PY
"$A" audit inspect --reason-prefix attestation: audit.jsonl > out || fail "inspect"
[ "$(grep -c 'attestation: enrollment_mismatch' out)" -ge 4 ] || fail "inspect lists the would-denies"

# the soak report: non-zero, per node and reason
"$A" attestation report -c local.yaml > out 2> err; rc=$?
[ "$rc" = 1 ] || fail "report with would-denies: rc $rc"
grep -q "^n2  *attestation: enrollment_mismatch  *$wd$" out || fail "report row"
"$A" attestation report --audit audit.jsonl --json > out || [ $? = 1 ] || fail "report --json"
python3 -c "import json; d=json.load(open('out')); assert d['total']==$wd and d['would_deny'][0]['node_id']=='n2', d" ||
	fail "report --json content"
"$A" attestation report --audit nonexistent.jsonl > out 2> err; rc=$?
[ "$rc" = 3 ] || fail "report on a missing log must not say zero: rc $rc"
"$A" attestation report --audit audit.jsonl --since 1x > out 2> err; rc=$?
[ "$rc" = 2 ] || fail "report --since 1x: rc $rc"

# re-enrolled: no more would-denies; the report over a fresh soak is zero
"$A" node enroll -c local.yaml --node-id n2 --enrollment-ref ref-1 >/dev/null || fail re-enroll
before=$(count audit.jsonl 'e.get("would_deny") is True')
local_cfg soak2.jsonl
run advisory n2 b.tar 2 0 a2 || fail "advisory n2 again"
[ "$(count soak2.jsonl 'e.get("would_deny") is True')" = 0 ] || fail "would-deny after re-enroll"
"$A" attestation report -c local.yaml > out 2> err || fail "report after re-enroll: rc $?"
grep -q "^0 advisory would-deny entries$" out || fail "report zero line"
local_cfg audit.jsonl

# --- enforce: revoke while the agent runs; denied within 2 s ---------------
"$R" -c local.yaml --attestation enforce --node-id n1 --bundle b.tar -- \
	"$PY" agent.py 40 0.1 r > out 2> err &
pid=$!
i=0; while [ "$(oks out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
revoked_at=$(python3 -c 'import time; print("%.3f" % time.time())')
"$A" node revoke -c local.yaml --node-id n1 >/dev/null || fail revoke
wait $pid; rc=$?
[ "$rc" = 0 ] || fail "enforce agent: rc $rc"
grep -q '^done' out || fail "the agent's ungated work did not go on"
first=$(awk '$1=="denied"{print $2; exit}' out)
[ -n "$first" ] || fail "no call denied after the revoke"
python3 -c "import sys; d=$first-$revoked_at; print('revoke -> deny: %.2f s' % d); sys.exit(d > 2.0)" ||
	fail "revoke reached the gate too late"
[ "$(awk '$1=="denied"' out | wc -l)" -ge 10 ] || fail "not every later call was denied"
awk -v f="$first" '$1=="ok" && $2 > f {bad=1} END {exit bad}' out || fail "a call passed after the deny"
[ "$(grep -c 'attestation enforce: attestation: revoked' err)" = 1 ] || fail "stderr: the reason once"
[ "$(count audit.jsonl 'e["action_class"]=="unlink" and e["verdict"]=="denied" and e["reason"]=="attestation: revoked" and e["decision_source"]=="attestation"')" -ge 10 ] ||
	fail "enforce denies not audited"

# --- a newer bundle reaches the running gate: replaced file ------------------
"$A" node enroll -c local.yaml --node-id n1 --enrollment-ref ref-1 >/dev/null || fail re-enroll n1
sed 's/^risk:$/risk:\n  amplifiers:\n    - pattern: "RELOADED"\n      target: path\n      boost: 1.0/' pol.yaml > pol2.yaml
"$A" bundle pack --key keys/bundle.key --name web --version 2 --enrollment-ref ref-1 \
	--out b2.tar pol2.yaml prof/ops.yaml >/dev/null || fail "pack v2"
cp b.tar live.tar
"$R" -c local.yaml --attestation enforce --node-id n1 --bundle live.tar -- \
	"$PY" agent.py 40 0.1 RELOADED > out 2> err &
pid=$!
i=0; while [ "$(oks out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
published_at=$(python3 -c 'import time; print("%.3f" % time.time())')
cp b2.tar live.tar.tmp && mv live.tar.tmp live.tar
wait $pid || fail "reload agent: rc $?"
first=$(awk '$1=="denied"{print $2; exit}' out)
[ -n "$first" ] || fail "the new bundle's policy did not reach the running gate"
python3 -c "import sys; d=$first-$published_at; print('publish -> new policy: %.2f s' % d); sys.exit(d > 2.0)" ||
	fail "the new bundle reached the gate too late"
grep -q "policy: bundle web@2 (live.tar) is now the policy" err || fail "reload not said"
[ "$(count audit.jsonl 'e["action_class"]=="attestation" and e["metadata"].get("bundle")=="web@2"')" -ge 1 ] ||
	fail "reload not audited"
[ "$(count audit.jsonl 'e["action_class"]=="unlink" and e["verdict"]=="denied" and e["decision_source"]=="fail_mode" and "RELOADED" in e["path"]')" -ge 5 ] ||
	fail "the new policy's denies"
# a replacement that does not verify fails closed at once
cp b.tar live.tar
"$R" -c local.yaml --attestation enforce --node-id n1 --bundle live.tar -- \
	"$PY" agent.py 40 0.1 sw > out 2> err &
pid=$!
i=0; while [ "$(oks out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
published_at=$(python3 -c 'import time; print("%.3f" % time.time())')
cp unknown-key.tar live.tar.tmp && mv live.tar.tmp live.tar
wait $pid || fail "bad replacement agent: rc $?"
first=$(awk '$1=="denied"{print $2; exit}' out)
[ -n "$first" ] && python3 -c "import sys; sys.exit($first-$published_at > 2.0)" ||
	fail "a replaced bundle that does not verify must deny within 2 s"
grep -q "attestation enforce: attestation: signature (new bundle live.tar fails" err || fail "bad replacement: reason"
# a bundle that changes what the filter was built from is not applied
sed 's/^gate:$/gate:\n  allow_io_uring: true/' pol.yaml > pol3.yaml
"$A" bundle pack --key keys/bundle.key --name web --version 3 --enrollment-ref ref-1 \
	--out b3.tar pol3.yaml prof/ops.yaml >/dev/null || fail "pack v3"
cp b.tar live.tar
"$R" -c local.yaml --attestation enforce --node-id n1 --bundle live.tar -- \
	"$PY" agent.py 25 0.1 f3 > out 2> err &
pid=$!
i=0; while [ "$(oks out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
cp b3.tar live.tar.tmp && mv live.tar.tmp live.tar
wait $pid || fail "filter change agent: rc $?"
grep -q "new bundle live.tar not applied: it changes gate.allow_io_uring" err || fail "filter change not refused"
[ "$(grep -c '^ok' out)" = 25 ] || fail "filter change: the old policy must go on"

# --- back to advisory: works, would-denies logged -----------------------------
run advisory n1 b.tar 2 0 back || fail "advisory again"
[ "$(grep -c '^ok' out)" = 2 ] || fail "advisory after revoke denied"

# --- fail closed: bad signature, unknown key, no key, unreadable registry ----
"$A" node enroll -c local.yaml --node-id n1 --enrollment-ref ref-1 >/dev/null
run enforce n1 bad-sig.tar 1 0 s; rc=$?
[ "$rc" = 126 ] || fail "bad signature: rc $rc"
grep -q "attestation: signature" err && grep -q "bad_signature" err || fail "bad signature: reason"
run enforce n1 unknown-key.tar 1 0 s; rc=$?
[ "$rc" = 126 ] && grep -q "attestation: signature" err || fail "unknown key: rc $rc"
grep -q "keys/bundle.pub" err || fail "unknown key: which key"
sed -i '/pubkey/d' local.yaml
run enforce n1 b.tar 1 0 s; rc=$?
[ "$rc" = 126 ] && grep -q "looked for \$ATTESTA_BUNDLE_PUBKEY and attestation.pubkey" err ||
	fail "no key: rc $rc, must say which key it looked for"
ATTESTA_BUNDLE_PUBKEY=$T/nokey.pub run enforce n1 b.tar 1 0 s; rc=$?
[ "$rc" = 126 ] && grep -q "nokey.pub' (from \$ATTESTA_BUNDLE_PUBKEY)" err || fail "missing key file"
unset ATTESTA_BUNDLE_PUBKEY
run off n1 bad-sig.tar 1 0 s; rc=$?
[ "$rc" = 125 ] || fail "mode off with a bad bundle must not run: rc $rc"
local_cfg audit.jsonl
cp reg/registry.json reg.good
echo '{"version": 1, "nodes": [' > reg/registry.json
run enforce n1 b.tar 1 0 s; rc=$?
[ "$rc" = 126 ] && grep -q "attestation: not_enrolled.*cannot read registry" err ||
	fail "unreadable registry: rc $rc"
run advisory n1 b.tar 1 0 s || fail "advisory with an unreadable registry must run"
cp reg.good reg/registry.json
[ "$(count audit.jsonl 'e["verdict"]=="denied" and e["reason"]=="attestation: signature"')" -ge 4 ] ||
	fail "signature denies audited"

# --- a local config may not set policy keys --------------------------------
printf 'policy:\n  fail_mode: allow\n' >> local.yaml
run enforce n1 b.tar 1 0 s; rc=$?
[ "$rc" = 125 ] && grep -q "local.yaml:[0-9]*:[0-9]*: 'policy' cannot be set in a local config" err ||
	fail "policy key in the local config: rc $rc"
local_cfg audit.jsonl
printf 'gate:\n  renderer: tty\n' >> local.yaml
run enforce n1 b.tar 1 0 s; rc=$?
[ "$rc" = 125 ] && grep -q "local.yaml:9:3: 'gate.renderer' cannot be set" err || fail "gate.renderer: rc $rc"

"$A" audit verify audit.jsonl > out 2> err || fail "audit verify"
echo "fleet_gate: ok"
