/*
 * An exec decided on the decision thread that received it, which is then
 * also its tracer (docs/ARCHITECTURE.md, "Processes and threads";
 * execcheck.h says why an approved exec is traced at all). Before
 * session 8 every exec was handed to the loop thread, the sandbox's only
 * tracer: one more wake-up, often of an idle CPU, before each decision,
 * and every exec decided on one thread.
 *
 * The thread seizes the caller while it is held (sup_exec_watch_seize,
 * from respond_guard, after the id was checked), answers, and then
 * (sup_exec_watch_finish) asks for a stop at the end of the call
 * (PTRACE_INTERRUPT) and waits for its own tracee only (__WNOTHREAD; the
 * loop thread's reaper waits with __WNOTHREAD too, so neither takes the
 * other's events):
 *  - PTRACE_EVENT_EXEC (the exec happened, the new image has not run an
 *    instruction): the tracee's identity and argv are verified against
 *    what was approved (sup_exec_expect_verify); a match is detached (the
 *    detach drops the pending interrupt), a mismatch killed and audited;
 *  - the interrupt's stop (the call failed or was denied) or a group-stop:
 *    detached, nothing ran;
 *  - exit: nothing to do.
 * A thread therefore never keeps a tracee past the call it decided, and
 * at most one at a time. The loop thread still traces PROG before its
 * first exec and the execs it decides (one decision thread, a call held
 * for a human): a decision thread hands those over (sup_execcheck_traces).
 */
#ifndef ATTESTA_SUP_EXEC_WATCH_H
#define ATTESTA_SUP_EXEC_WATCH_H

#include "supervisor/run/loop.h"

/* Become the tracer of held's caller (PTRACE_SEIZE with TRACEEXEC and
 * EXITKILL) and set held->seized. 0 or -errno (-EPERM: another tracer;
 * the exec is then denied). The caller checked the notification id. */
int sup_exec_watch_seize(struct sup_held *held);

/* After held was answered: if it was seized, see the call end as above.
 * stop (may be NULL): the decision threads are ending; a wait interrupted
 * then gives up (the tracee is killed with this thread, EXITKILL). */
void sup_exec_watch_finish(struct sup_loop *loop, struct sup_held *held, const int *stop);

#endif
