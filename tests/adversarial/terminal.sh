#!/bin/bash
# Escape family: the user's terminal (docs/attesta-run.md "Terminals").
# A user types commands into an interactive shell on a real pseudo-terminal
# (lib/ptyshell.py); the agent tries to type into that terminal:
#   1. TIOCSTI into its stdin under --renderer none and socket: natively the
#      pushed "touch INJECTED" is run by the user's shell after the agent
#      exits; under the gate the agent has a pty of its own and the call is
#      refused (EPERM) and audited;
#   2. (root) TIOCSTI into the terminal of an ancestor (found from
#      /proc/PID/stat tty_nr), under --renderer tty: natively it runs in the
#      shell; under the gate it is refused and audited, and nothing reaches
#      the relay (where an approval prompt would have taken it as typed);
#      the sandbox's devpts instance hides it by path, so cases 2, 4 and 5
#      reach it through a descriptor the user's shell left open ($ANC_FD);
#   3. TIOCLINUX (paste the console selection): refused and audited;
#   4. (root) TIOCSCTTY 1 stealing the user's terminal: refused, audited;
#   5. (root) a held MEDIUM exec prompted on the user's terminal, answered
#      "yes" by the agent typing into it after the review time: approved as
#      a human decision on the old code; refused and audited now.
# Case 0 checks that an interactive program still reads what the person
# types through the relay under renderer none and socket (and, as root,
# with --user attesta-nobody), on its own pty, and that `tty` and
# os.ttyname(0) name that pty inside the sandbox, owned by the agent.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
T=$ADV/adv_term
[ -x "$T" ] || fail "$T not built"
PTYSHELL=$(cd "$(dirname "$0")" && pwd)/lib/ptyshell.py
[ -c /dev/ptmx ] || skip "no /dev/ptmx: cannot make a terminal"
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
STI_SYSCTL=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)

# A descriptor of the user's terminal that PROG inherits (fd 3): the
# ancestor's terminal of cases 2, 4 and 5, which the sandbox's own devpts
# instance no longer shows by its /dev/pts name.
ANC_FD='3<>"$(tty)"'
# user_terminal LOG LINE...: a person typing LINEs into a shell on a pty.
user_terminal() {
	local log=$1; shift
	python3 "$PTYSHELL" "$WS/$log" 90 "cd $WS; tty" "$@" || { sed 's/^/  tty: /' "$WS/$log" | tail -20; fail "the terminal session did not finish ($log)"; }
}
GATE="timeout --foreground -k 5 60 $RUN -c $WS/attesta.yaml"
FILTER_TTY='e.get("decision_source") == "filter" and e.get("verdict") == "denied" and "terminal" in (e.get("reason") or "")'
tty_refusals() { audit_count "$FILTER_TTY"; }
result_in() { tr -d '\r' <"$WS/$1" | sed -n "s/^.*RESULT $2 rc=\([-0-9]*\) errno=\([0-9]*\).*/\1 \2/p" | tail -1; }
SEEN=0
expect_refused() { # expect_refused LOG ATTACK WHAT
	local r n
	r=$(result_in "$1" "$2")
	[ "$r" = "-1 1" ] || { sed 's/^/  tty: /' "$WS/$1" | tail -15; fail "$3: $2 was not refused with EPERM (got '${r:-no result}')"; }
	n=$(tty_refusals)
	[ "$n" -gt "$SEEN" ] || { audit_dump; fail "$3: the refused $2 is not in the audit log"; }
	SEEN=$n
}

# 0. the relay works for an interactive program whatever the renderer:
# PROG reads what the person types, on a terminal that is not theirs, and
# that terminal has a name in the sandbox (`tty`, os.ttyname: GPG_TTY,
# tmux, pinentry) which is that very terminal there. Names alone cannot
# tell (the sandbox's devpts instance numbers from 0 as the host's does):
# compare device and inode.
cat >"$WS/show-tty" <<'EOF'
#!/bin/sh
read x; echo "got:$x"
t=$(tty) && echo "prog-tty:$t"
python3 -c 'import os; print("py-tty:" + os.ttyname(0))'
stat -L -c 'prog-path:%d:%i' "$t"
stat -L -c 'prog-fd:%d:%i' /dev/stdin
echo "prog-id:$(id -u)"
stat -L -c 'prog-owner:%u' "$t"
[ -w "$t" ] && echo "prog-writable:yes"
EOF
chmod 755 "$WS/show-tty"
RUN_USER=
if [ $ROOT = 1 ] && [ -z "${ADV_UNPRIV:-}" ]; then
	RUN_USER=${ADV_USER:-attesta-nobody}
	id "$RUN_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER" ||
		fail "cannot create $RUN_USER"
fi
for r in none socket ${RUN_USER:+user}; do
	log=relay-$r.log
	opt="--renderer $r"
	[ "$r" = user ] && opt="--renderer none --user $RUN_USER"
	user_terminal "$log" "stat -L -c user-term:%d:%i /dev/stdin" "$GATE $opt -- ./show-tty" "@type hello-$r"
	# (a shell prompt may come first on the line)
	field() { tr -d '\r' <"$WS/$log" | sed -n "s/^[\$ ]*$1://p" | tail -1; }
	show() { sed 's/^/  tty: /' "$WS/$log" | tail -15; }
	[ "$(field got)" = "hello-$r" ] || { show; fail "renderer $r: the program did not read what was typed"; }
	t=$(field prog-tty)
	case $t in /dev/pts/[0-9]*) ;; *) show; fail "renderer $r: tty inside the gate does not name a terminal ('$t')";; esac
	[ "$(field py-tty)" = "$t" ] || { show; fail "renderer $r: os.ttyname(0) is '$(field py-tty)', tty said '$t'"; }
	fd=$(field prog-fd)
	[ -n "$fd" ] && [ "$(field prog-path)" = "$fd" ] || { show; fail "renderer $r: $t in the sandbox is not PROG's terminal"; }
	u=$(field user-term)
	[ -n "$u" ] && [ "$u" != "$fd" ] || { show; fail "renderer $r: PROG ran on the user's own terminal"; }
	# the agent's own terminal, by its name too (--user: that account's)
	[ "$(field prog-owner)" = "$(field prog-id)" ] && [ "$(field prog-writable)" = yes ] ||
		{ show; fail "renderer $r: $t is not the agent's to use"; }
	echo "ok: interactive program on its own pty ($t in the sandbox), $opt"
done

# 1. TIOCSTI into the shared terminal
if [ "$STI_SYSCTL" = 0 ] && [ $ROOT = 0 ]; then
	note "dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI to unprivileged callers; case 1 skipped"
else
	rm -f "$WS/INJECTED.sti"
	user_terminal native-sti.log "$T sti 'touch $WS/INJECTED.sti'"
	[ -e "$WS/INJECTED.sti" ] || fail "native control: the injected command did not run in the user's shell"
	for r in none socket; do
		rm -f "$WS/INJECTED.sti"
		user_terminal "gate-sti-$r.log" "$GATE --renderer $r -- $T sti 'touch $WS/INJECTED.sti'"
		[ ! -e "$WS/INJECTED.sti" ] || fail "renderer $r: the injected command RAN in the user's shell"
		expect_refused "gate-sti-$r.log" sti "renderer $r"
		echo "ok: TIOCSTI into the shared terminal, renderer $r"
	done
fi

# 2. TIOCSTI into the supervisor's (an ancestor's) terminal, tty renderer
if [ $ROOT = 1 ]; then
	rm -f "$WS/INJECTED.anc"
	user_terminal native-anc.log "setsid -w $T sti-ancestor 'touch $WS/INJECTED.anc' $ANC_FD"
	[ -e "$WS/INJECTED.anc" ] || fail "native control: injection into an ancestor's terminal did not run"
	rm -f "$WS/INJECTED.anc"
	user_terminal gate-anc.log "$GATE --renderer tty -- sh -c \"$T sti-ancestor 'touch $WS/INJECTED.anc'; l=\\\$(timeout --foreground 2 head -n 1); echo prog-read:\\\$l\" $ANC_FD"
	[ ! -e "$WS/INJECTED.anc" ] || fail "tty renderer: the injected command RAN in the user's shell"
	# the agent's pty echoes what reaches it through the relay
	tr -d '\r' <"$WS/gate-anc.log" | grep -q "^prog-read:touch\|^touch .*INJECTED.anc" &&
		fail "tty renderer: injected keystrokes reached the relay (an approval prompt would take them as typed)"
	expect_refused gate-anc.log sti-ancestor "tty renderer"
	echo "ok: TIOCSTI into the supervisor's terminal, renderer tty"
else
	note "not root: TIOCSTI into a terminal that is not the caller's controlling terminal needs CAP_SYS_ADMIN (the kernel refuses it); case 2 skipped"
fi

# 3. TIOCLINUX: off a virtual console the kernel answers ENOTTY/EINVAL
user_terminal native-linux.log "$T tioclinux"
r=$(result_in native-linux.log tioclinux)
[ -n "$r" ] && [ "$r" != "-1 1" ] || fail "native control: TIOCLINUX did not reach the kernel ($r)"
user_terminal gate-linux.log "$GATE --renderer none -- $T tioclinux"
expect_refused gate-linux.log tioclinux "TIOCLINUX"
echo "ok: TIOCLINUX"

# 4. TIOCSCTTY 1: steal the user's terminal (root only)
if [ $ROOT = 1 ]; then
	# the shell loses its terminal here and may not finish: no check
	python3 "$PTYSHELL" "$WS/native-sctty.log" 30 "cd $WS" "setsid -w $T sctty-steal $ANC_FD"
	[ "$(result_in native-sctty.log sctty-steal)" = "0 0" ] || fail "native control: TIOCSCTTY 1 did not steal the terminal"
	user_terminal gate-sctty.log "$GATE --renderer none -- $T sctty-steal $ANC_FD"
	r=$(result_in gate-sctty.log sctty-steal)
	[ "$r" = "-1 1" ] || fail "TIOCSCTTY 1 was not refused ($r)"
	n=$(audit_count 'e.get("decision_source") == "filter" and "TIOCSCTTY" in (e.get("reason") or "")')
	[ "$n" -ge 1 ] || fail "TIOCSCTTY: the refused attempt is not in the audit log"
	echo "ok: TIOCSCTTY steal"
fi
# 5. (root) the approval prompt answered by the agent: a held MEDIUM exec
# (confirm) is prompted on the user's terminal; a background child of the
# agent waits out the review time and types "yes" and "n" into that
# terminal. Natively (the old code) the exec is approved as if the person
# had typed it; under the gate the answers never arrive and it times out.
if [ $ROOT = 1 ]; then
	printf '#!/bin/sh\n: >%s/APPROVED.ran\n' "$WS" >"$WS/med-tool"; chmod 755 "$WS/med-tool"
	sed -e 's/^  timeout_seconds: .*//' -e 's/^  fail_mode: deny/  fail_mode: deny\n  timeout_seconds: 8\n  minimum_review_seconds: {low: 0, medium: 1, high: 1, critical: 2}/' \
		-e 's/^  overrides:/  overrides:\n    med-tool: medium\n    sh: low/' "$WS/attesta.yaml" >"$WS/prompt.yaml"
	rm -f "$WS/APPROVED.ran"
	user_terminal gate-prompt.log "timeout --foreground -k 5 60 $RUN -c $WS/prompt.yaml --renderer tty -- sh -c \"$T sti-ancestor-later 3 yes n; ./med-tool; echo med-rc=\\\$?; sleep 2\" $ANC_FD"
	[ ! -e "$WS/APPROVED.ran" ] || fail "the agent answered its own approval prompt: med-tool ran"
	n=$(audit_count 'e.get("action_name") == "med-tool" and e.get("decision_source") == "human"')
	[ "$n" = 0 ] || fail "the agent's typed answer was recorded as a human approval"
	tr -d '\r' <"$WS/gate-prompt.log" | grep -q "typed-answers rc=-1 errno=1" || { sed 's/^/  tty: /' "$WS/gate-prompt.log" | tail -15; fail "the typed answers were not refused with EPERM"; }
	n=$(tty_refusals)
	[ "$n" -gt "$SEEN" ] || fail "the prompt injection is not in the audit log"
	echo "ok: typing the answer into the approval prompt"
fi
verify_chain
pass "terminal injection refused and audited"
