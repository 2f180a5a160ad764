#!/bin/sh
# Run every unit test binary and every integration script; print one
# closing line "check: N passed, M failed" and exit non-zero on any failure.
set -u
BUILD=${BUILD:-build}
# Tests change directory; give them an absolute build path.
BUILD=$(cd "$BUILD" && pwd) || { echo "run-all: no build directory '$BUILD'"; exit 1; }
export BUILD
pass=0; fail=0; failed=""
log=$(mktemp -d /tmp/attesta-check.XXXXXX)

# A hung test must not stall the whole run: each gets TEST_TIMEOUT
# seconds (default 20 minutes; the unprivileged adversarial rerun at
# full race budgets is the longest, ~6 minutes here). --foreground: the
# tests stay in the terminal's process group, as they were before.
TEST_TIMEOUT=${TEST_TIMEOUT:-1200}
# Each line ends with the test's wall time in seconds, so a slow test
# (CI has a time budget, .ci/run) shows where it is.
took() { echo $(($(date +%s) - t0)); }
run_one() {
	name=$1; shift
	lf="$log/$(echo "$name" | tr '/' '_').log"
	t0=$(date +%s)
	if timeout --foreground -k 10 "$TEST_TIMEOUT" "$@" >"$lf" 2>&1; then
		pass=$((pass + 1)); echo "PASS  $name ($(took) s)"
	else
		rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "      (timed out after ${TEST_TIMEOUT} s)" >>"$lf"
		fi
		if [ "$rc" -eq 77 ]; then
			echo "SKIP  $name ($(took) s; $(tail -n 1 "$lf"))"
		else
			fail=$((fail + 1)); failed="$failed $name"
			echo "FAIL  $name (exit $rc, $(took) s)"
			# what failed first (a long test's tail may be other tests' lines)
			{ grep -E 'FAIL|ESCAPED|Sanitizer|runtime error:' "$lf" | head -n 20; tail -n 40 "$lf"; } | sed 's/^/      /'
		fi
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh tests/adversarial/*.sh; do
	[ -f "$t" ] || continue
	run_one "$t" sh "$t"
done
rm -rf "$log"
echo
echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
