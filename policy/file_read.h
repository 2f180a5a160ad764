/*
 * The one bounded whole-file reader of the project (docs/ARCHITECTURE.md,
 * "Module map"): every file attesta reads whole (config, profiles, the
 * trust store, the registry, bundles and keys, the audit head and HMAC
 * key) goes through it, so the cap on untrusted input is enforced in one
 * place. The file is read to its end with the cap enforced while reading
 * (the file may grow after fstat, and /proc files report size 0); the
 * buffer is always NUL-terminated.
 *
 * Errors, as -errno: open/fstat/read errors; -EISDIR for a directory;
 * -EINVAL for anything but a regular file unless POL_READ_ANY_TYPE;
 * -EFBIG when the file holds more than `cap` bytes; -ENOMEM.
 * Callers word their own messages (pol_file_read_strerror for the last
 * three).
 */
#ifndef ATTESTA_FILE_READ_H
#define ATTESTA_FILE_READ_H

#include <stddef.h>

enum {
	POL_READ_ANY_TYPE = 1 << 0, /* also pipes, character devices (--config /dev/stdin) */
};

/* Read from an open descriptor (not closed here). */
int pol_file_read_fd(int fd, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len);

/* Open `path` (O_RDONLY | O_CLOEXEC | O_NOCTTY) and read it whole. */
int pol_file_read(const char *path, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len);

/* A short phrase for an error of the two above ("larger than its size
 * limit", "not a regular file", or strerror), for "cannot read X: %s". */
const char *pol_file_read_strerror(int r);

#endif
