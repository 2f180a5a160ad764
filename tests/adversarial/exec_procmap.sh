#!/bin/bash
# Escape family: the exec check's mapping reader (supervisor/run/execmaps.c).
# The check reads a new image's file-backed mappings with the
# PROCMAP_QUERY ioctl where the kernel has it, else from the
# /proc/PID/maps text (ATTESTA_PROCMAP_QUERY=off forces the text; off,stats here). Both
# readers must hold the same attacks, which only the mapping check sees:
#   interp-swap   the PT_INTERP of an innocent ELF is a symlink flipped
#                 between the real loader and the forbidden program (a
#                 static marker) while the agent execs it
#   interp-bytes  the agent rewrites its own program's PT_INTERP bytes in
#                 place between the loader and a link to the marker
# and ordinary dynamic programs must keep running under both. The
# readers' lists, verdicts and reasons are compared one by one, on fresh
# images with a swapped program, a swapped loader and extra mapped files,
# by tests/unit/test_execmaps.c; here each run's ATTESTA_PROCMAP_QUERY=stats
# line proves which reader answered.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
L=$ADV/adv_loader
[ -x "$L" ] || skip "$L not built"
LD=/lib64/ld-linux-x86-64.so.2
[ -x "$LD" ] || skip "no $LD (glibc x86-64 loader) here"
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "a C compiler is needed to build the racing programs"
N=${ADV_ATTEMPTS:-20000}
[ "$N" -gt 400 ] && N=400

# the forbidden program as an ELF interpreter (as in exec_loader.sh)
mkdir -p "$WS/s" "$WS/r"
cp "$(dirname "$0")/lib/forbidden_interp.c" "$WS/interp.c"
cp "$(dirname "$0")/lib/swap_interp.py" "$WS/swap_interp.py"
"$CC" -O1 -static -nostdlib -fno-stack-protector -o "$WS/s/forbidden-tool" "$WS/interp.c" ||
	skip "cannot build a static -nostdlib program"
FB=$WS/s/forbidden-tool
echo 'int main(void) { return 0; }' >"$WS/innocent.c"
"$CC" -O1 -o "$WS/racy-elf" "$WS/innocent.c" -Wl,--dynamic-linker="$WS/r/interp" ||
	skip "cannot link with --dynamic-linker"
# interp-bytes: PT_INTERP strings of the same length, the loader's and a
# link to FB
P=$(mktemp -d /tmp/p.XXXXXX) && chmod 755 "$P"
pad=$((${#LD} - ${#P} - 1))
[ "$pad" -ge 1 ] || skip "scratch path too long for an in-place PT_INTERP swap"
FBLINK=$P/$(printf 'f%.0s' $(seq "$pad"))
ln -s "$FB" "$FBLINK"
"$CC" -O1 -o "$WS/bytes-elf" "$WS/innocent.c" -Wl,--dynamic-linker="$LD" ||
	skip "cannot link with --dynamic-linker"
off=$(python3 -c 'import sys; print(open(sys.argv[1],"rb").read().index(sys.argv[2].encode()))' "$WS/bytes-elf" "$LD")

swap_link() {
	python3 "$WS/swap_interp.py" link "$WS/r" "$LD" "$FB" "${ADV_SECONDS:-60}" >/dev/null 2>&1 &
	SWAPPER=$!
}
swap_bytes() {
	python3 "$WS/swap_interp.py" bytes "$WS/bytes-elf" "$off" "$LD" "$FBLINK" "${ADV_SECONDS:-60}" "$WS/r" >/dev/null 2>&1 &
	SWAPPER=$!
}
stop_swapper() { touch "$WS/r/stop"; wait "$SWAPPER" 2>/dev/null; rm -f "$WS/r/stop"; }

# race MODE NAME PROG: native control (the marker runs), then gated with
# ATTESTA_PROCMAP_QUERY=MODE; the stats line must name the reader
race() {
	local mode=$1 name=$2 prog=$3
	rm -f "$ADV_MARKER"
	for _ in $(seq 20); do
		native "$L" loop 200 "$prog"
		[ -e "$ADV_MARKER" ] && break
	done
	[ -e "$ADV_MARKER" ] || { stop_swapper; fail "$name: native control never ran the marker"; }
	rm -f "$ADV_MARKER"
	local q='e.get("action_class")=="exec" and e.get("verdict")!="approved"'
	local before after kills
	before=$(audit_count "$q")
	ATTESTA_PROCMAP_QUERY=$mode gate "$L" loop "$N" "$prog"
	stop_swapper
	expect_no_marker "$name ($mode)"
	after=$(audit_count "$q")
	[ "$after" -gt "$before" ] || { audit_dump 6; fail "$name ($mode): no refused exec audited"; }
	kills=$(audit_count 'e.get("decision_source")=="exec_check"')
	check_reader "$mode" "$name"
	echo "ok: $name, reader $READER ($N execs, $((after - before)) refused, $((kills - KILLS)) killed by the exec check)"
	KILLS=$kills
	CASES_RUN=$((CASES_RUN + 1))
}
# the stats line of the last gated run: the mapping checks must have been
# read by the reader the mode asks for (the ioctl when the kernel has it)
check_reader() {
	local line nq nt
	line=$(grep 'exec mappings:' "$WS/err" | tail -1)
	[ -n "$line" ] || fail "$2 ($1): no 'exec mappings' stats line: $(tail -3 "$WS/err")"
	nq=$(sed -n 's/.*: \([0-9]*\) read with PROCMAP_QUERY.*/\1/p' <<<"$line")
	nt=$(sed -n 's/.*, \([0-9]*\) from the maps text.*/\1/p' <<<"$line")
	if [ "$1" = off,stats ]; then
		[ "$nq" = 0 ] && [ "$nt" -gt 0 ] || fail "$2 ($1): not all checks from the text: $line"
		READER=text
	elif [ "$HAVE_QUERY" = 1 ]; then
		[ "$nt" = 0 ] && [ "$nq" -gt 0 ] || fail "$2: PROCMAP_QUERY is available but not used: $line"
		READER=PROCMAP_QUERY
	else
		[ "$nt" -gt 0 ] || fail "$2: no checks at all: $line"
		READER="text (no PROCMAP_QUERY here)"
	fi
}
HAVE_QUERY=0
"$CLI" doctor --json >"$WS/doctor.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[x for x in d["checks"] if x["id"]=="procmap_query"]; sys.exit(0 if c and c[0]["status"]=="ok" else 1)' \
	"$WS/doctor.json" 2>/dev/null && HAVE_QUERY=1
CASES_RUN=0 KILLS=0
for mode in stats off,stats; do
	swap_link
	race "$mode" interp-swap "$WS/racy-elf"
	swap_bytes
	race "$mode" interp-bytes "$WS/bytes-elf"
	# ordinary dynamic programs still run, and are checked by that reader
	ATTESTA_PROCMAP_QUERY=$mode gate /bin/sh -c '/bin/true && ls / >/dev/null && echo dyn-ok'
	grep -q dyn-ok "$WS/out" || fail "dynamic programs no longer run with ATTESTA_PROCMAP_QUERY=$mode (rc $RC)"
	if [ "$(id -u)" != 0 ] && ! grep -q 'exec mappings:' "$WS/err"; then
		# an unprivileged sandbox runs root's programs sealed: no mapping check
		echo "ok: dynamic programs run (sealed: no mapping check)"
		continue
	fi
	check_reader "$mode" dynamic
	echo "ok: dynamic programs run, reader $READER"
done
rm -rf "$P"
verify_chain
pass "$CASES_RUN races held with both readers"
