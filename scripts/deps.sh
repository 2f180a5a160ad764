#!/bin/sh
# Install the Debian packages attesta needs to build, test and demo, and
# nothing else. Idempotent: a package that is already installed is left
# alone, and apt is not touched at all when nothing is missing.
set -eu

PKGS="
build-essential pkg-config clang llvm libclang-rt-14-dev
libyaml-dev libpcre2-dev libcjson-dev libssl-dev libseccomp-dev libcmocka-dev libpq-dev zlib1g-dev
python3 bash coreutils git curl netcat-openbsd tmux strace hyperfine procps
libfuse3-dev fuse3
postgresql iproute2 util-linux perl nodejs file
libpython3.11-testsuite
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing packages:$missing (run as root or install them)" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
