/*
 * A log file's bytes for the readers (pol_audit_read, pol_audit_verify):
 * the file mapped, or, for a gzip-compressed rotated log (logrotate's
 * `compress`: the first bytes are gzip's magic, whatever the name), its
 * content inflated into memory (docs/audit.md "Rotation"). Private to the
 * policy library.
 */
#ifndef ATTESTA_AUDIT_MAP_H
#define ATTESTA_AUDIT_MAP_H

#include <stddef.h>
#include <sys/stat.h>

/* The most a compressed log may inflate to: a bound on memory for a
 * file that is untrusted input (a small "gzip bomb" must not take the
 * machine's memory). */
#define POL_AUDIT_MAX_INFLATED ((size_t)1 << 32)

struct audit_map {
	const char *data; /* NULL for an empty file */
	size_t len;
	void *mapped;     /* internal */
	size_t mapped_len;
	char *heap;
};

/* fd is open on a regular file described by st. 0, or -errno (-EBADMSG:
 * not a valid gzip stream; -EFBIG: over POL_AUDIT_MAX_INFLATED). */
int audit_map_open(int fd, const struct stat *st, struct audit_map *m);
void audit_map_close(struct audit_map *m);

#endif
