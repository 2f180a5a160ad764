/*
 * The bytes of a log file (audit_map.h): mapped as they are, or inflated
 * when the file is gzip (a rotated log compressed by logrotate). The
 * compressed stream is untrusted: zlib checks its CRC and length, every
 * member of a multi-member file is read, trailing garbage is an error,
 * and the output is bounded by POL_AUDIT_MAX_INFLATED.
 */
#include "audit_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

static int inflate_all(const unsigned char *in, size_t in_len, struct audit_map *m)
{
	size_t cap = in_len * 4 + 4096, len = 0;
	char *out = malloc(cap);
	z_stream zs;
	int zr = Z_OK, r = 0;

	if (!out)
		return -ENOMEM;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	zs.next_in = (unsigned char *)in;
	while (1) {
		size_t chunk_in = in_len - (size_t)((const unsigned char *)zs.next_in - in);

		zs.avail_in = chunk_in > 1u << 30 ? 1u << 30 : (uInt)chunk_in;
		if (len == cap) {
			size_t ncap = cap * 2 > POL_AUDIT_MAX_INFLATED ? POL_AUDIT_MAX_INFLATED : cap * 2;
			char *n;

			if (ncap <= cap) {
				r = -EFBIG;
				break;
			}
			n = realloc(out, ncap);
			if (!n) {
				r = -ENOMEM;
				break;
			}
			out = n;
			cap = ncap;
		}
		zs.next_out = (unsigned char *)out + len;
		zs.avail_out = cap - len > 1u << 30 ? 1u << 30 : (uInt)(cap - len);
		{
			uInt before = zs.avail_out;

			zr = inflate(&zs, Z_NO_FLUSH);
			len += before - zs.avail_out;
		}
		if (zr == Z_STREAM_END) {
			size_t used = (size_t)((const unsigned char *)zs.next_in - in);

			if (used == in_len)
				break;
			/* another gzip member (cat a.gz b.gz) */
			if (in_len - used < 2 || in[used] != 0x1f || in[used + 1] != 0x8b) {
				r = -EBADMSG;
				break;
			}
			inflateReset(&zs);
			continue;
		}
		if (zr == Z_BUF_ERROR && zs.avail_in == 0 &&
		    (size_t)((const unsigned char *)zs.next_in - in) == in_len) {
			r = -EBADMSG; /* truncated stream */
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
			break;
		}
	}
	inflateEnd(&zs);
	if (r < 0) {
		free(out);
		return r;
	}
	m->heap = out;
	m->data = len ? out : NULL;
	m->len = len;
	return 0;
}

int audit_map_open(int fd, const struct stat *st, struct audit_map *m)
{
	void *map;
	int r = 0;

	memset(m, 0, sizeof(*m));
	if (st->st_size == 0)
		return 0;
	map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	m->mapped = map;
	m->mapped_len = (size_t)st->st_size;
	if (m->mapped_len >= 2 && ((unsigned char *)map)[0] == 0x1f && ((unsigned char *)map)[1] == 0x8b) {
		r = inflate_all(map, m->mapped_len, m);
		munmap(map, m->mapped_len);
		m->mapped = NULL;
		m->mapped_len = 0;
		return r;
	}
	madvise(map, m->mapped_len, MADV_SEQUENTIAL);
	m->data = map;
	m->len = m->mapped_len;
	return 0;
}

void audit_map_close(struct audit_map *m)
{
	if (m->mapped)
		munmap(m->mapped, m->mapped_len);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}
