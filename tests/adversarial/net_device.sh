#!/bin/bash
# Escape family (found by attacking the canonical-address rule): a socket
# bound to a network device (SO_BINDTODEVICE, or IP_UNICAST_IF for UDP)
# that connects or sends to 0.0.0.0 reaches the device's own address
# (the kernel picks the source on that device and uses it as the
# destination), not 127.0.0.1. The policy forbids DEVADDR:PORT by its
# argument text; a listener on the device's address counts arrivals.
# Natively each attempt reaches it; under the gate none may, and each is
# audited as refused naming DEVADDR:PORT. Needs an interface with a
# global IPv4 address (else 77).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
. "$(dirname "$0")/lib/net.sh"
B=$ADV/adv_net
command -v ip >/dev/null || skip "ip (iproute2) needed to find a device address"
read -r DEV DEVADDR <<<"$(ip -4 -o addr show scope global 2>/dev/null | awk '{split($4, a, "/"); print $2, a[1]; exit}')"
[ -n "${DEVADDR:-}" ] || skip "no interface with a global IPv4 address"
start_alias_listener "$DEVADDR"
forbid_args "$DEVADDR:$ALIASPORT"

CASES="dev-connect $DEV 0.0.0.0 $ALIASPORT
dev-sendto $DEV 0.0.0.0 $ALIASPORT
ucif-sendto $DEV 0.0.0.0 $ALIASPORT"

one() {
	local want="$DEVADDR:$ALIASPORT" q before
	# shellcheck disable=SC2086
	set -- $1
	reset_alias
	native "$B" "$@"; sleep 0.2
	[ "$(alias_events)" -gt 0 ] || fail "native control '$*' did not reach $want: $(cat "$WS/native.out")"
	reset_alias
	q="e.get('verdict')!='approved' and '$want' in str(e.get('address') or '')"
	before=$(audit_count "$q")
	gate "$B" "$@"; sleep 0.2
	expect_no_alias_traffic "'$*'"
	expect_denied "$1"
	[ "$(audit_count "$q")" -gt "$before" ] || { audit_dump 6; fail "'$*': not audited as a refused call to $want"; }
	echo "ok: $* (judged as $want)"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN device-bound 0.0.0.0 destinations refused"
