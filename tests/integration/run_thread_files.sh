#!/bin/bash
# A thread with a descriptor table of its own (clone(CLONE_THREAD)
# without CLONE_FILES; the filter allows it) sends and connects on the
# socket its own table names, while the same number in the thread group
# leader's table is another socket (tests/helpers/gate_thread_files.c).
# The gate takes the calling thread's socket, as the kernel would: before
# session 8 the decoder took the leader's, so the datagram left from the
# leader's socket and the leader's socket got connected.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

H=$HELPERS/gate_thread_files
[ -x "$H" ] || { echo "skip: $H not built"; exit 77; }
# native control: the test itself can tell the two sockets apart
"$H" >"$WS/native" 2>&1 || fail "native control: $(cat "$WS/native")"
grep -q "sendto from thread socket" "$WS/native" || fail "native control: $(cat "$WS/native")"

for threads in 1 2; do
	( cd "$WS" && ATTESTA_DECISION_THREADS=$threads "$RUN" -c "$WS/attesta.yaml" -- "$H" ) \
		>"$WS/out" 2>"$WS/err"
	RC=$?
	expect_rc 0 "gate_thread_files ($threads decision threads)"
	expect_out "sendto from thread socket"
	expect_out "connect on thread socket"
	# one run per round, one log: the rounds' entries add up
	expect_audit "$threads" 'e["action_class"]=="sendto" and e["verdict"]=="approved"' "sendto ($threads threads)"
	expect_audit "$threads" 'e["action_class"]=="connect" and e["verdict"]=="approved"' "connect ($threads threads)"
	verify_chain
done
pass
