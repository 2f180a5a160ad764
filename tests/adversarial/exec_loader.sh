#!/bin/bash
# Escape family: running the forbidden program without exec'ing it by
# name — through the dynamic loader (`ld.so ./forbidden-tool`, with
# options, via a symlink, a copy of ld.so made by the agent, execveat of
# an fd or an O_PATH fd of ld.so), as the PT_INTERP of an innocent ELF
# (a static build of the marker as interpreter), and a race that swaps
# the PT_INTERP target between the decision and the exec (caught by the
# exec check at PTRACE_EVENT_EXEC), a memfd holding that ELF, and a "#!"
# script whose interpreter is ld.so and whose "#!" argument is the
# program (`#!/lib64/ld-linux-x86-64.so.2 /ws/forbidden-tool`). Also: an
# exec refused because its argv is over the supervisor's cap is audited
# with its path, cwd and ppid. Each route first runs the marker natively (the negative control).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
L=$ADV/adv_loader
[ -x "$L" ] || skip "$L not built"
LD=/lib64/ld-linux-x86-64.so.2
[ -x "$LD" ] || skip "no $LD (glibc x86-64 loader) here"
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "a C compiler is needed to build the ELF-interpreter case"

# The marker as a static program without libc (it runs as an ELF
# interpreter: glibc's static start-up would crash there).
mkdir -p "$WS/s"
cp "$(dirname "$0")/lib/forbidden_interp.c" "$WS/interp.c"
cp "$(dirname "$0")/lib/swap_interp.py" "$WS/swap_interp.py"
"$CC" -O1 -static -nostdlib -fno-stack-protector -o "$WS/s/forbidden-tool" "$WS/interp.c" ||
	skip "cannot build a static -nostdlib program"
echo 'int main(void) { return 0; }' >"$WS/innocent.c"
"$CC" -O1 -o "$WS/innocent-elf" "$WS/innocent.c" -Wl,--dynamic-linker="$WS/s/forbidden-tool" ||
	skip "cannot link with --dynamic-linker"
# the same with an interpreter path the race swaps
"$CC" -O1 -o "$WS/racy-elf" "$WS/innocent.c" -Wl,--dynamic-linker="$WS/r/interp" ||
	skip "cannot link with --dynamic-linker"
ln -s "$LD" "$WS/ldlink"
# a "#!" line whose argument is the program: the loader runs it
printf '#!%s %s\n' "$LD" "$WS/forbidden-tool" >"$WS/ldarg.sh"
chmod +x "$WS/ldarg.sh"
cp "$LD" "$WS/ldcopy"

CASES="exec $LD ./forbidden-tool
exec $LD $WS/forbidden-tool
exec $LD --argv0 ls ./forbidden-tool
exec $LD --library-path /usr/lib ./forbidden-tool
exec $LD --preload /lib/x86_64-linux-gnu/libc.so.6 ./forbidden-tool
exec $LD --inhibit-cache ./forbidden-tool
exec ./ldlink ./forbidden-tool
exec ./ldcopy ./forbidden-tool
exec ./ldcopy $WS/forbidden-tool
fexecve $LD ./forbidden-tool
opath $LD ./forbidden-tool
exec ./innocent-elf
fexecve ./innocent-elf
raw exec-memfd ./innocent-elf
exec ./ldarg.sh"
one() {
	local line=$1
	# shellcheck disable=SC2086
	set -- $line
	local prog=$L
	if [ "$1" = raw ]; then prog=$ADV/adv_raw; shift; fi
	rm -f "$ADV_MARKER"
	native "$prog" "$@"
	[ -e "$ADV_MARKER" ] || fail "native control '$line' did not run the marker: $(cat "$WS/native.out")"
	rm -f "$ADV_MARKER"
	local q='e.get("action_class")=="exec" and e.get("verdict")!="approved"'
	local before after
	before=$(audit_count "$q")
	gate "$prog" "$@"
	expect_no_marker "'$line'"
	expect_denied "$1"
	after=$(audit_count "$q")
	[ "$after" -gt "$before" ] || { audit_dump 6; fail "'$line': no denied exec entry in the audit log"; }
	echo "ok: $line"
}
each_case one <<<"$CASES"

# The audit entries name what ran: the loader's target and the ELF
# interpreter, with their identities.
expect_audit_min 1 'e.get("verdict")!="approved" and "forbidden-tool" in str(e["metadata"].get("elf_interp",{}).get("path",""))' \
	"ELF interpreter in the audit entry"
expect_audit_min 1 'e.get("verdict")!="approved" and "forbidden-tool" in str(e["metadata"].get("loader_target",{}).get("path",""))' \
	"loader target in the audit entry"

# An allowed program through the loader still works (a root-owned
# program, when the agent cannot write it).
if [ "$(id -u)" != 0 ]; then
	gate "$L" exec "$LD" /bin/true
	[ "$RC" = 0 ] || fail "ld.so /bin/true is refused for an unprivileged agent (rc=$RC)"
	# ... and its target is judged like an exec of it: a policy that
	# forbids `true` refuses `ld.so /bin/true` (native: it runs).
	native "$LD" /bin/true
	[ "$NRC" = 0 ] || fail "native ld.so /bin/true failed ($NRC)"
	saved_rules=$RULES
	RULES=${RULES/forbidden-tool: critical/forbidden-tool: critical
    true: critical}
	write_config
	gate "$L" exec "$LD" /bin/true
	RULES=$saved_rules
	write_config
	expect_denied exec
	expect_audit_min 1 'e.get("verdict")!="approved" and e["metadata"].get("loader_target",{}).get("path","").endswith("/true")' \
		"ld.so /bin/true judged as true"
	echo "ok: the loader's pinned target is judged by the policy"
fi
# A dynamic program keeps working (the mapped loader is verified).
gate /bin/sh -c '/bin/true && ls / >/dev/null && echo dyn-ok'
grep -q dyn-ok "$WS/out" || fail "ordinary dynamic programs no longer run under the gate"

# Race: the PT_INTERP of racy-elf is a symlink flipped between the real
# loader and the forbidden static program. A decision that saw the loader
# must not let the forbidden program run: the exec check kills it.
mkdir -p "$WS/r"
ln -sfn "$LD" "$WS/r/interp"
python3 "$WS/swap_interp.py" link "$WS/r" "$LD" "$WS/s/forbidden-tool" "${ADV_SECONDS:-60}" >/dev/null 2>&1 &
SWAPPER=$!
N=${ADV_ATTEMPTS:-20000}
[ "$N" -gt 400 ] && N=400
rm -f "$ADV_MARKER"
# the swapper (python) may not be flipping yet on a busy machine: give
# the native control up to 20 rounds
for _ in $(seq 20); do
	native "$L" loop 200 ./racy-elf
	[ -e "$ADV_MARKER" ] && break
done
[ -e "$ADV_MARKER" ] || { touch "$WS/r/stop"; wait $SWAPPER; fail "race native control: the marker never ran"; }
rm -f "$ADV_MARKER"
q_kill='e.get("decision_source")=="exec_check"'
q_deny='e.get("action_class")=="exec" and e.get("verdict")!="approved"'
before=$(audit_count "$q_deny")
gate "$L" loop "$N" ./racy-elf
touch "$WS/r/stop"
wait $SWAPPER
expect_no_marker "PT_INTERP swap race"
after=$(audit_count "$q_deny")
kills=$(audit_count "$q_kill")
[ "$after" -gt "$before" ] || { audit_dump 6; fail "race: no refused exec audited"; }
echo "ok: race ($N execs, $((after - before)) refused, $kills killed by the exec check)"

# An exec refused because argv is over the cap still names what it
# refused: path, cwd, ppid and the first words of argv.
rm -f "$ADV_MARKER"
native "$L" bigargv ./forbidden-tool
[ -e "$ADV_MARKER" ] || fail "bigargv native control did not run the marker: $(cat "$WS/native.out")"
rm -f "$ADV_MARKER"
gate "$L" bigargv ./forbidden-tool
expect_no_marker "argv over the cap"
expect_audit_min 1 'e.get("verdict")!="approved" and "larger than the cap" in e.get("reason","") and (e.get("path") or "").endswith("/forbidden-tool") and e.get("cwd") and e.get("ppid") and e.get("argv") and e["argv"][-1]=="...(truncated)"' \
	"argv-cap denial names path, cwd, ppid and argv"
verify_chain
pass "$CASES_RUN loader/interpreter routes denied, race held, argv-cap denial named"
