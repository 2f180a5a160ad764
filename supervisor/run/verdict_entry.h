/*
 * The audit entry of a finished call (docs/audit.md: the reference fields and
 * the syscall fields), built directly as a pol_json object for
 * pol_audit_append_json(): no cJSON tree per decision. Trusts the decoded
 * action only as far as the decoders bounded it.
 */
#ifndef ATTESTA_SUP_VERDICT_ENTRY_H
#define ATTESTA_SUP_VERDICT_ENTRY_H

#include <stdbool.h>

#include "policy/canonjson.h"
#include "policy/config.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/decision.h"

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

/* The entry of held decided as v (verdict, decision_source, reason,
 * approver_ids: the strings of decision.c) in arena (which the caller
 * resets between entries), every field except those
 * pol_audit_append_json() sets; NULL on ENOMEM. */
struct pol_json *sup_verdict_entry(struct pol_json_arena *arena, const struct sup_gate *gate,
				   const struct sup_held *held, const struct sup_verdict *v,
				   int answer_errno, const struct sup_verdict_extra *x);


#endif
