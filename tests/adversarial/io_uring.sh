#!/bin/bash
# Escape family: io_uring. IORING_OP_UNLINKAT and IORING_OP_CONNECT run in
# kernel workers, outside any system call the filter sees, so
# io_uring_setup must be refused by default (gate.allow_io_uring opts in,
# with a warning). Natively both operations work.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
U=$ADV/adv_uring
[ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ] || skip "io_uring disabled on this host (kernel.io_uring_disabled)"
start_listener

native "$U" unlinkat PROTECTED.txt
[ ! -e "$WS/PROTECTED.txt" ] || fail "native control: io_uring unlinkat did not remove the file: $(cat "$WS/native.out")"
reset_targets
native "$U" connect 127.0.0.2 "$BADPORT"; sleep 0.3
[ "$(listener_events)" -gt 0 ] || fail "native control: io_uring connect did not reach the listener"
reset_listener

gate "$U" unlinkat PROTECTED.txt
expect_denied io_uring_setup
expect_file PROTECTED.txt "io_uring unlinkat"
gate "$U" connect 127.0.0.2 "$BADPORT"; sleep 0.3
expect_denied io_uring_setup
expect_no_traffic "io_uring connect"
expect_audit_min 2 'e.get("decision_source") == "filter" and e.get("action_name") == "io_uring_setup" and e.get("verdict") == "denied"' \
	"the refused io_uring_setup calls are audited"

# opting in must say so
write_config "allow_io_uring: true"
gate /bin/true
grep -qi 'io_uring' "$WS/err" || fail "gate.allow_io_uring: true gave no warning on stderr"
pass
