#!/bin/sh
# House rules the compiler cannot enforce (STYLE.md): no unbounded string
# calls, no system()/popen() in the product, every open descriptor CLOEXEC is
# reviewed by hand. Prints offending lines and exits 1.
set -u
bad=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|system|popen|tmpnam|mktemp)[[:space:]]*\(' \
	policy/*.c policy/*.h supervisor/*/*.c supervisor/*/*.h preload/*.c preload/*.h 2>/dev/null \
	| grep -v 'lint: allow' \
	| grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$bad" ]; then
	echo "lint: banned calls (STYLE.md):"
	echo "$bad"
	exit 1
fi
exit 0
