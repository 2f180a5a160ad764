#!/bin/sh
# Fault tests of the audit writer, each ending with nothing lost and the
# chain intact: 8 processes x 5,000 appends to one log; a writer killed
# with SIGKILL mid-stream, then resumed; a full filesystem (a 1 MiB tmpfs,
# root only) making appends fail cleanly and resume once there is room.
set -u
B=${BUILD:-build}
ATTESTA=$B/attesta
WRITER=$B/tools/audit_writer
[ -x "$ATTESTA" ] && [ -x "$WRITER" ] || { echo "FAIL: build $ATTESTA and $WRITER first"; exit 1; }
T=$(mktemp -d /tmp/audit_faults.XXXXXX)
MNT=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
count() { grep -c '' "$1"; }

# --- 8 writers, one log ---------------------------------------------------
pids=
for i in 1 2 3 4 5 6 7 8; do
	"$WRITER" -t "w$i" "$T/multi.jsonl" 5000 >/dev/null &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "writer $p failed"; done
n=$(count "$T/multi.jsonl")
[ "$n" -eq 40000 ] || fail "8 x 5000 appends gave $n lines"
out=$("$ATTESTA" audit verify --log "$T/multi.jsonl") || fail "multi-writer chain: $out"
for i in 1 2 3 4 5 6 7 8; do
	c=$(grep -c "\"agent_id\":\"w$i\"" "$T/multi.jsonl")
	[ "$c" -eq 5000 ] || fail "writer w$i has $c entries"
done
"$ATTESTA" audit verify --json --log "$T/multi.jsonl" | grep -q '"head_checked":true' ||
	fail "head file not checked"

# --- SIGKILL mid-stream, then resume ---------------------------------------
"$WRITER" -t killed "$T/kill.jsonl" 1000000 >/dev/null &
victim=$!
sleep 0.5
kill -KILL "$victim"
wait "$victim" 2>/dev/null
before=$(count "$T/kill.jsonl")
[ "$before" -gt 0 ] || fail "killed writer wrote nothing"
"$WRITER" -t resumed "$T/kill.jsonl" 100 >/dev/null || fail "resume after SIGKILL"
after=$(count "$T/kill.jsonl")
[ "$after" -ge $((before + 100)) ] || fail "resume lost entries ($before -> $after)"
out=$("$ATTESTA" audit verify --log "$T/kill.jsonl") || fail "chain after SIGKILL: $out"

# --- a full filesystem -------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "ok: audit faults (full-filesystem case skipped: not root)"
	exit 0
fi
MNT=$T/mnt
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=1m tmpfs "$MNT" 2>/dev/null; then
	MNT=
	echo "ok: audit faults (full-filesystem case skipped: cannot mount tmpfs)"
	exit 0
fi
# the head file must fit too: leave it room, then fill the rest
"$WRITER" -t fill "$MNT/full.jsonl" 100000 > "$T/written" 2> "$T/err"; rc=$?
[ $rc -eq 3 ] || fail "writer on a full fs exited $rc, want 3"
grep -q "No space left on device" "$T/err" || { cat "$T/err"; fail "expected ENOSPC"; }
written=$(cat "$T/written")
n=$(count "$MNT/full.jsonl")
[ "$n" -eq "$written" ] || fail "full fs: $written appends reported, $n lines on disk"
[ "$(tail -c 1 "$MNT/full.jsonl" | od -An -c | tr -d ' ')" = '\n' ] || fail "partial line left"
out=$("$ATTESTA" audit verify --no-head --log "$MNT/full.jsonl") || fail "chain on full fs: $out"
# still full: another writer fails cleanly too (big entries, so they cannot fit)
"$WRITER" -b 4000 -t again "$MNT/full.jsonl" 5 > /dev/null 2>&1
out=$("$ATTESTA" audit verify --no-head --log "$MNT/full.jsonl") || fail "chain after 2nd ENOSPC: $out"
# make room (rotate away), append, verify
cp "$MNT/full.jsonl" "$T/full.1" && : > "$MNT/full.jsonl"
"$WRITER" -t room "$MNT/full.jsonl" 10 >/dev/null || fail "append after freeing space"
out=$("$ATTESTA" audit verify --log "$MNT/full.jsonl") || fail "chain after freeing space: $out"
echo "ok: audit faults"
