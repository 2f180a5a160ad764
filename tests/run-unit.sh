#!/bin/sh
# Run the given cmocka binaries; exit non-zero if any fails.
set -u
rc=0
for t in "$@"; do "$t" || rc=1; done
exit $rc
