/*
 * Domain profile files (YAML, schema in docs/profiles.md). A profile file
 * is operator input that may come from a bundle or a shared directory, so
 * it is parsed with the config loader's bounded YAML tree builder (caps of
 * pol_limits.h, no aliases, UTF-8 only) and then validated whole: unknown
 * keys, wrong types, out-of-range numbers, invalid regexes and escalation
 * conditions the reference would silently ignore are all rejected with
 * file:line:column. Nothing is returned unless everything is valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "config_internal.h"
#include "domain.h"
#include "file_read.h"
#include "pol_limits.h"
#include "pystr.h"

struct loader {
	const char *name;
	struct pol_domain_profile *profile;
	struct pol_diag *diag;
};

static int fail(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pol_diag_set(l->diag, l->name, at ? at->line : 0, at ? at->column : 0, "%s", msg);
}

static int want(struct loader *l, const struct cfg_node *n, enum cfg_kind kind, const char *path)
{
	static const char *const kinds[] = { "a scalar", "a list", "a mapping" };

	if (n->kind != kind)
		return fail(l, n, "'%s' must be %s", path, kinds[kind]);
	return 0;
}

static int read_string(struct loader *l, const struct cfg_node *n, const char *path, const char **ret)
{
	int r = want(l, n, CFG_SCALAR, path);

	if (r < 0)
		return r;
	if (strlen(n->text) != n->len)
		return fail(l, n, "'%s' contains a NUL byte", path);
	*ret = n->text;
	return 0;
}

static int read_number(struct loader *l, const struct cfg_node *n, const char *path,
		       double min, double max, double *ret)
{
	char *end;
	double v;
	int r = want(l, n, CFG_SCALAR, path);

	if (r < 0)
		return r;
	if (!n->plain || !n->len)
		return fail(l, n, "'%s' must be a number", path);
	v = pol_strtod_c(n->text);
	strtod(n->text, &end);
	if (*end || !isfinite(v))
		return fail(l, n, "'%s' must be a number, not '%.40s'", path, n->text);
	if (v < min || v > max)
		return fail(l, n, "'%s' must be between %g and %g, not %g", path, min, max, v);
	*ret = v;
	return 0;
}

static int read_strv(struct loader *l, const struct cfg_node *n, const char *path, struct pol_strv *v)
{
	int r = want(l, n, CFG_SEQUENCE, path);

	for (size_t i = 0; r == 0 && i < n->count; i++) {
		const char *s;

		r = read_string(l, n->items[i], path, &s);
		if (r == 0 && pol_strv_push(v, s, strlen(s)) < 0)
			r = -ENOMEM;
	}
	return r;
}

/* Check that every key of mapping n is in keys (NULL-terminated). */
static int check_keys(struct loader *l, const struct cfg_node *n, const char *path,
		      const char *const *keys)
{
	int r = want(l, n, CFG_MAPPING, path);

	for (size_t i = 0; r == 0 && i < n->count; i += 2) {
		const struct cfg_node *k = n->items[i];
		bool known = false;

		if (k->kind != CFG_SCALAR)
			return fail(l, k, "keys in '%s' must be scalars", path);
		for (size_t j = 0; keys[j] && !known; j++)
			known = !strcmp(keys[j], k->text);
		if (!known)
			return fail(l, k, "unknown key '%.64s' in '%s'", k->text, path);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(n->items[j]->text, k->text))
				return fail(l, k, "duplicate key '%.64s' in '%s'", k->text, path);
	}
	return r;
}

static const struct cfg_node *get(const struct cfg_node *map, const char *key)
{
	for (size_t i = 0; i < map->count; i += 2)
		if (!strcmp(map->items[i]->text, key))
			return map->items[i + 1];
	return NULL;
}

static int load_pattern(struct loader *l, const struct cfg_node *n, size_t index)
{
	static const char *const keys[] = { "pattern", "target", "risk_contribution", "contribution",
					    "name", "description", "compliance_refs", NULL };
	const struct cfg_node *v;
	const char *pattern, *target = "any", *name = NULL, *description = "";
	enum pol_domain_target t;
	double c = -1;
	char path[64], err[256] = "";
	int r;

	snprintf(path, sizeof(path), "risk_patterns[%zu]", index);
	if ((r = check_keys(l, n, path, keys)) < 0)
		return r;
	if (!(v = get(n, "pattern")))
		return fail(l, n, "'%s' needs a 'pattern'", path);
	if ((r = read_string(l, v, "pattern", &pattern)) < 0)
		return r;
	if ((v = get(n, "target")) && (r = read_string(l, v, "target", &target)) < 0)
		return r;
	if (pol_domain_target_parse(target, &t) < 0)
		return fail(l, v, "unknown target '%.40s' in '%s' (function_name, args, kwargs, docstring, any, path, host)",
			    target, path);
	if (get(n, "risk_contribution") && get(n, "contribution"))
		return fail(l, get(n, "contribution"), "'%s' has both 'risk_contribution' and 'contribution'", path);
	v = get(n, "risk_contribution") ? get(n, "risk_contribution") : get(n, "contribution");
	if (!v)
		return fail(l, n, "'%s' needs a 'risk_contribution'", path);
	if ((r = read_number(l, v, "risk_contribution", 0.0, 1.0, &c)) < 0)
		return r;
	if (!(v = get(n, "name")))
		return fail(l, n, "'%s' needs a 'name'", path);
	if ((r = read_string(l, v, "name", &name)) < 0)
		return r;
	if ((v = get(n, "description")) && (r = read_string(l, v, "description", &description)) < 0)
		return r;
	r = pol_domain_add_pattern(l->profile, name, description, pattern, t, c, err, sizeof(err));
	if (r == -EINVAL || r == -E2BIG)
		return fail(l, get(n, "pattern"), "invalid regex in '%s': %s", path, err);
	if (r < 0)
		return r;
	if ((v = get(n, "compliance_refs")))
		return read_strv(l, v, "compliance_refs",
				 &l->profile->patterns[l->profile->n_patterns - 1].compliance_refs);
	return 0;
}

static int load_escalation(struct loader *l, const struct cfg_node *n, size_t index)
{
	static const char *const keys[] = { "condition", "action", "required_approvers", "notify_roles",
					    "description", NULL };
	struct pol_escalation rule = { .required_approvers = 2 };
	const struct cfg_node *v;
	const char *s;
	char path[64];
	double num;
	int r;

	snprintf(path, sizeof(path), "escalation_rules[%zu]", index);
	if ((r = check_keys(l, n, path, keys)) < 0)
		return r;
	if (!(v = get(n, "condition")))
		return fail(l, n, "'%s' needs a 'condition'", path);
	if ((r = read_string(l, v, "condition", &s)) < 0)
		goto out;
	rule.condition = strdup(s);
	if (!rule.condition) {
		r = -ENOMEM;
		goto out;
	}
	r = pol_escalation_parse_condition(s, &rule);
	if (r == -EINVAL) {
		r = fail(l, v, "unknown condition '%.80s' in '%s' (risk_score OP NUMBER, matches_pattern:NAME, "
			 "environment:NAME, risk_level:LEVEL)", s, path);
		goto out;
	}
	if (r < 0)
		goto out;
	if (!(v = get(n, "action"))) {
		r = fail(l, n, "'%s' needs an 'action'", path);
		goto out;
	}
	if ((r = read_string(l, v, "action", &s)) < 0)
		goto out;
	if (pol_escalation_action_parse(s, &rule.action) < 0) {
		r = fail(l, v, "unknown action '%.40s' in '%s' (block, require_multi_party, require_teach_back, "
			 "require_confirmation, notify_compliance)", s, path);
		goto out;
	}
	if ((v = get(n, "required_approvers"))) {
		if ((r = read_number(l, v, "required_approvers", 1, 100, &num)) < 0)
			goto out;
		if (num != floor(num)) {
			r = fail(l, v, "'required_approvers' must be an integer");
			goto out;
		}
		rule.required_approvers = (unsigned)num;
	}
	s = "";
	if ((v = get(n, "description")) && (r = read_string(l, v, "description", &s)) < 0)
		goto out;
	rule.description = strdup(s);
	if (!rule.description) {
		r = -ENOMEM;
		goto out;
	}
	if ((v = get(n, "notify_roles")) && (r = read_strv(l, v, "notify_roles", &rule.notify_roles)) < 0)
		goto out;
	r = pol_domain_add_escalation(l->profile, &rule);
out:
	pol_escalation_release(&rule);
	return r;
}

/* Challenge templates are validated for compatibility but not used: the
 * challenges of docs/challenges.md draw their questions from the action itself. */
static int check_template(struct loader *l, const struct cfg_node *n, size_t index)
{
	static const char *const keys[] = { "question_template", "answer_hints", "context_vars",
					    "challenge_type", "min_risk_level", NULL };
	const struct cfg_node *v;
	enum pol_level level;
	const char *s;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "challenge_templates[%zu]", index);
	if ((r = check_keys(l, n, path, keys)) < 0)
		return r;
	if ((v = get(n, "challenge_type"))) {
		if ((r = read_string(l, v, "challenge_type", &s)) < 0)
			return r;
		if (strcmp(s, "quiz") && strcmp(s, "teach_back"))
			return fail(l, v, "unknown challenge_type '%.40s' (quiz, teach_back)", s);
	}
	if ((v = get(n, "min_risk_level"))) {
		if ((r = read_string(l, v, "min_risk_level", &s)) < 0)
			return r;
		if (pol_level_parse(s, &level) < 0)
			return fail(l, v, "unknown level '%.40s'", s);
	}
	return 0;
}

static int load_root(struct loader *l, const struct cfg_node *root)
{
	static const char *const keys[] = { "name", "display_name", "description", "risk_patterns",
		"sensitive_terms", "critical_actions", "safe_actions", "compliance_frameworks",
		"escalation_rules", "challenge_templates", "min_review_overrides", "base_risk_floor",
		"production_multiplier", "required_vocabulary", NULL };
	struct pol_domain_profile *p = l->profile;
	const struct cfg_node *v;
	char err[256] = "";
	int r;

	if ((r = check_keys(l, root, "profile", keys)) < 0)
		return r;
	if (!(v = get(root, "name")))
		return fail(l, root, "a profile needs a 'name'");
	for (size_t i = 0; i < 3; i++) {
		static const char *const str_keys[] = { "name", "display_name", "description" };
		char **field = i == 0 ? &p->name : i == 1 ? &p->display_name : &p->description;
		const char *s;

		if (!(v = get(root, str_keys[i])))
			continue;
		if ((r = read_string(l, v, str_keys[i], &s)) < 0)
			return r;
		if (i == 0 && (!s[0] || strchr(s, '/') || strchr(s, '+')))
			return fail(l, v, "profile name '%.40s' must be non-empty without '/' or '+'", s);
		free(*field);
		*field = strdup(s);
		if (!*field)
			return -ENOMEM;
	}
	/* display_name and description default to the name. */
	for (size_t i = 1; i < 3; i++) {
		char **field = i == 1 ? &p->display_name : &p->description;

		if (get(root, i == 1 ? "display_name" : "description"))
			continue;
		free(*field);
		*field = strdup(p->name);
		if (!*field)
			return -ENOMEM;
	}
	if ((v = get(root, "risk_patterns"))) {
		if ((r = want(l, v, CFG_SEQUENCE, "risk_patterns")) < 0)
			return r;
		for (size_t i = 0; i < v->count; i++)
			if ((r = load_pattern(l, v->items[i], i)) < 0)
				return r;
	}
	if ((v = get(root, "sensitive_terms"))) {
		if ((r = want(l, v, CFG_MAPPING, "sensitive_terms")) < 0)
			return r;
		for (size_t i = 0; i < v->count; i += 2) {
			double w;

			if (v->items[i]->kind != CFG_SCALAR || !v->items[i]->len)
				return fail(l, v->items[i], "keys in 'sensitive_terms' must be words");

			if ((r = read_number(l, v->items[i + 1], "sensitive_terms", 0.0, 1.0, &w)) < 0)
				return r;
			r = pol_domain_add_term(p, v->items[i]->text, w, err, sizeof(err));
			if (r == -EINVAL || r == -E2BIG)
				return fail(l, v->items[i], "invalid sensitive term: %s", err);
			if (r < 0)
				return r;
		}
	}
	for (int critical = 1; critical >= 0; critical--) {
		const char *key = critical ? "critical_actions" : "safe_actions";

		if (!(v = get(root, key)))
			continue;
		if ((r = want(l, v, CFG_SEQUENCE, key)) < 0)
			return r;
		for (size_t i = 0; i < v->count; i++) {
			const char *glob;

			if ((r = read_string(l, v->items[i], key, &glob)) < 0)
				return r;
			r = pol_domain_add_action(p, critical, glob, err, sizeof(err));
			if (r == -EINVAL || r == -E2BIG)
				return fail(l, v->items[i], "invalid pattern in '%s': %s", key, err);
			if (r < 0)
				return r;
		}
	}
	if ((v = get(root, "compliance_frameworks")) &&
	    (r = read_strv(l, v, "compliance_frameworks", &p->compliance_frameworks)) < 0)
		return r;
	if ((v = get(root, "required_vocabulary")) &&
	    (r = read_strv(l, v, "required_vocabulary", &p->required_vocabulary)) < 0)
		return r;
	if ((v = get(root, "escalation_rules"))) {
		if ((r = want(l, v, CFG_SEQUENCE, "escalation_rules")) < 0)
			return r;
		for (size_t i = 0; i < v->count; i++)
			if ((r = load_escalation(l, v->items[i], i)) < 0)
				return r;
	}
	if ((v = get(root, "challenge_templates"))) {
		if ((r = want(l, v, CFG_SEQUENCE, "challenge_templates")) < 0)
			return r;
		for (size_t i = 0; i < v->count; i++)
			if ((r = check_template(l, v->items[i], i)) < 0)
				return r;
	}
	if ((v = get(root, "min_review_overrides"))) {
		if ((r = want(l, v, CFG_MAPPING, "min_review_overrides")) < 0)
			return r;
		for (size_t i = 0; i < v->count; i += 2) {
			enum pol_level level;

			if (v->items[i]->kind != CFG_SCALAR)
				return fail(l, v->items[i], "keys in 'min_review_overrides' must be levels");

			if (pol_level_parse(v->items[i]->text, &level) < 0)
				return fail(l, v->items[i], "unknown level '%.40s' in 'min_review_overrides'",
					    v->items[i]->text);
			if ((r = read_number(l, v->items[i + 1], "min_review_overrides", 0, 86400,
					     &p->min_review[level])) < 0)
				return r;
		}
	}
	if ((v = get(root, "base_risk_floor")) &&
	    (r = read_number(l, v, "base_risk_floor", 0.0, 1.0, &p->base_risk_floor)) < 0)
		return r;
	if ((v = get(root, "production_multiplier")) &&
	    (r = read_number(l, v, "production_multiplier", 0.0, 100.0, &p->production_multiplier)) < 0)
		return r;
	return 0;
}

int pol_domain_load_buffer(const char *name, const char *buf, size_t len,
			   struct pol_domain_profile **ret_profile, struct pol_diag *diag)
{
	struct loader l = { .name = name, .diag = diag };
	struct cfg_node *root = NULL;
	int r;

	if (len > POL_CONFIG_MAX_BYTES)
		return pol_diag_set(diag, name, 0, 0, "profile larger than %d bytes", POL_CONFIG_MAX_BYTES),
		       -EFBIG;
	r = cfg_tree_parse(name, buf, len, &root, diag);
	if (r < 0)
		return r;
	if (!root)
		return pol_diag_set(diag, name, 1, 1, "empty profile");
	l.profile = pol_domain_new("profile");
	if (!l.profile) {
		r = -ENOMEM;
		goto out;
	}
	r = load_root(&l, root);
	if (r == 0) {
		*ret_profile = l.profile;
		l.profile = NULL;
	}
out:
	pol_domain_free(l.profile);
	cfg_node_free(root);
	return r;
}

int pol_domain_load(const char *path, struct pol_domain_profile **ret_profile, struct pol_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = pol_file_read(path, POL_CONFIG_MAX_BYTES, 0, &buf, &len);
	if (r < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read profile: %s", pol_file_read_strerror(r));
		return r;
	}
	r = pol_domain_load_buffer(path, buf, len, ret_profile, diag);
	free(buf);
	return r;
}

/* A signed bundle is the policy (docs/fleet.md): its profiles/NAME.yaml
 * (or .yml) and nothing from the file system. */
static int find_in_bundle(const struct pol_config *config, const char *name,
			  struct pol_domain_profile **ret_profile, struct pol_diag *diag)
{
	static const char *const exts[] = { "yaml", "yml" };
	char member[POL_TARGET_MAX_PATH], label[POL_TARGET_MAX_PATH + 64];

	for (size_t k = 0; k < 2; k++) {
		const char *data;
		size_t len;
		struct pol_domain_profile *p = NULL;
		int r;

		snprintf(member, sizeof(member), "%s%s.%s", POL_BUNDLE_PROFILE_DIR, name, exts[k]);
		if (pol_bundle_member(config->profile_bundle, member, &data, &len) < 0)
			continue;
		snprintf(label, sizeof(label), "%s:%s", config->source ? config->source : "<bundle>",
			 member);
		r = pol_domain_load_buffer(label, data, len, &p, diag);
		if (r < 0)
			return r;
		if (strcmp(p->name, name)) {
			r = pol_diag_set(diag, label, 0, 0, "profile names profile '%.64s', not '%.64s'",
					 p->name, name);
			pol_domain_free(p);
			return r;
		}
		*ret_profile = p;
		return 0;
	}
	pol_diag_set(diag, config->source ? config->source : "<bundle>", 0, 0,
		     "domain profile '%.64s' is not in the bundle (profiles/%.64s.yaml)", name, name);
	return -ENOENT;
}

int pol_domain_find(const struct pol_config *config, const char *name,
		    struct pol_domain_profile **ret_profile, struct pol_diag *diag)
{
	static const char *const defaults[] = { "profiles", ".attesta/profiles" };
	static const char *const exts[] = { "yaml", "yml" };
	size_t n_paths = config->domain_paths.count;
	char path[POL_TARGET_MAX_PATH];

	/* SECURITY: the name comes from the config; it must not walk out of
	 * the search directories. */
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return pol_diag_set(diag, config->source ? config->source : "<config>", 0, 0,
				    "invalid domain profile name '%.64s'", name);
	if (config->profile_bundle)
		return find_in_bundle(config, name, ret_profile, diag);
	for (size_t i = 0; i < n_paths + 2; i++) {
		const char *dir = i < n_paths ? config->domain_paths.items[i] : defaults[i - n_paths];

		for (size_t k = 0; k < 2; k++) {
			int r;

			snprintf(path, sizeof(path), "%s/%s.%s", dir, name, exts[k]);
			if (access(path, F_OK) < 0)
				continue;
			struct pol_domain_profile *p = NULL;

			r = pol_domain_load(path, &p, diag);
			if (r < 0)
				return r;
			if (strcmp(p->name, name)) {
				r = pol_diag_set(diag, path, 0, 0, "profile file names profile '%.64s', not '%.64s'",
						 p->name, name);
				pol_domain_free(p);
				return r;
			}
			*ret_profile = p;
			return 0;
		}
	}
	pol_diag_set(diag, config->source ? config->source : "<config>", 0, 0,
		     "domain profile '%.64s' not found in domain_paths, ./profiles or ./.attesta/profiles", name);
	return -ENOENT;
}
