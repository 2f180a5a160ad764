#!/bin/sh
# Audit shipping rows of `make bench` (docs/BENCHMARKS.md, docs/audit.md
# "Shipping to PostgreSQL"), run by scripts/bench/run.py: a PostgreSQL 15
# server of its own (initdb in SCRATCH, unix socket only, as the tests
# start one), then
#   - the gated-call latency with shipping on beside off: REPEATS
#     interleaved runs of `latency -n LAT_N unlink connect sendto` under
#     attesta-run, audit.ship true (shipping every 200 ms while the calls
#     are made) and false; printed as "ship-lat on|off REP <latency line>";
#   - the shipping rate: SHIP_ENTRIES (default 20000) entries of a gated
#     run, shipped by `attesta audit ship` in batches of 1000; printed as
#     "ship-throughput ENTRIES SECONDS".
# Prints "ship: skipped: WHY" and exits 0 when it cannot run here (not
# root, no PostgreSQL 15).
set -u
B=$(cd "${BUILD:?}" && pwd)
S=${SCRATCH:?}
REPEATS=${REPEATS:-5}
LAT_N=${LAT_N:-600}
SHIP_ENTRIES=${SHIP_ENTRIES:-20000}
PG=/usr/lib/postgresql/15/bin
[ "$(id -u)" -eq 0 ] || { echo "ship: skipped: needs root (to run the server as postgres)"; exit 0; }
[ -x "$PG/initdb" ] && [ -x "$PG/pg_ctl" ] || { echo "ship: skipped: PostgreSQL 15 not installed"; exit 0; }
id postgres >/dev/null 2>&1 || { echo "ship: skipped: no postgres user"; exit 0; }
for f in attesta attesta-run bench/latency helpers/gate_loop; do
	[ -x "$B/$f" ] || { echo "ship: skipped: $B/$f missing"; exit 0; }
done
T=$S/ship
rm -rf "$T"
mkdir -p "$T/data" "$T/sock" "$T/ws"
chmod 755 "$S" "$T"
chown postgres "$T/data" "$T/sock"
stop() { runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1; rm -rf "$T"; }
trap stop EXIT
runuser -u postgres -- "$PG/initdb" -D "$T/data" -A trust -U attesta >"$T/initdb.log" 2>&1 ||
	{ echo "ship: skipped: initdb failed"; exit 0; }
touch "$T/pg.log"; chown postgres "$T/pg.log"
runuser -u postgres -- "$PG/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 60 \
	-o "-c listen_addresses='' -k $T/sock" start >/dev/null 2>&1 || { echo "ship: skipped: pg_ctl start failed"; exit 0; }
DB="host=$T/sock user=attesta dbname=postgres"
"$B/attesta" db init --database "$DB" >/dev/null || { echo "ship: skipped: db init failed"; exit 0; }
for on in true false; do
	cat > "$T/cfg-$on.yaml" <<YAML
audit:
  path: $T/audit-$on.jsonl
  sync: tiered
  ship: $on
  ship_interval_ms: 200
gate:
  renderer: none
trust:
  path: $T/trust-$on.json
fleet:
  database: "$DB"
YAML
done
cd "$T/ws" || exit 1
rep=1
while [ "$rep" -le "$REPEATS" ]; do
	for on in true false; do
		label=off
		[ "$on" = true ] && label=on
		"$B/attesta-run" -c "$T/cfg-$on.yaml" --node-id "bench-$label" -- \
			"$B/bench/latency" -n "$LAT_N" -d "$T/ws" unlink connect sendto 2>>"$T/run.err" |
			sed "s/^/ship-lat $label $rep /"
	done
	rep=$((rep + 1))
done
shipped=$(grep -c . "$T/audit-true.jsonl")
echo "ship-lat-shipped $shipped"
# the rate: a finished run's log shipped whole
"$B/attesta-run" -c "$T/cfg-false.yaml" --audit "$T/big.jsonl" -- \
	"$B/helpers/gate_loop" "$T/ws" "$SHIP_ENTRIES" >/dev/null 2>>"$T/run.err"
n=$(grep -c . "$T/big.jsonl")
t0=$(date +%s.%N)
"$B/attesta" audit ship -c "$T/cfg-false.yaml" --node-id bench-rate "$T/big.jsonl" >/dev/null 2>>"$T/run.err" ||
	{ echo "ship: audit ship failed: $(tail -2 "$T/run.err")"; exit 1; }
t1=$(date +%s.%N)
echo "ship-throughput $n $(python3 -c "print(round($t1 - $t0, 3))")"
