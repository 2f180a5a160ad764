/*
 * The bounded ustar subset used by bundles (bundle_tar.c): a writer that
 * appends regular-file entries to a growable buffer, and a strict reader.
 * Internal to policy/ (and its unit tests, which craft hostile archives
 * with bundle_tar_add_raw()).
 */
#ifndef ATTESTA_BUNDLE_TAR_H
#define ATTESTA_BUNDLE_TAR_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define BUNDLE_TAR_BLOCK 512

struct bundle_buf {
	char *data;
	size_t len;
	size_t cap;
};
int bundle_buf_append(struct bundle_buf *buf, const void *bytes, size_t len);
void bundle_buf_release(struct bundle_buf *buf);

/* Append one regular file (type '0', mode 0644, uid/gid 0). -EINVAL if
 * name is not a valid member name (bundle_tar_name_valid). */
int bundle_tar_add(struct bundle_buf *out, const char *name, const void *data, size_t len,
		   long long mtime);
/* Append any header: used by tests to build what the reader must refuse
 * (links, traversal, oversized sizes). name and linkname are copied as
 * they are (truncated to the field); size is written as given. */
int bundle_tar_add_raw(struct bundle_buf *out, const char *name, char typeflag,
		       const char *linkname, unsigned long long size, const void *data,
		       size_t len);
/* The end-of-archive marker: two zero blocks. */
int bundle_tar_finish(struct bundle_buf *out);

/* Member names: 1..POL_BUNDLE_MAX_NAME bytes of [A-Za-z0-9._-/], relative,
 * no empty, "." or ".." component. */
bool bundle_tar_name_valid(const char *name);

struct bundle_tar_entry {
	char name[BUNDLE_TAR_BLOCK]; /* NUL-terminated */
	const char *data;            /* points into the archive buffer */
	size_t len;
};

/* Read every member of buf. Rejects the whole archive (-EINVAL, diag
 * names source and the member) on: bad checksum or magic, non-regular
 * types, ustar prefix, invalid or duplicate names, sizes over
 * POL_BUNDLE_MAX_FILE_BYTES, more than POL_BUNDLE_MAX_FILES members,
 * truncation, non-zero padding or trailing data. *ret_entries is malloc'd
 * and points into buf. */
int bundle_tar_read(const char *source, const char *buf, size_t len,
		    struct bundle_tar_entry **ret_entries, size_t *ret_n, struct pol_diag *diag);

#endif
