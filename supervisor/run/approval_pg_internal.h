/*
 * Shared by approval_pg.c (the loop thread's side of the fleet approval
 * queue) and approval_pg_thread.c (the database thread): the request and
 * event queues between them. Not for other modules: use approval_pg.h.
 */
#ifndef ATTESTA_SUP_APPROVAL_PG_INTERNAL_H
#define ATTESTA_SUP_APPROVAL_PG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/approval_pg.h"

struct sup_loop;
/* While rows are published the connection is checked this often. */
#define PING_MS 3000
/* Rows published at once (the approval table holds at most 256). */
#define MAX_PUBLISHED 512
#define MAX_ROLES 16

enum req_kind { REQ_HOLD, REQ_CLOSE, REQ_ACK };
enum ev_kind { EV_BEGIN, EV_ANSWER, EV_DENY, EV_FAIL };

struct req {
	enum req_kind kind;
	unsigned local_id;
	int64_t db_id;
	struct pol_approval_pg_hold hold; /* strings below own the pointers */
	char *s1, *s2, *s3, *s4, *s5, *s6;
	struct req *next;
};

struct ev {
	enum ev_kind kind;
	unsigned local_id;
	int64_t db_id;
	char role[128];
	int part;
	double age;
	bool session;
	char **answers;
	size_t n_answers; /* (size_t)-1: malformed */
	char reason[320];
	struct ev *next;
};

struct seen_role {
	char role[128];
	int stage; /* 1 begin sent, 2 answer sent, 3 deny sent */
};

struct published {
	unsigned local_id;
	int64_t db_id;
	struct seen_role roles[MAX_ROLES];
	size_t n_roles;
};

struct apg {
	struct sup_loop *loop;
	char *conninfo;
	char session_id[64];
	pthread_t thread;
	pthread_mutex_t lock;
	struct req *reqs, **reqs_tail;
	struct ev *evs, **evs_tail;
	int req_efd, ev_efd;
	/* thread only */
	struct pol_approval_pg *pg;
	struct published pub[MAX_PUBLISHED];
	size_t n_pub;
	/* loop thread only */
	unsigned held[MAX_PUBLISHED];
	size_t n_held;
	struct seen_role refused[MAX_PUBLISHED]; /* "db:ROLE@ID" whose answers are refused */
	size_t n_refused;
};


/* approval_pg_thread.c */
void apg_wake(int fd);
void apg_drain_efd(int fd);
void apg_req_free(struct req *r);
void apg_ev_free(struct ev *e);
void apg_push_req(struct apg *g, struct req *r);
/* Queue a fail_mode event for local item id (applied by the loop thread
 * on its next turn, never from inside an approval-table callback). */
void apg_post_fail(struct apg *g, unsigned local_id, const char *cause);
/* Connect if not connected. 0 or -errno with diag. */
int apg_connect(struct apg *g, struct pol_diag *diag);
void *apg_thread_main(void *arg);

#endif
