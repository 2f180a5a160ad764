/*
 * Internals shared by approval.c (the table of held items, deadlines,
 * outcomes), approval_sock.c (the socket server and its protocol),
 * approval_info.c (what an item shows) and approval_peer.c (who may
 * connect). Not for other modules: use approval.h.
 */
#ifndef ATTESTA_SUP_APPROVAL_INTERNAL_H
#define ATTESTA_SUP_APPROVAL_INTERNAL_H

#include <sys/types.h>

#include "policy/challenge.h"
#include "policy/pol_limits.h"
#include "supervisor/run/approval.h"

struct pol_challenge_state;

struct approval_item {
	unsigned id;
	void *cookie;
	struct pol_challenge_state *challenge;
	struct cJSON *info;              /* static: what is shown */
	enum pol_level level;
	double deadline;                 /* monotonic */
	unsigned session_yes, session_no;/* votes of passed approvers */
	bool concluded[POL_CHALLENGE_MAX_PARTS]; /* a passed part's approver gave its scope */
	double held_at;                  /* monotonic, when held (held time at exit) */
	struct approval_item *next;      /* FIFO, oldest first */
};

struct approval_conn {
	int fd;
	uid_t uid;
	pid_t pid;
	char identity[POL_CHALLENGE_MAX_IDENTITY];
	char *in;                        /* POL_APPROVAL_MAX_LINE + 1 */
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool closing;                    /* close once out is flushed */
	struct approval_conn *next;
};

struct sup_approval {
	const struct pol_config *config;
	struct sup_approval_ops ops;
	char session_id[64];
	pid_t supervisor_pid;
	bool announce;
	int epfd, timerfd, listen_fd;
	char *socket_path;
	struct approval_item *items;
	unsigned next_id;
	struct approval_conn *conns;
	size_t n_conns;
	sup_approval_changed_fn changed;
	void *changed_ctx;
	sup_approval_changed_fn observer; /* a second listener (approval_pg.c) */
	void *observer_ctx;
	double held_seconds;             /* decided items: total time they waited */
	unsigned long long n_held;       /* decided items */
};

/* Epoll tags of the inner set (connections use their pointer). */
#define APPROVAL_TAG_LISTEN ((uint64_t)1)
#define APPROVAL_TAG_TIMER ((uint64_t)2)

struct approval_item *approval_find(const struct sup_approval *a, unsigned id);
/* Decide an item: outcome to ops->decided, then to the changed callback;
 * the item is freed. */
void approval_finish(struct sup_approval *a, struct approval_item *it,
		     struct sup_approval_outcome *o);
/* Tell the renderer the table changed (outcome NULL: not decided). */
void approval_notify_changed(struct sup_approval *a, unsigned id,
			     const struct sup_approval_outcome *o);

/* approval_info.c */
struct cJSON *approval_info_build(unsigned id, const struct pol_action *action,
				  const struct pol_decision *decision,
				  const struct pol_removal_scale *scale);
/* "exec rm -rf build" and "HIGH" for the stderr hint line. */
const char *approval_info_description(const struct cJSON *info);

/* approval_sock.c */
int approval_sock_listen(struct sup_approval *a, char *why, size_t why_size);
void approval_sock_close_all(struct sup_approval *a);
void approval_sock_accept(struct sup_approval *a);
void approval_sock_event(struct sup_approval *a, struct approval_conn *c, uint32_t events);

#endif
