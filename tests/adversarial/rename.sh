#!/bin/bash
# Escape family: removing a guarded name with a rename (docs/decode.md,
# "rename"): move it out of its path and unlink it under an unguarded
# name; rename another file over it; RENAME_EXCHANGE in both directions;
# move a guarded directory away and rm -rf it; the same through a dirfd
# and /proc/self/fd/N; and the gate's own files (the audit log, the config,
# a directory above the audit log), which are a hard rule. Each attack is
# first shown to work natively (the negative control), then must be
# denied under the gate with the guarded entry intact and the attempt
# audited. An allowed rename must still happen.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_rename
RAW=$ADV/adv_raw

# The audit log one directory down, so "a directory above it" can be
# renamed natively without losing the log; a path pattern that names the
# contents of a tree ("VAULT/") for the directory-move case.
mkdir -p "$WS/state"
AUDIT=$WS/state/audit.jsonl
RULES="$RULES
    - pattern: \"VAULT/\"
      target: path
      boost: 1.0
    - pattern: \"keep/sub/important[.]db\$\"
      target: path
      boost: 1.0"
write_config

DENIED_RENAME='e.get("verdict")!="approved" and e.get("action_class")=="rename" and "PROTECTED" in (e.get("path") or "") + str((e.get("metadata") or {}).get("dest_path") or "")'

fresh() {
	# a native RENAME_WHITEOUT leaves a whiteout device at the old name
	rm -f "$WS/PROTECTED.txt" "$WS/ok.txt"
	reset_targets
	rm -rf "$WS/moved" "$WS/moved.txt" "$WS/gone" "$WS/VAULT" "$WS/keep" "$WS/big" "$WS/big.moved" "$WS/state.moved" "$WS/scratch"
	mkdir -p "$WS/VAULT" "$WS/keep/sub"
	echo data >"$WS/VAULT/data"
	echo db >"$WS/keep/sub/important.db"
	echo other >"$WS/ok.txt"
	# the gate's files as the native control sees them (a scratch copy:
	# the real ones must not move)
	mkdir -p "$WS/scratch/state"
	: >"$WS/scratch/state/audit.jsonl"
	: >"$WS/scratch/attesta.yaml"
}

# intact WHAT: the guarded entry is still there with its content.
intact() {
	case $1 in
	PROTECTED.txt) [ "$(cat "$WS/PROTECTED.txt" 2>/dev/null)" = secret ] ;;
	PROTECTED.d) [ "$(cat "$WS/PROTECTED.d/victim" 2>/dev/null)" = secret ] ;;
	VAULT) [ "$(cat "$WS/VAULT/data" 2>/dev/null)" = data ] ;;
	keep) [ "$(cat "$WS/keep/sub/important.db" 2>/dev/null)" = db ] ;;
	big) [ -d "$WS/big" ] && [ ! -e "$WS/big.moved" ] ;;
	state/*|attesta.yaml) [ -e "$WS/$1" ] && [ ! -e "$WS/state.moved" ] ;;
	*) return 2 ;;
	esac
}
native_intact() {
	case $1 in
	state/*|attesta.yaml) [ -e "$WS/scratch/$1" ] && [ ! -e "$WS/scratch/state.moved" ] ;;
	*) intact "$1" ;;
	esac
}

# MODE ARGS | guarded entry | audit check (rename: a denied rename naming
# PROTECTED; hard: a hard_rule entry; path: a denied entry naming VAULT)
CASES='move-unlink PROTECTED.txt moved.txt|PROTECTED.txt|rename
rename ok.txt PROTECTED.txt|PROTECTED.txt|rename
renameat2 ok.txt PROTECTED.txt exchange|PROTECTED.txt|rename
renameat2 PROTECTED.txt ok.txt exchange|PROTECTED.txt|rename
renameat2 PROTECTED.txt moved.txt whiteout|PROTECTED.txt|rename
move-rmtree PROTECTED.d gone|PROTECTED.d|rename
renameat PROTECTED.d victim okdir moved|PROTECTED.d|rename
renameat . PROTECTED.d okdir moved|PROTECTED.d|rename
renameat-procfd PROTECTED.d victim moved|PROTECTED.d|rename
renameat2 PROTECTED.txt moved.txt hi|PROTECTED.txt|flags
move-rmtree VAULT moved|VAULT|vault
move-rmtree keep moved|keep|keep
rename big big.moved|big|big
rename state/audit.jsonl moved.jsonl|state/audit.jsonl|hard
rename attesta.yaml moved.yaml|attesta.yaml|hard
rename state state.moved|state/audit.jsonl|hard
RAW unlink state/audit.jsonl|state/audit.jsonl|hard'
one() {
	local args=${1%%|*} rest=${1#*|}
	local target=${rest%%|*} check=${rest##*|} prog=$B
	# shellcheck disable=SC2086
	set -- $args
	[ "$1" = RAW ] && { prog=$RAW; shift; }
	local mode=$1
	fresh
	# a directory with more names than the decoder lists (1024)
	[ "$target" = big ] && { mkdir -p "$WS/big"; (cd "$WS/big" && seq 1100 | xargs touch); }
	case $target in state/*|attesta.yaml) GATE_CWD=$WS/scratch ;; esac
	native "$prog" "$@"
	GATE_CWD=
	if native_intact "$target"; then
		if [ "$mode" = renameat2 ] && [ "$4" = whiteout ] && grep -q 'errno=1 ' "$WS/native.out"; then
			echo "note: '$args': RENAME_WHITEOUT needs CAP_MKNOD here; native control not possible, gated case still checked"
		else
			fail "native control '$args' left $target intact: $(cat "$WS/native.out")"
		fi
	fi
	fresh
	[ "$target" = big ] && { mkdir -p "$WS/big"; (cd "$WS/big" && seq 1100 | xargs touch); }
	local before hard_before
	before=$(audit_count "$DENIED_RENAME")
	hard_before=$(audit_count 'e.get("decision_source")=="hard_rule"')
	gate "$prog" "$@"
	expect_denied "$mode"
	intact "$target" || fail "'$args': $target was moved, replaced or removed under the gate"
	case $check in
	rename) [ "$(audit_count "$DENIED_RENAME")" -gt "$before" ] || fail "'$args': no denied rename audited" ;;
	hard) [ "$(audit_count 'e.get("decision_source")=="hard_rule"')" -gt "$hard_before" ] ||
		fail "'$args': no hard_rule entry audited" ;;
	flags) [ "$(audit_count 'e.get("decision_source")=="decoder" and "renameat2 flags" in (e.get("reason") or "")')" -gt 0 ] ||
		fail "'$args': unknown flags not audited" ;;
	keep) [ "$(audit_count 'e.get("verdict")!="approved" and e.get("action_class")=="rename" and "important.db" in str(e.get("factors"))')" -gt 0 ] ||
		fail "'$args': the move of the directory above a guarded file was not audited as denied" ;;
	big) [ "$(audit_count 'e.get("verdict")!="approved" and e.get("action_class")=="rename" and "unjudged_tree" in str(e.get("factors"))')" -gt 0 ] ||
		fail "'$args': the move of a directory too large to judge was not audited as denied" ;;
	vault) [ "$(audit_count 'e.get("verdict")!="approved" and e.get("action_class")=="rename" and "VAULT" in (e.get("path") or "")')" -gt 0 ] ||
		fail "'$args': the directory move was not audited as denied" ;;
	esac
	echo "ok: $args"
}
each_case one <<<"$CASES"

# An allowed rename inside the workspace happens, through the supervisor.
fresh
gate "$B" rename ok.txt renamed.txt
[ "$(result_rc rename)" = 0 ] && [ -e "$WS/renamed.txt" ] && [ ! -e "$WS/ok.txt" ] ||
	fail "an allowed rename did not happen (rc $RC)"
expect_audit_min 1 'e.get("verdict")=="approved" and e.get("action_class")=="rename" and e.get("path","").endswith("/ok.txt")' "allowed rename audited"
# Many renames of fresh files while the supervisor rewrites its head file
# (by rename) after each decision: an inode number the head file gave up
# is soon given to a new file of the agent, which must not be taken for
# the gate's own file (statepaths.c holds each identity open). The files
# are made beside the head file (inodes are allocated near their
# directory's).
gate python3 -c '
import os
os.chdir("state")
for i in range(3000):
    open("churn.tmp", "w").close()
    os.rename("churn.tmp", "churn.%d" % (i % 4))
print("CHURN ok")'
grep -q 'CHURN ok' "$WS/out" || fail "fresh files could not be renamed (rc $RC)"
verify_chain
pass "$CASES_RUN rename escapes denied, allowed renames done"
