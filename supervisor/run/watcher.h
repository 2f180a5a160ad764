/*
 * The watcher (docs/attesta-run.md, "Process life"): the process the user
 * starts as attesta-run stays a small parent of the supervisor, so that
 * nothing of the sandbox outlives the gate.
 *
 *   attesta-run (watcher: user's pid, non-dumpable, child subreaper)
 *     `-- supervisor (its own session and group; the event loop)
 *           `-- PROG (its own session) and every sandboxed descendant
 *
 * The watcher forwards the signals the user sends to attesta-run (INT,
 * TERM, HUP, QUIT, USR1, USR2, WINCH) to the supervisor, which forwards
 * them to PROG as before. When the supervisor dies in any way (OOM
 * killer, `kill -9`), every sandboxed process is re-parented to the
 * watcher as its ancestors die, and the watcher SIGKILLs each child it
 * gets until it has none, restores the terminal's modes, and exits with
 * the supervisor's status (128+N for a signal). The other way round, the
 * supervisor watches a pidfd of the watcher: when the watcher dies, the
 * supervisor kills the sandbox and exits. The seccomp filter protects the
 * watcher's pid and process group exactly like the supervisor's
 * (filter.c).
 *
 * Trusts the kernel's wait statuses and /proc/self only.
 */
#ifndef ATTESTA_SUP_WATCHER_H
#define ATTESTA_SUP_WATCHER_H

#include <sys/types.h>

/* Split into watcher and supervisor. Call first in main(), before any
 * thread exists. Returns 0 in the supervisor (the child, in a new
 * session); the watcher never returns. -errno if the split failed (no
 * process was created). */
int sup_watcher_start(void);

/* The watcher's pid (the supervisor's parent), 0 if there is none. */
pid_t sup_watcher_pid(void);

/* A pidfd of the watcher (readable once it has exited; O_CLOEXEC), or -1.
 * The caller owns it after sup_watcher_take_pidfd(). */
int sup_watcher_take_pidfd(void);


#endif
