#!/bin/bash
# Shared trust end to end (docs/trust.md, "Trust in the fleet database"):
# attesta-run with trust.backend postgres and the socket renderer; a human
# approves one MEDIUM call and denies another with `attesta approve` /
# `attesta deny`; the gate records each outcome in a REAL PostgreSQL server
# (started as fleet_postgres.sh does) through the node role, and the
# database then holds exactly 1 approval and 1 denial for the agent; the
# local trust file is not written. Skips (77) when not root or PostgreSQL
# 15 is missing.
. "$(dirname "$0")/lib/approve.bash"
need_approvers
. "$(dirname "$0")/lib/approve_e2e.bash"
PG=/usr/lib/postgresql/15/bin
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] || { echo "$TEST_NAME: skip: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "$TEST_NAME: skip: no postgres user"; exit 77; }

T=$(mktemp -d /tmp/attesta-trust-e2e.XXXXXX)
chmod 755 "$T"
mkdir "$T/data" "$T/sock"
chown postgres "$T/data" "$T/sock"
pg_cleanup() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
	approve_cleanup
}
trap pg_cleanup EXIT
runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb"; }
touch "$T/pg.log"; chown postgres "$T/pg.log"
runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 30 \
	-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || fail "pg_ctl start"
DB="host=$T/sock dbname=postgres"
"$ATTESTA" db init --database "$DB user=attesta" >/dev/null 2>&1 || fail "db init"
"$PG/psql" -X -q -v ON_ERROR_STOP=1 "$DB user=attesta" \
	-c "CREATE ROLE node1 LOGIN IN ROLE attesta_node" >/dev/null || fail "create role"

write_config 60
printf '  backend: postgres\nfleet:\n  database: "%s user=node1"\n' "$DB" >>"$AW/attesta.yaml"
counts() {
	"$PG/psql" -X -A -t "$DB user=attesta" -c \
		"SELECT approvals || '/' || denials FROM attesta_trust_domain WHERE agent_id = 'e2e-agent'"
}

echo yes >"$AW/yes.txt"; chmod 644 "$AW/yes.txt"
start_gate ok sh -c './med-tool target.txt'
wait_for "$AW/ok.err" "held #1 exec" || fail "no held line for the MEDIUM exec"
as attesta-t1 "$ATTESTA" approve 1 --socket "$SOCK" --answers-file "$AW/yes.txt" >"$AW/a.out" 2>"$AW/a.err" || fail "approve exited $?"
stop_gate
grep -q "ran-med-tool" "$AW/ok.out" || fail "approved exec did not run"
[ "$(counts)" = "1/0" ] || fail "after one approval the database holds '$(counts)'"

start_gate no sh -c './med-tool target.txt'
wait_for "$AW/no.err" "held #1 exec" || fail "no held line for the second MEDIUM exec"
as attesta-t2 "$ATTESTA" deny 1 --socket "$SOCK" --reason "no" >"$AW/d.out" 2>&1 || fail "deny exited $?"
stop_gate
grep -q "ran-med-tool" "$AW/no.out" && fail "denied exec ran"
[ "$(counts)" = "1/1" ] || fail "after a denial the database holds '$(counts)'"
[ ! -e "$AW/trust.json" ] || ! grep -q e2e-agent "$AW/trust.json" || fail "the local trust file was written"
"$ATTESTA" trust -c "$AW/attesta.yaml" show e2e-agent >"$AW/show.out" 2>&1 || fail "trust show (postgres backend)"
grep -q "general" "$AW/show.out" || fail "trust show: no domain"
pass "human approval and denial recorded in the database by the gate"
