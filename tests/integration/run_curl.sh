#!/bin/bash
# curl to a local HTTP server: allowed on 127.0.0.1 (the page arrives),
# forbidden on 127.0.0.2 (curl fails, the server never sees the request),
# both audited with the address.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"
command -v curl >/dev/null || { echo "skip: curl needed"; exit 77; }

start_http_server
gate curl -sS --max-time 10 "http://127.0.0.1:$PORT/index.html"
expect_rc 0 "curl 127.0.0.1"
expect_out "hello from the server"
expect_audit_min 1 'e["action_class"]=="connect" and e["address"]=="127.0.0.1:'"$PORT"'" and e["verdict"]=="approved"' "connect approved"

: >"$WS/http.log.before"; cp "$WS/http.log" "$WS/http.log.before"
gate curl -sS --max-time 10 "http://127.0.0.2:$PORT/secret"
[ "$RC" -ne 0 ] || fail "curl to 127.0.0.2 succeeded"
grep -q "secret" "$WS/http.log" && fail "server saw the forbidden request"
expect_audit_min 1 'e["action_class"]=="connect" and e["address"]=="127.0.0.2:'"$PORT"'" and e["verdict"]=="denied" and e["errno"]==1' "connect denied"
verify_chain
pass
