/*
 * The respond stage (docs/ARCHITECTURE.md, "The life of one unlink"):
 * answer a recorded call as held->verdict says. For the kernel: emulate
 * an allowed unlink/rmdir/rename/connect/sendto on the decided copies
 * (emulate.h), CONTINUE an allowed exec (watched by the exec check) or
 * socket(), or fail the call with gate.deny_errno; SECCOMP_IOCTL_NOTIF_SEND.
 * For a shim-only request (held->from_shim), the verdict on its
 * connection (the shim makes the call itself, docs/shim.md). Never frees
 * the record (the caller removes and frees it).
 */
#ifndef ATTESTA_SUP_RESPOND_H
#define ATTESTA_SUP_RESPOND_H

#include "supervisor/run/loop.h"
#include "supervisor/run/verdict_entry.h"

/* The end of every decided call, automatic or human: the guard (the
 * last checks that can turn an allow into a deny: the exec check's
 * ptrace attach, attestation enforce; never a deny into an allow), the
 * record stage (record.h), then the answer; an entry that cannot be
 * written denies the call. A call that is not audited (verdict
 * KERNEL_ERRNO: the kernel's own errno; PASS_SEND: a send without
 * destination, performed) is only answered.
 * x: what a human decision adds to the entry (may be NULL). Leaves the
 * record in the table. 0 (answering problems are reported on stderr). */
int sup_finish(struct sup_loop *loop, struct sup_held *held, const struct sup_verdict_extra *x);

/* sup_finish() in two halves, for a decision thread (workers.h): the
 * guard and the record stage, under the gate lock (nothing for the two
 * unaudited verdicts); then respond, with gate_held false: outside the
 * lock (emulation, NOTIF_SEND), which is taken again only to write the
 * entry of an emulation that failed. Not for an exec or a shim request
 * (the loop thread's). */
void sup_finish_record(struct sup_loop *loop, struct sup_held *held,
		       const struct sup_verdict_extra *x);
void sup_finish_respond(struct sup_loop *loop, struct sup_held *held, bool gate_held);

#endif
