/*
 * Tests of a node's local config next to a signed bundle
 * (policy/config_local.c, docs/fleet.md): every node-local key is
 * accepted and reported, every other key (and every top-level key that
 * is not a local section) is refused with its file:line:column, and
 * pol_config_take_local copies exactly the keys that were set. Also the
 * attestation.pubkey and attestation.grace_seconds keys of the schema.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_local.h"

static char path[] = "/tmp/attesta-test-local-XXXXXX";

static void write_local(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_local_keys_accepted(void **state)
{
	struct pol_diag diag = { .line = 0 };
	unsigned set = 0;

	(void)state;
	write_local("audit:\n  path: /var/log/a.jsonl\n  hmac_key_file: /k\n"
		    "trust:\n  path: /t.json\ngate:\n  approval_socket: /s.sock\n"
		    "attestation:\n  mode: enforce\n  node_id: n1\n  bundle: web\n"
		    "  registry: postgres\n  pubkey: /keys/b.pub\n  grace_seconds: 5\n"
		    "fleet:\n  database: \"host=/run\"\n");
	assert_int_equal(pol_config_check_local(path, &set, &diag), 0);
	assert_int_equal(set, (1u << 11) - 1);
	write_local("");
	assert_int_equal(pol_config_check_local(path, &set, &diag), 0);
	assert_int_equal(set, 0);
	write_local("audit:\ntrust: ~\n");
	assert_int_equal(pol_config_check_local(path, &set, &diag), 0);
	assert_int_equal(set, 0);
}

static void test_other_keys_refused(void **state)
{
	static const struct {
		const char *text, *key;
		unsigned line, column;
	} cases[] = {
		{ "policy:\n  fail_mode: allow\n", "'policy'", 1, 1 },
		{ "audit:\n  path: a\n  sync: off\n", "'audit.sync'", 3, 3 },
		{ "gate:\n  renderer: none\n", "'gate.renderer'", 2, 3 },
		{ "gate:\n  workspace: /\n", "'gate.workspace'", 2, 3 },
		{ "domain: ops\n", "'domain'", 1, 1 },
		{ "domain_paths: [x]\n", "'domain_paths'", 1, 1 },
		{ "risk:\n  overrides: []\n", "'risk'", 1, 1 },
		{ "trust:\n  initial_score: 0.9\n", "'trust.initial_score'", 2, 3 },
		{ "attestation:\n  mode: off\nfleet:\n  database: x\n  other: 1\n", "'fleet.other'", 5, 3 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_diag diag = { .line = 0 };
		unsigned set = 0;

		write_local(cases[i].text);
		assert_int_equal(pol_config_check_local(path, &set, &diag), -EINVAL);
		assert_string_equal(diag.file, path);
		assert_int_equal(diag.line, cases[i].line);
		assert_int_equal(diag.column, cases[i].column);
		assert_non_null(strstr(diag.message, cases[i].key));
		assert_non_null(strstr(diag.message, "cannot be set in a local config"));
	}
}

static void test_take_local(void **state)
{
	struct pol_config *policy = NULL, *local = NULL;
	struct pol_diag diag = { .line = 0 };
	static const char bundle[] = "audit:\n  path: /bundle/a.jsonl\ntrust:\n  path: /bundle/t\n"
				     "policy:\n  fail_mode: deny\n";
	static const char mine[] = "audit:\n  path: /node/a.jsonl\nattestation:\n"
				   "  pubkey: /k.pub\n  grace_seconds: 2.5\n";

	(void)state;
	assert_int_equal(pol_config_load_buffer("b", bundle, strlen(bundle), &policy, &diag), 0);
	assert_int_equal(pol_config_load_buffer("l", mine, strlen(mine), &local, &diag), 0);
	assert_int_equal(pol_config_take_local(policy, local, POL_LOCAL_AUDIT_PATH |
					       POL_LOCAL_ATTEST_PUBKEY | POL_LOCAL_ATTEST_GRACE), 0);
	assert_string_equal(policy->audit_path, "/node/a.jsonl");
	assert_string_equal(policy->trust_path, "/bundle/t"); /* not set locally: the bundle's */
	assert_string_equal(policy->attestation_pubkey, "/k.pub");
	assert_true(policy->attestation_grace_seconds == 2.5);
	assert_int_equal(policy->fail_mode, POL_FAIL_DENY);
	pol_config_free(policy);
	pol_config_free(local);
}

static void test_schema_attestation_keys(void **state)
{
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };
	static const char bad[] = "attestation:\n  grace_seconds: -1\n";

	(void)state;
	c = pol_config_new_default();
	assert_non_null(c);
	assert_null(c->attestation_pubkey);
	assert_true(c->attestation_grace_seconds == 0);
	pol_config_free(c);
	c = NULL;
	assert_int_equal(pol_config_load_buffer("x", bad, strlen(bad), &c, &diag), -EINVAL);
	assert_int_equal(diag.line, 2);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_keys_accepted),
		cmocka_unit_test(test_other_keys_refused),
		cmocka_unit_test(test_take_local),
		cmocka_unit_test(test_schema_attestation_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
