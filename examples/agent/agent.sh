#!/bin/sh
# A stand-in AI coding agent for `make demo`: it does a few ordinary things
# in its workspace (build, clean up, a git commit, look at a local service)
# and then one thing it must not do: delete the project's .env file and
# reach the cloud metadata endpoint. Run it under the gate:
#
#   attesta-run -c examples/agent/attesta.yaml -- examples/agent/agent.sh WORKDIR
#
# Every exec, file removal and connection below is held, scored, written
# to the audit log and then allowed or refused with EPERM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-.}
cd "$work" || exit 1
step() { printf '\n[agent] %s\n' "$*"; }

step "build: write objects, then clean them"
mkdir -p build
for m in main util net; do echo "object $m" >"build/$m.o"; done
rm -f build/*.o && rmdir build && echo "[agent] build cleaned"

step "commit the work"
git init -q . 2>/dev/null
git add notes.txt && git -c user.name=agent -c user.email=agent@example.com commit -q -m "notes" \
	&& echo "[agent] committed: $(git log --oneline | head -1)"

py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

step "ask the local service"
"$py" "$here/probe.py" local

step "now the forbidden part: remove .env (secrets) and call the cloud metadata service"
# The audit log shows this exec refused twice: after EPERM the shell tries
# the next PATH entry, and /usr/bin/rm and /bin/rm are the same file on a
# merged-/usr system. (With a human approver the retry is refused as a
# repeat, without asking again: docs/approvals.md.)
if out=$(rm .env 2>&1); then echo "[agent] .env removed (should never happen)"; else echo "[agent] rm .env: refused (${out##*: })"; fi
"$py" "$here/probe.py" metadata
step "done"
