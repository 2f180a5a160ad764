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

# every seed and good fixture checks ok, by argument and by -c, but for
# the two that load and that attesta-run refuses: they are refused first
sed 's/^  mode: enforce$/  mode: off/' "$DATA/good/full.yaml" > "$work/full-off.yaml"
run 1 "$ATTESTA" config check "$DATA/good/domain-string.yaml"
expect_err "domain-string.yaml:1:9: domain profile 'my-domain' not found"
for f in "$DATA"/seeds/*.yaml "$DATA"/good/*.yaml "$SRC"/examples/attesta.yaml; do
	case $f in */good/domain-string.yaml) continue ;; esac
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
run 0 "$ATTESTA" config check --json "$work/full-off.yaml"
expect_out '"ok":	true'
expect_out '"fail_mode":	"escalate"'
run 1 "$ATTESTA" config check --json "$DATA/bad/duplicate-key.yaml"
expect_out '"line":	3'
expect_out '"column":	3'
expect_err "duplicate key 'timeout_seconds'"
if command -v python3 >/dev/null 2>&1; then
	"$ATTESTA" config check --json "$work/full-off.yaml" |
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
[ -z "$(ls -A | grep -v '^attesta.yaml$' | grep -v '^out$' | grep -v '^err' | grep -v json | grep -v badfail | grep -v full-off.yaml)" ] ||
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


# config check is the authority: what attesta-run refuses after loading,
# config check refuses first, with FILE:LINE:COLUMN; attesta-run refuses
# the same files (exit 125, nothing run)
RUN=$(dirname "$ATTESTA")/attesta-run
mkdir -p authority && cd authority || exit 1
printf 'policy:\n  fail_mode: deny\ndomain: [nosuch_domain]\n' > dom.yaml
printf 'gate:\n  renderer: none\n  approval_group: no_such_group_xyz\n' > grp.yaml
for f in dom.yaml:3:9 grp.yaml:3:19; do
	file=${f%%:*}
	run 1 "$ATTESTA" config check "$file"
	expect_err "attesta: $f: "
	run 1 "$ATTESTA" config check --json "$file"
	[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["line"] > 0)' "$work/out")" = "False True" ] ||
		fail "--json of $file: $(cat "$work/out")"
	if [ -x "$RUN" ]; then
		rm -f ran
		"$RUN" -c "$file" --renderer none -- /bin/touch ran >"$work/out" 2>"$work/err"
		rc=$?
		[ "$rc" -eq 125 ] && [ ! -e ran ] || fail "attesta-run accepted $file (exit $rc)"
	fi
done

# probable mistakes: warnings with a location, and the file still passes
printf 'gate:\n  environment: producton\n' > env.yaml
run 0 "$ATTESTA" config check env.yaml
expect_out "env.yaml: ok"
expect_err "env.yaml:2:16: warning: unknown environment 'producton'"
expect_err "did you mean 'production'?"
printf 'gate:\n  environment: qa-eu\n' > env2.yaml
run 0 "$ATTESTA" config check env2.yaml
expect_err "known: development, staging, ci, production"
printf 'gate:\n  environment: Production\n' > env3.yaml
run 0 "$ATTESTA" config check env3.yaml
[ ! -s "$work/err" ] || fail "a known environment in another case warned: $(cat "$work/err")"
cat > amp.yaml <<'YAML'
risk:
  amplifiers:
    - pattern: "deploy"
      boost: 0.2
    - pattern: "prod"
      boost: 0.1
      target: any
YAML
run 0 "$ATTESTA" config check amp.yaml
expect_err "amp.yaml:3:7: warning: 'risk.amplifiers[0]' has no 'target'"
expect_err "matched against the program / function name only"
[ "$(grep -c warning "$work/err")" = 1 ] || fail "an amplifier with a target warned: $(cat "$work/err")"
run 0 "$ATTESTA" config check --json amp.yaml
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["warnings"]))' "$work/out")" = 1 ] ||
	fail "--json warnings: $(cat "$work/out")"
# the reference behaviour is kept: a name-only amplifier boosts by name
if [ -x "$ATTESTA" ]; then
	a=$("$ATTESTA" score -c amp.yaml --json exec deploy-tool 2>/dev/null | python3 -c 'import json,sys; print([f["name"] for f in json.load(sys.stdin)["factors"]].count("amplifier"))')
	[ "$a" = 1 ] || fail "name-only amplifier did not match the name"
fi
cd "$work" || exit 1

# audit shipping keys (docs/audit.md "Shipping to PostgreSQL"): checked with positions
printf 'audit:\n  ship: yes please\n' > ship1.yaml
run 1 "$ATTESTA" config check ship1.yaml
expect_err "ship1.yaml:2:9: 'audit.ship' must be true or false"
printf 'audit:\n  ship: true\n  ship_batch: 9000\n' > ship2.yaml
run 1 "$ATTESTA" config check ship2.yaml
expect_err "ship2.yaml:3:15: 'audit.ship_batch' is out of range"
printf 'audit:\n  ship: true\n  ship_batch: 500\n  ship_interval_ms: 5\n' > ship3.yaml
run 1 "$ATTESTA" config check ship3.yaml
expect_err "ship3.yaml:4:21: 'audit.ship_interval_ms' is out of range"
printf 'audit:\n  ship: true\n  ship_batch: 500\n  ship_interval_ms: 250\n' > ship4.yaml
run 0 "$ATTESTA" config check ship4.yaml

if [ "$failures" -ne 0 ]; then
	echo "config_cli: $failures failure(s)"
	exit 1
fi
echo "config_cli: ok"
exit 0
