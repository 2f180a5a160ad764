#!/bin/bash
# Further routes to the gate's own files (docs/SECURITY.md, "The gate's
# own files"), each with its native control:
#   procroot-outside  append to the audit log, trust store and config
#                     through /proc/PID/root of an ordinary process of the
#                     same uid outside the sandbox's mount namespace (the
#                     supervisor's parent): the Landlock domain refuses it
#   procroot          the same through the supervisor (non-dumpable)
#   ancestor          rename the workspace (a directory above the state)
#                     away, to put a fresh one with planted state in its
#                     place for the next run: every directory above the
#                     state is a mount point in the namespace (EBUSY; the gated rename is refused first, EPERM)
#   handle            name_to_handle_at + open_by_handle_at around the
#                     read-only bind (needs CAP_DAC_READ_SEARCH: root):
#                     refused by the filter and audited
#   approval socket   remove, rename, or plant beside the approval socket
#                     in its directory (bound read-only)
#   terminals         write to the user's /dev/pts/N by path: the sandbox
#                     has a devpts instance of its own (ENOENT)
#   inherited dir fd  a directory descriptor left open by the user's shell
#                     still names the mounts outside: refused (125)
#   hard link         a second name of the trust store made before start-up:
#                     attesta-run refuses to start (125)
#   symlinked state   the state directory replaced by a symlink before
#                     start-up (a previous run could have planted it):
#                     attesta-run refuses to start (125)
#   no protection     (root only) with user namespaces really unavailable
#                     (a user namespace whose max_user_namespaces is 0),
#                     an unprivileged attesta-run refuses to start (125)
#                     without --unprotected-state, and with it warns and
#                     the agent really can write the log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
STATE=$ADV/adv_state
[ -x "$STATE" ] || skip "$STATE not built (make all)"
RULES=${RULES/overrides:/overrides:
    adv_state: low}
write_config
gate "$STATE" plant "$WS/init.txt"
[ "$RC" = 0 ] || fail "first run exited $RC: $(cat "$WS/err")"
# (attesta-run creates a missing trust store itself; an older one did not)
[ -f "$WS/trust.json" ] || printf '{"format": "attesta-trust", "version": 1, "agents": {}}\n' >"$WS/trust.json"
FILES="$AUDIT $WS/trust.json $WS/attesta.yaml"
sums() { sha256sum "$WS/trust.json" "$WS/attesta.yaml"; }

# procroot-outside / procroot: native control, then under the gate
for a in procroot-outside procroot; do
	rm -rf "$WS/bak" && mkdir "$WS/bak" && cp -a $FILES "$WS/bak/"
	native "$STATE" "$a" $FILES
	[ "$NRC" = 0 ] || { cat "$WS/native.out"; fail "native $a does not work"; }
	for f in $FILES; do cp -a "$WS/bak/$(basename "$f")" "$f"; done
	before=$(sums)
	cp "$AUDIT" "$WS/audit.before"
	gate "$STATE" "$a" $FILES
	grep -q '^RESULT .* rc=0 ' "$WS/out" && { cat "$WS/out"; fail "$a SUCCEEDED under the gate"; }
	[ "$(grep -c '^RESULT ' "$WS/out")" = 3 ] || fail "$a did not run"
	[ "$(sums)" = "$before" ] || fail "$a: state changed"
	! grep -q EVIL "$AUDIT" || fail "$a: the agent wrote the audit log"
	cmp -s -n "$(stat -c %s "$WS/audit.before")" "$WS/audit.before" "$AUDIT" || fail "$a: log rewritten"
done

# ancestor: the workspace renamed away
native "$STATE" ancestor "$WS"
[ "$NRC" = 0 ] || { cat "$WS/native.out"; fail "native rename of the workspace does not work"; }
gate "$STATE" ancestor "$WS"
grep -qE '^RESULT ancestor:.* rc=-1 errno=(1|16) ' "$WS/out" || fail "ancestor: want EPERM (the gated rename's hard rule) or EBUSY (a mount point): $(cat "$WS/out")"

# handle: root only (CAP_DAC_READ_SEARCH)
if [ "$(id -u)" = 0 ]; then
	cp -a "$AUDIT" "$WS/audit.bak"
	native "$STATE" handle "$AUDIT"
	[ "$NRC" = 0 ] || { cat "$WS/native.out"; fail "native open_by_handle_at does not work"; }
	cp -a "$WS/audit.bak" "$AUDIT"
	gate "$STATE" handle "$AUDIT"
	grep -q '^RESULT handle:.* rc=-1 errno=1 ' "$WS/out" || fail "handle: want EPERM: $(cat "$WS/out")"
	expect_audit_min 1 'e.get("decision_source")=="filter" and "handle" in (e.get("action_name") or "")' \
		"file handle refused and audited"
else
	note "not root: open_by_handle_at needs CAP_DAC_READ_SEARCH (native control impossible)"
fi
! grep -q EVIL "$AUDIT" || fail "the agent wrote the audit log"

# the approval socket's directory
mkdir -p "$WS/sockdir" "$WS/sockdir-native"
sed -i "s|renderer: none|renderer: socket\n  approval_socket: $WS/sockdir/approve.sock|" "$WS/attesta.yaml"
: >"$WS/sockdir-native/approve.sock"
for a in unlink rename plant; do
	t=$WS/sockdir-native/approve.sock
	[ "$a" = plant ] && t=$WS/sockdir-native/fake.sock
	native "$STATE" "$a" "$t"
	[ "$NRC" = 0 ] || fail "native $a in the socket directory does not work"
	rm -f "$WS/sockdir-native/"* && : >"$WS/sockdir-native/approve.sock"
	t=$WS/sockdir/approve.sock
	[ "$a" = plant ] && t=$WS/sockdir/fake.sock
	gate "$STATE" "$a" "$t"
	grep -q '^RESULT .* rc=-1 ' "$WS/out" || fail "approval socket $a: $(cat "$WS/out" "$WS/err")"
	[ ! -e "$WS/sockdir/fake.sock" ] || fail "planted beside the approval socket"
done
expect_audit_min 1 'e.get("decision_source")=="hard_rule" and "approve.sock" in (e.get("path") or "")' \
	"removal of the approval socket refused"
sed -i "s|renderer: socket|renderer: none|; /approval_socket:/d" "$WS/attesta.yaml"

# the user's terminals by path: a pty of this script, /dev/pts/N
python3 -c 'import os, pty, sys, time
m, s = pty.openpty()
sys.stdout.write(os.ttyname(s) + "\n"); sys.stdout.flush()
time.sleep(60)' >"$WS/ptyname" &
PTY_PID=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WS/ptyname" ] && break; sleep 0.2; done
PTY=$(cat "$WS/ptyname")
[ -c "$PTY" ] || fail "no pty for the terminal case"
native "$STATE" append "$PTY"
[ "$NRC" = 0 ] || { cat "$WS/native.out"; fail "native write to $PTY does not work"; }
# (stdin not a terminal: with one, PROG's own pty in the sandbox's
# instance could have the same number, docs/attesta-run.md "Terminals")
gate "$STATE" append "$PTY" </dev/null
grep -q '^RESULT append:.* rc=-1 errno=2 ' "$WS/out" || fail "$PTY reachable by path under the gate: $(cat "$WS/out")"
kill "$PTY_PID" 2>/dev/null

# an inherited directory descriptor (the user's shell left fd 3 open)
cp -a "$WS/trust.json" "$WS/trust.bak"
( cd "$WS" && exec 3<"$WS" && exec "$STATE" fdat "$WS/trust.json" ) >"$WS/native.out" 2>&1 ||
	{ cat "$WS/native.out"; fail "native write through an inherited directory fd does not work"; }
cp -a "$WS/trust.bak" "$WS/trust.json"
( cd "$WS" && exec 3<"$WS" && exec "$RUN" -c "$WS/attesta.yaml" -- "$STATE" fdat "$WS/trust.json" ) \
	>"$WS/out" 2>"$WS/err"
rc=$?
[ "$rc" = 125 ] && grep -q "inherit a directory descriptor" "$WS/err" ||
	fail "inherited directory fd: exit $rc: $(cat "$WS/out" "$WS/err")"
grep -q EVIL "$WS/trust.json" && fail "written through the inherited directory fd"

# a second name of a state file, made before start-up: no bind of the
# first name covers it
ln "$WS/trust.json" "$WS/trust.link"
gate "$STATE" append "$WS/trust.link"
[ "$RC" = 125 ] && grep -q "it has 2 hard links" "$WS/err" || fail "hard-linked trust store: exit $RC: $(cat "$WS/err")"
grep -q EVIL "$WS/trust.json" && fail "written through the hard link"
rm -f "$WS/trust.link"

# a symlinked state directory, planted before start-up
mkdir -p "$WS/real"
ln -s real "$WS/linked"
sed "s|path: $AUDIT|path: $WS/linked/audit.jsonl|" "$WS/attesta.yaml" >"$WS/linked.yaml"
sed "s|path: $AUDIT|path: $WS/real/audit.jsonl|" "$WS/attesta.yaml" >"$WS/real.yaml"
( cd "$WS" && "$RUN" -c "$WS/linked.yaml" -- "$STATE" plant "$WS/x1" ) >"$WS/out" 2>"$WS/err"
rc=$?
[ "$rc" = 125 ] && grep -q "goes through the symlink '$WS/linked'" "$WS/err" ||
	fail "symlinked state directory: exit $rc, want 125: $(cat "$WS/err")"
( cd "$WS" && "$RUN" -c "$WS/real.yaml" -- "$STATE" plant "$WS/x2" ) >"$WS/out" 2>"$WS/err" ||
	fail "the same with the real path does not start: $(cat "$WS/err")"

# no protection possible: only as root (it needs a user namespace of its own)
if [ "$(id -u)" = 0 ] && [ -z "${ADV_UNPRIV:-}" ]; then
	u=${ADV_USER:-attesta-nobody}
	id "$u" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u" ||
		fail "cannot create $u"
	U=$WS/unprot
	mkdir -p "$U"
	sed -e "s|$WS/audit.jsonl|$U/audit.jsonl|; s|$WS/trust.json|$U/trust.json|" "$WS/attesta.yaml" >"$U/attesta.yaml"
	chown -R "$u" "$U"
	# run CMD as $u in a user namespace that may create no more of them
	nouserns() {
		python3 - "$@" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    if libc.unshare(0x10000000) != 0:
        os._exit(99)
    os.write(w, b"x"); os.read(r2, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")
    os.execvp(sys.argv[1], sys.argv[1:])
os.read(r, 1)
for m in ("uid_map", "gid_map"):
    with open(f"/proc/{pid}/{m}", "w") as f:
        f.write("0 0 65536\n")
os.write(w2, b"g")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
	}
	cd "$U" || fail "cd $U"
	nouserns setpriv --reuid="$u" --regid="$u" --init-groups "$RUN" -c "$U/attesta.yaml" -- \
		"$STATE" append "$U/audit.jsonl" >"$WS/out" 2>"$WS/err"
	rc=$?
	[ "$rc" = 125 ] && grep -q "cannot keep the gate's state files out of the agent's reach" "$WS/err" ||
		fail "no user namespaces: exit $rc, want 125: $(cat "$WS/err")"
	[ "$(wc -l <"$WS/err")" = 1 ] || fail "no user namespaces: want one line: $(cat "$WS/err")"
	nouserns setpriv --reuid="$u" --regid="$u" --init-groups "$RUN" --unprotected-state \
		-c "$U/attesta.yaml" -- "$STATE" append "$U/audit.jsonl" >"$WS/out" 2>"$WS/err"
	rc=$?
	[ "$rc" = 0 ] || fail "--unprotected-state: exit $rc: $(cat "$WS/err")"
	grep -q "WARNING: --unprotected-state" "$WS/err" || fail "--unprotected-state: no warning"
	grep -q EVIL "$U/audit.jsonl" || fail "--unprotected-state: the log was protected after all?"
	cd "$WS" || true
else
	note "not root: the 'no protection possible' part needs a user namespace of its own"
fi
pass "outside /proc/PID/root, supervisor root, workspace rename, file handles, approval socket directory, /dev/pts/N, symlinked state, --unprotected-state"
