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
 *                      revokes, reinstates agents, records incidents
 *   attesta_node       also records one trust outcome at a time
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
	/* shared trust (docs/trust.md, "Trust in the fleet database"): the
	 * history summary of trust.c, one row per agent and per (agent,
	 * domain). Nobody but the owner writes the tables: nodes record an
	 * outcome through attesta_trust_record() (one UPDATE of the row,
	 * which locks it and adds to its newest version: concurrent nodes
	 * never lose an update; the time is the server's), operators
	 * revoke, reinstate and record incidents through the other
	 * functions. A stolen node credential cannot set a score, clear a
	 * revocation or a denial. Every change notifies attesta_trust. */
	"CREATE TABLE IF NOT EXISTS attesta_trust_agent ("
	" agent_id text PRIMARY KEY"
	"  CHECK (octet_length(agent_id) BETWEEN 1 AND 256 AND agent_id !~ '[[:cntrl:]]'),"
	" revoked boolean NOT NULL DEFAULT false,"
	" revoked_at double precision NOT NULL DEFAULT 0,"
	" revocations bigint NOT NULL DEFAULT 0 CHECK (revocations >= 0),"
	" updated_at double precision NOT NULL);"
	"CREATE TABLE IF NOT EXISTS attesta_trust_domain ("
	" agent_id text NOT NULL REFERENCES attesta_trust_agent (agent_id) ON DELETE CASCADE,"
	" domain text NOT NULL"
	"  CHECK (octet_length(domain) BETWEEN 1 AND 256 AND domain !~ '[[:cntrl:]]'),"
	" approvals bigint NOT NULL DEFAULT 0 CHECK (approvals >= 0),"
	" denials bigint NOT NULL DEFAULT 0 CHECK (denials >= 0),"
	" incidents_low bigint NOT NULL DEFAULT 0 CHECK (incidents_low >= 0),"
	" incidents_medium bigint NOT NULL DEFAULT 0 CHECK (incidents_medium >= 0),"
	" incidents_high bigint NOT NULL DEFAULT 0 CHECK (incidents_high >= 0),"
	" incidents_critical bigint NOT NULL DEFAULT 0 CHECK (incidents_critical >= 0),"
	" first_seen double precision NOT NULL,"
	" last_activity double precision NOT NULL,"
	" last_incident_at double precision NOT NULL DEFAULT 0,"
	" last_incident_action text,"
	" PRIMARY KEY (agent_id, domain));"
	"CREATE OR REPLACE FUNCTION attesta_trust_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_TRUST "',"
	"  CASE WHEN TG_OP = 'DELETE' THEN OLD.agent_id ELSE NEW.agent_id END);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_trust_agent_notify ON attesta_trust_agent;"
	"CREATE TRIGGER attesta_trust_agent_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_trust_agent FOR EACH ROW EXECUTE FUNCTION attesta_trust_notify();"
	"DROP TRIGGER IF EXISTS attesta_trust_domain_notify ON attesta_trust_domain;"
	"CREATE TRIGGER attesta_trust_domain_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_trust_domain FOR EACH ROW EXECUTE FUNCTION attesta_trust_notify();"
	/* the agent row, and the domain row (at most 64 per agent, as the
	 * trust store: pol_limits.h) */
	"CREATE OR REPLACE FUNCTION attesta_trust_domain_row(p_agent text, p_domain text,"
	" p_now double precision) RETURNS void LANGUAGE plpgsql"
	" SET search_path = pg_catalog, public, pg_temp AS $f$ BEGIN"
	" INSERT INTO attesta_trust_agent (agent_id, updated_at) VALUES (p_agent, p_now)"
	"  ON CONFLICT (agent_id) DO NOTHING;"
	" IF NOT EXISTS (SELECT 1 FROM attesta_trust_domain WHERE agent_id = p_agent"
	"   AND domain = p_domain)"
	"  AND (SELECT count(*) FROM attesta_trust_domain WHERE agent_id = p_agent) >= 64 THEN"
	"  RAISE EXCEPTION 'attesta: agent % has 64 trust domains already', p_agent"
	"   USING ERRCODE = '54000'; END IF;"
	" INSERT INTO attesta_trust_domain (agent_id, domain, first_seen, last_activity)"
	"  VALUES (p_agent, p_domain, p_now, p_now) ON CONFLICT (agent_id, domain) DO NOTHING;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_record(p_agent text, p_domain text,"
	" p_approved boolean) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp());"
	" d text := coalesce(p_domain, 'general'); BEGIN"
	" IF p_approved IS NULL THEN RAISE EXCEPTION 'attesta: outcome is null'; END IF;"
	" PERFORM attesta_trust_domain_row(p_agent, d, t);"
	" UPDATE attesta_trust_domain SET"
	"  approvals = least(approvals + p_approved::int, 9007199254740991),"
	"  denials = least(denials + (NOT p_approved)::int, 9007199254740991),"
	"  last_activity = greatest(last_activity, t)"
	"  WHERE agent_id = p_agent AND domain = d;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_incident(p_agent text, p_domain text,"
	" p_severity text, p_action text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp());"
	" d text := coalesce(p_domain, 'general'); BEGIN"
	" IF p_severity IS NULL OR p_severity NOT IN ('low', 'medium', 'high', 'critical') THEN"
	"  RAISE EXCEPTION 'attesta: invalid severity'; END IF;"
	" PERFORM attesta_trust_domain_row(p_agent, d, t);"
	" UPDATE attesta_trust_domain SET"
	"  incidents_low = least(incidents_low + (p_severity = 'low')::int, 9007199254740991),"
	"  incidents_medium = least(incidents_medium + (p_severity = 'medium')::int,"
	"   9007199254740991),"
	"  incidents_high = least(incidents_high + (p_severity = 'high')::int, 9007199254740991),"
	"  incidents_critical = least(incidents_critical + (p_severity = 'critical')::int,"
	"   9007199254740991),"
	"  last_incident_at = t, last_incident_action = left(p_action, 256),"
	"  last_activity = greatest(last_activity, t)"
	"  WHERE agent_id = p_agent AND domain = d;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_revoke(p_agent text) RETURNS void"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp()); BEGIN"
	" INSERT INTO attesta_trust_agent AS a (agent_id, revoked, revoked_at, revocations,"
	"  updated_at) VALUES (p_agent, true, t, 1, t)"
	"  ON CONFLICT (agent_id) DO UPDATE SET revoked = true, revoked_at = t,"
	"  revocations = least(a.revocations + 1, 9007199254740991), updated_at = t"
	"  WHERE NOT a.revoked;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_reinstate(p_agent text) RETURNS boolean"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp()); BEGIN"
	" UPDATE attesta_trust_agent SET revoked = false, updated_at = t"
	"  WHERE agent_id = p_agent AND revoked;"
	" IF NOT FOUND THEN RETURN false; END IF;"
	" UPDATE attesta_trust_domain SET approvals = 0, denials = 0,"
	"  last_activity = greatest(last_activity, t) WHERE agent_id = p_agent;"
	" RETURN true; END $f$;"
	"REVOKE ALL ON attesta_trust_agent, attesta_trust_domain FROM PUBLIC;"
	"REVOKE ALL ON FUNCTION attesta_trust_domain_row(text, text, double precision),"
	" attesta_trust_record(text, text, boolean),"
	" attesta_trust_incident(text, text, text, text), attesta_trust_revoke(text),"
	" attesta_trust_reinstate(text) FROM PUBLIC;"
	"GRANT SELECT ON attesta_trust_agent, attesta_trust_domain"
	" TO attesta_node, attesta_operator;"
	"GRANT EXECUTE ON FUNCTION attesta_trust_record(text, text, boolean) TO attesta_node;"
	"GRANT EXECUTE ON FUNCTION attesta_trust_incident(text, text, text, text),"
	" attesta_trust_revoke(text), attesta_trust_reinstate(text) TO attesta_operator;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

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
