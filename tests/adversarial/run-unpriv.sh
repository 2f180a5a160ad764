#!/bin/bash
# The whole adversarial suite again as an unprivileged user (issue 6,
# item 3): as root, create the system user attesta-nobody if missing and
# run every other tests/adversarial/*.sh as that user with setpriv. An
# unprivileged supervisor cannot read a non-dumpable agent, is itself
# reachable by same-uid signals and prlimit, and has no CAP_SYS_PTRACE:
# the protections must hold there too. Skips (77) only when not root,
# because then the ordinary run of the suite already is the unprivileged
# one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
[ -z "${ADV_UNPRIV:-}" ] || { echo "skip: already the unprivileged run"; exit 77; }
# .ci/run's ASan stage sets this (its time budget); make check and make
# asan run the unprivileged suite
[ -z "${ADV_SKIP_UNPRIV:-}" ] || { echo "skip: ADV_SKIP_UNPRIV is set"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: not root: the ordinary run of this suite is the unprivileged one"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: setpriv (util-linux) needed"; exit 77; }
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "skip: no build directory"; exit 77; }
USER_NAME=${ADV_USER:-attesta-nobody}
if ! id "$USER_NAME" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME" ||
		{ echo "FAIL: cannot create user $USER_NAME"; exit 1; }
fi
here=$(cd "$(dirname "$0")" && pwd)
# the user must be able to read the scripts and run the build
setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups test -x "$BUILD/attesta-run" -a -r "$here/lib/adv.sh" ||
	{ echo "FAIL: $USER_NAME cannot read $here or run $BUILD/attesta-run (permissions)"; exit 1; }

# casefold.sh needs case-insensitive FUSE mounts (one with real inode
# numbers, one --noino); /dev/fuse is root's here, so mount them now
# (allow_other: attesta-nobody uses them; the backing directories are
# that user's) and hand them over.
CIFUSE_DIR= CIFUSE_ENV=
if [ -x "$BUILD/helpers/cifuse" ] && [ -c /dev/fuse ]; then
	CIFUSE_DIR=$(mktemp -d /tmp/attesta-cifuse.XXXXXX) && chmod 755 "$CIFUSE_DIR" &&
		mkdir "$CIFUSE_DIR/back" "$CIFUSE_DIR/mnt" "$CIFUSE_DIR/nback" "$CIFUSE_DIR/nmnt" &&
		chown "$USER_NAME:" "$CIFUSE_DIR/back" "$CIFUSE_DIR/nback" &&
		"$BUILD/helpers/cifuse" "$CIFUSE_DIR/back" "$CIFUSE_DIR/mnt" -o allow_other,default_permissions &&
		"$BUILD/helpers/cifuse" --noino "$CIFUSE_DIR/nback" "$CIFUSE_DIR/nmnt" -o allow_other,default_permissions &&
		CIFUSE_ENV="ADV_CIFUSE_MNT=$CIFUSE_DIR/mnt ADV_CIFUSE_BACK=$CIFUSE_DIR/back ADV_CIFUSE_NOINO_MNT=$CIFUSE_DIR/nmnt ADV_CIFUSE_NOINO_BACK=$CIFUSE_DIR/nback"
	trap 'for m in mnt nmnt; do fusermount3 -u "$CIFUSE_DIR/$m" 2>/dev/null; done; rm -rf "$CIFUSE_DIR"' EXIT
fi

pass=0 skipped=0 failed=""
for t in "$here"/*.sh; do
	[ "$t" = "$here/run-unpriv.sh" ] && continue
	name=$(basename "$t")
	out=$(cd /tmp && setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp \
		BUILD="$BUILD" ADV_UNPRIV=1 ${ADV_ATTEMPTS:+ADV_ATTEMPTS=$ADV_ATTEMPTS} \
		${ADV_SECONDS:+ADV_SECONDS=$ADV_SECONDS} ${ADV_STRICT:+ADV_STRICT=$ADV_STRICT} \
		$CIFUSE_ENV \
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
[ -z "$failed" ]
