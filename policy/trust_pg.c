/*
 * The trust history summary in the fleet database (trust_pg.h,
 * docs/trust.md "Trust in the fleet database"). Rows become an ordinary
 * trust store (trust_internal.h), so the score is the model of trust.c on
 * exactly the counts the database holds. Rows are untrusted input: each
 * value is parsed strictly, as the store file is (trust_store.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol_limits.h"
#include "trust_internal.h"
#include "trust_pg.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

struct pol_trust_pg {
	PGconn *conn;
};

static int failed(struct pol_diag *diag, const char *what, const char *message, int err)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
	return err;
}

int pol_trust_pg_open(const char *conninfo, struct pol_trust_pg **ret, struct pol_diag *diag)
{
	struct pol_trust_pg *db = calloc(1, sizeof(*db));

	if (!db)
		return -ENOMEM;
	db->conn = PQconnectdb(conninfo ? conninfo : "");
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		failed(diag, "cannot connect to the fleet database",
		       db->conn ? PQerrorMessage(db->conn) : "out of memory", 0);
		pol_trust_pg_close(db);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(db->conn, NULL, NULL);
	*ret = db;
	return 0;
}

void pol_trust_pg_close(struct pol_trust_pg *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	free(db);
}

bool pol_trust_pg_ok(const struct pol_trust_pg *db)
{
	return db && PQstatus(db->conn) == CONNECTION_OK;
}

/* The error of a failed call: -EACCES for insufficient_privilege (42501),
 * else -EIO; diag says why. */
static int call_error(PGresult *res, const char *what, struct pol_diag *diag)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int err = state && !strcmp(state, "42501") ? -EACCES : -EIO;

	return failed(diag, what, PQresultErrorMessage(res), err);
}

/* Run one of the schema's functions; the first value of the result in
 * ret_first (may be NULL). 0 or -errno with diag. */
static int call(struct pol_trust_pg *db, const char *sql, int n, const char *const *values,
		const char *what, bool *ret_first, struct pol_diag *diag)
{
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, values, NULL, NULL, 0);
	int r = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		r = call_error(res, what, diag);
	else if (ret_first)
		*ret_first = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return r;
}

int pol_trust_pg_record(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			bool approved, struct pol_diag *diag)
{
	const char *v[3] = { agent_id, domain, approved ? "t" : "f" };

	if (!trust_name_valid(agent_id) || (domain && !trust_name_valid(domain)))
		return -EINVAL;
	return call(db, "SELECT attesta_trust_record($1, $2, $3)", 3, v,
		    "cannot record the outcome", NULL, diag);
}

int pol_trust_pg_incident(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			  enum pol_trust_severity severity, const char *action,
			  struct pol_diag *diag)
{
	const char *v[4] = { agent_id, domain, pol_trust_severity_name(severity), action };

	if (!trust_name_valid(agent_id) || (domain && !trust_name_valid(domain)) ||
	    (unsigned)severity >= POL_TRUST_SEVERITY_COUNT)
		return -EINVAL;
	return call(db, "SELECT attesta_trust_incident($1, $2, $3, $4)", 4, v,
		    "cannot record the incident", NULL, diag);
}

int pol_trust_pg_revoke(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag)
{
	if (!trust_name_valid(agent_id))
		return -EINVAL;
	return call(db, "SELECT attesta_trust_revoke($1)", 1, &agent_id, "cannot revoke", NULL,
		    diag);
}

int pol_trust_pg_reinstate(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag)
{
	bool done = false;
	int r;

	if (!trust_name_valid(agent_id))
		return -EINVAL;
	r = call(db, "SELECT attesta_trust_reinstate($1)", 1, &agent_id, "cannot reinstate",
		 &done, diag);
	return r < 0 ? r : done ? 0 : -ENOENT;
}

/* --- reading ---------------------------------------------------------------- */

enum {
	C_AGENT, C_REVOKED, C_REVOKED_AT, C_REVOCATIONS, C_DOMAIN, C_APPROVALS, C_DENIALS,
	C_INC_LOW, C_INC_MEDIUM, C_INC_HIGH, C_INC_CRITICAL, C_FIRST_SEEN, C_LAST_ACTIVITY,
	C_LAST_INCIDENT_AT, C_LAST_INCIDENT_ACTION, C_COUNT
};

static int parse_count(const char *text, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!text[0] || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v >= (UINT64_C(1) << 53))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_time(const char *text, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= 0) || v > 1e12)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* One result row into the table. */
static int add_row(struct trust_table *table, PGresult *res, int i)
{
	struct pol_trust_agent *agent;
	struct pol_trust_domain *d;
	int err = 0, r = 0;

	agent = trust_table_agent(table, PQgetvalue(res, i, C_AGENT), true, &err);
	if (!agent)
		return err;
	agent->revoked = !strcmp(PQgetvalue(res, i, C_REVOKED), "t");
	r = parse_time(PQgetvalue(res, i, C_REVOKED_AT), &agent->revoked_at);
	r = r ?: parse_count(PQgetvalue(res, i, C_REVOCATIONS), &agent->revocations);
	if (r < 0 || PQgetisnull(res, i, C_DOMAIN))
		return r; /* an agent without domains (revoked before any decision) */
	d = trust_agent_domain(agent, PQgetvalue(res, i, C_DOMAIN), true, 0, &err);
	if (!d)
		return err;
	r = parse_count(PQgetvalue(res, i, C_APPROVALS), &d->approvals);
	r = r ?: parse_count(PQgetvalue(res, i, C_DENIALS), &d->denials);
	for (unsigned s = 0; r == 0 && s < POL_TRUST_SEVERITY_COUNT; s++)
		r = parse_count(PQgetvalue(res, i, C_INC_LOW + (int)s), &d->incidents[s]);
	r = r ?: parse_time(PQgetvalue(res, i, C_FIRST_SEEN), &d->first_seen);
	r = r ?: parse_time(PQgetvalue(res, i, C_LAST_ACTIVITY), &d->last_activity);
	r = r ?: parse_time(PQgetvalue(res, i, C_LAST_INCIDENT_AT), &d->last_incident_at);
	if (r == 0 && !PQgetisnull(res, i, C_LAST_INCIDENT_ACTION)) {
		d->last_incident_action = strndup(PQgetvalue(res, i, C_LAST_INCIDENT_ACTION),
						  POL_TRUST_MAX_NAME);
		if (!d->last_incident_action)
			r = -ENOMEM;
	}
	return r;
}

int pol_trust_pg_load(struct pol_trust_pg *db, const char *agent_id,
		      const struct pol_config *config, struct pol_trust_store **ret,
		      struct pol_diag *diag)
{
	static const char sql[] =
		"SELECT a.agent_id, a.revoked, a.revoked_at, a.revocations, d.domain,"
		" d.approvals, d.denials, d.incidents_low, d.incidents_medium, d.incidents_high,"
		" d.incidents_critical, d.first_seen, d.last_activity, d.last_incident_at,"
		" d.last_incident_action"
		" FROM attesta_trust_agent a LEFT JOIN attesta_trust_domain d USING (agent_id)"
		" WHERE $1::text IS NULL OR a.agent_id = $1 ORDER BY a.agent_id, d.domain";
	struct pol_trust_store *store;
	PGresult *res;
	int r = 0, n, i = 0;

	if (agent_id && !trust_name_valid(agent_id))
		return -EINVAL;
	res = PQexecParams(db->conn, sql, 1, NULL, &agent_id, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != C_COUNT) {
		r = call_error(res, "cannot read trust", diag);
		PQclear(res);
		return r;
	}
	store = calloc(1, sizeof(*store));
	if (!store) {
		PQclear(res);
		return -ENOMEM;
	}
	pol_trust_params_from_config(config, &store->params);
	n = PQntuples(res);
	for (; i < n && r == 0; i++)
		r = add_row(&store->table, res, i);
	if (r < 0)
		pol_diag_set(diag, "postgres", 0, 0, "trust row of agent '%.256s' %s",
			     PQgetvalue(res, i - 1, C_AGENT),
			     r == -E2BIG ? "is beyond the limits (agents, domains per agent)"
					 : "is invalid");
	PQclear(res);
	if (r < 0) {
		pol_trust_store_free(store);
		return r;
	}
	*ret = store;
	return 0;
}

#else

static int no_libpq(struct pol_diag *diag)
{
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

int pol_trust_pg_open(const char *conninfo, struct pol_trust_pg **ret, struct pol_diag *diag)
{
	(void)conninfo;
	(void)ret;
	return no_libpq(diag);
}

void pol_trust_pg_close(struct pol_trust_pg *db)
{
	(void)db;
}

bool pol_trust_pg_ok(const struct pol_trust_pg *db)
{
	(void)db;
	return false;
}

int pol_trust_pg_load(struct pol_trust_pg *db, const char *agent_id,
		      const struct pol_config *config, struct pol_trust_store **ret,
		      struct pol_diag *diag)
{
	(void)db, (void)agent_id, (void)config, (void)ret;
	return no_libpq(diag);
}

int pol_trust_pg_record(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			bool approved, struct pol_diag *diag)
{
	(void)db, (void)agent_id, (void)domain, (void)approved;
	return no_libpq(diag);
}

int pol_trust_pg_incident(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			  enum pol_trust_severity severity, const char *action,
			  struct pol_diag *diag)
{
	(void)db, (void)agent_id, (void)domain, (void)severity, (void)action;
	return no_libpq(diag);
}

int pol_trust_pg_revoke(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag)
{
	(void)db, (void)agent_id;
	return no_libpq(diag);
}

int pol_trust_pg_reinstate(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag)
{
	(void)db, (void)agent_id;
	return no_libpq(diag);
}

#endif
