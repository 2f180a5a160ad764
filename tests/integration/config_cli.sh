#!/bin/sh
# `attesta config check` and `attesta init`: exit codes (0 ok, 1 invalid,
# 2 usage), the "FILE: ok" line, the one-line FILE:LINE:COLUMN diagnostic,
# --json output, the default ./attesta.yaml lookup, and that init writes a
# template that loads and refuses to overwrite without --force.
set -u
BUILD=${BUILD:-build}
SRC=$(pwd)
ATTESTA=$(cd "$BUILD" 2>/dev/null && pwd)/attesta
[ -x "$ATTESTA" ] || { echo "no $ATTESTA (build first)"; exit 77; }
DATA=$SRC/tests/data/config
work=$(mktemp -d /tmp/attesta-config-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run EXPECTED_RC CMD...: output in $work/out, $work/err
run() {
	want=$1; shift
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want (stderr: $(head -c 300 "$work/err"))"
}
expect_out() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 300 "$work/out")"; }
expect_err() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 300 "$work/err")"; }

# no ./attesta.yaml: the defaults are valid
run 0 "$ATTESTA" config check
expect_out "<default>: ok"

# every seed and good fixture checks ok, by argument and by -c
for f in "$DATA"/seeds/*.yaml "$DATA"/good/*.yaml "$SRC"/examples/attesta.yaml; do
	run 0 "$ATTESTA" config check "$f"
	expect_out "$f: ok"
	run 0 "$ATTESTA" config check -c "$f"
done

# a misspelled key: one line, FILE:LINE:COLUMN, exit 1
run 1 "$ATTESTA" config check "$DATA/bad/unknown-key-misspelled.yaml"
expect_err "attesta: $DATA/bad/unknown-key-misspelled.yaml:2:3: unknown key 'fail_mod' in 'policy' (did you mean 'fail_mode'?)"
[ "$(wc -l <"$work/err")" -eq 1 ] || fail "diagnostic is not one line"
[ ! -s "$work/out" ] || fail "stdout not empty on error"

# every bad fixture exits 1 with its line:column
tab=$(printf '\t')
grep -v '^#' "$DATA/bad.tsv" | while IFS="$tab" read -r name line column message; do
	"$ATTESTA" config check "$DATA/bad/$name.yaml" >/dev/null 2>"$work/err.$name"
	rc=$?
	[ "$rc" -eq 1 ] || echo "FAIL: bad/$name exited $rc" >>"$work/badfail"
	grep -qF -- "$name.yaml:$line:$column: " "$work/err.$name" ||
		echo "FAIL: bad/$name: $(cat "$work/err.$name")" >>"$work/badfail"
	grep -qF -- "$message" "$work/err.$name" ||
		echo "FAIL: bad/$name lacks '$message'" >>"$work/badfail"
done
if [ -s "$work/badfail" ]; then
	cat "$work/badfail"
	failures=$((failures + 1))
fi

# unreadable / missing explicit file: 1
run 1 "$ATTESTA" config check "$work/missing.yaml"
expect_err "cannot open config"
run 1 "$ATTESTA" config check "$work"

# --json
run 0 "$ATTESTA" config check --json "$DATA/good/full.yaml"
expect_out '"ok":	true'
expect_out '"fail_mode":	"escalate"'
run 1 "$ATTESTA" config check --json "$DATA/bad/duplicate-key.yaml"
expect_out '"line":	3'
expect_out '"column":	3'
expect_err "duplicate key 'timeout_seconds'"
if command -v python3 >/dev/null 2>&1; then
	"$ATTESTA" config check --json "$DATA/good/full.yaml" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["config"]["gate"]["deny_errno"] == 13, d' ||
		fail "--json output is not the expected JSON"
fi

# usage errors: 2
run 2 "$ATTESTA" config
run 2 "$ATTESTA" config frobnicate
run 2 "$ATTESTA" config check --bogus
run 2 "$ATTESTA" config check a.yaml b.yaml
run 2 "$ATTESTA" config check -c
run 0 "$ATTESTA" config --help
expect_out "usage: attesta config check"
run 0 "$ATTESTA" config check --help

# init: writes ./attesta.yaml, which loads and is then found by default
run 0 "$ATTESTA" init
expect_out "wrote attesta.yaml"
[ -f attesta.yaml ] || fail "init wrote no attesta.yaml"
run 0 "$ATTESTA" config check
expect_out "attesta.yaml: ok"
for key in fail_mode minimum_review_seconds require_multi_party timeout_seconds \
	critical_always_verify challenge_map mode quiz_pass_threshold teach_back_min_words \
	overrides amplifiers initial_score ceiling decay_rate influence incident_penalty \
	backend sync sync_window_ms hmac_key_file tenant_id domain domain_strict domain_paths \
	intercept workspace environment agent_id renderer approval_socket deny_errno \
	allow_io_uring builtin_agent_profile env_vars escalation_command node_id bundle \
	registry database; do
	grep -q "^ *$key:" attesta.yaml || fail "template lacks '$key'"
done
# the template's values are the defaults
"$ATTESTA" config check --json attesta.yaml >"$work/t.json"
(cd "$work/.." && "$ATTESTA" config check --json "$DATA/good/empty.yaml") >"$work/d.json"
sed -e '/"file":/d' -e '/"defaults":/d' "$work/t.json" >"$work/t2.json"
sed -e '/"file":/d' -e '/"defaults":/d' "$work/d.json" >"$work/d2.json"
cmp -s "$work/t2.json" "$work/d2.json" || fail "template differs from the defaults: $(diff "$work/t2.json" "$work/d2.json" | head -20)"

# init refuses to overwrite without --force, keeps the file
echo "policy: {fail_mode: allow}" >attesta.yaml
run 1 "$ATTESTA" init
expect_err "already exists"
grep -q "fail_mode: allow" attesta.yaml || fail "init without --force changed the file"
run 0 "$ATTESTA" init --force
grep -q "fail_mode: deny" attesta.yaml || fail "init --force did not replace the file"
[ -z "$(ls -A | grep -v '^attesta.yaml$' | grep -v '^out$' | grep -v '^err' | grep -v json | grep -v badfail)" ] ||
	fail "init left files behind: $(ls -A)"

# -c FILE and a symlink at the target
run 0 "$ATTESTA" init -c sub.yaml
run 0 "$ATTESTA" config check -c sub.yaml
ln -s /nonexistent/target link.yaml
run 1 "$ATTESTA" init link.yaml
expect_err "already exists"
run 2 "$ATTESTA" init --bogus
run 2 "$ATTESTA" init a.yaml b.yaml
run 0 "$ATTESTA" init --help
expect_out "usage: attesta init"

if [ "$failures" -ne 0 ]; then
	echo "config_cli: $failures failure(s)"
	exit 1
fi
echo "config_cli: ok"
exit 0
