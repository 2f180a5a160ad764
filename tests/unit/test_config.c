/*
 * Tests of the config loader (policy/config*.c) and of the level,
 * challenge and target names (policy/levels.c): defaults, every seed
 * example config, good fixtures with their values, and every bad fixture
 * of tests/data/config/bad.tsv with its exact line, column and message.
 * Hostile inputs that are easier to generate than to store (alias bombs,
 * oversized files, deep nesting, long scalars) are built here. Run from
 * the source tree, or set ATTESTA_TEST_DATA to the tests/data directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include "pol_limits.h"
#include "regex.h"

static const char *data_path(const char *name)
{
	static char path[1024];
	const char *dir = getenv("ATTESTA_TEST_DATA");

	snprintf(path, sizeof(path), "%s/config/%s", dir ? dir : "tests/data", name);
	return path;
}

static struct pol_config *load_ok(const char *name)
{
	struct pol_config *config = NULL;
	struct pol_diag diag = { .line = 0 };
	char line[1200];
	int r = pol_config_load(data_path(name), &config, &diag);

	if (r < 0) {
		pol_diag_format(&diag, line, sizeof(line));
		print_error("%s: %d %s\n", name, r, line);
	}
	assert_int_equal(r, 0);
	assert_non_null(config);
	return config;
}

/* Load text that must fail; check code, line, column and message. */
static void expect_error(const char *text, size_t len, int code, unsigned line,
			 unsigned column, const char *substring)
{
	struct pol_config *config = (struct pol_config *)(uintptr_t)0x1;
	struct pol_diag diag = { .line = 0 };
	int r = pol_config_load_buffer("t.yaml", text, len, &config, &diag);

	if (r != code || diag.line != line || diag.column != column ||
	    !strstr(diag.message, substring))
		print_error("got %d %u:%u '%s', want %d %u:%u '%s'\n", r, diag.line,
			    diag.column, diag.message, code, line, column, substring);
	assert_int_equal(r, code);
	assert_ptr_equal(config, (struct pol_config *)(uintptr_t)0x1); /* untouched */
	assert_string_equal(diag.file, "t.yaml");
	assert_int_equal(diag.line, line);
	assert_int_equal(diag.column, column);
	assert_non_null(strstr(diag.message, substring));
}

static void expect_defaults(const struct pol_config *c)
{
	assert_int_equal(c->fail_mode, POL_FAIL_DENY);
	assert_true(c->minimum_review_seconds[POL_LEVEL_LOW] == 0);
	assert_true(c->minimum_review_seconds[POL_LEVEL_MEDIUM] == 3);
	assert_true(c->minimum_review_seconds[POL_LEVEL_HIGH] == 10);
	assert_true(c->minimum_review_seconds[POL_LEVEL_CRITICAL] == 30);
	assert_int_equal(c->require_multi_party[POL_LEVEL_LOW], 0);
	assert_int_equal(c->require_multi_party[POL_LEVEL_HIGH], 0);
	assert_int_equal(c->require_multi_party[POL_LEVEL_CRITICAL], 2);
	assert_true(c->timeout_seconds == 300);
	assert_true(c->critical_always_verify);
	assert_int_equal(c->challenge_map[POL_LEVEL_LOW], POL_CHALLENGE_AUTO_APPROVE);
	assert_int_equal(c->challenge_map[POL_LEVEL_MEDIUM], POL_CHALLENGE_CONFIRM);
	assert_int_equal(c->challenge_map[POL_LEVEL_HIGH], POL_CHALLENGE_QUIZ);
	assert_int_equal(c->challenge_map[POL_LEVEL_CRITICAL], POL_CHALLENGE_TEACH_BACK);
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++)
		assert_false(c->challenge_map_set[i]);
	assert_int_equal(c->mode, POL_MODE_ENFORCE);
	assert_true(c->quiz_pass_threshold == 0.8);
	assert_int_equal(c->teach_back_min_words, 10);
	assert_int_equal(c->n_overrides, 0);
	assert_int_equal(c->n_amplifiers, 0);
	assert_true(c->trust_initial_score == 0.3);
	assert_true(c->trust_ceiling == 0.9);
	assert_true(c->trust_decay_rate == 0.01);
	assert_true(c->trust_influence == 0.3);
	assert_true(c->trust_incident_penalty == 0.7);
	assert_string_equal(c->trust_path, ".attesta/trust.json");
	assert_string_equal(c->audit_backend, "legacy");
	assert_string_equal(c->audit_path, ".attesta/audit.jsonl");
	assert_int_equal(c->audit_sync, POL_SYNC_TIERED);
	assert_int_equal(c->audit_sync_window_ms, 10);
	assert_null(c->audit_hmac_key_file);
	assert_string_equal(c->audit_tenant_id, "default");
	assert_int_equal(c->domains.count, 0);
	assert_int_equal(c->domain_paths.count, 0);
	assert_true(c->domain_strict);
	assert_true(c->intercept_exec && c->intercept_unlink && c->intercept_connect);
	assert_null(c->workspace);
	assert_string_equal(c->environment, "development");
	assert_string_equal(c->agent_id, "default");
	assert_int_equal(c->renderer, POL_RENDERER_AUTO);
	assert_null(c->approval_socket);
	assert_int_equal(c->deny_errno, EPERM);
	assert_false(c->allow_io_uring);
	assert_true(c->builtin_agent_profile);
	assert_int_equal(c->env_vars.count, 0);
	assert_null(c->escalation_command);
	assert_int_equal(c->attestation_mode, POL_ATTEST_OFF);
	assert_null(c->node_id);
	assert_null(c->bundle);
	assert_null(c->registry);
	assert_null(c->fleet_database);
}

static void test_pol_config_new_default_values(void **state)
{
	struct pol_config *c = pol_config_new_default();

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->source, "<default>");
	expect_defaults(c);
	pol_config_free(c);
	pol_config_free(NULL);
}

static void test_pol_config_load_buffer_empty_is_default(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "---\n", "~\n", "\n\n" };
	struct pol_config *c = NULL;
	struct pol_diag diag;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(pol_config_load_buffer("e.yaml", texts[i], strlen(texts[i]), &c,
							&diag), 0);
		expect_defaults(c);
		assert_string_equal(c->source, "e.yaml");
		pol_config_free(c);
	}
	assert_int_equal(pol_config_load_buffer("e.yaml", NULL, 0, &c, &diag), 0);
	expect_defaults(c);
	pol_config_free(c);
	c = load_ok("good/empty.yaml");
	expect_defaults(c);
	pol_config_free(c);
}

static void expect_amplifier(const struct pol_amplifier *a, const char *pattern,
			     enum pol_target target, double boost)
{
	assert_string_equal(a->pattern, pattern);
	assert_non_null(a->regex);
	assert_int_equal(a->target, target);
	assert_true(a->boost == boost);
}

static void expect_override(const struct pol_override *o, const char *name, enum pol_level level)
{
	assert_string_equal(o->function_name, name);
	assert_int_equal(o->level, level);
}

static void test_pol_config_load_seed_risk_config(void **state)
{
	struct pol_config *c;

	(void)state;
	c = load_ok("seeds/risk-config-1.yaml");
	assert_int_equal(c->n_overrides, 3);
	expect_override(&c->overrides[0], "deploy_production", POL_LEVEL_CRITICAL);
	expect_override(&c->overrides[1], "read_config", POL_LEVEL_LOW);
	expect_override(&c->overrides[2], "restart_service", POL_LEVEL_HIGH);
	assert_int_equal(c->n_amplifiers, 3);
	expect_amplifier(&c->amplifiers[0], ".*production.*", POL_TARGET_NAME, 0.3);
	expect_amplifier(&c->amplifiers[1], ".*delete.*", POL_TARGET_NAME, 0.2);
	expect_amplifier(&c->amplifiers[2], ".*pii.*", POL_TARGET_NAME, 0.25);
	assert_int_equal(c->amplifiers[0].line, 8);
	pol_config_free(c);

	c = load_ok("seeds/risk-config-2.yaml");
	assert_int_equal(c->n_overrides, 4);
	expect_override(&c->overrides[1], "run_backup", POL_LEVEL_LOW);
	expect_override(&c->overrides[2], "update_dns", POL_LEVEL_HIGH);
	expect_override(&c->overrides[3], "read_logs", POL_LEVEL_LOW);
	pol_config_free(c);

	c = load_ok("seeds/risk-config-3.yaml");
	assert_int_equal(c->n_amplifiers, 3);
	expect_amplifier(&c->amplifiers[2], ".*sensitive.*", POL_TARGET_NAME, 0.15);
	pol_config_free(c);

	c = load_ok("seeds/risk-config-4.yaml");
	assert_int_equal(c->n_amplifiers, 4);
	expect_amplifier(&c->amplifiers[1], "^(delete|drop)_.*", POL_TARGET_NAME, 0.25);
	expect_amplifier(&c->amplifiers[2], ".*_(pii|phi)$", POL_TARGET_NAME, 0.3);
	expect_amplifier(&c->amplifiers[3], ".*(query|sql|migrate).*", POL_TARGET_NAME, 0.15);
	pol_config_free(c);

	c = load_ok("seeds/risk-config-5.yaml");
	assert_int_equal(c->n_overrides, 2);
	expect_override(&c->overrides[1], "read_health", POL_LEVEL_LOW);
	assert_int_equal(c->n_amplifiers, 2);
	pol_config_free(c);
}

static void test_pol_config_load_seed_production_guide(void **state)
{
	struct pol_config *c;

	(void)state;
	c = load_ok("seeds/production-guide-1.yaml");
	assert_int_equal(c->fail_mode, POL_FAIL_DENY);
	assert_true(c->minimum_review_seconds[POL_LEVEL_HIGH] == 10);
	assert_int_equal(c->require_multi_party[POL_LEVEL_CRITICAL], 2);
	assert_true(c->timeout_seconds == 300);
	assert_true(c->critical_always_verify);
	assert_int_equal(c->n_overrides, 6);
	expect_override(&c->overrides[0], "delete_production_database", POL_LEVEL_CRITICAL);
	expect_override(&c->overrides[5], "send_bulk_email", POL_LEVEL_HIGH);
	assert_int_equal(c->n_amplifiers, 2);
	expect_amplifier(&c->amplifiers[0], "production", POL_TARGET_ANY, 0.3);
	expect_amplifier(&c->amplifiers[1], "pii|phi|ssn|credit_card", POL_TARGET_ARGS, 0.4);
	assert_true(c->trust_initial_score == 0.3);
	assert_true(c->trust_ceiling == 0.85);
	assert_true(c->trust_decay_rate == 0.01);
	assert_true(c->trust_influence == 0.25);
	assert_string_equal(c->audit_backend, "legacy");
	assert_string_equal(c->audit_path, "/var/log/attesta/audit.jsonl");
	assert_int_equal(c->domains.count, 0);
	pol_config_free(c);

	c = load_ok("seeds/production-guide-2.yaml");
	assert_string_equal(c->audit_backend, "legacy");
	assert_string_equal(c->audit_path, "/var/log/attesta/audit.jsonl");
	pol_config_free(c);

	c = load_ok("seeds/production-guide-3.yaml");
	assert_true(c->trust_initial_score == 0.2);
	assert_true(c->trust_ceiling == 0.75);
	assert_true(c->trust_decay_rate == 0.02);
	assert_true(c->trust_influence == 0.15);
	pol_config_free(c);
}

static void test_pol_config_load_seed_infra_agent(void **state)
{
	struct pol_config *c;

	(void)state;
	c = load_ok("seeds/infra-agent-1.yaml");
	assert_true(c->minimum_review_seconds[POL_LEVEL_LOW] == 0);
	assert_true(c->minimum_review_seconds[POL_LEVEL_MEDIUM] == 3);
	assert_true(c->minimum_review_seconds[POL_LEVEL_HIGH] == 15);
	assert_true(c->minimum_review_seconds[POL_LEVEL_CRITICAL] == 45);
	assert_int_equal(c->require_multi_party[POL_LEVEL_CRITICAL], 2);
	assert_int_equal(c->fail_mode, POL_FAIL_DENY);
	assert_int_equal(c->n_overrides, 5);
	expect_override(&c->overrides[4], "disable_mfa", POL_LEVEL_CRITICAL);
	assert_int_equal(c->n_amplifiers, 5);
	expect_amplifier(&c->amplifiers[4], ".*migrate.*", POL_TARGET_NAME, 0.1);
	assert_true(c->trust_influence == 0.25);
	assert_true(c->trust_initial_score == 0.2);
	assert_string_equal(c->audit_path, ".attesta/infra-audit.jsonl");
	pol_config_free(c);
}

static void test_pol_config_load_full_fixture(void **state)
{
	struct pol_config *c;

	(void)state;
	c = load_ok("good/full.yaml");
	assert_int_equal(c->fail_mode, POL_FAIL_ESCALATE);
	assert_true(c->minimum_review_seconds[POL_LEVEL_LOW] == 1);
	assert_true(c->minimum_review_seconds[POL_LEVEL_MEDIUM] == 2.5);
	assert_true(c->minimum_review_seconds[POL_LEVEL_HIGH] == 20);
	assert_true(c->minimum_review_seconds[POL_LEVEL_CRITICAL] == 60);
	assert_int_equal(c->require_multi_party[POL_LEVEL_MEDIUM], 0);
	assert_int_equal(c->require_multi_party[POL_LEVEL_HIGH], 2);
	assert_int_equal(c->require_multi_party[POL_LEVEL_CRITICAL], 3);
	assert_true(c->timeout_seconds == 120.5);
	assert_false(c->critical_always_verify);
	assert_true(c->challenge_map_set[POL_LEVEL_LOW]);
	assert_false(c->challenge_map_set[POL_LEVEL_MEDIUM]);
	assert_int_equal(c->challenge_map[POL_LEVEL_LOW], POL_CHALLENGE_CONFIRM);
	assert_int_equal(c->challenge_map[POL_LEVEL_MEDIUM], POL_CHALLENGE_CONFIRM);
	assert_int_equal(c->challenge_map[POL_LEVEL_HIGH], POL_CHALLENGE_TEACH_BACK);
	assert_int_equal(c->challenge_map[POL_LEVEL_CRITICAL], POL_CHALLENGE_MULTI_PARTY);
	assert_int_equal(c->mode, POL_MODE_SHADOW);
	assert_true(c->quiz_pass_threshold == 0.6);
	assert_int_equal(c->teach_back_min_words, 25);

	assert_int_equal(c->n_overrides, 3);
	expect_override(&c->overrides[1], "read_config", POL_LEVEL_LOW);
	expect_override(&c->overrides[2], "git push", POL_LEVEL_HIGH);
	assert_int_equal(c->n_amplifiers, 5);
	expect_amplifier(&c->amplifiers[0], "production", POL_TARGET_ANY, 0.3);
	expect_amplifier(&c->amplifiers[1], "^/etc/", POL_TARGET_PATH, 0.25);
	expect_amplifier(&c->amplifiers[2], "\\.example\\.com$", POL_TARGET_HOST, 0.1);
	expect_amplifier(&c->amplifiers[3], "--force", POL_TARGET_ARGS, 1);
	expect_amplifier(&c->amplifiers[4], "delete", POL_TARGET_NAME, 0);

	assert_true(c->trust_initial_score == 0.2);
	assert_true(c->trust_ceiling == 0.75);
	assert_true(c->trust_decay_rate == 0.02);
	assert_true(c->trust_influence == 0.15);
	assert_true(c->trust_incident_penalty == 0.5);
	assert_string_equal(c->trust_path, "/var/lib/attesta/trust.json");

	assert_string_equal(c->audit_backend, "trailproof");
	assert_string_equal(c->audit_path, "/var/log/attesta/audit.jsonl");
	assert_int_equal(c->audit_sync, POL_SYNC_ALWAYS);
	assert_int_equal(c->audit_sync_window_ms, 0);
	assert_string_equal(c->audit_hmac_key_file, "/etc/attesta/hmac.key");
	assert_string_equal(c->audit_tenant_id, "acme");

	assert_int_equal(c->domains.count, 2);
	assert_string_equal(c->domains.items[0], "devops");
	assert_string_equal(c->domains.items[1], "data_pipeline");
	assert_false(c->domain_strict);
	assert_int_equal(c->domain_paths.count, 2);
	assert_string_equal(c->domain_paths.items[1], "./profiles");

	assert_true(c->intercept_exec);
	assert_false(c->intercept_unlink);
	assert_true(c->intercept_connect);
	assert_string_equal(c->workspace, "/srv/project");
	assert_string_equal(c->environment, "production");
	assert_string_equal(c->agent_id, "deploy-bot");
	assert_int_equal(c->renderer, POL_RENDERER_SOCKET);
	assert_string_equal(c->approval_socket, "/run/attesta/approve.sock");
	assert_int_equal(c->deny_errno, EACCES);
	assert_true(c->allow_io_uring);
	assert_false(c->builtin_agent_profile);
	assert_int_equal(c->env_vars.count, 3);
	assert_string_equal(c->env_vars.items[2], "AWS_PROFILE");
	assert_string_equal(c->escalation_command, "/usr/local/bin/page-oncall");

	assert_int_equal(c->attestation_mode, POL_ATTEST_ENFORCE);
	assert_string_equal(c->node_id, "node-17");
	assert_string_equal(c->bundle, "/etc/attesta/bundle.tar");
	assert_string_equal(c->registry, "postgres");
	assert_string_equal(c->fleet_database, "postgresql://attesta@db/fleet");
	pol_config_free(c);
}

static void test_pol_config_load_good_fixtures(void **state)
{
	struct pol_config *c;

	(void)state;
	c = load_ok("good/comments-only.yaml");
	expect_defaults(c);
	pol_config_free(c);
	c = load_ok("good/empty-document.yaml");
	expect_defaults(c);
	pol_config_free(c);
	c = load_ok("good/null-sections.yaml");
	expect_defaults(c);
	pol_config_free(c);
	c = load_ok("good/null-risk-lists.yaml");
	expect_defaults(c);
	pol_config_free(c);

	c = load_ok("good/domain-string.yaml");
	assert_int_equal(c->domains.count, 1);
	assert_string_equal(c->domains.items[0], "my-domain");
	assert_int_equal(c->domain_paths.count, 1);
	assert_string_equal(c->domain_paths.items[0], "/opt/profiles");
	pol_config_free(c);

	c = load_ok("good/challenges-alias.yaml");
	assert_true(c->challenge_map_set[POL_LEVEL_MEDIUM]);
	assert_int_equal(c->challenge_map[POL_LEVEL_MEDIUM], POL_CHALLENGE_AUTO_APPROVE);
	assert_int_equal(c->challenge_map[POL_LEVEL_HIGH], POL_CHALLENGE_TEACH_BACK);
	assert_false(c->challenge_map_set[POL_LEVEL_CRITICAL]);
	pol_config_free(c);

	c = load_ok("good/bool-variants.yaml");
	assert_true(c->critical_always_verify);
	assert_false(c->domain_strict);
	assert_true(c->allow_io_uring);
	assert_true(c->builtin_agent_profile);
	pol_config_free(c);

	c = load_ok("good/crlf.yaml");
	assert_int_equal(c->fail_mode, POL_FAIL_ALLOW);
	assert_true(c->timeout_seconds == 5);
	pol_config_free(c);

	c = load_ok("good/bom.yaml");
	assert_int_equal(c->fail_mode, POL_FAIL_ALLOW);
	pol_config_free(c);

	/* As in the reference, a per-level map replaces the default map. */
	c = load_ok("good/partial-level-maps.yaml");
	assert_true(c->minimum_review_seconds[POL_LEVEL_MEDIUM] == 0);
	assert_true(c->minimum_review_seconds[POL_LEVEL_HIGH] == 5);
	assert_true(c->minimum_review_seconds[POL_LEVEL_CRITICAL] == 0);
	assert_int_equal(c->require_multi_party[POL_LEVEL_HIGH], 2);
	assert_int_equal(c->require_multi_party[POL_LEVEL_CRITICAL], 0);
	pol_config_free(c);

	/* "off" is read as the name, not as YAML 1.1 false */
	c = load_ok("good/scalars.yaml");
	assert_int_equal(c->deny_errno, 13);
	assert_false(c->intercept_exec);
	assert_true(c->intercept_unlink);
	assert_int_equal(c->audit_sync, POL_SYNC_OFF);
	assert_int_equal(c->attestation_mode, POL_ATTEST_OFF);
	pol_config_free(c);

	c = load_ok("good/unicode.yaml");
	expect_override(&c->overrides[0], "l\xc3\xb6schen", POL_LEVEL_CRITICAL);
	pol_config_free(c);
}

static void test_pol_config_load_example(void **state)
{
	char path[1024];
	const char *dir = getenv("ATTESTA_TEST_DATA");
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/../../examples/attesta.yaml", dir ? dir : "tests/data");
	assert_int_equal(pol_config_load(path, &c, &diag), 0);
	assert_true(c->n_amplifiers > 0);
	pol_config_free(c);
}

static void test_pol_config_load_bad_table(void **state)
{
	FILE *f = fopen(data_path("bad.tsv"), "re");
	char row[1024];
	unsigned cases = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(row, sizeof(row), f)) {
		char name[256], fixture[300], substring[512];
		unsigned line, column;
		struct pol_config *config = NULL;
		struct pol_diag diag = { .line = 0 };
		int r;

		if (row[0] == '#' || row[0] == '\n')
			continue;
		row[strcspn(row, "\n")] = '\0';
		assert_int_equal(sscanf(row, "%255[^\t]\t%u\t%u\t%511[^\n]", name, &line, &column,
					substring), 4);
		snprintf(fixture, sizeof(fixture), "bad/%s.yaml", name);
		r = pol_config_load(data_path(fixture), &config, &diag);
		if (r != -EINVAL || diag.line != line || diag.column != column ||
		    !strstr(diag.message, substring))
			print_error("%s: got %d %u:%u '%s', want %u:%u '%s'\n", name, r, diag.line,
				    diag.column, diag.message, line, column, substring);
		assert_int_equal(r, -EINVAL);
		assert_null(config);
		assert_non_null(strstr(diag.file, name));
		assert_int_equal(diag.line, line);
		assert_int_equal(diag.column, column);
		assert_non_null(strstr(diag.message, substring));
		cases++;
	}
	fclose(f);
	assert_true(cases >= 60);
}

static void test_pol_config_load_buffer_socket_families(void **state)
{
	static const char ok[] = "gate:\n  allow_socket_families: [packet, raw, sctp, vsock]\n";
	static const char one[] = "gate:\n  allow_socket_families: alg\n";
	static const char bad[] = "gate:\n  allow_socket_families: [packet, AF_PACKET]\n";
	static const char empty[] = "gate:\n  allow_socket_families: [raw, '']\n";
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };

	(void)state;
	assert_int_equal(pol_config_load_buffer("t.yaml", ok, strlen(ok), &c, &diag), 0);
	assert_int_equal(c->allow_socket_families.count, 4);
	assert_string_equal(c->allow_socket_families.items[1], "raw");
	pol_config_free(c);
	c = NULL;
	assert_int_equal(pol_config_load_buffer("t.yaml", one, strlen(one), &c, &diag), 0);
	assert_int_equal(c->allow_socket_families.count, 1);
	assert_string_equal(c->allow_socket_families.items[0], "alg");
	pol_config_free(c);
	c = pol_config_new_default();
	assert_int_equal(c->allow_socket_families.count, 0); /* default: none */
	pol_config_free(c);
	expect_error(bad, strlen(bad), -EINVAL, 2, 35,
		     "invalid socket family 'AF_PACKET' in 'gate.allow_socket_families'");
	expect_error(empty, strlen(empty), -EINVAL, 2, 32,
		     "items of 'gate.allow_socket_families' must be non-empty names");
}

static void test_pol_config_load_buffer_misspelled_key(void **state)
{
	static const char text[] = "policy:\n  timeout_seconds: 30\n  fail_mod: deny\n";
	struct pol_diag diag = { .line = 0 };
	char line[1200];

	(void)state;
	expect_error(text, strlen(text), -EINVAL, 3, 3,
		     "unknown key 'fail_mod' in 'policy' (did you mean 'fail_mode'?)");
	pol_config_load_buffer("t.yaml", text, strlen(text), &(struct pol_config *){ NULL },
			       &diag);
	pol_diag_format(&diag, line, sizeof(line));
	assert_string_equal(line,
			    "t.yaml:3:3: unknown key 'fail_mod' in 'policy' (did you mean 'fail_mode'?)");
}

static void test_pol_config_load_buffer_duplicate_keys(void **state)
{
	static const char text[] = "audit:\n  path: a\nrisk: {}\naudit:\n  path: b\n";
	static const char text2[] = "risk:\n  overrides: {rm: high, ls: low, rm: low}\n";

	(void)state;
	expect_error(text, strlen(text), -EINVAL, 4, 1, "duplicate key 'audit'");
	expect_error(text2, strlen(text2), -EINVAL, 2, 34, "duplicate key 'rm'");
}

/* A "billion laughs" document: every level refers to the previous one. */
static void test_pol_config_load_buffer_alias_bomb(void **state)
{
	char text[4096];
	size_t used;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text), "a: &a [\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'j'; c++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1,
					 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	expect_error(text, used, -EINVAL, 1, 4, "yaml anchors are not allowed");
	expect_error("risk: *x\n", 9, -EINVAL, 1, 7, "yaml aliases are not allowed");
}

static void test_pol_config_load_buffer_oversize(void **state)
{
	size_t len = POL_CONFIG_MAX_BYTES + 1;
	char *text = malloc(len);
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };

	(void)state;
	assert_non_null(text);
	memset(text, '#', len);
	assert_int_equal(pol_config_load_buffer("big.yaml", text, len, &c, &diag), -EFBIG);
	assert_null(c);
	assert_non_null(strstr(diag.message, "too large"));
	/* exactly at the cap is fine: one long comment */
	assert_int_equal(pol_config_load_buffer("big.yaml", text, len - 1, &c, &diag), 0);
	pol_config_free(c);
	free(text);
}

static void test_pol_config_load_oversize_file(void **state)
{
	char path[] = "/tmp/attesta-test-config-XXXXXX";
	int fd = mkstemp(path);
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };
	static char chunk[65536];

	(void)state;
	assert_true(fd >= 0);
	memset(chunk, '#', sizeof(chunk));
	for (size_t i = 0; i < POL_CONFIG_MAX_BYTES / sizeof(chunk) + 1; i++)
		assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	close(fd);
	assert_int_equal(pol_config_load(path, &c, &diag), -EFBIG);
	assert_null(c);
	assert_string_equal(diag.file, path);
	unlink(path);
}

static void test_pol_config_load_missing_file(void **state)
{
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };

	(void)state;
	assert_int_equal(pol_config_load("/nonexistent/attesta.yaml", &c, &diag), -ENOENT);
	assert_null(c);
	assert_int_equal(diag.line, 0);
	assert_non_null(strstr(diag.message, "cannot open config"));
	assert_int_equal(pol_config_load("/", &c, &diag), -EISDIR);
}

static void test_pol_config_load_buffer_deep_nesting(void **state)
{
	char text[512];
	size_t used = 0;

	(void)state;
	for (int i = 0; i < POL_CONFIG_MAX_DEPTH + 1; i++)
		text[used++] = '[';
	expect_error(text, used, -EINVAL, 1, POL_CONFIG_MAX_DEPTH + 1, "nesting is too deep");
	/* at the limit the depth is fine and the schema rejects the shape */
	used = 0;
	memcpy(text, "x: ", 3);
	used = 3;
	for (int i = 0; i < POL_CONFIG_MAX_DEPTH - 1; i++)
		text[used++] = '[';
	for (int i = 0; i < POL_CONFIG_MAX_DEPTH - 1; i++)
		text[used++] = ']';
	expect_error(text, used, -EINVAL, 1, 1, "unknown key 'x'");
}

static void test_pol_config_load_buffer_long_scalar(void **state)
{
	size_t n = POL_CONFIG_MAX_SCALAR + 1;
	char *text = malloc(n + 64);
	size_t used;

	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, 64, "audit:\n  path: ");
	memset(text + used, 'a', n);
	used += n;
	text[used++] = '\n';
	expect_error(text, used, -EINVAL, 2, 9, "value is too long");
	free(text);
}

static void test_pol_config_load_buffer_too_many_items(void **state)
{
	size_t cap = (POL_CONFIG_MAX_ITEMS + 1) * 4 + 64;
	char *text = malloc(cap);
	size_t used;

	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, cap, "gate:\n  env_vars: [");
	for (int i = 0; i <= POL_CONFIG_MAX_ITEMS; i++)
		used += (size_t)snprintf(text + used, cap - used, "A,");
	text[used++] = ']';
	expect_error(text, used, -EINVAL, 2, 14 + 2 * POL_CONFIG_MAX_ITEMS, "too many items");
	free(text);
}

static void test_pol_config_load_buffer_regex_column(void **state)
{
	static const char quoted[] = "risk:\n  amplifiers:\n    - {pattern: \"ab)c\", boost: 0.1}\n";
	static const char escaped[] = "risk:\n  amplifiers:\n    - {pattern: \"\\x41)\", boost: 0.1}\n";

	(void)state;
	/* The pattern starts at column 18 and PCRE2 reports offset 2, the
	 * ')': the column points at it. */
	expect_error(quoted, strlen(quoted), -EINVAL, 3, 20, "unmatched closing parenthesis");
	/* escapes make the source differ from the value: the value's column */
	expect_error(escaped, strlen(escaped), -EINVAL, 3, 17, "invalid regex");
}

static void test_pol_config_load_buffer_numbers_strict(void **state)
{
	static const char *const bad[] = { "1_000", "0x1p3", "inf", "-.inf", "1e", "1.2.3",
					   "+", "0o17", "1e400", "~" };
	char text[128];
	struct pol_config *c = NULL;
	struct pol_diag diag;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = snprintf(text, sizeof(text), "policy:\n  timeout_seconds: %s\n", bad[i]);

		expect_error(text, (size_t)n, -EINVAL, 2, 20, "timeout_seconds");
	}
	snprintf(text, sizeof(text), "policy:\n  timeout_seconds: 1.5e2\n  quiz_pass_threshold: .5\n");
	assert_int_equal(pol_config_load_buffer("t.yaml", text, strlen(text), &c, &diag), 0);
	assert_true(c->timeout_seconds == 150);
	assert_true(c->quiz_pass_threshold == 0.5);
	pol_config_free(c);
}

/* Amplifiers follow the reference: re.search, no flags (case-sensitive). */
static void test_pol_config_amplifier_regex_semantics(void **state)
{
	static const char text[] = "risk:\n  amplifiers:\n    - pattern: production\n      boost: 0.3\n";
	struct pol_config *c = NULL;
	struct pol_diag diag;

	(void)state;
	assert_int_equal(pol_config_load_buffer("t.yaml", text, strlen(text), &c, &diag), 0);
	assert_int_equal(pol_regex_search(c->amplifiers[0].regex, "deploy_production_db", 20,
					  NULL, NULL), 1);
	assert_int_equal(pol_regex_search(c->amplifiers[0].regex, "DEPLOY_PRODUCTION", 17,
					  NULL, NULL), 0);
	pol_config_free(c);
}

static void test_pol_level_parse_names(void **state)
{
	enum pol_level level = POL_LEVEL_LOW;
	enum pol_challenge challenge = POL_CHALLENGE_CONFIRM;

	(void)state;
	assert_int_equal(pol_level_parse("Critical", &level), 0);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	assert_int_equal(pol_level_parse("severe", &level), -EINVAL);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	assert_string_equal(pol_level_name(POL_LEVEL_MEDIUM), "medium");
	assert_int_equal(pol_level_from_score(0.0), POL_LEVEL_LOW);
	assert_int_equal(pol_level_from_score(0.29999), POL_LEVEL_LOW);
	assert_int_equal(pol_level_from_score(0.3), POL_LEVEL_MEDIUM);
	assert_int_equal(pol_level_from_score(0.6), POL_LEVEL_HIGH);
	assert_int_equal(pol_level_from_score(0.8), POL_LEVEL_CRITICAL);
	assert_int_equal(pol_level_from_score(NAN), POL_LEVEL_CRITICAL);
	assert_int_equal(pol_challenge_parse("teach-back", &challenge), 0);
	assert_int_equal(challenge, POL_CHALLENGE_TEACH_BACK);
	assert_int_equal(pol_challenge_parse("AUTO_APPROVE", &challenge), 0);
	assert_int_equal(challenge, POL_CHALLENGE_AUTO_APPROVE);
	assert_int_equal(pol_challenge_parse("multi-party", &challenge), 0);
	assert_int_equal(challenge, POL_CHALLENGE_MULTI_PARTY);
	assert_int_equal(pol_challenge_parse("teach", &challenge), -EINVAL);
	assert_int_equal(pol_challenge_parse("teach_backs", &challenge), -EINVAL);
	assert_string_equal(pol_challenge_name(POL_CHALLENGE_QUIZ), "quiz");
	assert_string_equal(pol_target_name(POL_TARGET_HOST), "host");
}

static void test_pol_config_load_or_default_lookup(void **state)
{
	char dir[] = "/tmp/attesta-test-cwd-XXXXXX";
	char old[4096];
	struct pol_config *c = NULL;
	struct pol_diag diag = { .line = 0 };
	FILE *f;

	(void)state;
	assert_non_null(getcwd(old, sizeof(old)));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	/* no ./attesta.yaml: the defaults */
	assert_int_equal(pol_config_load_or_default(NULL, &c, &diag), 0);
	assert_string_equal(c->source, "<default>");
	expect_defaults(c);
	pol_config_free(c);
	/* an explicit file must exist */
	c = NULL;
	assert_int_equal(pol_config_load_or_default("missing.yaml", &c, &diag), -ENOENT);
	assert_null(c);
	/* ./attesta.yaml is found, and a bad one is an error, not the defaults */
	f = fopen("attesta.yaml", "we");
	assert_non_null(f);
	fputs("policy:\n  fail_mode: allow\n", f);
	fclose(f);
	assert_int_equal(pol_config_load_or_default(NULL, &c, &diag), 0);
	assert_string_equal(c->source, POL_CONFIG_DEFAULT_PATH);
	assert_int_equal(c->fail_mode, POL_FAIL_ALLOW);
	pol_config_free(c);
	f = fopen("attesta.yaml", "we");
	assert_non_null(f);
	fputs("policy:\n  fail_mod: allow\n", f);
	fclose(f);
	c = NULL;
	assert_int_equal(pol_config_load_or_default(NULL, &c, &diag), -EINVAL);
	assert_null(c);
	assert_int_equal(diag.line, 2);
	unlink("attesta.yaml");
	assert_int_equal(chdir(old), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_config_new_default_values),
		cmocka_unit_test(test_pol_config_load_buffer_socket_families),
		cmocka_unit_test(test_pol_config_load_buffer_empty_is_default),
		cmocka_unit_test(test_pol_config_load_seed_risk_config),
		cmocka_unit_test(test_pol_config_load_seed_production_guide),
		cmocka_unit_test(test_pol_config_load_seed_infra_agent),
		cmocka_unit_test(test_pol_config_load_full_fixture),
		cmocka_unit_test(test_pol_config_load_good_fixtures),
		cmocka_unit_test(test_pol_config_load_example),
		cmocka_unit_test(test_pol_config_load_bad_table),
		cmocka_unit_test(test_pol_config_load_buffer_misspelled_key),
		cmocka_unit_test(test_pol_config_load_buffer_duplicate_keys),
		cmocka_unit_test(test_pol_config_load_buffer_alias_bomb),
		cmocka_unit_test(test_pol_config_load_buffer_oversize),
		cmocka_unit_test(test_pol_config_load_oversize_file),
		cmocka_unit_test(test_pol_config_load_missing_file),
		cmocka_unit_test(test_pol_config_load_buffer_deep_nesting),
		cmocka_unit_test(test_pol_config_load_buffer_long_scalar),
		cmocka_unit_test(test_pol_config_load_buffer_too_many_items),
		cmocka_unit_test(test_pol_config_load_buffer_regex_column),
		cmocka_unit_test(test_pol_config_load_buffer_numbers_strict),
		cmocka_unit_test(test_pol_config_amplifier_regex_semantics),
		cmocka_unit_test(test_pol_config_load_or_default_lookup),
		cmocka_unit_test(test_pol_level_parse_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
