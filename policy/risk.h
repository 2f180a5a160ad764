/*
 * Risk assessment: a score in [0,1], its level, and every contribution
 * that produced it as a named factor (docs/score.md: "every step's
 * contribution is kept as a factor list ... shown to the approver and in
 * the audit entry").
 *
 * risk.c implements the reference DefaultRiskScorer (docs/scoring.md) bit for
 * bit: five weighted factors summed left to right in double precision with
 * no fused multiply-add, Python str() stringification of arguments, PCRE2
 * with UTF+UCP. It is pure: no I/O, no globals that change after
 * pol_risk_init().
 */
#ifndef ATTESTA_RISK_H
#define ATTESTA_RISK_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "config.h"

struct pol_factor {
	char name[48];          /* "function_name", "arguments", "amplifier", "trust", ... */
	double contribution;    /* signed change to the score, or weighted factor */
	char *description;      /* owned; human-readable */
	char *evidence;         /* owned; what matched, or NULL */
};

struct pol_assessment {
	double score;
	enum pol_level level;
	struct pol_factor *factors; /* owned */
	size_t n_factors;
	size_t capacity;
	char scorer_name[32];       /* "default", "domain", "override", ... */
};

void pol_assessment_init(struct pol_assessment *a);
void pol_assessment_release(struct pol_assessment *a);
/* Append a factor (copies description and evidence). 0 or -ENOMEM. */
int pol_assessment_add(struct pol_assessment *a, const char *name,
		       double contribution, const char *description,
		       const char *evidence);

/* The reference DefaultRiskScorer. novelty_calls is how many times this
 * agent called this function name before (0 for a first call). Fills
 * ret (score, level, five factors). 0, or -ENOMEM. */
int pol_risk_score_reference(const struct pol_action *action,
			     unsigned novelty_calls,
			     struct pol_assessment *ret);

/* Python str() of the action's arguments joined with single spaces, the
 * text the reference argument factor and amplifier target "args" match.
 * Caller owns the result; NULL on ENOMEM. */
char *pol_risk_args_text(const struct pol_action *action);

#endif
