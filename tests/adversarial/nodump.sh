#!/bin/bash
# Escape family: the agent makes itself non-dumpable (PR_SET_DUMPABLE 0)
# so an unprivileged supervisor cannot read its memory (/proc/PID/mem,
# process_vm_readv), then makes forbidden calls. The gate must fail
# closed: deny (and audit) what it cannot read, never let it through.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw
start_listener
one() {
	# shellcheck disable=SC2086
	set -- $1
	local mode=$1
	reset_targets
	gate "$B" -n "$@"
	grep -q '^INFO dumpable=0' "$WS/out" || fail "$mode: could not become non-dumpable"
	expect_denied "$mode"
	expect_file PROTECTED.txt "non-dumpable $mode"
	expect_file PROTECTED.d/victim "non-dumpable $mode"
	expect_no_marker "non-dumpable $mode"
	echo "ok: -n $*"
}
each_case one <<<"unlink PROTECTED.txt
unlinkat-dirfd PROTECTED.d victim
connect 127.0.0.2 $BADPORT
sendto 127.0.0.2 $BADPORT
exec ./forbidden-tool"
expect_no_traffic "non-dumpable connect/sendto"
# Each attempt is audited as a denied call of its class; an unprivileged
# supervisor cannot read the path / address, so the entry may not name it.
DENIED_CLASS='e.get("verdict")!="approved" and e.get("action_class")=='
expect_audit_min 2 "${DENIED_CLASS}'unlink'" "non-dumpable removals audited"
expect_audit_min 1 "${DENIED_CLASS}'exec'" "non-dumpable exec audited"
expect_audit_min 1 "${DENIED_CLASS}'connect'" "non-dumpable connect audited"
expect_audit_min 1 "${DENIED_CLASS}'sendto'" "non-dumpable sendto audited"
# what does an allowed call do while non-dumpable? (fail closed = EPERM is acceptable)
gate "$B" -n unlink ok.txt
note "non-dumpable allowed unlink: $(grep '^RESULT' "$WS/out")"
verify_chain
pass
