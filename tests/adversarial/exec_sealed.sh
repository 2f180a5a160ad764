#!/bin/bash
# Escape family: the sealed-program shortcut of the exec check
# (supervisor/run/execseal.h). For an unprivileged sandbox, an exec whose
# program and PT_INTERP walk are root-owned and unwritable skips the
# /proc/PID/maps check at PTRACE_EVENT_EXEC. Every case here has one thing
# on the way that the agent CAN change, and races it while exec'ing: the
# mapping check must still run and kill the image whose ELF interpreter
# is the forbidden program (a static marker). Natively each race runs
# the marker.
#   interp-in-agent-dir    root-owned program, PT_INTERP a symlink in the agent's dir
#   root-link-to-agent     PT_INTERP a root-owned symlink in a sealed dir pointing into the agent's dir
#   group-writable-dir     PT_INTERP in a root-owned dir writable by the agent's group
#   agent-owned-subdir     PT_INTERP in an agent-owned dir inside a sealed one
#   sticky-dir             PT_INTERP an agent's entry in a root-owned sticky world-writable dir
#   program-group-write    the program's own PT_INTERP bytes rewritten (root:agent 0775 program)
#   program-agent-owned    the same, the program owned by the agent in a sealed dir
#   script-interpreter     a sealed "#!" script whose interpreter is the first program
#   path-flip              a vfork child's exec path flipped between /bin/true and the forbidden program
# As root the gated runs use --user attesta-nobody (the shortcut needs an
# unprivileged sandbox) and the files are made root-owned; unprivileged
# (run-unpriv.sh) root-owned files cannot be made: only path-flip runs,
# plus the check that sealed programs still run.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
L=$ADV/adv_loader
R=$ADV/adv_race
{ [ -x "$L" ] && [ -x "$R" ]; } || skip "adv_loader/adv_race not built"
LD=/lib64/ld-linux-x86-64.so.2
[ -x "$LD" ] || skip "no $LD (glibc x86-64 loader) here"
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "a C compiler is needed to build the racing programs"
AGENT=${ADV_USER:-attesta-nobody}
ROOT=0
if [ "$(id -u)" = 0 ]; then
	id "$AGENT" >/dev/null 2>&1 || skip "user $AGENT missing (run-unpriv.sh creates it)"
	command -v setpriv >/dev/null || skip "setpriv needed"
	ROOT=1
	AS=(setpriv --reuid="$AGENT" --regid="$AGENT" --init-groups)
	AGID=$(id -g "$AGENT")
else
	AS=()
fi
# the agent's python: a system one it can run (not root's pyenv shim)
PY3=python3
[ -x /usr/bin/python3 ] && PY3=/usr/bin/python3
N=${ADV_ATTEMPTS:-20000}
[ "$N" -gt 400 ] && N=400

# the agent's own directory, and the marker in it (the agent writes it)
mkdir -p "$WS/w"
[ "$ROOT" = 1 ] && chown "$AGENT:" "$WS/w"
export ADV_MARKER=$WS/w/MARKER.ran

# the forbidden program as an ELF interpreter (as in exec_loader.sh)
cp "$(dirname "$0")/lib/forbidden_interp.c" "$WS/interp.c"
cp "$(dirname "$0")/lib/swap_interp.py" "$WS/swap_interp.py"
"$CC" -O1 -static -nostdlib -fno-stack-protector -o "$WS/w/forbidden-tool" "$WS/interp.c" ||
	skip "cannot build a static -nostdlib program"
echo 'int main(void) { return 0; }' >"$WS/innocent.c"
FB=$WS/w/forbidden-tool

# run as the agent (natively, or the gate with --user as root)
as_agent() { "${AS[@]}" "$@"; }
gate_agent() {
	local u=()
	[ "$ROOT" = 1 ] && u=(--user "$AGENT")
	( cd "$WS/w" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" "${u[@]}" -c "$WS/attesta.yaml" -- "$@" ) \
		>"$WS/out" 2>"$WS/err"
	RC=$?
}

# swap_link DIR: the agent flips DIR/interp between the loader and FB
swap_link() {
	as_agent "$PY3" "$WS/swap_interp.py" link "$1" "$LD" "$FB" "${ADV_SECONDS:-60}" >/dev/null 2>&1 &
	SWAPPER=$!
}
# swap_bytes PROG OFF A B: the agent rewrites PROG's PT_INTERP in place
swap_bytes() {
	as_agent "$PY3" "$WS/swap_interp.py" bytes "$@" "${ADV_SECONDS:-60}" "$WS/w" >/dev/null 2>&1 &
	SWAPPER=$!
}
stop_swapper() { touch "$1/stop"; wait "$SWAPPER" 2>/dev/null; rm -f "$1/stop"; }

# race NAME PROG STOPDIR: native control (the marker runs), then gated
race() {
	local name=$1 prog=$2 stopdir=$3
	rm -f "$ADV_MARKER"
	for _ in $(seq 20); do
		native "${AS[@]}" "$L" loop 200 "$prog"
		[ -e "$ADV_MARKER" ] && break
	done
	[ -e "$ADV_MARKER" ] || { stop_swapper "$stopdir"; fail "$name: native control never ran the marker"; }
	rm -f "$ADV_MARKER"
	local q='e.get("action_class")=="exec" and e.get("verdict")!="approved"'
	local before after
	before=$(audit_count "$q")
	gate_agent "$L" loop "$N" "$prog"
	stop_swapper "$stopdir"
	expect_no_marker "$name"
	after=$(audit_count "$q")
	[ "$after" -gt "$before" ] || { audit_dump 6; fail "$name: no refused exec audited"; }
	local kills
	kills=$(audit_count 'e.get("decision_source")=="exec_check"')
	echo "ok: $name ($N execs, $((after - before)) refused, $((kills - KILLS)) killed by the exec check)"
	KILLS=$kills
	CASES_RUN=$((CASES_RUN + 1))
}
CASES_RUN=0 KILLS=0

# a program linked with the given PT_INTERP
build() { "$CC" -O1 -o "$1" "$WS/innocent.c" -Wl,--dynamic-linker="$2" || skip "cannot link with --dynamic-linker"; }

if [ "$ROOT" = 1 ]; then
	S=$WS/sealed
	mkdir -p "$S" && chmod 755 "$S"
	# interp-in-agent-dir
	mkdir -p "$WS/w/r1" && chown "$AGENT:" "$WS/w/r1"
	build "$S/p1" "$WS/w/r1/interp"
	swap_link "$WS/w/r1"
	race interp-in-agent-dir "$S/p1" "$WS/w/r1"
	# root-link-to-agent
	mkdir -p "$WS/w/r2" && chown "$AGENT:" "$WS/w/r2"
	ln -s "$WS/w/r2/interp" "$S/ldlink"
	build "$S/p2" "$S/ldlink"
	swap_link "$WS/w/r2"
	race root-link-to-agent "$S/p2" "$WS/w/r2"
	# group-writable-dir
	mkdir -p "$S/gw" && chown "root:$AGID" "$S/gw" && chmod 775 "$S/gw"
	build "$S/p3" "$S/gw/interp"
	swap_link "$S/gw"
	race group-writable-dir "$S/p3" "$S/gw"
	# agent-owned-subdir
	mkdir -p "$S/own" && chown "$AGENT:" "$S/own"
	build "$S/p4" "$S/own/interp"
	swap_link "$S/own"
	race agent-owned-subdir "$S/p4" "$S/own"
	# sticky-dir
	mkdir -p "$S/sticky" && chmod 1777 "$S/sticky"
	build "$S/p5" "$S/sticky/interp"
	swap_link "$S/sticky"
	race sticky-dir "$S/p5" "$S/sticky"
	# program-group-write / program-agent-owned: PT_INTERP strings of the
	# same length, the loader's and one naming FB through a link
	P=$(mktemp -d /tmp/s.XXXXXX) && chmod 755 "$P"
	pad=$((${#LD} - ${#P} - 1))
	[ "$pad" -ge 1 ] || skip "scratch path too long for an in-place PT_INTERP swap"
	FBLINK=$P/$(printf 'f%.0s' $(seq "$pad"))
	ln -s "$FB" "$FBLINK"
	build "$S/p6" "$LD"
	off=$(python3 -c 'import sys; print(open(sys.argv[1],"rb").read().index(sys.argv[2].encode()))' "$S/p6" "$LD")
	cp "$S/p6" "$S/p7"
	chown "root:$AGID" "$S/p6" && chmod 775 "$S/p6"
	swap_bytes "$S/p6" "$off" "$LD" "$FBLINK"
	race program-group-write "$S/p6" "$WS/w"
	chown "$AGENT:" "$S/p7"
	swap_bytes "$S/p7" "$off" "$LD" "$FBLINK"
	race program-agent-owned "$S/p7" "$WS/w"
	rm -rf "$P"
	# script-interpreter: a sealed script run by p1
	printf '#!%s\n' "$S/p1" >"$S/s.sh" && chmod 755 "$S/s.sh"
	swap_link "$WS/w/r1"
	race script-interpreter "$S/s.sh" "$WS/w/r1"
else
	note "not root: the cases that need root-owned files were not run (the ordinary run as root runs them)"
fi

# path-flip: the exec path itself is in the agent's memory; a sealed
# /bin/true decided, the forbidden program flipped in (the identity check)
cp "$ADV/adv_marker" "$WS/w/forbidden-tool2"
[ "$ROOT" = 1 ] && chown "$AGENT:" "$WS/w/forbidden-tool2"
rm -f "$ADV_MARKER"
for _ in 1 2 3; do
	native "${AS[@]}" "$R" exec-flip-vfork /bin/true "$WS/w/forbidden-tool2"
	[ -e "$ADV_MARKER" ] && break
done
[ -e "$ADV_MARKER" ] || fail "path-flip native control never ran the marker"
rm -f "$ADV_MARKER"
RULES=${RULES/forbidden-tool: critical/forbidden-tool: critical
    forbidden-tool2: critical}
write_config
ADV_ATTEMPTS=${ADV_ATTEMPTS:-20000} gate_agent "$R" exec-flip-vfork /bin/true "$WS/w/forbidden-tool2"
expect_no_marker "path-flip"
grep -q '^HELD' "$WS/out" || fail "path-flip: no HELD line (rc $RC)"
echo "ok: path-flip"
CASES_RUN=$((CASES_RUN + 1))

# sealed programs still run: dynamic, a script, python
gate_agent /bin/sh -c "/bin/true && ls / >/dev/null && $PY3 -c 'print(\"dyn-ok\")'"
grep -q dyn-ok "$WS/out" || fail "sealed dynamic programs no longer run under the gate (rc $RC)"
verify_chain
pass "$CASES_RUN cases held"
