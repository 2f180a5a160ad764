/*
 * Audit shipping (docs/audit.md "Shipping to PostgreSQL", docs/fleet.md):
 * a node's local JSONL entries copied into the fleet database, one row
 * per entry, the stored line byte for byte. The local log stays the
 * write-ahead record: shipping only reads it (its own descriptor, after
 * an fdatasync of what it is about to read: only durable entries leave
 * the node) and never sits on the decision path.
 *
 * Idempotent: a row's key is (node_id, seq) and rows are inserted with
 * ON CONFLICT DO NOTHING; an existing row with another chain_hash at the
 * same seq (two logs under one node id) stops shipping with an error
 * and writes nothing. Resumable: the cursor (byte offset of the next
 * line) is kept in the database per (node, log identity), advanced in
 * the same statement as the batch it covers, so the database is the
 * truth of what was shipped whichever side crashed. The log identity is
 * the chain_hash of the file's first entry: it survives appends,
 * renames and gzip compression of a rotated file (offsets are in
 * uncompressed bytes). One round trip per batch.
 */
#ifndef ATTESTA_AUDIT_SHIP_H
#define ATTESTA_AUDIT_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define POL_SHIP_BATCH_DEFAULT 1000u
#define POL_SHIP_BATCH_MAX 5000u

/* What shipping needs of one line (audit_ship.c, pure). */
struct pol_ship_entry {
	uint64_t seq;
	const char *line;        /* the stored bytes, without the newline */
	size_t len;
	char entry_id[33];
	char chain_hash[65];
	char previous_hash[65];
	char intercepted_at[40]; /* ISO 8601 as written, or "" */
};

struct pol_json_arena;
/* Parse one line. 0, -EBADMSG (not an entry with seq, entry_id and
 * chain_hash: diag-free, the caller names the line), -ENOMEM. */
int pol_ship_parse_line(struct pol_json_arena *arena, const char *line, size_t len,
			struct pol_ship_entry *out);

/* --- the database side (audit_ship_pg.c) --- */

struct pol_ship_conn;
/* Connect to conninfo ("" or NULL: libpq's environment) as node_id.
 * -EINVAL (bad node id), -ECONNREFUSED with diag, -ENOMEM, -ENOTSUP
 * without libpq. */
int pol_ship_connect(const char *conninfo, const char *node_id, struct pol_ship_conn **ret,
		     struct pol_diag *diag);
void pol_ship_close(struct pol_ship_conn *c);
/* False once a statement failed for a connection reason. */
bool pol_ship_ok(const struct pol_ship_conn *c);

/* The stored cursor of log_id: byte offset of the next line (0 if none).
 * 0 or -EIO with diag. */
int pol_ship_cursor_get(struct pol_ship_conn *c, const char *log_id, uint64_t *ret_offset,
			struct pol_diag *diag);
/* Insert n entries and set the cursor of log_id to end_offset, in one
 * statement. *ret_inserted: rows that were new. -EEXIST with diag if the
 * database holds another entry at one of these seqs (nothing written);
 * -EIO with diag. */
int pol_ship_batch(struct pol_ship_conn *c, const char *log_id, const struct pol_ship_entry *e,
		   size_t n, uint64_t end_offset, uint64_t *ret_inserted, struct pol_diag *diag);

/* --- a whole file (audit_ship_file.c) --- */

struct pol_ship_stats {
	uint64_t sent;       /* entries sent */
	uint64_t inserted;   /* ... that were new rows */
	uint64_t batches;
	uint64_t offset;     /* cursor after the call */
	uint64_t size;       /* bytes of the file considered */
	char log_id[65];     /* "" for an empty file */
};

/* Ship what path holds beyond the stored cursor, in batches of at most
 * batch entries: complete lines only (a line being written is left for
 * the next call). A live file is fdatasync'ed before it is read, so only
 * durable entries are shipped; a gzip-compressed rotated file is
 * inflated (docs/audit.md "Rotation"). A line that is not an entry stops
 * shipping at that line (-EBADMSG, diag names the file and line).
 * 0 or -errno with diag. */
int pol_ship_file(struct pol_ship_conn *c, const char *path, unsigned batch,
		  struct pol_ship_stats *st, struct pol_diag *diag);

/* --- reading it back (audit_ship_db.c) --- */

/* Every shipped line of node_id (NULL: every node), ordered by node and
 * seq, one callback per row; fn returns 0 to go on or -errno. */
typedef int (*pol_ship_row_fn)(void *ctx, const char *node_id, uint64_t seq, const char *line,
			       size_t len);
int pol_ship_rows(const char *conninfo, const char *node_id, pol_ship_row_fn fn, void *ctx,
		  struct pol_diag *diag);

/* The nodes with shipped rows or a prune record, sorted; *ret is a
 * NULL-terminated malloc'd vector (free with pol_ship_strv_free). */
int pol_ship_nodes(const char *conninfo, const char *node_id, char ***ret,
		   struct pol_diag *diag);
void pol_ship_strv_free(char **v);

/* What the database records about a node's chain besides its rows: the
 * prune record (entries with seq < *ret_before were pruned, 0: never;
 * when and by whom in ret_when) and the highest seq its shipping cursors
 * say was shipped (*ret_shipped_last, -1: none), so that rows deleted
 * from the end of a chain are seen. */
int pol_ship_pruned(const char *conninfo, const char *node_id, uint64_t *ret_before,
		    char *ret_when, size_t when_size, int64_t *ret_shipped_last,
		    struct pol_diag *diag);

/* Delete, per node, the entries before the first one intercepted at or
 * after before (an ISO date or timestamp): only a prefix of each chain,
 * so what is kept still verifies ("starts after pruning"). Records the
 * cut. *ret_deleted: rows deleted. 0 or -errno with diag. */
int pol_ship_prune(const char *conninfo, const char *before, const char *node_id,
		   uint64_t *ret_deleted, struct pol_diag *diag);

#endif
