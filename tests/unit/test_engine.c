/*
 * Unit tests for the decision pipeline (policy/engine.c) and the built-in
 * agent profile: the calibration table tests/data/calibration.tsv (the
 * calibration rows of docs/score.md plus our own) run through pol_engine_evaluate() with the default
 * config in a temporary workspace, then each pipeline step on its own:
 * environment multipliers, overrides skipping the multiplier, amplifier
 * targets, trust and the CRITICAL invariant, escalation actions of a
 * configured profile, challenges by level, and novelty counting.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/action.h"
#include "policy/config.h"
#include "policy/engine.h"

static char workspace[256];
static char home[256];

static int setup(void **state)
{
	(void)state;
	snprintf(workspace, sizeof(workspace), "/tmp/attesta-test-engine-XXXXXX");
	if (!mkdtemp(workspace))
		return -1;
	snprintf(home, sizeof(home), "%s", getenv("HOME") && getenv("HOME")[0] == '/' ? getenv("HOME") : "/root");
	setenv("HOME", home, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(workspace);
	return 0;
}

/* Replace $W, $HOME and a leading ~ in a word. */
static void substitute(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < size;) {
		const char *rep = NULL;
		size_t skip = 0;

		if (!strncmp(in + i, "$W", 2) && !(in[i + 2] >= 'A' && in[i + 2] <= 'Z')) {
			rep = workspace;
			skip = 2;
		} else if (!strncmp(in + i, "$HOME", 5)) {
			rep = home;
			skip = 5;
		} else if (in[i] == '~' && (i == 0 || in[i - 1] == ' ') && (in[i + 1] == '/' || !in[i + 1] || in[i + 1] == ' ')) {
			rep = home;
			skip = 1;
		}
		if (rep) {
			o += (size_t)snprintf(out + o, size - o, "%s", rep);
			if (o >= size)
				o = size - 1;
			i += skip;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
}

/* Split like a shell: whitespace, '...' and "..." quotes. */
static size_t split_words(char *s, char **words, size_t max)
{
	size_t n = 0;
	char *o = s;

	while (*s && n < max) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		words[n++] = o;
		while (*s && *s != ' ') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;

				while (*s && *s != q)
					*o++ = *s++;
				if (*s)
					s++;
			} else {
				*o++ = *s++;
			}
		}
		if (*s)
			s++;
		*o++ = '\0';
	}
	return n;
}

static struct pol_action *make_action(const char *cls, char *text, const char *env)
{
	char *words[128];
	size_t n = split_words(text, words, 128);
	bool anon = !strcmp(cls, "exec-anon");
	enum pol_action_class c;
	struct pol_action *a;

	assert_true(n >= 1);
	assert_int_equal(pol_action_class_parse(anon ? "exec" : cls, &c), 0);
	a = pol_action_new(c);
	assert_non_null(a);
	assert_int_equal(pol_action_set(&a->cwd, workspace), 0);
	assert_int_equal(pol_action_set(&a->environment, env), 0);
	if (c == POL_ACTION_EXEC) {
		const char *base = strrchr(words[0], '/') ? strrchr(words[0], '/') + 1 : words[0];
		char path[512];

		snprintf(path, sizeof(path), "/usr/bin/%s", base);
		assert_int_equal(pol_action_set(&a->function_name, base), 0);
		assert_int_equal(pol_action_set(&a->path, path), 0);
		a->exec_anonymous = anon;
		for (size_t i = 1; i < n; i++)
			assert_int_equal(pol_strv_push(&a->args, words[i], strlen(words[i])), 0);
	} else if (c == POL_ACTION_RENAME) {
		/* "SRC DST [replaces] [exchange] [srcdir] [dstdir]" */
		assert_true(n >= 2);
		assert_int_equal(pol_action_set(&a->function_name, "rename"), 0);
		assert_int_equal(pol_action_set(&a->path, words[0]), 0);
		assert_int_equal(pol_action_set(&a->dest_path, words[1]), 0);
		assert_int_equal(pol_strv_push(&a->args, words[0], strlen(words[0])), 0);
		assert_int_equal(pol_strv_push(&a->args, words[1], strlen(words[1])), 0);
		a->file.known = true;
		snprintf(a->file.type, sizeof(a->file.type), "file");
		for (size_t i = 2; i < n; i++) {
			if (!strcmp(words[i], "replaces"))
				a->rename_replaces = a->dest_file.known = true;
			else if (!strcmp(words[i], "exchange"))
				a->rename_exchange = a->dest_file.known = true;
			else if (!strcmp(words[i], "srcdir"))
				snprintf(a->file.type, sizeof(a->file.type), "dir");
			else if (!strcmp(words[i], "dstdir"))
				snprintf(a->dest_file.type, sizeof(a->dest_file.type), "dir");
		}
		if (a->dest_file.known && !a->dest_file.type[0])
			snprintf(a->dest_file.type, sizeof(a->dest_file.type), "file");
	} else if (c == POL_ACTION_UNLINK || c == POL_ACTION_RMDIR) {
		assert_int_equal(pol_action_set(&a->function_name, cls), 0);
		assert_int_equal(pol_action_set(&a->path, words[0]), 0);
		assert_int_equal(pol_strv_push(&a->args, words[0], strlen(words[0])), 0);
	} else {
		char *ep = words[0], host[128];
		char *colon;

		assert_int_equal(pol_action_set(&a->function_name, cls), 0);
		assert_int_equal(pol_strv_push(&a->args, ep, strlen(ep)), 0);
		if (!strncmp(ep, "unix:", 5)) {
			a->family = AF_UNIX;
			assert_int_equal(pol_action_set(&a->address, ep + 5), 0);
		} else {
			colon = strrchr(ep, ':');
			assert_non_null(colon);
			a->port = (uint16_t)atoi(colon + 1);
			*colon = '\0';
			if (ep[0] == '[') {
				a->family = AF_INET6;
				snprintf(host, sizeof(host), "%.*s", (int)strlen(ep) - 2, ep + 1);
			} else {
				a->family = AF_INET;
				snprintf(host, sizeof(host), "%s", ep);
			}
			assert_int_equal(pol_action_set(&a->address, host), 0);
		}
		for (size_t i = 1; i < n; i++) {
			if (!strncmp(words[i], "claimed=", 8)) {
				assert_int_equal(pol_action_set(&a->host, words[i] + 8), 0);
			} else if (!strncmp(words[i], "verified=", 9)) {
				assert_int_equal(pol_action_set(&a->host, words[i] + 9), 0);
				a->host_verified = true;
			}
		}
	}
	return a;
}

static const char *data_path(const char *name, char *buf, size_t size)
{
	const char *src = getenv("ATTESTA_SRCDIR");

	snprintf(buf, size, "%s/tests/data/%s", src ? src : ".", name);
	return buf;
}

static void test_pol_engine_evaluate_calibration_table(void **state)
{
	struct pol_config *config = pol_config_new_default();
	char path[512], line[2048];
	unsigned rows = 0, failures = 0;
	FILE *f;

	(void)state;
	assert_non_null(config);
	config->workspace = strdup(workspace);
	f = fopen(data_path("calibration.tsv", path, sizeof(path)), "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *fields[5], *save = NULL, expanded[2048];
		struct pol_engine *engine = NULL;
		struct pol_decision d;
		struct pol_diag diag;
		struct pol_action *a;
		enum pol_level want;
		size_t nf = 0;
		bool ok;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		for (char *tok = strtok_r(line, "\t", &save); tok && nf < 5; tok = strtok_r(NULL, "\t", &save))
			fields[nf++] = tok;
		assert_int_equal(nf, 5);
		assert_int_equal(pol_level_parse(fields[1], &want), 0);
		substitute(fields[4], expanded, sizeof(expanded));
		/* A fresh engine per row: every row is a first call. */
		assert_int_equal(pol_engine_new(config, &engine, &diag), 0);
		a = make_action(fields[3], expanded, fields[2]);
		assert_int_equal(pol_engine_evaluate(engine, a, 0.5, true, &d), 0);
		ok = !strcmp(fields[0], "=") ? d.assessment.level == want : d.assessment.level >= want;
		if (!ok) {
			failures++;
			print_error("calibration row failed: %s %s %s %s '%s' -> %s %.4f (%s)\n", fields[0],
				    fields[1], fields[2], fields[3], fields[4],
				    pol_level_name(d.assessment.level), d.assessment.score, d.reason);
		}
		rows++;
		pol_decision_release(&d);
		pol_action_free(a);
		pol_engine_free(engine);
	}
	fclose(f);
	pol_config_free(config);
	assert_true(rows >= 60);
	assert_int_equal(failures, 0);
}

/* --- single steps --------------------------------------------------------- */

static struct pol_config *config_from(const char *yaml)
{
	struct pol_config *config = NULL;
	struct pol_diag diag;
	int r = pol_config_load_buffer("<test>", yaml, strlen(yaml), &config, &diag);

	if (r < 0)
		print_error("config: %s:%u:%u: %s\n", diag.file, diag.line, diag.column, diag.message);
	assert_int_equal(r, 0);
	free(config->workspace);
	config->workspace = strdup(workspace);
	return config;
}

static void evaluate(const struct pol_config *config, const char *cls, const char *text,
		     const char *env, double trust, struct pol_decision *d)
{
	struct pol_engine *engine = NULL;
	struct pol_diag diag;
	char buf[1024];
	struct pol_action *a;
	int r;

	substitute(text, buf, sizeof(buf));
	r = pol_engine_new(config, &engine, &diag);
	if (r < 0)
		print_error("engine: %s:%u:%u: %s\n", diag.file, diag.line, diag.column, diag.message);
	assert_int_equal(r, 0);
	a = make_action(cls, buf, env);
	assert_int_equal(pol_engine_evaluate(engine, a, trust, false, d), 0);
	pol_action_free(a);
	pol_engine_free(engine);
}

static const struct pol_factor *factor(const struct pol_decision *d, const char *name)
{
	for (size_t i = 0; i < d->assessment.n_factors; i++)
		if (!strcmp(d->assessment.factors[i].name, name))
			return &d->assessment.factors[i];
	return NULL;
}

static void test_pol_engine_evaluate_environment_multipliers(void **state)
{
	static const struct { const char *env; double m; } envs[] = {
		{ "production", 1.5 }, { "staging", 1.2 }, { "ci", 1.0 }, { "development", 0.8 },
	};
	struct pol_config *config = config_from("gate: {builtin_agent_profile: false}\n");
	struct pol_decision base, d;

	(void)state;
	evaluate(config, "exec", "python3 tool.py", "ci", 0.5, &base);
	assert_null(factor(&base, "environment_multiplier"));
	for (size_t i = 0; i < 4; i++) {
		evaluate(config, "exec", "python3 tool.py", envs[i].env, 0.5, &d);
		assert_true(fabs(d.assessment.score - fmin(1.0, base.assessment.score * envs[i].m)) < 1e-12);
		if (envs[i].m != 1.0)
			assert_non_null(factor(&d, "environment_multiplier"));
		pol_decision_release(&d);
	}
	pol_decision_release(&base);
	pol_config_free(config);
}

static void test_pol_engine_evaluate_override_skips_multiplier(void **state)
{
	struct pol_config *config = config_from("risk:\n  overrides:\n    python3: medium\n");
	struct pol_decision d;

	(void)state;
	evaluate(config, "exec", "python3 tool.py", "production", 0.5, &d);
	assert_true(d.assessment.score == 0.45);
	assert_int_equal(d.assessment.level, POL_LEVEL_MEDIUM);
	assert_non_null(factor(&d, "override"));
	assert_null(factor(&d, "environment_multiplier"));
	pol_decision_release(&d);
	evaluate(config, "exec", "python3 tool.py", "development", 0.5, &d);
	assert_true(d.assessment.score == 0.45);
	pol_decision_release(&d);
	pol_config_free(config);
	/* An override sets a program's usual level; it never lowers a
	 * critical action the profile found. */
	config = config_from("risk:\n  overrides:\n    terraform: high\n    git: low\n");
	evaluate(config, "exec", "terraform destroy", "development", 0.5, &d);
	assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
	assert_non_null(factor(&d, "override"));
	pol_decision_release(&d);
	evaluate(config, "exec", "terraform plan", "development", 0.5, &d);
	assert_true(d.assessment.score == 0.70);
	pol_decision_release(&d);
	evaluate(config, "exec", "git push --force origin main", "production", 0.5, &d);
	assert_true(d.assessment.score == 0.15);
	pol_decision_release(&d);
	pol_config_free(config);
}

static void test_pol_engine_evaluate_critical_skips_multiplier(void **state)
{
	struct pol_config *config = config_from("gate: {environment: development}\n");
	struct pol_decision d;

	(void)state;
	evaluate(config, "exec", "rm -rf /", "development", 0.5, &d);
	assert_true(d.critical_action);
	assert_null(factor(&d, "environment_multiplier"));
	assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
	pol_decision_release(&d);
	pol_config_free(config);
}

static void test_pol_engine_evaluate_amplifier_targets(void **state)
{
	static const struct { const char *target, *pattern, *cls, *action; bool hit; } cases[] = {
		{ "name", "^python3$", "exec", "python3 tool.py", true },
		{ "name", "tool", "exec", "python3 tool.py", false },
		{ "args", "tool\\\\.py", "exec", "python3 tool.py", true },
		{ "any", "tool", "exec", "python3 tool.py", true },
		{ "path", "^/usr/bin/", "exec", "python3 tool.py", true },
		{ "path", "secret", "unlink", "$W/secret.txt", true },
		{ "host", "example\\\\.com", "connect", "203.0.113.7:443 verified=api.example.com", true },
		{ "host", "^203\\\\.0\\\\.113", "connect", "203.0.113.7:443", true },
		{ "host", "example", "exec", "python3 tool.py", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		struct pol_config *config;
		struct pol_decision d;
		const struct pol_factor *f;

		snprintf(yaml, sizeof(yaml),
			 "risk:\n  amplifiers:\n    - pattern: \"%s\"\n      target: %s\n      boost: 0.25\n",
			 cases[i].pattern, cases[i].target);
		config = config_from(yaml);
		evaluate(config, cases[i].cls, cases[i].action, "ci", 0.5, &d);
		f = factor(&d, "amplifier");
		if (cases[i].hit != (f != NULL))
			print_error("amplifier case %zu (%s %s) hit=%d\n", i, cases[i].target, cases[i].pattern, f != NULL);
		assert_true(cases[i].hit == (f != NULL));
		if (f)
			assert_true(f->contribution == 0.25);
		pol_decision_release(&d);
		pol_config_free(config);
	}
}

static void test_pol_engine_evaluate_trust_keeps_critical(void **state)
{
	struct pol_config *config = config_from("gate: {environment: development}\n");
	struct pol_decision d;

	(void)state;
	evaluate(config, "exec", "terraform destroy", "development", 1.0, &d);
	assert_int_equal(d.raw_level, POL_LEVEL_CRITICAL);
	assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
	assert_true(d.assessment.score == d.raw_score);
	assert_int_equal(d.challenge, POL_CHALLENGE_MULTI_PARTY);
	assert_int_equal(d.approvers_required, 2);
	pol_decision_release(&d);
	/* Below CRITICAL, high trust lowers the score by (t - 0.5) * influence. */
	evaluate(config, "exec", "git push --force origin main", "development", 1.0, &d);
	assert_true(fabs(d.assessment.score - d.raw_score * (1.0 - 0.5 * config->trust_influence)) < 1e-12);
	assert_non_null(factor(&d, "trust_adjustment"));
	pol_decision_release(&d);
	/* Without critical_always_verify, CRITICAL may be lowered. */
	config->critical_always_verify = false;
	evaluate(config, "exec", "terraform destroy", "development", 1.0, &d);
	assert_true(d.assessment.score < d.raw_score);
	pol_decision_release(&d);
	pol_config_free(config);
}

static void test_pol_engine_evaluate_challenge_by_level(void **state)
{
	struct pol_config *config = config_from("gate: {environment: development}\n");
	struct pol_decision d;

	(void)state;
	evaluate(config, "exec", "ls -la", "development", 0.5, &d);
	assert_int_equal(d.challenge, POL_CHALLENGE_AUTO_APPROVE);
	assert_int_equal(d.approvers_required, 0);
	pol_decision_release(&d);
	evaluate(config, "exec", "git push origin main", "development", 0.5, &d);
	assert_int_equal(d.challenge, POL_CHALLENGE_CONFIRM);
	assert_true(d.minimum_review_seconds == config->minimum_review_seconds[POL_LEVEL_MEDIUM]);
	pol_decision_release(&d);
	evaluate(config, "exec", "git push -f origin main", "development", 0.5, &d);
	assert_int_equal(d.challenge, POL_CHALLENGE_QUIZ);
	pol_decision_release(&d);
	config->require_multi_party[POL_LEVEL_CRITICAL] = 0;
	evaluate(config, "exec", "rm -rf /", "development", 0.5, &d);
	assert_int_equal(d.challenge, POL_CHALLENGE_TEACH_BACK);
	pol_decision_release(&d);
	pol_config_free(config);
}

static void test_pol_engine_evaluate_novelty_counts(void **state)
{
	struct pol_config *config = config_from("gate: {builtin_agent_profile: false}\n");
	struct pol_engine *engine = NULL;
	struct pol_decision d1, d2, d3;
	struct pol_diag diag;
	char text[] = "python3 tool.py";
	struct pol_action *a;

	(void)state;
	assert_int_equal(pol_engine_new(config, &engine, &diag), 0);
	a = make_action("exec", text, "ci");
	assert_int_equal(pol_engine_evaluate(engine, a, 0.5, false, &d1), 0);
	assert_int_equal(pol_engine_evaluate(engine, a, 0.5, true, &d2), 0);
	assert_int_equal(pol_engine_evaluate(engine, a, 0.5, true, &d3), 0);
	assert_true(d1.assessment.score == d2.assessment.score);
	assert_true(fabs(d2.assessment.score - d3.assessment.score - 0.008) < 1e-12);
	pol_decision_release(&d1);
	pol_decision_release(&d2);
	pol_decision_release(&d3);
	pol_action_free(a);
	pol_engine_free(engine);
	pol_config_free(config);
}

/* --- configured profiles and escalation ------------------------------------ */

static void write_profile(const char *name, const char *yaml)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.yaml", workspace, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
}

static void remove_profile(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.yaml", workspace, name);
	unlink(path);
}

static void test_pol_engine_evaluate_escalation_actions(void **state)
{
	static const struct { const char *action; enum pol_challenge want; bool blocked; unsigned n; } cases[] = {
		{ "block", POL_CHALLENGE_AUTO_APPROVE, true, 0 },
		{ "require_multi_party", POL_CHALLENGE_MULTI_PARTY, false, 3 },
		{ "require_teach_back", POL_CHALLENGE_TEACH_BACK, false, 1 },
		{ "require_confirmation", POL_CHALLENGE_CONFIRM, false, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512], config_yaml[512];
		struct pol_config *config;
		struct pol_decision d;

		snprintf(yaml, sizeof(yaml),
			 "name: esc\nescalation_rules:\n  - condition: \"matches_pattern:deploy_tool\"\n"
			 "    action: %s\n    required_approvers: 3\nrisk_patterns:\n"
			 "  - pattern: \"^deploy\"\n    target: function_name\n    risk_contribution: 0.0\n"
			 "    name: deploy_tool\n    description: deploys\n", cases[i].action);
		write_profile("esc", yaml);
		snprintf(config_yaml, sizeof(config_yaml), "domain: esc\ndomain_paths: [\"%s\"]\n", workspace);
		config = config_from(config_yaml);
		/* ls -la is LOW and auto-approved without the rule. */
		evaluate(config, "exec", "deploy-site --all", "development", 0.5, &d);
		assert_int_equal(d.blocked, cases[i].blocked);
		if (!cases[i].blocked) {
			assert_int_equal(d.challenge, cases[i].want);
			assert_int_equal(d.approvers_required, cases[i].n);
		}
		assert_non_null(factor(&d, "escalation"));
		pol_decision_release(&d);
		evaluate(config, "exec", "ls -la", "development", 0.5, &d);
		assert_false(d.blocked);
		assert_null(factor(&d, "escalation"));
		pol_decision_release(&d);
		pol_config_free(config);
	}
	remove_profile("esc");
}

/* docs/decode.md: a rename scores at least as removing what it removes;
 * an editor's or git's rename inside the workspace stays automatic. */
static void test_pol_engine_evaluate_rename_as_removal(void **state)
{
	static const struct { const char *rename, *removal; } pairs[] = {
		{ "$HOME/.ssh/id_rsa $W/key", "$HOME/.ssh/id_rsa" },
		{ "$W/x /etc/passwd replaces", "/etc/passwd" },
		{ "$W/x $HOME/.bashrc exchange", "$HOME/.bashrc" },
		{ "$W/PROTECTED.txt $W/x", "$W/PROTECTED.txt" },
		{ "$W/x $W/PROTECTED.txt replaces", "$W/PROTECTED.txt" },
		{ "$W/x $W/PROTECTED.txt exchange", "$W/PROTECTED.txt" },
	};
	const char *amp = "risk:\n  amplifiers:\n    - pattern: \"PROTECTED\"\n      target: path\n"
			  "      boost: 1.0\n";
	struct pol_config *config = config_from(amp);
	struct pol_decision d, u;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		evaluate(config, "rename", pairs[i].rename, "development", 0.5, &d);
		evaluate(config, "unlink", pairs[i].removal, "development", 0.5, &u);
		if (d.assessment.level < u.assessment.level || d.assessment.score < u.assessment.score)
			print_error("rename case %zu: %s %.2f < unlink %s %.2f\n", i,
				    pol_level_name(d.assessment.level), d.assessment.score,
				    pol_level_name(u.assessment.level), u.assessment.score);
		assert_true(d.assessment.level >= u.assessment.level);
		assert_true(d.assessment.score >= u.assessment.score);
		pol_decision_release(&d);
		pol_decision_release(&u);
	}
	/* a guarded destination that does not exist yet: the path amplifier
	 * matches the second path */
	evaluate(config, "rename", "$W/x $W/PROTECTED.new", "development", 0.5, &d);
	assert_non_null(factor(&d, "amplifier"));
	pol_decision_release(&d);
	/* the editor's save and git's index.lock -> index */
	evaluate(config, "rename", "$W/foo.tmp $W/foo replaces", "development", 0.5, &d);
	assert_int_equal(d.challenge, POL_CHALLENGE_AUTO_APPROVE);
	pol_decision_release(&d);
	evaluate(config, "rename", "$W/.git/index.lock $W/.git/index replaces", "development", 0.5, &d);
	assert_int_equal(d.assessment.level, POL_LEVEL_LOW);
	pol_decision_release(&d);
	pol_config_free(config);
	/* a directory moved away takes its tree: a pattern naming the
	 * contents ("VAULT/") matches the move of the directory */
	config = config_from("risk:\n  amplifiers:\n    - pattern: \"VAULT/\"\n      target: path\n"
			     "      boost: 1.0\n");
	evaluate(config, "rename", "$W/VAULT $W/moved srcdir", "development", 0.5, &d);
	assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
	assert_non_null(factor(&d, "rename"));
	pol_decision_release(&d);
	pol_config_free(config);
	/* every name the decoder listed under a moved directory is scored as
	 * a removal; a list it could not finish makes the rename HIGH */
	{
		struct pol_engine *engine = NULL;
		struct pol_diag diag;
		char text[512];
		struct pol_action *a;

		config = config_from("risk:\n  amplifiers:\n    - pattern: \"keep/sub/db$\"\n"
				     "      target: path\n      boost: 1.0\n");
		assert_int_equal(pol_engine_new(config, &engine, &diag), 0);
		substitute("$W/keep $W/moved srcdir", text, sizeof(text));
		a = make_action("rename", text, "development");
		substitute("$W/keep/sub/db", text, sizeof(text));
		assert_int_equal(pol_strv_push(&a->rename_tree, text, strlen(text)), 0);
		assert_int_equal(pol_engine_evaluate(engine, a, 0.5, false, &d), 0);
		assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
		pol_decision_release(&d);
		pol_strv_release(&a->rename_tree);
		a->rename_tree_truncated = true;
		assert_int_equal(pol_engine_evaluate(engine, a, 0.5, false, &d), 0);
		assert_true(d.assessment.level >= POL_LEVEL_HIGH);
		pol_decision_release(&d);
		pol_action_free(a);
		pol_engine_free(engine);
		pol_config_free(config);
	}
	/* an override for `rename` raises it, and cannot lower it below the
	 * removal it makes */
	config = config_from("risk:\n  overrides:\n    rename: critical\n");
	evaluate(config, "rename", "$W/a $W/b", "development", 0.5, &d);
	assert_int_equal(d.assessment.level, POL_LEVEL_CRITICAL);
	pol_decision_release(&d);
	pol_config_free(config);
	config = config_from("risk:\n  overrides:\n    rename: low\n");
	evaluate(config, "rename", "$HOME/.ssh/id_rsa $W/key", "development", 0.5, &d);
	evaluate(config, "unlink", "$HOME/.ssh/id_rsa", "development", 0.5, &u);
	assert_true(d.assessment.level >= u.assessment.level);
	assert_true(d.assessment.level > POL_LEVEL_LOW);
	pol_decision_release(&d);
	pol_decision_release(&u);
	pol_config_free(config);
}

static void test_pol_engine_new_missing_profile(void **state)
{
	char yaml[512];
	struct pol_config *config;
	struct pol_engine *engine = NULL;
	struct pol_diag diag;

	(void)state;
	snprintf(yaml, sizeof(yaml), "domain: nosuchprofile\ndomain_paths: [\"%s\"]\n", workspace);
	config = config_from(yaml);
	config->domain_strict = true;
	assert_int_equal(pol_engine_new(config, &engine, &diag), -ENOENT);
	assert_non_null(strstr(diag.message, "nosuchprofile"));
	config->domain_strict = false;
	assert_int_equal(pol_engine_new(config, &engine, &diag), 0);
	pol_engine_free(engine);
	pol_config_free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_engine_evaluate_calibration_table),
		cmocka_unit_test(test_pol_engine_evaluate_environment_multipliers),
		cmocka_unit_test(test_pol_engine_evaluate_override_skips_multiplier),
		cmocka_unit_test(test_pol_engine_evaluate_critical_skips_multiplier),
		cmocka_unit_test(test_pol_engine_evaluate_amplifier_targets),
		cmocka_unit_test(test_pol_engine_evaluate_trust_keeps_critical),
		cmocka_unit_test(test_pol_engine_evaluate_challenge_by_level),
		cmocka_unit_test(test_pol_engine_evaluate_novelty_counts),
		cmocka_unit_test(test_pol_engine_evaluate_escalation_actions),
		cmocka_unit_test(test_pol_engine_evaluate_rename_as_removal),
		cmocka_unit_test(test_pol_engine_new_missing_profile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
