/*
 * Unit tests for the trust engine (policy/trust.c, policy/trust_store.c):
 * the rise curve, denials, incidents, inactivity decay, revocation across a
 * reload, strict parsing of corrupt stores, file modes, concurrent savers
 * and the CRITICAL invariant of pol_trust_adjust().
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "policy/pol_limits.h"
#include "policy/trust.h"

/* <limits.h> is shadowed by policy/pol_limits.h under -Ipolicy. */
#define PATH_MAX 4096
#define T0 1700000000.0
#define DAY 86400.0

static struct pol_config config;
static char dir[256];
static char store_path[PATH_MAX];

static void config_defaults(void)
{
	memset(&config, 0, sizeof(config));
	config.trust_initial_score = 0.3;
	config.trust_ceiling = 0.9;
	config.trust_decay_rate = 0.01;
	config.trust_influence = 0.3;
	config.trust_incident_penalty = 0.7;
	config.critical_always_verify = true;
}

static int setup(void **state)
{
	(void)state;
	config_defaults();
	snprintf(dir, sizeof(dir), "/tmp/attesta-test-trust-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(store_path, sizeof(store_path), "%s/sub/trust.json", dir);
	config.trust_path = store_path;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	pid_t pid;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s", dir);
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return 0;
}

static struct pol_trust_store *empty_store(void)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag = { 0 };

	assert_int_equal(pol_trust_store_load(NULL, &config, &store, &diag), 0);
	assert_non_null(store);
	return store;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	mkdir(dir, 0700);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static void test_pol_trust_score_unknown_agent_is_initial(void **state)
{
	struct pol_trust_store *store = empty_store();

	(void)state;
	assert_float_equal(pol_trust_score(store, "nobody", NULL, T0), 0.3, 1e-12);
	assert_float_equal(pol_trust_score(store, "nobody", "infra", T0), 0.3, 1e-12);
	assert_float_equal(pol_trust_score(store, NULL, NULL, T0), 0.3, 1e-12);
	pol_trust_store_free(store);
}

static void test_pol_trust_record_rises_gradually_to_ceiling(void **state)
{
	struct pol_trust_store *store = empty_store();
	struct pol_trust_params params;
	double prev = 0.3, first;
	uint64_t n;

	(void)state;
	pol_trust_params_from_config(&config, &params);
	n = pol_trust_approvals_to_ceiling(&params);
	assert_int_equal(n, 60); /* documented in docs/trust.md */

	assert_int_equal(pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0), 0);
	first = pol_trust_score(store, "bot", NULL, T0);
	assert_true(first > 0.3);
	assert_true(first < 0.4); /* one approval is a small step */
	prev = first;
	for (uint64_t i = 2; i <= n; i++) {
		double now;
		assert_int_equal(pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0), 0);
		now = pol_trust_score(store, "bot", NULL, T0);
		assert_true(now > prev || now == 0.9);
		if (i < n)
			assert_true(now < 0.9);
		prev = now;
	}
	assert_float_equal(prev, 0.9, 1e-12);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0), 0);
	assert_float_equal(pol_trust_score(store, "bot", NULL, T0), 0.9, 1e-12);
	pol_trust_store_free(store);
}

static void test_pol_trust_record_denial_lowers(void **state)
{
	struct pol_trust_store *store = empty_store();
	double before, after;

	(void)state;
	for (int i = 0; i < 10; i++)
		pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0);
	before = pol_trust_score(store, "bot", NULL, T0);
	assert_int_equal(pol_trust_record(store, "bot", NULL, POL_TRUST_DENIED, T0), 0);
	after = pol_trust_score(store, "bot", NULL, T0);
	assert_true(after < before);
	/* (10 + 3) / (10 + 2 + 10) */
	assert_float_equal(after, 13.0 / 22.0, 1e-12);
	/* a new agent that is denied drops below the initial score */
	pol_trust_record(store, "fresh", NULL, POL_TRUST_DENIED, T0);
	assert_true(pol_trust_score(store, "fresh", NULL, T0) < 0.3);
	pol_trust_store_free(store);
}

static void test_pol_trust_incident_is_multiplicative(void **state)
{
	struct pol_trust_store *store = empty_store();
	double before;

	(void)state;
	for (int i = 0; i < 20; i++)
		pol_trust_record(store, "bot", "infra", POL_TRUST_APPROVED, T0);
	before = pol_trust_score(store, "bot", "infra", T0);
	assert_int_equal(pol_trust_incident(store, "bot", "infra", POL_TRUST_SEVERITY_MEDIUM,
					    "rm -rf build", T0), 0);
	assert_float_equal(pol_trust_score(store, "bot", "infra", T0), before * 0.7, 1e-12);
	/* incidents anywhere lower trust in every domain */
	assert_float_equal(pol_trust_score(store, "bot", "web", T0), 0.3 * 0.7, 1e-12);
	assert_int_equal(pol_trust_incident(store, "bot", "infra", POL_TRUST_SEVERITY_CRITICAL,
					    NULL, T0), 0);
	assert_float_equal(pol_trust_score(store, "bot", "infra", T0), before * pow(0.7, 4), 1e-12);
	assert_int_equal(pol_trust_record(store, "bot", "infra", POL_TRUST_INCIDENT, T0), 0);
	assert_float_equal(pol_trust_score(store, "bot", "infra", T0), before * pow(0.7, 5), 1e-12);
	assert_int_equal(pol_trust_incident(store, "bot", NULL, POL_TRUST_SEVERITY_COUNT, NULL, T0),
			 -EINVAL);
	pol_trust_store_free(store);
}

static void test_pol_trust_score_decays_with_inactivity(void **state)
{
	struct pol_trust_store *store = empty_store();
	double fresh, month, year;

	(void)state;
	for (int i = 0; i < 30; i++)
		pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0);
	fresh = pol_trust_score(store, "bot", NULL, T0);
	month = pol_trust_score(store, "bot", NULL, T0 + 30 * DAY);
	year = pol_trust_score(store, "bot", NULL, T0 + 365 * DAY);
	assert_true(month < fresh);
	assert_true(year < month);
	assert_float_equal(month, 0.3 + (fresh - 0.3) * exp(-0.01 * 30), 1e-12);
	assert_true(year >= 0.3); /* earned trust fades back to the initial score */
	/* activity resets the idle clock */
	pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0 + 365 * DAY);
	assert_true(pol_trust_score(store, "bot", NULL, T0 + 365 * DAY) > fresh);
	pol_trust_store_free(store);
}

static void test_pol_trust_score_distrust_does_not_fade(void **state)
{
	struct pol_trust_store *store = empty_store();
	double now;

	(void)state;
	pol_trust_record(store, "bot", NULL, POL_TRUST_DENIED, T0);
	now = pol_trust_score(store, "bot", NULL, T0);
	assert_float_equal(pol_trust_score(store, "bot", NULL, T0 + 1000 * DAY), now, 1e-12);
	pol_trust_store_free(store);
}

static void test_pol_trust_score_per_domain(void **state)
{
	struct pol_trust_store *store = empty_store();

	(void)state;
	for (int i = 0; i < 20; i++)
		pol_trust_record(store, "bot", "infra", POL_TRUST_APPROVED, T0);
	pol_trust_record(store, "bot", "db", POL_TRUST_DENIED, T0);
	assert_true(pol_trust_score(store, "bot", "infra", T0) > 0.5);
	assert_true(pol_trust_score(store, "bot", "db", T0) < 0.3);
	assert_float_equal(pol_trust_score(store, "bot", "web", T0), 0.3, 1e-12);
	/* the agent as a whole sums every domain: (20 + 3) / (20 + 2 + 10) */
	assert_float_equal(pol_trust_score(store, "bot", NULL, T0), 23.0 / 32.0, 1e-12);
	pol_trust_store_free(store);
}

static void test_pol_trust_revoke_survives_reload(void **state)
{
	struct pol_trust_store *store = empty_store(), *again = NULL;
	struct pol_diag diag = { 0 };
	const struct pol_trust_agent *agent;

	(void)state;
	for (int i = 0; i < 40; i++)
		pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0);
	assert_int_equal(pol_trust_revoke(store, "bot", T0 + 1), 0);
	assert_float_equal(pol_trust_score(store, "bot", NULL, T0 + 1), 0.0, 0);
	assert_int_equal(pol_trust_store_save(store, &diag), 0);
	pol_trust_store_free(store);

	assert_int_equal(pol_trust_store_load(NULL, &config, &again, &diag), 0);
	assert_float_equal(pol_trust_score(again, "bot", NULL, T0 + 2), 0.0, 0);
	/* approvals while revoked change nothing */
	pol_trust_record(again, "bot", NULL, POL_TRUST_APPROVED, T0 + 3);
	assert_float_equal(pol_trust_score(again, "bot", "general", T0 + 3), 0.0, 0);
	agent = pol_trust_agent_find(again, "bot");
	assert_non_null(agent);
	assert_true(agent->revoked);
	assert_float_equal(agent->revoked_at, T0 + 1, 0);
	assert_int_equal(agent->revocations, 1);

	/* reinstating starts again from the initial score */
	assert_int_equal(pol_trust_reinstate(again, "bot", T0 + 4), 0);
	assert_float_equal(pol_trust_score(again, "bot", NULL, T0 + 4), 0.3, 1e-12);
	assert_int_equal(pol_trust_reinstate(again, "bot", T0 + 5), -ENOENT);
	assert_int_equal(pol_trust_reinstate(again, "nobody", T0 + 5), -ENOENT);
	assert_int_equal(pol_trust_store_save(again, &diag), 0);
	pol_trust_store_free(again);
	again = NULL;
	assert_int_equal(pol_trust_store_load(NULL, &config, &again, &diag), 0);
	assert_float_equal(pol_trust_score(again, "bot", NULL, T0 + 4), 0.3, 1e-12);
	assert_int_equal(pol_trust_agent_find(again, "bot")->revocations, 1);
	pol_trust_store_free(again);
}

static void test_pol_trust_store_save_mode_0600_dir_0700(void **state)
{
	struct pol_trust_store *store = empty_store();
	struct pol_diag diag = { 0 };
	char sub[PATH_MAX];
	struct stat st;

	(void)state;
	pol_trust_record(store, "bot", NULL, POL_TRUST_APPROVED, T0);
	assert_int_equal(pol_trust_store_save(store, &diag), 0);
	assert_int_equal(stat(store_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	pol_trust_store_free(store);
}

static void test_pol_trust_store_save_round_trips_everything(void **state)
{
	struct pol_trust_store *store = empty_store(), *again = NULL;
	struct pol_diag diag = { 0 };
	const struct pol_trust_agent *agent;

	(void)state;
	pol_trust_record(store, "bot", "infra", POL_TRUST_APPROVED, T0);
	pol_trust_record(store, "bot", "infra", POL_TRUST_DENIED, T0 + 0.5);
	pol_trust_incident(store, "bot", "db", POL_TRUST_SEVERITY_HIGH, "psql -c drop", T0 + 1);
	pol_trust_record(store, "other \"quoted\" \xc3\xa9", NULL, POL_TRUST_APPROVED, T0);
	assert_int_equal(pol_trust_store_save(store, &diag), 0);
	assert_int_equal(pol_trust_store_load(NULL, &config, &again, &diag), 0);
	assert_int_equal(pol_trust_agent_count(again), 2);
	assert_float_equal(pol_trust_score(again, "bot", "infra", T0 + 2),
			   pol_trust_score(store, "bot", "infra", T0 + 2), 0);
	assert_float_equal(pol_trust_score(again, "bot", NULL, T0 + 2),
			   pol_trust_score(store, "bot", NULL, T0 + 2), 0);
	agent = pol_trust_agent_find(again, "bot");
	assert_int_equal(agent->n_domains, 2);
	assert_string_equal(agent->domains[0].name, "db");
	assert_int_equal(agent->domains[0].incidents[POL_TRUST_SEVERITY_HIGH], 1);
	assert_string_equal(agent->domains[0].last_incident_action, "psql -c drop");
	assert_float_equal(agent->domains[1].last_activity, T0 + 0.5, 0);
	assert_non_null(pol_trust_agent_find(again, "other \"quoted\" \xc3\xa9"));
	pol_trust_store_free(store);
	pol_trust_store_free(again);
}

static void test_pol_trust_store_save_merges_concurrent_writers(void **state)
{
	struct pol_trust_store *a = empty_store(), *b = empty_store(), *c = NULL;
	struct pol_diag diag = { 0 };
	const struct pol_trust_agent *agent;

	(void)state;
	/* two loaded copies each record events, then both save: nothing lost */
	pol_trust_record(a, "bot", NULL, POL_TRUST_APPROVED, T0);
	pol_trust_record(b, "bot", NULL, POL_TRUST_APPROVED, T0);
	pol_trust_revoke(b, "evil", T0);
	assert_int_equal(pol_trust_store_save(a, &diag), 0);
	assert_int_equal(pol_trust_store_save(b, &diag), 0);
	assert_int_equal(pol_trust_store_load(NULL, &config, &c, &diag), 0);
	agent = pol_trust_agent_find(c, "bot");
	assert_non_null(agent);
	assert_int_equal(agent->domains[0].approvals, 2);
	assert_true(pol_trust_agent_find(c, "evil")->revoked);
	pol_trust_store_free(a);
	pol_trust_store_free(b);
	pol_trust_store_free(c);
}

static void test_pol_trust_store_save_many_processes(void **state)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag = { 0 };
	enum { PROCS = 6, EACH = 20 };

	(void)state;
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int rc = 0;
			for (int i = 0; i < EACH; i++) {
				struct pol_trust_store *s = NULL;
				struct pol_diag d = { 0 };
				if (pol_trust_store_load(NULL, &config, &s, &d) < 0 ||
				    pol_trust_record(s, "bot", NULL, POL_TRUST_APPROVED, T0) < 0 ||
				    pol_trust_store_save(s, &d) < 0)
					rc = 1;
				pol_trust_store_free(s);
			}
			_exit(rc);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status;
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(pol_trust_store_load(NULL, &config, &store, &diag), 0);
	assert_int_equal(pol_trust_agent_find(store, "bot")->domains[0].approvals, PROCS * EACH);
	pol_trust_store_free(store);
}

/* Corrupt stores: each is an error naming the file and where, never an
 * empty store. */
struct corrupt_case {
	const char *text;
	int err;
	unsigned line, column;
	const char *message_part;
};

static const struct corrupt_case corrupt_cases[] = {
	{ "", -EINVAL, 1, 1, "invalid JSON" },
	{ "{\"format\": \"attesta-trust\",\n \"version\": 1,\n \"agents\": {\n  \"bot\": tru\n}}",
	  -EINVAL, 4, 10, "invalid JSON" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{}} x", -EINVAL, 1, 52, "trailing data" },
	{ "{\"format\":\"attesta-trust\",\"version\":2,\"agents\":{}}", -EINVAL, 0, 0, "version" },
	{ "{\"format\":\"other\",\"version\":1,\"agents\":{}}", -EINVAL, 0, 0, "format" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{},\"score\":1}", -EINVAL, 0, 0,
	  "score: unknown key" },
	{ "{\"format\":\"attesta-trust\",\"version\":1}", -EINVAL, 0, 0, "agents: missing key" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"bot\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{},\"domains\":{}}}}",
	  -EINVAL, 0, 0, "agents[\"bot\"].domains: duplicate key" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"bot\":{\"revoked\":\"no\","
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{}}}}",
	  -EINVAL, 0, 0, "agents[\"bot\"].revoked: expected true or false" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"bot\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{\"general\":{\"approvals\":-1,"
	  "\"denials\":0,\"incidents\":{\"low\":0,\"medium\":0,\"high\":0,\"critical\":0},"
	  "\"first_seen\":1,\"last_activity\":1,\"last_incident_at\":null,"
	  "\"last_incident_action\":null}}}}}",
	  -EINVAL, 0, 0, "agents[\"bot\"].domains[\"general\"].approvals: expected a non-negative integer" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"bot\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{\"general\":{\"approvals\":1.5,"
	  "\"denials\":0,\"incidents\":{\"low\":0,\"medium\":0,\"high\":0,\"critical\":0},"
	  "\"first_seen\":1,\"last_activity\":1,\"last_incident_at\":null,"
	  "\"last_incident_action\":null}}}}}",
	  -EINVAL, 0, 0, "approvals: expected a non-negative integer below 2^53" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"bot\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{\"general\":{\"approvals\":1,"
	  "\"denials\":0,\"incidents\":{\"low\":0,\"medium\":0,\"high\":0},"
	  "\"first_seen\":1,\"last_activity\":1,\"last_incident_at\":null,"
	  "\"last_incident_action\":null}}}}}",
	  -EINVAL, 0, 0, "domains[\"general\"].incidents.critical: missing key" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"a\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{}},\"a\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{}}}}",
	  -EINVAL, 0, 0, "agents[\"a\"]: duplicate agent" },
	{ "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{\"\":{\"revoked\":false,"
	  "\"revoked_at\":null,\"revocations\":0,\"domains\":{}}}}",
	  -EINVAL, 0, 0, "invalid agent id" },
	{ "[1,2]", -EINVAL, 0, 0, "expected an object" },
};

static void test_pol_trust_store_load_corrupt_is_error_with_location(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		const struct corrupt_case *c = &corrupt_cases[i];
		struct pol_trust_store *store = NULL;
		struct pol_diag diag = { 0 };
		char sub[PATH_MAX];
		int r;

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		mkdir(sub, 0700);
		write_file(store_path, c->text, 0600);
		r = pol_trust_store_load(NULL, &config, &store, &diag);
		if (r != c->err || strcmp(diag.file, store_path) || diag.line != c->line ||
		    diag.column != c->column || !strstr(diag.message, c->message_part))
			print_error("case %zu: r=%d %s:%u:%u: %s\n", i, r, diag.file, diag.line,
				    diag.column, diag.message);
		assert_int_equal(r, c->err);
		assert_null(store);
		assert_string_equal(diag.file, store_path);
		assert_int_equal(diag.line, c->line);
		assert_int_equal(diag.column, c->column);
		assert_non_null(strstr(diag.message, c->message_part));
	}
}

static void test_pol_trust_store_save_refuses_corrupt_file(void **state)
{
	struct pol_trust_store *store = empty_store();
	struct pol_diag diag = { 0 };
	char sub[PATH_MAX];

	(void)state;
	pol_trust_revoke(store, "bot", T0);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	write_file(store_path, "{garbage", 0600);
	assert_int_equal(pol_trust_store_save(store, &diag), -EINVAL);
	assert_string_equal(diag.file, store_path);
	/* the store keeps its revocation and the file was not replaced */
	assert_float_equal(pol_trust_score(store, "bot", NULL, T0), 0.0, 0);
	pol_trust_store_free(store);
}

static void test_pol_trust_store_load_refuses_group_writable(void **state)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag = { 0 };
	char sub[PATH_MAX];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	write_file(store_path, "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{}}", 0620);
	assert_int_equal(pol_trust_store_load(NULL, &config, &store, &diag), -EPERM);
	assert_null(store);
	assert_non_null(strstr(diag.message, "writable by group or others"));
}

static void test_pol_trust_store_load_refuses_oversized(void **state)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag = { 0 };
	char sub[PATH_MAX];
	int fd;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	fd = open(store_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, POL_TRUST_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(pol_trust_store_load(NULL, &config, &store, &diag), -EFBIG);
	assert_null(store);
}

static void test_pol_trust_record_rejects_bad_names(void **state)
{
	struct pol_trust_store *store = empty_store();
	char long_id[POL_TRUST_MAX_NAME + 2];

	(void)state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(pol_trust_record(store, "", NULL, POL_TRUST_APPROVED, T0), -EINVAL);
	assert_int_equal(pol_trust_record(store, long_id, NULL, POL_TRUST_APPROVED, T0), -EINVAL);
	assert_int_equal(pol_trust_record(store, "a\nb", NULL, POL_TRUST_APPROVED, T0), -EINVAL);
	assert_int_equal(pol_trust_record(store, "bot", "", POL_TRUST_APPROVED, T0), -EINVAL);
	assert_int_equal(pol_trust_record(store, "bot", NULL, (enum pol_trust_event)42, T0), -EINVAL);
	assert_int_equal(pol_trust_agent_count(store), 0);
	pol_trust_store_free(store);
}

static void test_pol_trust_effective_risk_formula(void **state)
{
	(void)state;
	assert_float_equal(pol_trust_effective_risk(0.5, 0.5, 0.3), 0.5, 1e-15);
	assert_float_equal(pol_trust_effective_risk(0.5, 0.9, 0.3), 0.5 * (1 - 0.4 * 0.3), 1e-15);
	assert_float_equal(pol_trust_effective_risk(0.5, 0.0, 0.3), 0.5 * 1.15, 1e-15);
	assert_float_equal(pol_trust_effective_risk(0.95, 0.0, 1.0), 1.0, 0);
}

static void test_pol_trust_adjust_critical_stays_critical(void **state)
{
	double score = -1;
	enum pol_level level = POL_LEVEL_LOW;

	(void)state;
	/* 0.85 * (1 - 0.4 * 0.3) = 0.748 would be HIGH: refused */
	assert_int_equal(pol_trust_adjust(0.85, POL_LEVEL_CRITICAL, 0.9, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	assert_float_equal(score, 0.85, 0);
	/* even with influence 1 and trust at the top */
	config.trust_influence = 1.0;
	assert_int_equal(pol_trust_adjust(0.8, POL_LEVEL_CRITICAL, 1.0, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	/* a profile's critical floor can give CRITICAL at a lower score */
	assert_int_equal(pol_trust_adjust(0.5, POL_LEVEL_CRITICAL, 1.0, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	/* with critical_always_verify off, trust applies */
	config.trust_influence = 0.3;
	config.critical_always_verify = false;
	assert_int_equal(pol_trust_adjust(0.85, POL_LEVEL_CRITICAL, 0.9, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_HIGH);
	assert_float_equal(score, 0.85 * (1 - 0.4 * 0.3), 1e-15);
}

static void test_pol_trust_adjust_non_critical_moves_both_ways(void **state)
{
	double score;
	enum pol_level level;

	(void)state;
	/* high trust lowers a MEDIUM just above the line to LOW */
	assert_int_equal(pol_trust_adjust(0.32, POL_LEVEL_MEDIUM, 0.9, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_LOW);
	/* a revoked agent (trust 0) raises HIGH 0.75 to CRITICAL 0.8625 */
	assert_int_equal(pol_trust_adjust(0.75, POL_LEVEL_HIGH, 0.0, &config, &score, &level), 0);
	assert_int_equal(level, POL_LEVEL_CRITICAL);
	assert_float_equal(score, 0.8625, 1e-12);
}

static void test_pol_trust_severity_parse_names(void **state)
{
	enum pol_trust_severity s;

	(void)state;
	assert_int_equal(pol_trust_severity_parse("high", &s), 0);
	assert_int_equal(s, POL_TRUST_SEVERITY_HIGH);
	assert_int_equal(pol_trust_severity_parse("HIGH", &s), -EINVAL);
	assert_int_equal(pol_trust_severity_parse("severe", &s), -EINVAL);
	assert_string_equal(pol_trust_severity_name(POL_TRUST_SEVERITY_CRITICAL), "critical");
}

static void test_pol_trust_agent_to_json_shape(void **state)
{
	struct pol_trust_store *store = empty_store();
	cJSON *json;
	char *text;

	(void)state;
	pol_trust_record(store, "bot", "infra", POL_TRUST_APPROVED, T0);
	json = pol_trust_agent_to_json(store, "bot", T0);
	assert_non_null(json);
	text = cJSON_PrintUnformatted(json);
	assert_non_null(strstr(text, "\"agent_id\":\"bot\""));
	assert_non_null(strstr(text, "\"domain\":\"infra\""));
	assert_non_null(strstr(text, "\"approvals\":1"));
	free(text);
	cJSON_Delete(json);
	pol_trust_store_free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_pol_trust_score_unknown_agent_is_initial),
		T(test_pol_trust_record_rises_gradually_to_ceiling),
		T(test_pol_trust_record_denial_lowers),
		T(test_pol_trust_incident_is_multiplicative),
		T(test_pol_trust_score_decays_with_inactivity),
		T(test_pol_trust_score_distrust_does_not_fade),
		T(test_pol_trust_score_per_domain),
		T(test_pol_trust_revoke_survives_reload),
		T(test_pol_trust_store_save_mode_0600_dir_0700),
		T(test_pol_trust_store_save_round_trips_everything),
		T(test_pol_trust_store_save_merges_concurrent_writers),
		T(test_pol_trust_store_save_many_processes),
		T(test_pol_trust_store_load_corrupt_is_error_with_location),
		T(test_pol_trust_store_save_refuses_corrupt_file),
		T(test_pol_trust_store_load_refuses_group_writable),
		T(test_pol_trust_store_load_refuses_oversized),
		T(test_pol_trust_record_rejects_bad_names),
		T(test_pol_trust_effective_risk_formula),
		T(test_pol_trust_adjust_critical_stays_critical),
		T(test_pol_trust_adjust_non_critical_moves_both_ways),
		T(test_pol_trust_severity_parse_names),
		T(test_pol_trust_agent_to_json_shape),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
