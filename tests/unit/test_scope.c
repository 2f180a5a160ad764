/*
 * Unit tests for approval scopes (supervisor/common/scope.h) and for
 * making agent text safe on a terminal (supervisor/common/termsafe.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/action.h"
#include "supervisor/common/scope.h"
#include "supervisor/common/termsafe.h"

static void test_sup_scope_normalize_table(void **state)
{
	(void)state;
	static const struct { const char *path, *cwd, *want; } cases[] = {
		{ "build", "/w", "/w/build" },
		{ "./build/", "/w", "/w/build" },
		{ "../x//y/./z", "/w/sub", "/w/x/y/z" },
		{ "/a/../../..", "/w", "/" },
		{ "/", NULL, "/" },
		{ "..", "/", "/" },
		{ "a/..", "/w", "/w" },
		{ "//etc///passwd", NULL, "/etc/passwd" },
	};
	char buf[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(sup_scope_normalize(cases[i].path, cases[i].cwd, buf, sizeof buf), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_sup_scope_normalize_errors(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(sup_scope_normalize("rel", NULL, buf, sizeof buf), -EINVAL);
	assert_int_equal(sup_scope_normalize("rel", "also-rel", buf, sizeof buf), -EINVAL);
	assert_int_equal(sup_scope_normalize("/much/too/long", NULL, buf, sizeof buf), -ENAMETOOLONG);
}

static void test_sup_scope_path_under_boundaries(void **state)
{
	(void)state;
	assert_true(sup_scope_path_under("/w/build/a.o", "/w/build"));
	assert_true(sup_scope_path_under("/w/build", "/w/build"));
	assert_false(sup_scope_path_under("/w/builder/a.o", "/w/build"));
	assert_false(sup_scope_path_under("/w", "/w/build"));
	assert_true(sup_scope_path_under("/etc/passwd", "/"));
}

static void test_sup_scope_argv_paths_operands(void **state)
{
	(void)state;
	struct pol_strv args = { 0 }, paths = { 0 };
	const char *argv[] = { "-rf", "build", "../out", "--", "-weird", "" };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(pol_strv_push(&args, argv[i], strlen(argv[i])), 0);
	assert_int_equal(sup_scope_argv_paths(&args, "/w/src", &paths), 0);
	assert_int_equal(paths.count, 3);
	assert_string_equal(paths.items[0], "/w/src/build");
	assert_string_equal(paths.items[1], "/w/out");
	assert_string_equal(paths.items[2], "/w/src/-weird");
	pol_strv_release(&args);
	pol_strv_release(&paths);
}

static void test_sup_scope_action_key_identical(void **state)
{
	(void)state;
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC), *b = pol_action_new(POL_ACTION_EXEC);
	assert_non_null(a);
	assert_non_null(b);
	pol_action_set(&a->path, "/usr/bin/git");
	pol_action_set(&b->path, "/usr/bin/git");
	pol_action_set(&a->cwd, "/w");
	pol_action_set(&b->cwd, "/w");
	pol_strv_push(&a->args, "push", 4);
	pol_strv_push(&b->args, "push", 4);
	char *ka = sup_scope_action_key(a), *kb = sup_scope_action_key(b);
	assert_string_equal(ka, kb);
	free(kb);
	/* "push a" + "b" must differ from "push" + "a b" */
	pol_strv_push(&b->args, "origin", 6);
	kb = sup_scope_action_key(b);
	assert_string_not_equal(ka, kb);
	free(ka);
	free(kb);
	pol_action_set(&b->cwd, "/other");
	pol_action_free(a);
	pol_action_free(b);
}

static void test_sup_term_safe_escapes(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(sup_term_safe("rm -rf /", buf, sizeof buf), "rm -rf /");
	assert_string_equal(sup_term_safe("a\x1b[2Jb", buf, sizeof buf), "a\\x1b[2Jb");
	assert_string_equal(sup_term_safe("x\ny\tz", buf, sizeof buf), "x\\ny\\tz");
	assert_string_equal(sup_term_safe("caf\xc3\xa9", buf, sizeof buf), "caf\xc3\xa9");
	assert_string_equal(sup_term_safe("bad\xff", buf, sizeof buf), "bad\\xff");
	/* C1 control U+009B (CSI) in UTF-8 */
	assert_string_equal(sup_term_safe("\xc2\x9b" "2J", buf, sizeof buf), "\\xc2\\x9b2J");
	assert_string_equal(sup_term_safe(NULL, buf, sizeof buf), "");
}

static void test_sup_term_safe_truncates(void **state)
{
	(void)state;
	char buf[8];
	sup_term_safe("abcdefghijkl", buf, sizeof buf);
	assert_string_equal(buf, "abcd...");
	sup_term_safe("\x1b\x1b\x1b", buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	assert_null(strchr(buf, '\x1b'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_scope_normalize_table),
		cmocka_unit_test(test_sup_scope_normalize_errors),
		cmocka_unit_test(test_sup_scope_path_under_boundaries),
		cmocka_unit_test(test_sup_scope_argv_paths_operands),
		cmocka_unit_test(test_sup_scope_action_key_identical),
		cmocka_unit_test(test_sup_term_safe_escapes),
		cmocka_unit_test(test_sup_term_safe_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
