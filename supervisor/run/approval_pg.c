/*
 * The fleet approval queue on the node (approval_pg.h). Two sides:
 *
 *  - the loop thread observes the approval table (approval.h): a newly
 *    held item becomes a "hold" request (its description and the
 *    questions of every part, never the accepted answers), a decided one
 *    a "close" request; events from the database thread (an approver
 *    began, answered or denied; the database was lost) are applied to the
 *    table with the identity "db:ROLE" (the role the database
 *    authenticated; ':' never occurs in a local user name, so a database
 *    role can never resume a local approver's part), and what the
 *    challenge made of the answers is sent back ("ack").
 *  - the database thread (approval_pg_thread.c) owns the connection: it runs the requests,
 *    waits on LISTEN attesta_approval (plus a SELECT 1 every few seconds
 *    while rows are published, so a silent network drop is noticed), and
 *    on a lost connection fails every published item (fail_mode).
 *
 * Trust: rows come back from the database; only this node's role's rows
 * of this session are read (the schema's functions), answers are only
 * compared by the local challenge, and the review clock is the
 * database's first-seen time, never anything an approver sent.
 */
#include "supervisor/run/approval_pg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "policy/challenge.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/approval_pg_internal.h"
#include "supervisor/run/attest_internal.h"
#include "supervisor/run/loop.h"

/* ---- loop thread ---------------------------------------------------------- */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static const char *info_str(const cJSON *info, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* [{"part_challenge", "questions": [{index, kind, text, options}]}]: the
 * same shape as the socket's ITEM, never the accepted answers. */
static char *parts_json(struct pol_challenge_state *ch)
{
	cJSON *parts = cJSON_CreateArray();
	size_t n_parts = ch ? pol_challenge_part_count(ch) : 0;

	for (size_t p = 0; parts && p < n_parts; p++) {
		cJSON *part = cJSON_CreateObject();
		if (!part)
			break;
		cJSON_AddItemToArray(parts, part);
		cJSON_AddStringToObject(part, "part_challenge",
					pol_challenge_name(pol_challenge_part_kind(ch, p)));
		cJSON_AddItemToObject(part, "questions", sup_approval_questions_json(ch, p));
	}
	char *text = parts ? cJSON_PrintUnformatted(parts) : NULL;
	cJSON_Delete(parts);
	return text;
}

static const char *node_id(const struct sup_loop *loop)
{
	static char host[256];
	const char *env = getenv("ATTESTA_NODE_ID");

	if (loop->gate->attest && loop->gate->attest->node_id)
		return loop->gate->attest->node_id;
	if (env && *env)
		return env;
	if (loop->gate->config->node_id)
		return loop->gate->config->node_id;
	if (!host[0] && gethostname(host, sizeof host - 1) < 0)
		snprintf(host, sizeof host, "unknown");
	return host;
}

static bool held_has(struct apg *g, unsigned id, bool remove)
{
	for (size_t i = 0; i < g->n_held; i++) {
		if (g->held[i] == id) {
			if (remove)
				g->held[i] = g->held[--g->n_held];
			return true;
		}
	}
	return false;
}

static void publish(struct apg *g, unsigned id)
{
	struct sup_approval *a = g->loop->gate->approval;
	const cJSON *info = sup_approval_info(a, id);
	struct req *r = calloc(1, sizeof *r);

	if (!info || !r || g->n_held >= MAX_PUBLISHED) {
		free(r);
		/* not from here: we are inside sup_approval_hold() */
		apg_post_fail(g, id, "cannot publish it in the fleet database (out of memory)");
		return;
	}
	r->kind = REQ_HOLD;
	r->local_id = id;
	r->s1 = cJSON_PrintUnformatted(info);
	r->s2 = parts_json(sup_approval_challenge(a, id));
	r->s3 = dup_or_empty(node_id(g->loop));
	r->s4 = dup_or_empty(g->loop->gate->agent_id);
	r->s5 = dup_or_empty(info_str(info, "level"));
	r->s6 = dup_or_empty(info_str(info, "challenge"));
	if (!r->s1 || !r->s2 || !r->s3 || !r->s4 || !r->s5 || !r->s6) {
		apg_req_free(r);
		apg_post_fail(g, id, "cannot publish it in the fleet database (out of memory)");
		return;
	}
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(info, "approvers_required");
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(info, "minimum_review_seconds");
	r->hold = (struct pol_approval_pg_hold){
		.node_id = r->s3, .session_id = g->session_id, .agent_id = r->s4,
		.level = r->s5, .challenge = r->s6, .held_id = id,
		.approvers_required = cJSON_IsNumber(req) && req->valuedouble >= 1
					      ? (unsigned)req->valuedouble : 1,
		.minimum_review_seconds = cJSON_IsNumber(min) ? min->valuedouble : 0,
		.seconds_left = sup_approval_seconds_left(a, id),
		.item_json = r->s1, .parts_json = r->s2,
	};
	g->held[g->n_held++] = id;
	apg_push_req(g, r);
}

static void observe(void *ctx, unsigned id, const struct sup_approval_outcome *o)
{
	struct apg *g = ctx;

	if (!o) {
		if (!held_has(g, id, false) && sup_approval_info(g->loop->gate->approval, id))
			publish(g, id);
		return;
	}
	if (!held_has(g, id, true))
		return;
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->kind = REQ_CLOSE;
	r->local_id = id;
	r->s1 = dup_or_empty(sup_verdict_name(o->verdict));
	r->s2 = dup_or_empty(o->reason);
	if (!r->s1 || !r->s2) {
		apg_req_free(r);
		return;
	}
	apg_push_req(g, r);
}

static void ack(struct apg *g, const struct ev *e, const char *result)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->kind = REQ_ACK;
	r->db_id = e->db_id;
	r->s1 = strdup(e->role);
	r->s2 = strdup(result);
	if (!r->s1 || !r->s2) {
		apg_req_free(r);
		return;
	}
	apg_push_req(g, r);
}

/* "ROLE@ID" entries whose answers this node refuses (part conflict). */
static bool refused(struct apg *g, const struct ev *e, bool add)
{
	char key[128];
	snprintf(key, sizeof key, "%.100s@%u", e->role, e->local_id);
	for (size_t i = 0; i < g->n_refused; i++)
		if (!strcmp(g->refused[i].role, key))
			return true;
	if (add && g->n_refused < MAX_PUBLISHED)
		snprintf(g->refused[g->n_refused++].role, sizeof g->refused[0].role, "%s", key);
	return add;
}

static void apply(struct apg *g, struct ev *e)
{
	struct sup_approval *a = g->loop->gate->approval;
	char identity[160];
	size_t part;
	double wait = 0;
	int rc;

	if (e->kind == EV_FAIL) {
		sup_approval_fail(a, e->local_id, e->reason);
		return;
	}
	snprintf(identity, sizeof identity, "db:%s", e->role);
	struct pol_challenge_state *ch = sup_approval_challenge(a, e->local_id);
	if (!ch) {
		ack(g, e, "gone");
		return;
	}
	if (e->kind == EV_DENY) {
		sup_approval_deny(a, e->local_id, identity, e->reason[0] ? e->reason : NULL);
		ack(g, e, "denied");
		return;
	}
	if (e->kind == EV_BEGIN) {
		/* the review clock starts when the database first showed it */
		double at = sup_approval_now() - (e->age > 0 ? e->age : 0);
		rc = pol_challenge_begin(ch, identity, at, &part);
		if (rc == -EALREADY)
			return; /* resumed after an answer: nothing to do */
		if (rc < 0 || (int)part != e->part) {
			/* SECURITY: the approver was shown another part's
			 * questions (a local approver took it first): refuse,
			 * never check them against this part. */
			refused(g, e, true);
			ack(g, e, rc == -EBUSY || rc == 0 ? "conflict" : "refused");
		}
		return;
	}
	/* EV_ANSWER */
	if (refused(g, e, false)) {
		ack(g, e, "conflict");
		return;
	}
	if (e->n_answers == (size_t)-1) {
		ack(g, e, "bad_request");
		return;
	}
	rc = sup_approval_submit(a, e->local_id, identity, (const char *const *)e->answers,
				 e->n_answers, e->session, &wait);
	switch (rc) {
	case SUP_SUBMIT_TOO_EARLY: ack(g, e, "too_early"); break;
	case SUP_SUBMIT_WAITING: ack(g, e, "waiting"); break;
	case SUP_SUBMIT_APPROVED: ack(g, e, "approved"); break;
	case SUP_SUBMIT_DENIED: ack(g, e, "denied"); break;
	case SUP_SUBMIT_NOT_AN_OPTION: ack(g, e, "not_an_option"); break;
	case -EALREADY: ack(g, e, "already_answered"); break;
	case -EBUSY: ack(g, e, "busy"); break;
	case -ENOENT: ack(g, e, "gone"); break;
	default: ack(g, e, "bad_request"); break;
	}
}

static void on_events(void *ctx, int fd, uint32_t events)
{
	struct apg *g = ctx;
	(void)fd;
	(void)events;
	apg_drain_efd(g->ev_efd);
	pthread_mutex_lock(&g->lock);
	struct ev *list = g->evs;
	g->evs = NULL;
	g->evs_tail = &g->evs;
	pthread_mutex_unlock(&g->lock);
	while (list) {
		struct ev *e = list;
		list = e->next;
		apply(g, e);
		apg_ev_free(e);
	}
}

int sup_approval_pg_open(struct sup_loop *loop, char *why, size_t why_size)
{
	struct pol_diag diag = { 0 };
	struct apg *g;
	int rc;

	if (loop->gate->config->approvals_backend != POL_APPROVALS_POSTGRES)
		return 0;
	if (!loop->gate->approval) {
		snprintf(why, why_size, "approvals.backend: postgres needs a renderer other "
			 "than none");
		return -EINVAL;
	}
	g = calloc(1, sizeof *g);
	if (!g)
		return -ENOMEM;
	g->loop = loop;
	g->conninfo = strdup(loop->gate->config->fleet_database ? loop->gate->config->fleet_database : "");
	snprintf(g->session_id, sizeof g->session_id, "%s", loop->gate->session_id);
	pthread_mutex_init(&g->lock, NULL);
	g->reqs_tail = &g->reqs;
	g->evs_tail = &g->evs;
	g->req_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->ev_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!g->conninfo || g->req_efd < 0 || g->ev_efd < 0) {
		snprintf(why, why_size, "fleet approvals: %s", strerror(errno ? errno : ENOMEM));
		return -ENOMEM; /* attesta-run exits: nothing to free */
	}
	/* Connect now so a wrong connection string is said at start-up; a
	 * database that is down only makes held calls end in fail_mode. */
	rc = apg_connect(g, &diag);
	if (rc < 0)
		fprintf(stderr, "attesta-run: warning: fleet approvals: %s (held calls get "
			"fail_mode until it is reachable)\n", diag.message);
	rc = sup_ev_add(&loop->ev, g->ev_efd, on_events, g);
	if (rc < 0) {
		snprintf(why, why_size, "cannot watch the fleet approval queue: %s", strerror(-rc));
		return rc;
	}
	sup_approval_set_observer(loop->gate->approval, observe, g);
	/* signals stay with the loop thread (its signalfd) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&g->thread, NULL, apg_thread_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(why, why_size, "cannot start the fleet approval thread: %s", strerror(rc));
		return -rc;
	}
	pthread_detach(g->thread);
	return 0;
}
