#!/bin/bash
# coreutils rm -r on a tree of 1,000 files: every file and directory is
# removed through the gate (unlinkat emulated by the supervisor) and
# audited; in a second tree, rm -r removes everything but the PROTECTED
# file, reports EPERM for it, and exits 1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

mkdir -p "$WS/tree"
for d in $(seq 0 9); do
	mkdir -p "$WS/tree/d$d"
	for f in $(seq 0 99); do : >"$WS/tree/d$d/f$f"; done
done
gate rm -r tree
expect_rc 0 "rm -r tree"
[ ! -e "$WS/tree" ] || fail "tree not removed"
expect_audit 1000 'e["action_class"]=="unlink" and "/tree/d" in e["path"] and e["verdict"]=="approved"' "1000 unlinks"
expect_audit 11 'e["action_class"]=="rmdir" and "/tree" in e["path"] and e["verdict"]=="approved"' "11 rmdirs"

mkdir -p "$WS/tree2/a" "$WS/tree2/b"
: >"$WS/tree2/a/x"; : >"$WS/tree2/b/y"; echo k >"$WS/tree2/b/PROTECTED.key"
gate rm -r tree2
expect_rc 1 "rm -r tree2"
grep -q "PROTECTED.key.*Operation not permitted" "$WS/err" || fail "rm did not report EPERM"
[ -f "$WS/tree2/b/PROTECTED.key" ] || fail "PROTECTED.key removed"
[ ! -e "$WS/tree2/a" ] && [ ! -e "$WS/tree2/b/y" ] || fail "allowed parts of tree2 not removed"
expect_audit 1 'e["path"]==r"'"$WS"'/tree2/b/PROTECTED.key" and e["verdict"]=="denied"'
verify_chain
pass
