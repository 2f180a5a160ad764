#!/bin/bash
# python3 under the gate: subprocess (vfork/posix_spawn) allowed and
# forbidden, os.remove allowed and forbidden, UDP sendto allowed (to
# 127.0.0.1) and forbidden (to 127.0.0.2), checked on both sides; a TCP
# connect to a name resolved before a removal: the shim's annotation
# (the host name, verified) reaches the connect's entry although the
# removal's decision between them does not read it (shimrecv.h).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

cp /bin/true "$WS/forbidden-tool"
echo keep >"$WS/PROTECTED.db"; echo gone >"$WS/tmp.txt"; echo gone >"$WS/between.txt"
UDP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])')
python3 - "$UDP_PORT" >"$WS/udp.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(8)
got = []
try:
    while True:
        data, addr = s.recvfrom(100)
        got.append(data.decode())
        print(data.decode(), addr[0], flush=True)
        if data == b"last":
            break
except socket.timeout:
    pass
PY
SERVER_PID=$!
sleep 0.3

cat >"$WS/agent.py" <<PY
import errno, os, socket, subprocess
r = subprocess.run(["echo", "child says hi"], capture_output=True, text=True)
print("subprocess:", r.returncode, r.stdout.strip())
try:
    subprocess.run(["./forbidden-tool"])
    print("forbidden ran")
except PermissionError as e:
    print("forbidden: PermissionError", e.errno)
os.remove("tmp.txt"); print("removed tmp.txt")
try:
    os.remove("PROTECTED.db"); print("PROTECTED removed")
except PermissionError as e:
    print("remove PROTECTED: PermissionError", e.errno)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("sendto ok:", s.sendto(b"allowed", ("127.0.0.1", $UDP_PORT)))
try:
    s.sendto(b"forbidden", ("127.0.0.2", $UDP_PORT)); print("forbidden sendto went out")
except PermissionError as e:
    print("sendto 127.0.0.2: PermissionError", e.errno)
s.sendto(b"last", ("127.0.0.1", $UDP_PORT))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
tcp_port = srv.getsockname()[1]
ai = socket.getaddrinfo("localhost", tcp_port, socket.AF_INET, socket.SOCK_STREAM)
os.remove("between.txt")
c = socket.socket(); c.connect(ai[0][4]); c.close()
print("tcp connect ok", tcp_port)
PY

gate python3 agent.py
expect_rc 0 "python3 agent.py"
expect_out "subprocess: 0 child says hi"
expect_out "forbidden: PermissionError 1"
expect_out "removed tmp.txt"
expect_out "remove PROTECTED: PermissionError 1"
expect_out "sendto ok: 7"
expect_out "sendto 127.0.0.2: PermissionError 1"
expect_out "tcp connect ok"
[ ! -e "$WS/between.txt" ] || fail "between.txt not removed"
[ -f "$WS/PROTECTED.db" ] || fail "PROTECTED.db removed"
[ ! -e "$WS/tmp.txt" ] || fail "tmp.txt not removed"
wait "$SERVER_PID"; SERVER_PID=
grep -q "^allowed 127.0.0.1" "$WS/udp.txt" || fail "allowed datagram not received"
grep -q "forbidden" "$WS/udp.txt" && fail "forbidden datagram was received"

expect_audit 1 'e["action_class"]=="exec" and e["action_name"]=="echo" and e["verdict"]=="approved"' "subprocess echo"
expect_audit 1 'e["action_name"]=="forbidden-tool" and e["verdict"]=="denied"'
expect_audit 1 'e["action_class"]=="unlink" and e["path"].endswith("/PROTECTED.db") and e["verdict"]=="denied"'
expect_audit 1 'e["action_class"]=="sendto" and e["address"]=="127.0.0.2:'"$UDP_PORT"'" and e["verdict"]=="denied"' "udp denied"
expect_audit_min 1 'e["action_class"]=="sendto" and e["address"]=="127.0.0.1:'"$UDP_PORT"'" and e["verdict"]=="approved"' "udp approved"
TCP_PORT=$(sed -n 's/^tcp connect ok //p' "$WS/out")
expect_audit 1 'e["action_class"]=="connect" and e["address"]=="127.0.0.1:'"$TCP_PORT"'" and e.get("host")=="localhost" and e.get("host_verified") is True and e["verdict"]=="approved"' "connect by a resolved name, annotated"
verify_chain
pass
