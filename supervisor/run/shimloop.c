/*
 * The shim's sockets in the event loop (see shimloop.h). Gate connections
 * that have not sent their request yet wait in a private epoll set, itself
 * watched by the loop, so a slow or silent asker never blocks the loop
 * and the loop needs one watch however many connections are open. Every
 * request becomes a held call decided by the ordinary verdict path.
 */
#include "supervisor/run/shimloop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "supervisor/run/clock.h"
#include "supervisor/run/pipeline.h"

extern char **environ;

/* Connections waiting for their request; more are refused (the asker's
 * call fails closed with ENOSYS). */
#define MAX_PENDING_CONNS 256

/* The annotation socket wakes the loop at most once per REARM_MS
 * (docs/shim.md, "The supervisor's receive path"): every call the shim
 * annotates drains it first anyway, on whichever thread decides it, so
 * the loop's own drain only keeps the queue short while no such call
 * comes. A drain that read BUSY datagrams or more watches again at once,
 * so a sender that outruns REARM_MS does not fill the queue. */
#define ANNOTATION_REARM_MS 10
#define ANNOTATION_BUSY 64

struct sup_shimloop {
	struct sup_shimrecv *recv;
	struct sup_shimgate *gate;
	int conn_epfd;
	unsigned n_conns;
	uint64_t next_id;
	bool recv_gone; /* annotation socket hung up: every writer is gone */
	int rearm_fd;   /* timerfd: watch the annotation socket again */
	uint64_t n_wakeups, n_loop_datagrams; /* the loop's drains, what they read */
	struct sup_loop *loop; /* the loop whose dispatcher serves the sockets */
};

/* Take ownership of recv (annotations, may be NULL) and gate (shim-only
 * mode, may be NULL). 0, -ENOMEM. */
static int shimloop_new(struct sup_shimrecv *recv, struct sup_shimgate *gate,
			struct sup_shimloop **ret_shim)
{
	struct sup_shimloop *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	s->recv = recv;
	s->gate = gate;
	s->conn_epfd = -1;
	s->rearm_fd = -1;
	s->next_id = 1;
	if (gate != NULL) {
		s->conn_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (s->conn_epfd < 0) {
			int e = errno;

			free(s);
			return -e;
		}
	}
	*ret_shim = s;
	return 0;
}

void sup_shimloop_free(struct sup_shimloop *shim)
{
	if (shim == NULL)
		return;
	/* Connections still waiting for their request are left to process
	 * exit (this runs when attesta-run ends): their askers then see end of
	 * file and fail closed. */
	if (shim->conn_epfd >= 0)
		close(shim->conn_epfd);
	if (shim->rearm_fd >= 0)
		close(shim->rearm_fd);
	/* ATTESTA_DECISION_STATS=1: how often the annotations woke the loop
	 * (tests, benchmarks; docs/attesta-run.md) */
	const char *st = getenv("ATTESTA_DECISION_STATS");
	if (st && !strcmp(st, "1") && shim->recv)
		fprintf(stderr, "attesta-run: shim annotations: %llu wake-ups of the main thread "
			"read %llu datagrams\n", (unsigned long long)shim->n_wakeups,
			(unsigned long long)shim->n_loop_datagrams);
	sup_shimgate_free(shim->gate);
	sup_shimrecv_free(shim->recv);
	free(shim);
}

void sup_shimloop_drain(struct sup_loop *loop)
{
	struct sup_shimloop *s = loop->shim;

	if (s == NULL || s->recv == NULL || s->recv_gone)
		return;
	(void)sup_shimrecv_drain(s->recv, sup_shimrecv_now_ms());
}

/* The loop's own drain of the annotation socket (ANNOTATION_REARM_MS). */
static void loop_drain(struct sup_shimloop *s)
{
	int n = sup_shimrecv_drain(s->recv, sup_shimrecv_now_ms());

	s->n_wakeups++;
	if (n > 0)
		s->n_loop_datagrams += (uint64_t)n;
	/* the socket is disarmed (EPOLLONESHOT): watch it again after
	 * REARM_MS, or now when the queue is busy or there is no timer */
	const struct itimerspec later = { .it_value = { 0, ANNOTATION_REARM_MS * 1000000L } };
	if (n >= ANNOTATION_BUSY || s->rearm_fd < 0 ||
	    timerfd_settime(s->rearm_fd, 0, &later, NULL) < 0)
		(void)sup_ev_rearm(&s->loop->ev, sup_shimrecv_fd(s->recv), EPOLLIN | EPOLLONESHOT);
}

static void on_annotation(void *ctx, int fd, uint32_t events)
{
	struct sup_shimloop *s = ctx;

	if (events & (EPOLLHUP | EPOLLERR)) {
		(void)sup_shimrecv_drain(s->recv, sup_shimrecv_now_ms());
		/* Every copy of the sandbox's end is closed: nothing more can
		 * arrive; stop watching (a hung-up socket is always ready). */
		s->recv_gone = true;
		sup_ev_remove(&s->loop->ev, fd);
		return;
	}
	loop_drain(s);
}

static void on_rearm(void *ctx, int fd, uint32_t events)
{
	struct sup_shimloop *s = ctx;
	uint64_t expirations;

	(void)events;
	if (read(fd, &expirations, sizeof expirations) < 0)
		return; /* EAGAIN: not expired (a later settime) */
	if (!s->recv_gone)
		(void)sup_ev_rearm(&s->loop->ev, sup_shimrecv_fd(s->recv), EPOLLIN | EPOLLONESHOT);
}

void sup_shimloop_annotate(struct sup_loop *loop, struct sup_held *held)
{
	struct sup_shimloop *s = loop->shim;
	struct pol_action *a = held->action;
	int rc = 0;

	if (s == NULL || a == NULL)
		return;
	if (s->recv != NULL)
		rc = sup_shimrecv_annotate(s->recv, a, held->req.data.nr, (pid_t)held->req.pid,
					   sup_shimrecv_now_ms());
	if (rc == 0 && held->from_shim) {
		/* The request itself names its libc entry point. */
		const struct shim_gate_request *r = &held->shim_req;

		rc = pol_action_set(&a->libc_entry, sup_shim_entry_name(r->entry));
		if (rc == 0 && (r->entry == SHIM_ENTRY_SYSTEM || r->entry == SHIM_ENTRY_POPEN))
			rc = pol_action_set(&a->libc_command, r->text);
	}
	if (rc < 0)
		fprintf(stderr, "attesta-run: cannot annotate call: %s\n", strerror(-rc));
}

/* A request arrived (or the asker hung up) on a waiting connection. */
static void serve(struct sup_loop *loop, struct sup_shimloop *s, int fd)
{
	struct shim_gate_request req;
	struct sup_held *held;
	int rc = sup_shimgate_read(s->gate, fd, &req);

	if (rc == -EAGAIN)
		return; /* spurious: keep waiting */
	epoll_ctl(s->conn_epfd, EPOLL_CTL_DEL, fd, NULL);
	s->n_conns--;
	if (rc < 0) {
		/* Garbage, a foreign tid, or the asker left: closing the
		 * connection fails its call (ENOSYS). */
		if (rc != -ECONNRESET && rc != -EPERM)
			sup_shimgate_note_garbage(s->gate);
		close(fd);
		return;
	}
	held = sup_held_new();
	if (held == NULL) {
		close(fd);
		return;
	}
	/* Queued annotations (a RESOLVE before this connect) first. */
	sup_shimloop_drain(loop);
	held->id = s->next_id++;
	held->from_shim = true;
	held->shim_conn = fd;
	held->shim_req = req;
	sup_shimgate_to_notif(&req, held->id, &held->req);
	loop->n_notifications++;
	held->intercepted_at = sup_now();
	sup_held_insert(loop, held);
	/* No listener: the asker waits in its own recv, its pointers stay
	 * valid; the decoders read them as for a notification. */
	held->decode_result = sup_decode(-1, &held->req, &loop->gate->decode_opts, &held->action,
					 held->reason, sizeof(held->reason));
	if (held->decode_result == -ENOENT || held->decode_result == -ESRCH) {
		loop->n_gone++;
		sup_held_remove(loop, held);
		sup_held_free(held);
		return;
	}
	if (held->action != NULL && held->decode_result >= 0)
		sup_shimloop_annotate(loop, held);
	rc = sup_pipeline_run(loop, held);
	if (rc < 0)
		fprintf(stderr, "attesta-run: shim request: %s\n", strerror(-rc));
}

static void on_conns(void *ctx, int fd, uint32_t events)
{
	struct sup_shimloop *s = ctx;
	struct sup_loop *loop = s->loop;
	struct epoll_event ev[16];
	int n;

	(void)fd;
	(void)events;
	n = epoll_wait(s->conn_epfd, ev, 16, 0);
	for (int i = 0; i < n; i++)
		serve(loop, s, ev[i].data.fd);
}

static void on_gate(void *ctx, int gate_fd, uint32_t events)
{
	struct sup_shimloop *s = ctx;
	struct sup_loop *loop = s->loop;

	(void)gate_fd;
	(void)events;
	for (int budget = 0; budget < 64; budget++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd, rc = sup_shimgate_accept(s->gate, &fd);

		if (rc < 0)
			break;
		if (s->n_conns >= MAX_PENDING_CONNS) {
			close(fd);
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(s->conn_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		s->n_conns++;
		/* The request usually follows the connect at once. */
		serve(loop, s, fd);
	}
}

int sup_shimloop_watch(struct sup_loop *loop)
{
	struct sup_shimloop *s = loop->shim;
	int rc;

	if (s == NULL)
		return 0;
	s->loop = loop;
	if (s->recv != NULL) {
		/* without the timer the socket is watched again after each
		 * drain (loop_drain), as before */
		s->rearm_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s->rearm_fd >= 0 && sup_ev_add(&loop->ev, s->rearm_fd, on_rearm, s) < 0) {
			close(s->rearm_fd);
			s->rearm_fd = -1;
		}
		if ((rc = sup_ev_add_events(&loop->ev, sup_shimrecv_fd(s->recv),
					    EPOLLIN | EPOLLONESHOT, on_annotation, s)) < 0)
			return rc;
	}
	if (s->gate != NULL) {
		if ((rc = sup_ev_add(&loop->ev, sup_shimgate_fd(s->gate), on_gate, s)) < 0)
			return rc;
		if ((rc = sup_ev_add(&loop->ev, s->conn_epfd, on_conns, s)) < 0)
			return rc;
	}
	return 0;
}

int sup_shimloop_open(struct sup_loop *loop, bool shim_mode, unsigned gate_timeout_s,
		      char ***ret_env, char *reason, size_t reason_size)
{
	struct sup_shimrecv *recv = NULL;
	struct sup_shimgate *gate = NULL;
	char *preload = NULL;
	int rc;

	*ret_env = NULL;
	rc = sup_shimrecv_find_preload(&preload);
	if (rc < 0) {
		snprintf(reason, reason_size, "cannot find %s next to attesta-run or in "
			 "../lib/attesta (set ATTESTA_PRELOAD_LIB): %s", SHIM_LIB_NAME,
			 rc == -EINVAL ? "unusable path" : strerror(-rc));
		return shim_mode ? rc : 1;
	}
	if ((rc = sup_shimrecv_new(NULL, NULL, &recv)) < 0) {
		snprintf(reason, reason_size, "cannot create the shim socket: %s", strerror(-rc));
		goto fail;
	}
	if (shim_mode && (rc = sup_shimgate_new(&gate)) < 0) {
		snprintf(reason, reason_size, "cannot create the shim gate socket: %s",
			 strerror(-rc));
		goto fail;
	}
	rc = sup_shimrecv_child_env(recv, environ, preload,
				    gate ? sup_shimgate_env(gate, gate_timeout_s) : NULL, ret_env);
	if (rc < 0) {
		snprintf(reason, reason_size, "cannot build the environment: %s", strerror(-rc));
		goto fail;
	}
	rc = shimloop_new(recv, gate, &loop->shim);
	if (rc < 0) {
		snprintf(reason, reason_size, "out of memory");
		goto fail;
	}
	recv = NULL;
	gate = NULL;
	loop->gate->shim_mode = shim_mode;
	rc = sup_shimloop_watch(loop);
	if (rc < 0) {
		snprintf(reason, reason_size, "cannot watch the shim sockets: %s", strerror(-rc));
		goto fail;
	}
	free(preload);
	return 0;
fail:
	sup_shimrecv_env_free(*ret_env);
	*ret_env = NULL;
	sup_shimgate_free(gate);
	sup_shimrecv_free(recv);
	free(preload);
	return rc < 0 ? rc : -EIO;
}

void sup_shimloop_after_fork(struct sup_loop *loop)
{
	if (loop->shim != NULL && loop->shim->recv != NULL)
		sup_shimrecv_parent_after_fork(loop->shim->recv);
}

const struct sup_shimrecv *sup_shimloop_recv(const struct sup_loop *loop)
{
	return loop->shim != NULL ? loop->shim->recv : NULL;
}

const struct sup_shimgate *sup_shimloop_gate(const struct sup_loop *loop)
{
	return loop->shim != NULL ? loop->shim->gate : NULL;
}
