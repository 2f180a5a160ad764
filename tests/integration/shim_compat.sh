#!/bin/sh
# The shim never breaks a program (issue 7): python3, node (when
# installed), perl, bash, git, curl and coreutils produce the same stdout,
# stderr and exit status natively, under LD_PRELOAD=libattesta-preload.so
# without ATTESTA_SHIM_FD, and under it with a live annotation socket
# (tests/helpers/shim_recv). With the socket, the received messages must be
# well formed and carry the host names the programs resolved.
set -u
BUILD=${BUILD:-build}
LIB=$(cd "$(dirname "$BUILD/libattesta-preload.so")" 2>/dev/null && pwd)/libattesta-preload.so
RECV=$BUILD/helpers/shim_recv
[ -f "$LIB" ] || { echo "skip: $BUILD/libattesta-preload.so not built"; exit 77; }
[ -x "$RECV" ] || { echo "skip: $RECV not built"; exit 77; }
RECV=$(cd "$(dirname "$RECV")" && pwd)/shim_recv
if readelf -d "$LIB" 2>/dev/null | grep -q 'libasan'; then
	echo "skip: sanitizer build: an ASan shim cannot be preloaded into uninstrumented programs"
	exit 77
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "skip: python3 not installed"; exit 77; }
for t in perl bash git curl; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done
NODE=$(command -v node || command -v nodejs || true)

tmp=$(mktemp -d /tmp/attesta-shim-compat.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A local web server, run natively (it is the test's, not the agent's).
mkdir -p "$tmp/www" "$tmp/cases"
printf 'hello from the test server\n' >"$tmp/www/hello.txt"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" -m http.server "$PORT" --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/server.log" 2>&1 &
server=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/hello.txt"; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "FAIL: test http server did not start"; exit 1; }
	sleep 0.1
done
# A port nothing listens on (connection refused must look the same).
DEAD=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# curl answers "localhost" itself (RFC 6761) without calling the resolver:
# give it this machine's name when /etc/hosts maps it to loopback.
NAME=$(hostname 2>/dev/null || true)
case $(getent ahostsv4 "$NAME" 2>/dev/null | head -n 1) in
127.*) ;;
*) NAME= ;;
esac
export PORT DEAD PY NAME

cat >"$tmp/cases/python3.sh" <<'EOF'
"$PY" - <<'PYEOF'
import os, socket, subprocess, threading, urllib.request, errno
port = int(os.environ["PORT"]); dead = int(os.environ["DEAD"])
print(sorted({a[4][0] for a in socket.getaddrinfo("localhost", port, socket.AF_INET)}))
print(urllib.request.urlopen(f"http://localhost:{port}/hello.txt").read().decode().strip())
s = socket.socket()
try:
    s.connect(("127.0.0.1", dead))
except OSError as e:
    print("connect", errno.errorcode[e.errno])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("sendto", u.sendto(b"x", ("127.0.0.1", dead)))
print(subprocess.run(["echo", "from subprocess"], capture_output=True, text=True).stdout.strip())
print(subprocess.run("echo from shell | tr a-z A-Z", shell=True, capture_output=True, text=True).stdout.strip())
print(os.popen("echo from popen").read().strip())
import ctypes
libc = ctypes.CDLL(None); libc.popen.restype = ctypes.c_void_p
f = libc.popen(b"echo libc popen >/dev/null", b"r"); print("libc popen", libc.pclose(ctypes.c_void_p(f)))
print("system", os.system("true"))
pid = os.posix_spawnp("true", ["true"], os.environ); print("spawn", os.waitpid(pid, 0)[1])
res = []
def work():
    for _ in range(20):
        res.append(len(socket.getaddrinfo("localhost", None)))
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads", len(res))
try:
    os.execv("/nonexistent", ["x"])
except OSError as e:
    print("execv", errno.errorcode[e.errno])
pid = os.fork()
if pid == 0:
    os.execvp("echo", ["echo", "from fork+execvp"])
os.waitpid(pid, 0)
PYEOF
EOF

cat >"$tmp/cases/perl.sh" <<'EOF'
perl -MSocket -MIO::Socket::INET -e '
	my @a = gethostbyname("localhost"); print "gethostbyname ", inet_ntoa($a[4]), "\n";
	my $s = IO::Socket::INET->new(PeerAddr => "localhost", PeerPort => $ENV{PORT}, Proto => "tcp") or die "connect: $!";
	print $s "GET /hello.txt HTTP/1.0\r\n\r\n"; my @r = <$s>; print $r[-1];
	my $d = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ENV{DEAD}, Proto => "tcp");
	print "dead: ", ($d ? "connected" : "refused"), "\n";
	system("echo", "from system"); print "rc $?\n";
	print `echo from backticks`;
	open(my $p, "-|", "echo from pipe open") or die; print <$p>;
	my $pid = fork(); if ($pid == 0) { exec("echo", "from exec") or die } waitpid($pid, 0);
'
EOF

cat >"$tmp/cases/bash.sh" <<'EOF'
bash -c '
	for i in 1 2 3; do echo "loop $i"; done | tac
	x=$(echo sub | tr a-z A-Z); echo "$x"
	( exec echo "exec in subshell" )
	exec 3<>/dev/tcp/localhost/$PORT && printf "GET /hello.txt HTTP/1.0\r\n\r\n" >&3 && tail -n 1 <&3
	exec 3<&-
	if (exec 4<>/dev/tcp/127.0.0.1/$DEAD) 2>/dev/null; then echo dead open; else echo dead refused; fi
	cat <<<"here string" | wc -c
	ls /nonexistent 2>&1 | sed "s/.*: //"; echo "status ${PIPESTATUS[0]}"
	true & wait $!; echo "bg $?"
'
EOF

cat >"$tmp/cases/git.sh" <<'EOF'
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.test GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.test
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
export GIT_CONFIG_NOSYSTEM=1 HOME="$CASE_DIR"
cd "$CASE_DIR" || exit 1
git init -q -b main repo && cd repo
echo one >a.txt && git add a.txt && git commit -q -m first
echo two >>a.txt && git commit -q -am second
git log --format='%H %s'
git status --porcelain
git diff HEAD~1 --stat
git -c alias.hi='!echo alias via shell' hi
git rev-parse --abbrev-ref HEAD
EOF

cat >"$tmp/cases/curl.sh" <<'EOF'
curl -s "http://127.0.0.1:$PORT/hello.txt"
curl -s "http://localhost:$PORT/hello.txt"
[ -n "$NAME" ] && curl -s "http://$NAME:$PORT/hello.txt"
curl -s -o /dev/null -w '%{http_code}\n' "http://localhost:$PORT/missing"
curl -s "http://127.0.0.1:$DEAD/"; echo "dead exit $?"
EOF

cat >"$tmp/cases/coreutils.sh" <<'EOF'
cd "$CASE_DIR" || exit 1
printf 'b\na\nc\n' >f && sort f && wc -l <f && sha256sum f | cut -c1-16
mkdir d && cp f d/g && mv d/g d/h && ls d && rm -r d && ls
seq 1 5 | xargs -n 2 echo
find . -name f -type f
timeout 5 sleep 0.1; echo "timeout $?"
stdbuf -oL echo stdbuf
env -i PATH="$PATH" sh -c 'echo env -i'
nice -n 1 echo nice; nohup echo nohup 2>/dev/null
du -s . | cut -f1 >/dev/null; echo du
EOF

if [ -n "$NODE" ]; then
	cat >"$tmp/cases/node.sh" <<EOF
"$NODE" -e '
const dns = require("dns"), http = require("http"), cp = require("child_process"), net = require("net");
dns.lookup("localhost", { family: 4 }, (err, addr) => {
	console.log("lookup", err ? err.code : addr);
	http.get("http://localhost:" + process.env.PORT + "/hello.txt", (res) => {
		let body = ""; res.on("data", (d) => body += d);
		res.on("end", () => {
			console.log(body.trim());
			console.log(cp.execSync("echo from execSync").toString().trim());
			console.log(cp.spawnSync("echo", ["from spawnSync"]).stdout.toString().trim());
			const s = net.connect(Number(process.env.DEAD), "127.0.0.1");
			s.on("error", (e) => console.log("dead", e.code));
		});
	});
});
'
EOF
else
	echo "note: node not installed, its case is skipped"
fi

fail=0
# mode: native | preload (no fd) | shim (live socket)
run_mode() {
	mode=$1 name=$2
	out=$tmp/out.$name.$mode
	CASE_DIR=$tmp/work.$name.$mode
	mkdir -p "$CASE_DIR"
	export CASE_DIR
	case $mode in
	native) (unset LD_PRELOAD ATTESTA_SHIM_FD; sh "$tmp/cases/$name.sh") >"$out.stdout" 2>"$out.stderr" ;;
	preload) (unset ATTESTA_SHIM_FD; LD_PRELOAD=$LIB sh "$tmp/cases/$name.sh") >"$out.stdout" 2>"$out.stderr" ;;
	shim) LD_PRELOAD=$LIB "$RECV" -o "$tmp/msgs.$name" -- sh "$tmp/cases/$name.sh" >"$out.stdout" 2>"$out.stderr" ;;
	esac
	echo $? >"$out.rc"
}

for f in "$tmp"/cases/*.sh; do
	name=$(basename "$f" .sh)
	for mode in native preload shim; do
		run_mode $mode "$name"
	done
	for mode in preload shim; do
		for part in stdout stderr rc; do
			if ! cmp -s "$tmp/out.$name.native.$part" "$tmp/out.$name.$mode.$part"; then
				echo "FAIL: $name: $part differs between native and $mode"
				diff "$tmp/out.$name.native.$part" "$tmp/out.$name.$mode.$part" | head -20
				fail=1
			fi
		done
	done
	if [ "$(cat "$tmp/out.$name.native.rc")" != 0 ]; then
		echo "FAIL: $name: exit status $(cat "$tmp/out.$name.native.rc") natively"
		sed 's/^/    /' "$tmp/out.$name.native.stderr" | head -10
		fail=1
	fi
	if grep -q garbage "$tmp/msgs.$name"; then
		echo "FAIL: $name: malformed shim messages"
		fail=1
	fi
	echo "ran  $name: $(wc -l <"$tmp/out.$name.native.stdout") lines, $(wc -l <"$tmp/msgs.$name") messages"
done

# The annotations the programs must have produced.
expect() {
	name=$1 pattern=$2
	[ -f "$tmp/msgs.$name" ] || return 0
	if ! grep -q -- "$pattern" "$tmp/msgs.$name"; then
		echo "FAIL: $name: no message matching '$pattern'"
		sed 's/^/    /' "$tmp/msgs.$name" | head -20
		fail=1
	fi
}
expect python3 'api=getaddrinfo name=localhost addrs=127.0.0.1'
expect python3 "entry=connect .*addr=127.0.0.1:$DEAD"
expect python3 "entry=sendto .*addr=127.0.0.1:$DEAD"
expect python3 'entry=popen .*text=echo libc popen'
expect python3 'entry=system .*text=true'
expect python3 'entry=posix_spawnp .*text=true'
expect python3 'entry=execv .*text=.*/echo$'
expect perl 'api=gethostbyname[2_r]* name=localhost'
expect perl 'entry=connect'
expect bash 'api=getaddrinfo name=localhost'
[ -n "$NAME" ] && expect curl "api=getaddrinfo name=$NAME addrs=127."
expect curl "entry=connect .*addr=127.0.0.1:$PORT"
expect git 'entry=execv'
expect node 'api=getaddrinfo name=localhost'

[ $fail -eq 0 ] && echo "ok: all programs behave identically with the shim"
exit $fail
