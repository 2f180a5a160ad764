/*
 * Shipped audit entries read back and pruned (audit_ship.h; docs/audit.md
 * "Shipping to PostgreSQL"): the rows of one node or of the fleet for
 * `attesta audit verify|inspect|export|stats|get --db`, the node list,
 * the prune records, and `attesta db prune --before DATE`. Rows are read
 * through a server-side cursor, a few thousand at a time. Lines read back
 * are untrusted: the caller verifies or parses them like a log file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_ship.h"

void pol_ship_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

static int fail(PGconn *conn, PGresult *res, const char *what, struct pol_diag *diag)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : conn ? PQerrorMessage(conn)
								 : "out of memory";
	size_t n = msg ? strcspn(msg, "\n") : 0;

	if (state && !strcmp(state, "42P01"))
		pol_diag_set(diag, "postgres", 0, 0, "%s: the audit tables do not exist "
			     "(run `attesta db init`)", what);
	else
		pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
			     msg ? msg : "");
	PQclear(res);
	return -EIO;
}

static int connect_db(const char *conninfo, PGconn **ret, struct pol_diag *diag)
{
	PGconn *conn = PQconnectdb(conninfo ? conninfo : "");

	*ret = NULL;
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		fail(conn, NULL, "cannot connect to the fleet database", diag);
		PQfinish(conn);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);
	*ret = conn;
	return 0;
}

/* Run a statement expected to return rows; NULL after fail(). */
static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *values,
		       const char *what, struct pol_diag *diag)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	fail(conn, res, what, diag);
	return NULL;
}

#define FETCH_ROWS "5000"

int pol_ship_rows(const char *conninfo, const char *node_id, pol_ship_row_fn fn, void *ctx,
		  struct pol_diag *diag)
{
	const char *values[1] = { node_id };
	PGconn *conn;
	PGresult *res;
	int r;

	if ((r = connect_db(conninfo, &conn, diag)) < 0)
		return r;
	/* one snapshot for the whole read (REPEATABLE READ): rows shipped
	 * while we read do not tear the picture */
	if (!(res = query(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
			  "cannot read the audit rows", diag)) ||
	    (PQclear(res), !(res = query(conn, "DECLARE attesta_rows NO SCROLL CURSOR FOR"
				       " SELECT node_id, seq, line FROM attesta_audit"
				       " WHERE $1::text IS NULL OR node_id = $1"
				       " ORDER BY node_id, seq", 1, values,
				       "cannot read the audit rows", diag)))) {
		r = -EIO;
		goto out;
	}
	PQclear(res);
	for (;;) {
		int rows;

		if (!(res = query(conn, "FETCH " FETCH_ROWS " FROM attesta_rows", 0, NULL,
				  "cannot read the audit rows", diag))) {
			r = -EIO;
			goto out;
		}
		rows = PQntuples(res);
		for (int i = 0; i < rows && r == 0; i++)
			r = fn(ctx, PQgetvalue(res, i, 0), strtoull(PQgetvalue(res, i, 1), NULL, 10),
			       PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2));
		PQclear(res);
		if (r < 0 || rows == 0)
			break;
	}
out:
	PQfinish(conn);
	return r;
}

int pol_ship_nodes(const char *conninfo, const char *node_id, char ***ret,
		   struct pol_diag *diag)
{
	const char *values[1] = { node_id };
	PGconn *conn;
	PGresult *res;
	char **v;
	int r, n;

	*ret = NULL;
	if ((r = connect_db(conninfo, &conn, diag)) < 0)
		return r;
	res = query(conn, "SELECT DISTINCT node_id FROM (SELECT node_id FROM attesta_audit"
		    " UNION SELECT node_id FROM attesta_audit_pruned) n"
		    " WHERE $1::text IS NULL OR node_id = $1 ORDER BY node_id", 1, values,
		    "cannot list the nodes", diag);
	if (!res) {
		PQfinish(conn);
		return -EIO;
	}
	n = PQntuples(res);
	v = calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; v && i < n; i++)
		if (!(v[i] = strdup(PQgetvalue(res, i, 0)))) {
			pol_ship_strv_free(v);
			v = NULL;
		}
	PQclear(res);
	PQfinish(conn);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

int pol_ship_pruned(const char *conninfo, const char *node_id, uint64_t *ret_before,
		    char *ret_when, size_t when_size, int64_t *ret_shipped_last,
		    struct pol_diag *diag)
{
	const char *values[1] = { node_id };
	PGconn *conn;
	PGresult *res;
	int r;

	*ret_before = 0;
	*ret_shipped_last = -1;
	if (when_size)
		ret_when[0] = '\0';
	if ((r = connect_db(conninfo, &conn, diag)) < 0)
		return r;
	res = query(conn, "SELECT (SELECT before_seq FROM attesta_audit_pruned WHERE node_id = $1),"
		    " (SELECT before_time || ', by ' || pruned_by || ' at ' ||"
		    "  to_char(pruned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
		    "  FROM attesta_audit_pruned WHERE node_id = $1),"
		    " (SELECT coalesce(max(last_seq), -1) FROM attesta_audit_cursor WHERE node_id = $1)",
		    1, values, "cannot read the prune records and cursors", diag);
	if (!res) {
		PQfinish(conn);
		return -EIO;
	}
	if (PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			*ret_before = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		if (!PQgetisnull(res, 0, 1))
			snprintf(ret_when, when_size, "%s", PQgetvalue(res, 0, 1));
		*ret_shipped_last = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	PQfinish(conn);
	return 0;
}

int pol_ship_prune(const char *conninfo, const char *before, const char *node_id,
		   uint64_t *ret_deleted, struct pol_diag *diag)
{
	const char *values[3] = { before, node_id, before };
	PGconn *conn;
	PGresult *res;
	int r;

	*ret_deleted = 0;
	if ((r = connect_db(conninfo, &conn, diag)) < 0)
		return r;
	/* a date without a zone is UTC */
	if (!(res = query(conn, "SET TIME ZONE 'UTC'", 0, NULL, "cannot prune", diag))) {
		PQfinish(conn);
		return -EIO;
	}
	PQclear(res);
	/* Per node, the cut is the first seq intercepted at or after the
	 * date (everything from there on is kept, also older entries after
	 * it: clocks may step back), or past the last entry when all are
	 * older. One statement: the cut, the delete and its record are one
	 * atomic change; a cut never moves back. */
	res = query(conn, "WITH cut AS (SELECT node_id, coalesce(min(seq) FILTER"
		    "  (WHERE intercepted_at >= $1::timestamptz), max(seq) + 1) AS before_seq"
		    "  FROM attesta_audit WHERE $2::text IS NULL OR node_id = $2 GROUP BY node_id),"
		    " del AS (DELETE FROM attesta_audit a USING cut WHERE a.node_id = cut.node_id"
		    "  AND a.seq < cut.before_seq RETURNING 1),"
		    " rec AS (INSERT INTO attesta_audit_pruned (node_id, before_seq, before_time)"
		    "  SELECT node_id, before_seq, $3::text FROM cut WHERE before_seq > 0"
		    "  ON CONFLICT (node_id) DO UPDATE SET before_seq ="
		    "  greatest(attesta_audit_pruned.before_seq, excluded.before_seq),"
		    "  before_time = excluded.before_time, pruned_at = now(), pruned_by = session_user)"
		    " SELECT count(*) FROM del", 3, values, "cannot prune", diag);
	if (!res) {
		PQfinish(conn);
		return -EIO;
	}
	*ret_deleted = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(conn);
	return 0;
}

#else

static int no_pq(struct pol_diag *diag)
{
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

int pol_ship_rows(const char *conninfo, const char *node_id, pol_ship_row_fn fn, void *ctx,
		  struct pol_diag *diag)
{
	(void)conninfo, (void)node_id, (void)fn, (void)ctx;
	return no_pq(diag);
}

int pol_ship_nodes(const char *conninfo, const char *node_id, char ***ret,
		   struct pol_diag *diag)
{
	(void)conninfo, (void)node_id;
	*ret = NULL;
	return no_pq(diag);
}

int pol_ship_pruned(const char *conninfo, const char *node_id, uint64_t *ret_before,
		    char *ret_when, size_t when_size, int64_t *ret_shipped_last,
		    struct pol_diag *diag)
{
	(void)conninfo, (void)node_id, (void)ret_when, (void)when_size;
	*ret_before = 0;
	*ret_shipped_last = -1;
	return no_pq(diag);
}

int pol_ship_prune(const char *conninfo, const char *before, const char *node_id,
		   uint64_t *ret_deleted, struct pol_diag *diag)
{
	(void)conninfo, (void)before, (void)node_id;
	*ret_deleted = 0;
	return no_pq(diag);
}

#endif
