#!/bin/bash
# Escape family: raw syscall() and a statically linked binary (no ld.so,
# so no shim): unlink, rmdir, connect, sendto and exec of forbidden
# targets must be denied by the kernel-level gate and audited, while the
# same calls on allowed targets still work (the gate is not just "deny").
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
start_listener

for bin in adv_raw adv_raw-static; do
	B=$ADV/$bin
	[ -x "$B" ] || fail "$B not built"
	reset_targets
	# negative control: natively the attack works
	native "$B" unlink PROTECTED.txt
	[ ! -e "$WS/PROTECTED.txt" ] || fail "$bin: native control did not remove PROTECTED.txt"
	reset_targets

	gate "$B" unlink PROTECTED.txt;   expect_denied unlink; expect_file PROTECTED.txt "$bin unlink"
	gate "$B" rmdir PROTECTED.dir;    expect_denied rmdir;  expect_file PROTECTED.dir "$bin rmdir"
	gate "$B" connect 127.0.0.2 "$BADPORT"; expect_denied connect
	gate "$B" sendto 127.0.0.2 "$BADPORT";  expect_denied sendto
	expect_no_traffic "$bin connect/sendto"
	gate "$B" exec ./forbidden-tool;  expect_denied exec; expect_no_marker "$bin exec"
	# allowed controls under the gate
	gate "$B" unlink ok.txt;          [ "$RC" = 0 ] || fail "$bin: allowed unlink ok.txt failed (rc $RC)"
	[ ! -e "$WS/ok.txt" ] || fail "$bin: ok.txt still there"
	gate "$B" exec /bin/true;         [ "$RC" = 0 ] || fail "$bin: allowed exec /bin/true failed (rc $RC)"
done
expect_audit_min 2 "$DENIED_PATH and e.get('action_class')=='unlink'" "raw unlink audited"
expect_audit_min 2 "$DENIED_PATH and e.get('action_class')=='rmdir'" "raw rmdir audited"
expect_audit_min 4 "$DENIED_NET" "raw connect/sendto audited"
expect_audit_min 2 "$DENIED_PROG and e.get('action_name')=='forbidden-tool'" "raw exec audited"
verify_chain
pass
