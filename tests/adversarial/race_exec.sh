#!/bin/bash
# Escape family: exec races. exec cannot be emulated, so the gate answers
# CONTINUE and the kernel re-reads the path: a vfork child execs a path
# that its parent's other thread flips between /bin/true and the
# forbidden program; a forked child's own second thread flips it; a
# symlink is re-pointed (rename exchange) while exec'd; the same with a
# missing program instead of /bin/true (the thread that receives the
# exec of a missing program answers it with the kernel's errno: the
# flip must not turn that answer into a run of the forbidden one). The
# children's execs are decided and traced by decision threads
# (exec_watch.c). The marker must
# never run (exec verification kills a mismatching image before its first
# instruction). Natively each race runs the marker quickly.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
R=$ADV/adv_race
: "${ADV_EXEC_ATTEMPTS:=${ADV_ATTEMPTS:-20000}}"

CASES="exec-flip-vfork /bin/true $WS/forbidden-tool
exec-flip-thread /bin/true $WS/forbidden-tool
exec-symlink-flip lnk /bin/true $WS/forbidden-tool
exec-flip-vfork $WS/no-such-program $WS/forbidden-tool
exec-symlink-flip lnk2 $WS/no-such-program $WS/forbidden-tool"
one() {
	# shellcheck disable=SC2086
	set -- $1
	rm -f "$ADV_MARKER"
	# the native race may miss its window on a loaded machine (ASan, CI):
	# up to three tries; only the negative control is retried
	for _ in 1 2 3; do
		native "$R" "$@"
		[ -e "$ADV_MARKER" ] && break
	done
	[ -e "$ADV_MARKER" ] || fail "native control '$1' never ran the marker: $(cat "$WS/native.out")"
	rm -f "$ADV_MARKER"
	ADV_ATTEMPTS=$ADV_EXEC_ATTEMPTS gate "$R" "$@"
	grep -E '^(HELD|ESCAPED)' "$WS/out" | sed 's/^/  /'
	expect_no_marker "race '$*'"
	grep -q '^HELD' "$WS/out" || fail "race '$*': no HELD line (rc $RC)"
	echo "ok: $*"
}
each_case one <<<"$CASES"
expect_audit_min 1 "$DENIED_PROG" "denied exec attempts audited"
verify_chain
pass "$CASES_RUN exec races held"
