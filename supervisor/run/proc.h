/*
 * Process life of attesta-run (docs/attesta-run.md, issue 4 item 7): the signals it
 * reads with signalfd and forwards to PROG, reaping (it is a child
 * subreaper, so orphaned descendants are re-parented to it), PROG's exit
 * status as attesta-run's, job control on a terminal, and --kill-on-exit.
 * Trusts the kernel's wait statuses only.
 */
#ifndef ATTESTA_SUP_PROC_H
#define ATTESTA_SUP_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct sup_loop;

/* The signals the supervisor takes through its signalfd: SIGCHLD, the
 * forwarded ones (INT TERM HUP QUIT USR1 USR2 WINCH) and SIGTTOU (so it
 * can take the terminal back from the background). */
void sup_proc_signal_set(sigset_t *ret_set);

/* True if sig is forwarded to PROG. */
bool sup_proc_forwarded(int sig);

/* Make this process non-dumpable and a child subreaper. 0 or -errno. */
int sup_proc_prepare(void);

/* Reap every exited child (WNOHANG); records PROG's status in loop, and
 * handles PROG stopping on the terminal (job control). Returns how many
 * were reaped. */
int sup_proc_reap(struct sup_loop *loop);

/* SIGKILL PROG's process group and every remaining child (repeatedly
 * called while killing: re-parented grandchildren become children). */
void sup_proc_kill_all(struct sup_loop *loop);

/* True while this process has children. */
bool sup_proc_has_children(void);

/* Raise the soft descriptor limit to the hard one (after PROG is
 * forked): the supervisor holds a descriptor per call it keeps, and an
 * agent's flood must not run it out at a user's low soft limit. */
void sup_proc_raise_nofile(void);

/* Size the descriptor table for SUP_PROC_FD_TABLE descriptors (or the
 * soft limit) while this process has one thread. Growing it later, with
 * threads sharing it, makes the growing thread wait for an RCU grace
 * period and every thread opening a descriptor wait for that one
 * (docs/BENCHMARKS.md, "Session 6: the descriptor table"). Best effort. */
#define SUP_PROC_FD_TABLE 1024
void sup_proc_presize_fds(void);

/* attesta-run's exit code for a wait status: the code, or 128+N. */
int sup_proc_exit_code(int status);

/* Give the terminal back to attesta-run's own process group. */
void sup_proc_restore_terminal(struct sup_loop *loop);

/* Watch the watcher's pidfd (watcher.h) from the loop: when the watcher
 * dies, kill the sandbox as --kill-on-exit does. 0 or -errno. */
int sup_proc_watch_watcher(struct sup_loop *loop);

#endif
