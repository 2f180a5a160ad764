#!/bin/sh
# `attesta audit` finds its config as attesta-run does (-c FILE, else
# ./attesta.yaml) and takes the log as a positional argument; verify never
# says "intact" for what it did not check (docs/audit.md).
#  - a MAC'd log written by attesta-run with the reference's infra-agent
#    config (tests/data/config/seeds/infra-agent-1.yaml, audit.path
#    .attesta/infra-audit.jsonl) plus a key: the four forms of verify (no
#    argument, positional LOG, -c FILE, --log PATH) agree: intact;
#  - the same log rewritten without the key (a verdict edited, the chain
#    and head recomputed; the old MACs kept, or stripped): broken in all four;
#  - MACs and no key: exit 2 "MACs not checked", in all four; --no-mac: 0
#    with a note;
#  - every `attesta audit` command of the reference documentation, as
#    written there (seeds: infra-agent-example, attestation-rollout).
set -u
B=${BUILD:-build}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
ATTESTA=$B/attesta
RUN=$B/attesta-run
SRC=$(pwd)
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -x "$ATTESTA" ] && [ -x "$RUN" ] || { echo "FAIL: build $ATTESTA and $RUN first"; exit 1; }
T=$(mktemp -d /tmp/audit_discovery.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/out" ] && sed 's/^/  out: /' "$T/out" | tail -15; exit 1; }
LOG=.attesta/infra-audit.jsonl

# --- a real MAC'd log, written by attesta-run found by ./attesta.yaml ------
mkdir "$T/good"
cd "$T/good" || exit 1
cp "$SRC/tests/data/config/seeds/infra-agent-1.yaml" attesta.yaml
printf '  hmac_key_file: "audit.key"\ngate:\n  renderer: none\n' >>attesta.yaml
(umask 077 && printf 'discovery-key' >audit.key)
printf '#!/bin/sh\necho deployed\n' >deploy_to_production
chmod +x deploy_to_production
"$RUN" -- ./deploy_to_production >"$T/out" 2>&1
rc=$?
[ $rc -eq 125 ] && grep -q 'seccomp\|notif' "$T/out" && { echo "skip: $(head -1 "$T/out")"; exit 77; }
[ $rc -eq 126 ] || fail "deploy_to_production (high, renderer none): exit $rc, want 126 (denied)"
"$RUN" -- sh -c 'echo hello' >"$T/out" 2>&1 || fail "a plain run under the gate"
[ -s "$LOG" ] || fail "attesta-run did not write audit.path of ./attesta.yaml"
grep -q '"mac":' "$LOG" || fail "no MACs in the log"

# verify4 DIR WANT_RC PATTERN: the four forms, run in DIR, all exit WANT_RC
# and print PATTERN; the first line of each is the same verdict.
verify4() {
	dir=$1 want=$2 pat=$3
	first=
	for form in none positional config log; do
		case $form in
		none) (cd "$dir" && "$ATTESTA" audit verify) ;;
		positional) (cd "$dir" && "$ATTESTA" audit verify "$LOG") ;;
		config) (cd "$dir" && "$ATTESTA" audit verify -c attesta.yaml) ;;
		log) (cd "$dir" && "$ATTESTA" audit verify --log "$LOG") ;;
		esac >"$T/out" 2>&1
		rc=$?
		[ $rc -eq "$want" ] || fail "verify ($form) in $dir: exit $rc, want $want"
		grep -q -- "$pat" "$T/out" || fail "verify ($form) in $dir lacks '$pat'"
		line=$(grep -v '^line\|^log:' "$T/out" | head -1)
		[ -z "$first" ] && first=$line
		[ "$line" = "$first" ] || fail "verify ($form) says '$line', another form '$first'"
	done
}

verify4 "$T/good" 0 'chain intact, macs valid'

# --- the reference documentation's commands, as written --------------------
# infra-agent-example: "Verify and query the infrastructure audit trail"
"$ATTESTA" audit verify .attesta/infra-audit.jsonl >"$T/out" 2>&1 || fail "seed: audit verify LOG"
"$ATTESTA" audit export --action "deploy_to_production" .attesta/infra-audit.jsonl >"$T/out" 2>&1 ||
	fail "seed: audit export --action X LOG"
[ "$(grep -c '"action_name":"deploy_to_production"' "$T/out")" = 1 ] || fail "export --action: want the one deploy entry"
grep -q '"action_name":"sh"' "$T/out" && fail "export --action let another action through"
"$ATTESTA" audit export --verdict denied .attesta/infra-audit.jsonl >"$T/out" 2>&1 ||
	fail "seed: audit export --verdict denied LOG"
grep -q '"action_name":"deploy_to_production"' "$T/out" || fail "export --verdict denied lacks the denied deploy"
grep -q '"verdict":"approved"' "$T/out" && fail "export --verdict denied printed an approval"
"$ATTESTA" audit rubber-stamps .attesta/infra-audit.jsonl >"$T/out" 2>&1 || fail "seed: audit rubber-stamps LOG"
# attestation-rollout: "autonomy audit get <audit_id>"
id=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["action_name"] == "deploy_to_production": print(e["entry_id"])' "$LOG")
[ -n "$id" ] || fail "no entry id"
"$ATTESTA" audit get "$id" >"$T/out" 2>&1 || fail "seed: audit get ID (config from ./attesta.yaml)"
grep -q "$id" "$T/out" || fail "audit get printed another entry"
"$ATTESTA" audit get "$id" "$LOG" >"$T/out" 2>&1 || fail "audit get ID LOG"
"$ATTESTA" audit get 00000000000000000000000000000000 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "audit get of a missing id: exit $rc, want 1"
# the other readers take the positional log too
"$ATTESTA" audit stats "$LOG" >"$T/out" 2>&1 || fail "audit stats LOG"
"$ATTESTA" audit inspect --verdict denied "$LOG" >"$T/out" 2>&1 || fail "audit inspect LOG"
grep -q deploy_to_production "$T/out" || fail "inspect LOG lacks the deploy"
# usage errors stay usage errors
"$ATTESTA" audit verify --log "$LOG" "$LOG" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--log and a positional log: exit $rc, want 2"
"$ATTESTA" audit verify --no-mac --key audit.key >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--no-mac with --key: exit $rc, want 2"
"$ATTESTA" audit verify --help | grep -q 'MACs not checked' || fail "verify --help does not say what it checks"

# --- forged without the key: broken in all four forms ----------------------
# forge SRC DST STRIP: edit the deploy entry's verdict to approved,
# recompute the chain and an unMACed head; keep the old MACs (STRIP=0) or
# strip them all (STRIP=1). Only the key can tell.
forge() {
	python3 - "$1" "$2" "$3" <<'PY' || fail "forger"
import hashlib, json, sys
src, dst, strip = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
prev, out = "0" * 64, []
for line in open(src):
    e = json.loads(line)
    if e["action_name"] == "deploy_to_production":
        e["verdict"] = "approved"
        e["reason"] = "approved by the forger"
    e.pop("chain_hash")
    mac = e.pop("mac", None)
    e["previous_hash"] = prev
    prev = hashlib.sha256((prev + json.dumps(e, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
    e["chain_hash"] = prev
    if mac and not strip:
        e["mac"] = mac
    out.append(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n")
open(dst, "w").writelines(out)
open(dst + ".head", "w").write('{"count":%d,"last_hash":"%s"}\n' % (len(out), prev))
PY
}
for strip in 0 1; do
	rm -rf "$T/forged"
	mkdir -p "$T/forged/.attesta"
	cp "$T/good/attesta.yaml" "$T/good/audit.key" "$T/forged/"
	forge "$T/good/$LOG" "$T/forged/$LOG" $strip
	python3 "$SRC/tests/audit_verify.py" "$T/forged/$LOG" >/dev/null ||
		fail "the forger's plain chain is not valid (the test proves nothing)"
	if [ $strip = 0 ]; then
		verify4 "$T/forged" 1 'bad_mac'
	else
		verify4 "$T/forged" 1 'missing_mac'
	fi
	grep -q 'chain intact' "$T/out" && fail "forged log called intact"
done

# --- MACs and no key: not verified, in all four forms -----------------------
for which in good forged; do
	rm -rf "$T/nokey"
	mkdir -p "$T/nokey/.attesta"
	grep -v hmac_key_file "$T/good/attesta.yaml" >"$T/nokey/attesta.yaml"
	if [ $which = good ]; then
		cp "$T/good/$LOG" "$T/nokey/$LOG"
	else
		forge "$T/good/$LOG" "$T/nokey/$LOG" 0
	fi
	verify4 "$T/nokey" 2 'MACs not checked: no key (audit.hmac_key_file)'
	grep -q 'chain intact' "$T/out" && fail "MACs and no key ($which) called intact"
	(cd "$T/nokey" && "$ATTESTA" audit verify --no-mac "$LOG") >"$T/out" 2>&1 ||
		fail "--no-mac ($which): exit $?"
	grep -q 'MACs not checked (--no-mac)' "$T/out" || fail "--no-mac ($which) without its note"
	(cd "$T/nokey" && "$ATTESTA" audit verify --json) >"$T/out" 2>&1
	grep -q '"intact":false' "$T/out" && grep -q '"status":"unverified"' "$T/out" &&
		grep -q '"macs_unchecked":[1-9]' "$T/out" || fail "--json for MACs and no key ($which)"
done
# a positional log from a directory without a config: the defaults, no key
mkdir "$T/elsewhere"
(cd "$T/elsewhere" && "$ATTESTA" audit verify "$T/good/$LOG") >"$T/out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'MACs not checked' "$T/out" || fail "LOG without a config: exit $rc, want 2"
(cd "$T/elsewhere" && "$ATTESTA" audit verify --key "$T/good/audit.key" "$T/good/$LOG") >"$T/out" 2>&1 ||
	fail "LOG with --key: exit $?"

echo "ok: audit discovery"
