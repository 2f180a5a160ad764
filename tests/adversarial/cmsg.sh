#!/bin/bash
# Control data on sends (docs/decode.md, "Control data"). The supervisor
# emulates sendmsg/sendmmsg with its own copy of the control data:
#   - forwarded, and working as natively: a descriptor passed with
#     SCM_RIGHTS over a socketpair is the same open file for the receiver;
#     IP_TOS, IP_TTL, IPV6_HOPLIMIT/IPV6_TCLASS reach the receiver; a
#     descriptor that is not open is EBADF and a malformed cmsg EINVAL,
#     as natively; sendmmsg passes a descriptor in each message;
#   - refused (EPERM, audited naming the kind), though they work natively:
#     IP_PKTINFO choosing another source address (also in the second
#     message of a sendmmsg on a connected socket), SCM_CREDENTIALS;
#   - a thread flipping the control data between IP_TOS and IP_PKTINFO
#     during the call: natively datagrams leave from 127.0.0.3, gated none
#     (the emulation checks the copy it sends);
#   - a forbidden destination (127.0.0.2) with control data is still
#     denied: the listener receives nothing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
A=$(cd "$(dirname "$0")/lib" && pwd)/cmsg_agent.py
PY=$(python3 -c 'import sys; print(sys.executable)')
start_listener
HAVE6=1
python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null || HAVE6=

# Forwarded kinds: the same result natively and gated.
FORWARDED="scm_rights 0 0
scm_rights_ebadf -1 9
ip_tos 0 0
ip_ttl 0 0
ipv6_hoplimit 0 0
malformed -1 22
mmsg_rights 0 0"
forwarded() {
	# shellcheck disable=SC2086
	set -- $1
	if [ "$1" = ipv6_hoplimit ] && [ -z "$HAVE6" ]; then echo "skip: $1 (no IPv6 loopback)"; return 0; fi
	native "$PY" "$A" "$1"
	grep -q "^RESULT $1 rc=$2 errno=$3" "$WS/native.out" || fail "native control '$1': $(cat "$WS/native.out")"
	gate "$PY" "$A" "$1"
	[ "$(result_rc "$1")" = "$2" ] && [ "$(result_errno "$1")" = "$3" ] ||
		fail "'$1' under the gate: want rc=$2 errno=$3, got: $(cat "$WS/out") $(tail -3 "$WS/err")"
	echo "ok: $1 ($(sed -n "s/^RESULT $1 rc=[-0-9]* errno=[0-9]* *//p" "$WS/out"))"
}
each_case forwarded <<<"$FORWARDED"
N_FWD=$CASES_RUN

# Refused kinds: natively they work; gated EPERM and an audited refusal
# naming the kind.
REFUSED="ip_pktinfo IP_PKTINFO
ucred SCM_CREDENTIALS
mmsg_pktinfo in+message+1:+IP_PKTINFO"
refused() {
	# shellcheck disable=SC2086
	set -- $1
	native "$PY" "$A" "$1"
	grep -q "^RESULT $1 rc=0 " "$WS/native.out" || fail "native control '$1' failed: $(cat "$WS/native.out")"
	if [ "$1" = ip_pktinfo ]; then
		grep -q "from 127.0.0.3" "$WS/native.out" || fail "native control: the source was not chosen: $(cat "$WS/native.out")"
	fi
	local q="e.get('verdict')=='denied' and e.get('decision_source')=='decoder' and '${2//+/ }' in str(e.get('reason'))" before
	before=$(audit_count "$q")
	gate "$PY" "$A" "$1"
	[ "$(result_rc "$1")" = -1 ] && [ "$(result_errno "$1")" = 1 ] ||
		fail "'$1' under the gate: want EPERM, got: $(cat "$WS/out") $(tail -3 "$WS/err")"
	[ "$(audit_count "$q")" -gt "$before" ] || { audit_dump 6; fail "'$1': no audited refusal naming $2"; }
	echo "ok: $1 refused (${2//+/ })"
}
each_case refused <<<"$REFUSED"
N_REF=$CASES_RUN

# The race: another thread flips the control data between IP_TOS and
# IP_PKTINFO (source 127.0.0.3) while sendmsg is held. The emulation
# checks its own copy again: nothing may arrive from 127.0.0.3.
ATTEMPTS=${ADV_ATTEMPTS:-20000}
SECONDS_=${ADV_SECONDS:-60}
native "$PY" "$A" race_pktinfo "$ATTEMPTS" "$SECONDS_"
n=$(sed -n 's/^RESULT race_pktinfo rc=0 errno=0 spoofed=\([0-9]*\).*/\1/p' "$WS/native.out")
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "native control: no datagram from 127.0.0.3 in the race: $(cat "$WS/native.out")"
q="e.get('verdict')=='denied' and 'IP_PKTINFO' in str(e.get('reason'))"
before=$(audit_count "$q")
gate "$PY" "$A" race_pktinfo "$ATTEMPTS" "$SECONDS_"
grep -q "^RESULT race_pktinfo rc=0 errno=0 spoofed=0 " "$WS/out" ||
	fail "race: a datagram left with the refused source, or the agent failed: $(cat "$WS/out") $(tail -3 "$WS/err")"
[ "$(audit_count "$q")" -gt "$before" ] || { audit_dump 6; fail "race: no audited IP_PKTINFO refusal"; }
echo "ok: race ($(sed -n 's/^RESULT race_pktinfo rc=0 errno=0 //p' "$WS/out"); natively spoofed=$n)"

# A forbidden destination with control data (forwarded or refused kind).
FORBIDDEN="forbidden_tos 127.0.0.2 $BADPORT
forbidden_pktinfo 127.0.0.2 $BADPORT"
forbidden() {
	# shellcheck disable=SC2086
	set -- $1
	reset_listener
	native "$PY" "$A" "$@"; sleep 0.2
	[ "$(listener_events)" -gt 0 ] || fail "native control '$*' did not reach the listener: $(cat "$WS/native.out")"
	reset_listener
	local before
	before=$(audit_count "$DENIED_NET")
	gate "$PY" "$A" "$@"; sleep 0.2
	expect_no_traffic "'$*'"
	[ "$(result_rc "$1")" = -1 ] || fail "'$*': the send succeeded under the gate: $(cat "$WS/out")"
	[ "$(audit_count "$DENIED_NET")" -gt "$before" ] || { audit_dump 6; fail "'$*': not audited as a denied send"; }
	echo "ok: $* denied"
}
each_case forbidden <<<"$FORBIDDEN"
verify_chain
pass "$N_FWD forwarded as natively, $N_REF kinds refused, race held, $CASES_RUN forbidden sends denied"
