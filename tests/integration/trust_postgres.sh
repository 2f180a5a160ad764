#!/bin/sh
# Shared trust in a REAL PostgreSQL server (docs/trust.md, "Trust in the
# fleet database"), started as fleet_postgres.sh does (initdb + pg_ctl as
# "postgres", unix socket only): the grants (a node role records one
# outcome and nothing else; only operators revoke, reinstate, record
# incidents; nobody writes the tables), two nodes recording 1,000
# outcomes each for one agent at once (exact counts, the local model's
# score bit for bit), `attesta trust --db`, a revocation reaching a
# running gate (the call it then denies), and a database outage (the last
# record kept for trust.max_age_seconds, then trust 0: the call denied;
# read again when the server is back), a gate started without its
# database (trust 0 at once), and no password in the log or on stderr.
# Skips (77) when not root or PostgreSQL 15 is missing.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "trust_postgres: no build directory"; exit 77; }
A=$BUILD/attesta
R=$BUILD/attesta-run
TR=$BUILD/tools/run_trust_record
PG=/usr/lib/postgresql/15/bin
[ -x "$A" ] && [ -x "$R" ] && [ -x "$TR" ] || { echo "trust_postgres: not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "trust_postgres: needs root (to run the server as postgres)"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] || { echo "trust_postgres: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "trust_postgres: no postgres user"; exit 77; }
command -v runuser >/dev/null || { echo "trust_postgres: runuser needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-trust-pg.XXXXXX)
chmod 755 "$T"
mkdir "$T/data" "$T/sock" "$T/work"
chown postgres "$T/data" "$T/sock"
PIDS=""
stop() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && return
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap stop EXIT
fail() { echo "trust_postgres: FAIL: $*"; for f in out err; do [ -f "$f" ] && sed "s/^/  $f: /" "$f" | tail -15; done; tail -n 5 "$T/pg.log" 2>/dev/null; exit 1; }
unset ATTESTA_NODE_ID ATTESTA_BUNDLE_PUBKEY ATTESTA_ATTESTATION_MODE PGHOST PGUSER PGDATABASE

runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb"; }
touch "$T/pg.log"; chown postgres "$T/pg.log"
pg_start() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 30 \
		-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || fail "pg_ctl start"
}
pg_stop() { runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m fast -w stop >/dev/null 2>&1 || fail "pg_ctl stop"; }
pg_start
cd "$T/work" || exit 1
DB="host=$T/sock dbname=postgres"
sql() { "$PG/psql" -X -q -v ON_ERROR_STOP=1 "$DB user=${2:-attesta}" -c "$1" >out 2>err; }
sql_ok() { sql "$@" || fail "psql as ${2:-attesta}: $1"; }
sql_denied() { # sql_denied SQL ROLE: refused for lack of privilege
	sql "$1" "$2" && fail "$2 may: $1"
	grep -q "permission denied" err || fail "$2: not a permission error: $1"
}
cfg() { # cfg NAME ROLE [MORE YAML]: a config using the database as ROLE
	printf 'audit:\n  path: %s/work/%s.jsonl\ntrust:\n  backend: postgres\n  path: %s/work/trust-%s.json\n  influence: 1.0\n%bgate:\n  renderer: none\npolicy:\n  fail_mode: deny\nrisk:\n  amplifiers:\n    - pattern: victim\n      target: path\n      boost: 0.15\nfleet:\n  database: "%s user=%s"\n' \
		"$T" "$1" "$T" "$1" "${3:-}" "$DB" "$2" > "$1.yaml"
}

# --- schema and roles -------------------------------------------------------------
"$A" db init --database "$DB user=attesta" > out 2> err || fail "db init"
sql_ok "CREATE ROLE op LOGIN IN ROLE attesta_operator; CREATE ROLE n1 LOGIN IN ROLE attesta_node;
        CREATE ROLE n2 LOGIN IN ROLE attesta_node; CREATE ROLE stranger LOGIN"

# --- grants: a node records one outcome, and nothing else ----------------------------
sql_ok "SELECT attesta_trust_record('g', NULL, true)" n1
sql_denied "UPDATE attesta_trust_domain SET approvals = 1000" n1
sql_denied "INSERT INTO attesta_trust_domain (agent_id, domain, approvals, first_seen, last_activity) VALUES ('g', 'x', 100, 0, 0)" n1
sql_denied "DELETE FROM attesta_trust_agent" n1
sql_denied "SELECT attesta_trust_reinstate('g')" n1
sql_denied "SELECT attesta_trust_revoke('g')" n1
sql_denied "SELECT attesta_trust_incident('g', NULL, 'low', NULL)" n1
sql_denied "SELECT attesta_trust_domain_row('g', 'general', 1e12)" n1
sql_denied "SELECT attesta_trust_record('g', NULL, true)" stranger
sql_denied "SELECT * FROM attesta_trust_agent" stranger
sql_denied "SELECT attesta_trust_record('g', NULL, true)" op
sql_denied "UPDATE attesta_trust_agent SET revoked = false" op
sql_ok "SELECT attesta_trust_revoke('g')" op
# the node's credential cannot lift it through the CLI either
cfg n1 n1; cfg n2 n2; cfg op op
"$A" trust -c n1.yaml --db reinstate g > out 2> err && fail "a node reinstated an agent"
grep -q "attesta_operator" err || fail "reinstate as node: message"
"$A" trust -c op.yaml --db reinstate g > out 2> err || fail "operator reinstate"
grep -q "agent 'g': reinstated, trust now 0.300" out || fail "reinstate output"
"$A" trust -c op.yaml --db reinstate g > out 2> err && fail "reinstate of an agent that is not revoked"
grep -q "is not revoked" err || fail "not revoked message"

# --- two nodes, 1,000 outcomes each, one agent, at the same time -------------------------
"$TR" record n1.yaml shared 1000 aad > tr1.out 2> tr1.err & P1=$!
"$TR" record n2.yaml shared 1000 aad > tr2.out 2> tr2.err & P2=$!
wait $P1 || { cat tr1.err; fail "node 1 recording"; }
wait $P2 || { cat tr2.err; fail "node 2 recording"; }
! grep -q "not recorded" tr1.err tr2.err || fail "an outcome was not recorded"
# 'aad' x 1000: 667 approvals and 333 denials per node
"$TR" check op.yaml shared 1334 666 > out 2> err || fail "concurrent counts or score"
sql_ok "SELECT approvals || '/' || denials FROM attesta_trust_domain WHERE agent_id = 'shared'" op
"$PG/psql" -X -A -t "$DB user=op" -c "SELECT approvals, denials FROM attesta_trust_domain WHERE agent_id = 'shared'" > out
[ "$(cat out)" = "1334|666" ] || fail "psql counts: $(cat out)"

# --- attesta trust --db ------------------------------------------------------------------
"$A" trust -c op.yaml --db show shared > out 2> err || fail "show --db"
grep -q "general" out || fail "show --db: no domain row"
"$A" trust -c op.yaml show --json shared > out 2> err || fail "show (backend postgres)"
grep -q '"approvals":[[:space:]]*1334' out || fail "show --json counts"
"$A" trust -c op.yaml --db incident shared --severity high --action "rm -rf" > out 2> err || fail "incident"
"$A" trust -c n1.yaml --db list > out 2> err || fail "list as node"
grep -q "^shared" out && grep -q "^g " out || fail "list rows"
"$A" trust -c op.yaml --db show "x'; DROP TABLE attesta_trust_agent; --" > out 2> err || fail "quote"
"$A" trust -c op.yaml --db list > out 2> err && grep -q "^shared" out || fail "values became SQL"
"$A" trust -c op.yaml --store x.json --db list > out 2> err; [ $? -eq 2 ] || fail "--store with --db"

# --- a revocation reaches a running gate -------------------------------------------------
# 60 approvals: trust 0.9. The unlink of a "victim" file scores 0.24 before
# trust: LOW at 0.9 (allowed), MEDIUM at 0 (no renderer: denied).
sql_ok "SELECT attesta_trust_record('bot', NULL, true) FROM generate_series(1, 60)"
cat > agent.sh <<'SH'
rm -f victim1 && [ ! -e victim1 ] && echo removed1 > r1
while [ ! -e go ]; do sleep 0.02; done
rm -f victim2 2>/dev/null
[ -e victim2 ] && echo kept2 > r2 || echo removed2 > r2
SH
gate_run() { # gate_run TAG: the agent under attesta-run as n1, agent id bot
	rm -f r1 r2 go; touch victim1 victim2
	"$R" -c n1.yaml --agent-id bot -- sh agent.sh > "$1.out" 2> "$1.err" &
	GATE=$!; PIDS="$PIDS $GATE"
	i=0; while [ ! -e r1 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
	[ -e r1 ] || { cat "$1.err"; fail "$1: the first removal (trust 0.9) was not allowed"; }
}
# negative control: without a revocation the second removal is allowed too
gate_run control
touch go; wait $GATE
grep -q removed2 r2 || { cat control.err; fail "control: the second removal was refused"; }
# attesta score reads the same record
"$A" score -c n1.yaml --agent-id bot unlink "$PWD/victim2" > out 2> err || fail "score (postgres)"
grep -q "^score .*low" out || fail "score with trust 0.9 is not low"
# the revocation, then the same call within 0.4 s
gate_run revoked
"$A" trust -c op.yaml --db revoke bot > out 2> err || fail "revoke --db"
sleep 0.4; touch go; wait $GATE
"$A" score -c n1.yaml --agent-id bot unlink "$PWD/victim2" > out 2> err || fail "score (postgres)"
grep -q "^score .*medium" out || fail "score of a revoked agent is not medium"
grep -q kept2 r2 || { cat revoked.err; fail "the revocation did not reach the running gate in 0.4 s"; }
grep '"action_class":"unlink"' n1.jsonl | grep 'victim2' | grep '"trust":0[,}]' |
	grep -q '"verdict":"denied"' || fail "no denied entry (trust 0) for victim2 in the audit log"

# --- a database outage: the last record for max_age, then trust 0 -------------------------
sql_ok "SELECT attesta_trust_record('bot2', NULL, true) FROM generate_series(1, 60)"
cfg n1 n1 '  max_age_seconds: 10\n'
cat > agent2.sh <<'SH'
rm -f victim3 && echo removed3 > r3
while [ ! -e go_a ]; do sleep 0.02; done
rm -f victim4 2>/dev/null; [ -e victim4 ] && echo kept4 > r4 || echo removed4 > r4
while [ ! -e go_b ]; do sleep 0.02; done
rm -f victim5 2>/dev/null; [ -e victim5 ] && echo kept5 > r5 || echo removed5 > r5
while [ ! -e go_c ]; do sleep 0.02; done
i=0; while [ $i -lt 40 ]; do rm -f victim6 2>/dev/null; [ -e victim6 ] || break; sleep 0.5; i=$((i+1)); done
[ -e victim6 ] && echo kept6 > r6 || echo removed6 > r6
SH
touch victim3 victim4 victim5 victim6
"$R" -c n1.yaml --agent-id bot2 -- sh agent2.sh > outage.out 2> outage.err &
GATE=$!; PIDS="$PIDS $GATE"
i=0; while [ ! -e r3 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
grep -q removed3 r3 2>/dev/null || { cat outage.err; fail "outage: the first removal was not allowed"; }
pg_stop
touch go_a
i=0; while [ ! -e r4 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
grep -q removed4 r4 2>/dev/null || { cat outage.err; fail "outage: the last record was not kept within max_age"; }
sleep 11
touch go_b
i=0; while [ ! -e r5 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
grep -q kept5 r5 2>/dev/null || { cat outage.err; fail "outage: trust was kept beyond max_age"; }
grep -q "trust database" outage.err || fail "outage: no warning on stderr"
# back: the gate reads again (reconnecting with back-off, at most 8 s)
pg_start
touch go_c; wait $GATE
grep -q removed6 r6 || { cat outage.err; fail "outage: the gate did not read the database again"; }

# --- a gate that starts without its database: trust 0 from the first call ----------------
sed "s|host=$T/sock|host=$T/nosock|" n1.yaml > down.yaml
touch victim7
"$R" -c down.yaml --agent-id bot2 -- sh -c 'rm -f victim7 2>/dev/null; true' > down.out 2> down.err ||
	{ cat down.err; fail "run without a database"; }
[ -e victim7 ] || fail "no database at start: the removal was allowed (trust must be 0)"
grep -q "trust database: cannot connect" down.err || fail "no database at start: no warning"

# --- the connection string is never in the audit log or on stderr -------------------------
printf 'audit:\n  path: %s/work/pw.jsonl\ntrust:\n  backend: postgres\n  path: %s/work/trust-pw.json\ngate:\n  renderer: none\nfleet:\n  database: "%s user=n1 password=s3cretPW9"\n' "$T" "$T" "$DB" > pw.yaml
"$R" -c pw.yaml --agent-id bot -- sh -c 'rm -f nothing' > pw.out 2> pw.err || { cat pw.err; fail "run with a password"; }
! grep -q s3cretPW9 pw.jsonl pw.out pw.err || fail "the password was written out"

# --- PGPASSWORD in attesta-run's environment would be the agent's too: no fleet
# connection is made with it (the trust record falls back to 0, as when down)
PGPASSWORD=s3cretPW9 "$R" -c n1.yaml --agent-id bot2 -- sh -c 'rm -f victim7 2>/dev/null; true' > pg.out 2> pg.err ||
	{ cat pg.err; fail "run with PGPASSWORD"; }
grep -q "not connecting to the fleet database while PGPASSWORD is set" pg.err || { cat pg.err; fail "no PGPASSWORD refusal"; }
grep -q "trust database: cannot connect" pg.err || fail "PGPASSWORD: the gate connected anyway"

echo "trust_postgres: ok"
