/*
 * Exec verification (docs/SECURITY.md). exec cannot be emulated: the
 * supervisor answers CONTINUE and the kernel re-reads the path from the
 * target's memory, which another thread (or a vfork parent's other
 * threads) may have changed after the decision. So the supervisor is also
 * the ptrace tracer of each thread whose exec it approves: it seizes the
 * thread (PTRACE_O_TRACEEXEC) while the thread is still held in the
 * notification, before answering CONTINUE, and at PTRACE_EVENT_EXEC —
 * after the new image is mapped, before it runs one user instruction —
 * compares /proc/PID/exe (device and inode) with the file that was
 * approved for that thread, then detaches. A mismatch kills the process
 * (SIGKILL) and is audited. No other stop is asked for: forks, threads
 * and signals of the sandbox never wait for the supervisor. A thread that
 * cannot be seized (another process traces it) cannot exec.
 *
 * Scripts: for "#!" files the kernel's exe is the interpreter; at approval
 * time the approved file's shebang is followed (up to 4 levels) and the
 * interpreter's identity is expected instead (the script file itself is
 * read by the interpreter later, by path: see docs/attesta-run.md).
 *
 * Trust: /proc of the target is attacker-influenced but the kernel's
 * exe link and stat() results are not forgeable by it.
 */
#ifndef ATTESTA_SUP_EXECCHECK_H
#define ATTESTA_SUP_EXECCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/action.h"

struct sup_execcheck;
struct sup_exec_expect; /* what one approved exec must be */

/* 0 or -ENOMEM. */
int sup_execcheck_new(struct sup_execcheck **ret_check);
void sup_execcheck_free(struct sup_execcheck *check);

/* Remember what tid was allowed to exec: the identity (dev, ino) of
 * action->path as the target sees it (through /proc/TID/root), or of its
 * interpreter for a script. An action whose file cannot be identified is
 * remembered as "unknown" and fails the check. */
void sup_execcheck_expect(struct sup_execcheck *check, pid_t tid,
			  const struct pol_action *action);
/* The same with the program the decoder resolved for the decision (the
 * interpreter of a script: sup_decode_keep()'s descriptor): its identity
 * is taken with fstat, not by resolving the path again. prog_fd -1 is
 * sup_execcheck_expect(). */
void sup_execcheck_expect_fd(struct sup_execcheck *check, pid_t tid,
			     const struct pol_action *action, int prog_fd);

/* At PTRACE_EVENT_EXEC of process pid whose exec was made by thread
 * former_tid: 0 if /proc/PID/exe is what was approved for former_tid (the
 * expectation is consumed), -EPERM with reason filled otherwise. */
int sup_execcheck_verify(struct sup_execcheck *check, pid_t pid, pid_t former_tid,
			 char *reason, size_t reason_size);

/* The same for an exec that a decision thread traces itself (exec_watch.h):
 * the expectation is the caller's, not in the table. NULL without memory
 * (the exec is then killed at its PTRACE_EVENT_EXEC: fail closed). The
 * seal's cache is locked inside, so any thread may call it. */
struct sup_exec_expect *sup_exec_expect_new(struct sup_execcheck *check, pid_t tid,
					    const struct pol_action *action, int prog_fd);
/* sup_execcheck_verify() against e (NULL: nothing was approved). */
int sup_exec_expect_verify(const struct sup_exec_expect *e, pid_t pid, pid_t former_tid,
			   char *reason, size_t reason_size);
void sup_exec_expect_free(struct sup_exec_expect *e);
/* Whether the loop thread is tid's tracer (PROG before its first exec, an
 * exec it traces). Under the gate lock, or on the loop thread. */
bool sup_execcheck_traces(const struct sup_execcheck *check, pid_t tid);
/* Become tid's tracer (PTRACE_SEIZE with TRACEEXEC | EXITKILL) for the
 * exec about to be answered CONTINUE, unless it is ours already. 0, or
 * -errno (-EPERM: another tracer; the exec must then be denied). */
int sup_execcheck_attach(struct sup_execcheck *check, pid_t tid);
/* Remember tid as traced by us (the launcher seized PROG). 0 or -ENOMEM. */
int sup_execcheck_track(struct sup_execcheck *check, pid_t tid);
/* After a verified PTRACE_EVENT_EXEC: detach pid (resumes it) and forget
 * it and the thread that made the exec. */
void sup_execcheck_detach(struct sup_execcheck *check, pid_t pid, pid_t former_tid);

/* Forget a thread's expectation and tracing (the thread is gone). */
void sup_execcheck_forget(struct sup_execcheck *check, pid_t tid);

#endif
