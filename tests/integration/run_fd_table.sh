#!/bin/bash
# The supervisor's descriptor table is sized while it has one thread
# (supervisor/run/proc.h: sup_proc_presize_fds; docs/BENCHMARKS.md,
# "Session 6: the descriptor table"): grown later, with decision threads
# sharing it, the kernel makes every thread that opens a descriptor wait
# for an RCU grace period (10-15 ms here, three times in the first wave
# of 64 new agent threads). FDSize in /proc/PID/status is the table's
# size: the supervisor's must be min(1024, the soft limit) from the
# start, PROG's must stay its own (sized by what it inherits), at the default
# limit and under `ulimit -n 256`; gated calls still work in both.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"

fdsize() { awk '/^FDSize:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

check() { # LIMIT
	local limit=$1 watcher sup agent want size asize
	touch "$WS/victim"
	( cd "$WS" && ulimit -n "$limit" &&
	  exec "$RUN" -c "$WS/attesta.yaml" -- sh -c 'rm victim; exec sleep 3' ) \
		>"$WS/out" 2>"$WS/err" &
	watcher=$!
	sup=
	for _ in $(seq 100); do
		sup=$(pgrep -P "$watcher" -x attesta-run | head -1)
		[ -n "$sup" ] && agent=$(pgrep -P "$sup" -x sleep | head -1)
		[ -n "$sup" ] && [ -n "${agent:-}" ] && break
		sleep 0.05
	done
	[ -n "$sup" ] && [ -n "${agent:-}" ] || fail "limit $limit: supervisor or agent not found"
	want=$(( limit < 1024 ? limit : 1024 ))
	size=$(fdsize "$sup")
	asize=$(fdsize "$agent")
	wait "$watcher"
	RC=$?
	expect_rc 0 "limit $limit: the gated run"
	[ -e "$WS/victim" ] && fail "limit $limit: the gated rm did not remove the file"
	[ -n "$size" ] && [ "$size" -ge "$want" ] ||
		fail "limit $limit: supervisor FDSize ${size:-?}, want >= $want"
	# PROG's table is sized by the descriptors it inherits (one of them
	# is fd 251), not by the supervisor's
	[ "$want" -le 256 ] || { [ -n "$asize" ] && [ "$asize" -lt "$size" ]; } ||
		fail "limit $limit: PROG's FDSize ${asize:-?}: it got the supervisor's table"
	echo "  limit $limit: supervisor FDSize $size, PROG $asize"
}

check "$(ulimit -n)"
check 256
pass "the descriptor table is sized before any thread, PROG keeps its own"
