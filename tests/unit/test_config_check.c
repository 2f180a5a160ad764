/*
 * Unit tests for policy/config_check.c: what attesta-run refuses after
 * loading (approval group) is refused with the key's
 * line and column; an unknown environment and an amplifier without
 * target are warnings (docs/config.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/config_check.c"

static char path[64];

static struct pol_config *load(const char *text)
{
	struct pol_config *c = NULL;
	struct pol_diag diag;
	int fd;

	snprintf(path, sizeof path, "/tmp/attesta-cfgcheck.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(pol_config_load(path, &c, &diag), 0);
	return c;
}

static void done(struct pol_config *c)
{
	pol_config_free(c);
	unlink(path);
}

struct seen {
	unsigned n;
	struct pol_diag last[4];
};

static void collect(const struct pol_diag *w, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 4)
		s->last[s->n] = *w;
	s->n++;
}

static void test_check_run_refuses_unknown_group(void **state)
{
	struct pol_config *c = load("gate:\n  approval_group: no_such_group_attesta\n");
	struct pol_diag diag;

	(void)state;
	memset(&diag, 0, sizeof diag);
	assert_int_equal(pol_config_check_run(c, &diag), -ENOENT);
	assert_int_equal(diag.line, 2);
	assert_int_equal(diag.column, 19);
	done(c);
}

static void test_check_run_accepts_defaults_and_root(void **state)
{
	struct pol_config *c = load("gate:\n  approval_group: root\n");
	struct pol_config *d = pol_config_new_default();
	struct pol_diag diag;

	(void)state;
	assert_int_equal(pol_config_check_run(c, &diag), 0);
	assert_int_equal(pol_config_check_run(d, &diag), 0);
	assert_int_equal(pol_config_warnings(d, collect, &(struct seen){ 0 }), 0);
	pol_config_free(d);
	done(c);
}

static void test_warnings_environment_and_amplifier(void **state)
{
	struct pol_config *c = load("gate:\n  environment: producton\nrisk:\n  amplifiers:\n"
				    "    - pattern: deploy\n      boost: 0.2\n"
				    "    - {pattern: x, boost: 0.1, target: any}\n");
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(pol_config_warnings(c, collect, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.last[0].line, 2);
	assert_non_null(strstr(s.last[0].message, "did you mean 'production'?"));
	assert_int_equal(s.last[1].line, 5);
	assert_non_null(strstr(s.last[1].message, "'risk.amplifiers[0]' has no 'target'"));
	done(c);
}

/* docs/trust.md: the cache bound means nothing for the local file */
static void test_trust_keys(void **state)
{
	struct pol_config *c = load("trust:\n  max_age_seconds: 30\n");
	struct pol_config *p = load("trust:\n  backend: postgres\n  max_age_seconds: 30\n");
	struct pol_config *bad = NULL;
	struct pol_diag diag;
	struct seen s = { 0 };
	char file[64];
	int fd;

	(void)state;
	assert_int_equal(c->trust_backend, POL_TRUST_BACKEND_FILE);
	assert_true(c->trust_max_age_seconds == 30.0);
	assert_int_equal(pol_config_warnings(c, collect, &s), 1);
	assert_int_equal(s.last[0].line, 2);
	assert_int_equal(s.last[0].column, 20);
	assert_non_null(strstr(s.last[0].message, "'trust.max_age_seconds' has no effect"));
	assert_int_equal(p->trust_backend, POL_TRUST_BACKEND_POSTGRES);
	assert_int_equal(pol_config_warnings(p, collect, &(struct seen){ 0 }), 0);
	done(p);
	done(c);
	/* a bad value is refused by the loader at its line:column */
	snprintf(file, sizeof file, "/tmp/attesta-cfgcheck.XXXXXX");
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "trust:\n  backend: pg\n", 21), 21);
	close(fd);
	memset(&diag, 0, sizeof diag);
	assert_true(pol_config_load(file, &bad, &diag) < 0);
	assert_int_equal(diag.line, 2);
	assert_int_equal(diag.column, 12);
	memset(&diag, 0, sizeof diag);
	fd = open(file, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "trust:\n  max_age_seconds: 0\n", 28), 28);
	close(fd);
	assert_true(pol_config_load(file, &bad, &diag) < 0);
	assert_int_equal(diag.line, 2);
	unlink(file);
}

static void test_known_environments_do_not_warn(void **state)
{
	static const char *const envs[] = { "development", "staging", "ci", "PRODUCTION" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		char text[64];
		struct pol_config *c;

		snprintf(text, sizeof text, "gate:\n  environment: %s\n", envs[i]);
		c = load(text);
		assert_int_equal(pol_config_warnings(c, collect, &(struct seen){ 0 }), 0);
		done(c);
	}
	assert_int_equal(distance("producton", "production"), 1);
	assert_int_equal(distance("qa", "ci"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_run_refuses_unknown_group),
		cmocka_unit_test(test_check_run_accepts_defaults_and_root),
		cmocka_unit_test(test_warnings_environment_and_amplifier),
		cmocka_unit_test(test_known_environments_do_not_warn),
		cmocka_unit_test(test_trust_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
