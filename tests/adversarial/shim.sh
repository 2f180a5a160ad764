#!/bin/bash
# Escape family: the shim socket. The agent closes it, or floods it with
# 100,000 garbage datagrams and SCM_RIGHTS descriptors; the gate must
# still deny the forbidden removal (and audit it) and still allow the
# allowed one (the supervisor neither died nor wedged).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
S=$ADV/adv_shim
gate /usr/bin/env
grep -q '^ATTESTA_SHIM_FD=' "$WS/out" || skip "attesta-run passes no ATTESTA_SHIM_FD (no shim socket in this build)"
one() {
	reset_targets
	gate "$S" "$1"
	grep '^INFO' "$WS/out" | sed 's/^/  /'
	expect_file PROTECTED.txt "shim $1"
	grep -q '^RESULT forbidden rc=-1 errno=1 ' "$WS/out" || fail "shim $1: forbidden removal not denied (rc $RC)"
	grep -q '^RESULT allowed rc=0 ' "$WS/out" || fail "shim $1: allowed removal failed: the supervisor stopped deciding (rc $RC)"
	[ "$RC" = 0 ] || fail "shim $1: attesta-run exited $RC"
	echo "ok: $1"
}
each_case one <<<"close
flood"
expect_audit_min 2 "$DENIED_PATH" "forbidden removals audited"
verify_chain
pass
