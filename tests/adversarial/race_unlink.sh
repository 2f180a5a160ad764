#!/bin/bash
# Escape family: time-of-check/time-of-use races on removal. A second
# thread flips the path string, the cwd (fchdir), the dirfd (dup2), or
# swaps a parent directory with a symlink to the protected directory
# (renameat2 RENAME_EXCHANGE), in a tight loop, while the first thread
# removes (ADV_ATTEMPTS, default 20000, at most ADV_SECONDS each). The
# protected file must survive every attempt; the denied attempts must be
# audited. Natively the same program removes it within a few tries.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
R=$ADV/adv_race

CASES='unlink-flip ok.txt PROTECTED.txt|PROTECTED.txt
cwd-flip victim okdir PROTECTED.d|PROTECTED.d/victim
dirfd-flip victim okdir PROTECTED.d|PROTECTED.d/victim
symlink-swap d victim PROTECTED.d|PROTECTED.d/victim'
one() {
	local args=${1%%|*} target=${1##*|}
	# shellcheck disable=SC2086
	set -- $args
	reset_targets
	ADV_ATTEMPTS=20000 native "$R" "$@"
	[ ! -e "$WS/$target" ] || fail "native control '$args' did not remove $target: $(cat "$WS/native.out")"
	reset_targets
	local before
	before=$(audit_count "$DENIED_PATH")
	gate "$R" "$@"
	grep -E '^(HELD|ESCAPED)' "$WS/out" | sed 's/^/  /'
	expect_file "$target" "race '$args'"
	grep -q '^HELD' "$WS/out" || fail "race '$args': no HELD line (rc $RC)"
	case "$RC" in 1) ;; *) fail "race '$args': attesta-run exited $RC";; esac
	[ "$(audit_count "$DENIED_PATH")" -gt "$before" ] || fail "race '$args': no denied attempt audited"
	echo "ok: $args"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN races held"
