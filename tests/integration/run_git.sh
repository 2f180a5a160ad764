#!/bin/bash
# git init / add / commit / log under the gate behave as natively (git
# execs helpers, removes lock files, renames index.lock -> index and ref
# locks, all gated and auto-approved): same exit status, a commit
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
# git commits by renaming index.lock -> index and the ref's .lock: gated
# renames (docs/decode.md), auto-approved inside the workspace
expect_audit_min 1 'e["action_class"]=="rename" and e["verdict"]=="approved" and e["path"].endswith("/.git/index.lock")' "git renames index.lock -> index"
expect_audit_min 1 'e["action_class"]=="rename" and e["verdict"]=="approved" and "/.git/refs/heads/main" in (e["metadata"].get("dest_path") or "")' "git renames the ref lock"
# a second commit on an existing repository (the index and the ref are
# replaced by rename)
echo "again" >>"$WS/repo/README"
gate sh -c 'cd repo && git commit -q -a -m second && git log --oneline | wc -l'
expect_rc 0 "second git commit"
[ "$(head -1 "$WS/out")" = 2 ] || fail "want two commits"
[ "$(git -C "$WS/repo" log -1 --format=%s)" = second ] || fail "second commit not visible outside"
expect_audit 0 'e["action_class"]!="session" and e["verdict"]!="approved"' "nothing denied"
verify_chain
pass
