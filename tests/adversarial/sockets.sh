#!/bin/bash
# Escape family: sockets whose sends the connect/sendto decoder cannot
# judge (docs/decode.md, "Socket creation"): a frame sent on an AF_PACKET
# socket; a raw IPv4 socket whose payload's UDP header names a forbidden
# port (the sockaddr's port is ignored by the kernel); an IPPROTO_RAW
# (IP_HDRINCL) socket whose IP header names 127.0.0.2 while the sockaddr
# names 127.0.0.1; an SCTP socket (it can connect through setsockopt and
# cmsg addresses). As root each effect happens natively (a sniffer on lo,
# counting listeners); unprivileged, socket() itself fails natively with
# EPERM and the control shows that. Under the gate socket() is refused and
# audited as a `socket` action, and nothing arrives. Then, with
# gate.allow_socket_families [raw], a raw socket is created (audited as
# approved).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
. "$(dirname "$0")/lib/net.sh"
B=$ADV/adv_net
start_listener
start_alias_listener 127.0.0.1
forbid_args "127.0.0.1:$ALIASPORT"
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1

SNIFF_PID=
start_sniffer() {
	: >"$WS/sniff.log"
	python3 - "$WS/sniff.log" "$WS/sniff.ready" <<'PY' >"$WS/sniff.err" 2>&1 &
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("lo", 0))
open(sys.argv[2], "w").close()
with open(sys.argv[1], "a", buffering=1) as f:
    while True:
        if b"adv-packet" in s.recv(65536):
            f.write("frame\n")
PY
	SNIFF_PID=$!
	for _ in $(seq 100); do [ -e "$WS/sniff.ready" ] && return 0; sleep 0.05; done
	cat "$WS/sniff.err"
	fail "sniffer did not start"
}
sniff_events() { wc -l <"$WS/sniff.log" | tr -d ' '; }
[ -n "$ROOT" ] && start_sniffer
trap '[ -n "$SNIFF_PID" ] && kill "$SNIFF_PID" 2>/dev/null; net_cleanup' EXIT
events() {
	local n=$(($(listener_events) + $(alias_events)))
	[ -z "$ROOT" ] || n=$((n + $(sniff_events)))
	echo "$n"
}
reset_all() { reset_listener; reset_alias; [ -z "$ROOT" ] || : >"$WS/sniff.log"; }

# MODE ARGS... | the refused socket's description starts with
CASES="packet-send 127.0.0.2 $BADPORT|socket packet raw
raw-udp 127.0.0.1 80 $ALIASPORT|socket inet raw udp
raw-hdrincl 127.0.0.1 127.0.0.2 $BADPORT|socket inet raw raw
sctp 127.0.0.2 $BADPORT|socket inet stream sctp"

one() {
	local cmd=${1%|*} want=${1#*|} q before nerr
	# shellcheck disable=SC2086
	set -- $cmd
	reset_all
	native "$B" "$@"; sleep 0.3
	nerr=$(sed -n "s/^RESULT $1 rc=-1 errno=\([0-9]*\).*/\1/p" "$WS/native.out")
	if [ "$1" = sctp ] && [ -n "$nerr" ] && [ "$nerr" != 1 ]; then
		echo "note: no SCTP natively (errno $nerr): only the refusal at socket() is checked"
	elif [ -z "$ROOT" ]; then
		[ "$nerr" = 1 ] || fail "unprivileged control '$*': want EPERM from socket(): $(cat "$WS/native.out")"
	elif [ "$1" = sctp ]; then
		[ "$(events)" -gt 0 ] || fail "native control '$*' did not connect: $(cat "$WS/native.out")"
	else
		[ "$(events)" -gt 0 ] || fail "native control '$*' did not reach a listener: $(cat "$WS/native.out")"
	fi
	reset_all
	q="e.get('verdict')!='approved' and e.get('action_class')=='socket' and str(e.get('action_description')).startswith('$want')"
	before=$(audit_count "$q")
	gate "$B" "$@"; sleep 0.3
	expect_no_traffic "'$*'"
	expect_no_alias_traffic "'$*'"
	[ -z "$ROOT" ] || [ "$(sniff_events)" -eq 0 ] || fail "'$*': the frame went out on lo"
	expect_denied "$1"
	[ "$(audit_count "$q")" -gt "$before" ] || { audit_dump 6; fail "'$*': not audited as a refused '$want'"; }
	echo "ok: $* (refused at socket(): $want)"
}
each_case one <<<"$CASES"
verify_chain

# gate.allow_socket_families allows the chosen kind (and only it).
write_config "allow_socket_families: [raw]"
gate python3 -c '
import socket
for fam, typ, proto in ((socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), (socket.AF_PACKET, socket.SOCK_RAW, 0)):
    try:
        socket.socket(fam, typ, proto).close(); print("created", fam.name)
    except OSError as e:
        print("refused", fam.name, e.errno)'
grep -q "refused AF_PACKET 1" "$WS/out" || fail "allow [raw]: a packet socket was not refused: $(cat "$WS/out")"
if [ -n "$ROOT" ]; then
	grep -q "created AF_INET" "$WS/out" || fail "allow [raw]: the raw socket was not created: $(cat "$WS/out")"
fi
expect_audit_min 1 "e.get('verdict')=='approved' and e.get('action_class')=='socket' and 'allow_socket_families' in str(e.get('reason'))" "allowed raw socket audited"
pass "$CASES_RUN sockets refused at creation; allow_socket_families honoured"
