#!/bin/sh
# Audit log benchmark (docs/BENCHMARKS.md, "Audit log"):
#  - `attesta audit verify` throughput in entries per second on a log of
#    $ENTRIES entries written by tests/tools/audit_writer (best of 3 runs);
#  - writer start-up (pol_audit_open) on an empty log and on a log of
#    about 1 GB (copies of that log; start-up only reads the tail);
#  - the cost of one append with audit.sync off / tiered-auto / deny.
# Needs $BUILD/attesta and $BUILD/tools/audit_writer (make all).
set -eu
B=${BUILD:-build}
ATTESTA=$B/attesta
WRITER=$B/tools/audit_writer
ENTRIES=${ENTRIES:-300000}
GB_COPIES=${GB_COPIES:-}
[ -x "$ATTESTA" ] && [ -x "$WRITER" ] || { echo "bench-audit: build $ATTESTA and $WRITER first" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-audit.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }

echo "audit log benchmark ($(nproc) CPUs, $(uname -r))"
"$WRITER" -s off "$T/log.jsonl" "$ENTRIES" >/dev/null
bytes=$(stat -c %s "$T/log.jsonl")
echo "log: $ENTRIES entries, $bytes bytes ($((bytes / ENTRIES)) bytes/entry)"

best=
for run in 1 2 3; do
	t0=$(now)
	"$ATTESTA" audit verify --log "$T/log.jsonl" >/dev/null
	t1=$(now)
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
	if [ -z "$best" ] || awk -v e="$el" -v b="$best" 'BEGIN { exit !(e < b) }'; then best=$el; fi
done
rate=$(awk -v n="$ENTRIES" -v t="$best" 'BEGIN { printf "%.0f", n / t }')
printf 'verify: %.3f s for %d entries = %.0f entries/s (best of 3; target >= 200000)\n' \
	"$best" "$ENTRIES" "$rate"

# start-up: empty log vs ~1 GB log (median of 5 opens each)
open_us() {
	for i in 1 2 3 4 5; do
		"$WRITER" -T -s off "$1" 0 2>&1 >/dev/null | sed -n 's/open_us=\([0-9]*\).*/\1/p'
	done | sort -n | sed -n 3p
}
empty_us=$(open_us "$T/empty.jsonl")
"$WRITER" -s off "$T/one.jsonl" 1 >/dev/null
one_us=$(open_us "$T/one.jsonl")
copies=${GB_COPIES:-$(( (1073741824 + bytes - 1) / bytes ))}
i=0
while [ $i -lt "$copies" ]; do cat "$T/log.jsonl"; i=$((i + 1)); done > "$T/big.jsonl"
rm -f "$T/log.jsonl.head" "$T/big.jsonl.head"
big=$(stat -c %s "$T/big.jsonl")
big_us=$(open_us "$T/big.jsonl")
echo "writer start-up (pol_audit_open, median of 5): empty log ${empty_us} us, 1-entry log ${one_us} us, $big-byte log ${big_us} us"
rm -f "$T/big.jsonl"

# append cost (includes building the cJSON entry in the tool)
for mode in "off auto" "tiered auto" "tiered deny" "always auto"; do
	set -- $mode
	rm -f "$T/a.jsonl" "$T/a.jsonl.head"
	n=20000; [ "$2" = deny ] || [ "$1" = always ] && n=2000
	us=$("$WRITER" -T -s "$1" -k "$2" "$T/a.jsonl" $n 2>&1 >/dev/null | sed -n 's/.*append_us=\([0-9.]*\).*/\1/p')
	echo "append: audit.sync=$1 kind=$2: ${us} us per entry ($n entries)"
done
