/*
 * The decide stage (docs/ARCHITECTURE.md, "The life of one unlink"): a
 * pure function of the held call (its decoded action and the facts
 * gathered for it, struct sup_facts in loop.h) and the gate's state
 * (gate.h: config, engine, scopes, repeats, attestation result, whether
 * an approver can be reached). It never makes a syscall, writes the audit
 * log, frees the record or prints: it fills held->verdict (and the
 * engine's score in held->decision) and returns. Recording and answering
 * are the record and respond stages (record.h, respond.h); holding the
 * call for a human is the pipeline's (pipeline.h). The decision table
 * test (tests/unit/test_decide.c) drives it without a kernel.
 */
#ifndef ATTESTA_SUP_DECIDE_H
#define ATTESTA_SUP_DECIDE_H

#include "supervisor/run/decision.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/loop.h"

/* Decide held (decoded, facts gathered). held->verdict.kind is
 * SUP_VERDICT_HOLD when a human must answer and an approver can be
 * reached in this mode; then, if the hold fails, sup_decide_unheld(). */
void sup_decide(const struct sup_gate *gate, struct sup_held *held);

/* The part of sup_decide() for an evaluated call whose level needs a
 * human: a session grant or exec scope, a repeat, HOLD, or fail_mode
 * (sup_decide_unheld). The pipeline runs it again when the exec scope it
 * found belonged to a process that is gone (sup_scope_exec_current). */
void sup_decide_human(const struct sup_gate *gate, struct sup_held *held);

/* No approver could be reached for a call that needs one (hold_rc: why
 * the hold failed, -ENOSPC for too many held calls): fail_mode decides,
 * shadow and audit_only let it run. Fills held->verdict. Pure. */
void sup_decide_unheld(const struct sup_gate *gate, struct sup_held *held, int hold_rc);

/* decide_exec.c: after the exec itself was evaluated into
 * held->decision, judge what else it runs (a "#!" interpreter, an ELF
 * interpreter that is not the dynamic loader, the program the loader is
 * asked to run); the riskier decision stands. 0 or -errno. Pure. */
int sup_decide_exec(const struct sup_gate *gate, struct sup_held *held, double trust);

#endif
