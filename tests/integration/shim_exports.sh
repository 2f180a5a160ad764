#!/bin/sh
# libattesta-preload.so exports nothing but its hooks and depends on libc
# only (docs/ARCHITECTURE.md, issue 7): a symbol leaking out of the shim could
# interpose on the agent's own functions.
set -u
BUILD=${BUILD:-build}
lib=$BUILD/libattesta-preload.so
[ -f "$lib" ] || { echo "skip: $lib not built"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "skip: nm not installed"; exit 77; }

want="connect execl execle execlp execv execve execvp execvpe getaddrinfo gethostbyname gethostbyname2 gethostbyname2_r gethostbyname_r popen posix_spawn posix_spawnp remove rmdir sendmsg sendto system unlink unlinkat"
got=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$got" != "$want" ]; then
	echo "FAIL: exported symbols differ"
	echo "  want: $want"
	echo "  got:  $got"
	exit 1
fi
# Sanitizer builds (make asan) add their runtimes; nothing else may appear.
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//')
for so in $needed; do
	case "$so" in
	libc.so.6 | libdl.so.2 | libasan.so.* | libubsan.so.*) ;;
	*) echo "FAIL: shim needs more than libc: $needed"; exit 1 ;;
	esac
done
echo "ok: shim exports exactly its 24 hooks, needs only: $needed"
