#!/bin/bash
# Escape family (found by attacking the destination rule): a UDP socket
# connected to an allowed address, then given an IPv4 loose source route
# through 127.0.0.2 (setsockopt IP_OPTIONS): every later send, including
# send() on the connected socket, which is never held, goes to the first
# hop 127.0.0.2. Natively the option is accepted and (as root, seen by a
# sniffer on lo) the datagram leaves addressed to 127.0.0.2. Under the
# gate the setsockopt is refused (IP_OPTIONS, IPV6_RTHDR and the RFC 2292
# forms are refused by the filter), audited, and nothing leaves.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_net
OKP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1
SNIFF_PID=
if [ -n "$ROOT" ]; then
	: >"$WS/sniff.log"
	python3 - "$WS/sniff.log" "$WS/sniff.ready" <<'PY' >"$WS/sniff.err" 2>&1 &
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("lo", 0))
open(sys.argv[2], "w").close()
with open(sys.argv[1], "a", buffering=1) as f:
    while True:
        fr = s.recv(65536)
        if b"adv-packet-srr" in fr and len(fr) >= 34:
            f.write("to %s\n" % socket.inet_ntoa(fr[30:34]))
PY
	SNIFF_PID=$!
	trap '[ -n "$SNIFF_PID" ] && kill "$SNIFF_PID" 2>/dev/null; adv_cleanup' EXIT
	for _ in $(seq 100); do [ -e "$WS/sniff.ready" ] && break; sleep 0.05; done
	[ -e "$WS/sniff.ready" ] || { cat "$WS/sniff.err"; fail "sniffer did not start"; }
fi

native "$B" srr-send 127.0.0.2 127.0.0.1 "$OKP"; sleep 0.3
if [ -z "$ROOT" ] && grep -q "^RESULT srr-send rc=-1 errno=1 " "$WS/native.out"; then
	# this kernel refuses the option to an unprivileged user: the gate
	# must still refuse and audit the attempt
	note "unprivileged: the kernel itself refuses IP_OPTIONS (EPERM) here"
elif ! grep -q "^RESULT srr-send rc=14 " "$WS/native.out"; then
	fail "native control: the source-routed send failed: $(cat "$WS/native.out")"
elif [ -n "$ROOT" ]; then
	grep -q "^to 127.0.0.2$" "$WS/sniff.log" || fail "native control: no datagram to the first hop 127.0.0.2 seen on lo"
	: >"$WS/sniff.log"
else
	note "unprivileged: no sniffer; the control shows the option is accepted and the send succeeds"
fi

q="e.get('verdict')!='approved' and e.get('metadata',{}).get('syscall')=='setsockopt'"
gate "$B" srr-send 127.0.0.2 127.0.0.1 "$OKP"; sleep 0.3
expect_denied srr-send
[ -z "$ROOT" ] || [ ! -s "$WS/sniff.log" ] || fail "a source-routed datagram left under the gate: $(cat "$WS/sniff.log")"
expect_audit_min 1 "$q" "refused setsockopt(IP_OPTIONS)"
verify_chain
pass "source routing refused"
