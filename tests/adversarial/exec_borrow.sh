#!/bin/bash
# Borrowing a trusted program's lower risk by its name (docs/scoring.md,
# "Overrides and the name the user types"; issue 18 item 1). The policy
# says `python3: low`, and an amplifier makes any program run with the
# word BORROW HIGH (renderer none: denied). The agent then runs
# adv_marker (the forbidden program: it writes $ADV_MARKER if its code
# runs) with BORROW under the name python3 in five ways:
#   1. an agent-made symlink  bin1/python3 -> tool
#   2. an agent-made copy     bin2/python3
#   3. a link in a directory the agent can write (made before the
#      session, mode 0777): wdir/python3 -> /usr/bin/python3 running
#      code that writes the marker
#   4. an agent-made hard link bin4/python3 of its own copy
#   5. an agent-written shim  bin5/python3 = "exec tool BORROW"
# Natively each one runs (negative control). Under the gate a lowering
# override applies only to a program reached through links the agent
# cannot change, so each stays HIGH and is denied: no marker, the files
# stay, and each refusal is in the audit log with the refused override
# named. On the code before the typed-name rule, 2 and 4 borrow `low`
# by the copy's own name and run.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 needed"

RULES="$RULES
    - pattern: \"BORROW\"
      target: args
      boost: 0.6"
RULES=$(printf '%s\n' "$RULES" | sed 's/^  overrides:$/  overrides:\n    python3: low\n    bash: low/')
write_config
cp "$ADV/adv_marker" "$WS/marker-src"
mkdir "$WS/wdir" && chmod 0777 "$WS/wdir"
ln -s /usr/bin/python3 "$WS/wdir/python3"

# the agent's script: makes its files, then runs each one with BORROW
cat >"$WS/attack.sh" <<'SH'
w=BOR; w=${w}ROW
cp marker-src tool
mkdir -p bin1 bin2 bin4 bin5
ln -sf "$PWD/tool" bin1/python3
cp tool bin2/python3
cp tool tool4; ln -f tool4 bin4/python3
printf '#!/bin/sh\nexec %s/tool "$@"\n' "$PWD" >bin5/python3; chmod 755 bin5/python3
for b in bin1 bin2 bin4 bin5; do "$PWD/$b/python3" "$w" "$b"; echo "RESULT $b rc=$?"; done
"$PWD/wdir/python3" -c 'import os; open(os.environ["ADV_MARKER"], "a").write("wdir\n")' "$w"
echo "RESULT wdir rc=$?"
SH

native bash attack.sh
for b in bin1 bin2 bin4 /tool wdir; do
	grep -q "$b" "$ADV_MARKER" 2>/dev/null || fail "negative control: $b did not run natively ($(cat "$WS/native.out"))"
done
rm -rf "$ADV_MARKER" "$WS"/bin? "$WS/tool" "$WS/tool4"

gate bash attack.sh
expect_no_marker "a program named python3 borrowed python3's override"
for b in bin1 bin2 bin4 bin5 wdir; do
	grep -q "RESULT $b rc=0" "$WS/out" && fail "$b ran under the gate"
done
for b in bin1 bin2 bin4; do
	expect_audit_min 1 'e["action_class"] == "exec" and e["verdict"] == "denied" and "'"$b"'" in " ".join(e["argv"])' "$b refused"
done
expect_audit_min 1 'e["action_class"] == "exec" and e["verdict"] == "denied" and "wdir" in (e["argv"][0] or "")' "wdir refused"
expect_audit_min 1 'e["action_class"] == "exec" and e["verdict"] == "denied" and "bin5" in " ".join(e["argv"])' "the agent's shim refused"
expect_audit_min 3 'e["action_class"] == "exec" and any("python3" in f["description"] and "not applied" in f["description"] for f in e["factors"])' "the refused override is named"
pass "no symlink, copy, hard link, writable directory or shim named python3 borrows 'python3: low'"
