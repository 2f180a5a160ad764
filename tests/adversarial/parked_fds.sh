#!/bin/bash
# Descriptor exhaustion through the per-thread /proc cache and its parked
# descriptors (docs/SECURITY.md row 112; docs/BENCHMARKS.md, "Session 6:
# the first decision"). attesta-run runs under `ulimit -n 256` (soft and
# hard, as a launcher may impose); the agent starts hundreds of
# short-lived processes, 200 of them killed while their call may be
# pending (their entries go stale, their descriptors are parked with no
# answer to flush them), then 300 that each exec rm and remove one file,
# with a protected removal every 50. Every allowed exec and removal must
# be approved and done, every protected one denied: the cache sizes
# itself to the limit and leaves the decoders their descriptors (before
# it did, 245 of 300 execs were denied "Too many open files").
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
RULES=${RULES/overrides:/overrides:
    rm: low
    bash: low}
write_config
N=300
mkdir -p "$WS/pf"
for i in $(seq $N); do : >"$WS/pf/ok$i"; done
cat >"$WS/agent.sh" <<'EOF'
cd pf || exit 1
for i in $(seq 200); do rm -f gone$i 2>/dev/null & kill -9 $! 2>/dev/null; done
wait
for i in $(seq 300); do
	rm ok$i
	if [ $((i % 50)) = 0 ]; then rm -f ../PROTECTED.txt 2>/dev/null; echo "protected $?"; fi
done
echo done
EOF
( cd "$WS" && ulimit -n 256 && exec setsid -w timeout -k 5 "$ADV_TIMEOUT" "$RUN" -c "$WS/attesta.yaml" -- bash agent.sh ) \
	>"$WS/out" 2>"$WS/err"
RC=$?
grep -q '^done$' "$WS/out" || fail "the agent did not finish (rc $RC): $(tail -3 "$WS/err")"
left=$(ls "$WS/pf" | grep -c '^ok') || true
[ "$left" = 0 ] || fail "$left of $N allowed removals not done: $(grep -m2 'denied' "$WS/err")"
expect_file PROTECTED.txt "parked descriptors"
[ "$(grep -c '^protected 1$' "$WS/out")" = $((N / 50)) ] || fail "a protected removal was not refused: $(grep '^protected' "$WS/out" | tr '\n' ' ')"
grep -q 'Too many open files' "$WS/err" && fail "the supervisor ran out of descriptors: $(grep -m1 'Too many open files' "$WS/err")"
expect_audit_min "$N" 'e.get("action_class") == "unlink" and e.get("verdict") == "approved" and "/pf/ok" in (e.get("path") or "")' "every allowed removal audited"
expect_audit_min "$N" 'e.get("action_class") == "exec" and e.get("verdict") == "approved"' "every rm exec approved"
verify_chain
pass "under ulimit -n 256, $N short-lived processes after 200 killed ones: every removal decided right"
