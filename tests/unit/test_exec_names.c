/*
 * Unit tests for overrides by the typed and the resolved name of an exec
 * (policy/exec_names.c, docs/scoring.md): raising overrides match either
 * name, lowering ones only a pinned exec, the typed name first; other
 * action classes keep matching by function name; and through the engine,
 * Debian's /usr/bin/python3 -> python3.11 gets `python3: low` while an
 * unpinned copy or link named python3 keeps its own risk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/action.h"
#include "policy/config.h"
#include "policy/diag.h"
#include "policy/engine.h"
#include "policy/exec_names.h"

static double score_of(enum pol_level level)
{
	static const double scores[POL_LEVEL_COUNT] = { 0.15, 0.45, 0.70, 0.90 };
	return scores[level];
}

static struct pol_config *config_from(const char *yaml)
{
	struct pol_config *config = NULL;
	struct pol_diag diag;
	assert_int_equal(pol_config_load_buffer("<test>", yaml, strlen(yaml), &config, &diag), 0);
	return config;
}

static struct pol_action *exec_of(const char *typed, const char *resolved_name, bool unpinned)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
	assert_non_null(a);
	assert_int_equal(pol_action_set(&a->function_name, resolved_name), 0);
	if (typed)
		assert_int_equal(pol_action_set(&a->typed_path, typed), 0);
	a->exec_unpinned = unpinned;
	return a;
}

static void test_typed_name(void **state)
{
	(void)state;
	struct pol_action *a = exec_of("/usr/bin/python3", "python3.11", false);
	assert_string_equal(pol_exec_typed_name(a), "python3");
	pol_action_free(a);
	a = exec_of("/usr/bin/python3.11", "python3.11", false);
	assert_null(pol_exec_typed_name(a)); /* same name: nothing more */
	pol_action_free(a);
	a = exec_of(NULL, "python3.11", false);
	assert_null(pol_exec_typed_name(a));
	pol_action_free(a);
	a = exec_of("dir/", "x", false);
	assert_null(pol_exec_typed_name(a));
	pol_action_free(a);
}

static void test_lowering_needs_pinned(void **state)
{
	(void)state;
	struct pol_config *c = config_from("risk:\n  overrides:\n    python3: low\n");
	const struct pol_override *refused, *o;

	/* Debian: typed python3, runs python3.11, pinned: applies */
	struct pol_action *a = exec_of("/usr/bin/python3", "python3.11", false);
	o = pol_override_pick(c, a, 0.4, score_of, &refused);
	assert_non_null(o);
	assert_string_equal(o->function_name, "python3");
	assert_null(refused);
	pol_action_free(a);
	/* agent-made ./python3 -> rm: refused, named */
	a = exec_of("./python3", "rm", true);
	o = pol_override_pick(c, a, 0.7, score_of, &refused);
	assert_null(o);
	assert_non_null(refused);
	assert_string_equal(refused->function_name, "python3");
	pol_action_free(a);
	/* a copy named python3 (resolved name python3, unpinned): refused */
	a = exec_of("/ws/python3", "python3", true);
	o = pol_override_pick(c, a, 0.7, score_of, &refused);
	assert_null(o);
	assert_non_null(refused);
	pol_action_free(a);
	/* the same with no decoder facts (dry run, shim mode): as before */
	a = exec_of(NULL, "python3", false);
	assert_non_null(pol_override_pick(c, a, 0.7, score_of, &refused));
	pol_action_free(a);
	pol_config_free(c);
}

static void test_raising_either_name(void **state)
{
	(void)state;
	struct pol_config *c = config_from("risk:\n  overrides:\n    forbidden-tool: critical\n"
					   "    rm: high\n    mytool: low\n");
	const struct pol_override *refused, *o;

	/* ./mytool -> forbidden-tool (unpinned): the resolved name raises */
	struct pol_action *a = exec_of("./mytool", "forbidden-tool", true);
	o = pol_override_pick(c, a, 0.3, score_of, &refused);
	assert_non_null(o);
	assert_string_equal(o->function_name, "forbidden-tool");
	pol_action_free(a);
	/* ./forbidden-tool -> true (unpinned): the typed name raises */
	a = exec_of("./forbidden-tool", "true", true);
	o = pol_override_pick(c, a, 0.1, score_of, &refused);
	assert_non_null(o);
	assert_int_equal(o->level, POL_LEVEL_CRITICAL);
	pol_action_free(a);
	/* both raise: the higher stands */
	a = exec_of("/usr/bin/forbidden-tool", "rm", false);
	o = pol_override_pick(c, a, 0.1, score_of, &refused);
	assert_int_equal(o->level, POL_LEVEL_CRITICAL);
	pol_action_free(a);
	/* a raise beats a lowering of the other name, even pinned */
	a = exec_of("/usr/bin/mytool", "rm", false);
	o = pol_override_pick(c, a, 0.3, score_of, &refused);
	assert_string_equal(o->function_name, "rm");
	pol_action_free(a);
	pol_config_free(c);
}

static void test_other_classes_unchanged(void **state)
{
	(void)state;
	struct pol_config *c = config_from("risk:\n  overrides:\n    unlink: low\n");
	const struct pol_override *refused;
	struct pol_action *a = pol_action_new(POL_ACTION_UNLINK);
	assert_int_equal(pol_action_set(&a->function_name, "unlink"), 0);
	a->exec_unpinned = true; /* meaningless for an unlink */
	assert_non_null(pol_override_pick(c, a, 0.9, score_of, &refused));
	assert_null(refused);
	pol_action_free(a);
	pol_config_free(c);
}

/* Through the engine: the decision's level and its factors. */
static void test_engine_typed_override(void **state)
{
	(void)state;
	struct pol_config *c = config_from("gate: {builtin_agent_profile: true}\n"
					   "risk:\n  overrides:\n    python3: low\n");
	struct pol_engine *e = NULL;
	struct pol_diag diag;
	struct pol_decision d;
	assert_int_equal(pol_engine_new(c, &e, &diag), 0);

	struct pol_action *a = exec_of("/usr/bin/python3", "python3.11", false);
	pol_action_set(&a->path, "/usr/bin/python3.11");
	pol_strv_push(&a->args, "-c", 2);
	pol_strv_push(&a->args, "import os; os.remove('x')", 25);
	assert_int_equal(pol_engine_evaluate(e, a, 0.5, false, &d), 0);
	assert_int_equal(d.assessment.level, POL_LEVEL_LOW);
	pol_decision_release(&d);
	a->exec_unpinned = true;
	assert_int_equal(pol_engine_evaluate(e, a, 0.5, false, &d), 0);
	assert_true(d.assessment.level > POL_LEVEL_LOW);
	bool said = false;
	for (size_t i = 0; i < d.assessment.n_factors; i++)
		said |= strstr(d.assessment.factors[i].description, "not applied") != NULL;
	assert_true(said);
	pol_decision_release(&d);
	pol_action_free(a);
	pol_engine_free(e);
	pol_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_name),
		cmocka_unit_test(test_lowering_needs_pinned),
		cmocka_unit_test(test_raising_either_name),
		cmocka_unit_test(test_other_classes_unchanged),
		cmocka_unit_test(test_engine_typed_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
