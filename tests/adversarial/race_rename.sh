#!/bin/bash
# Escape family: time-of-check/time-of-use races on rename. A second
# thread flips the source path string, the destination path string, or
# the dirfd (dup2) in a tight loop while the first thread renames
# (ADV_ATTEMPTS, default 20000, at most ADV_SECONDS each): the guarded
# name must never be moved away or replaced, and the denied attempts must
# be audited. Natively the same program moves or replaces it within a
# few tries. A gate that let the kernel re-read the paths (CONTINUE)
# would lose; the supervisor renames exactly what it decided on, in the
# directories it held (docs/decode.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
R=$ADV/adv_race

DENIED_RENAME='e.get("verdict")!="approved" and e.get("action_class")=="rename" and "PROTECTED" in (e.get("path") or "") + str((e.get("metadata") or {}).get("dest_path") or "")'
CASES='rename-flip ok.txt PROTECTED.txt moved.txt|PROTECTED.txt
rename-dest-flip ok.txt okdest.txt PROTECTED.txt|PROTECTED.txt
renameat-dirfd-flip victim okdir PROTECTED.d moved|PROTECTED.d/victim'
one() {
	local args=${1%%|*} target=${1##*|} ino
	# shellcheck disable=SC2086
	set -- $args
	reset_targets
	: >"$WS/okdest.txt"
	ino=$(stat -c %i "$WS/$target")
	ADV_ATTEMPTS=20000 native "$R" "$@"
	grep -q '^ESCAPED' "$WS/native.out" || fail "native control '$args' did not move or replace $target: $(cat "$WS/native.out")"
	reset_targets
	: >"$WS/okdest.txt"
	ino=$(stat -c %i "$WS/$target")
	local before
	before=$(audit_count "$DENIED_RENAME")
	gate "$R" "$@"
	grep -E '^(HELD|ESCAPED)' "$WS/out" | sed 's/^/  /'
	expect_file "$target" "race '$args'"
	[ "$(stat -c %i "$WS/$target")" = "$ino" ] || fail "race '$args': $target was replaced"
	grep -q '^HELD' "$WS/out" || fail "race '$args': no HELD line (rc $RC)"
	case "$RC" in 1) ;; *) fail "race '$args': attesta-run exited $RC";; esac
	[ "$(audit_count "$DENIED_RENAME")" -gt "$before" ] || fail "race '$args': no denied attempt audited"
	echo "ok: $args"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN rename races held"
