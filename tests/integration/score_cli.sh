#!/bin/sh
# `attesta score`: exit codes (0 scored, 1 invalid input, 2 usage), JSON
# and text output, the calibration headline (`exec rm -fr /` is critical),
# and --context scores equal to the reference scorer to the last digit
# (tests/data/reference_scores.jsonl, first calls, environment ci so the
# multiplier is 1.0).
set -u
BUILD=${BUILD:-build}
SRC=$(pwd)
ATTESTA=$(cd "$BUILD" 2>/dev/null && pwd)/attesta
[ -x "$ATTESTA" ] || { echo "no $ATTESTA (build first)"; exit 77; }
work=$(mktemp -d /tmp/attesta-score-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() {
	want=$1; shift
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want (stderr: $(head -c 300 "$work/err"))"
}
expect_out() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 300 "$work/out")"; }

run 0 "$ATTESTA" score --json exec rm -fr /
expect_out '"level": "critical"'
expect_out '"critical_action": true'
run 0 "$ATTESTA" score --json exec ls -la
expect_out '"level": "low"'
expect_out '"challenge": "auto_approve"'
run 0 "$ATTESTA" score --env production --json exec git push origin main
expect_out '"level": "high"'
run 0 "$ATTESTA" score --json connect 169.254.169.254:80
expect_out '"level": "critical"'
run 0 "$ATTESTA" score --json connect unix:/var/run/docker.sock
expect_out '"level": "critical"'
run 0 "$ATTESTA" score --json unlink "$work/a.o"
expect_out '"level": "low"'
run 0 "$ATTESTA" score exec git push --force origin main
expect_out 'git_force_push'
expect_out 'environment_multiplier'

run 2 "$ATTESTA" score
run 2 "$ATTESTA" score exec
run 2 "$ATTESTA" score frobnicate x
run 2 "$ATTESTA" score --no-such-option exec ls
run 1 "$ATTESTA" score connect not-an-endpoint
run 1 "$ATTESTA" score --context "$work/missing.json"
printf '{"function_name": 3}' >"$work/bad.json"
run 1 "$ATTESTA" score --context "$work/bad.json"
printf 'policy: {fail_mod: deny}\n' >"$work/bad.yaml"
run 1 "$ATTESTA" score -c "$work/bad.yaml" exec ls

# --context against the reference scorer's recorded scores.
if command -v python3 >/dev/null 2>&1 && [ -f "$SRC/tests/data/reference_scores.jsonl" ]; then
	python3 - "$ATTESTA" "$SRC/tests/data/reference_scores.jsonl" <<'PY' || failures=$((failures + 1))
import json, subprocess, sys
attesta, path = sys.argv[1], sys.argv[2]
bad = checked = 0
for line in open(path):
    row = json.loads(line)
    if row.get("novelty_calls", 0) != 0:
        continue
    # --env ci overrides any environment in the context: multiplier 1.0
    out = subprocess.run([attesta, "score", "--env", "ci", "--json", "--context", "-"],
                         input=row["context"].encode(), capture_output=True)
    if out.returncode != 0:
        print("FAIL: context %s: exit %d %s" % (row["name"], out.returncode, out.stderr[:200]))
        bad += 1
        continue
    got = json.loads(out.stdout)
    if repr(got["score"]) != row["score"] or got["level"] != row["level"]:
        print("FAIL: context %s: score %r %s, reference %s %s" % (row["name"], got["score"], got["level"], row["score"], row["level"]))
        bad += 1
    checked += 1
print("score_cli: %d reference contexts checked" % checked)
sys.exit(1 if bad or not checked else 0)
PY
fi

[ "$failures" -eq 0 ] || { echo "score_cli: $failures failure(s)"; exit 1; }
echo "score_cli: ok"
