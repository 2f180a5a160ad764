/*
 * The fleet database schema as versioned migrations (`attesta db init`,
 * docs/fleet.md "The fleet database"). Each entry below is one version:
 * once released it is never edited; a change is a new version. They are
 * applied in order, in one transaction with their version rows, under an
 * advisory lock, so running db init twice (or on two hosts at once) is
 * safe and the second run changes nothing.
 *
 * Roles (NOLOGIN groups; grant them to login roles):
 *   attesta_node       reads its own registry row (row-level security:
 *                      node_id = the login role's name) and reads bundles
 *   attesta_publisher  pushes bundles (INSERT; no UPDATE or DELETE: the
 *                      history is kept)
 *   attesta_operator   enrolls, revokes, sets rollout states; reads bundles;
 *                      reads every node's shipped audit rows and prunes them
 * A node's role also inserts (never updates or deletes) its own shipped
 * audit rows and keeps its own shipping cursor (row-level security).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_db.h"

static const char *const migrations[] = {
	/* 1: the enrollment registry, with a change notification */
	"CREATE TABLE IF NOT EXISTS attesta_enrollment ("
	" node_id text PRIMARY KEY,"
	" enrollment_ref text NOT NULL,"
	" status text NOT NULL CHECK (status IN ('active', 'revoked')),"
	" rollout_state text NOT NULL CHECK (rollout_state IN"
	"  ('none', 'pending', 'acknowledged', 'active', 'rollback', 'failed')),"
	" enrolled_at double precision NOT NULL,"
	" updated_at double precision NOT NULL);"
	"CREATE OR REPLACE FUNCTION attesta_enrollment_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_ENROLLMENT "',"
	"  CASE WHEN TG_OP = 'DELETE' THEN OLD.node_id ELSE NEW.node_id END);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_enrollment_notify ON attesta_enrollment;"
	"CREATE TRIGGER attesta_enrollment_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_enrollment FOR EACH ROW EXECUTE FUNCTION attesta_enrollment_notify();",

	/* 2: signed bundles by name@version, history kept */
	"CREATE TABLE IF NOT EXISTS attesta_bundle ("
	" name text NOT NULL,"
	" version text NOT NULL,"
	" sha256 text NOT NULL,"
	" data bytea NOT NULL,"
	" pushed_at timestamptz NOT NULL DEFAULT now(),"
	" pushed_by text NOT NULL DEFAULT session_user,"
	" seq bigserial,"
	" PRIMARY KEY (name, version));"
	"CREATE OR REPLACE FUNCTION attesta_bundle_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_BUNDLE "', NEW.name || '@' || NEW.version);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_bundle_notify ON attesta_bundle;"
	"CREATE TRIGGER attesta_bundle_notify AFTER INSERT ON attesta_bundle"
	" FOR EACH ROW EXECUTE FUNCTION attesta_bundle_notify();",

	/* 3: roles */
	"DO $r$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_node') THEN"
	"  CREATE ROLE attesta_node NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_publisher') THEN"
	"  CREATE ROLE attesta_publisher NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_operator') THEN"
	"  CREATE ROLE attesta_operator NOLOGIN; END IF;"
	" END $r$;"
	"REVOKE ALL ON attesta_enrollment, attesta_bundle FROM PUBLIC;"
	"GRANT USAGE ON SCHEMA public TO attesta_node, attesta_publisher, attesta_operator;"
	"GRANT SELECT ON attesta_bundle TO attesta_node, attesta_publisher, attesta_operator;"
	"GRANT INSERT ON attesta_bundle TO attesta_publisher;"
	"GRANT USAGE ON SEQUENCE attesta_bundle_seq_seq TO attesta_publisher;"
	"GRANT SELECT ON attesta_enrollment TO attesta_node;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_enrollment TO attesta_operator;"
	"ALTER TABLE attesta_enrollment ENABLE ROW LEVEL SECURITY;"
	"DROP POLICY IF EXISTS attesta_node_own_row ON attesta_enrollment;"
	"CREATE POLICY attesta_node_own_row ON attesta_enrollment FOR SELECT TO attesta_node"
	" USING (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_operator_rows ON attesta_enrollment;"
	"CREATE POLICY attesta_operator_rows ON attesta_enrollment TO attesta_operator"
	" USING (true) WITH CHECK (true);",

	/* audit shipping (docs/audit.md "Shipping to PostgreSQL"): one row
	 * per local entry, the line byte for byte; the shipping cursor per
	 * (node, log identity); prune records. A node's role inserts and
	 * reads its own rows and cursor only, and can never update or
	 * delete an entry; operators read every row and prune. */
	"CREATE TABLE IF NOT EXISTS attesta_audit ("
	" node_id text NOT NULL,"
	" seq bigint NOT NULL CHECK (seq >= 0),"
	" entry_id text NOT NULL,"
	" chain_hash text NOT NULL,"
	" previous_hash text NOT NULL,"
	" intercepted_at timestamptz,"
	" line text NOT NULL,"
	" log_id text NOT NULL,"
	" shipped_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (node_id, seq));"
	"CREATE INDEX IF NOT EXISTS attesta_audit_entry_id ON attesta_audit (entry_id);"
	"CREATE INDEX IF NOT EXISTS attesta_audit_time ON attesta_audit (node_id, intercepted_at);"
	"CREATE TABLE IF NOT EXISTS attesta_audit_cursor ("
	" node_id text NOT NULL,"
	" log_id text NOT NULL,"
	" byte_offset bigint NOT NULL CHECK (byte_offset >= 0),"
	" last_seq bigint NOT NULL DEFAULT -1,"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (node_id, log_id));"
	"CREATE TABLE IF NOT EXISTS attesta_audit_pruned ("
	" node_id text PRIMARY KEY,"
	" before_seq bigint NOT NULL CHECK (before_seq >= 0),"
	" before_time text NOT NULL,"
	" pruned_at timestamptz NOT NULL DEFAULT now(),"
	" pruned_by text NOT NULL DEFAULT session_user);"
	"REVOKE ALL ON attesta_audit, attesta_audit_cursor, attesta_audit_pruned FROM PUBLIC;"
	"GRANT SELECT, INSERT ON attesta_audit TO attesta_node;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_audit_cursor TO attesta_node;"
	"GRANT SELECT ON attesta_audit_pruned TO attesta_node;"
	"GRANT SELECT, DELETE ON attesta_audit TO attesta_operator;"
	"GRANT SELECT ON attesta_audit_cursor TO attesta_operator;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_audit_pruned TO attesta_operator;"
	"ALTER TABLE attesta_audit ENABLE ROW LEVEL SECURITY;"
	"ALTER TABLE attesta_audit_cursor ENABLE ROW LEVEL SECURITY;"
	"DROP POLICY IF EXISTS attesta_audit_node_rows ON attesta_audit;"
	"CREATE POLICY attesta_audit_node_rows ON attesta_audit TO attesta_node"
	" USING (node_id = session_user) WITH CHECK (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_audit_operator_rows ON attesta_audit;"
	"CREATE POLICY attesta_audit_operator_rows ON attesta_audit TO attesta_operator"
	" USING (true);"
	"DROP POLICY IF EXISTS attesta_audit_cursor_node ON attesta_audit_cursor;"
	"CREATE POLICY attesta_audit_cursor_node ON attesta_audit_cursor TO attesta_node"
	" USING (node_id = session_user) WITH CHECK (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_audit_cursor_operator ON attesta_audit_cursor;"
	"CREATE POLICY attesta_audit_cursor_operator ON attesta_audit_cursor FOR SELECT"
	" TO attesta_operator USING (true);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int pol_fleet_db_latest(void)
{
	return N_MIGRATIONS;
}

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

static int failed(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
	return -EIO;
}

/* Run sql; 0 or -EIO with diag. */
static int run(PGconn *conn, const char *sql, const char *what, struct pol_diag *diag)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int r = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
			? 0 : failed(diag, what, PQresultErrorMessage(res));

	PQclear(res);
	return r;
}

int pol_fleet_db_init(const char *conninfo, int *ret_from, int *ret_to, struct pol_diag *diag)
{
	PGconn *conn = PQconnectdb(conninfo ? conninfo : "");
	PGresult *res;
	int from = 0, r;

	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		r = failed(diag, "cannot connect to the fleet database",
			   conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return r;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);
	r = run(conn, "SET client_min_messages = warning; BEGIN;"
		" SELECT pg_advisory_xact_lock(hashtext('attesta db init'));"
		" CREATE TABLE IF NOT EXISTS attesta_schema_version ("
		"  version integer PRIMARY KEY,"
		"  applied_at timestamptz NOT NULL DEFAULT now())", "cannot start", diag);
	if (r < 0)
		goto out;
	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM attesta_schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = failed(diag, "cannot read the schema version", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	from = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (from > N_MIGRATIONS) {
		r = pol_diag_set(diag, "postgres", 0, 0, "the database schema is version %d, newer "
				 "than this attesta knows (%d)", from, N_MIGRATIONS);
		goto out;
	}
	for (int v = from + 1; v <= N_MIGRATIONS && r == 0; v++) {
		char what[64], row[96];

		snprintf(what, sizeof(what), "migration %d", v);
		r = run(conn, migrations[v - 1], what, diag);
		snprintf(row, sizeof(row), "INSERT INTO attesta_schema_version (version) VALUES (%d)",
			 v);
		r = r ?: run(conn, row, what, diag);
	}
	r = r ?: run(conn, "COMMIT", "cannot commit", diag);
	if (r == 0) {
		*ret_from = from;
		*ret_to = N_MIGRATIONS;
	}
out:
	PQfinish(conn);
	return r;
}

#else

int pol_fleet_db_init(const char *conninfo, int *ret_from, int *ret_to, struct pol_diag *diag)
{
	(void)conninfo;
	(void)ret_from;
	(void)ret_to;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

#endif
