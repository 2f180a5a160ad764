/*
 * The decision pipeline (docs/score.md) as one object built once at start-up
 * from a validated config: compiled profiles (the built-in "agent" profile
 * plus the configured domains, merged), amplifiers, overrides, multipliers.
 *
 * pol_engine_evaluate() runs steps 1-6 and 8-9 of the pipeline for one
 * action and says which challenge (if any) a human must pass. It never
 * does I/O. Trust (step 6) is passed in by the caller, who owns the trust
 * store; the attestation gate (step 7) is applied by the caller too.
 *
 * Thread-safety: an engine is immutable after pol_engine_new() except for
 * its novelty counters, which are protected by an internal mutex, so
 * pol_engine_evaluate() may be called from any number of threads.
 */
#ifndef ATTESTA_ENGINE_H
#define ATTESTA_ENGINE_H

#include <stdbool.h>

#include "action.h"
#include "config.h"
#include "diag.h"
#include "risk.h"

struct pol_engine;

/* Build an engine. The config must outlive the engine. Errors (a domain
 * profile that cannot be found or parsed) fill diag; -EINVAL/-ENOENT/-ENOMEM.
 * Profiles are found in config->domain_paths, ./profiles and
 * ./.attesta/profiles (domain.h); the built-in "agent" profile is merged
 * first unless config->builtin_agent_profile is false. The home directory
 * ($HOME) and the workspace (config->workspace, else the current
 * directory) are read once here: the agent profile judges paths against
 * them, and the sandboxed program cannot move them later. */
int pol_engine_new(const struct pol_config *config, struct pol_engine **ret_engine,
		   struct pol_diag *diag);
void pol_engine_free(struct pol_engine *engine);

struct pol_decision {
	struct pol_assessment assessment; /* final score/level and all factors */
	double raw_score;                 /* after multiplier, before trust */
	enum pol_level raw_level;         /* level before trust */
	double trust;                     /* trust used (0.5 = neutral) */
	enum pol_challenge challenge;     /* what a human must pass */
	unsigned approvers_required;      /* multi-party N (>= 2), else 1 (0 for auto-approve) */
	double minimum_review_seconds;
	bool blocked;                     /* an escalation rule said block: deny, no prompt */
	bool critical_action;             /* a profile's critical action matched */
	char reason[256];                 /* short "why", e.g. "profile agent: rm -rf on $HOME" */
};

void pol_decision_release(struct pol_decision *decision);

/* Evaluate one action. trust in [0,1] (0.5 neutral); count_novelty says
 * whether this call counts towards the novelty of (agent, function) for
 * later calls (the gate: true; `attesta score`: false). 0 or -ENOMEM. */
int pol_engine_evaluate(struct pol_engine *engine, const struct pol_action *action,
			double trust, bool count_novelty, struct pol_decision *ret);

/* The other programs an exec runs (engine_exec.c): a "#!" script's
 * interpreter, an ELF interpreter that is not the dynamic loader, the
 * program the dynamic loader is asked to run; each is judged as an exec
 * (without counting novelty) and the riskier decision stays in
 * *io_decision, noted by a factor. 0 (also for other actions) or
 * -ENOMEM. The gate and `attesta score` both call it. */
int pol_engine_judge_exec(struct pol_engine *engine, const struct pol_action *exec,
			  double trust, struct pol_decision *io_decision);

#endif
