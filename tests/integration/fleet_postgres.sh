#!/bin/sh
# The enrollment registry in a REAL PostgreSQL server (docs/fleet.md):
# initdb + pg_ctl in a temporary directory as the unprivileged "postgres"
# user, listening only on a unix socket in that directory (no TCP). Then
# node enroll / rollout / revoke and attestation status / eval against it.
# Skips (77) when not root or PostgreSQL 15 is not installed.
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
PG=/usr/lib/postgresql/15/bin
[ -x "$A" ] || { echo "fleet_postgres: $A not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "fleet_postgres: needs root (to run the server as postgres)"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] || { echo "fleet_postgres: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "fleet_postgres: no postgres user"; exit 77; }
command -v runuser >/dev/null || { echo "fleet_postgres: runuser needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-fleet-pg.XXXXXX)
chmod 755 "$T"
mkdir "$T/data" "$T/sock" "$T/work"
chown postgres "$T/data" "$T/sock"
stop() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap stop EXIT
fail() { echo "fleet_postgres: FAIL: $*"; [ -f "$T/pg.log" ] && tail -n 20 "$T/pg.log"; exit 1; }

runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb"; }
touch "$T/pg.log"; chown postgres "$T/pg.log"
runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 30 \
	-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || fail "pg_ctl start"

cd "$T/work" || exit 1
DB="host=$T/sock user=attesta dbname=postgres"
cat > attesta.yaml <<YAML
attestation:
  registry: postgres
fleet:
  database: "$DB"
YAML
expect_rc() { want=$1; shift; "$@" >out.txt 2>err.txt; got=$?; [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "'$*' exited $got, want $want"; }; }

"$A" bundle keygen --out keys >/dev/null || fail keygen
printf 'policy:\n  fail_mode: deny\n' > cfg.yaml
"$A" bundle pack --key keys/bundle.key --name web --version 1 --enrollment-ref ref-1 \
	--out b.tar cfg.yaml >/dev/null || fail pack

# before any change the table does not exist: not enrolled, not an error
expect_rc 1 "$A" attestation status --node-id n1
grep -q '^n1  *<none>  *<none>  *<none>$' out.txt || fail "status before table"
expect_rc 1 "$A" node revoke --node-id n1
expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-1
grep -q "(postgres)" out.txt || fail "enroll did not use postgres"
[ ! -e .attesta/registry.json ] || fail "wrote a local registry"
expect_rc 0 "$A" attestation status --node-id n1
grep -q '^n1  *ref-1  *active  *<none>$' out.txt || { cat out.txt; fail "status row"; }
expect_rc 0 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub --node-id n1
expect_rc 0 "$A" node rollout --node-id n1 --state rollback
expect_rc 1 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub --node-id n1
[ "$(cat out.txt)" = "attestation: rollout_state" ] || fail "rollout reason"
expect_rc 0 "$A" node enroll --node-id n1 --enrollment-ref ref-2
expect_rc 0 "$A" attestation status --node-id n1 --json
grep -q '"rollout_state":.*"rollback"' out.txt || fail "re-enroll must keep the rollout state"
expect_rc 0 "$A" node rollout --node-id n1 --state active
expect_rc 1 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub --node-id n1
[ "$(cat out.txt)" = "attestation: enrollment_mismatch" ] || fail "mismatch reason"
expect_rc 0 "$A" node revoke --node-id n1
expect_rc 1 "$A" attestation eval --bundle b.tar --pubkey keys/bundle.pub --node-id n1
[ "$(cat out.txt)" = "attestation: revoked" ] || fail "revoked reason"
# values never become SQL text
expect_rc 1 "$A" node enroll --node-id "n2'; DROP TABLE attesta_enrollment; --" --enrollment-ref r
expect_rc 0 "$A" attestation status --node-id n1
# a database that is not there: an error, exit 1, never "allow"
expect_rc 1 "$A" attestation eval --database "host=$T/nosock user=attesta" \
	--bundle b.tar --pubkey keys/bundle.pub --node-id n1
grep -q "cannot connect to the fleet database" err.txt || fail "connect error message"
echo "fleet_postgres: ok"
