/*
 * Audit shipping, the database side (audit_ship.h; docs/audit.md
 * "Shipping to PostgreSQL"): one connection per shipper, the cursor of a
 * log, and one batch per round trip: a single INSERT statement (so
 * atomic) that adds the batch's rows with ON CONFLICT DO NOTHING and
 * advances the cursor, and writes nothing at all if an existing row at
 * one of its seqs has another chain_hash. Every value is a parameter,
 * never SQL text. The tables come with `attesta db init`
 * (policy/fleet_schema.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_ship.h"
#include "registry.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

struct pol_ship_conn {
	PGconn *conn;
	char *node_id;
	bool broken;
	char cached_log[65];     /* the cursor last read or written */
	uint64_t cached_offset;
	char *sql;               /* the batch statement for sql_rows rows */
	size_t sql_rows;
	const char **values;     /* 3 + 6 * POL_SHIP_BATCH_MAX */
	int *lengths, *formats;
	char (*seqs)[24];
};

#define ROW_PARAMS 6

static int pq_fail(struct pol_ship_conn *c, PGresult *res, const char *what,
		   struct pol_diag *diag)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn);
	size_t n = msg ? strcspn(msg, "\n") : 0;

	if (PQstatus(c->conn) != CONNECTION_OK)
		c->broken = true;
	if (state && !strcmp(state, "42P01"))
		pol_diag_set(diag, "postgres", 0, 0, "%s: the audit tables do not exist "
			     "(run `attesta db init`)", what);
	else
		pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
			     msg ? msg : "no answer");
	return -EIO;
}

int pol_ship_connect(const char *conninfo, const char *node_id, struct pol_ship_conn **ret,
		     struct pol_diag *diag)
{
	struct pol_ship_conn *c;

	*ret = NULL;
	if (!node_id || !pol_registry_name_valid(node_id))
		return pol_diag_set(diag, "audit ship", 0, 0, "invalid node id");
	c = calloc(1, sizeof(*c));
	if (!c || !(c->node_id = strdup(node_id)) ||
	    !(c->values = calloc(3 + ROW_PARAMS * POL_SHIP_BATCH_MAX, sizeof(*c->values))) ||
	    !(c->lengths = calloc(3 + ROW_PARAMS * POL_SHIP_BATCH_MAX, sizeof(int))) ||
	    !(c->formats = calloc(3 + ROW_PARAMS * POL_SHIP_BATCH_MAX, sizeof(int))) ||
	    !(c->seqs = calloc(POL_SHIP_BATCH_MAX, sizeof(*c->seqs)))) {
		pol_ship_close(c);
		return -ENOMEM;
	}
	/* a bounded connect (a server that does not answer must not hold a
	 * shipper forever); a connect_timeout in conninfo wins */
	{
		const char *const keys[] = { "connect_timeout", "dbname", NULL };
		const char *const values[] = { "10", conninfo ? conninfo : "", NULL };

		c->conn = PQconnectdbParams(keys, values, 1);
	}
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		const char *msg = c->conn ? PQerrorMessage(c->conn) : "libpq is not available";
		size_t n = strcspn(msg, "\n");

		pol_diag_set(diag, "postgres", 0, 0, "cannot connect to the fleet database: %.*s",
			     (int)(n > 400 ? 400 : n), msg);
		pol_ship_close(c);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(c->conn, NULL, NULL);
	*ret = c;
	return 0;
}

void pol_ship_close(struct pol_ship_conn *c)
{
	if (!c)
		return;
	if (c->conn)
		PQfinish(c->conn);
	free(c->node_id);
	free(c->sql);
	free(c->values);
	free(c->seqs);
	free(c->lengths);
	free(c->formats);
	free(c);
}

bool pol_ship_ok(const struct pol_ship_conn *c)
{
	return c && !c->broken && PQstatus(c->conn) == CONNECTION_OK;
}

int pol_ship_cursor_get(struct pol_ship_conn *c, const char *log_id, uint64_t *ret_offset,
			struct pol_diag *diag)
{
	const char *values[2] = { c->node_id, log_id };
	PGresult *res;

	if (!strcmp(c->cached_log, log_id)) {
		*ret_offset = c->cached_offset;
		return 0;
	}
	res = PQexecParams(c->conn, "SELECT byte_offset FROM attesta_audit_cursor"
			   " WHERE node_id = $1 AND log_id = $2", 2, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = pq_fail(c, res, "cannot read the shipping cursor", diag);

		PQclear(res);
		return r;
	}
	*ret_offset = PQntuples(res) == 1 ? strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	snprintf(c->cached_log, sizeof(c->cached_log), "%s", log_id);
	c->cached_offset = *ret_offset;
	return 0;
}

/* The statement for n rows. */
static int build_sql(struct pol_ship_conn *c, size_t n)
{
	static const char head[] =
		"WITH b(seq, entry_id, chain_hash, previous_hash, intercepted_at, line) AS (VALUES ";
	static const char tail[] =
		"), bad AS (SELECT b.seq FROM b JOIN attesta_audit a ON a.node_id = $1"
		"  AND a.seq = b.seq AND a.chain_hash <> b.chain_hash),"
		" ins AS (INSERT INTO attesta_audit (node_id, seq, entry_id, chain_hash,"
		"  previous_hash, intercepted_at, line, log_id)"
		"  SELECT $1, seq, entry_id, chain_hash, previous_hash, intercepted_at, line, $2"
		"  FROM b WHERE NOT EXISTS (SELECT 1 FROM bad) AND b.seq >= coalesce((SELECT"
		"  p.before_seq FROM attesta_audit_pruned p WHERE p.node_id = $1), 0)"
		"  ON CONFLICT (node_id, seq) DO NOTHING RETURNING 1),"
		" cur AS (INSERT INTO attesta_audit_cursor (node_id, log_id, byte_offset, last_seq)"
		"  SELECT $1, $2, $3::bigint, (SELECT max(seq) FROM b)"
		"  WHERE NOT EXISTS (SELECT 1 FROM bad)"
		"  ON CONFLICT (node_id, log_id) DO UPDATE SET byte_offset ="
		"  greatest(attesta_audit_cursor.byte_offset, excluded.byte_offset), last_seq ="
		"  greatest(attesta_audit_cursor.last_seq, excluded.last_seq), updated_at = now())"
		" SELECT (SELECT count(*) FROM ins), (SELECT min(seq) FROM bad)";
	size_t cap = sizeof(head) + sizeof(tail) + n * 96, len;
	char *sql;

	if (c->sql && c->sql_rows == n)
		return 0;
	if (!(sql = malloc(cap)))
		return -ENOMEM;
	len = (size_t)snprintf(sql, cap, "%s", head);
	for (size_t i = 0; i < n; i++) {
		size_t p = 4 + i * ROW_PARAMS;

		len += (size_t)snprintf(sql + len, cap - len, i == 0 ?
			"($%zu::bigint,$%zu::text,$%zu::text,$%zu::text,$%zu::timestamptz,$%zu::text)" :
			",($%zu,$%zu,$%zu,$%zu,$%zu,$%zu)", p, p + 1, p + 2, p + 3, p + 4, p + 5);
	}
	snprintf(sql + len, cap - len, "%s", tail);
	free(c->sql);
	c->sql = sql;
	c->sql_rows = n;
	return 0;
}

int pol_ship_batch(struct pol_ship_conn *c, const char *log_id, const struct pol_ship_entry *e,
		   size_t n, uint64_t end_offset, uint64_t *ret_inserted, struct pol_diag *diag)
{
	int *lengths = c->lengths, *formats = c->formats, total = (int)(3 + n * ROW_PARAMS);
	char offset[24];
	PGresult *res;
	int r;

	*ret_inserted = 0;
	if (n == 0 || n > POL_SHIP_BATCH_MAX)
		return -EINVAL;
	if ((r = build_sql(c, n)) < 0)
		return r;
	snprintf(offset, sizeof(offset), "%" PRIu64, end_offset);
	c->values[0] = c->node_id;
	c->values[1] = log_id;
	c->values[2] = offset;
	for (size_t i = 0; i < 3; i++)
		lengths[i] = 0;
	for (size_t i = 0; i < n; i++) {
		const char **v = c->values + 3 + i * ROW_PARAMS;
		int *l = lengths + 3 + i * ROW_PARAMS;

		snprintf(c->seqs[i], sizeof(c->seqs[i]), "%" PRIu64, e[i].seq);
		v[0] = c->seqs[i];
		v[1] = e[i].entry_id;
		v[2] = e[i].chain_hash;
		v[3] = e[i].previous_hash;
		v[4] = e[i].intercepted_at[0] ? e[i].intercepted_at : NULL;
		/* the line as stored, byte for byte: binary format (no NUL
		 * terminator needed, nothing converted) into a text column */
		v[5] = e[i].line;
		for (int k = 0; k < ROW_PARAMS; k++)
			l[k] = 0;
		l[5] = (int)e[i].len;
	}
	for (int i = 0; i < total; i++)
		formats[i] = (i >= 3 && (i - 3) % ROW_PARAMS == 5) ? 1 : 0;
	res = PQexecParams(c->conn, c->sql, total, NULL, c->values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = pq_fail(c, res, "cannot ship a batch", diag);
		PQclear(res);
		c->cached_log[0] = '\0';
		return r;
	}
	if (!PQgetisnull(res, 0, 1)) {
		pol_diag_set(diag, "postgres", 0, 0, "node '%s' already has another entry at seq %s "
			     "in the fleet database (two logs shipped under one node id?): "
			     "nothing of this batch was written", c->node_id, PQgetvalue(res, 0, 1));
		PQclear(res);
		return -EEXIST;
	}
	*ret_inserted = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (strcmp(c->cached_log, log_id) || end_offset > c->cached_offset) {
		snprintf(c->cached_log, sizeof(c->cached_log), "%s", log_id);
		c->cached_offset = end_offset;
	}
	return 0;
}

#else

int pol_ship_connect(const char *conninfo, const char *node_id, struct pol_ship_conn **ret,
		     struct pol_diag *diag)
{
	(void)conninfo;
	(void)node_id;
	*ret = NULL;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

void pol_ship_close(struct pol_ship_conn *c)
{
	(void)c;
}

bool pol_ship_ok(const struct pol_ship_conn *c)
{
	(void)c;
	return false;
}

int pol_ship_cursor_get(struct pol_ship_conn *c, const char *log_id, uint64_t *ret_offset,
			struct pol_diag *diag)
{
	(void)c;
	(void)log_id;
	(void)ret_offset;
	(void)diag;
	return -ENOTSUP;
}

int pol_ship_batch(struct pol_ship_conn *c, const char *log_id, const struct pol_ship_entry *e,
		   size_t n, uint64_t end_offset, uint64_t *ret_inserted, struct pol_diag *diag)
{
	(void)c;
	(void)log_id;
	(void)e;
	(void)n;
	(void)end_offset;
	(void)ret_inserted;
	(void)diag;
	return -ENOTSUP;
}

#endif
