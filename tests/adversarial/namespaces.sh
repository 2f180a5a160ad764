#!/bin/bash
# Escape family: the agent becomes root of its own user namespace (any
# uid may; NO_NEW_PRIVS does not stop it) and changes what a path means:
# chroot into a protected directory, or bind-mount the protected
# directory over an allowed one, then removes a file by a name that looks
# harmless ("/tmp/victim", "$WS/okdir/victim"). The gate resolves paths
# "in the target's view", so it must either refuse the namespace tricks or
# judge the object actually removed. Shown to work natively first.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
B=$ADV/adv_raw
unshare -Ur true 2>/dev/null || skip "user namespaces unavailable on this host"

setup_ns() { reset_targets; mkdir -p "$WS/PROTECTED.d/tmp"; echo secret >"$WS/PROTECTED.d/tmp/victim"; }

one() {
	# shellcheck disable=SC2086
	set -- $1
	local target=$1
	shift
	setup_ns
	native "$B" "$@"
	[ ! -e "$WS/$target" ] || fail "native control '$*' failed: $(cat "$WS/native.out")"
	setup_ns
	gate "$B" "$@"
	if grep -q '^SETUP unshare: Operation not permitted' "$WS/out"; then
		# The filter refuses namespace creation inside the sandbox: the
		# trick cannot even be set up.
		expect_file "$target" "'$*'"
		expect_audit_min 1 'e.get("decision_source") == "filter" and e.get("action_name") in ("unshare", "clone") and e.get("verdict") == "denied"' \
			"the refused unshare is audited"
		echo "ok: $* (unshare refused inside the sandbox)"
		return
	fi
	expect_denied "$1"
	expect_file "$target" "'$*'"
	echo "ok: $*"
}
each_case one <<<"PROTECTED.d/tmp/victim userns-chroot-unlink $WS/PROTECTED.d tmp/victim
PROTECTED.d/victim userns-bind-unlink $WS/PROTECTED.d $WS/okdir victim"
verify_chain
pass
