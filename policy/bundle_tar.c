/*
 * A small, strict ustar reader and writer for signed bundles. Why not
 * libarchive: a bundle is an archive we write ourselves, and everything
 * libarchive adds (dozens of formats, links, sparse files, pax and GNU
 * extensions, compression) is attack surface we would then have to turn
 * off one flag at a time; ~250 lines that accept exactly what `attesta
 * bundle pack` writes are easier to audit. Trust: the reader takes
 * attacker-controlled bytes (a bundle downloaded from anywhere); it is
 * bounded by its length argument and the caps in pol_limits.h, checks
 * each header completely before using any field, never creates files, and
 * rejects the whole archive on the first problem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_tar.h"
#include "pol_limits.h"

/* ustar header field offsets and widths (POSIX.1-1988). */
enum {
	F_NAME = 0, W_NAME = 100,
	F_MODE = 100, W_MODE = 8,
	F_UID = 108, W_UID = 8,
	F_GID = 116, W_GID = 8,
	F_SIZE = 124, W_SIZE = 12,
	F_MTIME = 136, W_MTIME = 12,
	F_CHKSUM = 148, W_CHKSUM = 8,
	F_TYPE = 156,
	F_LINK = 157, W_LINK = 100,
	F_MAGIC = 257, /* "ustar\0" then version "00" */
	F_PREFIX = 345, W_PREFIX = 155,
};

int bundle_buf_append(struct bundle_buf *buf, const void *bytes, size_t len)
{
	if (len > POL_BUNDLE_MAX_BYTES || buf->len > POL_BUNDLE_MAX_BYTES - len)
		return -EFBIG;
	if (buf->len + len > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 4096;
		char *grown;
		while (cap < buf->len + len)
			cap *= 2;
		grown = realloc(buf->data, cap);
		if (!grown)
			return -ENOMEM;
		buf->data = grown;
		buf->cap = cap;
	}
	if (len)
		memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	return 0;
}

void bundle_buf_release(struct bundle_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

bool bundle_tar_name_valid(const char *name)
{
	size_t n = strnlen(name, POL_BUNDLE_MAX_NAME + 1), start = 0;

	if (n == 0 || n > POL_BUNDLE_MAX_NAME)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = name[i];
		if (c == '/' || c == '\0') {
			size_t len = i - start;
			/* SECURITY: empty ("/x", "a//b", "a/"), "." and ".."
			 * components are how an archive names a file outside
			 * the place it is unpacked to; refuse them all. */
			if (len == 0 || (len == 1 && name[start] == '.') ||
			    (len == 2 && name[start] == '.' && name[start + 1] == '.'))
				return false;
			start = i + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void put_octal(unsigned char *field, size_t width, unsigned long long value)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), value);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

static unsigned checksum(const unsigned char *h)
{
	unsigned sum = 0;

	for (size_t i = 0; i < BUNDLE_TAR_BLOCK; i++)
		sum += (i >= F_CHKSUM && i < F_CHKSUM + W_CHKSUM) ? ' ' : h[i];
	return sum;
}

int bundle_tar_add_raw(struct bundle_buf *out, const char *name, char typeflag,
		       const char *linkname, unsigned long long size, const void *data,
		       size_t len)
{
	unsigned char h[BUNDLE_TAR_BLOCK] = { 0 };
	static const unsigned char zeros[BUNDLE_TAR_BLOCK];
	char sum[8];
	int r;

	memcpy(h + F_NAME, name, strnlen(name, W_NAME));
	put_octal(h + F_MODE, W_MODE, 0644);
	put_octal(h + F_UID, W_UID, 0);
	put_octal(h + F_GID, W_GID, 0);
	put_octal(h + F_SIZE, W_SIZE, size);
	put_octal(h + F_MTIME, W_MTIME, 0);
	h[F_TYPE] = (unsigned char)typeflag;
	if (linkname)
		memcpy(h + F_LINK, linkname, strnlen(linkname, W_LINK));
	memcpy(h + F_MAGIC, "ustar\0" "00", 8);
	snprintf(sum, sizeof(sum), "%06o", checksum(h));
	memcpy(h + F_CHKSUM, sum, 6);
	h[F_CHKSUM + 6] = '\0';
	h[F_CHKSUM + 7] = ' ';
	r = bundle_buf_append(out, h, sizeof(h));
	if (r == 0)
		r = bundle_buf_append(out, data, len);
	if (r == 0 && len % BUNDLE_TAR_BLOCK)
		r = bundle_buf_append(out, zeros, BUNDLE_TAR_BLOCK - len % BUNDLE_TAR_BLOCK);
	return r;
}

int bundle_tar_add(struct bundle_buf *out, const char *name, const void *data, size_t len,
		   long long mtime)
{
	size_t start = out->len;
	int r;

	if (!bundle_tar_name_valid(name) || len > POL_BUNDLE_MAX_FILE_BYTES)
		return -EINVAL;
	r = bundle_tar_add_raw(out, name, '0', NULL, len, data, len);
	if (r == 0 && mtime > 0) {
		/* Stamp the real mtime and recompute the checksum. */
		unsigned char *h = (unsigned char *)out->data + start;
		char sum[8];
		put_octal(h + F_MTIME, W_MTIME, (unsigned long long)mtime);
		snprintf(sum, sizeof(sum), "%06o", checksum(h));
		memcpy(h + F_CHKSUM, sum, 6);
	}
	return r;
}

int bundle_tar_finish(struct bundle_buf *out)
{
	static const unsigned char zeros[2 * BUNDLE_TAR_BLOCK];

	return bundle_buf_append(out, zeros, sizeof(zeros));
}

/* A numeric field: octal digits, then NUL/space terminators only. */
static int get_octal(const unsigned char *field, size_t width, unsigned long long *ret)
{
	unsigned long long v = 0;
	size_t i = 0, digits = 0;

	while (i < width && field[i] == ' ')
		i++;
	for (; i < width && field[i] >= '0' && field[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return -EINVAL;
		v = v * 8 + (unsigned)(field[i] - '0');
	}
	for (; i < width; i++)
		if (field[i] != '\0' && field[i] != ' ')
			return -EINVAL;
	if (!digits)
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int bundle_tar_read(const char *source, const char *buf, size_t len,
		    struct bundle_tar_entry **ret_entries, size_t *ret_n, struct pol_diag *diag)
{
	struct bundle_tar_entry *entries = NULL;
	size_t n = 0, off = 0;
	bool ended = false;
	int r = 0;

	if (len > POL_BUNDLE_MAX_BYTES) {
		pol_diag_set(diag, source, 0, 0, "bundle is larger than %d bytes",
			     POL_BUNDLE_MAX_BYTES);
		return -EFBIG;
	}
	if (len % BUNDLE_TAR_BLOCK)
		return pol_diag_set(diag, source, 0, 0,
				    "not a bundle: size is not a multiple of 512 bytes");
	entries = calloc(POL_BUNDLE_MAX_FILES, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	while (off < len) {
		const unsigned char *h = (const unsigned char *)buf + off;
		struct bundle_tar_entry *e;
		unsigned long long size, field;
		char name[W_NAME + 1];

		if (all_zero(buf + off, BUNDLE_TAR_BLOCK)) {
			/* End of archive: two zero blocks, then only zeros
			 * (tar pads to its record size). */
			if (off + 2 * BUNDLE_TAR_BLOCK > len ||
			    !all_zero(buf + off, len - off)) {
				r = pol_diag_set(diag, source, 0, 0,
						 "not a bundle: data after the end-of-archive marker");
				goto out;
			}
			ended = true;
			break;
		}
		if (memcmp(h + F_MAGIC, "ustar\0" "00", 8)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "not a bundle: member at offset %zu is not a ustar header", off);
			goto out;
		}
		if (get_octal(h + F_CHKSUM, W_CHKSUM, &field) < 0 || field != checksum(h)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "not a bundle: bad header checksum at offset %zu", off);
			goto out;
		}
		memcpy(name, h + F_NAME, W_NAME);
		name[W_NAME] = '\0';
		if (h[F_TYPE] != '0' && h[F_TYPE] != '\0') {
			/* SECURITY: links, devices, directories and extension
			 * headers (pax 'x', GNU 'L') are how archives smuggle
			 * paths; a bundle only ever holds plain files. */
			r = pol_diag_set(diag, source, 0, 0,
					 "member '%.99s' is not a regular file (type '%c')", name,
					 h[F_TYPE] >= 0x20 && h[F_TYPE] < 0x7f ? h[F_TYPE] : '?');
			goto out;
		}
		if (!all_zero((const char *)h + F_PREFIX, W_PREFIX) ||
		    !all_zero((const char *)h + F_LINK, W_LINK)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "member '%.99s' uses a ustar prefix or link name", name);
			goto out;
		}
		if (memchr(h + F_NAME, '\0', W_NAME) == NULL || !bundle_tar_name_valid(name)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "member '%.99s' has an invalid name (relative, [A-Za-z0-9._-/], no '.' or '..')",
					 name);
			goto out;
		}
		if (get_octal(h + F_MODE, W_MODE, &field) < 0 ||
		    get_octal(h + F_SIZE, W_SIZE, &size) < 0 ||
		    get_octal(h + F_MTIME, W_MTIME, &field) < 0) {
			r = pol_diag_set(diag, source, 0, 0, "member '%s' has a bad numeric field", name);
			goto out;
		}
		if (size > POL_BUNDLE_MAX_FILE_BYTES) {
			r = pol_diag_set(diag, source, 0, 0, "member '%s' is larger than %d bytes", name,
					 POL_BUNDLE_MAX_FILE_BYTES);
			goto out;
		}
		if (n >= POL_BUNDLE_MAX_FILES) {
			r = pol_diag_set(diag, source, 0, 0, "bundle has more than %d members",
					 POL_BUNDLE_MAX_FILES);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(entries[i].name, name)) {
				r = pol_diag_set(diag, source, 0, 0, "member '%s' appears twice", name);
				goto out;
			}
		}
		off += BUNDLE_TAR_BLOCK;
		{
			size_t padded = ((size_t)size + BUNDLE_TAR_BLOCK - 1) / BUNDLE_TAR_BLOCK *
					BUNDLE_TAR_BLOCK;
			if (padded > len - off) {
				r = pol_diag_set(diag, source, 0, 0, "member '%s' is truncated", name);
				goto out;
			}
			if (!all_zero(buf + off + size, padded - (size_t)size)) {
				r = pol_diag_set(diag, source, 0, 0,
						 "member '%s' has non-zero padding", name);
				goto out;
			}
			e = &entries[n++];
			memcpy(e->name, name, sizeof(name));
			e->data = buf + off;
			e->len = (size_t)size;
			off += padded;
		}
	}
	if (!ended) {
		r = pol_diag_set(diag, source, 0, 0, "not a bundle: no end-of-archive marker (truncated)");
		goto out;
	}
	*ret_entries = entries;
	*ret_n = n;
	entries = NULL;
out:
	free(entries);
	return r;
}
