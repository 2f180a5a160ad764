#!/bin/bash
# Links and renames into another directory work under the gate as they do
# natively. The sandbox's Landlock domain (docs/attesta-run.md, "The
# gate's own files") would refuse them with EXDEV unless it grants the
# "refer" right: found by `make thirdparty` (CPython's test_pathlib
# hardlink_to), and it breaks `mv a/x b/`, git's object files and package
# managers. python3 calls link(2) and rename(2) directly (no copy fallback
# as mv has). Both in the workspace and below /tmp, beside the gate's
# state (whose directories are mount points in the sandbox).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

mkdir -p "$WS/a" "$WS/b"
echo one >"$WS/a/f"
script='import os, sys
d = sys.argv[1]
os.link(d + "/a/f", d + "/b/linked")
os.rename(d + "/a/f", d + "/b/moved")
os.mkdir(d + "/a/sub")
os.rename(d + "/a/sub", d + "/b/sub")
print("crossdir-ok", open(d + "/b/linked").read().strip(), open(d + "/b/moved").read().strip())'
gate python3 -c "$script" "$WS"
expect_rc 0 "link and rename into another directory of the workspace"
expect_out "crossdir-ok one one"
[ -e "$WS/b/sub" ] && [ ! -e "$WS/a/f" ] || fail "the renames did not happen"

T=$(mktemp -d /tmp/attesta-crossdir.XXXXXX)
mkdir -p "$T/a" "$T/b"; echo one >"$T/a/f"
gate python3 -c "$script" "$T"
rc=$RC
rm -rf "$T"
[ "$rc" -eq 0 ] || fail "link and rename into another directory below /tmp failed (exit $rc)"
pass "link(2) and rename(2) across directories"
