# Shared setup for the approval tests (sourced, bash): two unprivileged
# approver accounts (attesta-t1, attesta-t2) in the group
# attesta-approvers, created when missing (root only; otherwise the test
# is skipped with 77), a workspace $AW readable by them, and helpers to
# run `attesta` as one of them.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
ATTESTA=$BUILD/attesta
[ -x "$ATTESTA" ] || { echo "skip: $ATTESTA not built"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 needed"; exit 77; }
TEST_NAME=$(basename "$0" .sh)

APPROVER_GROUP=attesta-approvers
need_approvers() {
	[ "$(id -u)" -eq 0 ] || { echo "$TEST_NAME: skip: needs root to create approver accounts"; exit 77; }
	command -v runuser >/dev/null || { echo "$TEST_NAME: skip: runuser needed"; exit 77; }
	getent group "$APPROVER_GROUP" >/dev/null || groupadd -r "$APPROVER_GROUP" ||
		{ echo "$TEST_NAME: skip: cannot create group"; exit 77; }
	for u in attesta-t1 attesta-t2; do
		id "$u" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin \
			-G "$APPROVER_GROUP" "$u" || { echo "$TEST_NAME: skip: cannot create $u"; exit 77; }
		id -nG "$u" | grep -qw "$APPROVER_GROUP" || usermod -aG "$APPROVER_GROUP" "$u"
	done
	# the approvers must reach the binaries
	runuser -u attesta-t1 -- test -x "$ATTESTA" ||
		{ echo "$TEST_NAME: skip: $ATTESTA not reachable by other users"; exit 77; }
}

AW=$(mktemp -d /tmp/attesta-ap.XXXXXX)
chmod 755 "$AW"
approve_cleanup() {
	[ -n "${BG_PID:-}" ] && kill "$BG_PID" 2>/dev/null
	rm -rf "$AW"
}
trap approve_cleanup EXIT

fail() {
	echo "$TEST_NAME: FAIL: $*"
	for f in "$AW"/*.out "$AW"/*.err "$AW"/*.jsonl; do
		[ -f "$f" ] && { echo "  --- $f"; tail -15 "$f" | sed 's/^/  /'; }
	done
	exit 1
}
pass() { echo "$TEST_NAME: ok${1:+ - $1}"; }

# as USER CMD...: run CMD as USER (with a clean environment) in $AW.
as() {
	u=$1; shift
	( cd "$AW" && runuser -u "$u" -- env -i PATH=/usr/bin:/bin "$@" )
}

# wait_for FILE PATTERN [SECONDS]
wait_for() {
	n=0; lim=$(( ${3:-10} * 20 ))
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n + 1)); [ $n -gt $lim ] && return 1
		sleep 0.05
	done
	return 0
}

# jq-less JSON field check: json_lines FILE PYEXPR -> count of lines l (dict) where PYEXPR holds
json_count() {
	python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        l = json.loads(line)
    except ValueError:
        continue
    e = l
    if eval(sys.argv[2]):
        n += 1
print(n)
PY
}
