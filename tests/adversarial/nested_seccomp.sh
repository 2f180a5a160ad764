#!/bin/bash
# Escape family: the agent installs its own seccomp filter with
# NEW_LISTENER and answers CONTINUE to its own notifications (the newest
# listener is asked first). seccomp(SET_MODE_FILTER, NEW_LISTENER) must be
# refused in the sandbox — also with junk in the upper 32 bits of the
# operation and flags (the kernel reads unsigned ints) and with TSYNC.
# Natively every variant removes the file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
N=$ADV/adv_nested
one() {
	reset_targets
	native "$N" "$1" PROTECTED.txt
	[ ! -e "$WS/PROTECTED.txt" ] || fail "native control $1 did not remove the file: $(cat "$WS/native.out")"
	reset_targets
	gate "$N" "$1" PROTECTED.txt
	expect_file PROTECTED.txt "nested listener ($1)"
	local rc
	rc=$(result_rc seccomp-new-listener)
	[ -n "$rc" ] && [ "$rc" -lt 0 ] || fail "nested listener ($1): seccomp(NEW_LISTENER) was accepted (rc=$rc)"
	echo "ok: $1"
}
each_case one <<<"plain
highbits
tsync"
# All three are refused by the filter and audited (highbits: the filter
# compares the 32 bits the kernel reads; the kernel would refuse it anyway
# with EBUSY, a filter stack having at most one listener).
expect_audit_min 3 'e.get("decision_source") == "filter" and e.get("action_name") == "seccomp" and e.get("verdict") == "denied"' \
	"the refused seccomp(NEW_LISTENER) calls are audited"
verify_chain
pass
