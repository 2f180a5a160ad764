#!/bin/bash
# Escape family: attacks on the supervisor (attesta-run, PROG's parent):
# signals by every route (kill, tkill, tgkill, its process group, its
# other threads, rt_[tg]sigqueueinfo, pidfd_open + pidfd_send_signal /
# pidfd_getfd, a /proc/PID directory fd as a pidfd, F_SETOWN+F_SETSIG
# SIGIO), prlimit64 on it, ptrace ATTACH/SEIZE, process_vm_readv/writev,
# /proc/PID/mem and /proc/PID/fd. Each must be refused, and afterwards the
# gate must still allow the allowed call and deny the forbidden one.
# Negative control: the same program kills a plain same-uid parent.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
S=$ADV/adv_super
[ -x "$S" ] || fail "$S not built"

# native control: a python parent standing in for the supervisor dies
for a in kill rt_sigqueueinfo pidfd-procdir fsetown; do
	: >"$WS/alive.txt"
	( cd "$WS" && timeout -k 2 20 python3 -c 'import subprocess, sys, time
subprocess.run(sys.argv[1:]); time.sleep(0.5); print("parent survived")' "$S" "$a" ) >"$WS/native.out" 2>&1
	grep -q "parent survived" "$WS/native.out" && fail "native control: '$a' did not kill a same-uid parent"
done
# The orphaned attack programs of the native controls go on to their
# liveness probes (unlink alive.txt, PROTECTED.txt) ~100 ms later: let
# them finish before the gated cases recreate those files.
sleep 1

ATTACKS='kill
kill-pgrp
kill-all-probe
tkill
tgkill
tkill-threads
rt_sigqueueinfo
rt_tgsigqueueinfo
pidfd_open
pidfd-procdir
fsetown
fsetown-pgrp
prlimit-nofile
prlimit-fsize
ptrace-attach
ptrace-seize
process_vm_writev
process_vm_readv
proc-mem
proc-fd'
one() {
	local a=$1 rc
	: >"$WS/alive.txt"; echo secret >"$WS/PROTECTED.txt"
	gate "$S" "$a"
	rc=$(result_rc "$a")
	[ -n "$rc" ] || fail "$a: no result (attesta-run exited $RC)"
	[ "$rc" -lt 0 ] || fail "$a: the attack on the supervisor SUCCEEDED ($(grep "^RESULT $a" "$WS/out"))"
	grep -q '^RESULT alive-allowed rc=0 ' "$WS/out" || fail "$a: the gate stopped answering afterwards (attesta-run exited $RC)"
	grep -q '^RESULT alive-forbidden rc=-1 errno=1 ' "$WS/out" || fail "$a: the forbidden call was not denied afterwards"
	expect_file PROTECTED.txt "$a"
	[ "$RC" = 0 ] || fail "$a: attesta-run exited $RC, want 0"
	# Refused by the filter's rules (not /proc/PID/mem or /fd, which the
	# kernel refuses for a non-dumpable supervisor): the attempt is audited.
	case $a in
	proc-*) ;;
	*)
		local n
		n=$(audit_count 'e.get("decision_source") == "filter" and e.get("verdict") == "denied"')
		[ "$n" -gt "$FILTER_SEEN" ] || fail "$a: the refused attempt is not in the audit log"
		FILTER_SEEN=$n
		;;
	esac
	echo "ok: $a ($(sed -n "s/^RESULT $a .*errno=[0-9]* //p" "$WS/out"))"
}
FILTER_SEEN=0
each_case one <<<"$ATTACKS"
expect_audit_min "$CASES_RUN" "$DENIED_PATH" "the liveness probes were audited"
verify_chain
pass "$CASES_RUN attacks on the supervisor refused"
