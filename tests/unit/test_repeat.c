/*
 * Unit tests for supervisor/run/repeat.c: a refused call is found again
 * for the same process and the same decided copies within the window,
 * and only then.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/run/repeat.c"

static struct pol_action *exec_action(pid_t tgid, const char *path, const char *arg)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);

	assert_non_null(a);
	a->tgid = tgid;
	assert_int_equal(pol_action_set(&a->path, path), 0);
	assert_int_equal(pol_action_set(&a->argv0, "rm"), 0);
	if (arg)
		assert_int_equal(pol_strv_push(&a->args, arg, strlen(arg)), 0);
	return a;
}

static void test_sup_repeat_find_same_call_within_window(void **state)
{
	struct sup_repeat *r = NULL;
	struct pol_action *a = exec_action(10, "/usr/bin/rm", ".env");
	struct pol_action *same = exec_action(10, "/usr/bin/rm", ".env");

	(void)state;
	assert_int_equal(sup_repeat_new(&r), 0);
	assert_null(sup_repeat_find(r, a, 1000));
	sup_repeat_note(r, a, "timed_out", 1000);
	assert_string_equal(sup_repeat_find(r, same, 1000 + SUP_REPEAT_WINDOW_MS), "timed_out");
	assert_null(sup_repeat_find(r, same, 1001 + SUP_REPEAT_WINDOW_MS));
	pol_action_free(a);
	pol_action_free(same);
	sup_repeat_free(r);
}

static void test_sup_repeat_find_other_call_or_process(void **state)
{
	struct sup_repeat *r = NULL;
	struct pol_action *a = exec_action(10, "/usr/bin/rm", ".env");
	struct pol_action *other_arg = exec_action(10, "/usr/bin/rm", "x");
	struct pol_action *no_arg = exec_action(10, "/usr/bin/rm", NULL);
	struct pol_action *other_pid = exec_action(11, "/usr/bin/rm", ".env");
	struct pol_action *other_path = exec_action(10, "/bin/rm2", ".env");
	/* the argument boundary is part of the key: "a" + "b" is not "ab" */
	struct pol_action *split = exec_action(10, "/usr/bin/rm", ".e");

	(void)state;
	assert_int_equal(pol_strv_push(&split->args, "nv", 2), 0);
	assert_int_equal(sup_repeat_new(&r), 0);
	sup_repeat_note(r, a, "denied", 5);
	assert_null(sup_repeat_find(r, other_arg, 6));
	assert_null(sup_repeat_find(r, no_arg, 6));
	assert_null(sup_repeat_find(r, other_pid, 6));
	assert_null(sup_repeat_find(r, other_path, 6));
	assert_null(sup_repeat_find(r, split, 6));
	assert_string_equal(sup_repeat_find(r, a, 6), "denied");
	pol_action_free(a);
	pol_action_free(other_arg);
	pol_action_free(no_arg);
	pol_action_free(other_pid);
	pol_action_free(other_path);
	pol_action_free(split);
	sup_repeat_free(r);
}

static void test_sup_repeat_note_ring_forgets_oldest(void **state)
{
	struct sup_repeat *r = NULL;
	struct pol_action *first = exec_action(1, "/usr/bin/rm", "first");

	(void)state;
	assert_int_equal(sup_repeat_new(&r), 0);
	sup_repeat_note(r, first, "denied", 0);
	for (int i = 0; i < SUP_REPEAT_SLOTS; i++) {
		char arg[16];
		struct pol_action *a;

		snprintf(arg, sizeof arg, "n%d", i);
		a = exec_action(1, "/usr/bin/rm", arg);
		sup_repeat_note(r, a, "denied", 1);
		pol_action_free(a);
	}
	assert_null(sup_repeat_find(r, first, 2));
	pol_action_free(first);
	sup_repeat_free(r);
	sup_repeat_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_repeat_find_same_call_within_window),
		cmocka_unit_test(test_sup_repeat_find_other_call_or_process),
		cmocka_unit_test(test_sup_repeat_note_ring_forgets_oldest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
