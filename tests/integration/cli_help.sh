#!/bin/sh
# Operator basics: `--help` on every `attesta` command and subcommand
# prints its usage on stdout and exits 0 (the command list is read from
# `attesta --help`, so a new command is covered); `attesta --version`,
# `attesta version` and `attesta-run --version` print the same version;
# the man pages (attesta(1), attesta.yaml(5), attesta-run(1)) and the
# bash completion are installed by `make install` and the completion
# offers the commands and subcommands.
set -u
BUILD=${BUILD:-build}
SRC=$(pwd)
B=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "cli_help: no build directory"; exit 77; }
A=$B/attesta
RUN=$B/attesta-run
[ -x "$A" ] && [ -x "$RUN" ] || { echo "cli_help: build first"; exit 77; }
T=$(mktemp -d /tmp/attesta-cli-help.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "cli_help: FAIL: $*"; failures=$((failures + 1)); }

help_ok() { # help_ok "USAGE PREFIX" CMD...
	want=$1; shift
	"$@" --help >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 0 ] || fail "'$* --help' exited $rc: $(head -c 200 "$T/err")"
	head -1 "$T/out" | grep -q "^usage: $want" || fail "'$* --help' printed '$(head -1 "$T/out")', want 'usage: $want...'"
}

"$A" --help >"$T/list" || fail "attesta --help exited $?"
cmds=$(sed -n 's/^  \([a-z-]*\)  .*/\1/p' "$T/list")
[ "$(echo "$cmds" | wc -w)" -ge 12 ] || fail "attesta --help lists only: $cmds"
for c in $cmds; do
	case $c in
	version | wal) ;;
	*) help_ok "attesta $c" "$A" "$c" ;;
	esac
done
for sub in "config check" "trust show" "trust list" "trust revoke" "trust reinstate" \
	"trust incident" "audit verify" "audit export" "audit rubber-stamps" "audit stats" \
	"audit get" "audit inspect" "node enroll" "node revoke" "node rollout" \
	"attestation status" "attestation eval" "bundle keygen" "bundle pack" "bundle verify"; do
	# shellcheck disable=SC2086
	help_ok "attesta ${sub%% *}" "$A" $sub
done
help_ok "attesta-run" "$RUN"
"$RUN" -h >/dev/null || fail "attesta-run -h exited $?"

# the version, three ways
v1=$("$A" --version) || fail "attesta --version exited $?"
v2=$("$A" version) || fail "attesta version exited $?"
v3=$("$RUN" --version) || fail "attesta-run --version exited $?"
echo "$v1" | grep -Eq '^attesta [0-9]+\.[0-9]+' || fail "attesta --version: '$v1'"
[ "$v1" = "$v2" ] || fail "'$v1' != '$v2'"
[ "${v3#attesta-run }" = "${v1#attesta }" ] || fail "attesta-run --version '$v3' differs from '$v1'"

# make install: binaries, the three man pages (sections 1 and 5), completion
if make -s -C "$SRC" BUILD="$B" DESTDIR="$T/root" PREFIX=/usr install >"$T/install.log" 2>&1; then
	for f in usr/bin/attesta usr/bin/attesta-run usr/share/man/man1/attesta.1 \
		usr/share/man/man1/attesta-run.1 usr/share/man/man5/attesta.yaml.5 \
		usr/share/bash-completion/completions/attesta usr/share/bash-completion/completions/attesta-run; do
		[ -f "$T/root/$f" ] || fail "make install did not install /$f"
	done
	[ ! -e "$T/root/usr/share/man/man1/attesta.yaml.5" ] || fail "a section 5 page went to man1"
	if command -v man >/dev/null 2>&1; then
		for m in man1/attesta.1 man5/attesta.yaml.5 man1/attesta-run.1; do
			MANWIDTH=80 man -l "$T/root/usr/share/man/$m" 2>"$T/err" | grep -q "NAME" ||
				fail "man -l $m does not render: $(head -c 200 "$T/err")"
		done
	fi
else
	fail "make install failed: $(tail -5 "$T/install.log")"
fi

# bash completion: commands, subcommands, options
if command -v bash >/dev/null 2>&1; then
	comp() { # comp "WORDS..." -> the completions, one line
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _attesta; echo "${COMPREPLY[*]}"' \
			_ "$SRC/scripts/completion/attesta.bash" "$@"
	}
	r=$(comp attesta "")
	for w in audit score trust config; do
		echo " $r " | grep -q " $w " || fail "completion of 'attesta ' lacks $w: $r"
	done
	r=$(comp attesta audit "")
	echo " $r " | grep -q " rubber-stamps " || fail "completion of 'attesta audit ' lacks rubber-stamps: $r"
	r=$(comp attesta trust re)
	[ "$r" = "revoke reinstate" ] || fail "completion of 'attesta trust re': '$r'"
	r=$(comp attesta score --a)
	[ "$r" = "--agent-id" ] || fail "completion of 'attesta score --a': '$r'"
fi

if [ "$failures" -ne 0 ]; then
	echo "cli_help: $failures failure(s)"
	exit 1
fi
echo "cli_help: ok"
