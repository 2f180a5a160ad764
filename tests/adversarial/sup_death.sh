#!/bin/bash
# The supervisor dies (the OOM killer, `kill -9` by the user): nothing of
# the sandbox may keep running without the gate (docs/attesta-run.md,
# "Process life"). PROG starts a grandchild and a double-forked setsid
# daemon (each a loop whose argv carries a tag); then, from outside as a
# user would:
#   1. SIGKILL the supervisor (PROG's parent): every tagged process must be
#      gone within a second, and attesta-run (the watcher) exits 137;
#   2. SIGKILL the watcher (the pid the user started): the supervisor
#      kills the sandbox and exits, again within a second;
#   3. the same as 1 while the sandbox is a fork storm (a loop forking
#      without pause, 200 orphans blocked on a fifo): the watcher's kill
#      loop must still catch every generation within a second.
# Negative control: the same agent under a plain parent that is killed
# the same way: the daemon survives it (the check can see survivors).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"

TAG=attesta-victim-$$
cat >"$WS/agent.sh" <<SH
#!/bin/sh
echo \$PPID >sup.pid
sh -c 'while :; do sleep 0.1; done' $TAG-grandchild &
setsid sh -c "sh -c 'while :; do sleep 0.1; done' $TAG-daemon & echo started >daemon.started" &
echo ready >ready
while :; do sleep 0.1; done
SH
chmod +x "$WS/agent.sh"

# tagged: pids of processes whose command line carries the tag
tagged() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$TAG" && echo "${p#/proc/}"
	done
}
# wait_ready: the agent and both loops are running
wait_ready() {
	for _ in $(seq 100); do
		[ -e "$WS/ready" ] && [ -e "$WS/daemon.started" ] && [ "$(tagged | wc -l)" -ge 2 ] && return 0
		sleep 0.05
	done
	cat "$WS/err" 2>/dev/null; fail "the agent did not start its processes"
}
# gone_within SECONDS: no tagged process left by then
gone_within() {
	local n=$(( $1 * 20 ))
	for _ in $(seq "$n"); do
		[ -z "$(tagged)" ] && return 0
		sleep 0.05
	done
	return 1
}
reset() { rm -f "$WS/sup.pid" "$WS/ready" "$WS/daemon.started"; }
cleanup_tagged() { local p; for p in $(tagged); do kill -9 "$p" 2>/dev/null; done; }

# native control: the stand-in parent dies, the daemon lives on
reset
( cd "$WS" && exec setsid -w sh -c "./agent.sh $TAG-agent; :" ) >/dev/null 2>&1 &
wait_ready
kill -9 "$(cat "$WS/sup.pid")"
sleep 1
[ -n "$(tagged)" ] || fail "native control: nothing survived the parent's death"
cleanup_tagged
gone_within 2 || fail "native control: cannot clean up"
echo "native: the daemon survives its supervisor's death"

start_gate() {
	reset
	( cd "$WS" && exec setsid -w timeout -k 5 60 "$RUN" -c "$WS/attesta.yaml" -- ./agent.sh "$TAG-agent" ) \
		>"$WS/out" 2>"$WS/err" &
	BG=$!
	wait_ready
	SUP=$(cat "$WS/sup.pid")
	WATCHER=$(sed 's/.*) . \([0-9]*\) .*/\1/' "/proc/$SUP/stat")
	tr '\0' ' ' <"/proc/$WATCHER/cmdline" | grep -q attesta-run || fail "the supervisor's parent is not attesta-run"
}

# 1. SIGKILL the supervisor
start_gate
kill -9 "$SUP"
gone_within 1 || { cleanup_tagged; fail "processes of the sandbox outlived the supervisor by more than 1 s"; }
wait "$BG"; RC=$?
[ "$RC" = 137 ] || fail "attesta-run exited $RC after its supervisor was killed, want 137"
grep -q "supervisor was killed" "$WS/err" || fail "attesta-run did not say the supervisor was killed"
echo "ok: SIGKILL to the supervisor: sandbox gone, attesta-run exited 137"

# 2. SIGKILL the watcher (the pid the user started)
start_gate
kill -9 "$WATCHER"
gone_within 1 || { cleanup_tagged; fail "processes of the sandbox outlived attesta-run (the watcher) by more than 1 s"; }
# gone, or a zombie nobody reaps yet (its parent, the watcher, is dead)
sup_running() { [ -r "/proc/$SUP/stat" ] && ! sed 's/.*) //' "/proc/$SUP/stat" 2>/dev/null | grep -q '^Z'; }
for _ in $(seq 20); do sup_running || break; sleep 0.05; done
sup_running && fail "the supervisor kept running after the watcher died"
wait "$BG"
echo "ok: SIGKILL to attesta-run: the supervisor killed the sandbox and exited"
# 3. a fork storm when the supervisor dies (no exec: forks are not gated)
mkfifo "$WS/fifo"
cat >"$WS/storm.sh" <<'SH'
#!/bin/sh
# storm.sh TAG: fork forever; the first 200 children leave an orphan
# blocked on the fifo
echo $$ >storm.pid
i=0
while :; do
	if [ $i -lt 200 ]; then ( ( read x <fifo ) & ); i=$((i + 1)); else ( : ); fi
	[ $i = 200 ] && [ ! -e storm.ready ] && : >storm.ready
done
SH
chmod +x "$WS/storm.sh"
cat >"$WS/agent.sh" <<SH
#!/bin/sh
echo \$PPID >sup.pid
./storm.sh $TAG-storm &
: >daemon.started
echo ready >ready
while :; do sleep 0.1; done
SH
storm_ready() { for _ in $(seq 200); do [ -e "$WS/storm.ready" ] && return 0; sleep 0.05; done; return 1; }
# native control: the storm outlives its parent
reset; rm -f "$WS/storm.ready"
( cd "$WS" && exec setsid -w sh -c "./agent.sh $TAG-agent; :" ) >/dev/null 2>&1 &
wait_ready; storm_ready || fail "native control: the storm did not start"
kill -9 "$(cat "$WS/sup.pid")"
sleep 1
[ -n "$(tagged)" ] || fail "native control: the storm did not survive its parent"
kill -9 "$(cat "$WS/storm.pid")"; sleep 0.2; cleanup_tagged
gone_within 2 || fail "native control: cannot clean up the storm"
echo "native: a fork storm survives its parent"
rm -f "$WS/storm.ready"
start_gate
storm_ready || { kill -9 "$WATCHER"; fail "the storm did not start under the gate"; }
kill -9 "$SUP"
gone_within 1 || { kill -9 "$(cat "$WS/storm.pid")"; cleanup_tagged; fail "a fork storm outlived the supervisor by more than 1 s"; }
wait "$BG"; RC=$?
[ "$RC" = 137 ] || fail "attesta-run exited $RC after its supervisor was killed during a fork storm, want 137"
echo "ok: SIGKILL to the supervisor during a fork storm: sandbox gone"
pass "nothing of the sandbox outlives the gate"
