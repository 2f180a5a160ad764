#!/bin/sh
# The attestation rollout runbook (docs/fleet.md, "Rollout runbook") on a
# REAL PostgreSQL server (started as fleet_postgres.sh does: initdb +
# pg_ctl as "postgres", unix socket only): db init with roles, a signed
# bundle published and pulled, three nodes (three attesta-run processes
# with their own node ids and database roles), verify enrollment,
# advisory (a mis-enrolled node logs would-denies and keeps working), the
# soak report non-zero then zero after re-enrolling, enforce, a revoke
# reaching a running gate within 2 s (LISTEN/NOTIFY), a lost database
# connection (grace 0: deny; grace N: last known state for N s), back to
# advisory; a bad signature, an unknown key and an unreadable registry
# failing closed with their reason; a node's role cannot enroll itself or
# push a bundle. Skips (77) when not root or PostgreSQL 15 is missing.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "fleet_rollout: no build directory"; exit 77; }
A=$BUILD/attesta
R=$BUILD/attesta-run
PG=/usr/lib/postgresql/15/bin
[ -x "$A" ] && [ -x "$R" ] || { echo "fleet_rollout: not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "fleet_rollout: needs root (to run the server as postgres)"; exit 77; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] && [ -x "$PG/psql" ] || { echo "fleet_rollout: PostgreSQL 15 not installed"; exit 77; }
id postgres >/dev/null 2>&1 || { echo "fleet_rollout: no postgres user"; exit 77; }
command -v runuser >/dev/null || { echo "fleet_rollout: runuser needed"; exit 77; }
command -v python3 >/dev/null || { echo "fleet_rollout: python3 needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-fleet-rollout.XXXXXX)
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
fail() { echo "fleet_rollout: FAIL: $*"; for f in out err; do [ -f "$f" ] && sed "s/^/  $f: /" "$f" | tail -15; done; tail -n 5 "$T/pg.log" 2>/dev/null; exit 1; }
unset ATTESTA_NODE_ID ATTESTA_BUNDLE_PUBKEY ATTESTA_ATTESTATION_MODE

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
sql() { "$PG/psql" -X -q -v ON_ERROR_STOP=1 "$DB user=attesta" -c "$1" >/dev/null || fail "psql: $1"; }
now() { python3 -c 'import time; print("%.3f" % time.time())'; }

# --- schema, roles, login roles -----------------------------------------------
"$A" db init --database "$DB user=attesta" > out 2> err || fail "db init"
grep -q "version 0 -> [1-9][0-9]*$" out || fail "db init: first run"  # the number grows with every migration
"$A" db init --database "$DB user=attesta" > out 2> err || fail "db init again"
grep -q "version [1-9][0-9]*, up to date" out || fail "db init is not idempotent"
sql "CREATE ROLE op LOGIN IN ROLE attesta_operator; CREATE ROLE pub LOGIN IN ROLE attesta_publisher;
     CREATE ROLE n1 LOGIN IN ROLE attesta_node; CREATE ROLE n2 LOGIN IN ROLE attesta_node;
     CREATE ROLE n3 LOGIN IN ROLE attesta_node; CREATE ROLE stranger LOGIN"

# --- publish a signed bundle ----------------------------------------------------
"$A" bundle keygen --out keys >/dev/null && "$A" bundle keygen --out other >/dev/null || fail keygen
cat > pol.yaml <<'Y'
policy:
  fail_mode: deny
risk:
  overrides:
    python3: low
gate:
  renderer: none
  agent_id: rollout-agent
Y
pack() { "$A" bundle pack --key "$1/bundle.key" --name web --version "$2" --enrollment-ref ref-1 \
	--out "$3" pol.yaml >/dev/null || fail "pack $3"; }
pack keys 1 web-1.tar
pack keys 2 web-2.tar
pack other 1 unknown-key.tar
python3 - <<'PY' || fail "tamper"
b = bytearray(open("web-1.tar", "rb").read())
i = b.index(b"manifest.sig") + 512
b[i] = ord("0") if b[i] != ord("0") else ord("1")
open("bad-sig.tar", "wb").write(bytes(b))
PY
export ATTESTA_BUNDLE_PUBKEY=$T/work/keys/bundle.pub
"$A" bundle push --database "$DB user=pub" web-1.tar > out 2> err || fail "push web-1"
grep -q "web@1: pushed" out || fail "push output"
"$A" bundle push --database "$DB user=pub" web-1.tar > out 2> err || fail "push is idempotent"
"$A" bundle push --database "$DB user=pub" bad-sig.tar > out 2> err && fail "pushed a bad signature"
"$A" bundle push --database "$DB user=pub" unknown-key.tar > out 2> err && fail "pushed an unknown key's bundle"
cp web-1.tar again.tar && SOURCE_DATE_EPOCH=1 "$A" bundle pack --key keys/bundle.key --name web \
	--version 1 --enrollment-ref ref-1 --out again.tar pol.yaml >/dev/null
"$A" bundle push --database "$DB user=pub" again.tar > out 2> err && fail "replaced web@1"
grep -q "already exists with other content" err || fail "replace refusal reason"
"$A" bundle push --database "$DB user=pub" web-2.tar > out 2> err || fail "push web-2"
"$A" bundle pull --database "$DB user=n1" web pulled.tar > out 2> err || fail "pull web"
cmp -s pulled.tar web-2.tar || fail "pull NAME is not the newest"
"$A" bundle pull --database "$DB user=n1" web@1 pulled.tar > out 2> err || fail "pull web@1"
cmp -s pulled.tar web-1.tar || fail "pull NAME@VERSION is not exact"
"$A" bundle pull --database "$DB user=n1" web@9 pulled.tar > out 2> err && fail "pulled web@9"
# a node's role pushes nothing and enrolls nothing, not even itself
"$A" bundle push --database "$DB user=n1" web-1.tar > out 2> err && fail "node pushed a bundle"
grep -q "permission denied" err || fail "node push: reason"
"$A" node enroll --registry postgres --database "$DB user=n1" --node-id n1 --enrollment-ref ref-1 \
	> out 2> err && fail "node enrolled itself"
grep -q "permission denied" err || fail "node enroll: reason"

# --- operator enrolls three nodes; n2 with a typo ----------------------------------
op() { "$A" node "$@" --registry postgres --database "$DB user=op" > out 2> err || fail "node $*"; }
op enroll --node-id n1 --enrollment-ref ref-1
op enroll --node-id n2 --enrollment-ref ref-1x
op enroll --node-id n3 --enrollment-ref ref-1
# runbook 1: verify enrollment (each node sees its own row only)
for n in n1 n2 n3; do
	"$A" attestation status --registry postgres --database "$DB user=$n" --node-id $n > out 2> err ||
		fail "status $n"
	grep -q "^$n  *ref-1x*  *active" out || fail "status $n row"
done
"$A" attestation status --registry postgres --database "$DB user=n1" --node-id n2 > out 2> err &&
	fail "n1 read n2's row"
"$A" attestation eval --registry postgres --database "$DB user=n1" --node-id n1 --bundle web@1 > out 2> err ||
	fail "eval n1"
"$A" attestation eval --registry postgres --database "$DB user=n2" --node-id n2 --bundle web@1 > out 2> err &&
	fail "eval n2 should deny"
[ "$(cat out)" = "attestation: enrollment_mismatch" ] || fail "eval n2 reason"

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
# each node has its own audit log, NODE-PHASE.jsonl (several attesta-run
# processes starting on one shared log trip over each other's head file
# in the state protection: see the report of this change)
node_cfg() { # node_cfg NODE PHASE [GRACE]
	printf 'audit:\n  path: %s/%s-%s.jsonl\ntrust:\n  path: %s/trust-%s.json\nattestation:\n  registry: postgres\n  grace_seconds: %s\nfleet:\n  database: "%s user=%s"\n' \
		"$T/work" "$1" "$2" "$T/work" "$1" "${3:-0}" "$DB" "$1" > "$1.yaml"
}
start() { # start MODE NODE N PAUSE TAG: background, output in TAG.out
	"$R" -c "$2.yaml" --attestation "$1" --node-id "$2" --bundle web@1 -- \
		"$PY" agent.py "$3" "$4" "$5" > "$5.out" 2> "$5.err" &
	PIDS="$PIDS $!"
	LAST=$!
}
# the interpreter itself (not a version-manager shim that execs more programs)
PY=$(python3 -c 'import sys; print(sys.executable)')
oks() { n=$(grep -c '^ok' "$1" 2>/dev/null); echo "${n:-0}"; }
count() { # count PHASE PYEXPR: entries of every node's log of PHASE
	python3 - "$2" *-"$1".jsonl <<'PY'
import json, sys
n = 0
for f in sys.argv[2:]:
    for line in open(f):
        e = json.loads(line)
        if eval(sys.argv[1]):
            n += 1
print(n)
PY
}

# --- runbook 2-3: advisory and soak ---------------------------------------------
for n in n1 n2 n3; do node_cfg $n soak1; done
start advisory n1 3 0 a1; p1=$LAST
start advisory n2 3 0 a2; p2=$LAST
start advisory n3 3 0 a3; p3=$LAST
for p in $p1 $p2 $p3; do wait $p || fail "advisory agent $p exited $?"; done
for t in a1 a2 a3; do [ "$(grep -c '^ok' $t.out)" = 3 ] || { cat $t.err; fail "advisory $t denied"; }; done
grep -q "attestation advisory: attestation: enrollment_mismatch" a2.err || fail "n2 advisory stderr"
[ "$(count soak1 'e.get("would_deny") is True and e["node_id"]=="n2" and e["reason"]=="attestation: enrollment_mismatch"')" -ge 4 ] ||
	fail "n2 would-denies"
[ "$(count soak1 'e.get("would_deny") is True and e["node_id"]!="n2"')" = 0 ] || fail "would-denies on good nodes"
[ "$(count soak1 'e["action_class"]=="unlink" and e.get("agent_id")=="rollout-agent"')" -ge 9 ] ||
	fail "the pulled bundle is not the policy"
"$A" attestation report n1-soak1.jsonl n2-soak1.jsonl n3-soak1.jsonl > out 2> err; rc=$?
[ "$rc" = 1 ] && grep -q "^n2  *attestation: enrollment_mismatch" out || fail "soak report: rc $rc"
id=$(python3 -c '
import json
for l in open("n2-soak1.jsonl"):
    e = json.loads(l)
    if e.get("would_deny") and e["action_class"] == "unlink": print(e["entry_id"]); break')
"$A" audit get "$id" n2-soak1.jsonl > out || fail "audit get"
[ "$(wc -l < out)" = 2 ] && grep -q '"would_deny":true' out || fail "audit get: both entries"
"$A" audit inspect --reason-prefix attestation: n2-soak1.jsonl > out || fail inspect
grep -q "attestation: enrollment_mismatch" out || fail "inspect lists would-denies"
# fix the typo; a new soak is clean
op enroll --node-id n2 --enrollment-ref ref-1
for n in n1 n2 n3; do node_cfg $n soak2; done
start advisory n1 2 0 b1; p1=$LAST
start advisory n2 2 0 b2; p2=$LAST
start advisory n3 2 0 b3; p3=$LAST
for p in $p1 $p2 $p3; do wait $p || fail "advisory agent exited $?"; done
"$A" attestation report n1-soak2.jsonl n2-soak2.jsonl n3-soak2.jsonl > out 2> err || fail "soak report after re-enroll: rc $?"

# --- runbook 4: enforce; revoke n3 while its agent runs --------------------------
for n in n1 n2 n3; do node_cfg $n enforce; done
start enforce n1 50 0.1 e1; p1=$LAST
start enforce n2 50 0.1 e2; p2=$LAST
start enforce n3 50 0.1 e3; p3=$LAST
i=0; while [ "$(oks e3.out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
revoked_at=$(now)
op revoke --node-id n3
for p in $p1 $p2 $p3; do wait $p || { cat e1.err e2.err e3.err; fail "enforce agent exited $?"; }; done
for t in e1 e2; do [ "$(grep -c '^ok' $t.out)" = 50 ] || { cat $t.err; fail "enforce $t denied"; }; done
grep -q '^done' e3.out || fail "n3's agent stopped (its ungated work must go on)"
first=$(awk '$1=="denied"{print $2; exit}' e3.out)
[ -n "$first" ] || fail "n3: nothing denied after the revoke"
python3 -c "import sys; d=$first-$revoked_at; print('fleet_rollout: revoke -> deny %.2f s' % d); sys.exit(d > 2.0)" ||
	fail "the revoke reached n3 too late"
awk -v f="$first" '$1=="ok" && $2 > f {bad=1} END {exit bad}' e3.out || fail "n3 allowed a call after the deny"
[ "$(count enforce 'e["verdict"]=="denied" and e["reason"]=="attestation: revoked" and e["decision_source"]=="attestation"')" -ge 10 ] ||
	fail "enforce denies audited"
grep -c "attestation enforce: attestation: revoked" e3.err | grep -qx 1 || fail "n3 stderr: once"
"$A" audit inspect --reason-prefix attestation: n3-enforce.jsonl > out && grep -q "attestation: revoked" out ||
	fail "inspect enforce denies"

# --- a newly published bundle reaches a running gate (NOTIFY attesta_bundle) -------
# n1 runs the newest "web"; web@3 binds another enrollment ref: denied within 2 s
node_cfg n1 publish
"$R" -c n1.yaml --attestation enforce --node-id n1 --bundle web -- \
	"$PY" agent.py 40 0.1 w1 > w1.out 2> w1.err &
PIDS="$PIDS $!"; p1=$!
i=0; while [ "$(oks w1.out)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
"$A" bundle pack --key keys/bundle.key --name web --version 3 --enrollment-ref ref-elsewhere \
	--out web-3.tar pol.yaml >/dev/null || fail "pack web-3"
published_at=$(now)
"$A" bundle push --database "$DB user=pub" web-3.tar > out 2> err || fail "push web-3"
wait $p1 || fail "publish agent exited $?"
first=$(awk '$1=="denied"{print $2; exit}' w1.out)
[ -n "$first" ] || { cat w1.err; fail "the published bundle did not reach the running gate"; }
python3 -c "import sys; d=$first-$published_at; print('fleet_rollout: publish -> gate %.2f s' % d); sys.exit(d > 2.0)" ||
	fail "the published bundle reached the gate too late"
grep -q "policy: bundle web@3 (<fleet database: web@3>) is now the policy" w1.err || fail "publish: not said"
grep -q "attestation enforce: attestation: enrollment_mismatch" w1.err || fail "publish: reason"

# --- a lost connection: grace 0 denies; grace 3 keeps the last state 3 s ------------
node_cfg n1 lost 0
node_cfg n2 lost 3
start enforce n1 80 0.1 l1; p1=$LAST
start enforce n2 80 0.1 l2; p2=$LAST
i=0; while [ "$(oks l1.out)" -lt 3 ] || [ "$(oks l2.out)" -lt 3 ]; do
	sleep 0.1; i=$((i+1)); [ $i -lt 100 ] || fail "lost: agents did not start"; done
stopped_at=$(now)
pg_stop
sleep 5
pg_start
restarted_at=$(now)
for p in $p1 $p2; do wait $p || fail "lost agent exited $?"; done
python3 - "$stopped_at" "$restarted_at" <<'PY' || fail "lost connection behaviour"
import sys
stop, restart = float(sys.argv[1]), float(sys.argv[2])
def calls(t):
    return [(l.split()[0], float(l.split()[1])) for l in open(t + ".out") if l[0] in "od" and l.split()[0] in ("ok", "denied")]
l1, l2 = calls("l1"), calls("l2")
d1 = [t for r, t in l1 if r == "denied"]
assert d1 and d1[0] - stop <= 2.0, ("grace 0: not denied within 2 s", d1[:1], stop)
assert all(r == "denied" for r, t in l1 if stop + 2.0 < t < restart), "grace 0: allowed while down"
assert any(r == "ok" for r, t in l2 if stop + 0.5 < t < stop + 2.0), "grace 3: denied inside the grace"
assert any(r == "denied" for r, t in l2 if stop + 4.5 < t < restart), "grace 3: not denied after it"
assert any(r == "ok" for r, t in l1 if t > restart + 10.0) or l1[-1][0] == "ok", "no recovery after restart"
print("fleet_rollout: lost connection: grace 0 denied after %.2f s" % (d1[0] - stop))
PY
grep -q "cannot read registry\|cannot open registry\|not connected" l1.err || fail "lost: stderr reason"

# --- back to advisory: the revoked node works, would-denies logged ---------------------
for n in n3; do node_cfg $n back; done
start advisory n3 2 0 v3; wait $LAST || fail "advisory n3 exited $?"
[ "$(grep -c '^ok' v3.out)" = 2 ] || fail "advisory n3 denied"
[ "$(count back 'e.get("would_deny") is True and e["reason"]=="attestation: revoked"')" -ge 3 ] ||
	fail "advisory n3 would-denies"

# --- fail closed: bad signature, unknown key, unreadable registry ---------------------
node_cfg n1 closed
for b in bad-sig.tar unknown-key.tar; do
	"$R" -c n1.yaml --attestation enforce --node-id n1 --bundle $b -- "$PY" agent.py 1 0 c > out 2> err; rc=$?
	[ "$rc" = 126 ] && grep -q "attestation: signature" err && grep -q "bad_signature" err ||
		fail "$b: rc $rc"
done
printf 'audit:\n  path: %s/stranger-closed.jsonl\nattestation:\n  registry: postgres\nfleet:\n  database: "%s user=stranger"\n' \
	"$T/work" "$DB" > stranger.yaml
"$R" -c stranger.yaml --attestation enforce --node-id n1 --bundle web-1.tar -- "$PY" agent.py 1 0 c > out 2> err; rc=$?
[ "$rc" = 126 ] && grep -q "attestation: not_enrolled.*cannot read registry.*permission denied" err ||
	fail "unreadable registry: rc $rc"
[ "$(count closed 'e["verdict"]=="denied" and e["reason"] in ("attestation: signature", "attestation: not_enrolled")')" -ge 3 ] ||
	fail "fail-closed denies audited"
for f in *.jsonl; do
	"$A" audit verify "$f" > out 2> err || fail "audit verify $f"
done
echo "fleet_rollout: ok"
