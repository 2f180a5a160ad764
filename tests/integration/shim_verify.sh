#!/bin/sh
# Host names claimed by the shim are verified by the supervisor's own
# resolution (docs/SECURITY.md, issue 7): python3 urllib, curl and a C
# getaddrinfo client connect to local names defined in a private /etc/hosts
# (a mount namespace with a bind-mounted hosts file; loopback addresses
# only) and the name is recorded as verified; an agent that writes a forged
# annotation ("localhost is 127.0.0.2", "no-such-host.invalid is
# 127.0.0.3") gets its name recorded as unverified.
#
# Where it looks: with attesta-run built with the shim (it has --mode),
# the audit entries of attesta-run (seccomp mode when available); always,
# the log of tests/tools/run_shimgate (shim-only receive path).
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
LIB=$BUILD/libattesta-preload.so
GATE=$BUILD/tools/run_shimgate
RUN=$BUILD/attesta-run
NET=$BUILD/helpers/shim_netclient
for f in "$LIB" "$GATE" "$NET"; do
	[ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skip: /usr/bin/python3 needed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl needed"; exit 77; }
command -v unshare >/dev/null 2>&1 || { echo "skip: unshare needed"; exit 77; }
# make asan: an ASan shim cannot be preloaded into uninstrumented programs
# (python3, bash, curl); ATTESTA_PRELOAD_LIB may name a plain build of it,
# so the sanitized supervisor side is still exercised.
if [ -n "${ATTESTA_PRELOAD_LIB:-}" ] && [ -f "$ATTESTA_PRELOAD_LIB" ]; then
	LIB=$ATTESTA_PRELOAD_LIB
fi
if readelf -d "$LIB" 2>/dev/null | grep -q 'libasan'; then
	echo "skip: sanitizer build: an ASan shim cannot be preloaded into uninstrumented programs"
	exit 77
fi
export ATTESTA_PRELOAD_LIB="$LIB"
# Sanitized helpers run with a plain shim preloaded ahead of their runtime
# (and, under attesta-run's ptrace exec check, without LeakSanitizer).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

T=$(mktemp -d /tmp/attesta-shimverify.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT INT TERM

# Inside a private mount namespace, our names exist only here.
if [ "${ATTESTA_IN_NS:-}" != 1 ]; then
	printf '127.0.0.1 localhost\n127.0.0.5 api.attesta.test\n127.0.0.6 db.attesta.test\n' >"$T/hosts"
	if ! unshare -m sh -c "mount --bind '$T/hosts' /etc/hosts" 2>/dev/null; then
		echo "skip: cannot bind-mount a hosts file in a mount namespace (needs root)"
		exit 77
	fi
	ATTESTA_IN_NS=1 HOSTS_FILE="$T/hosts" exec unshare -m sh -c \
		'mount --bind "$HOSTS_FILE" /etc/hosts && exec sh "$0"' "$0"
fi

fail=0
n=0
bad() { echo "FAIL: $*"; fail=1; }

# A local HTTP server on 127.0.0.5 (api.attesta.test).
"$PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello\n")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.5", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()' >"$T/port" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT INT TERM
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -s "$T/port" ] && break
	sleep 0.1
done
PORT=$(head -1 "$T/port")
[ -n "$PORT" ] || { echo "FAIL: test server did not start"; exit 1; }

AGENT="
curl -s http://api.attesta.test:$PORT/ >/dev/null && echo curl-ok
$PY -c 'import urllib.request; print(\"urllib\", urllib.request.urlopen(\"http://api.attesta.test:$PORT/\").status)'
ASAN_OPTIONS=\${ASAN_OPTIONS:-}:detect_leaks=0 $NET connect api.attesta.test $PORT
ASAN_OPTIONS=\${ASAN_OPTIONS:-}:detect_leaks=0 $NET lie localhost 127.0.0.2 1
ASAN_OPTIONS=\${ASAN_OPTIONS:-}:detect_leaks=0 $NET lie no-such-host.invalid 127.0.0.3 1
"
WANT_OUT="curl-ok
urllib 200
connect 127.0.0.5:$PORT rc=0 errno=-
connect 127.0.0.2:1 rc=-1 errno=ECONNREFUSED
connect 127.0.0.3:1 rc=-1 errno=ECONNREFUSED"

# --- 1. the shim-only receive path (run_shimgate's log) -----------------
"$GATE" -x -o "$T/log" -- sh -c "$AGENT" >"$T/out" 2>"$T/err"
n=$((n + 1))
[ "$(cat "$T/out")" = "$WANT_OUT" ] || bad "shim-only: agent output: $(cat "$T/out") $(cat "$T/err")"
check_log() { # PATTERN COUNT
	n=$((n + 1))
	got=$(grep -Ec -- "$1" "$T/log")
	[ "$got" -eq "$2" ] || { bad "shim-only: $got lines (want $2) match '$1'"; sed 's/^/    /' "$T/log"; }
}
check_log "^request entry=connect nr=42 class=connect desc=connect 127\.0\.0\.5:$PORT \(api\.attesta\.test\) host=api\.attesta\.test verified=1 " 3
check_log '^request entry=connect .* 127\.0\.0\.2:1 .*host=localhost verified=0 ' 1
check_log '^request entry=connect .* 127\.0\.0\.3:1 .*host=no-such-host\.invalid verified=0 ' 1
check_log 'verified=1' 3

# --- 2. attesta-run's audit entries --------------------------------------
if [ -x "$RUN" ] && "$RUN" --help 2>&1 | grep -q -- '--mode'; then
	cat >"$T/attesta.yaml" <<'YAML'
policy:
  fail_mode: allow
audit:
  path: audit.jsonl
gate:
  renderer: none
YAML
	for mode in auto shim; do
		rm -f "$T/audit.jsonl"
		(cd "$T" && "$RUN" -c attesta.yaml --mode "$mode" -- sh -c "$AGENT") >"$T/out" 2>"$T/err"
		n=$((n + 1))
		[ "$(cat "$T/out")" = "$WANT_OUT" ] ||
			bad "attesta-run --mode $mode: agent output: $(cat "$T/out") $(tail -5 "$T/err")"
		"$PY" - "$T/audit.jsonl" "$PORT" "$mode" >"$T/check" 2>&1 <<'PYEOF'
import json, sys
path, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
entries = [json.loads(l) for l in open(path)]
conns = [e for e in entries if e.get("action_class") == "connect"]
errors = []
ok = [e for e in conns if e.get("host") == "api.attesta.test" and e.get("host_verified") is True
      and "127.0.0.5" in (e.get("address") or "")]
if len(ok) != 3:
    errors.append("want 3 verified api.attesta.test connects, got %d" % len(ok))
for addr, name in (("127.0.0.2", "localhost"), ("127.0.0.3", "no-such-host.invalid")):
    hits = [e for e in conns if addr in (e.get("address") or "")]
    if len(hits) != 1 or hits[0].get("host") != name or hits[0].get("host_verified") is not False:
        errors.append("%s: want host %s unverified, got %s" % (addr, name,
                      [(h.get("host"), h.get("host_verified")) for h in hits]))
want_mode = "shim" if mode == "shim" else "seccomp"
if any(e.get("metadata", {}).get("mode") != want_mode for e in entries):
    errors.append("an entry without metadata.mode %r" % want_mode)
print("\n".join(errors) if errors else "ok")
sys.exit(1 if errors else 0)
PYEOF
		n=$((n + 1))
		[ $? -eq 0 ] || bad "attesta-run --mode $mode audit: $(cat "$T/check")"
	done
else
	echo "note: attesta-run without the shim integration: audit part skipped"
fi

[ $fail -eq 0 ] && echo "ok: $n host verification checks passed"
exit $fail
