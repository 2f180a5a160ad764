#!/bin/bash
# The fleet approval queue (approvals.backend: postgres, docs/approvals.md)
# with a REAL PostgreSQL server and password (scram-sha-256) login roles,
# so identities are real: a gated node (role node1) holds a CRITICAL exec
# (multi-party); `pending --db` lists it; node1's own `approve --db` is
# refused; alice (teach-back part) and bob (quiz part) approve it from two
# other shells; alice twice does not count twice; the exec runs and the
# audit entry names both approvers. Then a deny --db, a timeout, and the
# server killed while a call is held (fail_mode deny, long before the
# timeout). Skips (77) when not root or PostgreSQL 15 is missing.
. "$(dirname "$0")/lib/approve.bash"
PG=/usr/lib/postgresql/15/bin
RUN=$BUILD/attesta-run
[ -x "$RUN" ] || { echo "$TEST_NAME: skip: $RUN not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "$TEST_NAME: skip: needs root (server runs as postgres)"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] ||
	{ echo "$TEST_NAME: skip: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "$TEST_NAME: skip: no postgres user"; exit 77; }
command -v runuser >/dev/null || { echo "$TEST_NAME: skip: runuser needed"; exit 77; }

mkdir "$AW/data" "$AW/sock"
chown postgres "$AW/data" "$AW/sock"
echo 'su-secret' >"$AW/pw"; chown postgres "$AW/pw"
pg_stop() { runuser -u postgres -- "$PG/pg_ctl" -D "$AW/data" -m immediate stop >>"$AW/pgstop.log" 2>&1; }
# a gate still running on failure writes its state on exit: wait for it first
trap '[ -n "${BG_PID:-}" ] && { kill "$BG_PID"; wait "$BG_PID"; BG_PID=; }; pg_stop; approve_cleanup' EXIT
runuser -u postgres -- "$PG/initdb" -D "$AW/data" -A scram-sha-256 -U attesta \
	--pwfile="$AW/pw" >"$AW/initdb.log" 2>&1 || fail "initdb"
touch "$AW/pg.log"; chown postgres "$AW/pg.log"
pg_start() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$AW/data" -l "$AW/pg.log" -w -t 30 \
		-o "-c listen_addresses='' -k $AW/sock" start >/dev/null 2>&1 || fail "pg_ctl start"
}
pg_start
# passwords only in a 0600 passfile (never on a command line)
export PGPASSFILE=$AW/pgpass
printf '*:*:*:attesta:su-secret\n*:*:*:node1:n1-secret\n*:*:*:node2:n2-secret\n*:*:*:alice:a-secret\n*:*:*:bob:b-secret\n' >"$PGPASSFILE"
chmod 600 "$PGPASSFILE"
DBA="host=$AW/sock dbname=postgres"
"$ATTESTA" db init --database "$DBA user=attesta" >"$AW/dbinit.out" 2>&1 || fail "db init"
"$PG/psql" -q -v ON_ERROR_STOP=1 "$DBA user=attesta" >"$AW/psql.out" 2>&1 <<'SQL' || fail "roles"
CREATE ROLE node1 LOGIN PASSWORD 'n1-secret' IN ROLE attesta_node;
CREATE ROLE node2 LOGIN PASSWORD 'n2-secret' IN ROLE attesta_node, attesta_approver;
CREATE ROLE alice LOGIN PASSWORD 'a-secret' IN ROLE attesta_approver;
CREATE ROLE bob LOGIN PASSWORD 'b-secret' IN ROLE attesta_approver;
SQL
# every role needs its password: a wrong one is refused
printf '*:*:*:alice:wrong\n' >"$AW/badpass"; chmod 600 "$AW/badpass"
PGPASSFILE=$AW/badpass "$ATTESTA" pending --db --database "$DBA user=alice" >/dev/null 2>"$AW/bad.err" &&
	fail "a wrong password was accepted"
grep -q "password authentication failed" "$AW/bad.err" || fail "wrong password: no auth error"

for t in high-tool crit-tool; do
	printf '#!/bin/sh\necho "ran-%s $*"\n' "$t" >"$AW/$t"; chmod 755 "$AW/$t"
done
AUDIT=$AW/audit.jsonl
write_config() { # TIMEOUT
	cat >"$AW/attesta.yaml" <<YAML
policy:
  fail_mode: deny
  timeout_seconds: $1
  minimum_review_seconds: {low: 0, medium: 0, high: 1, critical: 2}
risk:
  overrides:
    high-tool: high
    crit-tool: critical
    sh: low
audit:
  path: $AUDIT
gate:
  renderer: socket
  approval_socket: $AW/asock/a.sock
  agent_id: pg-agent
trust:
  path: $AW/trust.json
approvals:
  backend: postgres
fleet:
  database: "$DBA user=node1"
YAML
}
start_gate() { # NAME CMD...
	n=$1; shift
	( cd "$AW" && ATTESTA_NODE_ID=node-17 exec "$RUN" -c "$AW/attesta.yaml" -- "$@" ) \
		</dev/null >"$AW/$n.out" 2>"$AW/$n.err" &
	BG_PID=$!
	wait_for "$AW/$n.err" "held #1 exec" 15 || fail "$n: no held call"
}
stop_gate() { wait "$BG_PID"; GATE_RC=$?; BG_PID=; }
# approver ROLE ARGS...: `attesta ARGS --db` as database role ROLE (another "shell")
approver() { r=$1; shift; ( cd "$AW" && "$ATTESTA" "$@" --db --database "$DBA user=$r" ); }
# db_id: the id of the only pending row
db_id() {
	approver alice pending --json >"$AW/pending.json" || fail "pending --db --json"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[-1]["id"])' "$AW/pending.json"
}
# answers PART KIND=ANSWER...: answers for a part's questions, by kind
answers() {
	python3 - "$AW/pending.json" "$@" <<'PY'
import json, sys
row = json.load(open(sys.argv[1]))[-1]
part = row["parts"][int(sys.argv[2])]
ans = dict(a.split("=", 1) for a in sys.argv[3:])
for q in part["questions"]:
    print(ans[q["kind"]])
PY
}

# --- config check ------------------------------------------------------------
write_config 60
"$ATTESTA" config check "$AW/attesta.yaml" >/dev/null 2>&1 || fail "config check of a good config"
printf 'approvals:\n  backend: postgres\n' >"$AW/bad.yaml"
"$ATTESTA" config check "$AW/bad.yaml" >"$AW/cc.out" 2>&1 && fail "backend postgres without fleet.database accepted"
grep -q "bad.yaml:2:12: .*approvals.backend: postgres needs fleet.database" "$AW/cc.out" ||
	fail "config check: no file:line:column for approvals.backend"
printf 'approvals:\n  backend: carrier-pigeon\n' >"$AW/bad2.yaml"
"$ATTESTA" config check "$AW/bad2.yaml" >"$AW/cc2.out" 2>&1 && fail "unknown backend accepted"
grep -q "bad2.yaml:2:12" "$AW/cc2.out" || fail "config check: unknown backend without position"
pass "config check: approvals.backend"
# renderer none holds nothing, so nothing is published: said, not silent
( cd "$AW" && ATTESTA_NODE_ID=node-17 "$RUN" -c "$AW/attesta.yaml" --renderer none -- true ) \
	>"$AW/rn.out" 2>"$AW/rn.err" || fail "renderer none run"
grep -q "approvals.backend postgres is unused with renderer none" "$AW/rn.err" ||
	{ cat "$AW/rn.err"; fail "renderer none: no warning that the queue is unused"; }

# --- 1. CRITICAL multi-party from two other shells ---------------------------
start_gate mp sh -c './crit-tool target.txt; echo "crit-rc=$?"'
ID=$(db_id)
approver alice pending >"$AW/pending.txt" || fail "pending --db"
grep -q "^#$ID .*CRITICAL.*multi_party.*0/2  exec crit-tool target.txt  (node node-17, agent pg-agent)" \
	"$AW/pending.txt" || fail "pending --db line"
python3 - "$AW/pending.json" <<'PY' || fail "the row carries accepted answers or misses the description"
import json, sys
row = json.load(open(sys.argv[1]))[-1]
assert row["node_role"] == "node1" and row["item"]["action"] == "exec crit-tool target.txt", row
assert "accepted" not in json.dumps(row["parts"])
assert [p["part_challenge"] for p in row["parts"]] == ["teach_back", "quiz"], row["parts"]
PY
echo "this runs crit-tool on target.txt in the test workspace and prints a line, nothing else" >"$AW/tb.txt"
# the node's own role (stolen credentials) cannot answer or deny
approver node1 approve "$ID" --answers-file "$AW/tb.txt" >"$AW/n1.out" 2>"$AW/n1.err"
[ $? -eq 1 ] || fail "node1 approve: want exit 1"
grep -q "not an approver" "$AW/n1.err" || fail "node1 approve: not refused"
# a node role wrongly granted attesta_approver too is refused by the functions
approver node2 approve "$ID" --answers-file "$AW/tb.txt" >"$AW/n2.out" 2>"$AW/n2.err"
[ $? -eq 1 ] || fail "node2 approve: want exit 1"
grep -q "node role" "$AW/n2.err" || fail "node2 approve: not refused as a node role"
approver node1 deny "$ID" >"$AW/n1d.out" 2>"$AW/n1d.err" && fail "node1 deny accepted"
"$PG/psql" -q "$DBA user=node1" -c "INSERT INTO attesta_approval_response (approval_id, role, part, first_seen, answered_at, decision, answers) VALUES ($ID, 'bob', 1, now() - interval '1 hour', now(), 'answer', '{x}')" \
	>"$AW/n1i.out" 2>&1 && fail "node1 wrote a response row directly"
"$PG/psql" -q "$DBA user=node1" -c "UPDATE attesta_approval SET item = '{}' WHERE id = $ID" \
	>"$AW/n1u.out" 2>&1 && fail "node1 rewrote its pending row"
approver alice approve "$ID" --answers-file "$AW/tb.txt" >"$AW/a.out" 2>"$AW/a.err" || fail "alice approve exited $?"
grep -q "too early" "$AW/a.err" || fail "alice: the answer before the minimum review time was not refused"
grep -q "waiting for the other approvers" "$AW/a.out" || fail "alice: not told to wait"
approver alice approve "$ID" --answers-file "$AW/tb.txt" >"$AW/a2.out" 2>"$AW/a2.err"
[ $? -eq 1 ] || fail "alice twice: want exit 1"
grep -q "already answered" "$AW/a2.err" || fail "alice twice: no 'already answered'"
grep -q "ran-crit-tool" "$AW/mp.out" && fail "ran after one approver"
# an answer that is none of the options: refused before sending, nothing recorded
answers 1 effect='run a program (no file, host or branch named)' program=crit-tool target=target.txt directory="$AW" count=1 >"$AW/q.txt"
sed '1s/.*/a banana/' "$AW/q.txt" >"$AW/qbad.txt"
approver bob approve "$ID" --answers-file "$AW/qbad.txt" >"$AW/bbad.out" 2>"$AW/bbad.err"
[ $? -eq 1 ] || fail "non-option answer: want exit 1"
grep -q "is not one of its options" "$AW/bbad.err" || fail "non-option answer: no message"
grep -q "ran-crit-tool" "$AW/mp.out" && fail "ran after a non-option answer"
approver bob approve "$ID" --answers-file "$AW/q.txt" >"$AW/b.out" 2>"$AW/b.err" || fail "bob approve exited $?"
grep -q "approved #$ID" "$AW/b.out" || fail "bob: not approved"
stop_gate
[ "$GATE_RC" -eq 0 ] || fail "attesta-run exited $GATE_RC"
grep -q "crit-rc=0" "$AW/mp.out" && grep -q "ran-crit-tool target.txt" "$AW/mp.out" || fail "approved exec did not run"
[ "$(json_count "$AUDIT" 'e["action_name"] == "crit-tool" and e["verdict"] == "approved" and e["decision_source"] == "human" and sorted(e["approver_ids"]) == ["db:alice", "db:bob"] and e["challenge_type"] == "multi_party" and e["challenge_passed"] is True and e["min_review_met"] is True and e["review_duration_seconds"] >= 2')" = 1 ] ||
	fail "audit entry of the multi-party approval"
"$PG/psql" -At "$DBA user=attesta" -c "SELECT status, (SELECT string_agg(role || ':' || result || ':' || (review_seconds >= 2)::text, ',' ORDER BY role) FROM attesta_approval_response WHERE approval_id = $ID) FROM attesta_approval WHERE id = $ID" >"$AW/row.out"
grep -qx "approved|alice:waiting:true,bob:approved:true" "$AW/row.out" || fail "database row: $(cat "$AW/row.out")"
pass "CRITICAL call approved by two roles; node role refused; same role twice refused; audited"

# --- 1b. a part taken at the node is not also counted from the database ------
start_gate mix sh -c './crit-tool target.txt; echo "crit-rc=$?"'
ID=$(db_id)
( cd "$AW" && "$ATTESTA" approve 1 --socket "$AW/asock/a.sock" --answers-file "$AW/tb.txt" ) \
	>"$AW/l.out" 2>"$AW/l.err" || fail "local approver exited $?"
approver alice approve "$ID" --answers-file "$AW/tb.txt" >"$AW/ma.out" 2>"$AW/ma.err"
[ $? -eq 1 ] || fail "mixed: alice want exit 1"
grep -q "taken by an approver at the node" "$AW/ma.err" || fail "mixed: alice's answers not refused as a conflict"
( cd "$AW" && "$ATTESTA" deny 1 --socket "$AW/asock/a.sock" ) >/dev/null 2>&1 || fail "local deny"
stop_gate
grep -q "ran-crit-tool" "$AW/mix.out" && fail "mixed: ran"
[ "$(json_count "$AUDIT" 'e["action_name"] == "crit-tool" and e["verdict"] == "denied" and not [a for a in e["metadata"]["challenge_result"]["details"]["approvers"] if a["id"] == "db:alice" and a["passed"]]')" = 1 ] ||
	fail "mixed: audit entry"
pass "a database role given a part a node approver holds is refused (conflict), not counted"

# --- 2. a quiz approved for the session: the next identical call is covered --
start_gate sess sh -c './high-tool target.txt; ./high-tool target.txt; echo "high-rc=$?"'
ID=$(db_id)
answers 0 effect='run a program (no file, host or branch named)' program=high-tool target=target.txt directory="$AW" count=1 >"$AW/hq.txt"
approver alice approve "$ID" --session --answers-file "$AW/hq.txt" >"$AW/s.out" 2>"$AW/s.err" || fail "session approve exited $?"
grep -q "approved #$ID" "$AW/s.out" || fail "session approve: not approved"
stop_gate
[ "$(grep -c "ran-high-tool" "$AW/sess.out")" = 2 ] || fail "session grant: want two runs"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["verdict"] == "approved" and e["decision_source"] == "human" and e["approver_ids"] == ["db:alice"] and e["metadata"].get("session_grant") is True')" = 1 ] ||
	fail "audit entry of the session grant"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["decision_source"].startswith("session:")')" = 1 ] ||
	fail "the identical call was not covered by the session grant"
pass "approve --db --session: the session grant is the local one"

# --- 3. deny --db -----------------------------------------------------------
start_gate deny sh -c './high-tool target.txt; echo "high-rc=$?"'
ID=$(db_id)
approver bob deny "$ID" --reason "not today" >"$AW/d.out" 2>"$AW/d.err" || fail "deny exited $?"
grep -q "denied #$ID" "$AW/d.out" || fail "deny: no confirmation"
stop_gate
grep -q "ran-high-tool" "$AW/deny.out" && fail "denied exec ran"
grep -q "high-rc=126" "$AW/deny.out" || fail "denied exec: want 126 from sh"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["verdict"] == "denied" and e["decision_source"] == "human" and e["approver_ids"] == ["db:bob"] and "not today" in e["reason"]')" = 1 ] ||
	fail "audit entry of the deny"
pass "deny --db"

# --- 4. timeout -------------------------------------------------------------
write_config 3
start_gate to sh -c './high-tool target.txt; echo "high-rc=$?"'
ID=$(db_id)
stop_gate
grep -q "high-rc=126" "$AW/to.out" || fail "timed-out exec: want 126"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["verdict"] == "timed_out" and e["decision_source"] == "timeout"')" = 1 ] ||
	fail "audit entry of the timeout"
[ "$("$PG/psql" -At "$DBA user=attesta" -c "SELECT status FROM attesta_approval WHERE id = $ID")" = timed_out ] ||
	fail "the row is not timed_out"
approver alice approve "$ID" --answers-file "$AW/tb.txt" >/dev/null 2>"$AW/late.err"
[ $? -eq 1 ] && grep -q "already decided" "$AW/late.err" || fail "an answer after the timeout was not refused"
pass "timeout: fail_mode deny, row timed_out, late answer refused"

# --- 5. the database dies while a call is held -------------------------------
write_config 60
start_gate lost sh -c './high-tool target.txt; echo "high-rc=$?"'
ID=$(db_id)
t0=$(date +%s)
pg_stop
stop_gate
t1=$(date +%s)
[ $((t1 - t0)) -lt 30 ] || fail "the lost database did not end the held call (took $((t1 - t0)) s)"
grep -q "high-rc=126" "$AW/lost.out" || fail "call held when the database died: want 126"
grep -q "ran-high-tool" "$AW/lost.out" && fail "call ran after the database died"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["verdict"] == "timed_out" and "fleet database was lost" in e["reason"]')" = 1 ] ||
	fail "audit entry of the lost database"
pass "database killed while held: fail_mode deny"
# a call held while the database is down cannot be published: fail_mode at once
start_gate down sh -c './high-tool target.txt; echo "high-rc=$?"'
stop_gate
grep -q "high-rc=126" "$AW/down.out" || fail "call held with the database down: want 126"
grep -q "warning: fleet approvals: cannot connect" "$AW/down.err" || fail "no start-up warning about the database"
[ "$(json_count "$AUDIT" 'e["action_name"] == "high-tool" and e["verdict"] == "timed_out" and "cannot publish it in the fleet database" in e["reason"]')" = 1 ] ||
	fail "audit entry of the unpublishable call"
pg_start
pass "database down at hold time: fail_mode deny at once"
