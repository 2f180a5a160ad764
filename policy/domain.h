/*
 * Domain profiles (docs/score.md step 2): industry- or use-specific knowledge
 * that adjusts the reference score. The data model follows the reference
 * DomainProfile: risk patterns (regex, target, contribution), sensitive
 * terms with weights, critical and safe action globs, escalation rules,
 * base_risk_floor, production_multiplier and per-level minimum review
 * times. Profiles come from YAML files (domain_load.c, strict like the
 * config loader) or are built in code (the built-in "agent" profile).
 *
 * Scoring (pol_domain_assess) mirrors the reference DomainRiskScorer
 * steps 2-5: the largest matching pattern contribution c is blended as
 * s + c(1-s), then the largest sensitive term weight the same way; a
 * critical action floors the score at 0.8, otherwise a safe action caps it
 * at 0.15; then base_risk_floor. The production multiplier and clamp are
 * applied by the engine (step 5), once.
 *
 * Ownership: a profile owns all its strings and compiled regexes. A
 * profile is immutable once built, so any number of threads may assess
 * with it.
 */
#ifndef ATTESTA_DOMAIN_H
#define ATTESTA_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "config.h"
#include "diag.h"
#include "risk.h"

/* Where a risk pattern is matched. The first five are the reference's;
 * path and host are attesta additions for syscall actions. */
enum pol_domain_target {
	POL_DOMAIN_FUNCTION_NAME = 0,
	POL_DOMAIN_ARGS,
	POL_DOMAIN_KWARGS,
	POL_DOMAIN_DOCSTRING,
	POL_DOMAIN_ANY,
	POL_DOMAIN_PATH,
	POL_DOMAIN_HOST,
};
/* "function_name", "args", ...; -EINVAL for anything else. */
int pol_domain_target_parse(const char *name, enum pol_domain_target *ret_target);

enum pol_escalation_action {
	POL_ESCALATE_BLOCK = 0,
	POL_ESCALATE_MULTI_PARTY,
	POL_ESCALATE_TEACH_BACK,
	POL_ESCALATE_CONFIRMATION,
	POL_ESCALATE_NOTIFY, /* reference "notify_compliance": recorded, no effect */
};
/* "block", "require_multi_party", "require_teach_back",
 * "require_confirmation", "notify_compliance". */
const char *pol_escalation_action_name(enum pol_escalation_action action);
int pol_escalation_action_parse(const char *name, enum pol_escalation_action *ret_action);

/* Parsed escalation condition (the reference's mini-language). */
enum pol_condition_kind {
	POL_COND_SCORE = 0,   /* risk_score OP number */
	POL_COND_PATTERN,     /* matches_pattern:NAME */
	POL_COND_ENVIRONMENT, /* environment:NAME (case-insensitive) */
	POL_COND_LEVEL,       /* risk_level:LEVEL */
};
enum pol_condition_op { POL_OP_GT, POL_OP_GE, POL_OP_LT, POL_OP_LE, POL_OP_EQ, POL_OP_NE };

struct pol_escalation {
	char *condition;              /* as written */
	enum pol_condition_kind kind;
	enum pol_condition_op op;     /* POL_COND_SCORE */
	double threshold;             /* POL_COND_SCORE */
	char *operand;                /* pattern name / environment; NULL for score */
	enum pol_level level;         /* POL_COND_LEVEL */
	enum pol_escalation_action action;
	unsigned required_approvers;  /* >= 1, default 2 */
	char *description;
	struct pol_strv notify_roles;
};

/* Parse a condition string into rule (kind, op, threshold, operand,
 * level). -EINVAL for a form the reference does not define (the reference
 * silently never fires those; we reject them so a typo cannot switch a
 * protection off). */
int pol_escalation_parse_condition(const char *condition, struct pol_escalation *rule);

struct pol_risk_pattern {
	char *name;
	char *description;
	char *pattern;
	struct pol_regex *regex;      /* caseless, as the reference compiles them */
	enum pol_domain_target target;
	double contribution;          /* [0,1] */
	struct pol_strv compliance_refs;
};

struct pol_sensitive_term {
	char *term;
	double weight;
	struct pol_regex *regex;      /* \bTERM\b, caseless */
};

struct pol_action_glob {
	char *glob;                   /* as written */
	struct pol_regex *regex;      /* reference glob-to-regex, caseless, unanchored search */
};

struct pol_domain_profile {
	char *name;
	char *display_name;
	char *description;
	struct pol_risk_pattern *patterns;
	size_t n_patterns;
	struct pol_sensitive_term *terms;
	size_t n_terms;
	struct pol_action_glob *critical_actions;
	size_t n_critical;
	struct pol_action_glob *safe_actions;
	size_t n_safe;
	struct pol_escalation *escalations;
	size_t n_escalations;
	struct pol_strv compliance_frameworks;
	struct pol_strv required_vocabulary;
	double min_review[POL_LEVEL_COUNT];   /* min_review_overrides; 0 when unset */
	double base_risk_floor;               /* [0,1], default 0 */
	double production_multiplier;         /* >= 0, default 1.5 */
	bool syscall_analyzer;                /* the built-in agent profile's analysis is active */
};

/* An empty profile named name (display name and description = name),
 * production_multiplier 1.5. NULL on ENOMEM. */
struct pol_domain_profile *pol_domain_new(const char *name);
void pol_domain_free(struct pol_domain_profile *profile);

/* Builders used by the loader and the built-in profile. They compile the
 * regex once and return -EINVAL (bad regex, message in err), -E2BIG, -ENOMEM. */
int pol_domain_add_pattern(struct pol_domain_profile *profile, const char *name,
			   const char *description, const char *pattern,
			   enum pol_domain_target target, double contribution,
			   char *err, size_t err_size);
/* A term already present keeps the higher weight (reference merge). */
int pol_domain_add_term(struct pol_domain_profile *profile, const char *term, double weight,
			char *err, size_t err_size);
int pol_domain_add_action(struct pol_domain_profile *profile, bool critical, const char *glob,
			  char *err, size_t err_size);
/* Takes ownership of rule's strings (the caller's struct is zeroed). */
int pol_domain_add_escalation(struct pol_domain_profile *profile, struct pol_escalation *rule);
void pol_escalation_release(struct pol_escalation *rule);

/* DomainRegistry.merge: name "a+b", patterns/escalations concatenated,
 * terms max weight, actions and lists de-duplicated in order, review times
 * and base_risk_floor max, production_multiplier max (starting at 1.0).
 * n >= 1 (n == 1 returns a copy). 0, -EINVAL, -ENOMEM. */
int pol_domain_merge(const struct pol_domain_profile *const *profiles, size_t n,
		     struct pol_domain_profile **ret_profile);

/* Texts a profile matches, computed once per evaluation. */
struct pol_domain_texts {
	const char *function_name;
	char *args;      /* owned: Python str() of args joined with spaces */
	char *kwargs;    /* owned: "k=v k=v" */
	const char *doc; /* "" when absent */
	const char *path;
	const char *path2; /* rename: the destination ("" otherwise) */
	char *host;      /* owned: "name address" for connect */
	char *full;      /* owned: name, args, kwargs, doc joined (sensitive terms) */
};
int pol_domain_texts_init(struct pol_domain_texts *texts, const struct pol_action *action);
void pol_domain_texts_release(struct pol_domain_texts *texts);

/* Names of the patterns (and agent findings) that matched, for
 * matches_pattern: conditions. */
struct pol_domain_match {
	struct pol_strv matched;
	bool critical;      /* a critical action matched */
	bool safe;          /* a safe action matched (and no critical one) */
};
void pol_domain_match_release(struct pol_domain_match *match);

/* Extra input to pol_domain_assess from the agent analyzer: an additional
 * contribution (max-ed with the pattern contributions), and critical / safe
 * verdicts that count as critical / safe actions. */
struct pol_domain_extra {
	double contribution;      /* 0: none */
	const char *names;        /* "; "-joined finding names for the factor */
	const char *evidence;
	bool critical;
	bool safe;
	const char *critical_reason;
	const char *safe_reason;
};

/* Steps 2-5 of the reference DomainRiskScorer on *score (in/out), adding
 * a named factor for every change. extra may be NULL. 0 or -ENOMEM. */
int pol_domain_assess(const struct pol_domain_profile *profile,
		      const struct pol_domain_texts *texts,
		      const struct pol_domain_extra *extra,
		      double *score, struct pol_assessment *a,
		      struct pol_domain_match *match);

/* Does rule fire for (environment, score, level, matched names)? */
bool pol_escalation_fires(const struct pol_escalation *rule, const char *environment,
			  double score, enum pol_level level,
			  const struct pol_domain_match *match);

/* --- loading (domain_load.c) --- */

/* Load a profile from a YAML file (schema in docs/profiles.md). Strict:
 * unknown keys, wrong types, out-of-range numbers, bad regexes and
 * conditions are -EINVAL with file:line:column in diag. */
int pol_domain_load(const char *path, struct pol_domain_profile **ret_profile,
		    struct pol_diag *diag);
int pol_domain_load_buffer(const char *name, const char *buf, size_t len,
			   struct pol_domain_profile **ret_profile, struct pol_diag *diag);

/* Find NAME.yaml (or NAME.yml) in config->domain_paths, then ./profiles,
 * then ./.attesta/profiles, and load it. -ENOENT when no file exists;
 * "agent" is the built-in profile and is never looked up. */
int pol_domain_find(const struct pol_config *config, const char *name,
		    struct pol_domain_profile **ret_profile, struct pol_diag *diag);

/* The built-in "agent" profile (agent_profile.c): static data plus
 * syscall_analyzer = true. 0 or -ENOMEM. */
int pol_agent_profile_new(struct pol_domain_profile **ret_profile);

#endif
