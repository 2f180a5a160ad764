/*
 * The verdict path (docs/score.md, docs/audit.md, docs/SECURITY.md): policy pipeline -> verdict ->
 * audit entry (written, durable as audit.sync requires) -> answer to the
 * kernel (emulate unlink/connect/sendto, CONTINUE exec, or fail with
 * gate.deny_errno). Everything fails closed: a decoder error, a policy
 * error or an audit failure is a deny.
 *
 * sup_verdict_decide() runs policy for a held call and, when no human is
 * needed (auto-approve, block, or the `none` renderer's fail_mode), calls
 * sup_verdict_finish() at once. A renderer that asks a human leaves the
 * call in the loop's table and calls sup_verdict_finish() when the answer
 * (or the timeout) comes: finishing one call never waits for another.
 *
 * Trust: the held call's action was decoded from attacker memory but is
 * already bounded; nothing here reads the target again except
 * sup_emulate(), which acts on the decided copies.
 */
#ifndef ATTESTA_SUP_VERDICT_H
#define ATTESTA_SUP_VERDICT_H

#include <stdbool.h>

#include "supervisor/run/loop.h"

/* Decide a held call that is in loop's table. Returns 0 when the call
 * was finished (answered and freed) or is left held for a human; -errno
 * only for failures the loop cannot recover from. */
int sup_verdict_decide(struct sup_loop *loop, struct sup_held *held);

/* The verdict of a held socket()/socketpair() (verdict_socket.c):
 * gate.allow_socket_families decides, not the scorer. As decide. */
int sup_verdict_socket(struct sup_loop *loop, struct sup_held *held);

/* verdict_exec.c: after the exec itself was evaluated into
 * held->decision, judge what else it runs (a "#!" interpreter, an ELF
 * interpreter that is not the dynamic loader, the program the loader is
 * asked to run); the riskier decision stands. 0 or -errno. */
int sup_verdict_exec_judge(struct sup_loop *loop, struct sup_held *held, double trust);

/* Finish a held call: write its audit entry, answer the kernel, remove it
 * from the table and free it. approved says what the decision was;
 * verdict is the audit verdict ("approved", "denied", "timed_out",
 * "escalated"); decision_source names who decided ("policy", "fail_mode",
 * "decoder", "human", ...); reason is a one-line why (may be NULL);
 * approver_ids (may be NULL) a NULL-terminated list. If the audit entry
 * cannot be written the call is denied (fail closed). Returns 0, or
 * -errno when answering the kernel failed for a reason other than the
 * target being gone. */
int sup_verdict_finish(struct sup_loop *loop, struct sup_held *held, bool approved,
		       const char *verdict, const char *decision_source, const char *reason,
		       const char *const *approver_ids);

/* What a human decision adds to the audit entry (human.c). */
struct cJSON;
struct sup_verdict_extra {
	bool challenge_presented;           /* challenge_passed is meaningful */
	bool challenge_passed;
	double review_seconds;              /* review_duration_seconds, real time */
	bool min_review_met;
	const struct cJSON *challenge_result; /* copied into metadata, may be NULL */
	bool session_grant;                 /* metadata.session_grant */
	bool escalation;                    /* metadata.escalation */
	bool warning;                       /* metadata.warning (fail_mode allow, unreviewed) */
};

/* sup_verdict_finish() with the fields of a human decision (x may be
 * NULL), that leaves the held call in the table (the caller removes and
 * frees it, after using its action). ret_entry_id (size > 0) gets the
 * audit entry id, "" when none was written. 0 or -errno as
 * sup_verdict_finish. */
int sup_verdict_answer(struct sup_loop *loop, struct sup_held *held, bool approved,
		       const char *verdict, const char *decision_source, const char *reason,
		       const char *const *approver_ids, const struct sup_verdict_extra *x,
		       char *ret_entry_id, size_t entry_id_size);

/* Audit an event that is not a held call (e.g. an exec that failed
 * verification and was killed): class from syscall nr, pid, a verdict,
 * who decided and why. Durable before return. 0 or -errno. */
int sup_verdict_record(struct sup_loop *loop, pid_t pid, int nr, const char *verdict,
		       const char *decision_source, const char *reason);

/* Format epoch seconds as the reference's ISO-8601 ("2026-11-23T12:00:00.123456+00:00"). */
void sup_verdict_iso_time(double epoch, char *buf, size_t size);

/* Seconds since the epoch, microsecond resolution. */
double sup_verdict_now(void);

#endif
