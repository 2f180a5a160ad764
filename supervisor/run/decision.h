/*
 * What was decided about one held call (docs/ARCHITECTURE.md, "The life
 * of one unlink"): the verdict and who decided, as enums, with the
 * one-line reason. The decide stage (decide.h) fills it; the record
 * stage (record.h) writes it into the audit entry through the one
 * enum->string table below (the strings are the audit format of
 * docs/audit.md and must not change); the respond stage (respond.h)
 * answers the kernel or the shim from it. Pure data, no I/O.
 */
#ifndef ATTESTA_SUP_DECISION_H
#define ATTESTA_SUP_DECISION_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"

enum sup_verdict_kind {
	SUP_VERDICT_DENIED,     /* audited "denied" (0: a zeroed verdict fails closed) */
	SUP_VERDICT_APPROVED,   /* audited "approved": the call is released */
	SUP_VERDICT_TIMED_OUT,  /* audited "timed_out" (a human did not answer) */
	SUP_VERDICT_ESCALATED,  /* audited "escalated" (fail_mode escalate): denied */
	SUP_VERDICT_HOLD,       /* wait for a human (human.h); not final */
	SUP_VERDICT_KERNEL_ERRNO, /* the kernel would fail it anyway: its errno, no audit */
	SUP_VERDICT_PASS_SEND,  /* a send without destination: performed, no audit */
};

/* Who decided: the entry's decision_source. */
enum sup_source {
	SUP_SRC_POLICY,
	SUP_SRC_FAIL_MODE,
	SUP_SRC_DECODER,
	SUP_SRC_HUMAN,
	SUP_SRC_HARD_RULE,
	SUP_SRC_REPEAT,
	SUP_SRC_SUPERVISOR,
	SUP_SRC_EXEC_CHECK,
	SUP_SRC_ATTESTATION,
	SUP_SRC_EMULATION,
	SUP_SRC_FILTER,
	SUP_SRC_TIMEOUT,
	SUP_SRC_SESSION,        /* a session grant: "session:<entry id>" */
	SUP_SRC_SCOPE,          /* an exec scope: "scope:<entry id>" */
	SUP_SRC_CHAIN,          /* a wrapper chain's head (exec_chain.h): "chain:<entry id>" */
	SUP_SRC_COUNT
};

struct sup_verdict {
	enum sup_verdict_kind kind;
	enum sup_source source;
	char grant[72];                  /* SESSION / SCOPE / CHAIN: the approval's entry id */
	char reason[440];                /* one line, may be "" */
	const char *const *approver_ids; /* borrowed, NULL-terminated, may be NULL */
	bool warn_unreviewed;            /* fail_mode allow without review: say so on stderr */
};

/* The call runs (the only verdict that releases it). */
static inline bool sup_verdict_allows(const struct sup_verdict *v)
{
	return v->kind == SUP_VERDICT_APPROVED;
}

/* Set kind, source and reason (printf-style); clears the rest. */
void sup_verdict_set(struct sup_verdict *v, enum sup_verdict_kind kind, enum sup_source source,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "approved", "denied", "timed_out", "escalated" (audit strings). */
const char *sup_verdict_name(enum sup_verdict_kind kind);
/* "policy", "fail_mode", "human", ... (audit strings, without a grant id). */
const char *sup_source_name(enum sup_source source);
/* The entry's decision_source: the name, or "session:ID" / "scope:ID" /
 * "chain:ID". */
const char *sup_source_format(const struct sup_verdict *v, char *buf, size_t size);

/* policy.mode as the audit writes it: "enforce", "shadow" or "audit_only". */
const char *sup_policy_mode_name(enum pol_policy_mode mode);

#endif
