#!/bin/bash
# The annotation socket wakes the main thread at most once per 10 ms
# (shimloop.c, docs/shim.md "The supervisor's receive path"), yet every
# annotation arrives: python3 under the gate with two decision threads
# sends 2,000 UDP datagrams (each preceded by the shim's CALL), then
# resolves a name 300 times and waits 0.3 s before it connects by that
# name. glibc tries nscd (a gated AF_UNIX connect, whose decision drains
# the socket) on the first lookup and every 100th, so at least the last
# ~100 RESOLVE messages are followed by no annotated call: only the main
# thread's timed drain reads them. ATTESTA_DECISION_STATS=1 reports the main
# thread's drains: before the throttle it woke once per datagram.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

UDP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WS/agent.py" <<PY
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(b"x", ("127.0.0.1", $UDP_PORT))
print("sent 2000")
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
port = srv.getsockname()[1]
for i in range(300):
    ai = socket.getaddrinfo("localhost", port, socket.AF_INET, socket.SOCK_STREAM)
time.sleep(0.3)
c = socket.socket(); c.connect(ai[0][4]); c.close()
print("tcp connect ok", port)
PY

( cd "$WS" && ATTESTA_DECISION_STATS=1 ATTESTA_DECISION_THREADS=2 \
	"$RUN" -c "$WS/attesta.yaml" -- python3 agent.py ) >"$WS/out" 2>"$WS/err"
RC=$?
expect_rc 0 "python3 agent.py"
expect_out "sent 2000"
expect_out "tcp connect ok"
line=$(grep 'shim annotations:' "$WS/err") || fail "no 'shim annotations' line with ATTESTA_DECISION_STATS=1"
wakeups=$(sed -n 's/.*annotations: \([0-9]*\) wake-ups.*/\1/p' <<<"$line")
read_by_loop=$(sed -n 's/.* read \([0-9]*\) datagrams.*/\1/p' <<<"$line")
[ -n "$wakeups" ] && [ -n "$read_by_loop" ] || fail "cannot parse: $line"
# 2,300 datagrams and about 2.5 s of run time at most once per 10 ms
# (plus busy re-arms): far below one wake-up per datagram
[ "$wakeups" -le 600 ] || fail "the main thread woke $wakeups times for annotations ($line)"
# the RESOLVE messages after glibc's last nscd attempt: only the main
# thread's timed drain can have read them (a socket never watched again
# after the first drain would read a handful)
[ "$read_by_loop" -ge 50 ] || fail "the main thread read $read_by_loop datagrams, want >= 50 ($line)"

expect_audit 2000 'e["action_class"]=="sendto" and e["address"]=="127.0.0.1:'"$UDP_PORT"'" and e["verdict"]=="approved"' "sendto"
# the table keeps 200 messages per second per process, 400 at once
# (docs/shim.md): at least the first 400 CALLs annotate their sendto
expect_audit_min 400 'e["action_class"]=="sendto" and (e.get("metadata") or {}).get("libc_entry")=="sendto"' "sendto annotated"
TCP_PORT=$(sed -n 's/^tcp connect ok //p' "$WS/out")
expect_audit 1 'e["action_class"]=="connect" and e["address"]=="127.0.0.1:'"$TCP_PORT"'" and e.get("host")=="localhost" and e.get("host_verified") is True' "connect by a resolved name, annotated"
verify_chain
pass "$wakeups wake-ups, $read_by_loop datagrams read by the main thread"
