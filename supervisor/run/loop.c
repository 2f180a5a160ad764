/*
 * The supervisor's single-threaded epoll loop: seccomp notifications are
 * received into held calls and passed to the verdict path; signals are
 * forwarded to PROG or reaped (SIGWINCH goes to the tty renderer when
 * there is one); the audit log's group commit runs from a timerfd; other
 * descriptors (approval server, tty renderer) are dispatched through a
 * small watch table (also the preload shim's sockets, shimloop.c: its
 * annotations are drained before each notification is decoded and added
 * to the action after). The loop ends when PROG has exited and the
 * listener reports POLLHUP (no sandboxed process left; in shim-only mode,
 * which has no listener, when no child is left). Trusts only the kernel's ids and
 * pids; what a notification points at is left to the decoders.
 */
#include "supervisor/run/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "policy/audit.h"
#include "policy/canonjson.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/proc.h"
#include "supervisor/run/session.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/repeat.h"
#include "supervisor/run/shimloop.h"
#include "supervisor/run/scope.h"
#include "supervisor/run/tty.h"
#include "supervisor/run/verdict.h"

enum { EV_LISTENER = 1, EV_SIGNAL, EV_TIMER, EV_WATCH_BASE = 16 };

static size_t bucket(uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 58) % SUP_HELD_BUCKETS;
}

void sup_held_insert(struct sup_loop *loop, struct sup_held *held)
{
	size_t b = bucket(held->id);
	held->next = loop->held[b];
	loop->held[b] = held;
	loop->n_held++;
}

struct sup_held *sup_held_find(struct sup_loop *loop, uint64_t id)
{
	for (struct sup_held *h = loop->held[bucket(id)]; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

void sup_held_remove(struct sup_loop *loop, struct sup_held *held)
{
	for (struct sup_held **p = &loop->held[bucket(held->id)]; *p; p = &(*p)->next) {
		if (*p == held) {
			*p = held->next;
			held->next = NULL;
			loop->n_held--;
			return;
		}
	}
}

/* A few freed records kept for the next notifications: a record is
 * bigger than malloc's small bins, and allocating one after the audit
 * entry's many small frees made malloc consolidate on every decision.
 * Only the loop's thread allocates and frees them. */
#define SPARE_HELD 8
static struct sup_held *spare_held[SPARE_HELD];
static size_t n_spare_held;

struct sup_held *sup_held_new(void)
{
	struct sup_held *held;

	if (n_spare_held == 0)
		held = calloc(1, sizeof(struct sup_held));
	else
		held = spare_held[--n_spare_held];
	if (!held)
		return NULL;
	memset(held, 0, sizeof *held);
	held->kept_fd = -1;
	held->kept_fd2 = -1;
	held->shim_conn = -1;
	return held;
}

static void held_recycle(struct sup_held *held)
{
	if (n_spare_held < SPARE_HELD)
		spare_held[n_spare_held++] = held;
	else
		free(held);
}

void sup_held_free(struct sup_held *held)
{
	if (!held)
		return;
	pol_action_free(held->action);
	if (held->evaluated)
		pol_decision_release(&held->decision);
	/* An unanswered shim request: closing fails the asker's call
	 * (ENOSYS), as a dead supervisor does in seccomp mode. */
	if (held->from_shim && held->shim_conn >= 0)
		close(held->shim_conn);
	if (held->kept_fd >= 0)
		close(held->kept_fd);
	if (held->kept_fd2 >= 0)
		close(held->kept_fd2);
	held_recycle(held);
}

int sup_loop_init(struct sup_loop *loop)
{
	sigset_t set;
	loop->epfd = loop->sigfd = loop->timerfd = -1;
	loop->listener = -1;

	sup_proc_signal_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	loop->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->sigfd < 0)
		return -errno;
	loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->timerfd < 0)
		return -errno;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -errno;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_SIGNAL };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->sigfd, &ev) < 0)
		return -errno;
	ev.data.u32 = EV_TIMER;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->timerfd, &ev) < 0)
		return -errno;
	return 0;
}

int sup_loop_watch(struct sup_loop *loop, int fd, sup_loop_handler_fn fn, void *ctx)
{
	if (loop->n_watch >= SUP_LOOP_MAX_WATCH)
		return -ENOSPC;
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u32 = EV_WATCH_BASE + (uint32_t)loop->n_watch };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->watch[loop->n_watch].fd = fd;
	loop->watch[loop->n_watch].fn = fn;
	loop->watch[loop->n_watch].ctx = ctx;
	loop->n_watch++;
	return 0;
}

void sup_loop_release(struct sup_loop *loop)
{
	/* The terminal's modes come back first, whatever failed. */
	sup_tty_free(loop->tty);
	loop->tty = NULL;
	/* Items still held are not decided (their calls are freed below;
	 * the kernel fails them when the listener closes). */
	sup_approval_free(loop->approval);
	loop->approval = NULL;
	sup_scope_table_free(loop->scopes);
	loop->scopes = NULL;
	sup_repeat_free(loop->repeats);
	loop->repeats = NULL;
	sup_exec_chains_free(loop->chains);
	loop->chains = NULL;
	loop->n_watch = 0;
	for (size_t b = 0; b < SUP_HELD_BUCKETS; b++) {
		while (loop->held[b]) {
			struct sup_held *h = loop->held[b];
			loop->held[b] = h->next;
			sup_held_free(h);
		}
	}
	loop->n_held = 0;
	while (n_spare_held)
		free(spare_held[--n_spare_held]);
	pol_json_arena_free(loop->entry_arena);
	loop->entry_arena = NULL;
	sup_shimloop_free(loop->shim);
	loop->shim = NULL;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	if (loop->timerfd >= 0)
		close(loop->timerfd);
	if (loop->listener >= 0)
		close(loop->listener);
	loop->epfd = loop->sigfd = loop->timerfd = loop->listener = -1;
}

/* Arm the timerfd for the audit log's next group commit (if any). */
static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep the timerfd armed for the earliest pending audit work: a 10 ms
 * group commit that becomes due while the timer waits for the 1 s head
 * file write must move the timer earlier, never wait behind it. */
static void arm_sync_timer(struct sup_loop *loop)
{
	int ms = pol_audit_sync_due_ms(loop->audit);
	struct itimerspec its = { 0 };
	if (ms < 0) {
		if (loop->timer_armed) {
			loop->timer_armed = false;
			timerfd_settime(loop->timerfd, 0, &its, NULL);
		}
		return;
	}
	int64_t due = monotonic_ms() + ms;
	if (loop->timer_armed && due >= loop->timer_due_ms)
		return; /* already armed for this or an earlier time */
	if (ms == 0)
		ms = 1; /* 0 would disarm */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	loop->timer_armed = true;
	loop->timer_due_ms = due;
	timerfd_settime(loop->timerfd, 0, &its, NULL);
}

static int handle_notification(struct sup_loop *loop)
{
	struct sup_held *held = sup_held_new();
	if (!held)
		return -ENOMEM;
	/* The kernel insists on a zeroed buffer (calloc did it). */
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_RECV, &held->req) < 0) {
		int e = errno;
		held_recycle(held);
		/* ENOENT: the caller died (or was interrupted) before we took
		 * it, or nobody uses the filter any more; EINTR: a signal. */
		if (e == ENOENT || e == EINTR)
			return 0;
		return -e;
	}
	loop->n_notifications++;
	held->id = held->req.id;
	held->shim_conn = -1;
	held->intercepted_at = sup_verdict_now();
	sup_held_insert(loop, held);
	/* A call the sandbox may not make at all: refused and audited, no
	 * decoding, no policy (filter.h). */
	const char *refusal = sup_filter_refusal_of(&held->req.data);
	if (refusal)
		return sup_verdict_finish(loop, held, false, "denied", "filter", refusal, NULL);
	/* The shim queued its annotation before the syscall: read it now so
	 * the table knows what this thread said (shimloop.h). */
	sup_shimloop_drain(loop);

	/* The decoder reads target memory once and re-checks ID_VALID. */
	int kept[2] = { -1, -1 };
	held->decode_result = sup_decode_keep2(loop->listener, &held->req, &loop->decode_opts,
					       &held->action, kept, held->reason,
					       sizeof held->reason);
	held->kept_fd = kept[0];
	held->kept_fd2 = kept[1];
	if (held->decode_result == -ENOENT) {
		/* the target is gone: nothing to answer, nothing happened */
		loop->n_gone++;
		sup_held_remove(loop, held);
		sup_held_free(held);
		return 0;
	}
	if (held->action && held->decode_result >= 0)
		sup_shimloop_annotate(loop, held);
	return sup_verdict_decide(loop, held);
}

static void handle_signals(struct sup_loop *loop)
{
	struct signalfd_siginfo si;
	while (read(loop->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD)
			continue; /* reaped below, once per batch */
		if (sig == SIGWINCH && loop->tty) {
			sup_tty_winch(loop->tty); /* the pty signals PROG itself */
			continue;
		}
		if (sup_proc_forwarded(sig) && !loop->prog_exited)
			kill(loop->prog_pid, sig);
	}
	sup_proc_reap(loop);
	if (loop->prog_exited && loop->kill_on_exit)
		sup_proc_kill_all(loop);
}

static bool finished(struct sup_loop *loop)
{
	if (!loop->prog_exited)
		return false;
	/* Shim-only mode has no listener to hang up: serve until no process
	 * of the sandbox (all our children, as subreaper) is left. */
	if (loop->shim_mode)
		return !sup_proc_has_children();
	if (loop->killing)
		return loop->listener_gone && !sup_proc_has_children();
	return loop->listener_gone;
}

int sup_loop_run(struct sup_loop *loop)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_LISTENER };
	/* Shim-only mode: no listener; requests arrive on the shim's
	 * sockets (sup_shimloop_watch). */
	if (loop->listener >= 0 && epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->listener, &ev) < 0)
		return -errno;

	while (!finished(loop)) {
		struct epoll_event events[8];
		arm_sync_timer(loop);
		int n = epoll_wait(loop->epfd, events, 8, loop->prog_exited && loop->killing ? 100 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 && loop->killing) {
			sup_proc_kill_all(loop);
			sup_proc_reap(loop);
			continue;
		}
		for (int i = 0; i < n; i++) {
			switch (events[i].data.u32) {
			case EV_LISTENER:
				if (events[i].events & EPOLLIN &&
				    !(events[i].events & (EPOLLHUP | EPOLLERR))) {
					int rc = handle_notification(loop);
					if (rc < 0)
						fprintf(stderr, "attesta-run: notification: %s\n",
							strerror(-rc));
				} else if (events[i].events & (EPOLLHUP | EPOLLERR)) {
					/* No task uses the filter any more. */
					loop->listener_gone = true;
					epoll_ctl(loop->epfd, EPOLL_CTL_DEL, loop->listener, NULL);
				}
				break;
			case EV_SIGNAL:
				handle_signals(loop);
				break;
			case EV_TIMER: {
				uint64_t ticks;
				loop->timer_armed = false;
				if (read(loop->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
					break;
				int rc = pol_audit_sync(loop->audit);
				if (rc < 0)
					fprintf(stderr, "attesta-run: cannot sync audit log: %s\n",
						strerror(-rc));
				break;
			}
			default: {
				uint32_t w = events[i].data.u32 - EV_WATCH_BASE;
				if (w < loop->n_watch)
					loop->watch[w].fn(loop, loop->watch[w].ctx, events[i].events);
				break;
			}
			}
		}
	}
	if (loop->tty)
		sup_tty_drain(loop->tty);
	/* the closing entry, made durable by the sync below (session.h) */
	sup_session_end(loop, NULL, 0);
	int src = pol_audit_sync(loop->audit);
	if (src < 0)
		fprintf(stderr, "attesta-run: cannot sync audit log at exit: %s\n", strerror(-src));
	sup_proc_restore_terminal(loop);
	return sup_proc_exit_code(loop->prog_status);
}
