/*
 * Decision threads (workers.h): each receives from the listener and runs
 * the pipeline of what it received, under the gate lock where the gate is
 * read or changed, and traces the execs it approves itself (exec_watch.h);
 * calls held for a human, and the execs of a thread the loop thread
 * traces or of the supervisor's own children, go to the loop thread.
 * Fail closed: a record that cannot be made leaves the notification to
 * another thread; a call a decision thread must not decide is handed over,
 * never decided here.
 */
#include "supervisor/run/workers.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/run/clock.h"
#include "supervisor/run/decode.h"
#include "supervisor/run/exec_watch.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/notify.h"
#include "supervisor/run/pipeline.h"
#include "supervisor/run/record.h"
#include "supervisor/run/respond.h"
#include "supervisor/run/shimloop.h"

/* The signal that interrupts a decision thread's NOTIF_RECV at the end:
 * unblocked in the decision threads only, sent to one thread at a time. */
#define WAKE_SIG (SIGRTMIN + 5)

struct worker {
	struct sup_workers *w;
	pthread_t thread;
	bool started;
	int done; /* atomic: the thread has left its loop */
};

struct sup_workers {
	struct sup_loop *loop;
	unsigned n;
	struct worker t[SUP_WORKERS_MAX];
	int stop;                      /* atomic */
	int efd;                       /* eventfd: the queue below is not empty */
	pthread_mutex_t qlock;         /* the queue; taken after the gate lock, never before */
	struct sup_held *head, *tail;  /* handed over, in order, through held->next */
	uint64_t n_handed, n_exec_missing; /* atomic: for the stats line (sup_workers_stop) */
};

unsigned sup_workers_wanted(void)
{
	const char *e = getenv("ATTESTA_DECISION_THREADS");
	if (e && *e) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(e, &end, 10);
		if (!errno && !*end && v >= 1 && v <= SUP_WORKERS_MAX)
			return (unsigned)v;
		fprintf(stderr, "attesta-run: ATTESTA_DECISION_THREADS must be 1 to %d; "
			"using the default\n", SUP_WORKERS_MAX);
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > SUP_WORKERS_MAX ? SUP_WORKERS_MAX : (unsigned)n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* To the loop thread: appended to the queue, then the eventfd. */
static void hand_over(struct sup_workers *w, struct sup_held *held)
{
	uint64_t one = 1;

	held->next = NULL;
	__atomic_add_fetch(&w->n_handed, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&w->qlock);
	if (w->tail)
		w->tail->next = held;
	else
		w->head = held;
	w->tail = held;
	pthread_mutex_unlock(&w->qlock);
	/* EAGAIN only when the counter is full: the loop is woken anyway */
	if (write(w->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		fprintf(stderr, "attesta-run: cannot wake the loop: %s\n", strerror(errno));
}

/* Loop thread (under the gate lock while decision threads run): what was
 * handed over, in order. */
static void run_handed(struct sup_workers *w)
{
	struct sup_loop *loop = w->loop;

	pthread_mutex_lock(&w->qlock);
	struct sup_held *held = w->head;
	w->head = w->tail = NULL;
	pthread_mutex_unlock(&w->qlock);
	while (held) {
		struct sup_held *next = held->next;
		int rc;

		held->next = NULL;
		if (held->verdict.kind == SUP_VERDICT_HOLD) {
			/* decoded and decided: wait for a human */
			sup_held_insert(loop, held);
			rc = sup_pipeline_hold(loop, held);
		} else if (held->decoded) {
			/* decoded: the rest here */
			rc = sup_notify_run_decoded(loop, held);
		} else {
			/* received only: the whole pipeline here */
			rc = sup_notify_take(loop, held);
		}
		if (rc < 0)
			fprintf(stderr, "attesta-run: notification: %s\n", strerror(-rc));
		held = next;
	}
}

static void on_handed(void *ctx, int fd, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
		return;
	run_handed(ctx);
}

static bool is_exec(const struct seccomp_notif *req)
{
	return req->data.nr == SYS_execve || req->data.nr == SYS_execveat;
}

/* Whether the record stage may run outside the gate lock: it reads only
 * what does not change while the agent runs (the gate's ids and the
 * policy's mode) and builds in the thread's own arena, and the audit log
 * serializes and chains the appends itself (policy/audit.h). Not with
 * attestation: a newer bundle's policy is swapped under the gate lock,
 * and the would-deny shadow entries are built in the gate's arena. */
static bool record_unlocked(const struct sup_loop *loop)
{
	return !loop->gate->attest;
}

/* Decided (verdict set), not held, gate lock held: record (under the
 * lock or after it), answer, free. */
static void finish_locked(struct sup_loop *loop, struct sup_held *held)
{
	if (record_unlocked(loop)) {
		sup_gate_unlock(loop);
		sup_finish_record(loop, held, NULL);
	} else {
		sup_finish_record(loop, held, NULL);
		sup_gate_unlock(loop);
	}
	/* SECURITY: write-ahead: the entry is written (and durable where
	 * audit.sync says so) before the call is released here */
	sup_finish_respond(loop, held, false);
	sup_held_free(held);
}

/* sup_notify_begin() on a decision thread: false when held is gone (a
 * credential call, answered; an error is reported here). */
static bool begin(struct sup_loop *loop, struct sup_held *held)
{
	int rc = sup_notify_begin(loop, held);

	if (rc < 0)
		fprintf(stderr, "attesta-run: notification: %s\n", strerror(-rc));
	return rc == 0;
}

/* Decided exec, gate lock held: record and answer under the lock (an
 * exec opens, advances or ends wrapper chains and ends scopes, gate
 * state), then, unlocked, watch it land when this thread became its
 * tracer (exec_watch.h), and free. */
static void finish_exec(struct sup_workers *w, struct sup_held *held)
{
	struct sup_loop *loop = w->loop;

	held->exec_here = loop->gate->execcheck != NULL;
	sup_finish_record(loop, held, NULL);
	/* SECURITY: write-ahead, as in finish_locked() */
	sup_finish_respond(loop, held, true);
	sup_gate_unlock(loop);
	if (held->verdict.kind == SUP_VERDICT_KERNEL_ERRNO)
		__atomic_add_fetch(&w->n_exec_missing, 1, __ATOMIC_RELAXED);
	sup_exec_watch_finish(loop, held, &w->stop);
	sup_held_free(held);
}

/* Whether the caller's process is a child of the supervisor (PROG, or an
 * orphan re-parented to it): the kernel lets the loop thread's reaper
 * take a ptrace stop or exit of its own child from a tracer in the same
 * thread group, and would let this thread reap that child's exit, so
 * only the loop thread traces it (exec_watch.h). */
static bool caller_is_ours(const struct sup_loop *loop, const struct sup_held *held)
{
	return held->action->ppid == loop->gate->decode_opts.supervisor_pid ||
	       held->action->tgid == loop->prog_pid;
}

/* Whether the loop thread traces the caller of this exec (PROG before its
 * first exec, an exec it traced that failed): only a tracer can watch
 * it, so the loop decides it, as with one decision thread. */
static bool loop_traces(struct sup_loop *loop, const struct sup_held *held)
{
	if (!loop->gate->execcheck)
		return false;
	sup_gate_lock(loop);
	bool t = sup_execcheck_traces(loop->gate->execcheck, (pid_t)held->req.pid);
	sup_gate_unlock(loop);
	return t;
}

/* One notification, as notify.c: sup_notify_take() does on the loop
 * thread (the same start and decode stage, notify.h), without the table
 * (no other thread looks a call up in it). */
static void work_one(struct sup_workers *w, struct sup_held *held)
{
	struct sup_loop *loop = w->loop;

	const bool exec = is_exec(&held->req);

	if (exec && loop_traces(loop, held)) {
		hand_over(w, held);
		return;
	}
	if (!begin(loop, held))
		return;
	const char *refusal = sup_filter_refusal_of(&held->req.data);
	if (refusal) {
		sup_verdict_set(&held->verdict, SUP_VERDICT_DENIED, SUP_SRC_FILTER, "%s", refusal);
		sup_gate_lock(loop);
		finish_locked(loop, held);
		return;
	}
	/* Decoding reads only the target and /proc (decode_cache.h locks
	 * its table); the options but env_vars never change, and env_vars
	 * (swapped with a bundle's policy, attest.h) is read for an exec only. */
	struct sup_decode_opts opts = {
		.workspace = loop->gate->decode_opts.workspace,
		.env_vars = __atomic_load_n(&loop->gate->decode_opts.env_vars, __ATOMIC_ACQUIRE),
		.supervisor_pid = loop->gate->decode_opts.supervisor_pid,
	};
	if (!sup_notify_decode(loop, held, &opts)) {
		sup_held_free(held);
		return;
	}
	if (exec && held->action && held->decode_result == SUP_DECODE_GATED &&
	    caller_is_ours(loop, held)) {
		held->decoded = true;
		hand_over(w, held);
		return;
	}
	sup_gate_lock(loop);
	/* The shim queued its annotation before the syscall (shimloop.h):
	 * read now, after decoding, it is there all the same; one lock
	 * section for it and the decision. Only for a call it annotates. */
	if (sup_shimrecv_annotates(held->req.data.nr)) {
		sup_shimloop_drain(loop);
		if (held->action && held->decode_result >= 0)
			sup_shimloop_annotate(loop, held);
	}
	sup_pipeline_decide(loop, held);
	if (held->verdict.kind == SUP_VERDICT_HOLD) {
		sup_gate_unlock(loop);
		hand_over(w, held);
		return;
	}
	if (exec)
		finish_exec(w, held);
	else
		finish_locked(loop, held);
}

/* No sandboxed task is left (EPOLLHUP): NOTIF_RECV then fails at once
 * (ENOENT) instead of waiting, and nothing can arrive any more. */
static bool orphaned(int listener)
{
	struct pollfd p = { .fd = listener, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* Sleep until sup_workers_stop() (its signal interrupts pause(), and it
 * is sent again until this thread has ended). */
static void wait_stop(struct sup_workers *w)
{
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		pause();
}

static void *worker_main(void *arg)
{
	struct worker *me = arg;
	struct sup_workers *w = me->w;
	struct sup_loop *loop = w->loop;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, WAKE_SIG);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	sup_record_thread_arena(true);
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct sup_held *held = sup_held_new();
		if (!held) {
			sleep_ms(1); /* the notification waits for another thread */
			continue;
		}
		/* The kernel insists on a zeroed buffer (sup_held_new did it). */
		if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_RECV, &held->req) < 0) {
			int e = errno;
			sup_held_free(held);
			/* EINTR: sup_workers_stop(); ENOENT: the caller died,
			 * or no task uses the filter any more */
			if (e == ENOENT && orphaned(loop->listener))
				wait_stop(w);
			else if (e != EINTR && e != ENOENT) {
				fprintf(stderr, "attesta-run: notification: %s\n", strerror(e));
				sleep_ms(1);
			}
			continue;
		}
		work_one(w, held);
	}
	sup_record_thread_arena(false);
	sup_held_spares_free();
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_wake(int sig)
{
	(void)sig; /* only interrupts NOTIF_RECV */
}

static void join_all(struct sup_workers *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	/* every thread woken at once, then each waited for: the exit of
	 * attesta-run waits for the slowest, not for the sum */
	for (unsigned i = 0; i < w->n; i++)
		if (w->t[i].started)
			pthread_kill(w->t[i].thread, WAKE_SIG);
	for (unsigned i = 0; i < w->n; i++) {
		struct worker *t = &w->t[i];
		if (!t->started)
			continue;
		/* a signal that comes just before the thread blocks in
		 * NOTIF_RECV is lost: send again until it has ended (a short
		 * wait: this is on every exit of attesta-run) */
		for (unsigned k = 0; !__atomic_load_n(&t->done, __ATOMIC_ACQUIRE); k++) {
			struct timespec ts = { .tv_sec = 0, .tv_nsec = k < 20 ? 20000L : 1000000L };

			nanosleep(&ts, NULL);
			if (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE))
				pthread_kill(t->thread, WAKE_SIG);
		}
		pthread_join(t->thread, NULL);
		t->started = false;
	}
}

int sup_workers_start(struct sup_loop *loop, unsigned n)
{
	struct sigaction sa;
	sigset_t all, old;
	int rc;

	if (n < 2 || n > SUP_WORKERS_MAX || loop->listener < 0 || loop->workers)
		return -EINVAL;
	struct sup_workers *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->n = n;
	pthread_mutex_init(&w->qlock, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		rc = -errno;
		goto fail;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_wake; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(WAKE_SIG, &sa, NULL) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = sup_ev_add(&loop->ev, w->efd, on_handed, w)) < 0)
		goto fail;
	loop->workers = w;
	loop->ev.lock = &loop->gate_lock;
	loop->threaded = true;
	/* the threads start with every signal blocked (the loop's signalfd
	 * reads the process's); each unblocks WAKE_SIG itself */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < n; i++) {
		w->t[i].w = w;
		rc = -pthread_create(&w->t[i].thread, NULL, worker_main, &w->t[i]);
		if (rc < 0)
			break;
		w->t[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		sup_workers_stop(loop);
		return rc;
	}
	return 0;
fail:
	if (w->efd >= 0)
		close(w->efd);
	pthread_mutex_destroy(&w->qlock);
	free(w);
	return rc;
}

void sup_workers_stop(struct sup_loop *loop)
{
	struct sup_workers *w = loop->workers;

	if (!w)
		return;
	join_all(w);
	/* ATTESTA_DECISION_STATS=1: what went to the loop thread (tests,
	 * benchmarks; docs/attesta-run.md) */
	const char *st = getenv("ATTESTA_DECISION_STATS");
	if (st && !strcmp(st, "1"))
		fprintf(stderr, "attesta-run: decision threads: %llu handed to the loop, "
			"%llu execs of a missing program answered\n",
			(unsigned long long)__atomic_load_n(&w->n_handed, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&w->n_exec_missing, __ATOMIC_RELAXED));
	loop->threaded = false;
	loop->ev.lock = NULL;
	/* what they handed over before they ended, on this thread */
	run_handed(w);
	sup_ev_remove(&loop->ev, w->efd);
	close(w->efd);
	pthread_mutex_destroy(&w->qlock);
	loop->workers = NULL;
	free(w);
}
