#!/bin/bash
# Escape family: the pinning walk cache (supervisor/run/exec_pincache.h).
# Whether an exec's typed path is pinned decides whether a lowering
# override applies (`mytool: low`). The cache replays a remembered walk
# with one statx per step; every way of changing a step must be seen.
# Between rounds of two execs of the same typed path (the first may
# record, the second is answered from the cache), the test, as root
# outside the sandbox, changes the way to the program:
#   chmod-dir / chmod-back        the directory becomes writable by all, and back
#   chown-file / chown-back       the program handed to the agent, and back
#   symlink-over                  rename a symlink into the agent's dir over the program
#   hardlink-over                 rename a hard link of another root-owned copy over it
#   acl-dir / acl-back            a POSIX ACL granting the agent write on the directory
#   same-mtime                    chmod the directory, then set its mtime back (ctime moves)
#   bind-mount / umount           the agent's directory bind-mounted over the directory
#   chmod-file-mtime              the program made world-writable, its mtime set back
# The sequence of "override applied" per exec must be the same as with
# the cache off (ATTESTA_PINCACHE=off: every walk runs), for an agent as
# attesta-nobody and as root; and the cache must have answered. Root only
# (the files on the way must be another user's than the agent's).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ "$(id -u)" = 0 ] || skip "root needed: the files on the way must be another user's than the agent's"
AGENT=${ADV_USER:-attesta-nobody}
id "$AGENT" >/dev/null 2>&1 || skip "user $AGENT missing (run-unpriv.sh creates it)"
# /var/tmp: a walk is remembered only when no step changed in the last
# seconds; /tmp changes all the time
BASE=${ADV_PINCACHE_BASE:-/var/tmp}
if [ ! -d "$BASE" ] || [ ! -w "$BASE" ]; then skip "$BASE not writable"; fi
# a POSIX access ACL (version 2: tag, perm, id) granting USER rwx on DIR,
# written as the xattr itself (setfacl may be missing)
acl_grant() {
	python3 - "$1" "$(id -u "$AGENT")" <<'PY'
import os, struct, sys
d, uid = sys.argv[1], int(sys.argv[2])
e = lambda tag, perm, i=0xFFFFFFFF: struct.pack("<HHI", tag, perm, i)
acl = struct.pack("<I", 2) + e(1, 7) + e(2, 7, uid) + e(4, 5) + e(0x10, 7) + e(0x20, 5)
os.setxattr(d, "system.posix_acl_access", acl)
PY
}
acl_drop() { python3 -c 'import os, sys; os.removexattr(sys.argv[1], "system.posix_acl_access")' "$1"; }
ROUNDS=(none chmod-dir chmod-back chown-file chown-back symlink-over hardlink-over acl-dir acl-back same-mtime chmod-back bind-mount umount chmod-file-mtime)
P=
cleanup_p() {
	[ -n "$P" ] || return 0
	umount "$P/sys/bin" 2>/dev/null
	rm -rf "$P"
	P=
}
trap 'cleanup_p; adv_cleanup' EXIT

# mutate NAME: change the way to $P/sys/bin/mytool as root, outside
mutate() {
	local b=$P/sys/bin
	case $1 in
	none) ;;
	chmod-dir) chmod 777 "$b" ;;
	chmod-back) chmod 755 "$b" ;;
	chown-file) chown "$AGENT" "$b/mytool" ;;
	chown-back) chown root "$b/mytool" ;;
	symlink-over) ln -s "$P/w/mytool" "$b/.new" && mv -T "$b/.new" "$b/mytool" ;;
	hardlink-over) ln "$P/sys/alt" "$b/.new" && mv -T "$b/.new" "$b/mytool" ;;
	acl-dir) acl_grant "$b" || fail "cannot set a POSIX ACL on $b" ;;
	acl-back) acl_drop "$b" ;;
	same-mtime)
		local m
		m=$(stat -c %Y "$b")
		chmod 757 "$b" && touch -m -d "@$m" "$b" ;;
	bind-mount) # in the sandbox's mount namespace (the agent's), and outside
		nsenter -t "$(pgrep -n -f "$WS/agent.sh")" -m mount --bind "$P/w" "$b" 2>/dev/null ||
			note "cannot bind-mount in the sandbox's namespace"
		mount --bind "$P/w" "$b" 2>/dev/null || true ;;
	umount)
		nsenter -t "$(pgrep -n -f "$WS/agent.sh")" -m umount "$b" 2>/dev/null
		umount "$b" 2>/dev/null || true ;;
	chmod-file-mtime)
		local m
		m=$(stat -c %Y "$b/mytool")
		chmod 777 "$b/mytool" && touch -m -d "@$m" "$b/mytool" ;;
	esac
	return 0
}

# one_run USER CACHE: fresh tree, settled; the agent execs the typed path
# twice per round; prints one line per exec of mytool: "1" when the
# override applied (pinned), "0" when not
one_run() {
	local user=$1 cache=$2 u=()
	cleanup_p
	P=$(mktemp -d "$BASE/attesta-pincache.XXXXXX") || fail "mktemp in $BASE"
	chmod 755 "$P"
	mkdir -p "$P/sys/bin" "$P/w"
	cp /bin/true "$P/sys/bin/mytool" && cp /bin/true "$P/sys/alt" && cp /bin/true "$P/w/mytool"
	chown -R "$AGENT:" "$P/w"
	chmod 755 "$P/sys" "$P/sys/bin" "$P/sys/bin/mytool" "$P/sys/alt"
	cat >"$WS/agent.sh" <<EOF
i=0
for r in ${ROUNDS[*]}; do
	$P/sys/bin/mytool
	$P/sys/bin/mytool
	: >$P/w/ready.\$i
	while [ ! -e $P/w/go.\$i ]; do sleep 0.05; done
	i=\$((i + 1))
done
$P/sys/bin/mytool
$P/sys/bin/mytool
EOF
	chmod 644 "$WS/agent.sh"
	cat >"$WS/pin.yaml" <<EOF
risk:
  overrides:
    mytool: low
    sleep: low
audit:
  path: $WS/pin-$user-$cache.jsonl
gate:
  renderer: none
trust:
  path: $WS/trust-$user-$cache.json
EOF
	sleep 4 # older than the cache's margin (SUP_PINCACHE_MARGIN_S)
	[ "$user" = agent ] && u=(--user "$AGENT")
	( cd "$WS" && exec env ATTESTA_PINCACHE="$cache" setsid -w timeout -k 5 "$ADV_TIMEOUT" \
		"$RUN" "${u[@]}" -c "$WS/pin.yaml" -- /bin/sh "$WS/agent.sh" ) >"$WS/out" 2>"$WS/err" &
	local runner=$! i=0
	for r in "${ROUNDS[@]}"; do
		local t=0
		while [ ! -e "$P/w/ready.$i" ]; do
			sleep 0.05
			t=$((t + 1))
			[ "$t" -lt 1200 ] || { kill "$runner"; fail "$user/$cache: agent stuck before round $r"; }
		done
		mutate "$r"
		: >"$P/w/go.$i"
		i=$((i + 1))
	done
	wait "$runner"
	python3 - "$WS/pin-$user-$cache.jsonl" "$P" <<'PY' >"$WS/seq-$user-$cache"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("action_class") != "exec" or not (e.get("argv") or [""])[0].endswith("/mytool"):
        continue
    over = any(f.get("name") == "override" and "not applied" not in (f.get("description") or "")
               for f in e.get("factors") or [])
    print("1" if over else "0", e.get("verdict"), (e.get("path") or "").replace(sys.argv[2], "P"))
PY
	[ "$cache" = stats ] && HITS=$(sed -n 's/.*pin cache: [0-9]* walks recorded, \([0-9]*\) answered.*/\1/p' "$WS/err")
	return 0
}

for user in agent root; do
	one_run "$user" off
	one_run "$user" stats
	n=$(wc -l <"$WS/seq-$user-off")
	[ "$n" -eq $((2 * ${#ROUNDS[@]} + 2)) ] || { cat "$WS/seq-$user-off"; fail "$user: $n execs of mytool audited"; }
	if ! diff "$WS/seq-$user-off" "$WS/seq-$user-stats" >"$WS/diff"; then
		paste -d' ' <(printf '%s\n' start "${ROUNDS[@]}" | sed 'p') "$WS/seq-$user-off" "$WS/seq-$user-stats" | sed 's/^/  /'
		fail "$user: the cached walk answered differently from the full walk"
	fi
	[ "${HITS:-0}" -gt 0 ] || fail "$user: the cache never answered (hits ${HITS:-none}): nothing was tested"
	if ! grep -q '^1' "$WS/seq-$user-off" || ! grep -q '^0' "$WS/seq-$user-off"; then
		fail "$user: the rounds never changed the answer (pinned and unpinned both expected)"
	fi
	[ -z "${ADV_VERBOSE:-}" ] || paste -d' ' <(printf '%s\n' start "${ROUNDS[@]}" | sed 'p') "$WS/seq-$user-stats"
	note "$user: $n execs, $(grep -c '^1' "$WS/seq-$user-off") pinned, cache answered $HITS"
done
pass "the cached pinning walk matched the full walk through every change"
