#!/bin/bash
# Decoders and emulation (supervisor/run/decode*.c, emulate.c) driven by
# the stand-alone test gate $BUILD/tools/run_decode_emulate (no policy, no
# audit): every gated call is decoded (checked on its "decode:" line) and
# performed by the supervisor (checked by what the program saw). Covers
# unlink through a symlinked parent, /proc/self/cwd, dirfd, rmdir and
# ENOTEMPTY, missing files (answered ENOENT without a decision), TCP
# connect (blocking and EINPROGRESS), sendmsg on a connected socket, UDP
# sendto (IPv4, v4-mapped IPv6), AF_UNIX path via symlink and abstract
# names, refused and missing sockets, exec of a memfd, and deny mode.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
BUILD=$(cd "${BUILD:-build}" && pwd)
TOOL=$BUILD/tools/run_decode_emulate
[ -x "$TOOL" ] || { echo "skip: $TOOL not built"; exit 77; }
PY=/usr/bin/python3; [ -x "$PY" ] || { echo "skip: no /usr/bin/python3"; exit 77; }
PY=$(readlink -f "$PY")
T=$(mktemp -d /tmp/attesta-decode.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$1" "$T/err" || fail "missing in decode log: $1"; }
out_has() { grep -qxF -- "$1" "$T/out" || fail "program output lacks: $1"; }

# --- file removal -----------------------------------------------------------
mkdir -p "$T/ws/real/sub" "$T/ws/emptyd"
ln -s real "$T/ws/link"
echo hi >"$T/ws/real/sub/f1"; echo x >"$T/ws/real/f2"
touch "$T/ws/real/sub/f3" "$T/ws/real/sub/f4"
cat >"$T/fs.py" <<'PYEOF'
import os
os.unlink("real/f2")
os.unlink("link/sub/f1")
os.unlink("/proc/self/cwd/real/sub/f3")
os.rmdir("emptyd")
try: os.unlink("nonexist")
except OSError as e: print("nonexist", e.errno)
fd = os.open("real", os.O_RDONLY | os.O_DIRECTORY)
os.unlink("sub/f4", dir_fd=fd)
try: os.rmdir("real")
except OSError as e: print("rmdir-real", e.errno)
print(sorted(os.listdir("real")), sorted(os.listdir("real/sub")))
PYEOF
(cd "$T/ws" && "$TOOL" -- "$PY" "$T/fs.py" >"$T/out" 2>"$T/err")
rc=$?
[ $rc -eq 0 ] || fail "fs.py exit $rc"
W=$(cd "$T/ws" && pwd -P)
has "class=unlink fn=unlink path=$W/real/f2 arg=$W/real/f2 file=file size=2"
has "class=unlink fn=unlink path=$W/real/sub/f1 arg=$W/real/sub/f1 file=file size=3"
has "class=unlink fn=unlink path=$W/real/sub/f3 "
has "class=unlink fn=unlink path=$W/real/sub/f4 "
has "class=rmdir fn=rmdir path=$W/emptyd arg=$W/emptyd file=dir"
has "class=rmdir fn=rmdir path=$W/real "
has "emulate: val=0 error=-39"
out_has "nonexist 2"
out_has "rmdir-real 39"
out_has "['sub'] []"
[ -e "$T/ws/real/f2" ] && fail "real/f2 still exists"

# --- exec ---------------------------------------------------------------------
cat >"$T/exec.py" <<'PYEOF'
import os
fd = os.memfd_create("payload")
os.write(fd, open("/bin/true", "rb").read())
pid = os.fork()
if pid == 0:
    os.execve(fd, ["true-from-memfd"], {})
print("memfd", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PYEOF
(cd "$T/ws" && MYVAR=v1 "$TOOL" -e MYVAR -- "$PY" "$T/exec.py" >"$T/out" 2>"$T/err")
has "class=exec fn=$(basename "$PY") path=$PY argv0=$PY arg=$T/exec.py env=MYVAR=v1"
has "fn=memfd:payload path=/memfd:payload (deleted) argv0=true-from-memfd anonymous=1"
out_has "memfd 0"

# --- network --------------------------------------------------------------------
cat >"$T/net.py" <<'PYEOF'
import os, socket, threading, select, time, sys
d = sys.argv[1]
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(5)
port = srv.getsockname()[1]
print("port", port)
got = []
def acc():
    for _ in range(2):
        c, _ = srv.accept(); got.append(c.recv(100)); c.close()
t = threading.Thread(target=acc); t.start()
c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"hello"); c.close()
c = socket.socket(); c.setblocking(False)
try: c.connect(("127.0.0.1", port))
except BlockingIOError as e: print("nonblock", e.errno)
select.select([], [c], [], 2); c.setblocking(True)
c.sendmsg([b"via ", b"sendmsg"]); c.close()
t.join(5); print("tcp", got)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("sendto", s.sendto(b"dgram", u.getsockname()), u.recv(100))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
print("sendto6", s6.sendto(b"m", ("::ffff:127.0.0.1", u.getsockname()[1])), u.recv(100))
us = socket.socket(socket.AF_UNIX); us.bind(d + "/real/s.sock"); us.listen(1)
uc = socket.socket(socket.AF_UNIX); uc.connect("link/s.sock"); print("unix ok")
a = socket.socket(socket.AF_UNIX); a.bind("\0attesta-abs\\x"); a.listen(1)
ac = socket.socket(socket.AF_UNIX); ac.connect("\0attesta-abs\\x"); print("abstract ok")
try: socket.socket(socket.AF_UNIX).connect(d + "/none.sock")
except OSError as e: print("missing", e.errno)
try: socket.socket().connect(("127.0.0.1", 1))
except OSError as e: print("refused", e.errno)
PYEOF
(cd "$T/ws" && "$TOOL" -- "$PY" "$T/net.py" "$W" >"$T/out" 2>"$T/err")
rc=$?
[ $rc -eq 0 ] || fail "net.py exit $rc"
port=$(sed -n 's/^port //p' "$T/out")
has "class=connect fn=connect arg=127.0.0.1:$port family=2 addr=127.0.0.1 port=$port socktype=1"
has "emulate: val=0 error=-115"
has "decode: r=1 class=sendto fn=sendto socktype=1"
has "emulate: val=11 error=0"
has "class=sendto fn=sendto arg=127.0.0.1:"
has "family=10 addr=127.0.0.1 "
has "class=connect fn=connect arg=$W/real/s.sock family=1"
has 'class=connect fn=connect arg=@attesta-abs\\x family=1'
has "arg=127.0.0.1:1 family=2"
has "emulate: val=0 error=-111"
out_has "nonblock 115"
out_has "tcp [b'hello', b'via sendmsg']"
out_has "sendto 5 b'dgram'"
out_has "sendto6 1 b'm'"
out_has "unix ok"
out_has "abstract ok"
out_has "missing 2"
out_has "refused 111"

# --- deny mode: nothing happens -------------------------------------------------
touch "$T/ws/keep"
(cd "$T/ws" && "$TOOL" -d -- "$PY" -c '
import os, socket
try: os.unlink("keep")
except OSError as e: print("unlink", e.errno)
try: socket.socket().connect(("127.0.0.1", 9))
except OSError as e: print("connect", e.errno)
' >"$T/out" 2>"$T/err")
out_has "unlink 1"
out_has "connect 1"
[ -e "$T/ws/keep" ] || fail "denied unlink removed the file"

# --- capabilities: the emulation never exceeds the target's ------------------
# A root target without CAP_DAC_OVERRIDE/CAP_FOWNER cannot remove a file
# from a directory it may not write; the supervisor (which has them) must
# fail the same way. A plain root target (which lacks only CAP_SYS_PTRACE
# in the sandbox, so nothing is switched) removes it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/ws/locked"
	touch "$T/ws/locked/f" "$T/ws/locked/g"
	chown -R nobody "$T/ws/locked"
	chmod 755 "$T/ws/locked"
	(cd "$T/ws" && "$TOOL" -- setpriv --bounding-set=-dac_override,-fowner,-dac_read_search \
		--inh-caps=-dac_override,-fowner,-dac_read_search "$PY" -c '
import os
try: os.unlink("locked/f"); print("dropped-caps unlinked")
except OSError as e: print("dropped-caps", e.errno)
' >"$T/out" 2>"$T/err")
	out_has "dropped-caps 13"
	[ -e "$T/ws/locked/f" ] || fail "a target without CAP_DAC_OVERRIDE removed a file through the supervisor"
	(cd "$T/ws" && "$TOOL" -- "$PY" -c '
import os
os.unlink("locked/g"); print("root unlinked")
' >"$T/out" 2>"$T/err")
	out_has "root unlinked"
	[ -e "$T/ws/locked/g" ] && fail "a root target could not remove a file it may remove"
fi

[ $fails -eq 0 ] || { cat "$T/err" | tail -20; exit 1; }
echo "ok: decode_emulate"
