#!/bin/bash
# Escape family: a signal storm against a held call. The agent's thread
# connects to 127.0.0.1:PORT, an allowed address whose accept queue the
# test has filled, so the (emulated) connect is held ~3 s; SIGALRM arrives
# every millisecond with SA_RESTART. The gate must make exactly one
# decision for that connect (one audit entry), not one per restart, and
# the connect must complete.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
S=$ADV/adv_storm
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$PORT" "$WS/storm.ready" <<'PY' >/dev/null 2>&1 &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(0)
fill = []
for _ in range(2):      # fill the accept queue: later SYNs are dropped
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.3)
open(ready, "w").close()
time.sleep(2.5)
srv.settimeout(10)
end = time.time() + 10
while time.time() < end:
    try: srv.accept()
    except OSError: pass
PY
LISTENER_PID=$!
for _ in $(seq 100); do [ -e "$WS/storm.ready" ] && break; sleep 0.05; done
[ -e "$WS/storm.ready" ] || fail "storm listener did not start"
gate "$S" 127.0.0.1 "$PORT"
grep '^INFO\|^RESULT' "$WS/out" | sed 's/^/  /'
grep -q '^RESULT connect rc=0 ' "$WS/out" || fail "the held connect did not complete (rc $RC)"
secs=$(sed -n 's/^INFO signals=[0-9]* seconds=\([0-9.]*\)/\1/p' "$WS/out")
python3 -c "import sys; sys.exit(0 if float('$secs') >= 0.8 else 1)" || note "the connect was not held long (${secs}s): the storm had little to interrupt"
expect_audit_eq 1 "e.get('action_class')=='connect' and e.get('address')=='127.0.0.1:$PORT'" "one decision for one held connect"
verify_chain
pass
