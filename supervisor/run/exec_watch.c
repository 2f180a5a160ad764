/*
 * A decision thread as the tracer of the exec it decided (exec_watch.h).
 * Trusts the kernel's wait statuses and event messages; what the tracee
 * runs is judged by execcheck.c.
 */
#include "supervisor/run/exec_watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "supervisor/run/decode_cache.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/record.h"

/* Let pid go from its stop, with sig delivered. false when it is no
 * longer stopped: only SIGKILL takes a task out of a ptrace stop, so it
 * is dying, and its exit must be waited for here: a zombie its tracer
 * has not released cannot be reaped by its parent (found with CPython's
 * test_subprocess, which kills a child as soon as it runs). */
static bool detach(pid_t pid, int sig)
{
	return ptrace(PTRACE_DETACH, pid, 0, (void *)(long)sig) == 0;
}

int sup_exec_watch_seize(struct sup_held *held)
{
	const long opts = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;

	if (ptrace(PTRACE_SEIZE, (pid_t)held->req.pid, 0, (void *)opts) < 0)
		return -errno;
	held->seized = true;
	return 0;
}

/* The exec happened (pid, made by thread former): what runs must be what
 * was approved, before its first instruction. true: verified and
 * detached; false: still ours (killed here, or dying: wait for its exit). */
static bool exec_event(struct sup_loop *loop, struct sup_held *held, pid_t pid)
{
	unsigned long former = (unsigned long)pid;
	char reason[600];

	ptrace(PTRACE_GETEVENTMSG, pid, 0, &former);
	/* before the new image runs: its calls must not see the old exe or
	 * the old credentials (decode_cache.h) */
	sup_tcache_exec_seen(pid);
	if ((pid_t)former != pid)
		sup_tcache_exec_seen((pid_t)former);
	if (sup_exec_expect_verify(held->expect, pid, (pid_t)former, reason, sizeof reason) == 0)
		return detach(pid, 0); /* also drops the pending interrupt */
	/* SECURITY: what runs is not what was approved (the path or argv
	 * changed in memory after the decision): the new image must not run
	 * one instruction. */
	kill(pid, SIGKILL);
	SUP_COUNT(loop->n_exec_killed);
	fprintf(stderr, "attesta-run: killed process %d: %s\n", (int)pid, reason);
	sup_gate_lock(loop);
	sup_record_event(loop->gate, pid, SYS_execve, SUP_SRC_EXEC_CHECK, reason);
	sup_gate_unlock(loop);
	return false;
}

void sup_exec_watch_finish(struct sup_loop *loop, struct sup_held *held, const int *stop)
{
	if (!held->seized)
		return;
	/* A stop at the end of the call whatever it did: the exec's event
	 * comes first when it happened, this trap when it failed or was
	 * denied. ESRCH: the caller died; its exit is waited for below. */
	(void)ptrace(PTRACE_INTERRUPT, (pid_t)held->req.pid, 0, 0);
	for (;;) {
		int status;
		/* this thread's tracee only: a multi-threaded exec reports
		 * under the thread group's id, not the caller's */
		pid_t pid = waitpid(-1, &status, __WALL | __WNOTHREAD);

		if (pid < 0) {
			if (errno == EINTR && !(stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)))
				continue;
			return; /* ECHILD: gone (a thread group's former leader) */
		}
		if (!WIFSTOPPED(status))
			return; /* exited or killed: nothing more runs */
		const int event = (unsigned)status >> 16;
		const int sig = WSTOPSIG(status);

		if (event == PTRACE_EVENT_EXEC) {
			if (exec_event(loop, held, pid))
				return;
			continue; /* killed or dying: its exit releases it */
		}
		/* the interrupt's stop or a group-stop (the task stays stopped
		 * for the latter, as untraced); a signal-delivery-stop (not
		 * expected before the call ends) delivers its signal */
		if (detach(pid, event == 0 && sig != SIGTRAP ? sig : 0))
			return;
		/* dying: wait for its exit */
	}
}
