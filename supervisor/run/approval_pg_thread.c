/*
 * The database thread of the fleet approval queue (approval_pg.h): owns
 * the connection, runs the loop thread's requests (publish, close, ack)
 * in order, waits on LISTEN attesta_approval for approvers' rows (plus a
 * SELECT 1 every PING_MS while rows are published, so a silent network
 * drop is noticed), turns new rows into events for the loop thread, and
 * on a lost connection fails every published item (fail_mode). Never
 * touches the approval table itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/run/approval_pg_internal.h"

void apg_wake(int fd)
{
	uint64_t one = 1;
	ssize_t n = write(fd, &one, sizeof one);
	(void)n;
}

void apg_drain_efd(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof v);
	(void)n;
}

void apg_req_free(struct req *r)
{
	if (!r)
		return;
	free(r->s1);
	free(r->s2);
	free(r->s3);
	free(r->s4);
	free(r->s5);
	free(r->s6);
	free(r);
}

void apg_ev_free(struct ev *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->answers && i < e->n_answers; i++)
		free(e->answers[i]);
	free(e->answers);
	free(e);
}

void apg_push_req(struct apg *g, struct req *r)
{
	pthread_mutex_lock(&g->lock);
	*g->reqs_tail = r;
	g->reqs_tail = &r->next;
	pthread_mutex_unlock(&g->lock);
	apg_wake(g->req_efd);
}

static void push_ev(struct apg *g, struct ev *e)
{
	pthread_mutex_lock(&g->lock);
	*g->evs_tail = e;
	g->evs_tail = &e->next;
	pthread_mutex_unlock(&g->lock);
	apg_wake(g->ev_efd);
}

void apg_post_fail(struct apg *g, unsigned local_id, const char *cause)
{
	struct ev *e = calloc(1, sizeof *e);
	if (!e)
		return; /* the item's own timeout still applies */
	e->kind = EV_FAIL;
	e->local_id = local_id;
	snprintf(e->reason, sizeof e->reason, "%s", cause);
	push_ev(g, e);
}

/* ---- database thread ------------------------------------------------------ */

static struct published *pub_by_db(struct apg *g, int64_t id)
{
	for (size_t i = 0; i < g->n_pub; i++)
		if (g->pub[i].db_id == id)
			return &g->pub[i];
	return NULL;
}

static void pub_remove(struct apg *g, struct published *p)
{
	*p = g->pub[--g->n_pub];
}

/* The connection is gone: every published item ends in fail_mode. */
static void lost(struct apg *g, const struct pol_diag *diag)
{
	char cause[300];
	snprintf(cause, sizeof cause, "the fleet database was lost while the call was held (%.200s)",
		 diag && diag->message[0] ? diag->message : "connection closed");
	for (size_t i = 0; i < g->n_pub; i++)
		apg_post_fail(g, g->pub[i].local_id, cause);
	g->n_pub = 0;
	pol_approval_pg_free(g->pg);
	g->pg = NULL;
}

int apg_connect(struct apg *g, struct pol_diag *diag)
{
	if (g->pg)
		return 0;
	return pol_approval_pg_connect(g->conninfo, POL_APPROVAL_PG_CHANNEL_NODE, &g->pg, diag);
}

static struct seen_role *role_of(struct published *p, const char *role)
{
	for (size_t i = 0; i < p->n_roles; i++)
		if (!strcmp(p->roles[i].role, role))
			return &p->roles[i];
	if (p->n_roles >= MAX_ROLES || strlen(role) >= sizeof p->roles[0].role)
		return NULL;
	struct seen_role *s = &p->roles[p->n_roles++];
	snprintf(s->role, sizeof s->role, "%s", role);
	s->stage = 0;
	return s;
}

static void on_response(void *ctx, const struct pol_approval_pg_response *r)
{
	struct apg *g = ctx;
	struct published *p = pub_by_db(g, r->id);
	struct seen_role *s = p ? role_of(p, r->role) : NULL;
	enum ev_kind kind;

	if (!s)
		return;
	if (r->deny && s->stage < 3)
		kind = EV_DENY, s->stage = 3;
	else if (r->answered && s->stage < 2)
		kind = EV_ANSWER, s->stage = 2;
	else if (r->part >= 0 && s->stage < 1)
		kind = EV_BEGIN, s->stage = 1;
	else
		return;
	/* an answer always comes after its begin: send the begin first */
	if (kind == EV_ANSWER && r->part >= 0) {
		struct ev *b = calloc(1, sizeof *b);
		if (b) {
			b->kind = EV_BEGIN;
			b->local_id = p->local_id;
			b->db_id = r->id;
			snprintf(b->role, sizeof b->role, "%s", r->role);
			b->part = r->part;
			b->age = r->age;
			push_ev(g, b);
		}
	}
	struct ev *e = calloc(1, sizeof *e);
	if (!e)
		return;
	e->kind = kind;
	e->local_id = p->local_id;
	e->db_id = r->id;
	snprintf(e->role, sizeof e->role, "%s", r->role);
	e->part = r->part;
	e->age = r->age;
	e->session = r->session;
	snprintf(e->reason, sizeof e->reason, "%s", r->reason ? r->reason : "");
	if (kind == EV_ANSWER) {
		e->n_answers = r->n_answers;
		if (r->n_answers != (size_t)-1 && r->n_answers > 0) {
			e->answers = calloc(r->n_answers, sizeof *e->answers);
			for (size_t i = 0; e->answers && i < r->n_answers; i++)
				e->answers[i] = strdup(r->answers[i]);
			for (size_t i = 0; i < r->n_answers; i++)
				if (!e->answers || !e->answers[i])
					e->n_answers = (size_t)-1;
		}
	}
	push_ev(g, e);
}

static void run_req(struct apg *g, struct req *r)
{
	struct pol_diag diag = { 0 };
	int rc;

	if (r->kind == REQ_HOLD) {
		int64_t id = 0;
		char cause[300];
		rc = apg_connect(g, &diag);
		if (rc == 0 && g->n_pub >= MAX_PUBLISHED)
			rc = -ENOSPC;
		if (rc == 0)
			rc = pol_approval_pg_hold(g->pg, &r->hold, &id, &diag);
		if (rc < 0) {
			snprintf(cause, sizeof cause, "cannot publish it in the fleet database "
				 "(%.200s)", diag.message[0] ? diag.message : strerror(-rc));
			apg_post_fail(g, r->local_id, cause);
			if (rc == -EPIPE)
				lost(g, &diag);
			return;
		}
		struct published *p = &g->pub[g->n_pub++];
		memset(p, 0, sizeof *p);
		p->local_id = r->local_id;
		p->db_id = id;
		return;
	}
	if (r->kind == REQ_CLOSE) {
		struct published *p = NULL;
		for (size_t i = 0; i < g->n_pub; i++)
			if (g->pub[i].local_id == r->local_id)
				p = &g->pub[i];
		if (!p)
			return; /* never published, or already failed */
		int64_t id = p->db_id;
		pub_remove(g, p);
		if (g->pg && (rc = pol_approval_pg_close(g->pg, id, r->s1, r->s2, &diag)) < 0) {
			fprintf(stderr, "attesta-run: fleet approvals: %s\n", diag.message);
			if (rc == -EPIPE)
				lost(g, &diag);
		}
		return;
	}
	/* REQ_ACK */
	struct published *p = pub_by_db(g, r->db_id);
	if (p && !strcmp(r->s2, "too_early")) {
		struct seen_role *s = role_of(p, r->s1);
		if (s && s->stage == 2)
			s->stage = 1; /* the answers were cleared: a new answer is new */
	}
	if (g->pg && (rc = pol_approval_pg_ack(g->pg, r->db_id, r->s1, r->s2, &diag)) < 0 &&
	    rc == -EPIPE)
		lost(g, &diag);
}

void *apg_thread_main(void *arg)
{
	struct apg *g = arg;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = g->req_efd, .events = POLLIN },
					 { .fd = pol_approval_pg_fd(g->pg), .events = POLLIN } };
		int n = poll(pfd, g->pg ? 2 : 1, g->n_pub ? PING_MS : -1);
		struct pol_diag diag = { 0 };

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			apg_drain_efd(g->req_efd);
			pthread_mutex_lock(&g->lock);
			struct req *list = g->reqs;
			g->reqs = NULL;
			g->reqs_tail = &g->reqs;
			pthread_mutex_unlock(&g->lock);
			while (list) {
				struct req *r = list;
				list = r->next;
				run_req(g, r);
				apg_req_free(r);
			}
		}
		if (!g->pg)
			continue;
		if (n == 0 && g->n_pub && pol_approval_pg_ping(g->pg, &diag) < 0) {
			lost(g, &diag);
			continue;
		}
		/* Always drain, not only when the socket is readable: a
		 * notification that arrived during one of our own queries
		 * (publish, ack, ping, poll) was read off the socket by libpq
		 * and waits in its queue. Read the answers until no new
		 * notification came in meanwhile (bounded). */
		for (int round = 0; round < 8; round++) {
			int64_t ids[64];
			size_t n_ids = 0;
			int c = pol_approval_pg_drain_ids(g->pg, ids, 64, &n_ids, &diag);
			if (c < 0) {
				lost(g, &diag);
				break;
			}
			if (c == 0 || !g->n_pub)
				break;
			/* every node hears every approval event: read the
			 * answers only when one is about a row of ours (or
			 * when there were more payloads than we kept) */
			bool ours = (size_t)c > n_ids;
			for (size_t i = 0; i < n_ids && !ours; i++)
				ours = pub_by_db(g, ids[i]) != NULL;
			if (!ours)
				break;
			if (pol_approval_pg_poll(g->pg, g->session_id, on_response, g, &diag) ==
			    -EPIPE) {
				lost(g, &diag);
				break;
			}
		}
	}
	return NULL;
}

