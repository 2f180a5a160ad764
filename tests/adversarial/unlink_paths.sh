#!/bin/bash
# Escape family: removing a protected file by a name that does not say
# what it is — through a dirfd, /proc/self/fd/N, /dev/fd/N, /proc/self/cwd,
# /proc/thread-self/cwd, /proc/PID/cwd, /proc/self/root, a symlinked
# parent, AT_FDCWD or flags with junk in the high 32 bits (the kernel
# reads an int), and from a vfork child. Each must be denied and audited
# under its real path; each is first shown to work natively.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw

# CWD|MODE ARGS|TARGET (relative to $WS)
CASES='.|unlinkat-dirfd PROTECTED.d victim|PROTECTED.d/victim
.|unlink-procfd PROTECTED.d victim|PROTECTED.d/victim
.|unlink-devfd PROTECTED.d victim|PROTECTED.d/victim
.|unlinkat-procfd PROTECTED.d victim|PROTECTED.d/victim
PROTECTED.d|unlink-proccwd victim|PROTECTED.d/victim
PROTECTED.d|unlink-threadself victim|PROTECTED.d/victim
PROTECTED.d|unlink-procpid victim|PROTECTED.d/victim
PROTECTED.d|unlink victim|PROTECTED.d/victim
PROTECTED.d|unlinkat-cwd32 victim|PROTECTED.d/victim
PROTECTED.d|unlinkat-flaghi victim|PROTECTED.d/victim
.|unlink-procroot @WS@/PROTECTED.d/victim|PROTECTED.d/victim
.|unlink oklink/victim|PROTECTED.d/victim
.|rmdirat-dirfd . PROTECTED.dir|PROTECTED.dir
.|rmdirat-flaghi PROTECTED.dir|PROTECTED.dir
.|-V unlink PROTECTED.txt|PROTECTED.txt
.|-V unlinkat-dirfd PROTECTED.d victim|PROTECTED.d/victim'

n=0
while IFS='|' read -r cwd args target; do
	args=${args//@WS@/$WS}
	# shellcheck disable=SC2086
	set -- $args
	mode=$1; [ "$mode" = -V ] && mode=$2
	GATE_CWD=$WS/$cwd
	reset_targets
	native "$B" "$@"
	[ ! -e "$WS/$target" ] || fail "native control '$args' did not remove $target: $(cat "$WS/native.out")"
	reset_targets
	gate "$B" "$@"
	expect_denied "$mode"
	expect_file "$target" "'$args' (cwd $cwd)"
	n=$((n + 1))
done <<<"$CASES"
GATE_CWD=
expect_audit_min "$n" "$DENIED_PATH" "each attempt audited with its real path"
verify_chain
pass "$n indirect removals denied"
