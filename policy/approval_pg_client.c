/*
 * The fleet approval queue, approver side (approval_pg.h): list held
 * calls of every node, begin a part, send answers, deny. The database
 * functions (policy/fleet_schema.c) take the approver's identity from
 * session_user, refuse node roles, record first-seen and answer times
 * with the database's clock and refuse answers before the minimum review
 * time; this file only passes values as parameters and maps the
 * functions' errors ("attesta: CODE ...") to enum pol_approval_pg_error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "approval_pg.h"
#include "approval_pg_internal.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

static enum pol_approval_pg_error error_of(const PGresult *res)
{
	static const struct {
		const char *prefix;
		enum pol_approval_pg_error err;
	} map[] = {
		{ "attesta: no_such_id", POL_APG_NO_SUCH_ID },
		{ "attesta: node_role", POL_APG_NODE_ROLE },
		{ "attesta: decided", POL_APG_DECIDED },
		{ "attesta: busy", POL_APG_BUSY },
		{ "attesta: already_answered", POL_APG_ALREADY },
	};
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state && !strcmp(state, "42501"))
		return POL_APG_DENIED_ACCESS; /* insufficient_privilege */
	for (size_t i = 0; msg && i < sizeof map / sizeof map[0]; i++)
		if (!strncmp(msg, map[i].prefix, strlen(map[i].prefix)))
			return map[i].err;
	return POL_APG_OTHER;
}

static PGresult *call(struct pol_approval_pg *pg, const char *sql, int n, const char *const *v,
		      const char *what, int *ret_rc, enum pol_approval_pg_error *ret_err,
		      struct pol_diag *diag)
{
	PGresult *res = apg_exec(pg, sql, n, v, what, ret_rc, diag);

	*ret_err = *ret_rc == 0 ? POL_APG_OK : error_of(res);
	return res;
}

static cJSON *parse_or_null(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	return j ? j : cJSON_CreateNull();
}

int pol_approval_pg_list(struct pol_approval_pg *pg, int64_t id, cJSON **ret,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	static const char *const names[] = {
		"id", "node_id", "node_role", "agent_id", "level", "challenge",
		"approvers_required", "approvers_passed", "seconds_left",
		"minimum_review_seconds", "item", "parts", "status", "reason", "your_part",
		"your_result", "you",
	};
	char ids[24];
	const char *v[1] = { ids };
	int r;

	if (id > 0)
		snprintf(ids, sizeof ids, "%" PRId64, id);
	else
		v[0] = NULL;
	PGresult *res = call(pg, "SELECT * FROM attesta_approval_list($1::bigint)", 1, v,
			     "cannot list held calls", &r, ret_err, diag);
	cJSON *arr = r == 0 ? cJSON_CreateArray() : NULL;

	if (r == 0 && !arr)
		r = -ENOMEM;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o) {
			r = -ENOMEM;
			break;
		}
		cJSON_AddItemToArray(arr, o);
		for (int f = 0; f < (int)(sizeof names / sizeof names[0]) && f < PQnfields(res);
		     f++) {
			const char *val = PQgetvalue(res, i, f);
			bool null = !*val && f >= 13; /* your_part, your_result, reason */

			if (f == 10 || f == 11)
				cJSON_AddItemToObject(o, names[f], parse_or_null(val));
			else if (null)
				cJSON_AddNullToObject(o, names[f]);
			else if (f == 0 || f == 6 || f == 7 || f == 8 || f == 9 || f == 14)
				cJSON_AddNumberToObject(o, names[f], strtod(val, NULL));
			else
				cJSON_AddStringToObject(o, names[f], val);
		}
	}
	PQclear(res);
	if (r < 0) {
		cJSON_Delete(arr);
		return r;
	}
	*ret = arr;
	return 0;
}

int pol_approval_pg_begin(struct pol_approval_pg *pg, int64_t id, int *ret_part,
			  double *ret_review_left, enum pol_approval_pg_error *ret_err,
			  struct pol_diag *diag)
{
	char ids[24];
	const char *v[1] = { ids };
	int r;

	snprintf(ids, sizeof ids, "%" PRId64, id);
	PGresult *res = call(pg, "SELECT o_part, o_review_left FROM attesta_approval_begin($1::bigint)",
			     1, v, "cannot begin", &r, ret_err, diag);
	if (r == 0 && PQntuples(res) == 1) {
		*ret_part = atoi(PQgetvalue(res, 0, 0));
		*ret_review_left = strtod(PQgetvalue(res, 0, 1), NULL);
	} else if (r == 0) {
		r = -EIO;
	}
	PQclear(res);
	return r;
}

/* A text[] literal: every element quoted, '\' and '"' escaped. */
static char *array_literal(const char *const *answers, size_t n)
{
	size_t cap = 3;
	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(answers[i]) + 3;
	char *s = malloc(cap), *p = s;
	if (!s)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = answers[i]; *c; c++) {
			if (*c == '\\' || *c == '"')
				*p++ = '\\';
			*p++ = *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

int pol_approval_pg_answer(struct pol_approval_pg *pg, int64_t id, const char *const *answers,
			   size_t n, bool session, double *ret_wait,
			   enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	char ids[24];
	char *arr = array_literal(answers, n);
	const char *v[3] = { ids, arr, session ? "true" : "false" };
	int r;

	if (!arr)
		return -ENOMEM;
	snprintf(ids, sizeof ids, "%" PRId64, id);
	PGresult *res = call(pg, "SELECT attesta_approval_answer($1::bigint, $2::text[],"
			     " $3::boolean)", 3, v, "cannot send the answers", &r, ret_err, diag);
	if (r == 0 && PQntuples(res) == 1)
		*ret_wait = strtod(PQgetvalue(res, 0, 0), NULL);
	else if (r == 0)
		r = -EIO;
	PQclear(res);
	free(arr);
	return r;
}

int pol_approval_pg_deny(struct pol_approval_pg *pg, int64_t id, const char *reason,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	char ids[24];
	const char *v[2] = { ids, reason ? reason : "" };
	int r;

	snprintf(ids, sizeof ids, "%" PRId64, id);
	PQclear(call(pg, "SELECT attesta_approval_deny($1::bigint, $2)", 2, v, "cannot deny",
		     &r, ret_err, diag));
	return r;
}

#else

int pol_approval_pg_list(struct pol_approval_pg *pg, int64_t id, struct cJSON **ret,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)ret;
	*ret_err = POL_APG_OTHER;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

int pol_approval_pg_begin(struct pol_approval_pg *pg, int64_t id, int *ret_part,
			  double *ret_review_left, enum pol_approval_pg_error *ret_err,
			  struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)ret_part;
	(void)ret_review_left;
	(void)diag;
	*ret_err = POL_APG_OTHER;
	return -ENOTSUP;
}

int pol_approval_pg_answer(struct pol_approval_pg *pg, int64_t id, const char *const *answers,
			   size_t n, bool session, double *ret_wait,
			   enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)answers;
	(void)n;
	(void)session;
	(void)ret_wait;
	(void)diag;
	*ret_err = POL_APG_OTHER;
	return -ENOTSUP;
}

int pol_approval_pg_deny(struct pol_approval_pg *pg, int64_t id, const char *reason,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)reason;
	(void)diag;
	*ret_err = POL_APG_OTHER;
	return -ENOTSUP;
}

#endif
