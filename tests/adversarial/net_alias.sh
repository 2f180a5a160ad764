#!/bin/bash
# Escape family: a forbidden destination spelled as an address the policy
# does not recognise but the kernel resolves to it (docs/decode.md,
# "Canonical addresses"): 0.0.0.0 on a socket bound to 127.0.0.2 reaches
# 127.0.0.2, unbound it reaches 127.0.0.1; :: reaches ::1 (or 127.0.0.1
# on a socket bound v4-mapped); ::ffff:0.0.0.0 is IPv4 0.0.0.0; a UDP
# sendto with sin_family AF_UNSPEC is read by the kernel as AF_INET. The
# policy forbids 127.0.0.2 and, by their argument text, 127.0.0.1:PORT and
# [::1]:PORT. Natively each attempt reaches its listener; under the gate
# none may, and each must be audited as refused, naming the address the
# kernel would have reached.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
. "$(dirname "$0")/lib/net.sh"
B=$ADV/adv_net
start_listener
V6=1
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null || V6=
if [ -n "$V6" ]; then start_alias_listener 127.0.0.1 ::1; else start_alias_listener 127.0.0.1; fi
forbid_args "127.0.0.1:$ALIASPORT" "[::1]:$ALIASPORT"

# MODE ARGS... | text the refused entry's address must contain
CASES="bound-connect 127.0.0.2 0.0.0.0 $BADPORT|127.0.0.2:$BADPORT
bound-sendto 127.0.0.2 0.0.0.0 $BADPORT|127.0.0.2:$BADPORT
bound-connect ::ffff:127.0.0.2 ::ffff:0.0.0.0 $BADPORT|127.0.0.2:$BADPORT
bound-sendto ::ffff:127.0.0.2 ::ffff:0.0.0.0 $BADPORT|127.0.0.2:$BADPORT
bound-connect - 0.0.0.0 $ALIASPORT|127.0.0.1:$ALIASPORT
bound-sendto - 0.0.0.0 $ALIASPORT|127.0.0.1:$ALIASPORT
bound-sendto - ::ffff:0.0.0.0 $ALIASPORT|127.0.0.1:$ALIASPORT
unspec-sendto 127.0.0.2 $BADPORT|127.0.0.2:$BADPORT"
[ -n "$V6" ] && CASES="$CASES
bound-connect - :: $ALIASPORT|[::1]:$ALIASPORT
bound-sendto - :: $ALIASPORT|[::1]:$ALIASPORT
bound-connect ::ffff:127.0.0.2 :: $ALIASPORT|127.0.0.1:$ALIASPORT"
[ -n "$V6" ] || note "no IPv6 loopback: the :: cases are not run"

one() {
	local cmd=${1%|*} want=${1#*|} q before
	# shellcheck disable=SC2086
	set -- $cmd
	reset_listener
	reset_alias
	native "$B" "$@"; sleep 0.2
	[ $(($(listener_events) + $(alias_events))) -gt 0 ] ||
		fail "native control '$*' did not reach a listener: $(cat "$WS/native.out")"
	reset_listener
	reset_alias
	q="e.get('verdict')!='approved' and '$want' in str(e.get('address') or '')"
	before=$(audit_count "$q")
	gate "$B" "$@"; sleep 0.2
	expect_no_traffic "'$*'"
	expect_no_alias_traffic "'$*'"
	expect_denied "$1"
	[ "$(audit_count "$q")" -gt "$before" ] || { audit_dump 6; fail "'$*': not audited as a refused call to $want"; }
	echo "ok: $* (judged as $want)"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN aliased destinations refused"
