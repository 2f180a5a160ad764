/*
 * The fleet approval queue in PostgreSQL (docs/approvals.md, "The fleet
 * approval queue"): the node side (attesta-run publishes a held call as a
 * pending row, reads the answers approvers gave, reports what its local
 * challenge made of them, closes the row when the call is decided) and
 * the approver side (`attesta pending|approve|deny --db`). Every write
 * goes through the schema's SECURITY DEFINER functions (fleet_schema.c),
 * which take the approver's identity from session_user; every value is a
 * parameter, never SQL text. Built only with libpq's header; otherwise
 * every function returns -ENOTSUP with a message.
 *
 * Trust: rows read back are untrusted input (another node, or an agent
 * holding a node's credentials, may have written them): the node only
 * acts on rows of its own role and session, and checks answers against
 * its own challenge; the approver side only shows them (term-safe).
 */
#ifndef ATTESTA_APPROVAL_PG_H
#define ATTESTA_APPROVAL_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct cJSON;
struct pol_approval_pg;

/* Channels: nodes LISTEN on the first (payload: approval id), approvers
 * on the second (a row was decided or a node answered). */
#define POL_APPROVAL_PG_CHANNEL_NODE "attesta_approval"
#define POL_APPROVAL_PG_CHANNEL_RESULT "attesta_approval_result"

/* Connect and LISTEN on channel (NULL: none). -ECONNREFUSED with diag. */
int pol_approval_pg_connect(const char *conninfo, const char *channel,
			    struct pol_approval_pg **ret, struct pol_diag *diag);
void pol_approval_pg_free(struct pol_approval_pg *pg);
/* The socket to poll for notifications; -1 when not connected. */
int pol_approval_pg_fd(const struct pol_approval_pg *pg);
/* Consume input: notifications seen (>= 0), or -EPIPE (connection lost). */
int pol_approval_pg_drain(struct pol_approval_pg *pg, struct pol_diag *diag);
/* The same, and the first max payloads read as ids (approval ids: the
 * channels' payload) into ids[0..*ret_n). */
int pol_approval_pg_drain_ids(struct pol_approval_pg *pg, int64_t *ids, size_t max,
			      size_t *ret_n, struct pol_diag *diag);
/* A round trip (SELECT 1): 0, or -EPIPE. */
int pol_approval_pg_ping(struct pol_approval_pg *pg, struct pol_diag *diag);

/* --- node side (approval_pg.c) --- */

struct pol_approval_pg_hold {
	const char *node_id, *session_id, *agent_id, *level, *challenge;
	unsigned held_id, approvers_required;
	double minimum_review_seconds, seconds_left;
	const char *item_json;  /* what renderers show (docs/approvals.md ITEM) */
	const char *parts_json; /* [{"part_challenge","questions"}]: no accepted answers */
};
/* Insert a pending row: 0 and *ret_id, or -EIO with diag. */
int pol_approval_pg_hold(struct pol_approval_pg *pg, const struct pol_approval_pg_hold *h,
			 int64_t *ret_id, struct pol_diag *diag);
/* status: approved, denied, timed_out, escalated. 0 or -EIO. */
int pol_approval_pg_close(struct pol_approval_pg *pg, int64_t id, const char *status,
			  const char *reason, struct pol_diag *diag);

/* One approver's row as the node reads it. */
struct pol_approval_pg_response {
	int64_t id;
	const char *role;
	int part;                  /* -1: none (a deny without a part) */
	double age;                /* seconds since the database first showed it */
	bool answered, deny, session;
	const char *const *answers;
	size_t n_answers;
	const char *reason;
};
typedef void (*pol_approval_pg_response_fn)(void *ctx, const struct pol_approval_pg_response *r);
/* Every unanswered-by-the-node response of this node's pending rows of
 * session_id, oldest first. 0 or -EIO / -EPIPE. */
int pol_approval_pg_poll(struct pol_approval_pg *pg, const char *session_id,
			 pol_approval_pg_response_fn fn, void *ctx, struct pol_diag *diag);
/* What the node's challenge made of role's answers ("approved",
 * "waiting", "denied", "too_early" (the answers are cleared), ...). */
int pol_approval_pg_ack(struct pol_approval_pg *pg, int64_t id, const char *role,
			const char *result, struct pol_diag *diag);

/* --- approver side (approval_pg_client.c) --- */

/* Errors of the approver functions, from the database's message. */
enum pol_approval_pg_error {
	POL_APG_OK = 0,
	POL_APG_NO_SUCH_ID,
	POL_APG_NODE_ROLE,         /* the caller is a node role: refused */
	POL_APG_DECIDED,           /* decided or past its deadline */
	POL_APG_BUSY,              /* every part is held by other roles */
	POL_APG_ALREADY,           /* this role answered already */
	POL_APG_DENIED_ACCESS,     /* not an approver (no EXECUTE) */
	POL_APG_OTHER,
};

/* Pending rows (id 0), or the row id whatever its state, as a JSON array
 * of {id, node_id, node_role, agent_id, level, challenge,
 * approvers_required, approvers_passed, seconds_left,
 * minimum_review_seconds, item, parts, status, reason, your_part,
 * your_result, you}. Caller owns. 0 or -EIO with diag. */
int pol_approval_pg_list(struct pol_approval_pg *pg, int64_t id, struct cJSON **ret,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag);
/* Begin (or resume) this role's part: *ret_part, *ret_review_left. */
int pol_approval_pg_begin(struct pol_approval_pg *pg, int64_t id, int *ret_part,
			  double *ret_review_left, enum pol_approval_pg_error *ret_err,
			  struct pol_diag *diag);
/* Record answers: 0 (recorded) with *ret_wait 0, or 0 with *ret_wait > 0
 * (too early, nothing recorded). */
int pol_approval_pg_answer(struct pol_approval_pg *pg, int64_t id, const char *const *answers,
			   size_t n, bool session, double *ret_wait,
			   enum pol_approval_pg_error *ret_err, struct pol_diag *diag);
int pol_approval_pg_deny(struct pol_approval_pg *pg, int64_t id, const char *reason,
			 enum pol_approval_pg_error *ret_err, struct pol_diag *diag);

#endif
