#!/bin/sh
# Fleet commands end to end (docs/fleet.md): bundle keygen / pack / verify,
# node enroll / revoke / rollout, attestation status, and attestation eval
# giving allow and every deny reason with its exit code; tampered and
# hostile bundles; a corrupt registry that must be an error naming the file.
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
[ -x "$A" ] || { echo "fleet_cli: $A not built"; exit 77; }
command -v python3 >/dev/null || { echo "fleet_cli: python3 needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-fleet-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset ATTESTA_NODE_ID ATTESTA_BUNDLE_PUBKEY
fail() { echo "fleet_cli: FAIL: $*"; exit 1; }
expect_rc() { want=$1; shift; "$@" >out.txt 2>err.txt; got=$?; [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "'$*' exited $got, want $want"; }; }
expect_out() { [ "$(cat out.txt)" = "$1" ] || { cat out.txt err.txt; fail "output '$(cat out.txt)', want '$1'"; }; }
json() { python3 -c "import json,sys; d=json.load(open('out.txt')); print($1)"; }
eval_is() { # eval_is RC REASON [extra args]
	rc=$1; reason=$2; shift 2
	expect_rc "$rc" "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub "$@"
	expect_out "$reason"
}

# --- keys and bundles ----------------------------------------------------
expect_rc 0 "$A" bundle keygen --out keys
[ "$(stat -c %a keys/bundle.key)" = 600 ] || fail "private key mode"
grep -q 'BEGIN PRIVATE KEY' keys/bundle.key || fail "private key PEM"
grep -q 'BEGIN PUBLIC KEY' keys/bundle.pub || fail "public key PEM"
grep -q '^fingerprint: sha256:[0-9a-f]\{64\}$' out.txt || fail "fingerprint"
expect_rc 1 "$A" bundle keygen --out keys          # never overwrites
expect_rc 0 "$A" bundle keygen --out other

mkdir profiles
printf 'policy:\n  fail_mode: deny\nattestation:\n  mode: advisory\n' > cfg.yaml
printf 'name: ops\nbase_risk_floor: 0.2\n' > profiles/ops.yaml
expect_rc 0 env SOURCE_DATE_EPOCH=1700000000 "$A" bundle pack --key keys/bundle.key --name web \
	--version 1.0 --enrollment-ref ref-1 --out b.tar cfg.yaml profiles/ops.yaml
[ "$(tar tf b.tar | tr '\n' ' ')" = "manifest.json manifest.sig attesta.yaml profiles/ops.yaml " ] ||
	fail "bundle members: $(tar tf b.tar)"
tar xOf b.tar manifest.json > manifest.json
python3 - <<'PY' || fail "manifest content"
import hashlib, json
m = json.load(open("manifest.json"))
assert m["schema_version"] == "1.2" and m["name"] == "web" and m["version"] == "1.0", m
assert m["created_at"] == "2023-11-14T22:13:20Z", m
assert m["provenance"]["enrollment_ref"] == "ref-1", m
assert m["files"]["attesta.yaml"] == hashlib.sha256(open("cfg.yaml", "rb").read()).hexdigest()
assert set(m["files"]) == {"attesta.yaml", "profiles/ops.yaml"}
PY
expect_rc 0 "$A" bundle verify --pubkey keys/bundle.pub b.tar
grep -q "bundle 'web' version '1.0'.*: ok" out.txt || fail "verify output"
expect_rc 1 "$A" bundle verify --pubkey other/bundle.pub b.tar
grep -q "signature does not verify" err.txt || fail "wrong key message"
expect_rc 0 "$A" bundle pack --key keys/bundle.key --name web --version 1.1 --out noref.tar cfg.yaml

# a config that does not load is never signed
printf 'policy:\n  fail_mod: deny\n' > bad.yaml
expect_rc 1 "$A" bundle pack --key keys/bundle.key --name w --version 1 --out x.tar bad.yaml
[ ! -e x.tar ] || fail "bad config was packed"
# a private key readable by others is refused
cp keys/bundle.key loose.key; chmod 644 loose.key
expect_rc 1 "$A" bundle pack --key loose.key --name w --version 1 --out x.tar cfg.yaml
grep -q "accessible by group or others" err.txt || fail "loose key message"

# tampered member: same size, one byte changed
python3 - <<'PY'
data = bytearray(open("b.tar", "rb").read())
i = data.index(b"fail_mode: deny")
data[i + 11] = ord("a")
open("tampered.tar", "wb").write(data)
PY
expect_rc 1 "$A" bundle verify --pubkey keys/bundle.pub tampered.tar
grep -q "member 'attesta.yaml' does not match its sha256" err.txt || fail "tamper message"
# path traversal and symlink members (made with python's tarfile)
python3 - <<'PY'
import io, tarfile
for name, kind in (("evil.tar", "traversal"), ("link.tar", "symlink")):
    with tarfile.open(name, "w", format=tarfile.USTAR_FORMAT) as t:
        src = tarfile.open("b.tar")
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m))
        info = tarfile.TarInfo("../../etc/cron.d/x" if kind == "traversal" else "profiles/l.yaml")
        if kind == "symlink":
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/shadow"
            t.addfile(info)
        else:
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))
PY
expect_rc 1 "$A" bundle verify --pubkey keys/bundle.pub evil.tar
grep -q "invalid name" err.txt || { cat err.txt; fail "traversal message"; }
expect_rc 1 "$A" bundle verify --pubkey keys/bundle.pub link.tar
grep -q "is not a regular file" err.txt || { cat err.txt; fail "symlink message"; }

# --- enrollment ------------------------------------------------------------
expect_rc 1 "$A" attestation status --node-id n1
expect_out "$(printf '%-24s %-24s %-8s %s\n%-24s %-24s %-8s %s' NODE_ID ENROLLMENT_REF STATUS ROLLOUT_STATE n1 '<none>' '<none>' '<none>')"
[ ! -e .attesta/registry.json ] || fail "status must not create the registry"
eval_is 1 "attestation: not_enrolled" --node-id n1

expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-1
[ "$(stat -c %a .attesta/registry.json)" = 600 ] || fail "registry mode"
expect_rc 0 "$A" attestation status --node-id n1
grep -q '^n1  *ref-1  *active  *<none>$' out.txt || { cat out.txt; fail "status row"; }
expect_rc 0 "$A" attestation status --node-id n1 --json
[ "$(json 'd["enrollment_ref"], d["status"], d["rollout_state"], d["enrolled"]')" = "ref-1 active None True" ] ||
	fail "status json $(cat out.txt)"

# --- eval: allow and every reason ---------------------------------------------
eval_is 0 allow --node-id n1
expect_rc 0 env ATTESTA_NODE_ID=n1 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub
expect_rc 0 env ATTESTA_BUNDLE_PUBKEY=keys/bundle.pub "$A" attestation eval --bundle b.tar --node-id n1
expect_rc 1 "$A" attestation eval --bundle b.tar --node-id n1        # no trusted key
expect_out "attestation: signature"
eval_is 1 "attestation: signature" --node-id n1 --pubkey other/bundle.pub
expect_rc 1 "$A" attestation eval --bundle tampered.tar --pubkey keys/bundle.pub --node-id n1
expect_out "attestation: signature"
expect_rc 1 "$A" attestation eval --bundle evil.tar --pubkey keys/bundle.pub --node-id n1
expect_out "attestation: signature"
expect_rc 1 "$A" attestation eval --bundle noref.tar --pubkey keys/bundle.pub --node-id n1
expect_out "attestation: no_enrollment_ref"
expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-2
eval_is 1 "attestation: enrollment_mismatch" --node-id n1
expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-1
for s in pending acknowledged active; do
	expect_rc 0 "$A" node rollout --node-id n1 --state $s
	eval_is 0 allow --node-id n1
done
for s in rollback failed; do
	expect_rc 0 "$A" node rollout --node-id n1 --state $s
	eval_is 1 "attestation: rollout_state" --node-id n1
done
expect_rc 0 "$A" attestation status --node-id n1
grep -q '^n1  *ref-1  *active  *failed$' out.txt || fail "rollout shown"
expect_rc 0 "$A" node rollout --node-id n1 --state none
eval_is 0 allow --node-id n1
expect_rc 0 "$A" node revoke --node-id n1
eval_is 1 "attestation: revoked" --node-id n1
expect_rc 1 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub --node-id n1 --json
[ "$(json 'd["result"], d["reason"]')" = "deny attestation: revoked" ] || fail "eval json"
# re-enrolling a revoked node makes it active again
expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-1
eval_is 0 allow --node-id n1

# revoke / rollout of a node that is not enrolled
expect_rc 1 "$A" node revoke --node-id ghost
grep -q "node 'ghost' is not enrolled" err.txt || fail "revoke ghost message"
expect_rc 1 "$A" node rollout --node-id ghost --state active

# --- config and overrides --------------------------------------------------
cat > fleet.yaml <<'YAML'
attestation:
  node_id: n7
  registry: reg/nodes.json
  bundle: b.tar
YAML
expect_rc 0 "$A" node enroll -c fleet.yaml --enrollment-ref ref-1
[ -f reg/nodes.json ] || fail "-c did not pick attestation.registry"
expect_rc 0 "$A" attestation eval -c fleet.yaml --pubkey keys/bundle.pub
expect_out allow
expect_rc 1 env ATTESTA_NODE_ID=n8 "$A" attestation eval -c fleet.yaml --pubkey keys/bundle.pub
expect_out "attestation: not_enrolled"
expect_rc 0 "$A" node enroll --registry third.json --node-id n9 --enrollment-ref r
[ -f third.json ] || fail "--registry"

# --- corrupt registry: an error naming the file, never rewritten ------------
printf '{"version": 1, "nodes": [{"node_id": "n1"' > bad.json
expect_rc 1 "$A" attestation status --registry bad.json --node-id n1
grep -q "bad.json" err.txt || fail "corrupt registry message: $(cat err.txt)"
expect_rc 1 "$A" node enroll --registry bad.json --node-id n1 --enrollment-ref r
[ "$(cat bad.json)" = '{"version": 1, "nodes": [{"node_id": "n1"' ] || fail "corrupt registry rewritten"
expect_rc 1 "$A" attestation eval --registry bad.json --bundle b.tar --pubkey keys/bundle.pub --node-id n1
printf '{"version": 1, "nodes": [], "extra": 1}' > bad2.json
expect_rc 1 "$A" attestation status --registry bad2.json --node-id n1
grep -q "bad2.json: corrupt registry" err.txt || fail "unknown key message: $(cat err.txt)"

# --- usage errors ------------------------------------------------------------
expect_rc 2 "$A" node
expect_rc 2 "$A" node frob --node-id n1
expect_rc 2 "$A" node enroll --node-id n1
expect_rc 2 "$A" node rollout --node-id n1 --state sideways
expect_rc 2 "$A" node revoke
expect_rc 1 "$A" node enroll --node-id 'bad id' --enrollment-ref r
expect_rc 2 "$A" attestation eval --node-id n1
expect_rc 2 "$A" attestation status
expect_rc 2 "$A" bundle pack --key keys/bundle.key --out x.tar cfg.yaml
expect_rc 2 "$A" bundle verify b.tar
expect_rc 2 "$A" bundle keygen
# A password on the command line is readable by everyone in ps: refused
# before any connection, in both conninfo forms (docs/fleet.md).
for form in "host=/nonexistent dbname=x password=s3cret" "postgresql://u:s3cret@/x?host=/nonexistent"; do
	expect_rc 2 "$A" db init --database "$form"
	grep -q "must not hold a password" err.txt || fail "db init: no password message"
	expect_rc 2 "$A" node status --database "$form" --registry "postgresql:" --node-id n1
	expect_rc 2 "$A" bundle push --database "$form" b.tar
	expect_rc 2 "$A" approve --db 1 --database "$form"
	grep -q "must not hold a password" err.txt || fail "approve --db: no password message"
done
echo "fleet_cli: ok"
