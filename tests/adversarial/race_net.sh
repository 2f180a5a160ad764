#!/bin/bash
# Escape family: sockaddr races. A second thread flips the destination
# between 127.0.0.1:<closed port> (allowed) and 127.0.0.2:<listener>
# (forbidden) while the first thread connects (TCP) or sends (UDP,
# sendto) ADV_ATTEMPTS times. The listener on 127.0.0.2 must see nothing;
# denied attempts must be audited. Natively it is reached at once.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
R=$ADV/adv_race
start_listener

one() {
	local mode=$1
	reset_listener
	ADV_ATTEMPTS=20000 native "$R" "$mode" 127.0.0.1 "$OKPORT" 127.0.0.2 "$BADPORT"
	sleep 0.3
	[ "$(listener_events)" -gt 0 ] || fail "native control $mode never reached the listener"
	reset_listener
	local before
	before=$(audit_count "$DENIED_NET")
	gate "$R" "$mode" 127.0.0.1 "$OKPORT" 127.0.0.2 "$BADPORT"
	sleep 0.3
	grep -E '^(HELD|ESCAPED)' "$WS/out" | sed 's/^/  /'
	grep -q '^HELD' "$WS/out" || fail "race $mode: no HELD line (rc $RC)"
	expect_no_traffic "race $mode"
	[ "$(audit_count "$DENIED_NET")" -gt "$before" ] || fail "race $mode: no denied attempt audited"
	echo "ok: $mode"
}
each_case one <<<"connect-flip
sendto-flip"
verify_chain
pass "$CASES_RUN sockaddr races held"
