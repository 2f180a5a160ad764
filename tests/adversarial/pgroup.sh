#!/bin/bash
# Escape family: reaching the supervisor or the watcher (attesta-run as
# the user started it) through process groups and sessions, and the
# watcher by its pid (docs/attesta-run.md, "Process life"): join the
# supervisor's group with setpgid and kill(0); kill(-session); SIGKILL,
# SIGSTOP, tgkill, F_SETOWN and prlimit aimed at the watcher or its group;
# F_SETOWN with the upper 32 bits of the command set. Each must be refused
# (the filter's refusals are audited; setpgid across sessions is refused
# by the kernel) and the gate must still answer afterwards.
# Negative control: the same program against python stand-ins (a
# "watcher" running a "supervisor" running the attack in a process group
# of its own in the same session, as attesta-run ran PROG before).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
P=$ADV/adv_pgroup
[ -x "$P" ] || fail "$P not built"

STANDIN='import os, subprocess, sys, time
role = sys.argv[1]
kw = {"preexec_fn": os.setpgrp} if role == "supervisor" else {}
subprocess.run(sys.argv[2:], **kw)
time.sleep(0.5)
print(role, "survived", flush=True)'

# attack:victim (whose death the native control must show; "-": the
# attack reports its own success)
ATTACKS='setpgid-kill:supervisor
kill-sid:supervisor
fsetown-hi:supervisor
kill-watcher:watcher
stop-watcher:-
kill-watcher-pgrp:watcher
kill-watcher-sid:watcher
setpgid-watcher:watcher
tgkill-watcher:watcher
fsetown-watcher:watcher
prlimit-watcher:-'

native_one() {
	local a=${1%%:*} victim=${1##*:} out
	# a file per case: an attack whose stand-ins died goes on writing
	out=$WS/native-$a.out
	: >"$WS/alive.txt"; echo secret >"$WS/PROTECTED.txt"
	{ ( cd "$WS" && exec setsid -w timeout -k 2 20 python3 -c "$STANDIN" watcher \
		python3 -c "$STANDIN" supervisor "$P" "$a" ) >"$out" 2>&1; } 2>/dev/null
	if [ "$victim" = - ]; then
		grep -q "^RESULT $a rc=0 " "$out" || { cat "$out"; fail "native control: '$a' did not succeed"; }
	else
		grep -q "^$victim survived" "$out" && { cat "$out"; fail "native control: '$a' did not kill the $victim stand-in"; }
	fi
	echo "native: $a works"
}
each_case native_one <<<"$ATTACKS"
sleep 1

FILTER_SEEN=0
one() {
	local a=${1%%:*} rc
	: >"$WS/alive.txt"; echo secret >"$WS/PROTECTED.txt"
	gate "$P" "$a"
	rc=$(result_rc "$a")
	[ -n "$rc" ] || fail "$a: no result (attesta-run exited $RC)"
	[ "$rc" -lt 0 ] || fail "$a: the attack SUCCEEDED ($(grep "^RESULT $a" "$WS/out"))"
	grep -q '^RESULT joined' "$WS/out" && fail "$a: joined a process group outside the sandbox"
	grep -q '^RESULT alive-allowed rc=0 ' "$WS/out" || fail "$a: the gate stopped answering afterwards (attesta-run exited $RC)"
	grep -q '^RESULT alive-forbidden rc=-1 errno=1 ' "$WS/out" || fail "$a: the forbidden call was not denied afterwards"
	expect_file PROTECTED.txt "$a"
	[ "$RC" = 0 ] || fail "$a: attesta-run exited $RC, want 0"
	[ "$(result_errno "$a")" = 1 ] || fail "$a: refused with errno $(result_errno "$a"), want EPERM"
	case $a in
	setpgid-*) ;; # refused by the kernel: another session
	*)
		local n
		n=$(audit_count 'e.get("decision_source") == "filter" and e.get("verdict") == "denied"')
		[ "$n" -gt "$FILTER_SEEN" ] || fail "$a: the refused attempt is not in the audit log"
		FILTER_SEEN=$n
		;;
	esac
	echo "ok: $a"
}
each_case one <<<"$ATTACKS"
verify_chain
pass "$CASES_RUN attacks through groups, sessions and the watcher refused"
