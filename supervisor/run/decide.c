/*
 * The decide stage (decide.h): hard rules, attestation (enforce), the
 * socket-family rule, the policy engine (with an exec's interpreters),
 * then for a level that needs a human: a scope or session grant, a
 * repeat of a refused call, a hold, or fail_mode; shadow and audit_only
 * turn a deny into a logged would-deny. Every error is a deny (fail
 * closed). Pure: everything it needs from the world (time, trust, the
 * identity of files) was gathered into held->facts before it runs.
 * Where a new decision rule goes: a hard rule before the engine, a rule
 * about held calls after it (docs/ARCHITECTURE.md).
 */
#include "supervisor/run/decide.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/config.h"
#include "supervisor/common/sockgate.h"
#include "supervisor/run/attest_internal.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/repeat.h"
#include "supervisor/run/scope.h"

static void deny(struct sup_held *held, enum sup_source source, const char *reason)
{
	sup_verdict_set(&held->verdict, SUP_VERDICT_DENIED, source, "%s", reason);
}

/* shadow / audit_only: record what enforce would have done, let it run. */
static void not_enforced(const struct sup_gate *gate, struct sup_held *held)
{
	struct sup_verdict *v = &held->verdict;
	char why[sizeof v->reason];

	if (sup_verdict_allows(v) || gate->config->mode == POL_MODE_ENFORCE)
		return;
	memcpy(why, v->reason, sizeof why);
	v->kind = SUP_VERDICT_APPROVED;
	snprintf(v->reason, sizeof v->reason, "%s: would deny: %.360s",
		 sup_policy_mode_name(gate->config->mode), why);
}

/* socket()/socketpair() the filter held (docs/decode.md, "Socket
 * creation"): gate.allow_socket_families decides, not the scorer. */
static void decide_socket(const struct sup_gate *gate, struct sup_held *held)
{
	const struct pol_config *config = gate->config;
	const __u64 *arg = held->req.data.args;
	const struct pol_action *a = held->action;
	const char *by = sup_socket_allowed_by((const char *const *)config->allow_socket_families.items,
					       config->allow_socket_families.count, (int)arg[0],
					       (int)arg[1], (int)arg[2]);
	const char *fam = a->args.count > 0 ? a->args.items[0] : "?";
	const char *type = a->args.count > 1 ? a->args.items[1] : "?";
	const char *proto = a->args.count > 2 ? a->args.items[2] : "?";

	if (by) {
		sup_verdict_set(&held->verdict, SUP_VERDICT_APPROVED, SUP_SRC_POLICY,
				"%s socket (%s, protocol %s) allowed by "
				"gate.allow_socket_families '%s'", fam, type, proto, by);
		return;
	}
	sup_verdict_set(&held->verdict, SUP_VERDICT_DENIED, SUP_SRC_POLICY,
			"%s socket (%s, protocol %s) is decided at creation and "
			"gate.allow_socket_families does not allow it", fam, type, proto);
	not_enforced(gate, held);
}

/* Attestation, enforce (docs/fleet.md): a failing predicate denies
 * before any policy or human; the respond stage checks again. */
static bool attest_denies(const struct sup_gate *gate, const struct sup_held *held,
			  const char **why)
{
	const struct sup_attest *a = gate->attest;

	if (!a)
		return false;
	if (held->facts.attest_sync_failed && a->mode == POL_ATTEST_ENFORCE) {
		*why = "attestation: audit entry could not be written";
		return true;
	}
	if (pol_attest_gate(a->mode, true, a->cur) != POL_ATTEST_EFFECT_DENY)
		return false;
	*why = pol_attest_reason(a->cur);
	return true;
}

void sup_decide_unheld(const struct sup_gate *gate, struct sup_held *held, int hold_rc)
{
	const struct pol_config *config = gate->config;
	const struct pol_decision *d = &held->decision;
	const char *level = pol_level_name(d->assessment.level);
	const char *challenge = pol_challenge_name(d->challenge);
	const char *nobody = !gate->approval ? "renderer none"
			     : config->mode != POL_MODE_ENFORCE ? "not held in this mode"
			     : hold_rc == -ENOSPC ? "too many calls waiting for a human"
			     : "cannot hold the call";
	struct sup_verdict *v = &held->verdict;

	switch (config->fail_mode) {
	case POL_FAIL_ALLOW:
		sup_verdict_set(v, SUP_VERDICT_APPROVED, SUP_SRC_FAIL_MODE,
				"no approver: %s; fail_mode allow (%s %s)", nobody, level, challenge);
		v->warn_unreviewed = true;
		break;
	case POL_FAIL_ESCALATE:
		sup_verdict_set(v, SUP_VERDICT_ESCALATED, SUP_SRC_FAIL_MODE,
				"no approver: %s; escalated (%s %s)", nobody, level, challenge);
		break;
	default:
		sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_FAIL_MODE,
				"no approver: %s (%s %s)", nobody, level, challenge);
		break;
	}
	not_enforced(gate, held);
}

void sup_decide_human(const struct sup_gate *gate, struct sup_held *held)
{
	const struct pol_config *config = gate->config;
	const struct pol_decision *d = &held->decision;
	struct sup_verdict *v = &held->verdict;

	/* A scope or a session grant from an earlier approval covers it
	 * (still audited). */
	const char *by = NULL;
	enum sup_source kind = SUP_SRC_SESSION;
	if (gate->scopes) {
		by = sup_scope_session_covers(gate->scopes, held->action, d->assessment.level);
		if (!by) {
			by = sup_scope_exec_covers(gate->scopes, held->action, d->assessment.level);
			kind = SUP_SRC_SCOPE;
		}
	}
	/* a hop of a wrapper chain a human approved (exec_chain.h) */
	if (!by && !held->from_shim &&
	    (by = sup_exec_chain_covers_peek(gate->chains, held->action, d->assessment.level)))
		kind = SUP_SRC_CHAIN;
	if (by) {
		sup_verdict_set(v, SUP_VERDICT_APPROVED, kind, "covered by approval %s (%s %s)", by,
				pol_level_name(d->assessment.level), pol_challenge_name(d->challenge));
		snprintf(v->grant, sizeof v->grant, "%s", by);
		return;
	}
	/* The same call refused by a human a moment ago (a shell trying the
	 * next PATH entry for the same file): refused again at once, not
	 * asked again (repeat.h). */
	const char *was = config->mode == POL_MODE_ENFORCE && gate->repeats
				  ? sup_repeat_find(gate->repeats, held->action, held->facts.now_ms)
				  : NULL;
	if (was) {
		sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_REPEAT,
				"the same call was %s by a human less than %d s ago", was,
				SUP_REPEAT_WINDOW_MS / 1000);
		return;
	}
	/* Hold it for a human (pipeline.c, human.c). Shadow and audit_only
	 * never make the agent wait. */
	if (config->mode == POL_MODE_ENFORCE && gate->approval) {
		sup_verdict_set(v, SUP_VERDICT_HOLD, SUP_SRC_HUMAN, "%s", "");
		return;
	}
	sup_decide_unheld(gate, held, -EINVAL);
}

void sup_decide(const struct sup_gate *gate, struct sup_held *held)
{
	struct sup_verdict *v = &held->verdict;
	const char *why;
	int rc;

	if (sup_decode_fails_errno(held->decode_result)) {
		sup_verdict_set(v, SUP_VERDICT_KERNEL_ERRNO, SUP_SRC_DECODER, "%s", "");
		return;
	}
	if (held->decode_result < 0 || !held->action) {
		deny(held, SUP_SRC_DECODER, held->reason[0] ? held->reason : "cannot decode call");
		return;
	}
	if (held->decode_result == SUP_DECODE_NO_DESTINATION) {
		sup_verdict_set(v, SUP_VERDICT_PASS_SEND, SUP_SRC_DECODER, "%s", "");
		return;
	}
	if (held->decode_result == SUP_DECODE_REFUSED) {
		deny(held, SUP_SRC_DECODER, held->reason[0] ? held->reason : "refused");
		return;
	}
	if (held->facts.context_failed) {
		deny(held, SUP_SRC_SUPERVISOR, "out of memory");
		return;
	}
	if (attest_denies(gate, held, &why)) {
		deny(held, SUP_SRC_ATTESTATION, why);
		return;
	}
	if (held->action->action_class == POL_ACTION_SOCKET) {
		decide_socket(gate, held);
		return;
	}
	/* SECURITY (docs/challenges.md, hard rule, not scored, not softened
	 * by any mode): the sandbox never reaches the approval socket. */
	if (held->facts.approval_socket) {
		deny(held, SUP_SRC_HARD_RULE, "connect to the approval socket from inside the sandbox");
		return;
	}
	/* SECURITY (hard rule, like the one above): the sandbox never renames
	 * or removes the gate's own files or a directory above them
	 * (statepaths.h); the emulation checks their identity again. */
	if (held->facts.state_path) {
		deny(held, SUP_SRC_HARD_RULE, held->facts.state_why);
		return;
	}
	/* SECURITY (docs/SECURITY.md, "The gate's own files"): the agent may
	 * not have the supervisor remove a protected state file for it. */
	if (held->facts.protected_state) {
		deny(held, SUP_SRC_HARD_RULE, "removal of the gate's own state (audit log, head, key, "
		     "trust store, config or profiles)");
		return;
	}
	rc = pol_engine_evaluate(gate->engine, held->action, held->facts.trust, true,
				 &held->decision);
	if (rc == 0 && held->action->action_class == POL_ACTION_EXEC)
		rc = sup_decide_exec(gate, held, held->facts.trust);
	if (rc < 0) {
		sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_POLICY, "policy evaluation failed: %s",
				strerror(-rc));
		return;
	}
	held->evaluated = true;
	const struct pol_decision *d = &held->decision;
	if (d->blocked) {
		sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_POLICY, "blocked: %s",
				d->reason[0] ? d->reason : "escalation rule");
		not_enforced(gate, held);
	} else if (d->challenge == POL_CHALLENGE_AUTO_APPROVE) {
		sup_verdict_set(v, SUP_VERDICT_APPROVED, SUP_SRC_POLICY, "%s", d->reason);
	} else {
		sup_decide_human(gate, held);
	}
}
