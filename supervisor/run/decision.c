/*
 * The one table from verdict and source enums (and policy.mode) to the
 * audit strings of docs/audit.md (see decision.h).
 */
#include "supervisor/run/decision.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const verdict_names[] = {
	[SUP_VERDICT_APPROVED] = "approved",
	[SUP_VERDICT_DENIED] = "denied",
	[SUP_VERDICT_TIMED_OUT] = "timed_out",
	[SUP_VERDICT_ESCALATED] = "escalated",
	[SUP_VERDICT_HOLD] = "held",
	[SUP_VERDICT_KERNEL_ERRNO] = "kernel_errno",
	[SUP_VERDICT_PASS_SEND] = "pass",
};

static const char *const source_names[SUP_SRC_COUNT] = {
	[SUP_SRC_POLICY] = "policy",
	[SUP_SRC_FAIL_MODE] = "fail_mode",
	[SUP_SRC_DECODER] = "decoder",
	[SUP_SRC_HUMAN] = "human",
	[SUP_SRC_HARD_RULE] = "hard_rule",
	[SUP_SRC_REPEAT] = "repeat",
	[SUP_SRC_SUPERVISOR] = "supervisor",
	[SUP_SRC_EXEC_CHECK] = "exec_check",
	[SUP_SRC_ATTESTATION] = "attestation",
	[SUP_SRC_EMULATION] = "emulation",
	[SUP_SRC_FILTER] = "filter",
	[SUP_SRC_TIMEOUT] = "timeout",
	[SUP_SRC_SESSION] = "session",
	[SUP_SRC_SCOPE] = "scope",
	[SUP_SRC_CHAIN] = "chain",
};

void sup_verdict_set(struct sup_verdict *v, enum sup_verdict_kind kind, enum sup_source source,
		     const char *fmt, ...)
{
	va_list ap;

	v->kind = kind;
	v->source = source;
	v->grant[0] = '\0';
	v->approver_ids = NULL;
	v->warn_unreviewed = false;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}

const char *sup_verdict_name(enum sup_verdict_kind kind)
{
	return (unsigned)kind < sizeof verdict_names / sizeof *verdict_names ? verdict_names[kind]
									       : "denied";
}

const char *sup_source_name(enum sup_source source)
{
	return (unsigned)source < SUP_SRC_COUNT ? source_names[source] : "supervisor";
}

const char *sup_source_format(const struct sup_verdict *v, char *buf, size_t size)
{
	if ((v->source != SUP_SRC_SESSION && v->source != SUP_SRC_SCOPE &&
	     v->source != SUP_SRC_CHAIN) || !v->grant[0])
		return sup_source_name(v->source);
	snprintf(buf, size, "%s:%s", sup_source_name(v->source), v->grant);
	return buf;
}

const char *sup_policy_mode_name(enum pol_policy_mode mode)
{
	switch (mode) {
	case POL_MODE_SHADOW: return "shadow";
	case POL_MODE_AUDIT_ONLY: return "audit_only";
	default: return "enforce";
	}
}
