#!/bin/bash
# Escape family: datagrams to a forbidden address without connect():
# sendto, sendmsg, sendmmsg, sendmmsg with 1023 allowed messages and the
# forbidden one last, connect+write on UDP, and the forbidden address
# written as IPv4-mapped IPv6 (::ffff:127.0.0.2). The listener on
# 127.0.0.2 must receive nothing; each attempt must be audited. Natively
# each one arrives.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw
start_listener
CASES="sendto 127.0.0.2 $BADPORT
sendmsg 127.0.0.2 $BADPORT
sendmmsg 127.0.0.2 $BADPORT
sendmmsg-mixed 127.0.0.1 $OKPORT 127.0.0.2 $BADPORT 1024
connect-udp 127.0.0.2 $BADPORT
sendto ::ffff:127.0.0.2 $BADPORT
sendmmsg-mixed ::ffff:127.0.0.1 $OKPORT ::ffff:127.0.0.2 $BADPORT 8
connect ::ffff:127.0.0.2 $BADPORT"
one() {
	# shellcheck disable=SC2086
	set -- $1
	reset_listener
	native "$B" "$@"; sleep 0.2
	[ "$(listener_events)" -gt 0 ] || fail "native control '$*' did not reach the listener: $(cat "$WS/native.out")"
	reset_listener
	# a sendmmsg with several destinations is refused as a whole; the
	# entry still names the destinations it refused (127.0.0.2 among them)
	local q=$DENIED_NET before
	before=$(audit_count "$q")
	gate "$B" "$@"; sleep 0.2
	expect_no_traffic "'$*'"
	expect_denied "$1"
	[ "$(audit_count "$q")" -gt "$before" ] || fail "'$*': not audited as a denied send"
	echo "ok: $*"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN sends refused"
