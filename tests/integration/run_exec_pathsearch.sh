#!/bin/bash
# A PATH search under the gate (docs/attesta-run.md, "Decision threads"):
# an execve() of a program that is not there is answered with the
# kernel's errno by the decision thread that received it, not handed to
# the loop thread; PROG's own exec of what exists is handed over (the
# main thread traces the supervisor's own children, exec_watch.h).
# Checked by the counts of
# ATTESTA_DECISION_STATS=1 (the mechanism), by the errnos a program sees
# (the same as natively), and by the audit: a forbidden program found
# after the misses is still denied, and the misses leave no entry.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

mkdir -p "$WS/bin"
cp /bin/true "$WS/bin/forbidden-tool"
touch "$WS/afile"
ln -s loop2 "$WS/loop1"
ln -s loop1 "$WS/loop2"
MISSES=""
for i in $(seq 1 20); do MISSES="$MISSES$WS/missing$i:"; done

# gate_stats CMD...: gate with the counts on, two decision threads
gate_stats() {
	( cd "$WS" && ATTESTA_DECISION_STATS=1 ATTESTA_DECISION_THREADS=2 \
		"$RUN" -c "$WS/attesta.yaml" -- "$@" ) >"$WS/out" 2>"$WS/err"
	RC=$?
}
# counts HANDED MISSING: the stats line says so
counts() {
	local line
	line=$(grep 'attesta-run: decision threads:' "$WS/err") || fail "no stats line"
	[[ $line =~ ([0-9]+)\ handed\ to\ the\ loop,\ ([0-9]+)\ execs ]] || fail "stats line: $line"
	HANDED=${BASH_REMATCH[1]} MISSING=${BASH_REMATCH[2]}
}

# 1. env finds true after 20 missing directories and a file (ENOTDIR):
# 21 misses answered by the decision threads, the exec of true handed
gate_stats env PATH="${MISSES}$WS/afile:/usr/bin:/bin" /usr/bin/env true
expect_rc 0 "env true after 21 misses"
counts
[ "$MISSING" = 21 ] || fail "misses answered by the decision threads: $MISSING, want 21"
[ "$HANDED" -ge 1 ] || fail "the exec of true was not handed to the loop"
[ "$HANDED" -le 3 ] || fail "$HANDED execs handed to the loop, want the one of true (at most 3)"

# 2. nothing found: the search ends with ENOENT, as natively
gate_stats env PATH="${MISSES}/usr/bin:/bin" /usr/bin/env no-such-program-here
expect_rc 127 "env of a missing program"
grep -q 'No such file or directory' "$WS/err" || fail "env did not report ENOENT"
counts
[ "$MISSING" = 22 ] || fail "misses answered: $MISSING, want 22"

# 3. the errnos, compared with a native run
PROBE='
import os, sys, errno
for p in sys.argv[1:]:
    try:
        os.execv(p, ["x"])
    except OSError as e:
        print(repr(p), errno.errorcode[e.errno])
'
ARGS=("$WS/missing/x" "$WS/afile/x" "$WS/loop1" "rel-missing" "$WS/missing1/../afile/x")
( cd "$WS" && python3 -c "$PROBE" "${ARGS[@]}" ) >"$WS/native.out" 2>&1
gate_stats python3 -c "$PROBE" "${ARGS[@]}"
expect_rc 0 "errno probe"
diff -u "$WS/native.out" "$WS/out" >"$WS/diff" || fail "errnos differ from native: $(cat "$WS/diff")"
counts
[ "$MISSING" -ge 4 ] || fail "misses answered: $MISSING, want >= 4"

# 4. a forbidden program after the misses is decided by the loop: denied
# and audited; the misses leave no entry
rm -f "$AUDIT" "$AUDIT".*
gate_stats env PATH="${MISSES}$WS/bin" /usr/bin/env forbidden-tool
[ "$RC" -ne 0 ] || fail "forbidden-tool ran"
expect_audit 1 'e.get("action_class")=="exec" and e.get("path","").endswith("/forbidden-tool") and e.get("verdict")=="denied"' "the denied exec"
expect_audit 0 '"/missing" in (e.get("path") or "")' "entries for the misses"
verify_chain
pass "PATH misses answered by the decision threads; errnos as native; a forbidden program still denied"
