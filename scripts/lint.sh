#!/bin/sh
# House rules the compiler cannot enforce (docs/ARCHITECTURE.md): no unbounded string
# calls, no system()/popen() in the product, every open descriptor CLOEXEC is
# reviewed by hand, no cycle of calls among the supervisor's files. Prints
# offending lines and exits 1.
set -u
bad=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|system|popen|tmpnam|mktemp)[[:space:]]*\(' \
	policy/*.c policy/*.h supervisor/*/*.c supervisor/*/*.h preload/*.c preload/*.h 2>/dev/null \
	| grep -v 'lint: allow' \
	| grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$bad" ]; then
	echo "lint: banned calls (docs/ARCHITECTURE.md):"
	echo "$bad"
	exit 1
fi
outside=$(git ls-files 2>/dev/null | grep -vE '^(tests/data/|scripts/lint\.sh$)' |
	xargs grep -nE 'DESIGN(\.md| §|\x27s)|STYLE\.md|\.\./shared/(DESIGN|STYLE)' 2>/dev/null || true)
if [ -n "$outside" ]; then
	echo "lint: a citation of a document outside the repository (cite docs/*.md):"
	echo "$outside"
	exit 1
fi
# The supervisor's files call in one direction (docs/ARCHITECTURE.md,
# "Module map"): decide never calls back into the loop or the audit.
cycles=$(sh scripts/callgraph.sh supervisor/run)
if [ -n "$cycles" ]; then
	echo "lint: a cycle of calls among supervisor/run files (scripts/callgraph.sh):"
	echo "$cycles"
	exit 1
fi
exit 0
