/*
 * Reading a log's entries for the CLI (audit.h: pol_audit_read). The file
 * is untrusted: lines over POL_AUDIT_MAX_LINE and lines that are not JSON
 * objects are skipped (verify is the command that reports them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "canonjson.h"
#include "pol_limits.h"

int pol_audit_read(const char *path, pol_audit_entry_fn fn, void *ctx)
{
	struct pol_json_arena *arena = NULL;
	const char *map = NULL, *p, *end;
	struct stat st;
	uint64_t idx = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size == 0)
		goto out;
	arena = pol_json_arena_new();
	if (!arena) {
		r = -ENOMEM;
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		r = -errno;
		goto out;
	}
	madvise((void *)map, (size_t)st.st_size, MADV_SEQUENTIAL);
	for (p = map, end = map + st.st_size; p < end; idx++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct pol_json *entry;

		if (len <= POL_AUDIT_MAX_LINE) {
			pol_json_arena_reset(arena);
			r = pol_json_parse(arena, p, len, &entry, NULL);
			if (r == -ENOMEM)
				goto out;
			if (r == 0 && entry->kind == POL_JSON_OBJECT && (r = fn(ctx, idx, entry, p, len)))
				goto out;
			r = 0;
		}
		p = nl ? nl + 1 : end;
	}
out:
	if (map)
		munmap((void *)map, (size_t)st.st_size);
	pol_json_arena_free(arena);
	close(fd);
	return r;
}
