/*
 * Decision threads (docs/ARCHITECTURE.md, "Processes and threads";
 * docs/attesta-run.md, "Decision threads"): several threads read the one
 * seccomp listener (the kernel hands each notification to exactly one
 * NOTIF_RECV caller) and each runs decode -> decide -> record -> respond
 * itself for the calls that need nothing only the loop thread can do;
 * an exec it approves it also traces (exec_watch.h). A call held for a
 * human (the approval table, the tty, the approval sockets), and the exec
 * of a thread the loop thread traces or of the supervisor's own child,
 * are handed to the loop thread through a queue and an eventfd in its
 * dispatcher (evloop.h), where the same pipeline goes on.
 *
 * Locking: one gate lock (loop->gate_lock). The loop thread holds it
 * around each of its handlers (evloop's lock); a decision thread holds it
 * for the shim's annotations, facts + decide and the record stage (the
 * audit entry is appended, and made durable where audit.sync says so,
 * before the lock is dropped and before the call is released), and not
 * for decoding (per-thread /proc work, decode_cache.h has its own lock),
 * the emulation and NOTIF_SEND. The audit chain stays one ordered chain:
 * entries are appended one at a time in the order the lock is taken.
 *
 * Shutdown: NOTIF_RECV blocks while nothing is pending; once no task
 * uses the filter it fails at once (ENOENT) on kernels since 6.6 and
 * keeps waiting on older ones, so a thread that finds the listener hung
 * up sleeps, and sup_workers_stop() interrupts either wait with a signal
 * each thread alone unblocks, resent until the thread has ended, then
 * joins it and runs what it handed over.
 *
 * Idle threads all wait in NOTIF_RECV on one kernel wait queue and a
 * notification wakes every one of them (one gets it): more threads than
 * CPUs cost context switches (docs/BENCHMARKS.md, "Session 5").
 */
#ifndef ATTESTA_SUP_WORKERS_H
#define ATTESTA_SUP_WORKERS_H

#include "supervisor/run/loop.h"

/* The most decision threads attesta-run starts. */
#define SUP_WORKERS_MAX 16

/*
 * How many decision threads to use: ATTESTA_DECISION_THREADS when set
 * (1 = the loop thread decides everything, as before; 2..SUP_WORKERS_MAX),
 * else the number of online CPUs (at most SUP_WORKERS_MAX). An invalid
 * value is said on stderr and the default used.
 */
unsigned sup_workers_wanted(void);

/*
 * Start n (>= 2) decision threads on loop->listener, add the hand-over
 * eventfd to loop->ev, make loop->ev hold the gate lock around its
 * handlers and set loop->threaded. Loop thread, before it serves. 0, or
 * -errno with nothing started (the loop thread then reads the listener).
 */
int sup_workers_start(struct sup_loop *loop, unsigned n);

/* Stop and join the decision threads (each finishes the call it has),
 * then finish on the calling (loop) thread what they handed over;
 * loop->threaded is false afterwards. Nothing when none run. */
void sup_workers_stop(struct sup_loop *loop);

#endif
