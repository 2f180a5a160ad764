#!/bin/bash
# The gate's own files are out of the agent's reach (docs/SECURITY.md,
# "The gate's own files"; issue 13 item 3). An agent of the supervisor's
# uid tries to append to, truncate, write, open O_TRUNC, rename, replace
# by rename, remove, chmod, hard-link-then-write and swap for a symlink
# the audit log, its head, the HMAC key, the trust store, the config and
# a profile, and to plant a file in the protected profile directory.
# Native control first: every attack works without the gate (on the same
# files, restored afterwards). Under the gate each one fails, the key,
# config, profile and trust store are byte-identical, the old audit log
# is a prefix of the new one with nothing of the agent's in it, `attesta
# audit verify` passes, and the removals are audited as hard_rule denials.
# Two layouts: state files beside the agent's files in the workspace
# (bound one by one), and the default .attesta/ directory (bound whole).
# As root, again with --user attesta-nobody.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
STATE=$ADV/adv_state
[ -x "$STATE" ] || skip "$STATE not built (make all)"

RULES=${RULES/overrides:/overrides:
    adv_state: low}
ATTACKS="append truncate write otrunc rename renameover unlink chmod linkwrite symlinkswap"
head -c 32 /dev/urandom >"$WS/hmac.key"
chmod 600 "$WS/hmac.key"
mkdir -p "$WS/profiles"
printf 'name: advprof\n' >"$WS/profiles/advprof.yaml"

# layout DIR: audit log and trust store in DIR ($WS: beside the agent's
# files; $WS/.attesta: the default state directory).
layout() {
	# the gate creates a missing state directory itself (0700)
	AUDIT=$1/audit.jsonl
	TRUST=$1/trust.json
	rm -f "$AUDIT" "$AUDIT.head" "$TRUST" "$TRUST.lock"
	cat >"$WS/attesta.yaml" <<EOF
policy:
  fail_mode: deny
  mode: $POLICY_MODE
$RULES
audit:
  path: $AUDIT
  sync: tiered
  hmac_key_file: $WS/hmac.key
gate:
  renderer: none
  agent_id: adv-agent
trust:
  path: $TRUST
domain: advprof
domain_paths: [$WS/profiles]
EOF
	FILES="$AUDIT $AUDIT.head $WS/hmac.key $TRUST $WS/attesta.yaml $WS/profiles/advprof.yaml"
}

# snapshot / check: the files the supervisor never writes while the agent
# runs stay byte-identical; the audit log only grows by the gate's entries.
snapshot() {
	sha256sum "$WS/hmac.key" "$TRUST" "$WS/attesta.yaml" "$WS/profiles/advprof.yaml" >"$WS/sums"
	cp "$AUDIT" "$WS/audit.before"
}
check_state() {
	sha256sum --quiet -c "$WS/sums" >/dev/null 2>&1 || { sha256sum -c "$WS/sums"; fail "$1: a state file changed"; }
	local n
	n=$(stat -c %s "$WS/audit.before")
	cmp -s -n "$n" "$WS/audit.before" "$AUDIT" || fail "$1: the audit log was rewritten"
	! grep -q EVIL "$AUDIT" "$AUDIT.head" || fail "$1: the agent's bytes are in the audit log or head"
	for f in $FILES; do
		[ -f "$f" ] && [ ! -L "$f" ] || fail "$1: $f is gone or not a regular file"
		[ ! -e "$f.adv" ] || fail "$1: $f.adv exists"
	done
	[ "$(stat -c %a "$TRUST")" = 600 ] || fail "$1: trust store mode changed"
	"$CLI" audit verify -c "$WS/attesta.yaml" >"$WS/verify.out" 2>&1 ||
		{ cat "$WS/verify.out"; fail "$1: attesta audit verify failed"; }
}

# every RESULT line of the last gated run failed
expect_all_failed() {
	local ok
	ok=$(grep -c '^RESULT .* rc=0 ' "$WS/out")
	[ "$ok" = 0 ] || { grep '^RESULT .* rc=0 ' "$WS/out"; fail "$1: $ok attacks SUCCEEDED under the gate"; }
	[ "$(grep -c '^RESULT ' "$WS/out")" -ge "${2:-6}" ] || fail "$1: the attack did not run (rc $RC)"
}

run_layout() {
	local where=$1 user_opt=${2:-}
	layout "$where"
	gate "$STATE" plant "$WS/init-$RANDOM.txt"
	[ "$RC" = 0 ] || fail "$where: first run exited $RC"
	[ -f "$AUDIT.head" ] || fail "$where: no head file"
	if [ ! -f "$TRUST" ]; then
		# .attesta/ is bound whole: a missing store cannot be planted
		gate "$STATE" plant "$TRUST"
		[ ! -e "$TRUST" ] || fail "$where: the agent planted a trust store"
		expect_all_failed "$where plant trust store" 1
		cp "$WS/trust.template" "$TRUST" && chmod 600 "$TRUST"
	fi
	cp "$TRUST" "$WS/trust.template"
	for a in $ATTACKS; do
		if [ -z "$user_opt" ]; then
			# native control, on the real files, restored afterwards
			rm -rf "$WS/bak" && mkdir "$WS/bak"
			for f in $FILES; do cp -a "$f" "$WS/bak/$(basename "$f")"; done
			native "$STATE" "$a" $FILES
			[ "$NRC" = 0 ] || { cat "$WS/native.out"; fail "native $a: the attack does not work without the gate"; }
			for f in $FILES; do
				rm -f "$f" "$f.adv"
				cp -a "$WS/bak/$(basename "$f")" "$f"
			done
		fi
		snapshot
		if [ -n "$user_opt" ]; then
			( cd "$WS" && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" --user "$user_opt" \
				-c "$WS/attesta.yaml" -- "$STATE" "$a" $FILES ) >"$WS/out" 2>"$WS/err"
			RC=$?
		else
			gate "$STATE" "$a" $FILES
		fi
		expect_all_failed "$where $a${user_opt:+ (--user $user_opt)}"
		check_state "$where $a${user_opt:+ (--user $user_opt)}"
	done
	# the profile is no state path by name: the decision refuses its
	# removal by the identity the decoder saw (state_protect.h), before
	# the emulation's own check at the removal
	expect_audit_min 1 'e.get("decision_source")=="hard_rule" and e.get("action_class")=="unlink" and (e.get("path") or "").endswith("/profiles/advprof.yaml") and "own state" in (e.get("reason") or "")' \
		"$where: the profile's removal refused by the decision"
	# plant a profile the next run would read
	snapshot
	gate "$STATE" plant "$WS/profiles/planted.yaml"
	[ ! -e "$WS/profiles/planted.yaml" ] || fail "$where: a profile was planted"
	check_state "$where plant"
	expect_audit_min 1 'e.get("decision_source")=="hard_rule" and e.get("action_class")=="unlink" and e.get("verdict")=="denied"' \
		"$where: removal of state refused and audited"
}

run_layout "$WS"
run_layout "$WS/.attesta"
[ -d "$WS/.attesta" ] && [ "$(stat -c %a "$WS/.attesta")" = 700 ] || fail ".attesta is not 0700"

if [ "$(id -u)" = 0 ] && [ -z "${ADV_UNPRIV:-}" ]; then
	u=${ADV_USER:-attesta-nobody}
	id "$u" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u" ||
		fail "cannot create $u"
	run_layout "$WS" "$u"
	( cd "$WS" && "$RUN" --user "$u" -c "$WS/attesta.yaml" -- "$STATE" plant "$WS/as-user.$RANDOM" ) \
		>"$WS/out" 2>"$WS/err"
	# the agent is that account: root's 0755 workspace is not its to write
	grep -q '^RESULT plant:as-user.* errno=13 ' "$WS/out" || fail "--user: the agent is not $u: $(cat "$WS/out" "$WS/err")"
	grep -q "WARNING: the agent runs as root" "$WS/err" && fail "--user: the root warning was printed"
	gate "$STATE" plant "$WS/root.$RANDOM"
	grep -q "WARNING: the agent runs as root" "$WS/err" || fail "no warning for a root agent"
else
	note "not root: the --user part is skipped (run-unpriv.sh runs this file as attesta-nobody)"
fi
pass "10 attacks x 6 state files, two layouts, each refused; audit verifies"
