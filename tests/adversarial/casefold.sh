#!/bin/bash
# Escape family: a spelling the file system resolves to another name. On a
# case-insensitive file system (vfat, exfat, SMB, casefolded ext4/tmpfs, a
# FUSE mount) "protected/target.txt" reaches the entry stored as
# "PROTECTED/target.txt"; the policy forbids removing paths containing
# PROTECTED (case-sensitively). The decision must read the stored names
# (docs/decode.md, "Case-insensitive file systems"): the final component,
# a directory component, the cwd the kernel names by an earlier spelling,
# "//" and "/." and a trailing slash, a symlink whose text is respelled,
# rmdir, and the program an exec runs (directly or as a script's "#!"
# interpreter). Each attack first removes its target natively (the negative
# control); an allowed removal on the same mount still works.
#
# The case-insensitive file system is $BUILD/helpers/cifuse (FUSE: this
# kernel has no casefold and no vfat), mounted here when root, or given
# by tests/adversarial/run-unpriv.sh (ADV_CIFUSE_BACK / ADV_CIFUSE_MNT:
# /dev/fuse is root's, so the unprivileged rerun cannot mount one).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw
CIFUSE=$BUILD/helpers/cifuse

# mount_ci VAR_PREFIX [--noino]: a cifuse mount under $WS, or the one
# run-unpriv.sh gave (ADV_CIFUSE_MNT/_BACK, ADV_CIFUSE_NOINO_MNT/_BACK);
# sets ${VAR_PREFIX}_MNT and ${VAR_PREFIX}_BACK.
MOUNTS=
ci_umount() {
	local m
	for m in $MOUNTS; do fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	MOUNTS=
}
trap 'ci_umount; adv_cleanup' EXIT
mount_ci() {
	local pfx=$1 given_mnt given_back mnt back
	given_mnt=ADV_CIFUSE${2:+_NOINO}_MNT given_back=ADV_CIFUSE${2:+_NOINO}_BACK
	if [ -n "${!given_mnt:-}" ] && [ -n "${!given_back:-}" ]; then
		mnt=${!given_mnt} back=${!given_back}
		[ -d "$back" ] && [ -w "$back" ] || skip "$given_back '$back' is not a writable directory"
	else
		[ -x "$CIFUSE" ] || skip "$CIFUSE not built (libfuse3-dev missing: scripts/deps.sh)"
		[ "$(id -u)" = 0 ] || skip "mounting FUSE needs root here (/dev/fuse is root's) and no mount was given ($given_mnt, see run-unpriv.sh)"
		[ -c /dev/fuse ] || skip "no /dev/fuse"
		back=$WS/$pfx.back mnt=$WS/$pfx
		mkdir -p "$back" "$mnt"
		"$CIFUSE" ${2:-} "$back" "$mnt" -o allow_other,default_permissions 2>"$WS/cifuse.err" ||
			skip "cannot mount cifuse: $(cat "$WS/cifuse.err")"
		MOUNTS="$MOUNTS $mnt"
	fi
	# the mount really folds case (else the test proves nothing)
	rm -rf "${back:?}"/* 2>/dev/null
	mkdir "$back/Fold"
	[ -d "$mnt/fOLD" ] || fail "$mnt does not look names up case-insensitively"
	rmdir "$back/Fold"
	printf -v "${pfx}_MNT" %s "$mnt"
	printf -v "${pfx}_BACK" %s "$back"
}
mount_ci ci
# the same file system with inode numbers libfuse makes up per spelling
# (readdir cannot tell which entry a spelling reached: matched by name)
mount_ci cinoino --noino

# the protected tree, written straight to the backing directory
reset_ci() {
	rm -rf "${BACK:?}"/* 2>/dev/null
	mkdir -p "$BACK/PROTECTED/sub" "$BACK/PROTECTED/emptydir" "$BACK/PROTECTED.dir"
	echo secret >"$BACK/PROTECTED/target.txt"
	echo secret >"$BACK/PROTECTED/sub/file"
	echo secret >"$BACK/PROTECTED.txt"
	: >"$BACK/ok.txt"
	mkdir -p "$BACK/okdir"
	ln -s protected "$BACK/oklink" # a symlink whose text is another spelling
}

# CWD (under the mount)|MODE ARGS|TARGET (stored, under the backing dir)
CASES='.|unlink @M@/protected/target.txt|PROTECTED/target.txt
.|unlink @M@/Protected/Target.TXT|PROTECTED/target.txt
.|unlink @M@/protected.TXT|PROTECTED.txt
.|unlink @M@/protected/sub/file|PROTECTED/sub/file
.|unlink @M@/PROTECTED/../protected/SUB/File|PROTECTED/sub/file
.|rmdir @M@/protected/emptydir|PROTECTED/emptydir
.|rmdir @M@/protected.dir|PROTECTED.dir
.|unlinkat-dirfd @M@/protected target.txt|PROTECTED/target.txt
protected|unlink target.txt|PROTECTED/target.txt
protected/sub|unlink ../sub/FILE|PROTECTED/sub/file
.|unlink @M@//protected//./target.txt|PROTECTED/target.txt
.|rmdir @M@/protected.dir/|PROTECTED.dir
.|unlink @M@/oklink/target.txt|PROTECTED/target.txt'

n=0
for which in ci cinoino; do
	MNT=${which}_MNT BACK=${which}_BACK
	MNT=${!MNT} BACK=${!BACK}
	while IFS='|' read -r cwd args target; do
		args=${args//@M@/$MNT}
		# shellcheck disable=SC2086
		set -- $args
		mode=$1
		reset_ci
		GATE_CWD=$MNT/$cwd
		native "$B" "$@"
		[ ! -e "$BACK/$target" ] || fail "$which: native control '$args' (cwd $cwd) did not remove $target: $(cat "$WS/native.out")"
		reset_ci
		# the cwd is looked up by its lowercase spelling (cd), so the
		# kernel reads it back so (/proc/PID/cwd)
		GATE_CWD=$MNT/$cwd
		gate "$B" "$@"
		expect_denied "$mode"
		[ -e "$BACK/$target" ] || fail "$which: '$args' (cwd $cwd): $target was removed under the gate"
		n=$((n + 1))
	done <<<"$CASES"
done
MNT=$ci_MNT BACK=$ci_BACK
GATE_CWD=
expect_audit_min "$n" "$DENIED_PATH" "each attempt audited with its stored path"
expect_audit_min 1 'e.get("verdict")!="approved" and (e.get("path") or "").endswith("/PROTECTED/target.txt")' \
	"the audit names the stored path"
expect_audit_eq 0 'any(s in (e.get("path") or "") for s in ("/protected", "/Protected", ".TXT", "/SUB", "/File"))' \
	"no decision names the agent's spelling"

# 8.3 short names (vfat; SMB servers that keep them): "PROTEC~1.TXT"
# reaches "PROTECTED.txt" and the spelling says nothing of PROTECTED. With
# real inode numbers the stored name is found by inode; without them
# (cinoino) nothing equal under case folding is found: refused.
CASES83='unlink @M@/PROTEC~1.TXT|PROTECTED.txt
unlink @M@/protec~1/target.txt|PROTECTED/target.txt
rmdir @M@/PROTEC~1.DIR|PROTECTED.dir'
n83=0
for which in ci cinoino; do
	MNT=${which}_MNT BACK=${which}_BACK
	MNT=${!MNT} BACK=${!BACK}
	while IFS='|' read -r args target; do
		args=${args//@M@/$MNT}
		# shellcheck disable=SC2086
		set -- $args
		reset_ci
		GATE_CWD=$MNT
		native "$B" "$@"
		[ ! -e "$BACK/$target" ] || fail "$which: native control '$args' did not remove $target: $(cat "$WS/native.out")"
		reset_ci
		gate "$B" "$@"
		expect_denied "$1"
		[ -e "$BACK/$target" ] || fail "$which: '$args': $target was removed under the gate"
		n83=$((n83 + 1))
	done <<<"$CASES83"
done
GATE_CWD=
expect_audit_min 3 "e.get('verdict')!='approved' and '$ci_MNT/PROTECTED' in (e.get('path') or '')" \
	"8.3 names audited with the stored path"
expect_audit_min 3 'e.get("verdict")!="approved" and "cannot find the stored name" in (e.get("reason") or "")' \
	"8.3 names without inode numbers refused with the reason"
MNT=$ci_MNT BACK=$ci_BACK

# exec: "FORBIDDEN-TOOL" runs the program stored as forbidden-tool; a
# script whose "#!" names it so runs it too
exec_case() {
	reset_ci
	rm -f "$ADV_MARKER"
	cp "$WS/forbidden-tool" "$BACK/forbidden-tool"
	printf '#!%s/FORBIDDEN-TOOL\n' "$MNT" >"$BACK/script"
	chmod 755 "$BACK/script"
	native "$B" exec "$1"
	[ -e "$ADV_MARKER" ] || fail "native control: exec $1 did not run forbidden-tool: $(cat "$WS/native.out")"
	rm -f "$ADV_MARKER"
	gate "$B" exec "$1"
	expect_denied exec
	expect_no_marker "exec $1"
}
GATE_CWD=$MNT
exec_case "$MNT/FORBIDDEN-TOOL"
exec_case "$MNT/Script"
GATE_CWD=
expect_audit_min 1 'e.get("verdict")!="approved" and e.get("action_class")=="exec" and e.get("action_name")=="forbidden-tool"' \
	"the exec audited under the stored program name"
expect_audit_min 2 'e.get("verdict")!="approved" and e.get("action_class")=="exec"' "both execs audited"
expect_audit_eq 0 '"FORBIDDEN" in (e.get("path") or "") + (e.get("action_name") or "") and e.get("action_class")=="exec" and e.get("verdict")=="approved"' \
	"no exec approved under the agent's spelling"

# allowed removals on the same mount still work, and are named as stored
# (from inside the mount: a removal outside the agent's cwd rates medium)
for which in ci cinoino; do
	MNT=${which}_MNT BACK=${which}_BACK
	MNT=${!MNT} BACK=${!BACK}
	reset_ci
	GATE_CWD=$MNT
	gate "$B" unlink "$MNT/OK.TXT"
	[ "$(result_rc unlink)" = 0 ] || fail "$which: allowed unlink of OK.TXT failed: $(cat "$WS/out")"
	[ ! -e "$BACK/ok.txt" ] || fail "$which: allowed unlink did not remove ok.txt"
	gate "$B" rmdir "$MNT/OKDIR"
	[ "$(result_rc rmdir)" = 0 ] || fail "$which: allowed rmdir of OKDIR failed: $(cat "$WS/out")"
	[ ! -e "$BACK/okdir" ] || fail "$which: allowed rmdir did not remove okdir"
done
GATE_CWD=
expect_audit_min 2 'e.get("verdict")=="approved" and (e.get("path") or "").endswith("/ok.txt")' \
	"the allowed unlink is audited with the stored name"
verify_chain
pass "$n removals, $n83 by 8.3 names and 2 execs by other spellings denied under their stored names; allowed removals work"
