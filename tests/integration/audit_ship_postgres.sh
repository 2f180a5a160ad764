#!/bin/sh
# Audit shipping to a REAL PostgreSQL server (docs/audit.md "Shipping to
# PostgreSQL"): three gated agents on this machine, as three nodes, make
# SHIP_N auto-approved gated calls each (default 33400: over 100,000
# entries in all) while attesta-run's shipper threads copy their logs into
# the database. Mid-run the server is killed (pg_ctl stop -m immediate)
# and restarted, and `attesta audit ship` runs on node-c's live log
# beside its gate and is SIGKILLed mid-batch (large batches: the kill
# lands while a batch is on the wire), three times. Afterwards every entry
# is in the database exactly once, byte for byte and in order (count and
# md5 of the lines against the local logs), and `attesta audit verify
# --db` passes for every node; an edited row, a deleted row and missing
# first entries are reported; pruning keeps the rest verifiable ("starts
# after pruning"); a node's role can insert and read only its own rows and
# can neither update nor delete them (grants + row-level security); a
# password on the command line is refused. Prints the shipping rate.
# Server: initdb + pg_ctl in a temporary directory, unix socket only.
# Skips (77) when not root or PostgreSQL 15 is not installed.
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
R="$(dirname "$A")/attesta-run"
H="$(dirname "$A")/helpers/gate_loop"
PG=/usr/lib/postgresql/15/bin
N=${SHIP_N:-33400}
[ -x "$A" ] && [ -x "$R" ] && [ -x "$H" ] || { echo "audit_ship_postgres: $A, attesta-run or helpers/gate_loop not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "audit_ship_postgres: needs root (to run the server as postgres)"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] || { echo "audit_ship_postgres: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "audit_ship_postgres: no postgres user"; exit 77; }
command -v runuser >/dev/null || { echo "audit_ship_postgres: runuser needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-ship-pg.XXXXXX)
chmod 755 "$T"
mkdir "$T/data" "$T/sock" "$T/work"
chown postgres "$T/data" "$T/sock"
PIDS=""
stop() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && return
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap stop EXIT
fail() {
	echo "audit_ship_postgres: FAIL: $*"
	for f in out err; do [ -f "$f" ] && sed "s/^/  $f: /" "$f" | tail -15; done
	tail -n 5 "$T/pg.log" 2>/dev/null
	exit 1
}
unset ATTESTA_NODE_ID ATTESTA_AUDIT_SHIP ATTESTA_ATTESTATION_MODE PGUSER PGHOST PGDATABASE

runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb"; }
touch "$T/pg.log"; chown postgres "$T/pg.log"
pg_start() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 60 \
		-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || fail "pg_ctl start"
}
pg_start
cd "$T/work" || exit 1
DB="host=$T/sock dbname=postgres"
psql_as() { u=$1; shift; "$PG/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$DB user=$u" -c "$1"; }
sql() { psql_as attesta "$1" || fail "psql: $1"; }

"$A" db init --database "$DB user=attesta" >out 2>err || fail "db init"
sql "CREATE ROLE \"node-a\" LOGIN IN ROLE attesta_node; CREATE ROLE \"node-b\" LOGIN IN ROLE attesta_node;
     CREATE ROLE \"node-c\" LOGIN IN ROLE attesta_node; CREATE ROLE op LOGIN IN ROLE attesta_operator" >/dev/null
# the connection string has no user and no password: each node's login
# role comes from libpq's environment (PGUSER), as a password would
cat > attesta.yaml <<YAML
fleet:
  database: "$DB"
audit:
  ship: true
  ship_interval_ms: 200
gate:
  renderer: none
YAML
"$A" config check attesta.yaml >out 2>err || fail "config check"
# node-c's gate looks rarely (it ships what is left when it exits), so the
# second shipper below always has batches in flight when it is killed
sed 's/ship_interval_ms: 200/ship_interval_ms: 60000/' attesta.yaml > c.yaml
mkdir logs ws-a ws-b ws-c

# --- three gated agents, three nodes, shipping while they run ----------------
t0=$(date +%s)
export ATTESTA_AUDIT_SHIP_DRAIN_MS=60000
PGUSER=node-a "$R" -c attesta.yaml --audit logs/a.jsonl --node-id node-a -- "$H" ws-a "$N" >a.out 2>a.err &
PA=$!
PGUSER=node-b ATTESTA_NODE_ID=node-b "$R" -c attesta.yaml --audit logs/b.jsonl -- "$H" ws-b "$N" >b.out 2>b.err &
PB=$!
PGUSER=node-c "$R" -c c.yaml --audit logs/c.jsonl --node-id node-c -- "$H" ws-c "$N" >c.out 2>c.err &
PC=$!
PIDS="$PA $PB $PC"
# mid-run: once node-a's log holds a third of its calls
i=0
while [ "$(cat logs/a.jsonl 2>/dev/null | wc -l)" -lt $((N / 3)) ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "node-a made no progress"; sleep 0.1
done
running=0
for p in $PA $PB $PC; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
[ "$running" -eq 3 ] || fail "the agents were not all running when the server was killed"
# the server dies mid-run (no shutdown checkpoint) and comes back
runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1 || fail "pg_ctl stop -m immediate"
sleep 2
pg_start
# a second shipper of node-c's live log, SIGKILLed mid-batch, three times
kills=0
lost0=$(grep -c "could not receive data from client\|unexpected EOF on client\|connection to client lost" "$T/pg.log")
for i in 1 2 3; do
	PGUSER=node-c "$A" audit ship -c attesta.yaml --node-id node-c --batch 5000 logs/c.jsonl >k.out 2>k.err &
	K=$!
	sleep 1
	kill -9 "$K" 2>/dev/null && kills=$((kills + 1))
	wait "$K" 2>/dev/null
done
lost1=$(grep -c "could not receive data from client\|unexpected EOF on client\|connection to client lost" "$T/pg.log")
for p in $PA $PB $PC; do wait "$p" || fail "a gated agent failed (exit $?): $(cat a.err b.err c.err | grep -v WARNING | tail -3)"; done
PIDS=""
t1=$(date +%s)
for n in a b c; do grep -q "^done $N " $n.out || fail "agent $n: $(cat $n.out $n.err)"; done
grep -h "audit shipping" a.err b.err c.err | sort | uniq -c | sed 's/^/  gate: /'
grep -q "audit shipping (node node-a)" a.err && grep -q "audit shipping (node node-b)" b.err ||
	fail "the shippers of node-a and node-b never saw the server go"

# --- nothing left to catch up; compare with the local logs -------------------
total=0
for n in a b c; do
	PGUSER=node-$n "$A" audit ship -c attesta.yaml --node-id node-$n logs/$n.jsonl >out 2>err ||
		fail "audit ship node-$n"
	# the gates' shipper threads shipped everything, the last entries at exit
	grep -q " (0 new) " out || fail "node-$n: the gate left entries unshipped: $(cat out)"
	local_n=$(wc -l < logs/$n.jsonl)
	local_md5=$(md5sum < logs/$n.jsonl | cut -d' ' -f1)
	db_n=$(sql "SELECT count(*) FROM attesta_audit WHERE node_id = 'node-$n'")
	db_md5=$(sql "SELECT md5(string_agg(line || E'\n', '' ORDER BY seq)) FROM attesta_audit WHERE node_id = 'node-$n'")
	[ "$local_n" -eq "$db_n" ] || fail "node-$n: $local_n local entries, $db_n in the database"
	[ "$local_md5" = "$db_md5" ] || fail "node-$n: the database's lines differ from the local log"
	# entry ids and seqs, one by one, as well as the bytes
	python3 - logs/$n.jsonl > ids.local <<'PY' || fail "python"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    print(e["seq"], e["entry_id"])
PY
	sql "SELECT seq || ' ' || entry_id FROM attesta_audit WHERE node_id = 'node-$n' ORDER BY seq" > ids.db
	cmp -s ids.local ids.db || fail "node-$n: entry ids differ"
	total=$((total + local_n))
done
[ "$total" -ge $((3 * N)) ] || fail "only $total entries in all (SHIP_N=$N)"
[ "$kills" -ge 1 ] || fail "the second shipper was never killed while running"
# reading the fleet: an operator's role
export PGUSER=op
"$A" audit verify -c attesta.yaml --db >out 2>err || fail "verify --db after shipping"
[ "$(grep -c '^  intact: ' out)" -eq 3 ] || fail "verify --db: not three intact nodes"
"$A" audit verify -c attesta.yaml --db --json >out 2>err || fail "verify --db --json"
python3 -c 'import json,sys; d=json.load(open("out")); assert d["verdict"]=="intact" and len(d["nodes"])==3' ||
	fail "verify --db --json"
echo "audit_ship_postgres: $total entries from 3 gated agents in $((t1 - t0)) s, every one in the database once (server killed and restarted, $kills shipper(s) SIGKILLed, $((lost1 - lost0)) with a statement in flight)"

# --- the fleet-wide readers ----------------------------------------------------
"$A" audit stats -c attesta.yaml --db >out 2>err || fail "stats --db"
grep -q "entries  *$total$" out || fail "stats --db counts $total"
id=$(sed -n '100p' logs/b.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["entry_id"])')
"$A" audit get -c attesta.yaml --db "$id" >out 2>err || fail "get --db"
[ "$(cat out)" = "$(sed -n '100p' logs/b.jsonl)" ] || fail "get --db is not the stored line"
"$A" audit inspect -c attesta.yaml --db --node-id node-c >out 2>err || fail "inspect --db --node-id"
[ "$(grep -c approved out)" -ge "$N" ] || fail "inspect --db --node-id node-c"

# --- a node's role: its own rows, insert only ---------------------------------
psql_as node-a "UPDATE attesta_audit SET line = line WHERE seq = 1" >out 2>&1 && fail "node role could update"
psql_as node-a "DELETE FROM attesta_audit" >out 2>&1 && fail "node role could delete"
psql_as node-a "INSERT INTO attesta_audit (node_id, seq, entry_id, chain_hash, previous_hash, line, log_id)
	VALUES ('node-b', 999999999, 'x', 'x', 'x', '{}', 'x')" >out 2>&1 && fail "node role wrote another node's row"
grep -q "row-level security" out || fail "no RLS refusal: $(cat out)"
[ "$(psql_as node-a "SELECT count(*) FROM attesta_audit WHERE node_id <> 'node-a'")" = 0 ] ||
	fail "node role reads other nodes' rows"
PGUSER=node-a "$A" audit ship -c attesta.yaml --node-id node-b logs/b.jsonl >out 2>err && fail "node-a shipped as node-b"
PGUSER=node-a "$A" db prune -c attesta.yaml --before 2099-01-01 >out 2>err && fail "a node's role pruned"

# --- an edited row, a deleted row, missing first entries ----------------------
sql "UPDATE attesta_audit SET line = replace(line, '\"verdict\":\"approved\"', '\"verdict\":\"denied\"')
     WHERE node_id = 'node-b' AND seq = 1000"
sql "DELETE FROM attesta_audit WHERE node_id = 'node-b' AND seq = 2000"
"$A" audit verify -c attesta.yaml --db --node-id node-b >out 2>err; rc=$?
[ "$rc" -eq 1 ] || fail "verify --db of an edited node exited $rc"
grep -q "seq 1000: bad_chain_hash" out || fail "the edited row is not reported"
grep -q "seq 2001: missing_entries" out || fail "the deleted row is not reported"
sql "DELETE FROM attesta_audit WHERE node_id = 'node-b' AND seq >= (SELECT max(seq) - 2 FROM attesta_audit WHERE node_id = 'node-b')"
"$A" audit verify -c attesta.yaml --db --node-id node-b >out 2>err
grep -q "truncated: entries seq [0-9]*\.\.[0-9]* were shipped (the shipping cursor says so)" out ||
	fail "rows deleted from the end are not reported"
"$A" audit verify -c attesta.yaml --db >out 2>err && fail "verify --db of the fleet passed with an edited row"
sql "DELETE FROM attesta_audit WHERE node_id = 'node-c' AND seq < 10"
"$A" audit verify -c attesta.yaml --db --node-id node-c >out 2>err && fail "missing first entries passed"
grep -q "entries seq 0..9 are not in the database" out || fail "missing first entries not reported"
PGUSER=node-c "$A" audit ship -c attesta.yaml --node-id node-c logs/c.jsonl >out 2>err || fail "reship"
"$A" audit verify -c attesta.yaml --db --node-id node-c >out 2>err && fail "a finished cursor re-shipped deleted rows?"

# --- prune: what is kept still verifies ----------------------------------------
cut=$(sed -n '5001p' logs/a.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["intercepted_at"])')
PGUSER=op "$A" db prune -c attesta.yaml --before "$cut" --node-id node-a >out 2>err || fail "db prune"
grep -q "^pruned [1-9][0-9]* audit entries" out || fail "db prune output"
PGUSER=op "$A" audit verify -c attesta.yaml --db --node-id node-a >out 2>err || fail "verify after prune"
grep -q "starts after pruning: entries before seq" out || fail "verify does not say it starts after pruning"
kept=$(sql "SELECT count(*) FROM attesta_audit WHERE node_id = 'node-a'")
sql "DELETE FROM attesta_audit_cursor WHERE node_id = 'node-a'"
PGUSER=node-a "$A" audit ship -c attesta.yaml --node-id node-a logs/a.jsonl >out 2>err || fail "reship after prune"
[ "$(sql "SELECT count(*) FROM attesta_audit WHERE node_id = 'node-a'")" = "$kept" ] ||
	fail "re-shipping brought pruned entries back"
"$A" audit verify -c attesta.yaml --db --node-id node-a >out 2>err || fail "verify after prune and re-ship"

# --- a rotated, gzip-compressed file, then the rest of the log -------------------
# the log's identity is its first entry: the cursor reached in the .gz is
# where shipping of the whole file resumes (only the second half is new)
half=$(( $(wc -l < logs/b.jsonl) / 2 ))
head -n "$half" logs/b.jsonl | gzip -c > rot.jsonl.1.gz
PGUSER=attesta "$A" audit ship -c attesta.yaml --node-id node-r rot.jsonl.1.gz >out 2>err || fail "ship .gz"
grep -q "$half entries sent ($half new)" out || fail "ship .gz: $(cat out)"
PGUSER=attesta "$A" audit ship -c attesta.yaml --node-id node-r logs/b.jsonl >out 2>err || fail "ship the rest"
rest=$(( $(wc -l < logs/b.jsonl) - half ))
grep -q "$rest entries sent ($rest new)" out || fail "the rest was not resumed from the .gz cursor: $(cat out)"
"$A" audit verify -c attesta.yaml --db --node-id node-r >out 2>err || fail "verify node-r"

# --- copytruncate rotation while a gate ships: the gate survives (the shipper
# never maps the live log), both files end up in the database -----------------
PGUSER=attesta "$R" -c attesta.yaml --audit logs/t.jsonl --node-id node-t -- "$H" ws-a 20000 >t.out 2>t.err &
PT=$!
PIDS=$PT
i=0
while [ "$(cat logs/t.jsonl 2>/dev/null | wc -l)" -lt 5000 ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "node-t made no progress"; sleep 0.1
done
cp logs/t.jsonl logs/t.jsonl.1 && : > logs/t.jsonl
wait "$PT" || fail "the gate died during a copytruncate rotation: $(tail -3 t.err)"
PIDS=""
grep -q "^done 20000 " t.out || fail "node-t's agent: $(cat t.out)"
PGUSER=attesta "$A" audit ship -c attesta.yaml --node-id node-t logs/t.jsonl.1 logs/t.jsonl >out 2>err ||
	fail "ship the rotated file"
cat logs/t.jsonl.1 logs/t.jsonl | sort > t.files
sql "SELECT line FROM attesta_audit WHERE node_id = 'node-t'" | sort > t.db
[ "$(comm -23 t.files t.db | wc -l)" -eq 0 ] || fail "lines of the rotated or live file are not in the database"

# --- passwords never on the command line -----------------------------------------
"$A" db init --database "$DB user=attesta password=secret" >out 2>err && fail "a password on the command line was used"
grep -q "must not hold a password" err || fail "password refusal message"

# --- the rate: one log shipped whole, in batches of 1000 ------------------------
n=$(wc -l < logs/b.jsonl)
s0=$(date +%s.%N)
PGUSER=attesta "$A" audit ship -c attesta.yaml --node-id rate-test logs/b.jsonl >out 2>err || fail "rate ship"
s1=$(date +%s.%N)
python3 -c "print('audit_ship_postgres: shipped %d entries in %.2f s: %.0f entries/s' % ($n, $s1 - $s0, $n / ($s1 - $s0)))"
echo "audit_ship_postgres: ok"
