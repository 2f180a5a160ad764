#!/bin/bash
# Small C programs: raw syscall() unlink/unlinkat/rmdir/connect/sendto/
# sendmsg/execve, the same statically linked, threads making gated calls
# at once, vfork+exec with a busy sibling thread, and the arch bypasses
# (x32 syscall numbers, i386 int 0x80) which must be killed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"
for h in gate_raw gate_static gate_threads gate_vfork; do
	[ -x "$HELPERS/$h" ] || { echo "skip: $HELPERS/$h not built"; exit 77; }
done
cp /bin/true "$WS/forbidden-tool"

start_http_server
for RAW in "$HELPERS/gate_raw" "$HELPERS/gate_static"; do
	name=$(basename "$RAW")
	: >"$WS/ok.txt"; echo k >"$WS/PROTECTED.txt"; mkdir -p "$WS/okdir" "$WS/PROTECTED.dir"
	gate "$RAW" unlink ok.txt;            expect_rc 0 "$name unlink ok.txt"; [ ! -e "$WS/ok.txt" ] || fail "$name: ok.txt remains"
	gate "$RAW" unlinkat PROTECTED.txt;   expect_rc 1 "$name unlinkat PROTECTED"; expect_out "errno=1 "
	[ -f "$WS/PROTECTED.txt" ] || fail "$name: PROTECTED.txt removed"
	gate "$RAW" rmdir okdir;              expect_rc 0 "$name rmdir okdir"
	gate "$RAW" rmdir PROTECTED.dir;      expect_rc 1 "$name rmdir PROTECTED.dir"; [ -d "$WS/PROTECTED.dir" ] || fail "$name: dir removed"
	gate "$RAW" connect 127.0.0.1 "$PORT"; expect_rc 0 "$name connect 127.0.0.1"
	gate "$RAW" connect 127.0.0.2 "$PORT"; expect_rc 1 "$name connect 127.0.0.2"; expect_out "errno=1 "
	gate "$RAW" sendto 127.0.0.2 9 x;      expect_rc 1 "$name sendto 127.0.0.2"; expect_out "errno=1 "
	gate "$RAW" sendmsg 127.0.0.2 9 x;     expect_rc 1 "$name sendmsg 127.0.0.2"; expect_out "errno=1 "
	gate "$RAW" sendto 127.0.0.1 9 x;      expect_rc 0 "$name sendto 127.0.0.1"
	gate "$RAW" exec ./forbidden-tool;     expect_rc 1 "$name exec forbidden"; expect_out "errno=1 "
	gate "$RAW" exec /bin/echo raw-exec-ok; expect_rc 0 "$name exec echo"; expect_out raw-exec-ok
	# bypass attempts: killed by the filter (SIGSYS), file untouched
	gate "$RAW" x32-unlink PROTECTED.txt;  expect_rc 159 "$name x32 unlink"
	# int 0x80: SIGSYS from the filter, or SIGSEGV where the kernel has no
	# ia32 emulation at all (SIGABRT when ASan catches that SEGV); never a
	# removal
	gate "$RAW" i386-unlink PROTECTED.txt
	[ "$RC" -ge 128 ] || fail "$name int 0x80 unlink exited $RC, want death by a signal"
	[ -f "$WS/PROTECTED.txt" ] || fail "$name: bypass removed PROTECTED.txt"
done
expect_audit 2 'e["action_class"]=="connect" and e["address"]=="127.0.0.2:'"$PORT"'" and e["verdict"]=="denied"' "raw connect denied x2"
expect_audit 2 'e["action_class"]=="rmdir" and e["path"].endswith("/PROTECTED.dir") and e["verdict"]=="denied"'

# threads: 16 threads at once, each an unlink and a connect; all allowed
# in t/, all forbidden under PROTECTED.t/
mkdir -p "$WS/t" "$WS/PROTECTED.t"
for i in $(seq 0 15); do : >"$WS/t/f$i"; : >"$WS/PROTECTED.t/f$i"; done
gate "$HELPERS/gate_threads" t 16 "$PORT"
expect_rc 0 "gate_threads t"
for i in $(seq 0 15); do grep -q "^T$i unlink ok connect ok" "$WS/out" || fail "thread $i"; done
gate "$HELPERS/gate_threads" PROTECTED.t 16 0
expect_rc 0 "gate_threads PROTECTED.t"
[ "$(grep -c 'unlink errno=1' "$WS/out")" = 16 ] || fail "threads: want 16 EPERM"
[ "$(ls "$WS/PROTECTED.t" | wc -l)" = 16 ] || fail "threads removed protected files"

# vfork + exec with a busy sibling thread
gate "$HELPERS/gate_vfork" /bin/echo from-vfork
expect_rc 0 "vfork echo"; expect_out "exec ok status=0"
gate "$HELPERS/gate_vfork" "$WS/forbidden-tool"
expect_rc 1 "vfork forbidden"; expect_out "exec errno=1 "
expect_audit_min 3 'e["action_name"]=="forbidden-tool" and e["verdict"]=="denied"'
verify_chain
pass
