# Shared setup for tests/integration/run_*.sh (sourced, bash).
# Gives each test: a temp workspace $WS, a config $WS/attesta.yaml that
# allows ordinary work and forbids (CRITICAL + renderer none + fail_mode
# deny) anything whose path contains PROTECTED, the program named
# forbidden-tool, and connections to 127.0.0.2; helpers to run under the
# gate and to query and verify the audit log.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
RUN=$BUILD/attesta-run
HELPERS=$BUILD/helpers
TEST_NAME=$(basename "$0" .sh)
[ -x "$RUN" ] || { echo "skip: $RUN not built"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 needed"; exit 77; }

WS=$(mktemp -d /tmp/attesta-it.XXXXXX)
chmod 755 "$WS"
AUDIT=$WS/audit.jsonl
cleanup() {
	[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
	rm -rf "$WS"
}
trap cleanup EXIT

fail() { echo "$TEST_NAME: FAIL: $*"; [ -f "$WS/out" ] && sed 's/^/  out: /' "$WS/out" | tail -20; [ -f "$WS/err" ] && sed 's/^/  err: /' "$WS/err" | tail -20; exit 1; }
pass() { echo "$TEST_NAME: ok${1:+ - $1}"; }

cat >"$WS/attesta.yaml" <<YAML
policy:
  fail_mode: deny
risk:
  # The built-in agent profile rates "rm -r DIR" HIGH and a program
  # called with an IP address MEDIUM (both need a human, and renderer none
  # denies them); these tests are about the syscall gate, so the tools
  # they drive are LOW and what they touch decides.
  overrides:
    forbidden-tool: critical
    rm: low
    curl: low
    gate_raw: low
    gate_static: low
    gate_threads: low
    gate_vfork: low
  amplifiers:
    - pattern: "PROTECTED"
      target: path
      boost: 1.0
    - pattern: "127\\\\.0\\\\.0\\\\.2"
      target: host
      boost: 1.0
audit:
  path: $AUDIT
  sync: tiered
gate:
  renderer: none
  agent_id: it-agent
trust:
  path: $WS/trust.json
YAML

# gate CMD...: run under attesta-run in $WS; stdout -> $WS/out, stderr ->
# $WS/err; sets RC.
gate() {
	( cd "$WS" && "$RUN" -c "$WS/attesta.yaml" -- "$@" ) >"$WS/out" 2>"$WS/err"
	RC=$?
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "${2:-command} exited $RC, want $1"; }
expect_out() { grep -q -- "$1" "$WS/out" || fail "stdout lacks '$1'"; }

# audit_count PYEXPR: entries e for which PYEXPR is true.
audit_count() {
	python3 - "$AUDIT" "$1" <<'PY'
import json, sys
n = 0
try:
    lines = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    e = json.loads(line)
    # session entries (docs/audit.md) lack what a call's entry has
    try:
        if eval(sys.argv[2], {"e": e}):
            n += 1
    except (KeyError, TypeError, AttributeError, IndexError):
        pass
print(n)
PY
}

# expect_audit N PYEXPR [what]
expect_audit() {
	local got
	got=$(audit_count "$2")
	[ "$got" = "$1" ] || { python3 -c "import json,sys
for l in open('$AUDIT'): e=json.loads(l); print('  audit:', e.get('verdict'), e.get('action_class'), e.get('action_description'), '|', e.get('reason'))" 2>/dev/null | tail -15; fail "${3:-audit}: $got entries match '$2', want $1"; }
}
expect_audit_min() {
	local got
	got=$(audit_count "$2")
	[ "$got" -ge "$1" ] || fail "${3:-audit}: $got entries match '$2', want >= $1"
}

# The chain, recomputed with the Python stdlib (docs/audit.md), and
# `attesta audit verify` when the CLI has it.
verify_chain() {
	python3 - "$AUDIT" <<'PY' || fail "audit chain broken"
import hashlib, json, sys
prev = "0" * 64
for i, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="surrogateescape")):
    e = json.loads(line)
    if e.get("previous_hash") != prev:
        sys.exit(f"entry {i}: previous_hash mismatch")
    body = {k: v for k, v in e.items() if k not in ("chain_hash", "mac")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    h = hashlib.sha256((prev + text).encode("utf-8", "surrogatepass")).hexdigest()
    if h != e.get("chain_hash"):
        sys.exit(f"entry {i}: chain_hash mismatch")
    prev = h
PY
	if [ -x "$BUILD/attesta" ]; then
		"$BUILD/attesta" audit verify -c "$WS/attesta.yaml" >"$WS/verify.out" 2>&1
		local vrc=$?
		if ! grep -q "not supported" "$WS/verify.out"; then
			[ "$vrc" -eq 0 ] || { cat "$WS/verify.out"; fail "attesta audit verify exited $vrc"; }
		fi
	fi
}

# A local HTTP server on 127.0.0.1 (and 0.0.0.0, so 127.0.0.2 would reach it).
start_http_server() {
	mkdir -p "$WS/www"
	echo "hello from the server" >"$WS/www/index.html"
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	python3 -m http.server "$PORT" --bind 0.0.0.0 --directory "$WS/www" >"$WS/http.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "http server did not start"
}
