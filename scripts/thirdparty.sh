#!/bin/sh
# `make thirdparty`: run a third-party test suite of file-, process- and
# socket-heavy programs (CPython's own tests of os, shutil, subprocess,
# socket, tempfile, glob and pathlib, from Debian's
# libpython3.11-testsuite) twice, natively and under attesta-run with a
# policy that approves everything, and compare the result of every test
# case. The gate must not change what a program sees: the same tests pass,
# fail and skip (docs/BENCHMARKS.md and docs/decode.md say why this
# matters). Prints both summaries, the wall times and any difference;
# exits 1 on a difference, 77 when the test suite is not installed.
#
# Knobs: THIRDPARTY_TESTS (module list), PY (interpreter, default
# Debian's /usr/bin/python3.11, which the test suite package belongs to).
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd) || { echo "thirdparty: no build directory"; exit 1; }
PY=${PY:-/usr/bin/python3.11}
TESTS=${THIRDPARTY_TESTS:-test_os test_shutil test_subprocess test_socket test_tempfile test_glob test_pathlib}

"$PY" -c 'import test.test_os' 2>/dev/null ||
	{ echo "thirdparty: skip: $PY has no test suite (Debian: libpython3.11-testsuite)"; exit 77; }

WS=$(mktemp -d /tmp/attesta-thirdparty.XXXXXX)
trap '[ -n "${THIRDPARTY_KEEP:-}" ] && echo "kept $WS" || rm -rf "$WS"' EXIT
chmod 755 "$WS"

# Approve everything: shadow mode decides, audits and allows every call,
# so any difference in results is the gate's doing, not the policy's.
cat >"$WS/attesta.yaml" <<EOF
policy:
  mode: shadow
gate:
  renderer: none
audit:
  path: $WS/audit.jsonl
trust:
  path: $WS/trust.json
EOF

# regrtest, verbose, one process; the VSOCK tests of test_socket are left
# out: on a VM whose hypervisor offers vsock but does not answer, their
# accept() never returns (natively as well as gated).
SUITE="-m test -i *VSOCK*"

# One line per test case, "<class>.<name> <outcome>", sorted, from
# regrtest's JUnit XML (the verbose text interleaves with what tests print
# on stderr, e.g. asyncio's slow-callback warnings).
run_suite() { # $1 = label, rest = command prefix
	label=$1; shift
	mkdir -p "$WS/$label"
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	(cd "$WS/$label" && "$@" "$PY" $SUITE --junit-xml "$WS/$label/junit.xml" $TESTS) >"$WS/$label.out" 2>&1
	end=$(date +%s.%N)
	echo "$start $end" | awk '{printf "%.1f", $2 - $1}' >"$WS/$label.time"
	python3 - "$WS/$label/junit.xml" <<'PY' | sort -u >"$WS/$label.cases"
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
for tc in root.iter("testcase"):
    kinds = [c.tag for c in tc if c.tag in ("failure", "error", "skipped")]
    print("%s.%s %s" % (tc.get("classname") or "", tc.get("name"), kinds[0] if kinds else "ok"))
PY
}

summary() { # $1 = label
	n=$(wc -l <"$WS/$1.cases")
	printf '%-7s %5d cases, %s s: ' "$1" "$n" "$(cat "$WS/$1.time")"
	awk '{c[$2]++} END {for (k in c) printf "%s %d  ", k, c[k]; print ""}' "$WS/$1.cases"
}

run_suite native env
run_suite gated "$BUILD/attesta-run" -c "$WS/attesta.yaml" --
echo "thirdparty: $PY $SUITE $TESTS"
summary native
summary gated
decisions=$(wc -l <"$WS/audit.jsonl" 2>/dev/null || echo 0)
echo "gated run: $decisions audit entries"

if [ ! -s "$WS/native.cases" ]; then
	echo "thirdparty: FAIL: the native run produced no test results"
	tail -n 20 "$WS/native.out"
	exit 1
fi
if ! diff -u "$WS/native.cases" "$WS/gated.cases" >"$WS/diff"; then
	echo "thirdparty: FAIL: results differ; per test class, cases native -> gated:"
	grep -E '^[-+][^-+]' "$WS/diff" |
		sed -E 's/^([-+])([^ ]+)\.[^. ]+ ([A-Z]+|[a-z]+)$/\1 \2 \3/' | sort | uniq -c | head -n 60
	for c in $(grep -E '^\+' "$WS/diff" | grep -vE ' ok$| skipped$' | sed -E 's/^\+([^ ]+).*/\1/' | head -n 5); do
		echo "--- gated output for ${c##*.}:"
		grep -A 15 -E "^(FAIL|ERROR): ${c##*.} " "$WS/gated.out" | head -n 20
	done
	exit 1
fi
echo "thirdparty: same results natively and gated"
