#!/bin/bash
# A removal the decoder refuses with its own ENOENT must still be answered
# and audited. The loop reads -ENOENT from the decoder as "the target is
# gone" and drops the call unanswered (docs/decode.md): an agent that
# removed its own cwd and then calls unlink("x") or rmdir("d") was left
# waiting forever, and the attempt was never audited. The native control
# shows the kernel answers at once (ENOENT); under the gate the call must
# be answered (denied) within the time limit and audited with its reason.
# Not an escape test: the refusal is the decoder's, so it also passes
# under ADV_PERMISSIVE=1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
ADV_TIMEOUT=${ADV_DELETED_TIMEOUT:-20}
cat >"$WS/inside_deleted.py" <<'PY'
import os, sys
os.chdir(sys.argv[1])
os.rmdir(sys.argv[1])
for name, call in (("unlink", os.unlink), ("rmdir", os.rmdir)):
    try:
        call("x")
        print(f"RESULT {name} rc=0 errno=0 (ok)", flush=True)
    except OSError as e:
        print(f"RESULT {name} rc=-1 errno={e.errno} ({e.strerror})", flush=True)
PY
mkdir "$WS/gone"
native python3 "$WS/inside_deleted.py" "$WS/gone"
[ "$NRC" = 0 ] && grep -q "RESULT unlink rc=-1 errno=2" "$WS/native.out" ||
	fail "native control: unlink in a deleted cwd did not fail with ENOENT: $(cat "$WS/native.out")"
mkdir "$WS/gone"
gate python3 "$WS/inside_deleted.py" "$WS/gone"
[ "$RC" != 124 ] && [ "$RC" != 137 ] || fail "the agent was left waiting (attesta-run exited $RC after ${ADV_TIMEOUT}s)"
for m in unlink rmdir; do
	rc=$(result_rc "$m")
	[ "$rc" = -1 ] || fail "$m in a deleted cwd was not answered with an error (rc='$rc')"
done
expect_audit_min 2 'e.get("verdict")!="approved" and e.get("action_class") in ("unlink", "rmdir") and "deleted" in (e.get("reason") or "")' \
	"both refused removals audited with the reason"
verify_chain
pass "removals in a deleted cwd answered and audited"
