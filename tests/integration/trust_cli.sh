#!/bin/sh
# `attesta trust`: show / list / revoke / reinstate / incident against a real
# store on disk, exit codes, file modes, and a corrupt store that must be an
# error naming the file (never a silent reset).
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
[ -x "$A" ] || { echo "trust_cli: $A not built"; exit 77; }
command -v python3 >/dev/null || { echo "trust_cli: python3 needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-trust-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fail() { echo "trust_cli: FAIL: $*"; exit 1; }
expect_rc() { want=$1; shift; "$@" >out.txt 2>err.txt; got=$?; [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "'$*' exited $got, want $want"; }; }
json() { python3 -c "import json,sys; d=json.load(open('out.txt')); print($1)"; }

# empty store: list is empty, show gives the initial score
expect_rc 0 "$A" trust list --json
[ "$(json 'len(d)')" = 0 ] || fail "empty list"
expect_rc 0 "$A" trust show bot --json
[ "$(json 'd["trust"]')" = 0.3 ] || fail "initial trust $(cat out.txt)"
[ "$(json 'd["known"]')" = False ] || fail "unknown agent reported as known"
[ ! -e .attesta/trust.json ] || fail "show must not create the store"

# incident with a severity: 0.3 * 0.7^2
expect_rc 0 "$A" trust incident bot --severity high --action "rm -rf build" --domain infra --json
[ "$(json 'round(d["trust"], 6)')" = 0.147 ] || fail "incident trust $(cat out.txt)"
[ "$(stat -c %a .attesta/trust.json)" = 600 ] || fail "store mode"
[ "$(stat -c %a .attesta)" = 700 ] || fail "dir mode"

# revoke survives a new process; reinstate lifts it once
expect_rc 0 "$A" trust revoke bot
expect_rc 0 "$A" trust show --agent bot --json
[ "$(json 'd["revoked"]')" = True ] || fail "revocation not persisted"
[ "$(json 'd["trust"]')" = 0 ] || fail "revoked trust"
expect_rc 0 "$A" trust list
grep -q '^bot .* yes ' out.txt || { cat out.txt; fail "list shows revocation"; }
expect_rc 0 "$A" trust reinstate bot
expect_rc 1 "$A" trust reinstate bot
grep -q "is not revoked" err.txt || fail "reinstate twice message"

# --store and -c
cat > attesta.yaml <<'YAML'
trust:
  path: other/trust.json
  initial_score: 0.2
YAML
expect_rc 0 "$A" trust -c attesta.yaml revoke evil
[ -f other/trust.json ] || fail "-c did not pick trust.path"
expect_rc 0 "$A" trust -c attesta.yaml show nobody --json
[ "$(json 'd["trust"]')" = 0.2 ] || fail "-c initial_score $(cat out.txt)"
expect_rc 0 "$A" trust --store third.json revoke x
[ -f third.json ] || fail "--store"

# usage errors
expect_rc 2 "$A" trust
expect_rc 2 "$A" trust frob
expect_rc 2 "$A" trust show
expect_rc 2 "$A" trust incident bot --severity extreme
expect_rc 2 "$A" trust revoke bot --severity high
expect_rc 2 "$A" trust list extra

# a corrupt store is an error naming the file, and is left as it was
printf '{"format":"attesta-trust","version":1,\n "agents": {"bot": nope}}\n' > .attesta/trust.json
cp .attesta/trust.json before.json
expect_rc 1 "$A" trust list
grep -q "^attesta: .attesta/trust.json:2:" err.txt || { cat err.txt; fail "corrupt store message"; }
expect_rc 1 "$A" trust revoke bot
cmp -s before.json .attesta/trust.json || fail "corrupt store was rewritten"
# a group-writable store is refused
"$A" trust --store gw.json revoke a >/dev/null || fail "gw setup"
chmod 0660 gw.json
expect_rc 1 "$A" trust --store gw.json list
grep -q "writable by group or others" err.txt || fail "group-writable message"
echo "trust_cli: ok"
