#!/bin/sh
# The supervisor's host name verification with its real resolver threads
# (tests/tools/run_hostverify.c): the bounded wait for a first resolution,
# answers served from the cache, the cap on pending names, and the real
# getaddrinfo for localhost.
set -u
BUILD=${BUILD:-build}
tool=$BUILD/tools/run_hostverify
[ -x "$tool" ] || { echo "skip: $tool not built"; exit 77; }
out=$("$tool" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] && [ "$out" = ok ]
