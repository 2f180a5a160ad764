/*
 * File-removal hooks of libattesta-preload.so: unlink, unlinkat, rmdir and
 * remove. They exist for the shim-only mode only (ATTESTA_SHIM_MODE=gate):
 * there each asks the supervisor before the real call and fails with the
 * verdict's errno when denied. In annotation mode they pass straight
 * through without a message (the seccomp gate sees the real syscalls, and
 * `rm -r` of a large tree should not pay for a message per file).
 *
 * Trust: the path pointer is the program's; it is passed to the
 * supervisor as an address in our memory, which the supervisor reads
 * itself, exactly as for a seccomp notification.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

typedef int (*path_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);

static int ask(uint8_t entry, long nr, uint64_t a0, uint64_t a1, uint64_t a2, const char *path)
{
	const uint64_t args[6] = { a0, a1, a2, 0, 0, 0 };

	return shim_gate_ask(entry, nr, args, path);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

SHIM_EXPORT int unlink(const char *path)
{
	path_fn real = (path_fn)shim_real(SHIM_SYM_UNLINK);
	int err;

	if (real == NULL)
		return fail(ENOSYS);
	if (shim_gate_on() &&
	    (err = ask(SHIM_ENTRY_UNLINK, SYS_unlink, (uint64_t)(uintptr_t)path, 0, 0, path)) != 0)
		return fail(err);
	return real(path);
}

SHIM_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	unlinkat_fn real = (unlinkat_fn)shim_real(SHIM_SYM_UNLINKAT);
	int err;

	if (real == NULL)
		return fail(ENOSYS);
	if (shim_gate_on() &&
	    (err = ask(SHIM_ENTRY_UNLINKAT, SYS_unlinkat, (uint64_t)(int64_t)dirfd,
		       (uint64_t)(uintptr_t)path, (uint64_t)(unsigned)flags, path)) != 0)
		return fail(err);
	return real(dirfd, path, flags);
}

SHIM_EXPORT int rmdir(const char *path)
{
	path_fn real = (path_fn)shim_real(SHIM_SYM_RMDIR);
	int err;

	if (real == NULL)
		return fail(ENOSYS);
	if (shim_gate_on() &&
	    (err = ask(SHIM_ENTRY_RMDIR, SYS_rmdir, (uint64_t)(uintptr_t)path, 0, 0, path)) != 0)
		return fail(err);
	return real(path);
}

/* glibc's remove calls its internal unlinkat, which we cannot see: in
 * shim-only mode do what it does (unlink, then rmdir on EISDIR), asking
 * before each step and making the calls ourselves. */
SHIM_EXPORT int remove(const char *path)
{
	path_fn real = (path_fn)shim_real(SHIM_SYM_REMOVE);
	int err;

	if (real == NULL)
		return fail(ENOSYS);
	if (!shim_gate_on())
		return real(path);
	err = ask(SHIM_ENTRY_REMOVE, SYS_unlink, (uint64_t)(uintptr_t)path, 0, 0, path);
	if (err == 0) {
		if (syscall(SYS_unlink, path) == 0)
			return 0;
		if (errno != EISDIR)
			return -1;
	} else if (err != EISDIR) {
		return fail(err);
	}
	err = ask(SHIM_ENTRY_REMOVE, SYS_rmdir, (uint64_t)(uintptr_t)path, 0, 0, path);
	if (err != 0)
		return fail(err);
	return (int)syscall(SYS_rmdir, path);
}
