/*
 * The fleet approval queue, connection and node side (approval_pg.h):
 * attesta-run's approval thread publishes held calls, reads approvers'
 * rows, acknowledges what its challenge made of them and closes decided
 * rows, all through the schema's functions (policy/fleet_schema.c), which
 * restrict a node to its own rows (session_user). Used by one thread per
 * connection. Values are parameters, never SQL text.
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

void apg_fail(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
}

int pol_approval_pg_connect(const char *conninfo, const char *channel,
			    struct pol_approval_pg **ret, struct pol_diag *diag)
{
	struct pol_approval_pg *pg = calloc(1, sizeof(*pg));
	char sql[128];
	PGresult *res;

	if (!pg)
		return -ENOMEM;
	pg->conn = PQconnectdb(conninfo ? conninfo : "");
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		apg_fail(diag, "cannot connect to the fleet database",
			 pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		pol_approval_pg_free(pg);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(pg->conn, NULL, NULL);
	if (channel) {
		/* channel is one of ours (a constant identifier), not input */
		snprintf(sql, sizeof(sql), "LISTEN %s", channel);
		res = PQexec(pg->conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			apg_fail(diag, "cannot LISTEN", PQresultErrorMessage(res));
			PQclear(res);
			pol_approval_pg_free(pg);
			return -ECONNREFUSED;
		}
		PQclear(res);
	}
	*ret = pg;
	return 0;
}

void pol_approval_pg_free(struct pol_approval_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg);
}

int pol_approval_pg_fd(const struct pol_approval_pg *pg)
{
	return pg && pg->conn ? PQsocket(pg->conn) : -1;
}

static bool lost(const struct pol_approval_pg *pg)
{
	return PQstatus(pg->conn) != CONNECTION_OK;
}

int pol_approval_pg_drain_ids(struct pol_approval_pg *pg, int64_t *ids, size_t max,
			      size_t *ret_n, struct pol_diag *diag)
{
	PGnotify *n;
	int count = 0;

	if (ret_n)
		*ret_n = 0;
	if (!PQconsumeInput(pg->conn) || lost(pg)) {
		apg_fail(diag, "lost the fleet database connection", PQerrorMessage(pg->conn));
		return -EPIPE;
	}
	while ((n = PQnotifies(pg->conn))) {
		count++;
		if (ids && ret_n && *ret_n < max && n->extra)
			ids[(*ret_n)++] = strtoll(n->extra, NULL, 10);
		PQfreemem(n);
	}
	return count;
}

int pol_approval_pg_drain(struct pol_approval_pg *pg, struct pol_diag *diag)
{
	return pol_approval_pg_drain_ids(pg, NULL, 0, NULL, diag);
}

PGresult *apg_exec(struct pol_approval_pg *pg, const char *sql, int n,
		   const char *const *values, const char *what, int *ret_rc,
		   struct pol_diag *diag)
{
	PGresult *res = PQexecParams(pg->conn, sql, n, NULL, values, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*ret_rc = 0;
		return res;
	}
	apg_fail(diag, what, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	*ret_rc = lost(pg) ? -EPIPE : -EIO;
	return res;
}

int pol_approval_pg_ping(struct pol_approval_pg *pg, struct pol_diag *diag)
{
	int r;
	PQclear(apg_exec(pg, "SELECT 1", 0, NULL, "fleet database", &r, diag));
	return r < 0 ? -EPIPE : 0;
}

int pol_approval_pg_hold(struct pol_approval_pg *pg, const struct pol_approval_pg_hold *h,
			 int64_t *ret_id, struct pol_diag *diag)
{
	char held[16], req[16], min[32], secs[32];
	const char *v[11] = { h->node_id, h->session_id, held, h->agent_id, h->level,
			      h->challenge, req, min, h->item_json, h->parts_json, secs };
	int r;

	snprintf(held, sizeof held, "%u", h->held_id);
	snprintf(req, sizeof req, "%u", h->approvers_required);
	snprintf(min, sizeof min, "%.3f", h->minimum_review_seconds);
	snprintf(secs, sizeof secs, "%.3f", h->seconds_left);
	PGresult *res = apg_exec(pg, "SELECT attesta_approval_hold($1, $2, $3::integer, $4, $5,"
				 " $6, $7::integer, $8::float8, $9::jsonb, $10::jsonb, $11::float8)",
				 11, v, "cannot publish the held call", &r, diag);
	if (r == 0 && PQntuples(res) == 1)
		*ret_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (r == 0)
		r = -EIO;
	PQclear(res);
	return r;
}

int pol_approval_pg_close(struct pol_approval_pg *pg, int64_t id, const char *status,
			  const char *reason, struct pol_diag *diag)
{
	char ids[24];
	const char *v[3] = { ids, status, reason ? reason : "" };
	int r;

	snprintf(ids, sizeof ids, "%" PRId64, id);
	PQclear(apg_exec(pg, "SELECT attesta_approval_close($1::bigint, $2, $3)", 3, v,
			 "cannot close the held call", &r, diag));
	return r;
}

int pol_approval_pg_ack(struct pol_approval_pg *pg, int64_t id, const char *role,
			const char *result, struct pol_diag *diag)
{
	char ids[24];
	const char *v[3] = { ids, role, result };
	int r;

	snprintf(ids, sizeof ids, "%" PRId64, id);
	PQclear(apg_exec(pg, "SELECT attesta_approval_node_ack($1::bigint, $2, $3)", 3, v,
			 "cannot record the result", &r, diag));
	return r;
}

int pol_approval_pg_poll(struct pol_approval_pg *pg, const char *session_id,
			 pol_approval_pg_response_fn fn, void *ctx, struct pol_diag *diag)
{
	const char *v[1] = { session_id };
	int r;
	PGresult *res = apg_exec(pg, "SELECT o_id, o_role, coalesce(o_part, -1), o_age,"
				 " coalesce(o_decision, ''), coalesce(o_answers, '[]'::jsonb),"
				 " o_session, coalesce(o_reason, '')"
				 " FROM attesta_approval_node_poll($1)", 1, v,
				 "cannot read the answers", &r, diag);

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		struct pol_approval_pg_response resp = { 0 };
		const char *answers[APG_MAX_ANSWERS];
		const char *decision = PQgetvalue(res, i, 4);
		cJSON *arr = cJSON_Parse(PQgetvalue(res, i, 5)), *a;
		size_t n = 0;

		resp.id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		resp.role = PQgetvalue(res, i, 1);
		resp.part = atoi(PQgetvalue(res, i, 2));
		resp.age = strtod(PQgetvalue(res, i, 3), NULL);
		resp.answered = !strcmp(decision, "answer");
		resp.deny = !strcmp(decision, "deny");
		resp.session = !strcmp(PQgetvalue(res, i, 6), "t");
		resp.reason = PQgetvalue(res, i, 7);
		cJSON_ArrayForEach(a, arr) {
			if (n >= APG_MAX_ANSWERS || !cJSON_IsString(a))
				break;
			answers[n++] = a->valuestring;
		}
		resp.answers = answers;
		resp.n_answers = n;
		if (resp.answered && (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n))
			resp.n_answers = (size_t)-1; /* malformed: the caller refuses it */
		fn(ctx, &resp);
		cJSON_Delete(arr);
	}
	PQclear(res);
	return r;
}

#else

int pol_approval_pg_connect(const char *conninfo, const char *channel,
			    struct pol_approval_pg **ret, struct pol_diag *diag)
{
	(void)conninfo;
	(void)channel;
	(void)ret;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

void pol_approval_pg_free(struct pol_approval_pg *pg)
{
	(void)pg;
}

int pol_approval_pg_fd(const struct pol_approval_pg *pg)
{
	(void)pg;
	return -1;
}

int pol_approval_pg_drain(struct pol_approval_pg *pg, struct pol_diag *diag)
{
	(void)pg;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_ping(struct pol_approval_pg *pg, struct pol_diag *diag)
{
	(void)pg;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_drain_ids(struct pol_approval_pg *pg, int64_t *ids, size_t max,
			      size_t *ret_n, struct pol_diag *diag)
{
	(void)pg;
	(void)ids;
	(void)max;
	(void)ret_n;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_hold(struct pol_approval_pg *pg, const struct pol_approval_pg_hold *h,
			 int64_t *ret_id, struct pol_diag *diag)
{
	(void)pg;
	(void)h;
	(void)ret_id;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_close(struct pol_approval_pg *pg, int64_t id, const char *status,
			  const char *reason, struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)status;
	(void)reason;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_ack(struct pol_approval_pg *pg, int64_t id, const char *role,
			const char *result, struct pol_diag *diag)
{
	(void)pg;
	(void)id;
	(void)role;
	(void)result;
	(void)diag;
	return -ENOTSUP;
}

int pol_approval_pg_poll(struct pol_approval_pg *pg, const char *session_id,
			 pol_approval_pg_response_fn fn, void *ctx, struct pol_diag *diag)
{
	(void)pg;
	(void)session_id;
	(void)fn;
	(void)ctx;
	(void)diag;
	return -ENOTSUP;
}

#endif
