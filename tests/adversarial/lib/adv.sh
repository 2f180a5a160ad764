# Shared setup for tests/adversarial/*.sh (sourced, bash).
#
# Each escape test gets: a temp workspace $WS (the cwd of attesta-run), a
# config $WS/attesta.yaml that forbids the target actions (CRITICAL with
# renderer none and fail_mode deny, so nothing can approve them), the
# forbidden program $WS/forbidden-tool (adv_marker: if any of its code
# runs it appends a line to $ADV_MARKER), protected files, a counting
# listener on 127.0.0.2, and helpers to run an attack under the gate, run
# the same attack natively (the negative control: the attack is real),
# and check the audit log.
#
# What the test policy forbids:
#   - removing anything whose absolute path contains PROTECTED
#   - running a program named forbidden-tool
#   - connecting or sending to 127.0.0.2 (host amplifier)
#
# Environment knobs:
#   ADV_PERMISSIVE=1   write a config that forbids nothing: every escape
#                      test must then FAIL (proves the checks can fail)
#   ADV_ATTEMPTS, ADV_SECONDS   race budget (default 20000 / 60 s)
#   ADV_TIMEOUT        hard limit per attesta-run (default 180 s)
#   ADV_STRICT=1       known gaps outside the documented contract (docs/SECURITY.md) fail instead
#                      of skipping with their reason
#   ADV_KEEP=1         keep $WS for inspection
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
RUN=$BUILD/attesta-run
CLI=$BUILD/attesta
ADV=$BUILD/adversarial
TEST_NAME=$(basename "$0" .sh)
[ -x "$RUN" ] || { echo "skip: $RUN not built"; exit 77; }
[ -x "$ADV/adv_raw" ] || { echo "skip: $ADV/adv_raw not built (make all)"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 needed"; exit 77; }
command -v setsid >/dev/null || { echo "skip: setsid (util-linux) needed"; exit 77; }

WS=$(mktemp -d /tmp/attesta-adv.XXXXXX)
chmod 755 "$WS"
AUDIT=$WS/audit.jsonl
export ADV_MARKER=$WS/MARKER.ran
LISTENER_PID=
ADV_TIMEOUT=${ADV_TIMEOUT:-180}
NOTES=

adv_cleanup() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	if [ -n "${ADV_KEEP:-}" ]; then echo "kept $WS"; else rm -rf "$WS" 2>/dev/null; fi
}
trap adv_cleanup EXIT

fail() {
	echo "$TEST_NAME: FAIL: $*"
	[ -f "$WS/out" ] && sed 's/^/  out: /' "$WS/out" | tail -20
	[ -f "$WS/err" ] && sed 's/^/  err: /' "$WS/err" | tail -20
	exit 1
}
note() { NOTES="$NOTES
  note: $*"; echo "note: $*"; }
pass() { echo "$TEST_NAME: ok${1:+ - $1}$NOTES"; exit 0; }
skip() { echo "$TEST_NAME: skip: $*"; exit 77; }

# The attack programs themselves must start: their argv holds addresses
# and paths that the agent profile rates MEDIUM, and MEDIUM means "confirm",
# which renderer none turns into a deny of the first exec.
RULES="risk:
  overrides:
    forbidden-tool: critical
    adv_raw: low
    adv_raw-static: low
    adv_race: low
    adv_race-static: low
    adv_rename: low
    adv_super: low
    adv_uring: low
    adv_nested: low
    adv_shim: low
    adv_net: low
    adv_storm: low
    adv_loader: low
    adv_term: low
    adv_pgroup: low
    adv_creds: low
  amplifiers:
    - pattern: \"PROTECTED\"
      target: path
      boost: 1.0
    - pattern: \"127\\\\.0\\\\.0\\\\.2\"
      target: host
      boost: 1.0"
# ADV_PERMISSIVE=1: the same rules in shadow mode (decide, log, allow).
POLICY_MODE=enforce
[ "${ADV_PERMISSIVE:-}" = 1 ] && POLICY_MODE=shadow

# write_config [EXTRA GATE LINES...]: the policy, plus extra lines under gate:
write_config() {
	{
		echo "policy:"
		echo "  fail_mode: deny"
		echo "  mode: $POLICY_MODE"
		echo "$RULES"
		echo "audit:"
		echo "  path: $AUDIT"
		echo "  sync: tiered"
		echo "gate:"
		echo "  renderer: none"
		echo "  agent_id: adv-agent"
		for l in "$@"; do echo "  $l"; done
		echo "trust:"
		echo "  path: $WS/trust.json"
	} >"$WS/attesta.yaml"
}
write_config

cp "$ADV/adv_marker" "$WS/forbidden-tool"

# reset_targets: the protected (and allowed) files and dirs, fresh.
reset_targets() {
	rm -rf "$WS/PROTECTED.d" "$WS/PROTECTED.dir" "$WS/okdir" "$WS/d" "$WS/d.swap" "$ADV_MARKER"
	echo secret >"$WS/PROTECTED.txt"
	mkdir -p "$WS/PROTECTED.d" "$WS/PROTECTED.dir" "$WS/okdir"
	echo secret >"$WS/PROTECTED.d/victim"
	: >"$WS/ok.txt"
	ln -sfn PROTECTED.d "$WS/oklink"
}
reset_targets

# gate CMD...: run CMD under attesta-run in $WS, in its own session (an
# attack on the supervisor's process group must not reach this script),
# bounded by ADV_TIMEOUT. GATE_CWD (default $WS) is where it starts. stdout -> $WS/out, stderr -> $WS/err, RC.
gate() {
	( cd "${GATE_CWD:-$WS}" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" -c "$WS/attesta.yaml" -- "$@" ) \
		>"$WS/out" 2>"$WS/err"
	RC=$?
}

# native CMD...: the same attack without the gate (negative control).
native() {
	( cd "${GATE_CWD:-$WS}" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$@" ) >"$WS/native.out" 2>&1
	NRC=$?
}

# result MODE: the rc= and errno= of the RESULT line for MODE in $WS/out.
result_errno() { sed -n "s/^RESULT $1 rc=[-0-9]* errno=\([0-9]*\).*/\1/p" "$WS/out" | tail -1; }
result_rc() { sed -n "s/^RESULT $1 rc=\([-0-9]*\) .*/\1/p" "$WS/out" | tail -1; }

# expect_denied MODE: the attack's call failed with EPERM/EACCES, or the
# process was killed (SIGSYS from the filter: 128+31; SIGKILL from exec
# verification: 128+9) before it could report success.
expect_denied() {
	local rc
	rc=$(result_rc "$1")
	if [ -n "$rc" ] && [ "$rc" -ge 0 ]; then fail "$1: the forbidden call SUCCEEDED under the gate (rc=$rc)"; fi
	case "$RC" in 1|159|137|139) ;; *) fail "$1: attesta-run exited $RC (want 1 = denied, or 159/137 = killed)";; esac
}

# Protected state checks.
expect_file() { [ -e "$WS/$1" ] || fail "${2:-escape}: $1 was removed"; }
expect_no_marker() {
	[ ! -e "$ADV_MARKER" ] || { sed 's/^/  marker: /' "$ADV_MARKER"; fail "${1:-escape}: the forbidden program RAN"; }
}

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
    if line.strip():
        e = json.loads(line)
        try:
            if eval(sys.argv[2], {"e": e}):
                n += 1
        except (KeyError, TypeError, AttributeError):
            pass
print(n)
PY
}

audit_dump() {
	python3 - "$AUDIT" <<'PY' 2>/dev/null | tail -${1:-15}
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    print("  audit:", e.get("verdict"), e.get("action_class"), e.get("action_name"),
          e.get("path") or e.get("address") or e.get("action_description"), "|", e.get("reason"))
PY
}

# expect_audit_min N PYEXPR WHAT: at least N entries match.
expect_audit_min() {
	local got
	got=$(audit_count "$2")
	[ "$got" -ge "$1" ] || { audit_dump; fail "${3:-audit}: $got entries match '$2', want >= $1"; }
}
expect_audit_eq() {
	local got
	got=$(audit_count "$2")
	[ "$got" -eq "$1" ] || { audit_dump; fail "${3:-audit}: $got entries match '$2', want $1"; }
}

# A denied entry naming a protected path / the forbidden program / 127.0.0.2.
DENIED_PATH='e.get("verdict")!="approved" and "PROTECTED" in (e.get("path") or "")'
DENIED_PROG='e.get("verdict")!="approved" and e.get("action_class")=="exec"'
DENIED_NET='e.get("verdict")!="approved" and "127.0.0.2" in str(e.get("address") or "")'

# verify_chain: the log's hash chain, recomputed with the Python stdlib,
# and `attesta audit verify`.
verify_chain() {
	[ -s "$AUDIT" ] || return 0
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
	if [ -x "$CLI" ]; then
		"$CLI" audit verify -c "$WS/attesta.yaml" >"$WS/verify.out" 2>&1 ||
			{ cat "$WS/verify.out"; fail "attesta audit verify exited $?"; }
	fi
}

# start_listener: TCP and UDP on 127.0.0.2:$BADPORT (the forbidden
# address); every accepted connection or datagram is one line in
# $WS/listener.log. Also a free port $OKPORT on 127.0.0.1 with nothing
# listening (allowed connects get ECONNREFUSED, fast).
start_listener() {
	BADPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1])')
	OKPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	: >"$WS/listener.log"
	python3 - "$BADPORT" "$WS/listener.log" "$WS/listener.ready" <<'PY' >/dev/null 2>&1 &
import selectors, socket, sys
port, log, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.2", port)); t.listen(128)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.2", port))
sel = selectors.DefaultSelector(); sel.register(t, selectors.EVENT_READ); sel.register(u, selectors.EVENT_READ)
open(ready, "w").close()
with open(log, "a", buffering=1) as f:
    while True:
        for key, _ in sel.select():
            if key.fileobj is t:
                c, peer = t.accept(); f.write(f"tcp {peer}\n"); c.close()
            else:
                d, peer = u.recvfrom(65536); f.write(f"udp {peer} {d[:32]!r}\n")
PY
	LISTENER_PID=$!
	for _ in $(seq 100); do [ -e "$WS/listener.ready" ] && return 0; sleep 0.05; done
	fail "listener did not start"
}
listener_events() { wc -l <"$WS/listener.log" | tr -d ' '; }
reset_listener() { : >"$WS/listener.log"; }
expect_no_traffic() {
	local n
	n=$(listener_events)
	[ "$n" -eq 0 ] || { sed 's/^/  listener: /' "$WS/listener.log" | head; fail "${1:-escape}: $n connection(s)/datagram(s) reached 127.0.0.2"; }
}

# gap NAME REASON: a known gap outside the documented contract (docs/SECURITY.md). Fails under
# ADV_STRICT=1, else skips with the reason (visible in the summary).
gap() {
	if [ "${ADV_STRICT:-}" = 1 ]; then fail "known gap: $1: $2"; fi
	echo "$TEST_NAME: known gap: $1: $2"
	echo "skip: known gap: $1 (ADV_STRICT=1 makes it fail)"
	exit 77
}

# each_case FUNC < CASES: run FUNC LINE for every line in a subshell (a
# failing case reports and the others still run); fails at the end if
# any case failed. CASES_RUN counts the cases.
each_case() {
	local fn=$1 line failed=0
	CASES_RUN=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		CASES_RUN=$((CASES_RUN + 1))
		( "$fn" "$line" ) || failed=$((failed + 1))
	done
	[ "$failed" -eq 0 ] || { audit_dump 20; echo "$TEST_NAME: FAIL: $failed of $CASES_RUN cases failed"; exit 1; }
}
