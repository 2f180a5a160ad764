#!/bin/bash
# gate.approval_socket in a directory that already exists: attesta-run
# never changes that directory's mode or group (it used to chmod it 0700:
# /tmp itself, as root, with `approval_socket: /tmp/x.sock`); a directory
# writable by others is refused with one line and exit 125; a directory
# attesta creates is 0700; the socket is 0600 (docs/approvals.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

with_socket() { # with_socket PATH: the test config with the socket renderer at PATH
	sed -e "s|^  renderer: none|  renderer: socket\n  approval_socket: $1|" "$WS/attesta.yaml" >"$WS/sock.yaml"
}
run_sock() {
	( cd "$WS" && "$RUN" -c "$WS/sock.yaml" -- sh -c "$1" ) >"$WS/out" 2>"$WS/err"
	RC=$?
}

# 1. an existing directory of mode 0755 (a home directory, say): used as it is
mkdir "$WS/home"; chmod 0755 "$WS/home"
with_socket "$WS/home/approve.sock"
run_sock 'stat -c %a '"$WS/home/approve.sock"' ; stat -c %a '"$WS/home"
expect_rc 0 "socket in a 0755 directory"
[ "$(stat -c %a "$WS/home")" = 755 ] || fail "attesta-run changed the directory's mode to $(stat -c %a "$WS/home")"
[ "$(sed -n 1p "$WS/out")" = 600 ] || fail "socket mode $(sed -n 1p "$WS/out"), want 600"
[ ! -e "$WS/home/approve.sock" ] || fail "socket left behind"

# 2. a directory others can write (/tmp-like, sticky 1777): refused, untouched
mkdir "$WS/shared"; chmod 1777 "$WS/shared"
with_socket "$WS/shared/approve.sock"
run_sock 'echo ran'
expect_rc 125 "socket in a world-writable directory"
grep -q "writable by group or others" "$WS/err" || fail "no reason: $(cat "$WS/err")"
[ "$(wc -l <"$WS/err")" -le 2 ] || fail "more than a short error: $(cat "$WS/err")"
grep -q ran "$WS/out" && fail "PROG ran"
[ "$(stat -c %a "$WS/shared")" = 1777 ] || fail "attesta-run changed the shared directory's mode to $(stat -c %a "$WS/shared")"

# 3. a directory attesta creates: 0700
with_socket "$WS/made/approve.sock"
run_sock 'stat -c %a '"$WS/made"
expect_rc 0 "socket in a new directory"
[ "$(cat "$WS/out")" = 700 ] || fail "new directory mode $(cat "$WS/out"), want 700"
pass "approval socket directories"
