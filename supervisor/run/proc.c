/*
 * Signals, reaping and exit status for attesta-run. The supervisor is a
 * child subreaper: descendants whose parents die are re-parented to it,
 * so it reaps them and, with --kill-on-exit, can find and kill them. It is
 * non-dumpable so an unprivileged agent cannot ptrace it or read its
 * memory. Trusts only kernel-provided statuses and /proc of itself.
 */
#include "supervisor/run/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "supervisor/run/decode_cache.h"
#include "supervisor/run/evloop.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/record.h"
#include "supervisor/run/watcher.h"


int sup_proc_prepare(void)
{
	/* SECURITY: non-dumpable: an agent under the same uid cannot attach
	 * to the supervisor, read its memory or take its fds. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	/* Orphaned descendants come back to us, so none escapes accounting. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

void sup_proc_raise_nofile(void)
{
	struct rlimit lim;
	/* Not for PROG (it keeps the user's limits): call after the fork. */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &lim);
	}
}

void sup_proc_presize_fds(void)
{
	struct rlimit lim;
	int top = SUP_PROC_FD_TABLE - 1, fd;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (rlim_t)SUP_PROC_FD_TABLE)
		top = lim.rlim_cur > 0 ? (int)lim.rlim_cur - 1 : 0;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* The kernel never shrinks a table: one descriptor at the top, closed
	 * again, leaves it this size for the process's life. */
	if (fd < top && dup3(fd, top, O_CLOEXEC) == top)
		close(top);
	close(fd);
}

void sup_proc_restore_terminal(struct sup_loop *loop)
{
	if (loop->give_terminal)
		tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is blocked */
}

/* PROG stopped on the terminal (^Z, or a background read): stop
 * ourselves too so the shell sees the job stopped, and hand the terminal
 * back when it continues us. */
static void job_stopped(struct sup_loop *loop)
{
	tcsetpgrp(STDIN_FILENO, getpgrp());
	kill(getpid(), SIGSTOP);
	/* continued by the shell (fg/bg) */
	if (tcgetpgrp(STDIN_FILENO) == getpgrp())
		tcsetpgrp(STDIN_FILENO, loop->prog_pid);
	kill(-loop->prog_pid, SIGCONT);
}

static void trace_cont(pid_t pid, int sig)
{
	ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
}

/* A ptrace stop of one of the sandbox's tasks (we trace them all for
 * exec verification). Every stop must be resumed, or the task hangs. */
static void trace_stop(struct sup_loop *loop, pid_t pid, int status)
{
	const int sig = WSTOPSIG(status);
	const int event = (unsigned)status >> 16;
	char reason[600];

	switch (event) {
	case PTRACE_EVENT_EXEC: {
		unsigned long former = (unsigned long)pid;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &former);
		/* before the new image runs: its calls must not see the old exe */
		sup_tcache_exec_seen(pid);
		if ((pid_t)former != pid)
			sup_tcache_exec_seen((pid_t)former);
		if (!loop->gate->execcheck) {
			trace_cont(pid, 0);
			return;
		}
		if (sup_execcheck_verify(loop->gate->execcheck, pid, (pid_t)former, reason,
					 sizeof reason) == 0) {
			/* verified: let it run untraced until its next exec */
			sup_execcheck_detach(loop->gate->execcheck, pid, (pid_t)former);
			return;
		}
		/* SECURITY: what runs is not what was approved (the path was
		 * swapped after the decision): the new image must not run
		 * one instruction. */
		kill(pid, SIGKILL);
		SUP_COUNT(loop->n_exec_killed);
		fprintf(stderr, "attesta-run: killed process %d: %s\n", (int)pid, reason);
		sup_record_event(loop->gate, pid, SYS_execve, SUP_SRC_EXEC_CHECK, reason);
		return;
	}
	case PTRACE_EVENT_STOP:
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* group-stop: stay stopped, but let us see SIGCONT */
			ptrace(PTRACE_LISTEN, pid, 0, 0);
			if (pid == loop->prog_pid && loop->give_terminal && sig != SIGSTOP)
				job_stopped(loop);
			return;
		}
		trace_cont(pid, 0); /* a new tracee's first stop */
		return;
	case 0:
		/* signal-delivery-stop: deliver the signal as if untraced */
		trace_cont(pid, sig == SIGTRAP ? 0 : sig);
		return;
	default: /* FORK, VFORK, CLONE, VFORK_DONE, EXIT */
		trace_cont(pid, 0);
		return;
	}
}

int sup_proc_reap(struct sup_loop *loop)
{
	int reaped = 0;
	for (;;) {
		int status;
		/* __WNOTHREAD: this thread's children and tracees only; a
		 * decision thread waits for the exec it traces itself
		 * (exec_watch.h) */
		pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED | __WALL | __WNOTHREAD);
		if (pid <= 0)
			break;
		if (WIFSTOPPED(status)) {
			if (loop->tracing) {
				trace_stop(loop, pid, status);
				continue;
			}
			int sig = WSTOPSIG(status);
			if (pid == loop->prog_pid && loop->give_terminal &&
			    (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU))
				job_stopped(loop);
			continue;
		}
		if (WIFCONTINUED(status))
			continue;
		reaped++;
		if (loop->gate->execcheck)
			sup_execcheck_forget(loop->gate->execcheck, pid);
		/* The filter kills a process that makes an x32 or i386 system
		 * call (no notification is possible there): audit the kill. */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			sup_record_event(loop->gate, pid, -1, SUP_SRC_FILTER,
					   "killed by SIGSYS: a system call of a foreign ABI "
					   "(x32 or i386), or the program's own seccomp filter");
		if (pid == loop->prog_pid) {
			loop->prog_exited = true;
			loop->prog_status = status;
		}
	}
	return reaped;
}

bool sup_proc_has_children(void)
{
	/* waitid with WNOWAIT|WNOHANG: ECHILD means none left. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
}

static void kill_children_of(pid_t self)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

void sup_proc_kill_all(struct sup_loop *loop)
{
	loop->killing = true;
	kill(-loop->prog_pid, SIGKILL);
	kill_children_of(getpid());
}

static void on_watcher_gone(void *ctx, int fd, uint32_t events)
{
	struct sup_loop *loop = ctx;

	(void)events;
	sup_ev_remove(&loop->ev, fd);
	if (loop->killing)
		return;
	fprintf(stderr, "attesta-run: the watcher is gone: killing the sandbox\n");
	/* as --kill-on-exit: the loop repeats the kill until none is left */
	loop->kill_on_exit = true;
	sup_proc_kill_all(loop);
}

int sup_proc_watch_watcher(struct sup_loop *loop)
{
	int fd = sup_watcher_take_pidfd();
	if (fd < 0)
		return 0;
	int rc = sup_ev_add(&loop->ev, fd, on_watcher_gone, loop);
	if (rc < 0)
		close(fd);
	return rc;
}
