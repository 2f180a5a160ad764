/*
 * The supervisor's serve loop (loop.h): sets up the signalfd and timerfd,
 * adds the seccomp listener (notify.c), the signals and the audit
 * group-commit timer to the generic dispatcher (evloop.c) and runs it
 * until PROG has exited and the listener reports POLLHUP (no sandboxed
 * process left; in shim-only mode, which has no listener, until no child
 * is left). Signals are forwarded to PROG or reaped (SIGWINCH goes to
 * the tty renderer when there is one). Trusts only the kernel's ids and
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
#include "supervisor/run/clock.h"
#include "supervisor/run/notify.h"
#include "supervisor/run/workers.h"

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
	int ms = pol_audit_sync_due_ms(loop->gate->audit);
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

static void on_signals(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	handle_signals(ctx);
}

/* The audit log's group commit is due. */
static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct sup_loop *loop = ctx;
	uint64_t ticks;

	(void)events;
	loop->timer_armed = false;
	if (read(fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return;
	int rc = pol_audit_sync(loop->gate->audit);
	if (rc < 0)
		fprintf(stderr, "attesta-run: cannot sync audit log: %s\n", strerror(-rc));
}

int sup_loop_init(struct sup_loop *loop)
{
	sigset_t set;
	loop->ev.epfd = loop->sigfd = loop->timerfd = -1;
	loop->listener = -1;
	pthread_mutex_init(&loop->gate_lock, NULL);

	sup_proc_signal_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	loop->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->sigfd < 0)
		return -errno;
	loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->timerfd < 0)
		return -errno;
	int rc = sup_ev_init(&loop->ev);
	if (rc < 0)
		return rc;
	if ((rc = sup_ev_add(&loop->ev, loop->sigfd, on_signals, loop)) < 0 ||
	    (rc = sup_ev_add(&loop->ev, loop->timerfd, on_timer, loop)) < 0)
		return rc;
	return 0;
}

void sup_loop_release(struct sup_loop *loop)
{
	/* The terminal's modes come back first, whatever failed. */
	sup_tty_free(loop->tty);
	loop->tty = NULL;
	/* Items still held are not decided (their calls are freed below;
	 * the kernel fails them when the listener closes). */
	struct sup_gate *g = loop->gate;
	if (g) {
		sup_approval_free(g->approval);
		g->approval = NULL;
		sup_scope_table_free(g->scopes);
		g->scopes = NULL;
		sup_repeat_free(g->repeats);
		g->repeats = NULL;
		sup_exec_chains_free(g->chains);
		g->chains = NULL;
	}
	sup_held_free_all(loop);
	if (g) {
		pol_json_arena_free(g->entry_arena);
		g->entry_arena = NULL;
	}
	sup_shimloop_free(loop->shim);
	loop->shim = NULL;
	sup_ev_release(&loop->ev);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	if (loop->timerfd >= 0)
		close(loop->timerfd);
	if (loop->listener >= 0)
		close(loop->listener);
	loop->sigfd = loop->timerfd = loop->listener = -1;
}

static bool finished(struct sup_loop *loop)
{
	if (!loop->prog_exited)
		return false;
	/* Shim-only mode has no listener to hang up: serve until no process
	 * of the sandbox (all our children, as subreaper) is left. */
	if (loop->gate->shim_mode)
		return !sup_proc_has_children();
	if (loop->killing)
		return loop->listener_gone && !sup_proc_has_children();
	return loop->listener_gone;
}

int sup_loop_run(struct sup_loop *loop)
{
	/* Decision threads (workers.h) read the listener; the loop thread
	 * then watches it only for EPOLLHUP (its end), and decides what they
	 * hand over. Without them the loop thread reads it. */
	if (loop->listener >= 0 && loop->decision_threads > 1 && !loop->gate->shim_mode) {
		int wrc = sup_workers_start(loop, loop->decision_threads);
		if (wrc < 0)
			fprintf(stderr, "attesta-run: warning: cannot start decision threads (%s): "
				"deciding on one thread\n", strerror(-wrc));
	}
	/* Shim-only mode: no listener; requests arrive on the shim's
	 * sockets (sup_shimloop_watch). */
	int rc = loop->listener >= 0
			 ? sup_ev_add_events(&loop->ev, loop->listener, loop->threaded ? 0 : EPOLLIN,
					     sup_notify_ready, loop)
			 : 0;
	if (rc < 0) {
		sup_workers_stop(loop);
		return rc;
	}

	while (!finished(loop)) {
		arm_sync_timer(loop);
		int n = sup_ev_wait(&loop->ev, loop->prog_exited && loop->killing ? 100 : -1);
		if (n < 0) {
			sup_workers_stop(loop);
			return n;
		}
		if (n == 0 && loop->killing) {
			sup_gate_lock(loop); /* not a handler: take the gate lock here */
			sup_proc_kill_all(loop);
			sup_proc_reap(loop);
			sup_gate_unlock(loop);
		}
	}
	/* every decision thread ended, and what it handed over finished,
	 * before the session's closing entry */
	sup_workers_stop(loop);
	if (loop->tty)
		sup_tty_drain(loop->tty);
	/* the closing entry, made durable by the sync below (session.h) */
	sup_session_end(loop, NULL, 0);
	int src = pol_audit_sync(loop->gate->audit);
	if (src < 0)
		fprintf(stderr, "attesta-run: cannot sync audit log at exit: %s\n", strerror(-src));
	sup_proc_restore_terminal(loop);
	return sup_proc_exit_code(loop->prog_status);
}
