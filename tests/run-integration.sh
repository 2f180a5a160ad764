#!/bin/sh
# Run the integration and adversarial scripts only.
set -u
rc=0
for t in tests/integration/*.sh tests/adversarial/*.sh; do
	[ -f "$t" ] || continue
	sh "$t" || { r=$?; [ $r -eq 77 ] || { echo "FAIL $t"; rc=1; }; }
done
exit $rc
