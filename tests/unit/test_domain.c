/*
 * Unit tests for domain profiles (policy/domain.c, domain_assess.c,
 * domain_load.c): loading the full schema, strict rejection of bad files
 * with exact file:line:column, merging as the reference DomainRegistry
 * does, each scoring step (pattern blend, sensitive terms, critical floor,
 * safe cap, base floor) and escalation conditions.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/action.h"
#include "policy/domain.h"

static const char *data_path(const char *name, char *buf, size_t size)
{
	const char *src = getenv("ATTESTA_SRCDIR");

	snprintf(buf, size, "%s/tests/data/profiles/%s", src ? src : ".", name);
	return buf;
}

static struct pol_domain_profile *load(const char *name)
{
	struct pol_domain_profile *p = NULL;
	struct pol_diag diag;
	char path[512];
	int r = pol_domain_load(data_path(name, path, sizeof(path)), &p, &diag);

	if (r < 0)
		print_error("%s:%u:%u: %s\n", diag.file, diag.line, diag.column, diag.message);
	assert_int_equal(r, 0);
	return p;
}

static void test_pol_domain_load_full_schema(void **state)
{
	struct pol_domain_profile *p = load("payments.yaml");

	(void)state;
	assert_string_equal(p->name, "payments");
	assert_string_equal(p->display_name, "Payments");
	assert_int_equal(p->n_patterns, 2);
	assert_string_equal(p->patterns[0].name, "money_movement");
	assert_int_equal(p->patterns[0].target, POL_DOMAIN_FUNCTION_NAME);
	assert_true(p->patterns[0].contribution == 0.6);
	assert_int_equal(p->patterns[0].compliance_refs.count, 1);
	assert_int_equal(p->n_terms, 2);
	assert_int_equal(p->n_critical, 2);
	assert_int_equal(p->n_safe, 1);
	assert_int_equal(p->n_escalations, 3);
	assert_int_equal(p->escalations[0].action, POL_ESCALATE_BLOCK);
	assert_int_equal(p->escalations[0].kind, POL_COND_SCORE);
	assert_int_equal(p->escalations[0].op, POL_OP_GE);
	assert_true(p->escalations[0].threshold == 0.95);
	assert_int_equal(p->escalations[1].required_approvers, 3);
	assert_int_equal(p->escalations[1].kind, POL_COND_PATTERN);
	assert_int_equal(p->escalations[2].kind, POL_COND_ENVIRONMENT);
	assert_true(p->min_review[POL_LEVEL_CRITICAL] == 60);
	assert_true(p->base_risk_floor == 0.1);
	assert_true(p->production_multiplier == 2.0);
	assert_int_equal(p->required_vocabulary.count, 2);
	pol_domain_free(p);
}

static void test_pol_domain_load_buffer_rejects_bad_input(void **state)
{
	static const struct { const char *yaml; unsigned line, column; const char *needle; } cases[] = {
		{ "name: x\nrisk_paterns: []\n", 2, 1, "unknown key 'risk_paterns'" },
		{ "description: no name\n", 1, 1, "needs a 'name'" },
		{ "name: x\nrisk_patterns:\n  - pattern: \"(\"\n    name: p\n    risk_contribution: 0.5\n", 3, 14, "invalid regex" },
		{ "name: x\nrisk_patterns:\n  - pattern: a\n    name: p\n    risk_contribution: 1.5\n", 5, 24, "between 0 and 1" },
		{ "name: x\nrisk_patterns:\n  - pattern: a\n    name: p\n    target: body\n    risk_contribution: 0.5\n", 5, 13, "unknown target" },
		{ "name: x\nescalation_rules:\n  - condition: \"risk_scor > 0.5\"\n    action: block\n", 3, 16, "unknown condition" },
		{ "name: x\nescalation_rules:\n  - condition: \"risk_level:severe\"\n    action: block\n", 3, 16, "unknown condition" },
		{ "name: x\nescalation_rules:\n  - condition: \"risk_score > 0.5\"\n    action: shout\n", 4, 13, "unknown action" },
		{ "name: x\nescalation_rules:\n  - condition: \"risk_score > 0.5\"\n    action: block\n    required_approvers: 0\n", 5, 25, "between 1 and 100" },
		{ "name: x\nsensitive_terms: [a, b]\n", 2, 18, "must be a mapping" },
		{ "name: x\nmin_review_overrides: {severe: 3}\n", 2, 24, "unknown level" },
		{ "name: x\nbase_risk_floor: lots\n", 2, 18, "must be a number" },
		{ "name: x\nname: y\n", 2, 1, "duplicate key" },
		{ "name: a/b\n", 1, 7, "must be non-empty" },
		{ "name: x\nchallenge_templates:\n  - challenge_type: essay\n", 3, 21, "unknown challenge_type" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_domain_profile *p = NULL;
		struct pol_diag diag;
		int r;

		memset(&diag, 0, sizeof(diag));
		r = pol_domain_load_buffer("bad.yaml", cases[i].yaml, strlen(cases[i].yaml), &p, &diag);
		if (r != -EINVAL || diag.line != cases[i].line || diag.column != cases[i].column ||
		    !strstr(diag.message, cases[i].needle))
			print_error("case %zu: r=%d %s:%u:%u: %s\n", i, r, diag.file, diag.line, diag.column,
				    diag.message);
		assert_int_equal(r, -EINVAL);
		assert_null(p);
		assert_string_equal(diag.file, "bad.yaml");
		assert_int_equal(diag.line, cases[i].line);
		assert_int_equal(diag.column, cases[i].column);
		assert_non_null(strstr(diag.message, cases[i].needle));
	}
}

static void test_pol_domain_merge_reference_semantics(void **state)
{
	struct pol_domain_profile *a = load("payments.yaml"), *b = load("ops.yaml"), *m = NULL;
	const struct pol_domain_profile *list[2] = { a, b };

	(void)state;
	assert_int_equal(pol_domain_merge(list, 2, &m), 0);
	assert_string_equal(m->name, "payments+ops");
	assert_string_equal(m->display_name, "Payments + ops");
	assert_string_equal(m->description, "Card and ledger operations | Operations");
	assert_int_equal(m->n_patterns, 3);             /* concatenated */
	assert_string_equal(m->patterns[2].name, "ops_refund");
	assert_int_equal(m->n_terms, 3);                /* ledger, settlement, outage */
	for (size_t i = 0; i < m->n_terms; i++)
		if (!strcmp(m->terms[i].term, "ledger"))
			assert_true(m->terms[i].weight == 0.9); /* max */
	assert_int_equal(m->n_critical, 3);             /* wipe_ledger de-duplicated */
	assert_string_equal(m->critical_actions[2].glob, "drop_*");
	assert_int_equal(m->n_safe, 2);
	assert_int_equal(m->compliance_frameworks.count, 2);
	assert_int_equal(m->required_vocabulary.count, 3);
	assert_int_equal(m->n_escalations, 3);
	assert_true(m->min_review[POL_LEVEL_CRITICAL] == 60);
	assert_true(m->min_review[POL_LEVEL_HIGH] == 20);
	assert_true(m->base_risk_floor == 0.2);
	assert_true(m->production_multiplier == 2.0);
	pol_domain_free(m);
	/* The merged multiplier starts at 1.0, not at the default 1.5. */
	a->production_multiplier = 0.5;
	b->production_multiplier = 0.7;
	assert_int_equal(pol_domain_merge(list, 2, &m), 0);
	assert_true(m->production_multiplier == 1.0);
	pol_domain_free(m);
	pol_domain_free(a);
	pol_domain_free(b);
}

static struct pol_action *generic(const char *fn, const char *arg)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);

	assert_non_null(a);
	assert_int_equal(pol_action_set(&a->function_name, fn), 0);
	if (arg)
		assert_int_equal(pol_strv_push(&a->args, arg, strlen(arg)), 0);
	return a;
}

static double assess(const struct pol_domain_profile *p, const char *fn, const char *arg, double s,
		     struct pol_domain_match *match, struct pol_assessment *as)
{
	struct pol_action *a = generic(fn, arg);
	struct pol_domain_texts t;

	assert_int_equal(pol_domain_texts_init(&t, a), 0);
	assert_int_equal(pol_domain_assess(p, &t, NULL, &s, as, match), 0);
	pol_domain_texts_release(&t);
	pol_action_free(a);
	return s;
}

static void test_pol_domain_assess_steps(void **state)
{
	struct pol_domain_profile *p = load("payments.yaml");
	struct pol_domain_match match = { .critical = false };
	struct pol_assessment as;
	double s;

	(void)state;
	p->base_risk_floor = 0.0;
	/* Pattern blend s + c(1-s), the largest contribution only. */
	pol_assessment_init(&as);
	s = assess(p, "issue_refund", "pan 4111", 0.2, &match, &as);
	assert_true(s == 0.2 + 0.8 * (1.0 - 0.2));
	assert_int_equal(match.matched.count, 2);
	pol_domain_match_release(&match);
	pol_assessment_release(&as);
	/* Sensitive term: blended after the patterns. */
	pol_assessment_init(&as);
	s = assess(p, "post_entry", "settlement batch", 0.2, &match, &as);
	assert_true(s == 0.2 + 0.7 * (1.0 - 0.2));
	pol_domain_match_release(&match);
	pol_assessment_release(&as);
	/* Critical action floors at 0.8 (glob delete_* matches delete_card). */
	pol_assessment_init(&as);
	s = assess(p, "delete_card", NULL, 0.1, &match, &as);
	assert_true(s == 0.8);
	assert_true(match.critical);
	pol_domain_match_release(&match);
	pol_assessment_release(&as);
	/* Safe action caps at 0.15. */
	pol_assessment_init(&as);
	s = assess(p, "get_balance", "settlement", 0.5, &match, &as);
	assert_true(s == 0.15);
	assert_true(match.safe);
	pol_domain_match_release(&match);
	pol_assessment_release(&as);
	/* Base floor. */
	p->base_risk_floor = 0.33;
	pol_assessment_init(&as);
	s = assess(p, "noop", NULL, 0.1, &match, &as);
	assert_true(s == 0.33);
	assert_string_equal(as.factors[as.n_factors - 1].name, "domain_risk_floor");
	pol_domain_match_release(&match);
	pol_assessment_release(&as);
	pol_domain_free(p);
}

static void test_pol_escalation_fires_conditions(void **state)
{
	static const struct { const char *cond; double score; enum pol_level level; const char *env; bool fires; } cases[] = {
		{ "risk_score > 0.9", 0.95, POL_LEVEL_CRITICAL, "development", true },
		{ "risk_score > 0.9", 0.9, POL_LEVEL_CRITICAL, "development", false },
		{ "risk_score>=.9", 0.9, POL_LEVEL_CRITICAL, "development", true },
		{ "  risk_score <= 0.3  ", 0.3, POL_LEVEL_MEDIUM, "development", true },
		{ "risk_score == 0.5", 0.5, POL_LEVEL_MEDIUM, "development", true },
		{ "risk_score != 0.5", 0.5, POL_LEVEL_MEDIUM, "development", false },
		{ "environment:production", 0.1, POL_LEVEL_LOW, "Production", true },
		{ "environment:production", 0.1, POL_LEVEL_LOW, "staging", false },
		{ "risk_level:high", 0.7, POL_LEVEL_HIGH, "development", true },
		{ "risk_level:HIGH", 0.9, POL_LEVEL_CRITICAL, "development", false },
		{ "matches_pattern:card_data", 0.1, POL_LEVEL_LOW, "development", true },
		{ "matches_pattern:other", 0.1, POL_LEVEL_LOW, "development", false },
	};
	struct pol_domain_match match = { .critical = false };

	(void)state;
	assert_int_equal(pol_strv_push(&match.matched, "card_data", 9), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_escalation rule = { .required_approvers = 2 };

		assert_int_equal(pol_escalation_parse_condition(cases[i].cond, &rule), 0);
		assert_int_equal(pol_escalation_fires(&rule, cases[i].env, cases[i].score, cases[i].level, &match),
				 cases[i].fires);
		pol_escalation_release(&rule);
	}
	for (size_t i = 0; i < 4; i++) {
		static const char *const bad[] = { "risk_score > high", "risk_score ~ 0.5", "matches_pattern:", "when tired" };
		struct pol_escalation rule = { .required_approvers = 2 };

		assert_int_equal(pol_escalation_parse_condition(bad[i], &rule), -EINVAL);
		pol_escalation_release(&rule);
	}
	pol_domain_match_release(&match);
}

/* Every shipped example profile loads and merges with the agent profile. */
static void test_pol_domain_load_examples(void **state)
{
	static const char *const names[] = { "devops", "data-pipeline" };
	const char *src = getenv("ATTESTA_SRCDIR");

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pol_domain_profile *p = NULL, *agent = NULL, *m = NULL;
		const struct pol_domain_profile *list[2];
		struct pol_diag diag;
		char path[512];
		int r;

		snprintf(path, sizeof(path), "%s/examples/profiles/%s.yaml", src ? src : ".", names[i]);
		r = pol_domain_load(path, &p, &diag);
		if (r < 0)
			print_error("%s:%u:%u: %s\n", diag.file, diag.line, diag.column, diag.message);
		assert_int_equal(r, 0);
		assert_string_equal(p->name, names[i]);
		assert_int_equal(pol_agent_profile_new(&agent), 0);
		list[0] = agent;
		list[1] = p;
		assert_int_equal(pol_domain_merge(list, 2, &m), 0);
		assert_true(m->syscall_analyzer);
		pol_domain_free(m);
		pol_domain_free(agent);
		pol_domain_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_domain_load_full_schema),
		cmocka_unit_test(test_pol_domain_load_buffer_rejects_bad_input),
		cmocka_unit_test(test_pol_domain_merge_reference_semantics),
		cmocka_unit_test(test_pol_domain_assess_steps),
		cmocka_unit_test(test_pol_escalation_fires_conditions),
		cmocka_unit_test(test_pol_domain_load_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
