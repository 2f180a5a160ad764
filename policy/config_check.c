/*
 * Checks of a loaded config beyond its schema (config_check.h). The
 * locations come from reading the file again into the loader's tree
 * (config_yaml.c): only to point at a key, never to decide anything.
 */
#include "config_check.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "pol_limits.h"

/* The environments the engine knows (engine.c env_multiplier; any other
 * name is multiplied by 1.0, as "ci"). */
static const char *const known_envs[] = { "development", "staging", "ci", "production" };

static const struct cfg_node *map_get(const struct cfg_node *map, const char *key, size_t klen,
				      const struct cfg_node **ret_key)
{
	if (!map || map->kind != CFG_MAPPING)
		return NULL;
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const struct cfg_node *k = map->items[i];

		if (k->kind == CFG_SCALAR && k->len == klen && !memcmp(k->text, key, klen)) {
			if (ret_key)
				*ret_key = k;
			return map->items[i + 1];
		}
	}
	return NULL;
}

/* The node at a dotted key, or NULL. */
static const struct cfg_node *find_key(const struct cfg_node *root, const char *key)
{
	const struct cfg_node *at = root;

	while (at && *key) {
		size_t n = strcspn(key, ".");

		at = map_get(at, key, n, NULL);
		key += n;
		if (*key == '.')
			key++;
	}
	return at;
}

/* The file's tree, or NULL (defaults, unreadable, no longer parses). */
static struct cfg_node *load_tree(const struct pol_config *config)
{
	struct cfg_node *root = NULL;
	struct pol_diag ignored;
	size_t len = 0;
	char *buf = NULL;

	if (!config->source || !strcmp(config->source, "<default>"))
		return NULL;
	if (config_read_file(config->source, &buf, &len, &ignored) < 0)
		return NULL;
	if (cfg_tree_parse(config->source, buf, len, &root, &ignored) < 0)
		root = NULL;
	free(buf);
	return root;
}

static void set_at(struct pol_diag *diag, const struct pol_config *config, const struct cfg_node *at)
{
	snprintf(diag->file, sizeof(diag->file), "%s", config->source ? config->source : "<default>");
	if (at) {
		diag->line = at->line;
		diag->column = at->column;
	}
}

void pol_config_locate(const struct pol_config *config, const char *key, struct pol_diag *diag)
{
	struct cfg_node *root = load_tree(config);

	set_at(diag, config, root ? find_key(root, key) : NULL);
	cfg_node_free(root);
}

int pol_config_check_run(const struct pol_config *config, struct pol_diag *diag)
{
	if (config->approvals_backend == POL_APPROVALS_POSTGRES && !config->fleet_database) {
		pol_diag_set(diag, NULL, 0, 0, "approvals.backend: postgres needs fleet.database "
			     "(a libpq connection string; docs/approvals.md)");
		pol_config_locate(config, "approvals.backend", diag);
		return -EINVAL;
	}
	if (config->approval_group) {
		struct group gr, *res = NULL;
		char buf[4096];

		if (getgrnam_r(config->approval_group, &gr, buf, sizeof buf, &res) != 0 || !res) {
			pol_diag_set(diag, NULL, 0, 0, "unknown gate.approval_group '%s' (no such group)",
				     config->approval_group);
			pol_config_locate(config, "gate.approval_group", diag);
			return -ENOENT;
		}
	}
	return 0;
}

/* Levenshtein distance, capped (names are short). */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static bool warn_environment(const struct pol_config *config, const struct cfg_node *root,
			     pol_config_warn_fn warn, void *ctx)
{
	const char *env = config->environment, *best = NULL;
	unsigned best_d = 99;
	struct pol_diag w;

	if (!env)
		return false;
	for (size_t i = 0; i < sizeof(known_envs) / sizeof(known_envs[0]); i++) {
		unsigned d = distance(env, known_envs[i]);
		/* a typo: about one edit in three letters ("producton") */
		unsigned near = strlen(known_envs[i]) / 3 ? (unsigned)strlen(known_envs[i]) / 3 : 1;

		if (!strcasecmp(env, known_envs[i]))
			return false;
		if (d <= near && d < best_d) {
			best_d = d;
			best = known_envs[i];
		}
	}
	memset(&w, 0, sizeof(w));
	if (best)
		pol_diag_set(&w, NULL, 0, 0, "warning: unknown environment '%s' in 'gate.environment' "
			     "(multiplier 1.0); did you mean '%s'?", env, best);
	else
		pol_diag_set(&w, NULL, 0, 0, "warning: unknown environment '%s' in 'gate.environment' "
			     "(multiplier 1.0; known: development, staging, ci, production)", env);
	set_at(&w, config, root ? find_key(root, "gate.environment") : NULL);
	warn(&w, ctx);
	return true;
}

static unsigned warn_amplifiers(const struct pol_config *config, const struct cfg_node *root,
				pol_config_warn_fn warn, void *ctx)
{
	const struct cfg_node *seq = root ? find_key(root, "risk.amplifiers") : NULL;
	unsigned n = 0;

	if (!seq || seq->kind != CFG_SEQUENCE)
		return 0;
	for (size_t i = 0; i < seq->count; i++) {
		const struct cfg_node *item = seq->items[i], *pattern;
		struct pol_diag w;

		if (item->kind != CFG_MAPPING || map_get(item, "target", 6, NULL))
			continue;
		pattern = map_get(item, "pattern", 7, NULL);
		memset(&w, 0, sizeof(w));
		pol_diag_set(&w, NULL, 0, 0, "warning: 'risk.amplifiers[%zu]' has no 'target': pattern "
			     "'%s' is matched against the program / function name only, as the "
			     "reference does (write 'target: any' to match arguments too, or "
			     "'target: name' to say so)", i,
			     pattern && pattern->kind == CFG_SCALAR ? pattern->text : "?");
		set_at(&w, config, item);
		warn(&w, ctx);
		n++;
	}
	return n;
}

/* trust.max_age_seconds bounds the postgres cache only (docs/trust.md) */
static bool warn_trust(const struct pol_config *config, const struct cfg_node *root,
		       pol_config_warn_fn warn, void *ctx)
{
	const struct cfg_node *at = root ? find_key(root, "trust.max_age_seconds") : NULL;
	struct pol_diag w;

	if (!at || config->trust_backend == POL_TRUST_BACKEND_POSTGRES)
		return false;
	memset(&w, 0, sizeof(w));
	pol_diag_set(&w, NULL, 0, 0, "warning: 'trust.max_age_seconds' has no effect with "
		     "'trust.backend: file' (it bounds the age of trust read from the fleet "
		     "database)");
	set_at(&w, config, at);
	warn(&w, ctx);
	return true;
}

unsigned pol_config_warnings(const struct pol_config *config, pol_config_warn_fn warn, void *ctx)
{
	struct cfg_node *root = load_tree(config);
	unsigned n = 0;

	n += warn_environment(config, root, warn, ctx);
	n += warn_amplifiers(config, root, warn, ctx);
	n += warn_trust(config, root, warn, ctx);
	cfg_node_free(root);
	return n;
}
