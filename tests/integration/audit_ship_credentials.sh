#!/bin/sh
# The shipper's database credentials are out of the agent's reach
# (docs/audit.md "Shipping to PostgreSQL", docs/attesta-run.1): a REAL
# PostgreSQL server that requires a password (scram-sha-256) for the
# node's role; the password is only in a password file (PGPASSFILE, 0600,
# in a 0700 directory of root's), never in a connection string, the
# command line or the environment. attesta-run runs the agent as another
# account (--user attesta-nobody) with audit.ship on. Negative control
# first: the same agent run as root, natively, reads the password. Under
# the gate the agent cannot read the file, its environment holds no
# password, it cannot read the supervisor's environment, and its gated
# calls are nonetheless shipped (the supervisor authenticated with the
# file). No audit entry holds the password. The documented limit is
# checked too: an agent of the supervisor's own account can read the file.
# Skips (77) when not root, PostgreSQL 15 or the attesta-nobody account
# is missing.
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
R="$(dirname "$A")/attesta-run"
H="$(dirname "$A")/helpers/gate_loop"
PG=/usr/lib/postgresql/15/bin
U=attesta-nobody
[ -x "$A" ] && [ -x "$R" ] && [ -x "$H" ] || { echo "audit_ship_credentials: build first"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "audit_ship_credentials: needs root"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] || { echo "audit_ship_credentials: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "audit_ship_credentials: no postgres user"; exit 77; }
id "$U" >/dev/null 2>&1 || { echo "audit_ship_credentials: no $U account (tests/adversarial/run-unpriv.sh creates it)"; exit 77; }
command -v runuser >/dev/null || { echo "audit_ship_credentials: runuser needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-ship-cred.XXXXXX)
chmod 755 "$T"
mkdir "$T/data" "$T/sock" "$T/work" "$T/secret"
chmod 700 "$T/secret"
chown postgres "$T/data" "$T/sock"
stop() {
	runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap stop EXIT
fail() {
	echo "audit_ship_credentials: FAIL: $*"
	for f in out err; do [ -f "$T/work/$f" ] && sed "s/^/  $f: /" "$T/work/$f" | tail -15; done
	exit 1
}
unset ATTESTA_NODE_ID ATTESTA_AUDIT_SHIP PGUSER PGHOST PGDATABASE PGPASSWORD PGPASSFILE

runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb"; }
# the test's own superuser is trusted; every other role needs its password
printf 'local all attesta trust\nlocal all all scram-sha-256\n' > "$T/data/pg_hba.conf"
touch "$T/pg.log"; chown postgres "$T/pg.log" "$T/data/pg_hba.conf"
runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 60 \
	-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || fail "pg_ctl start"
DB="host=$T/sock dbname=postgres"
SECRET="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$A" db init --database "$DB user=attesta" >/dev/null 2>&1 || fail "db init"
"$PG/psql" -X -q -v ON_ERROR_STOP=1 "$DB user=attesta" \
	-c "CREATE ROLE \"node-p\" LOGIN PASSWORD '$SECRET' IN ROLE attesta_node" || fail "create role"
printf '*:*:*:node-p:%s\n' "$SECRET" > "$T/secret/pgpass"
chmod 600 "$T/secret/pgpass"
export PGPASSFILE="$T/secret/pgpass"

cd "$T/work" || exit 1
cat > attesta.yaml <<YAML
fleet:
  database: "$DB user=node-p"
audit:
  ship: true
  ship_interval_ms: 200
gate:
  renderer: none
YAML
mkdir p && chown "$U" p
cat > "$T/agent.sh" <<'AGENT'
#!/bin/sh
# what an agent would try to learn the shipper's password; $1 names the
# test's oracle file holding it (grep -f: never on a command line itself)
leak=0
if cat "$PGPASSFILE" 2>/dev/null | grep -qF -f "$1"; then echo "LEAK: password file"; leak=1; fi
if env | grep -qF -f "$1"; then echo "LEAK: environment"; leak=1; fi
for p in /proc/[0-9]*; do
	if tr '\0' '\n' < "$p/environ" | grep -qF -f "$1"; then echo "LEAK: $p/environ"; leak=1; fi
	if tr '\0' ' ' < "$p/cmdline" | grep -qF -f "$1"; then echo "LEAK: $p/cmdline"; leak=1; fi
done 2>/dev/null
[ "$leak" -eq 0 ] && echo "no leak"
AGENT
printf '%s\n' "$SECRET" > "$T/needle"
chmod 644 "$T/needle"
chmod 755 "$T/agent.sh"

# negative control: the same agent as root, natively, finds the password
sh "$T/agent.sh" "$T/needle" > out 2>&1
grep -q "LEAK: password file" out || fail "negative control: root could not read the password file"

# under the gate, as another account: nothing; its calls are shipped
"$R" --user "$U" -c attesta.yaml --node-id node-p -- sh -c \
	"sh '$T/agent.sh' '$T/needle'; '$H' '$T/work/p' 200" > out 2> err || fail "the gated agent failed"
grep -q "^no leak$" out || fail "the agent reached the password: $(grep LEAK out)"
grep -q "^done 200 " out || fail "the agent's gated calls"
grep -q "audit shipping" err && fail "shipping failed: $(grep 'audit shipping' err)"
n=$("$PG/psql" -X -q -A -t "$DB user=attesta" -c "SELECT count(*) FROM attesta_audit WHERE node_id = 'node-p'")
local_n=$(wc -l < .attesta/audit.jsonl)
[ "$n" -eq "$local_n" ] && [ "$n" -ge 200 ] || fail "shipped $n of $local_n entries"
grep -q "$SECRET" .attesta/audit.jsonl && fail "the password is in the audit log"
"$PG/psql" -X -q -A -t "$DB user=attesta" -c "SELECT 1 FROM attesta_audit WHERE line LIKE '%$SECRET%'" |
	grep -q 1 && fail "the password is in a shipped entry"
# documented limit (docs/audit.md): an agent of the supervisor's own
# account reads what that account can read, the password file included
"$R" -c attesta.yaml --node-id node-p -- sh "$T/agent.sh" "$T/needle" > out 2> err
grep -q "LEAK: password file" out || fail "an agent as root could not read root's password file?"
grep -q "LEAK: environment" out && fail "the password reached the environment"
# a password in attesta-run's environment would be the agent's: refused
# before the agent runs
PGPASSWORD="$SECRET" "$R" --user "$U" -c attesta.yaml --node-id node-p -- sh "$T/agent.sh" "$T/needle" > out 2> err
rc=$?
[ "$rc" -eq 125 ] || fail "attesta-run with PGPASSWORD and audit.ship exited $rc"
grep -q "PGPASSWORD is set" err || fail "no PGPASSWORD refusal message"
grep -q "leak" out && fail "the agent ran with PGPASSWORD in its environment"
echo "audit_ship_credentials: ok ($n entries shipped with a password the agent could not read)"
