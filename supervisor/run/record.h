/*
 * The record stage (docs/ARCHITECTURE.md, "The life of one unlink";
 * docs/audit.md): the audit entry of a decided call, written before the
 * call is released (write-ahead). A deny or a human decision is durable
 * before return; an automatic approval within audit.sync_window_ms
 * (group commit). Also the entries of events that are not held calls
 * (an exec killed by the exec check, a SIGSYS of the filter).
 */
#ifndef ATTESTA_SUP_RECORD_H
#define ATTESTA_SUP_RECORD_H

#include <sys/types.h>

#include "supervisor/run/decision.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/verdict_entry.h"

/* Write the entry of held as held->verdict says (x: what a human
 * decision adds, may be NULL); held->entry_id gets its id. With
 * attestation advisory, also the would-deny shadow. 0 or -errno (the
 * caller denies the call: fail closed). */
int sup_record(struct sup_gate *gate, struct sup_held *held, const struct sup_verdict_extra *x);

/* An entry for held decided as v, written durably (a deny), without
 * touching held->entry_id: e.g. the emulation of an allowed call
 * failed. 0 or -errno. */
int sup_record_also(struct sup_gate *gate, const struct sup_held *held,
		    const struct sup_verdict *v, int answer_errno);

/* Audit a denial that is not a held call (e.g. an exec that failed
 * verification and was killed): class from syscall nr (-1: none), pid,
 * who decided and why. Durable before return. 0 or -errno. */
int sup_record_event(struct sup_gate *gate, pid_t pid, int nr, enum sup_source source,
		     const char *reason);

/* The calling thread builds its entries in an arena of its own (on), or
 * in the gate's again (off; its own is freed). A decision thread
 * (workers.h) turns it on so that it can record outside the gate lock
 * (the audit log orders and chains the appends itself, policy/audit.h),
 * and off before it ends. */
void sup_record_thread_arena(bool on);

#endif
