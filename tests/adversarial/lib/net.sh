# Shared by sockets.sh and net_alias.sh (sourced after adv.sh, bash).
#
# start_alias_listener ADDR...: TCP and UDP listeners on every ADDR at one
# free port $ALIASPORT; each accepted connection or datagram is a line
# "ADDR/tcp" or "ADDR/udp" in $WS/alias.log. allow_alias_rule: a policy
# amplifier that forbids ADDR:$ALIASPORT by the connect/sendto argument
# text ("127.0.0.1:PORT", "[::1]:PORT"), so that a destination spelled
# otherwise (0.0.0.0, ::) but reaching it must be refused.
ALIAS_PID=
start_alias_listener() {
	ALIASPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	: >"$WS/alias.log"
	python3 - "$ALIASPORT" "$WS/alias.log" "$WS/alias.ready" "$@" <<'PY' >"$WS/alias.err" 2>&1 &
import selectors, socket, sys
port, log, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sel = selectors.DefaultSelector()
for a in sys.argv[4:]:
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    t = socket.socket(fam); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a, port)); t.listen(128); sel.register(t, selectors.EVENT_READ, a + "/tcp")
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((a, port))
    sel.register(u, selectors.EVENT_READ, a + "/udp")
open(ready, "w").close()
with open(log, "a", buffering=1) as f:
    while True:
        for key, _ in sel.select():
            if key.data.endswith("tcp"):
                c, _ = key.fileobj.accept(); c.close()
            else:
                key.fileobj.recv(65536)
            f.write(key.data + "\n")
PY
	ALIAS_PID=$!
	for _ in $(seq 100); do [ -e "$WS/alias.ready" ] && return 0; sleep 0.05; done
	cat "$WS/alias.err"
	fail "alias listener did not start"
}
alias_events() { wc -l <"$WS/alias.log" | tr -d ' '; }
reset_alias() { : >"$WS/alias.log"; }
expect_no_alias_traffic() {
	local n
	n=$(alias_events)
	[ "$n" -eq 0 ] || { sed 's/^/  listener: /' "$WS/alias.log" | head; fail "${1:-escape}: $n connection(s)/datagram(s) reached a forbidden listener"; }
}
net_cleanup() {
	[ -n "$ALIAS_PID" ] && kill "$ALIAS_PID" 2>/dev/null
	adv_cleanup
}
trap net_cleanup EXIT

# forbid_args TEXT...: rewrite the config with an amplifier per TEXT
# (literal text matched against the call's argument text, e.g. the
# destination "127.0.0.1:PORT"), on top of the adversarial policy.
forbid_args() {
	local p
	for p in "$@"; do
		# a regex for the literal, its backslashes doubled for YAML "..."
		p=$(printf '%s' "$p" | sed 's/[].[]/\\\\&/g')
		RULES="$RULES
    - pattern: \"$p\"
      target: args
      boost: 1.0"
	done
	write_config
}
