#!/bin/bash
# Escape family: running the forbidden program by another route than its
# name — a symlink, a "#!" script whose interpreter it is, execveat on an
# fd (fexecve, O_PATH), /proc/self/fd/N and /dev/fd/N, execveat relative
# to a dirfd, a memfd holding its bytes (AT_EMPTY_PATH and /proc/self/fd),
# a copy that was deleted after opening, and a vfork child. The marker
# ($ADV_MARKER) must never appear, and each attempt must be audited.
# Each route is first shown to run the marker natively.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw
ln -sf forbidden-tool "$WS/innocent"
printf '#!%s\n' "$WS/forbidden-tool" >"$WS/innocent.sh"; chmod +x "$WS/innocent.sh"

CASES='exec ./innocent
exec ./innocent.sh
fexecve ./forbidden-tool
fexecve-opath ./forbidden-tool
exec-procfd ./forbidden-tool
exec-devfd ./forbidden-tool
execveat-dirfd . forbidden-tool
exec-memfd ./forbidden-tool
exec-memfd-procfd ./forbidden-tool
exec-deleted ./forbidden-tool ./copy-tool
-V exec ./forbidden-tool
-V exec-memfd ./forbidden-tool'
one() {
	local line=$1
	# shellcheck disable=SC2086
	set -- $line
	local mode=$1; [ "$mode" = -V ] && mode=$2
	rm -f "$ADV_MARKER"
	native "$B" "$@"
	[ -e "$ADV_MARKER" ] || fail "native control '$line' did not run the marker: $(cat "$WS/native.out")"
	rm -f "$ADV_MARKER" "$WS/copy-tool"
	local q='e.get("action_class")=="exec" and e.get("verdict")!="approved"'
	local before after
	before=$(audit_count "$q")
	gate "$B" "$@"
	expect_no_marker "'$line'"
	expect_denied "$mode"
	after=$(audit_count "$q")
	[ "$after" -gt "$before" ] || { audit_dump 6; fail "'$line': no denied exec entry in the audit log"; }
	echo "ok: $line"
}
each_case one <<<"$CASES"
verify_chain
pass "$CASES_RUN exec routes denied"
