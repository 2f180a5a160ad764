/*
 * Audit shipping of one log file (audit_ship.h: pol_ship_file): from the
 * stored cursor to the last complete line, in batches, each batch and
 * its cursor in one statement (audit_ship_pg.c). Used by attesta-run's
 * shipper thread on the live log and by `attesta audit ship` on logs of
 * finished runs and rotated (also gzip-compressed) files
 * (docs/audit.md "Shipping to PostgreSQL").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_map.h"
#include "audit_ship.h"
#include "canonjson.h"

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\f\v", s[i]))
			return false;
	return true;
}

/* The 1-based line number of the line at offset (for messages only: a
 * scan, so never on the path of every round). */
static unsigned line_number(const char *data, uint64_t offset)
{
	unsigned n = 1;

	for (const char *q = data; q < data + offset; q++)
		n += *q == '\n';
	return n;
}

/* Ship the whole lines of data[from, to). */
static int ship_range(struct pol_ship_conn *c, const char *path, const char *data,
		      uint64_t from, uint64_t to, unsigned batch, struct pol_ship_stats *st,
		      struct pol_diag *diag)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_ship_entry *e = calloc(batch, sizeof(*e));
	uint64_t off = from;
	int r = 0;

	if (!arena || !e) {
		r = -ENOMEM;
		goto out;
	}
	while (off < to && r == 0) {
		uint64_t next = off, inserted = 0;
		size_t n = 0;
		int s;

		/* entries point into data; the arena holds one line's parse */
		while (n < batch && next < to) {
			const char *line = data + next;
			size_t len = (size_t)((const char *)memchr(line, '\n', (size_t)(to - next)) -
					      line);

			if (!blank(line, len)) {
				r = pol_ship_parse_line(arena, line, len, &e[n]);
				if (r == -EBADMSG)
					pol_diag_set(diag, path, line_number(data, next), 0,
						     "not an audit entry with seq, entry_id and "
						     "chain_hash: shipping stops before this line "
						     "(attesta audit verify says more)");
				if (r < 0)
					break;
				n++;
			}
			next += len + 1;
		}
		if (n > 0) {
			/* after a bad line the cursor stays before it */
			s = pol_ship_batch(c, st->log_id, e, n, next, &inserted, diag);
			if (s < 0) {
				r = s;
				break;
			}
			st->sent += n;
			st->inserted += inserted;
			st->batches++;
		}
		off = next;
	}
	st->offset = off;
out:
	free(e);
	pol_json_arena_free(arena);
	return r;
}

int pol_ship_file(struct pol_ship_conn *c, const char *path, unsigned batch,
		  struct pol_ship_stats *st, struct pol_diag *diag)
{
	struct audit_map m = { .data = NULL };
	struct pol_json_arena *arena = NULL;
	struct pol_ship_entry first;
	uint64_t cursor = 0, end;
	const char *nl;
	struct stat sb;
	int fd, r;

	memset(st, 0, sizeof(*st));
	if (batch == 0 || batch > POL_SHIP_BATCH_MAX)
		batch = POL_SHIP_BATCH_DEFAULT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	/* SECURITY: only what is durable leaves the node (a database row of
	 * an entry a crash then took from the log would be a chain no log
	 * has): the bytes present now are synced before they are read. */
	if (fstat(fd, &sb) < 0 || (!S_ISREG(sb.st_mode) && (errno = EINVAL)) ||
	    fdatasync(fd) < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot read: %s", strerror(-r));
		goto out;
	}
	if ((r = audit_map_open(fd, &sb, &m)) < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read: %s", strerror(-r));
		goto out;
	}
	/* a compressed file is read whole; a live one up to the size seen
	 * before the sync (bytes appended since are not known durable) */
	end = m.heap ? m.len : (uint64_t)sb.st_size < m.len ? (uint64_t)sb.st_size : m.len;
	/* complete lines only */
	while (end > 0 && m.data[end - 1] != '\n')
		end--;
	st->size = end;
	if (end == 0)
		goto out;
	nl = memchr(m.data, '\n', end);
	if (!(arena = pol_json_arena_new())) {
		r = -ENOMEM;
		goto out;
	}
	r = pol_ship_parse_line(arena, m.data, (size_t)(nl - m.data), &first);
	if (r < 0) {
		if (r == -EBADMSG)
			pol_diag_set(diag, path, 1, 0, "the first line is not an audit entry with "
				     "seq, entry_id and chain_hash: nothing shipped");
		goto out;
	}
	memcpy(st->log_id, first.chain_hash, sizeof(st->log_id));
	if ((r = pol_ship_cursor_get(c, st->log_id, &cursor, diag)) < 0)
		goto out;
	/* a cursor that is not at a line start of this file: start over
	 * (rows already there are skipped by their key) */
	if (cursor > end || (cursor > 0 && m.data[cursor - 1] != '\n'))
		cursor = 0;
	st->offset = cursor;
	if (cursor < end)
		r = ship_range(c, path, m.data, cursor, end, batch, st, diag);
out:
	pol_json_arena_free(arena);
	audit_map_close(&m);
	close(fd);
	return r;
}
