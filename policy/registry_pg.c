/*
 * The enrollment registry in PostgreSQL (docs/fleet.md, `attestation.registry:
 * postgres`, connection string from `fleet.database`), through libpq. One
 * table, created on first change:
 *
 *   attesta_enrollment(node_id text primary key, enrollment_ref text,
 *                      status text, rollout_state text,
 *                      enrolled_at double precision, updated_at double precision)
 *
 * Every statement is a single parameterized command (PQexecParams), so each
 * change is atomic on its own and values never become SQL text. Trust: the
 * database is shared by the fleet and is input like the registry file:
 * every row read back is validated (names, status, rollout state) and a
 * bad row is an error, never a default. Built only when libpq's header is
 * available; otherwise opening "postgres" returns -ENOTSUP.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

#define TABLE "attesta_enrollment"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS " TABLE " ("
	" node_id text PRIMARY KEY,"
	" enrollment_ref text NOT NULL,"
	" status text NOT NULL CHECK (status IN ('active', 'revoked')),"
	" rollout_state text NOT NULL CHECK (rollout_state IN"
	"  ('none', 'pending', 'acknowledged', 'active', 'rollback', 'failed')),"
	" enrolled_at double precision NOT NULL,"
	" updated_at double precision NOT NULL)";

/* The first line of libpq's message, for a one-line diagnostic. */
static void pg_diag(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
}

static bool table_missing(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && !strcmp(state, "42P01"); /* undefined_table */
}

static int pg_lookup(struct pol_registry *registry, const char *node_id,
		     struct pol_enrollment *ret_row, struct pol_diag *diag)
{
	const char *params[1] = { node_id };
	struct pol_enrollment row = { 0 };
	PGresult *res;
	char *end;
	int r = 0;

	res = PQexecParams(registry->conn,
			   "SELECT node_id, enrollment_ref, status, rollout_state,"
			   " enrolled_at::text, updated_at::text FROM " TABLE " WHERE node_id = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (table_missing(res)) {
			r = -ENOENT;
			goto out;
		}
		pg_diag(diag, "cannot read enrollment", PQresultErrorMessage(res));
		r = -EIO;
		goto out;
	}
	if (PQntuples(res) == 0) {
		r = -ENOENT;
		goto out;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 6 ||
	    strcmp(PQgetvalue(res, 0, 0), node_id) ||
	    !pol_registry_name_valid(PQgetvalue(res, 0, 1)) ||
	    pol_node_status_parse(PQgetvalue(res, 0, 2), &row.status) < 0 ||
	    pol_rollout_state_parse(PQgetvalue(res, 0, 3), &row.rollout_state) < 0) {
		r = pol_diag_set(diag, "postgres", 0, 0, "corrupt enrollment row for node '%s'",
				 node_id);
		goto out;
	}
	row.enrolled_at = strtod(PQgetvalue(res, 0, 4), &end);
	row.updated_at = strtod(PQgetvalue(res, 0, 5), &end);
	if (!isfinite(row.enrolled_at) || !isfinite(row.updated_at))
		row.enrolled_at = row.updated_at = 0;
	row.node_id = strdup(node_id);
	row.enrollment_ref = strdup(PQgetvalue(res, 0, 1));
	if (!row.node_id || !row.enrollment_ref) {
		pol_enrollment_release(&row);
		r = -ENOMEM;
		goto out;
	}
	*ret_row = row;
out:
	PQclear(res);
	return r;
}

static int pg_change(struct pol_registry *registry, const struct registry_change *change,
		     struct pol_diag *diag)
{
	char now[64];
	const char *params[3];
	const char *sql;
	PGresult *res;
	int r = 0;

	/* created here only when missing: after `attesta db init` (the
	 * versioned schema, docs/fleet.md) an operator role may change rows
	 * without the right to create tables */
	res = PQexec(registry->conn, "SELECT to_regclass('" TABLE "') IS NULL");
	bool missing = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		       !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	res = PQexec(registry->conn, missing ? schema_sql : "SELECT 1");
	if (PQresultStatus(res) != (missing ? PGRES_COMMAND_OK : PGRES_TUPLES_OK)) {
		pg_diag(diag, "cannot create the enrollment table", PQresultErrorMessage(res));
		PQclear(res);
		return -EIO;
	}
	PQclear(res);

	snprintf(now, sizeof(now), "%.6f", change->now);
	params[0] = change->node_id;
	params[1] = now;
	switch (change->kind) {
	case REGISTRY_ENROLL:
		params[2] = change->enrollment_ref;
		sql = "INSERT INTO " TABLE " (node_id, enrollment_ref, status, rollout_state,"
		      " enrolled_at, updated_at) VALUES ($1, $3, 'active', 'none', $2, $2)"
		      " ON CONFLICT (node_id) DO UPDATE SET enrollment_ref = EXCLUDED.enrollment_ref,"
		      " status = 'active', enrolled_at = EXCLUDED.enrolled_at,"
		      " updated_at = EXCLUDED.updated_at";
		break;
	case REGISTRY_REVOKE:
		params[2] = "revoked";
		sql = "UPDATE " TABLE " SET status = $3, updated_at = $2 WHERE node_id = $1";
		break;
	case REGISTRY_ROLLOUT:
	default:
		params[2] = pol_rollout_state_name(change->rollout);
		sql = "UPDATE " TABLE " SET rollout_state = $3, updated_at = $2 WHERE node_id = $1";
		break;
	}
	res = PQexecParams(registry->conn, sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_diag(diag, "cannot change enrollment", PQresultErrorMessage(res));
		r = -EIO;
	} else if (!strcmp(PQcmdTuples(res), "0")) {
		r = -ENOENT;
	}
	PQclear(res);
	return r;
}

static void pg_free(struct pol_registry *registry)
{
	if (registry->conn)
		PQfinish(registry->conn);
	registry->conn = NULL;
}

static const struct registry_ops pg_ops = {
	.lookup = pg_lookup,
	.change = pg_change,
	.free = pg_free,
};

int registry_pg_open(struct pol_registry *registry, const char *conninfo, struct pol_diag *diag)
{
	PGconn *conn;

	registry->description = strdup("postgres");
	if (!registry->description)
		return -ENOMEM;
	conn = PQconnectdb(conninfo ? conninfo : "");
	if (!conn)
		return -ENOMEM;
	registry->conn = conn;
	registry->ops = &pg_ops; /* so pol_registry_free closes it */
	if (PQstatus(conn) != CONNECTION_OK) {
		pg_diag(diag, "cannot connect to the fleet database", PQerrorMessage(conn));
		return -ECONNREFUSED;
	}
	return 0;
}

#else

int registry_pg_open(struct pol_registry *registry, const char *conninfo, struct pol_diag *diag)
{
	(void)registry;
	(void)conninfo;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

#endif
