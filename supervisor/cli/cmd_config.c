/*
 * `attesta config check [-c FILE | FILE] [--json]`: load a config exactly
 * as attesta-run would and say whether it is valid: "FILE: ok" on stdout,
 * or the loader's one-line "FILE:LINE:COLUMN: message" on stderr. With
 * --json, stdout gets a JSON object instead: the effective config on
 * success, the location and message on failure. Without a file argument
 * ./attesta.yaml is checked, and when it does not exist the built-in
 * defaults are (which is what attesta-run would use). It is the
 * authority: what attesta-run would refuse after loading (domain
 * profiles, policy/config_check.h) is refused here first, and probable
 * mistakes are warned about on stderr. The file is untrusted; all
 * checking is the policy library's.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "policy/config.h"
#include "policy/config_check.h"
#include "policy/engine.h"

#define DEFAULT_CONFIG POL_CONFIG_DEFAULT_PATH

static void config_usage(FILE *out)
{
	fprintf(out,
		"usage: attesta config check [-c FILE | FILE] [--json]\n"
		"\n"
		"Validate an attesta.yaml the way attesta-run loads it.\n"
		"Without FILE, ./" DEFAULT_CONFIG " is checked; if it does not exist the\n"
		"built-in defaults apply and are reported as valid.\n"
		"\n"
		"  -c, --config FILE  the config to check\n"
		"  --json             print a JSON object (effective config or error)\n"
		"  -h, --help         this help\n"
		"\n"
		"exit status: 0 valid, 1 invalid or unreadable, 2 usage\n");
}

static const char *const fail_mode_names[] = { "deny", "allow", "escalate" };
static const char *const mode_names[] = { "enforce", "shadow", "audit_only" };
static const char *const sync_names[] = { "tiered", "always", "off" };
static const char *const renderer_names[] = { "auto", "tty", "socket", "none" };
static const char *const attest_names[] = { "off", "advisory", "enforce" };

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *strv_json(const struct pol_strv *v)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < v->count; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->items[i]));
	return a;
}

static cJSON *policy_json(const struct pol_config *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *review, *multi, *map;

	cJSON_AddStringToObject(o, "fail_mode", fail_mode_names[c->fail_mode]);
	review = cJSON_AddObjectToObject(o, "minimum_review_seconds");
	multi = cJSON_AddObjectToObject(o, "require_multi_party");
	cJSON_AddNumberToObject(o, "timeout_seconds", c->timeout_seconds);
	cJSON_AddBoolToObject(o, "critical_always_verify", c->critical_always_verify);
	map = cJSON_AddObjectToObject(o, "challenge_map");
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++) {
		cJSON_AddNumberToObject(review, pol_level_name(i), c->minimum_review_seconds[i]);
		cJSON_AddNumberToObject(multi, pol_level_name(i), c->require_multi_party[i]);
		if (c->challenge_map_set[i])
			cJSON_AddStringToObject(map, pol_level_name(i),
						pol_challenge_name(c->challenge_map[i]));
	}
	cJSON_AddStringToObject(o, "mode", mode_names[c->mode]);
	cJSON_AddNumberToObject(o, "quiz_pass_threshold", c->quiz_pass_threshold);
	cJSON_AddNumberToObject(o, "teach_back_min_words", c->teach_back_min_words);
	return o;
}

static cJSON *risk_json(const struct pol_config *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *overrides = cJSON_AddObjectToObject(o, "overrides");
	cJSON *amps = cJSON_AddArrayToObject(o, "amplifiers");

	for (size_t i = 0; i < c->n_overrides; i++)
		cJSON_AddStringToObject(overrides, c->overrides[i].function_name,
					pol_level_name(c->overrides[i].level));
	for (size_t i = 0; i < c->n_amplifiers; i++) {
		cJSON *a = cJSON_CreateObject();

		cJSON_AddStringToObject(a, "pattern", c->amplifiers[i].pattern);
		cJSON_AddStringToObject(a, "target", pol_target_name(c->amplifiers[i].target));
		cJSON_AddNumberToObject(a, "boost", c->amplifiers[i].boost);
		cJSON_AddNumberToObject(a, "line", c->amplifiers[i].line);
		cJSON_AddItemToArray(amps, a);
	}
	return o;
}

static cJSON *config_json(const struct pol_config *c)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *o;

	cJSON_AddItemToObject(root, "policy", policy_json(c));
	cJSON_AddItemToObject(root, "risk", risk_json(c));

	o = cJSON_AddObjectToObject(root, "trust");
	cJSON_AddNumberToObject(o, "initial_score", c->trust_initial_score);
	cJSON_AddNumberToObject(o, "ceiling", c->trust_ceiling);
	cJSON_AddNumberToObject(o, "decay_rate", c->trust_decay_rate);
	cJSON_AddNumberToObject(o, "influence", c->trust_influence);
	cJSON_AddNumberToObject(o, "incident_penalty", c->trust_incident_penalty);
	cJSON_AddItemToObject(o, "path", str_or_null(c->trust_path));
	cJSON_AddStringToObject(o, "backend",
				c->trust_backend == POL_TRUST_BACKEND_POSTGRES ? "postgres" : "file");
	cJSON_AddNumberToObject(o, "max_age_seconds", c->trust_max_age_seconds);

	o = cJSON_AddObjectToObject(root, "audit");
	cJSON_AddItemToObject(o, "backend", str_or_null(c->audit_backend));
	cJSON_AddItemToObject(o, "path", str_or_null(c->audit_path));
	cJSON_AddStringToObject(o, "sync", sync_names[c->audit_sync]);
	cJSON_AddNumberToObject(o, "sync_window_ms", c->audit_sync_window_ms);
	cJSON_AddItemToObject(o, "hmac_key_file", str_or_null(c->audit_hmac_key_file));
	cJSON_AddItemToObject(o, "tenant_id", str_or_null(c->audit_tenant_id));
	cJSON_AddBoolToObject(o, "ship", c->audit_ship);
	cJSON_AddNumberToObject(o, "ship_batch", c->audit_ship_batch);
	cJSON_AddNumberToObject(o, "ship_interval_ms", c->audit_ship_interval_ms);

	cJSON_AddItemToObject(root, "domain", strv_json(&c->domains));
	cJSON_AddBoolToObject(root, "domain_strict", c->domain_strict);
	cJSON_AddItemToObject(root, "domain_paths", strv_json(&c->domain_paths));

	o = cJSON_AddObjectToObject(root, "gate");
	{
		cJSON *intercept = cJSON_AddArrayToObject(o, "intercept");

		if (c->intercept_exec)
			cJSON_AddItemToArray(intercept, cJSON_CreateString("exec"));
		if (c->intercept_unlink)
			cJSON_AddItemToArray(intercept, cJSON_CreateString("unlink"));
		if (c->intercept_connect)
			cJSON_AddItemToArray(intercept, cJSON_CreateString("connect"));
	}
	cJSON_AddItemToObject(o, "workspace", str_or_null(c->workspace));
	cJSON_AddItemToObject(o, "environment", str_or_null(c->environment));
	cJSON_AddItemToObject(o, "agent_id", str_or_null(c->agent_id));
	cJSON_AddStringToObject(o, "renderer", renderer_names[c->renderer]);
	cJSON_AddItemToObject(o, "approval_socket", str_or_null(c->approval_socket));
	cJSON_AddNumberToObject(o, "deny_errno", c->deny_errno);
	cJSON_AddBoolToObject(o, "allow_io_uring", c->allow_io_uring);
	cJSON_AddBoolToObject(o, "builtin_agent_profile", c->builtin_agent_profile);
	cJSON_AddItemToObject(o, "env_vars", strv_json(&c->env_vars));
	cJSON_AddItemToObject(o, "allow_socket_families", strv_json(&c->allow_socket_families));
	cJSON_AddItemToObject(o, "escalation_command", str_or_null(c->escalation_command));
	cJSON_AddItemToObject(o, "user", str_or_null(c->run_user));

	o = cJSON_AddObjectToObject(root, "attestation");
	cJSON_AddStringToObject(o, "mode", attest_names[c->attestation_mode]);
	cJSON_AddItemToObject(o, "node_id", str_or_null(c->node_id));
	cJSON_AddItemToObject(o, "bundle", str_or_null(c->bundle));
	cJSON_AddItemToObject(o, "registry", str_or_null(c->registry));
	cJSON_AddItemToObject(o, "pubkey", str_or_null(c->attestation_pubkey));
	cJSON_AddNumberToObject(o, "grace_seconds", c->attestation_grace_seconds);

	o = cJSON_AddObjectToObject(root, "fleet");
	cJSON_AddItemToObject(o, "database", str_or_null(c->fleet_database));
	return root;
}

static int print_json(cJSON *root)
{
	char *text = root ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	if (!text) {
		fprintf(stderr, "attesta: out of memory\n");
		return -ENOMEM;
	}
	printf("%s\n", text);
	cJSON_free(text);
	return 0;
}

static int report_invalid(const char *shown, const struct pol_diag *diag, bool json)
{
	char line[1200];
	cJSON *root;

	pol_diag_format(diag, line, sizeof(line));
	fprintf(stderr, "attesta: %s\n", line);
	if (json) {
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "file", shown);
		cJSON_AddBoolToObject(root, "ok", false);
		cJSON_AddNumberToObject(root, "line", diag->line);
		cJSON_AddNumberToObject(root, "column", diag->column);
		cJSON_AddStringToObject(root, "message", diag->message);
		print_json(root);
	}
	return CLI_EXIT_INVALID;
}

/* What attesta-run refuses in a config that loads: domain profiles it
 * cannot find or parse (it builds the same engine), then the shared
 * checks of policy/config_check.c. */
static int check_like_run(const struct pol_config *config, struct pol_diag *diag)
{
	struct pol_engine *engine = NULL;
	int r = pol_engine_new(config, &engine, diag);

	if (r < 0) {
		if (!diag->line)
			pol_config_locate(config, "domain", diag);
		return r;
	}
	pol_engine_free(engine);
	return pol_config_check_run(config, diag);
}

static void print_warning(const struct pol_diag *warning, void *ctx)
{
	char line[1200];

	pol_diag_format(warning, line, sizeof(line));
	fprintf(stderr, "attesta: %s\n", line);
	if (ctx)
		cJSON_AddItemToArray((cJSON *)ctx, cJSON_CreateString(line));
}

static int config_check(const char *path, bool json)
{
	struct pol_config *config = NULL;
	struct pol_diag diag = { .line = 0 };
	const char *shown = path ? path : DEFAULT_CONFIG;
	bool defaults = false;
	cJSON *root = NULL, *warnings = NULL;
	int r;

	/* attesta-run without -c and without ./attesta.yaml runs on the
	 * defaults; say so rather than fail. */
	r = pol_config_load_or_default(path, &config, &diag);
	if (r < 0)
		return report_invalid(shown, &diag, json);
	if (!strcmp(config->source, "<default>"))
		defaults = true;
	if (check_like_run(config, &diag) < 0) {
		pol_config_free(config);
		return report_invalid(shown, &diag, json);
	}
	if (json) {
		root = cJSON_CreateObject();
		warnings = cJSON_CreateArray();
	}
	pol_config_warnings(config, print_warning, warnings);
	if (json) {
		cJSON_AddStringToObject(root, "file", defaults ? "<default>" : shown);
		cJSON_AddBoolToObject(root, "ok", true);
		cJSON_AddBoolToObject(root, "defaults", defaults);
		cJSON_AddItemToObject(root, "warnings", warnings);
		cJSON_AddItemToObject(root, "config", config_json(config));
		r = print_json(root);
	} else if (defaults) {
		printf("<default>: ok (no ./%s, built-in defaults)\n", DEFAULT_CONFIG);
	} else {
		printf("%s: ok\n", shown);
	}
	pol_config_free(config);
	return r < 0 ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

int cmd_config(int argc, char **argv)
{
	static const struct cli_file_operand operand = {
		.noun = "config file", .verb = "checked", .dashdash = true, .usage = config_usage,
	};
	const char *path = NULL;
	bool json = false;

	if (argc < 2) {
		config_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		config_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "check")) {
		fprintf(stderr, "attesta: unknown config command '%s'\n", argv[1]);
		config_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			config_usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(arg, "--json")) {
			json = true;
		} else if ((rc = cli_file_operand_take(&operand, argc, argv, &i, &path))) {
			return rc;
		}
	}
	return config_check(path, json);
}
