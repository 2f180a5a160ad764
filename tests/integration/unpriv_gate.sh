#!/bin/bash
# The attesta-run integration tests (tests/integration/run_*.sh) again as
# an unprivileged user: as root, create the system user attesta-nobody if
# missing, stage the test scripts and the built programs in a directory
# that user can read (the checkout may live under a private home), and run
# every run_*.sh there with setpriv. An unprivileged supervisor has no
# CAP_SYS_PTRACE, cannot setfsuid, and is reachable by same-uid signals:
# the gate must work the same. Skips (77) only when not root, because then
# the ordinary run of the suite already is the unprivileged one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
[ "$(id -u)" = 0 ] || { echo "skip: not root: the ordinary run is the unprivileged one"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: setpriv (util-linux) needed"; exit 77; }
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
[ -x "$BUILD/attesta-run" ] || { echo "skip: attesta-run not built"; exit 77; }
USER_NAME=${ATTESTA_TEST_USER:-attesta-nobody}
if ! id "$USER_NAME" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME" ||
		{ echo "FAIL: cannot create user $USER_NAME"; exit 1; }
fi

top=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d /tmp/attesta-unpriv.XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
mkdir -p "$stage/build"
cp -a "$top/tests" "$top/examples" "$stage/"
for f in attesta attesta-run libattesta-preload.so helpers tools; do
	[ -e "$BUILD/$f" ] && cp -a "$BUILD/$f" "$stage/build/"
done
# The programs stay root's and unwritable for the user, as installed
# programs are: a config override that lowers a program's risk applies
# only to a file the agent cannot change (docs/scoring.md). The tests,
# the examples and HOME are the user's.
mkdir -p "$stage/home"
chown -R "$USER_NAME:" "$stage/tests" "$stage/examples" "$stage/home"

pass=0 skipped=0 failed=""
for t in "$stage"/tests/integration/run_*.sh; do
	name=$(basename "$t")
	out=$(cd "$stage" && setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$stage/home" BUILD="$stage/build" \
		bash "$t" 2>&1)
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS  (unpriv) $name" ;;
	77) skipped=$((skipped + 1)); echo "SKIP  (unpriv) $name ($(echo "$out" | tail -n 1))" ;;
	*) failed="$failed $name"; echo "FAIL  (unpriv) $name (exit $rc)"
	   # the failing cases' own lines first: the tail is often an audit dump
	   { echo "$out" | grep -E 'FAIL|ESCAPED|Sanitizer|runtime error:' | head -n 10; echo "$out" | tail -n 25; } | sed 's/^/      /' ;;
	esac
done
echo "unprivileged ($USER_NAME): $pass passed, $skipped skipped, failed:${failed:- none}"
[ -z "$failed" ] && [ "$pass" -gt 0 ]
