#!/bin/sh
# scripts/callgraph.sh (run by `make lint`, docs/ARCHITECTURE.md "The
# supervisor's core"): it finds a cycle of calls between files, also
# through a third file and with calls hidden in comments ignored, and
# passes the real supervisor/run/.
set -u
T=$(mktemp -d /tmp/attesta-callgraph-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$T/cyc" "$T/ok"
cat >"$T/cyc/decide.c" <<'C'
/* decide: calls the audit (sup_record_x) -- the cycle */
int sup_decide_x(int v)
{
	return sup_record_x(v);
}
C
cat >"$T/cyc/record.c" <<'C'
int sup_record_x(int v)
{
	return sup_loop_x(v);
}
C
cat >"$T/cyc/loop.c" <<'C'
static int helper(int v) { return v; }
int sup_loop_x(int v)
{
	return helper(sup_decide_x(v));
}
C
out=$(sh scripts/callgraph.sh "$T/cyc") && fail "a three-file cycle was not found"
echo "$out" | grep -q "decide" || fail "the cycle was not printed: $out"

cat >"$T/ok/decide.c" <<'C'
int sup_decide_x(int v)
{
	/* sup_loop_x(v) in a comment is no call */
	return v + 1;
}
C
cat >"$T/ok/loop.c" <<'C'
int sup_loop_x(int v)
{
	return sup_decide_x(v); // sup_loop_x() here neither
}
C
sh scripts/callgraph.sh "$T/ok" >/dev/null || fail "a one-way call graph was refused"
sh scripts/callgraph.sh supervisor/run || fail "supervisor/run has a cycle of calls"
echo "ok: lint_callgraph"
