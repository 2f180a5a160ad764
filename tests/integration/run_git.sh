#!/bin/bash
# git init / add / commit / log under the gate behave as natively (git
# execs helpers, removes lock files, renames): same exit status, a commit
# is made, and the audit log records the execs and unlinks.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/gate.bash"
command -v git >/dev/null || { echo "skip: git needed"; exit 77; }

mkdir -p "$WS/repo"; echo "hello" >"$WS/repo/README"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export HOME=$WS GIT_CONFIG_NOSYSTEM=1
gate sh -c 'cd repo && git init -q -b main . && git add README && git commit -q -m first && git log --oneline | wc -l && git status --porcelain | wc -l'
expect_rc 0 "git session"
[ "$(head -1 "$WS/out")" = 1 ] || fail "want one commit"
[ "$(sed -n 2p "$WS/out")" = 0 ] || fail "worktree not clean"
[ "$(git -C "$WS/repo" log --format=%s)" = first ] || fail "commit not visible outside"
expect_audit_min 3 'e["action_class"]=="exec" and e["action_name"]=="git" and e["verdict"]=="approved"' "git execs"
expect_audit_min 1 'e["action_class"]=="unlink" and e["verdict"]=="approved"' "git unlinks (lock files)"
expect_audit 0 'e["action_class"]!="session" and e["verdict"]!="approved"' "nothing denied"
verify_chain
pass
