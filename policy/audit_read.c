/*
 * Reading a log's entries for the CLI (audit.h: pol_audit_read), also
 * from a gzip-compressed rotated log (audit_map.h). The file is untrusted: lines over POL_AUDIT_MAX_LINE and lines that are not JSON
 * objects are skipped (verify is the command that reports them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "audit_map.h"
#include "canonjson.h"
#include "pol_limits.h"

int pol_audit_read(const char *path, pol_audit_entry_fn fn, void *ctx)
{
	struct pol_json_arena *arena = NULL;
	struct audit_map m = { .data = NULL };
	const char *p, *end;
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
	/* the file as it is, or a compressed rotated log inflated */
	if ((r = audit_map_open(fd, &st, &m)) < 0 || !m.data)
		goto out;
	arena = pol_json_arena_new();
	if (!arena) {
		r = -ENOMEM;
		goto out;
	}
	for (p = m.data, end = m.data + m.len; p < end; idx++) {
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
	audit_map_close(&m);
	pol_json_arena_free(arena);
	close(fd);
	return r;
}
