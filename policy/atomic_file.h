/*
 * Whole-file replacement that a crash cannot tear: the bytes go to a new
 * temporary file in the target's directory (O_CREAT | O_EXCL | O_CLOEXEC |
 * O_NOFOLLOW, so never through a planted link), which is synced and then
 * renamed over the target, and the directory is synced so the rename
 * itself survives a crash. A reader sees the old file or the new one,
 * never a mix. Used by the trust store, the enrollment registry, the audit
 * head file, `attesta init` and `attesta bundle pack`; also mkdir -p of
 * a file's private parent directories.
 *
 * Thread-safety: safe to call from several threads and processes at once
 * (each call has its own randomly named temporary file); concurrent
 * writers of the same target race, and the last rename wins.
 */
#ifndef ATTESTA_ATOMIC_FILE_H
#define ATTESTA_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "diag.h"

/* Flags of pol_file_write_atomic(). The default is: file mode exactly
 * `mode` (umask ignored), fsync of the file, rename over the target,
 * fsync of the directory. */
enum {
	POL_FILE_NEWLINE = 1 << 0,     /* write "\n" after the data */
	POL_FILE_DATASYNC = 1 << 1,    /* fdatasync() the file instead of fsync() */
	POL_FILE_NO_DIR_SYNC = 1 << 2, /* do not fsync the directory after the rename */
	POL_FILE_NO_REPLACE = 1 << 3,  /* link() instead of rename(): never replace an
					* existing target (-EEXIST) */
	POL_FILE_UMASK = 1 << 4,       /* create with mode & ~umask (no fchmod) */
};

/* Replace (or create) path with len bytes of data, mode `mode`.
 *
 * Returns 0, or -errno: -ENAMETOOLONG (path too long for the temporary
 * name), -EEXIST (POL_FILE_NO_REPLACE and path exists), or what
 * open/write/fsync/rename/link reported. On any failure before the
 * rename the temporary file is removed and path is untouched; a failure
 * of the directory fsync is reported after path has been replaced.
 *
 * If what and diag are both given, a failure also fills diag (file =
 * path) with one of: "<what> path is too long", "cannot create temporary
 * file in 'DIR': ERR", "cannot write <what>: ERR", "cannot sync directory
 * 'DIR': ERR". The directory must exist: no directories are created. */
int pol_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  unsigned flags, const char *what, struct pol_diag *diag);

/* mkdir -p of path's parent directory; new directories get mode 0700
 * (private: other local users must not be able to swap files in them).
 * 0 or -errno; on failure diag (may be NULL) names the directory:
 * "cannot create directory: ERR". */
int pol_file_make_parents(const char *path, struct pol_diag *diag);

/* write() all of buf to fd, retrying on EINTR and short writes.
 * 0 or -errno. */
int pol_file_write_all(int fd, const void *buf, size_t len);

#endif
