#!/bin/bash
# Credential epochs (docs/decode.md, "Credential epochs"): the gate reads
# a thread's credentials once and serves them until that thread makes a
# credential call or execs. An agent running as root changes one
# thread's credentials after the gate has seen them (raw setresuid,
# capset, setgroups, setfsuid; glibc's setgroups/setresuid in a process
# with threads; a tid reused by a thread with fewer capabilities; a
# non-leader thread that execs into the leader's tid with fewer
# capabilities) and then removes files its old credentials could remove
# and its new ones cannot (and the reverse). The gate emulates approved
# removals with the caller's credentials: every result must be exactly
# the kernel's, so the lines of a native run and a gated run must be
# the same, and the ones that must fail must fail with EACCES.
# ATTESTA_CREDS_EPOCHS=off runs it on the per-decision status read.
# Not an escape of the policy (nothing here is forbidden), so it also
# passes under ADV_PERMISSIVE=1. As another user (--user), the same
# program's non-root cases.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ "$(id -u)" = 0 ] || skip "needs root (the agent changes its credentials; ns_last_pid)"
P=$ADV/adv_creds
[ -x "$P" ] || skip "$P not built"
CR=$WS/cr

setup() {
	rm -rf "$CR"
	mkdir -p "$CR/root" "$CR/nobody" "$CR/grp" "$CR/own"
	for i in $(seq 0 39); do
		: >"$CR/root/r$i"; : >"$CR/nobody/n$i"; : >"$CR/grp/g$i"; : >"$CR/own/o$i"
	done
	chmod 755 "$CR" "$CR/root" "$CR/nobody"
	chown -R 65534:65534 "$CR/nobody"
	chown -R 65533:4242 "$CR/grp"
	chmod 070 "$CR/grp"
	[ -n "${1:-}" ] && chown -R "$1:" "$CR/own"
	chmod 755 "$CR/own"
}

# the CASE lines, sorted (the glibc threads print in any order)
cases() { grep -E '^(CASE|TIDREUSE)' "$1" | sort; }
want() { # want FILE NAME ERRNO
	grep -q "^CASE $2 rc=[-0-9]* errno=$3\$" "$1" || fail "$2: want errno $3, got: $(grep "^CASE $2 " "$1")"
}

setup
( cd "$CR" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$P" all ) >"$WS/native.out" 2>&1
NRC=$?
[ "$NRC" = 0 ] || fail "native run exited $NRC: $(cat "$WS/native.out")"
N=$WS/native.out
# the attack is real: natively these fail (and these succeed)
for c in resuid-after-root capset-dropped-nobody capset-dropped-nobody2 groups-dropped-grp \
	fsuid-after-root glibc0-nogroups-grp glibc1-nogroups-grp glibc2-nogroups-grp \
	glibc0-nobody-root exec-nonleader-nobody nofixup-nobody-nocaps-root keepcaps-nobody-root \
	keepcaps-dropped-root; do want "$N" "$c" 13; done
for c in resuid-before-root resuid-after-nobody main-still-root capset-before-nobody \
	capset-raised-nobody groups-member-grp groups-again-grp fsuid-before-root \
	fsuid-after-nobody glibc0-member-grp glibc0-nobody-nobody exec-leader-nobody \
	tidreuse-full-nobody prctl-before-nobody prctl-after-nobody nofixup-before-root \
	nofixup-nobody-caps-root keepcaps-raised-root; do want "$N" "$c" 0; done
grep -q '^TIDREUSE hit' "$N" || note "native: no tid reused in 200 tries (busy machine)"
grep -q '^TIDREUSE hit' "$N" && want "$N" tidreuse-nocaps-nobody 13

for epochs in on off; do
	setup
	if [ $epochs = on ]; then
		GATE_CWD=$CR gate "$P" all
	else
		( cd "$CR" && ATTESTA_CREDS_EPOCHS=off exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" -c "$WS/attesta.yaml" -- "$P" all ) >"$WS/out" 2>"$WS/err"
		RC=$?
	fi
	[ "$RC" = 0 ] || fail "epochs $epochs: attesta-run exited $RC"
	# TIDREUSE hit or miss depends on pid traffic: compare the rest
	diff <(cases "$N" | grep -v -e '^TIDREUSE' -e tidreuse-nocaps) \
		<(cases "$WS/out" | grep -v -e '^TIDREUSE' -e tidreuse-nocaps) >"$WS/diff" ||
		fail "epochs $epochs: gated results differ from the kernel's: $(cat "$WS/diff")"
	if grep -q '^TIDREUSE hit' "$WS/out"; then
		want "$WS/out" tidreuse-nocaps-nobody 13
		echo "ok: epochs $epochs: tid reused by a thread with fewer capabilities: EACCES"
	else
		note "epochs $epochs: no tid reused in 200 tries (busy machine)"
	fi
	n=$(cases "$WS/out" | grep -c '^CASE')
	echo "ok: epochs $epochs: $n removals answered as the kernel answers them"
done

# --user: a non-root agent (nothing to drop) gets the kernel's answers too
if id attesta-nobody >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin attesta-nobody 2>/dev/null; then
	setup attesta-nobody
	( cd "$CR" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" setpriv --reuid=attesta-nobody \
		--regid=attesta-nobody --init-groups "$P" user ) >"$WS/native.out" 2>&1
	setup attesta-nobody
	( cd "$CR" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" -c "$WS/attesta.yaml" \
		--user attesta-nobody -- "$P" user ) >"$WS/out" 2>"$WS/err"
	RC=$?
	[ "$RC" = 0 ] || fail "--user: attesta-run exited $RC"
	want "$WS/native.out" user-root 13
	want "$WS/native.out" user-own 0
	diff <(cases "$WS/native.out") <(cases "$WS/out") >"$WS/diff" ||
		fail "--user: gated results differ from the kernel's: $(cat "$WS/diff")"
	echo "ok: --user: $(cases "$WS/out" | grep -c '^CASE') removals as the kernel answers them"
else
	note "no account attesta-nobody: --user cases not run"
fi
verify_chain
pass "credential changes after a decision are honoured"
