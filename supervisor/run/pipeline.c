/*
 * The pipeline of one held call (pipeline.h). sup_pipeline_facts() is
 * the one place where the world is asked what decide needs (the clock,
 * trust, the attestation result, the identity of the approval socket and
 * of the gate's own files), so that decide is pure. Where a hook after
 * the decision goes (before the entry is written): sup_respond_guard()
 * in respond.c; after the answer: here, after sup_finish().
 */
#include "supervisor/run/pipeline.h"

#include <time.h>

#include "policy/trust.h"
#include "supervisor/run/attest.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/decide.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/human.h"
#include "supervisor/run/respond.h"
#include "supervisor/run/scope.h"
#include "supervisor/run/state_protect.h"
#include "supervisor/run/statepaths.h"
#include "supervisor/run/trust_watch.h"

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fill_context(struct sup_loop *loop, struct sup_held *held)
{
	struct pol_action *act = held->action;
	int rc = 0;
	if (!act->agent_id)
		rc = rc ?: pol_action_set(&act->agent_id, loop->gate->agent_id);
	if (!act->session_id)
		rc = rc ?: pol_action_set(&act->session_id, loop->gate->session_id);
	if (!act->environment)
		rc = rc ?: pol_action_set(&act->environment, loop->gate->environment);
	if (!act->intercepted_at)
		act->intercepted_at = held->intercepted_at;
	return rc;
}

/* What decide needs from the world, for a call that was decoded. */
static void sup_pipeline_facts(struct sup_loop *loop, struct sup_held *held)
{
	struct sup_facts *f = &held->facts;
	const struct pol_action *a = held->action;

	if (!a || held->decode_result < 0 || sup_decode_fails_errno(held->decode_result) ||
	    held->decode_result == SUP_DECODE_NO_DESTINATION ||
	    held->decode_result == SUP_DECODE_REFUSED)
		return;
	if (fill_context(loop, held) < 0) {
		f->context_failed = true;
		return;
	}
	/* a new attestation result (and its bundle's policy) from now on */
	if (loop->gate->attest && sup_attest_sync(loop->gate) < 0)
		f->attest_sync_failed = true;
	f->now = sup_now();
	f->now_ms = monotonic_ms();
	f->trust = loop->gate->trust_pg /* the database's record instead (trust_watch.h) */
			   ? sup_trust_pg_score(loop->gate->trust_pg, loop->gate->agent_id, f->now)
		   : loop->gate->trust ? pol_trust_score(loop->gate->trust, loop->gate->agent_id, NULL, f->now)
				       : 0.5;
	if (a->action_class == POL_ACTION_SOCKET)
		return;
	/* the hard rules' facts, in decide's order, each only if the one
	 * before did not already decide */
	f->approval_socket = sup_human_is_approval_socket(loop, a);
	f->state_path = !f->approval_socket &&
			sup_state_paths_hit(a, f->state_why, sizeof f->state_why);
	f->protected_state = !f->approval_socket && !f->state_path &&
			     (a->action_class == POL_ACTION_UNLINK ||
			      a->action_class == POL_ACTION_RMDIR) && a->path &&
			     sup_state_is_protected_entry(held->kept_fd, &a->file, a->path);
}

static int finish_now(struct sup_loop *loop, struct sup_held *held)
{
	int rc = sup_finish(loop, held, NULL);
	sup_held_remove(loop, held);
	sup_held_free(held);
	return rc;
}

void sup_pipeline_decide(struct sup_loop *loop, struct sup_held *held)
{
	sup_pipeline_facts(loop, held);
	sup_decide(loop->gate, held);
	/* An exec scope is keyed by a pid: if the pid now names another
	 * process, the scope is dropped and the call decided without it. */
	if (held->verdict.source == SUP_SRC_SCOPE &&
	    !sup_scope_exec_current(loop->gate->scopes, held->action))
		sup_decide_human(loop->gate, held);
	/* The same for a wrapper chain (exec_chain.h): a stale one is dropped. */
	if (held->verdict.source == SUP_SRC_CHAIN &&
	    !sup_exec_chain_current(loop->gate->chains, held->action))
		sup_decide_human(loop->gate, held);
}

int sup_pipeline_hold(struct sup_loop *loop, struct sup_held *held)
{
	/* Finished later by human.c when the approval table decides. */
	int rc = sup_human_hold(loop, held);
	if (rc == 0)
		return 0;
	/* No approver can be reached: fail_mode decides at once. */
	sup_decide_unheld(loop->gate, held, rc);
	return finish_now(loop, held);
}

int sup_pipeline_run(struct sup_loop *loop, struct sup_held *held)
{
	sup_pipeline_decide(loop, held);
	if (held->verdict.kind == SUP_VERDICT_HOLD)
		return sup_pipeline_hold(loop, held);
	return finish_now(loop, held);
}

int sup_pipeline_refuse(struct sup_loop *loop, struct sup_held *held, enum sup_source source,
			const char *reason)
{
	sup_verdict_set(&held->verdict, SUP_VERDICT_DENIED, source, "%s", reason);
	return finish_now(loop, held);
}
