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
#include "supervisor/run/verdict.h"

/* The entry in arena (which the caller resets between entries), every
 * field except those pol_audit_append_json() sets; NULL on ENOMEM. */
struct pol_json *sup_verdict_entry(struct pol_json_arena *arena, const struct sup_loop *loop,
				   const struct sup_held *held, bool approved, const char *verdict,
				   const char *decision_source, const char *reason,
				   const char *const *approver_ids, int answer_errno,
				   const struct sup_verdict_extra *x);

/* "enforce", "shadow" or "audit_only". */
const char *sup_policy_mode_name(enum pol_policy_mode mode);

#endif
