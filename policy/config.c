/*
 * Loading attesta.yaml (config.h): read the file with a size cap, parse it
 * into a tree (config_yaml.c), check it against the schema into a fresh
 * config filled with defaults (config_schema.c), and hand over either the
 * whole config or nothing. The file is untrusted; this file trusts only
 * the caller's path and the limits of pol_limits.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "file_read.h"
#include "pol_limits.h"
#include "regex.h"

int cfg_strv_push(struct pol_strv *v, const char *s)
{
	char *copy;

	if (v->count + 1 >= v->capacity) {
		size_t cap = v->capacity ? v->capacity * 2 : 4;
		char **items = realloc(v->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		v->items = items;
		v->capacity = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	v->items[v->count++] = copy;
	v->items[v->count] = NULL;
	return 0;
}

void cfg_strv_release(struct pol_strv *v)
{
	for (size_t i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->count = v->capacity = 0;
}

void pol_config_free(struct pol_config *config)
{
	if (!config)
		return;
	free(config->source);
	for (size_t i = 0; i < config->n_overrides; i++)
		free(config->overrides[i].function_name);
	free(config->overrides);
	for (size_t i = 0; i < config->n_amplifiers; i++) {
		free(config->amplifiers[i].pattern);
		pol_regex_free(config->amplifiers[i].regex);
	}
	free(config->amplifiers);
	free(config->trust_path);
	free(config->audit_backend);
	free(config->audit_path);
	free(config->audit_hmac_key_file);
	free(config->audit_tenant_id);
	cfg_strv_release(&config->domains);
	cfg_strv_release(&config->domain_paths);
	free(config->workspace);
	free(config->environment);
	free(config->agent_id);
	free(config->approval_socket);
	cfg_strv_release(&config->env_vars);
	cfg_strv_release(&config->allow_socket_families);
	free(config->escalation_command);
	free(config->approval_group);
	free(config->run_user);
	free(config->node_id);
	free(config->bundle);
	free(config->registry);
	free(config->attestation_pubkey);
	free(config->fleet_database);
	free(config);
}

static struct pol_config *config_new(const char *source)
{
	struct pol_config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fail_mode = POL_FAIL_DENY;
	c->minimum_review_seconds[POL_LEVEL_LOW] = 0;
	c->minimum_review_seconds[POL_LEVEL_MEDIUM] = 3;
	c->minimum_review_seconds[POL_LEVEL_HIGH] = 10;
	c->minimum_review_seconds[POL_LEVEL_CRITICAL] = 30;
	c->require_multi_party[POL_LEVEL_CRITICAL] = 2;
	c->timeout_seconds = 300;
	c->critical_always_verify = true;
	c->challenge_map[POL_LEVEL_LOW] = POL_CHALLENGE_AUTO_APPROVE;
	c->challenge_map[POL_LEVEL_MEDIUM] = POL_CHALLENGE_CONFIRM;
	c->challenge_map[POL_LEVEL_HIGH] = POL_CHALLENGE_QUIZ;
	c->challenge_map[POL_LEVEL_CRITICAL] = POL_CHALLENGE_TEACH_BACK;
	c->mode = POL_MODE_ENFORCE;
	c->quiz_pass_threshold = 0.8;
	c->teach_back_min_words = 10;

	c->trust_initial_score = 0.3;
	c->trust_ceiling = 0.9;
	c->trust_decay_rate = 0.01;
	c->trust_influence = 0.3;
	c->trust_incident_penalty = 0.7;
	c->trust_backend = POL_TRUST_BACKEND_FILE;
	c->trust_max_age_seconds = 60.0;

	c->audit_sync = POL_SYNC_TIERED;
	c->audit_sync_window_ms = 10;
	c->audit_ship_batch = 1000;
	c->audit_ship_interval_ms = 1000;

	c->domain_strict = true;

	c->intercept_exec = c->intercept_unlink = c->intercept_connect = true;
	c->renderer = POL_RENDERER_AUTO;
	c->deny_errno = EPERM;
	c->allow_io_uring = false;
	c->builtin_agent_profile = true;

	c->attestation_mode = POL_ATTEST_OFF;

	c->source = strdup(source);
	c->trust_path = strdup(".attesta/trust.json");
	c->audit_backend = strdup("legacy");
	c->audit_path = strdup(".attesta/audit.jsonl");
	c->audit_tenant_id = strdup("default");
	c->environment = strdup("development");
	c->agent_id = strdup("default");
	if (!c->source || !c->trust_path || !c->audit_backend || !c->audit_path ||
	    !c->audit_tenant_id || !c->environment || !c->agent_id) {
		pol_config_free(c);
		return NULL;
	}
	return c;
}

struct pol_config *pol_config_new_default(void)
{
	return config_new("<default>");
}

int pol_config_load_buffer(const char *name, const char *buf, size_t len,
			   struct pol_config **ret_config, struct pol_diag *diag)
{
	struct cfg_node *root = NULL;
	struct pol_config *config = NULL;
	int r;

	if (!name)
		name = "<buffer>";
	if (len > POL_CONFIG_MAX_BYTES) {
		pol_diag_set(diag, name, 0, 0, "config is too large (%zu bytes, at most %d)", len,
			     POL_CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	if (!buf && len)
		return pol_diag_set(diag, name, 0, 0, "no config data");
	r = cfg_tree_parse(name, buf ? buf : "", len, &root, diag);
	if (r < 0)
		goto out;
	config = config_new(name);
	if (!config) {
		r = -ENOMEM;
		goto out;
	}
	/* Everything lands in the fresh config; on any error it is freed
	 * whole, so a caller never sees a half-applied file. */
	r = cfg_schema_apply(name, buf ? buf : "", len, root, config, diag);
	if (r < 0)
		goto out;
	*ret_config = config;
	config = NULL;
	r = 0;
out:
	if (r == -ENOMEM)
		pol_diag_set(diag, name, 0, 0, "out of memory");
	pol_config_free(config);
	cfg_node_free(root);
	return r;
}

int config_read_file(const char *path, char **ret_buf, size_t *ret_len, struct pol_diag *diag)
{
	/* any type: --config /dev/stdin and process substitution are pipes */
	int r = pol_file_read(path, POL_CONFIG_MAX_BYTES, POL_READ_ANY_TYPE, ret_buf, ret_len);

	if (r == -EFBIG)
		pol_diag_set(diag, path, 0, 0, "config is too large (at most %d bytes)",
			     POL_CONFIG_MAX_BYTES);
	else if (r == -EISDIR)
		pol_diag_set(diag, path, 0, 0, "cannot read config: %s", strerror(EISDIR));
	else if (r < 0)
		pol_diag_set(diag, path, 0, 0, "cannot open config: %s", strerror(-r));
	return r;
}

int pol_config_load(const char *path, struct pol_config **ret_config, struct pol_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r = config_read_file(path, &buf, &len, diag);

	if (r < 0)
		return r;
	r = pol_config_load_buffer(path, buf, len, ret_config, diag);
	free(buf);
	return r;
}

int pol_config_load_or_default(const char *path, struct pol_config **ret_config,
			       struct pol_diag *diag)
{
	struct pol_config *config;
	int r;

	r = pol_config_load(path ? path : POL_CONFIG_DEFAULT_PATH, ret_config, diag);
	if (r != -ENOENT || path)
		return r;
	config = pol_config_new_default();
	if (!config) {
		pol_diag_set(diag, "<default>", 0, 0, "out of memory");
		return -ENOMEM;
	}
	*ret_config = config;
	return 0;
}

bool pol_config_user_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32 || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}
