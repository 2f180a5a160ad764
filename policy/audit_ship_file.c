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

/* Ship the whole lines of data[from, to); data[0] is at file offset
 * base (cursors are file offsets). */
static int ship_range(struct pol_ship_conn *c, const char *path, const char *data,
		      uint64_t base, uint64_t from, uint64_t to, unsigned batch,
		      struct pol_ship_stats *st, struct pol_diag *diag)
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
					pol_diag_set(diag, path, 0, 0, "the line at byte %llu is "
						     "not an audit entry with seq, entry_id and "
						     "chain_hash: shipping stops before it (attesta "
						     "audit verify says more)",
						     (unsigned long long)(base + next));
				if (r < 0)
					break;
				n++;
			}
			next += len + 1;
		}
		if (n > 0) {
			/* after a bad line the cursor stays before it */
			s = pol_ship_batch(c, st->log_id, e, n, base + next, &inserted, diag);
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
	st->offset = base + off;
out:
	free(e);
	pol_json_arena_free(arena);
	return r;
}

/* The log's identity from its first line (first: the line). */
static int take_identity(struct pol_ship_conn *c, const char *path, const char *first,
			 size_t len, struct pol_ship_stats *st, uint64_t *ret_cursor,
			 struct pol_diag *diag)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_ship_entry e;
	int r;

	if (!arena)
		return -ENOMEM;
	r = pol_ship_parse_line(arena, first, len, &e);
	pol_json_arena_free(arena);
	if (r == -EBADMSG)
		pol_diag_set(diag, path, 1, 1, "the first line is not an audit entry with seq, "
			     "entry_id and chain_hash: nothing shipped");
	if (r < 0)
		return r;
	memcpy(st->log_id, e.chain_hash, sizeof(st->log_id));
	return pol_ship_cursor_get(c, st->log_id, ret_cursor, diag);
}

/* A gzip-compressed (rotated, finished) log: inflated whole in memory. */
static int ship_compressed(struct pol_ship_conn *c, const char *path, int fd,
			   const struct stat *sb, unsigned batch, struct pol_ship_stats *st,
			   struct pol_diag *diag)
{
	struct audit_map m = { .data = NULL };
	uint64_t cursor = 0, end;
	const char *nl;
	int r;

	if ((r = audit_map_open(fd, sb, &m)) < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	/* complete lines only */
	for (end = m.data ? m.len : 0; end > 0 && m.data[end - 1] != '\n'; end--)
		;
	st->size = end;
	if (end == 0)
		goto out;
	nl = memchr(m.data, '\n', end);
	if ((r = take_identity(c, path, m.data, (size_t)(nl - m.data), st, &cursor, diag)) < 0)
		goto out;
	/* a cursor not at a line start of this file: start over (rows
	 * already there are skipped by their key) */
	if (cursor > end || (cursor > 0 && m.data[cursor - 1] != '\n'))
		cursor = 0;
	st->offset = cursor;
	if (cursor < end)
		r = ship_range(c, path, m.data, 0, cursor, end, batch, st, diag);
out:
	audit_map_close(&m);
	return r;
}

/* Read [off, off + len) as far as the file goes; the bytes read. */
static ssize_t read_at(int fd, char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

#define WINDOW ((size_t)8 << 20) /* > POL_AUDIT_MAX_LINE: a whole line fits */

/* A plain log, perhaps live: read with pread() from the cursor, never
 * mapped (a log truncated by copytruncate while it is read ends the
 * read; a mapping would fault), up to size (the bytes that were synced). */
static int ship_plain(struct pol_ship_conn *c, const char *path, int fd, uint64_t size,
		      unsigned batch, struct pol_ship_stats *st, struct pol_diag *diag)
{
	size_t cap = size < WINDOW ? (size_t)size : WINDOW;
	char *buf = cap ? malloc(cap) : NULL;
	uint64_t cursor = 0, off;
	ssize_t n;
	char *nl, *first = NULL;
	size_t first_len;
	int r = 0;

	if (size == 0)
		return 0;
	if (!buf)
		return -ENOMEM;
	/* the first line: the log's identity */
	n = read_at(fd, buf, cap, 0);
	if (n < 0 || !(nl = memchr(buf, '\n', (size_t)n))) {
		r = n < 0 ? (int)n : 0;
		if (r < 0)
			pol_diag_set(diag, path, 0, 0, "cannot read: %s", strerror(-r));
		goto out;
	}
	if ((r = take_identity(c, path, buf, (size_t)(nl - buf), st, &cursor, diag)) < 0)
		goto out;
	/* the identity line, to see the file cut and written again under us */
	first_len = (size_t)(nl - buf) + 1;
	if (!(first = malloc(2 * first_len))) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(first, buf, first_len);
	if (cursor > size || (cursor > 0 && (read_at(fd, buf, 1, cursor - 1) != 1 || buf[0] != '\n')))
		cursor = 0;
	st->offset = off = cursor;
	while (off < size) {
		size_t want = size - off < cap ? (size_t)(size - off) : cap, whole;

		n = read_at(fd, buf, want, off);
		if (n < 0) {
			r = (int)n;
			pol_diag_set(diag, path, 0, 0, "cannot read: %s", strerror(-r));
			break;
		}
		/* A copytruncate between the identity and this read: these
		 * bytes may be another log's, at offsets of this one's. Checked
		 * after the read: the first line of a log written again is
		 * another entry. Stop; the cursor stays where this log's
		 * lines were shipped (the rotated copy ships the rest). */
		if (read_at(fd, first + first_len, first_len, 0) != (ssize_t)first_len ||
		    memcmp(first, first + first_len, first_len) != 0)
			break;
		nl = n > 0 ? memrchr(buf, '\n', (size_t)n) : NULL;
		if (!nl) {
			if ((size_t)n == cap) {
				pol_diag_set(diag, path, 0, 0, "the line at byte %llu is longer "
					     "than an entry may be: shipping stops before it",
					     (unsigned long long)off);
				r = -EBADMSG;
			}
			break; /* a line still being written, or the file was cut */
		}
		whole = (size_t)(nl - buf) + 1;
		r = ship_range(c, path, buf, off, 0, whole, batch, st, diag);
		if (r < 0)
			break;
		off += whole;
		if ((size_t)n < want)
			break; /* truncated meanwhile */
	}
	/* size: where the complete lines end (the caller asks "caught up?"
	 * as offset >= size), or, after an error, the bytes considered */
	st->size = r == 0 ? off : size;
out:
	free(first);
	free(buf);
	return r;
}

int pol_ship_file(struct pol_ship_conn *c, const char *path, unsigned batch,
		  struct pol_ship_stats *st, struct pol_diag *diag)
{
	unsigned char magic[2];
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
	 * has): the bytes present now are synced before they are read, and
	 * nothing appended after the fstat is read. */
	if (fstat(fd, &sb) < 0 || (!S_ISREG(sb.st_mode) && (errno = EINVAL)) ||
	    fdatasync(fd) < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot read: %s", r == -EINVAL ?
			     "not a regular file" : strerror(-r));
		goto out;
	}
	if (read_at(fd, (char *)magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		r = ship_compressed(c, path, fd, &sb, batch, st, diag);
	else
		r = ship_plain(c, path, fd, (uint64_t)sb.st_size, batch, st, diag);
out:
	close(fd);
	return r;
}
