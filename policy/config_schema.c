/*
 * The attesta.yaml schema (docs/config.md): walks the node tree built by
 * config_yaml.c and fills a struct pol_config that already holds the
 * defaults. The tree comes from an untrusted file, so every value is
 * checked for type and range, every key must be known (a misspelled key
 * must never silently switch a protection off: the error names the key
 * and suggests the closest known one), and the first problem stops the
 * walk with file:line:column. Section tables live at the end of the file;
 * the typed readers and the special keys (per-level maps, overrides,
 * amplifiers, lists) come first.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "pol_limits.h"
#include "regex.h"
#include "sockfam.h"

enum key_type { K_BOOL, K_DOUBLE, K_UINT, K_STRING, K_OPTSTRING, K_ENUM, K_SPECIAL, K_REJECT };

struct key_spec {
	const char *key;
	enum key_type type;
	size_t offset;             /* into struct pol_config */
	double min, max;           /* K_DOUBLE, K_UINT: inclusive unless min_open */
	bool min_open;
	const char *const *names;  /* K_ENUM: NULL-terminated; index is the value */
	int (*special)(struct schema *s, const char *path, const struct cfg_node *value);
	const char *message;       /* K_REJECT */
};

/* Every enum stored through K_ENUM is written as an unsigned. */
_Static_assert(sizeof(enum pol_fail_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum pol_policy_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum pol_audit_sync) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum pol_renderer) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum pol_approvals_backend) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum pol_attestation_mode) == sizeof(unsigned), "enum size");

/* ---- per-level maps -------------------------------------------------------- */

typedef int (*level_reader)(struct schema *s, const char *path, const struct cfg_node *v,
			    enum pol_level level);

static int walk_level_map(struct schema *s, const char *path, const struct cfg_node *map,
			  level_reader reader)
{
	bool seen[POL_LEVEL_COUNT] = { false };
	int r = cfg_check_mapping(s, path, map);

	for (size_t i = 0; r == 0 && i < map->count; i += 2) {
		const struct cfg_node *key = map->items[i];
		char sub[160];
		enum pol_level level;

		if (pol_level_parse(key->text, &level) < 0)
			return cfg_fail(s, key, "unknown risk level '%.64s' in '%s' (expected low, medium, high or critical)",
				    key->text, path);
		if (seen[level])
			return cfg_fail(s, key, "duplicate level '%s' in '%s'", pol_level_name(level), path);
		seen[level] = true;
		snprintf(sub, sizeof(sub), "%s.%s", path, pol_level_name(level));
		r = reader(s, sub, map->items[i + 1], level);
	}
	return r;
}

static int review_seconds_one(struct schema *s, const char *path, const struct cfg_node *v,
			      enum pol_level level)
{
	return cfg_read_double(s, path, v, 0, 86400, false, &s->config->minimum_review_seconds[level]);
}

static int multi_party_one(struct schema *s, const char *path, const struct cfg_node *v,
			   enum pol_level level)
{
	return cfg_read_uint(s, path, v, 0, 100, &s->config->require_multi_party[level]);
}

static int challenge_one(struct schema *s, const char *path, const struct cfg_node *v,
			 enum pol_level level)
{
	enum pol_challenge challenge;
	char got[80];

	if (v->kind != CFG_SCALAR || pol_challenge_parse(v->text, &challenge) < 0)
		return cfg_fail(s, v, "unknown challenge %s for '%s' (expected auto_approve, confirm, quiz, teach_back or multi_party)",
			    cfg_describe(v, got, sizeof(got)), path);
	s->config->challenge_map[level] = challenge;
	s->config->challenge_map_set[level] = true;
	return 0;
}

/* The reference replaces the whole default map when the key is present, so
 * a level left out of the file gets 0 (documented in docs/config.md). */
static int special_review_seconds(struct schema *s, const char *path, const struct cfg_node *v)
{
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++)
		s->config->minimum_review_seconds[i] = 0;
	return walk_level_map(s, path, v, review_seconds_one);
}

static int special_multi_party(struct schema *s, const char *path, const struct cfg_node *v)
{
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++)
		s->config->require_multi_party[i] = 0;
	return walk_level_map(s, path, v, multi_party_one);
}

static int special_challenge_map(struct schema *s, const char *path, const struct cfg_node *v)
{
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++) {
		if (s->config->challenge_map_set[i])
			return cfg_fail(s, v, "'policy.challenges' and 'policy.challenge_map' are the same setting: use only one");
	}
	return walk_level_map(s, path, v, challenge_one);
}

/* ---- risk ------------------------------------------------------------------ */

static int special_overrides(struct schema *s, const char *path, const struct cfg_node *map)
{
	struct pol_config *c = s->config;
	int r;

	if (cfg_is_null(map)) /* "overrides:" with nothing under it */
		return 0;
	r = cfg_check_mapping(s, path, map);
	if (r < 0)
		return r;
	c->overrides = calloc(map->count / 2 + 1, sizeof(*c->overrides));
	if (!c->overrides)
		return -ENOMEM;
	for (size_t i = 0; i < map->count; i += 2) {
		const struct cfg_node *key = map->items[i], *v = map->items[i + 1];
		struct pol_override *o = &c->overrides[c->n_overrides];
		char got[80];

		if (!key->len || cfg_is_null(key))
			return cfg_fail(s, key, "empty function name in '%s'", path);
		if (v->kind != CFG_SCALAR || pol_level_parse(v->text, &o->level) < 0)
			return cfg_fail(s, v, "unknown risk level %s for '%s.%.64s' (expected low, medium, high or critical)",
				    cfg_describe(v, got, sizeof(got)), path, key->text);
		o->function_name = strdup(key->text);
		if (!o->function_name)
			return -ENOMEM;
		c->n_overrides++;
	}
	return 0;
}

/* Column of byte offset err_offset inside the pattern, when the pattern is
 * written literally on one line (plain or quoted without escapes before
 * the error); otherwise the column of the value. */
static unsigned pattern_column(struct schema *s, const struct cfg_node *v, size_t err_offset)
{
	size_t start = cfg_byte_offset(s->buf, s->len, v->char_index) + (v->quoted ? 1 : 0);
	unsigned column = v->column + (v->quoted ? 1 : 0);

	if (!v->plain && !v->quoted)
		return v->column;
	if (err_offset > v->len)
		err_offset = v->len;
	if (start > s->len || s->len - start < err_offset ||
	    memcmp(s->buf + start, v->text, err_offset) || memchr(v->text, '\n', err_offset))
		return v->column;
	for (size_t i = 0; i < err_offset; i++) {
		if (((unsigned char)v->text[i] & 0xC0) != 0x80)
			column++;
	}
	return column;
}

static int read_amplifier(struct schema *s, const char *path, const struct cfg_node *map,
			  struct pol_amplifier *amp)
{
	static const char *const known[] = { "pattern", "boost", "target", NULL };
	static const char *const targets[] = { "name", "args", "any", "path", "host", NULL };
	const struct cfg_node *pattern = NULL, *boost = NULL;
	char sub[200], err[256];
	size_t err_offset = 0;
	int r = cfg_check_mapping(s, path, map);

	if (r < 0)
		return r;
	amp->target = POL_TARGET_NAME;
	amp->line = map->line;
	for (size_t i = 0; i < map->count; i += 2) {
		const struct cfg_node *key = map->items[i], *v = map->items[i + 1];

		if (!strcmp(key->text, "pattern")) {
			pattern = v;
		} else if (!strcmp(key->text, "boost")) {
			boost = v;
		} else if (!strcmp(key->text, "target")) {
			unsigned t;

			snprintf(sub, sizeof(sub), "%s.target", path);
			r = cfg_read_enum(s, sub, v, targets, &t);
			if (r < 0)
				return r;
			amp->target = (enum pol_target)t;
		} else {
			return cfg_unknown_key(s, path, key, known);
		}
	}
	if (!pattern)
		return cfg_fail(s, map, "'%s' has no 'pattern'", path);
	if (!boost)
		return cfg_fail(s, map, "'%s' has no 'boost'", path);
	snprintf(sub, sizeof(sub), "%s.boost", path);
	r = cfg_read_double(s, sub, boost, 0, 1, false, &amp->boost);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.pattern", path);
	r = cfg_read_scalar(s, sub, pattern);
	if (r < 0)
		return r;
	amp->pattern = strdup(pattern->text);
	if (!amp->pattern)
		return -ENOMEM;
	/* The reference compiles with re.compile(pattern), no flags, and uses
	 * re.search: unanchored and case-sensitive. */
	r = pol_regex_compile(pattern->text, 0, &amp->regex, err, sizeof(err), &err_offset);
	if (r == -E2BIG)
		return cfg_fail(s, pattern, "pattern in '%s' is too long (at most %d bytes)", sub,
			    POL_REGEX_MAX_PATTERN);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return pol_diag_set(s->diag, s->name, pattern->line,
				    pattern_column(s, pattern, err_offset),
				    "invalid regex in '%s': %s", sub, err);
	return 0;
}

static int special_amplifiers(struct schema *s, const char *path, const struct cfg_node *seq)
{
	struct pol_config *c = s->config;
	char got[80];

	if (cfg_is_null(seq)) /* "amplifiers:" with nothing under it */
		return 0;
	if (seq->kind != CFG_SEQUENCE)
		return cfg_fail(s, seq, "'%s' must be a list, got %s", path,
				cfg_describe(seq, got, sizeof(got)));
	c->amplifiers = calloc(seq->count + 1, sizeof(*c->amplifiers));
	if (!c->amplifiers)
		return -ENOMEM;
	for (size_t i = 0; i < seq->count; i++) {
		char sub[160];
		int r;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		/* count first so a half-built amplifier is still freed */
		c->n_amplifiers++;
		r = read_amplifier(s, sub, seq->items[i], &c->amplifiers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- lists of names -------------------------------------------------------- */

typedef bool (*name_check)(const char *text);

static bool is_profile_name(const char *text)
{
	/* SECURITY: a profile name becomes a file name (NAME.yaml in
	 * domain_paths); no separators, no leading dot. */
	if (!*text || *text == '.')
		return false;
	for (const char *p = text; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	}
	return true;
}

static bool is_env_name(const char *text)
{
	if (!*text || (*text >= '0' && *text <= '9'))
		return false;
	for (const char *p = text; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

/* A list of scalars (or one scalar, read as a list of one) into v. */
static int read_name_list(struct schema *s, const char *path, const struct cfg_node *node,
			  name_check check, const char *what, const char *hint,
			  struct pol_strv *v)
{
	const struct cfg_node *const *items = &node;
	size_t count = 1;

	cfg_strv_release(v);
	if (cfg_is_null(node))
		return 0;
	if (node->kind == CFG_SEQUENCE) {
		items = (const struct cfg_node *const *)node->items;
		count = node->count;
	} else if (node->kind != CFG_SCALAR) {
		return cfg_fail(s, node, "'%s' must be a name or a list of names, got %s", path,
			    cfg_kind_name(node));
	}
	for (size_t i = 0; i < count; i++) {
		const struct cfg_node *item = items[i];
		int r;

		if (item->kind != CFG_SCALAR || cfg_is_null(item) || !item->len)
			return cfg_fail(s, item, "items of '%s' must be non-empty names, got %s", path,
				    cfg_is_null(item) ? "an empty value" : cfg_kind_name(item));
		if (check && !check(item->text))
			return cfg_fail(s, item, "invalid %s '%.64s' in '%s' (%s)", what, item->text,
					path, hint);
		r = cfg_strv_push(v, item->text);
		if (r < 0)
			return r;
	}
	return 0;
}

static int special_domain(struct schema *s, const char *path, const struct cfg_node *v)
{
	return read_name_list(s, path, v, is_profile_name, "profile name",
			      "letters, digits, '_', '-' and '.', not starting with '.'",
			      &s->config->domains);
}

static int special_domain_paths(struct schema *s, const char *path, const struct cfg_node *v)
{
	return read_name_list(s, path, v, NULL, "path", "", &s->config->domain_paths);
}

static int special_env_vars(struct schema *s, const char *path, const struct cfg_node *v)
{
	return read_name_list(s, path, v, is_env_name, "environment variable name",
			      "letters, digits and '_', not starting with a digit",
			      &s->config->env_vars);
}

static int special_socket_families(struct schema *s, const char *path, const struct cfg_node *v)
{
	return read_name_list(s, path, v, pol_sockfam_is_name, "socket family",
			      "an address family such as packet, vsock or alg, or raw or sctp",
			      &s->config->allow_socket_families);
}

static int special_intercept(struct schema *s, const char *path, const struct cfg_node *node)
{
	static const char *const classes[] = { "exec", "unlink", "connect", NULL };
	struct pol_config *c = s->config;
	const struct cfg_node *const *items = &node;
	size_t count = 1;

	if (node->kind == CFG_SEQUENCE) {
		items = (const struct cfg_node *const *)node->items;
		count = node->count;
	} else if (node->kind != CFG_SCALAR || cfg_is_null(node)) {
		return cfg_fail(s, node, "'%s' must be a list of exec, unlink, connect", path);
	}
	c->intercept_exec = c->intercept_unlink = c->intercept_connect = false;
	for (size_t i = 0; i < count; i++) {
		unsigned which;
		int r = cfg_read_enum(s, path, items[i], classes, &which);

		if (r < 0)
			return r;
		if (which == 0)
			c->intercept_exec = true;
		else if (which == 1)
			c->intercept_unlink = true;
		else
			c->intercept_connect = true;
	}
	return 0;
}

static int special_deny_errno(struct schema *s, const char *path, const struct cfg_node *v)
{
	unsigned n;

	if (v->kind == CFG_SCALAR && !strcmp(v->text, "EPERM")) {
		s->config->deny_errno = EPERM;
		return 0;
	}
	if (v->kind == CFG_SCALAR && !strcmp(v->text, "EACCES")) {
		s->config->deny_errno = EACCES;
		return 0;
	}
	if (v->kind != CFG_SCALAR || !v->plain || v->text[0] < '0' || v->text[0] > '9')
		return cfg_fail(s, v, "'%s' must be EPERM, EACCES or an errno number between 1 and 4095",
			    path);
	if (cfg_read_uint(s, path, v, 1, 4095, &n) < 0)
		return -EINVAL;
	s->config->deny_errno = (int)n;
	return 0;
}

/* gate.user: a POSIX portable user name (useradd's default rule),
 * checked here so a typo is a config error, not a surprise at start-up. */
static int special_run_user(struct schema *s, const char *path, const struct cfg_node *v)
{
	if (v->kind == CFG_SCALAR && v->plain && (!v->len || !strcmp(v->text, "null") ||
						  !strcmp(v->text, "~")))
		return 0;
	if (v->kind != CFG_SCALAR || !pol_config_user_name_ok(v->text))
		return cfg_fail(s, v, "'%s' must be a user name ([a-z_][a-z0-9_-]*, at most 32 "
			    "characters) or null", path);
	return cfg_read_string(s, path, v, true, &s->config->run_user);
}

/* ---- section tables -------------------------------------------------------- */

#define F(field) offsetof(struct pol_config, field)
#define KEY(k, t, f) { .key = (k), .type = (t), .offset = F(f) }
#define NUM(k, t, f, lo, hi, open) \
	{ .key = (k), .type = (t), .offset = F(f), .min = (lo), .max = (hi), .min_open = (open) }
#define ENUM(k, f, n) { .key = (k), .type = K_ENUM, .offset = F(f), .names = (n) }
#define SPECIAL(k, fn) { .key = (k), .type = K_SPECIAL, .special = (fn) }

static const char *const fail_modes[] = { "deny", "allow", "escalate", NULL };
static const char *const policy_modes[] = { "enforce", "shadow", "audit_only", NULL };
static const char *const backends[] = { "legacy", "trailproof", NULL };
static const char *const syncs[] = { "tiered", "always", "off", NULL };
static const char *const renderers[] = { "auto", "tty", "socket", "none", NULL };
/* docs/trust.md, "Trust in the fleet database" */
static const char *const trust_backends[] = { "file", "postgres", NULL };
static const char *const attest_modes[] = { "off", "advisory", "enforce", NULL };
static const char *const approvals_backends[] = { "local", "postgres", NULL };

/* Kept as text (the canonical lower-case name): both write the same log. */
static int special_backend(struct schema *s, const char *path, const struct cfg_node *v)
{
	unsigned which;
	char *copy;
	int r = cfg_read_enum(s, path, v, backends, &which);

	if (r < 0)
		return r;
	copy = strdup(backends[which]);
	if (!copy)
		return -ENOMEM;
	free(s->config->audit_backend);
	s->config->audit_backend = copy;
	return 0;
}

static const struct key_spec policy_keys[] = {
	ENUM("fail_mode", fail_mode, fail_modes),
	SPECIAL("minimum_review_seconds", special_review_seconds),
	SPECIAL("require_multi_party", special_multi_party),
	NUM("timeout_seconds", K_DOUBLE, timeout_seconds, 0, 86400, true),
	KEY("critical_always_verify", K_BOOL, critical_always_verify),
	SPECIAL("challenge_map", special_challenge_map),
	SPECIAL("challenges", special_challenge_map),
	ENUM("mode", mode, policy_modes),
	NUM("quiz_pass_threshold", K_DOUBLE, quiz_pass_threshold, 0, 1, false),
	NUM("teach_back_min_words", K_UINT, teach_back_min_words, 0, 1000, false),
	{ .key = NULL },
};

static const struct key_spec risk_keys[] = {
	SPECIAL("overrides", special_overrides),
	SPECIAL("amplifiers", special_amplifiers),
	{ .key = NULL },
};

static const struct key_spec trust_keys[] = {
	NUM("initial_score", K_DOUBLE, trust_initial_score, 0, 1, false),
	NUM("ceiling", K_DOUBLE, trust_ceiling, 0, 1, false),
	NUM("decay_rate", K_DOUBLE, trust_decay_rate, 0, 1, false),
	NUM("influence", K_DOUBLE, trust_influence, 0, 1, false),
	NUM("incident_penalty", K_DOUBLE, trust_incident_penalty, 0, 1, false),
	KEY("path", K_STRING, trust_path),
	ENUM("backend", trust_backend, trust_backends),
	NUM("max_age_seconds", K_DOUBLE, trust_max_age_seconds, 1, 86400, false),
	{ .key = NULL },
};

static const struct key_spec audit_keys[] = {
	SPECIAL("backend", special_backend),
	KEY("path", K_STRING, audit_path),
	ENUM("sync", audit_sync, syncs),
	NUM("sync_window_ms", K_UINT, audit_sync_window_ms, 0, 60000, false),
	KEY("hmac_key_file", K_OPTSTRING, audit_hmac_key_file),
	KEY("tenant_id", K_STRING, audit_tenant_id),
	KEY("ship", K_BOOL, audit_ship),
	NUM("ship_batch", K_UINT, audit_ship_batch, 1, 5000, false),
	NUM("ship_interval_ms", K_UINT, audit_ship_interval_ms, 10, 60000, false),
	{ .key = "hmac_key", .type = K_REJECT,
	  .message = "'audit.hmac_key' is not supported: keys must not live in the config; put the key in a file readable only by you and set 'audit.hmac_key_file'" },
	{ .key = NULL },
};

static const struct key_spec gate_keys[] = {
	SPECIAL("intercept", special_intercept),
	KEY("workspace", K_OPTSTRING, workspace),
	KEY("environment", K_STRING, environment),
	KEY("agent_id", K_STRING, agent_id),
	ENUM("renderer", renderer, renderers),
	KEY("approval_socket", K_OPTSTRING, approval_socket),
	SPECIAL("deny_errno", special_deny_errno),
	KEY("allow_io_uring", K_BOOL, allow_io_uring),
	SPECIAL("allow_socket_families", special_socket_families),
	KEY("builtin_agent_profile", K_BOOL, builtin_agent_profile),
	SPECIAL("env_vars", special_env_vars),
	KEY("escalation_command", K_OPTSTRING, escalation_command),
	KEY("approval_group", K_OPTSTRING, approval_group),
	SPECIAL("user", special_run_user),
	{ .key = NULL },
};

static const struct key_spec attestation_keys[] = {
	ENUM("mode", attestation_mode, attest_modes),
	KEY("node_id", K_OPTSTRING, node_id),
	KEY("bundle", K_OPTSTRING, bundle),
	KEY("registry", K_OPTSTRING, registry),
	KEY("pubkey", K_OPTSTRING, attestation_pubkey),
	NUM("grace_seconds", K_DOUBLE, attestation_grace_seconds, 0, 86400, false),
	{ .key = NULL },
};

static const struct key_spec fleet_keys[] = {
	KEY("database", K_OPTSTRING, fleet_database),
	{ .key = NULL },
};

static const struct key_spec approvals_keys[] = {
	ENUM("backend", approvals_backend, approvals_backends),
	{ .key = NULL },
};

static int walk_keys(struct schema *s, const char *section, const struct cfg_node *map,
		     const struct key_spec *keys);

struct section_spec {
	const char *key;
	const struct key_spec *keys;
};

static const struct section_spec sections[] = {
	{ "policy", policy_keys },	   { "risk", risk_keys },
	{ "trust", trust_keys },	   { "audit", audit_keys },
	{ "gate", gate_keys },		   { "attestation", attestation_keys },
	{ "fleet", fleet_keys },	   { "approvals", approvals_keys },
	{ NULL, NULL },
};

static int special_section(struct schema *s, const char *path, const struct cfg_node *v)
{
	for (const struct section_spec *sec = sections; sec->key; sec++) {
		if (!strcmp(sec->key, path))
			return walk_keys(s, path, v, sec->keys);
	}
	return -EINVAL;
}

static const struct key_spec top_keys[] = {
	SPECIAL("policy", special_section),
	SPECIAL("risk", special_section),
	SPECIAL("trust", special_section),
	SPECIAL("audit", special_section),
	SPECIAL("domain", special_domain),
	KEY("domain_strict", K_BOOL, domain_strict),
	SPECIAL("domain_paths", special_domain_paths),
	SPECIAL("gate", special_section),
	SPECIAL("attestation", special_section),
	SPECIAL("fleet", special_section),
	SPECIAL("approvals", special_section),
	{ .key = NULL },
};

static int apply_key(struct schema *s, const char *path, const struct key_spec *k,
		     const struct cfg_node *key, const struct cfg_node *v)
{
	char *base = (char *)s->config;
	unsigned value;
	int r;

	switch (k->type) {
	case K_BOOL:
		return cfg_read_bool(s, path, v, (bool *)(base + k->offset));
	case K_DOUBLE:
		return cfg_read_double(s, path, v, k->min, k->max, k->min_open,
				   (double *)(base + k->offset));
	case K_UINT:
		return cfg_read_uint(s, path, v, (unsigned)k->min, (unsigned)k->max,
				 (unsigned *)(base + k->offset));
	case K_STRING:
	case K_OPTSTRING:
		return cfg_read_string(s, path, v, k->type == K_OPTSTRING, (char **)(base + k->offset));
	case K_ENUM:
		r = cfg_read_enum(s, path, v, k->names, &value);
		if (r < 0)
			return r;
		*(unsigned *)(base + k->offset) = value;
		return 0;
	case K_SPECIAL:
		/* sections pass their own name, everything else its dotted path */
		return k->special(s, k->special == special_section ? k->key : path, v);
	case K_REJECT:
		return cfg_fail(s, key, "%s", k->message);
	}
	return -EINVAL;
}

static int walk_keys(struct schema *s, const char *section, const struct cfg_node *map,
		     const struct key_spec *keys)
{
	const char *known[32];
	size_t n_known = 0;
	int r;

	/* "policy:" with nothing under it is an empty section */
	if (section[0] && cfg_is_null(map))
		return 0;
	r = cfg_check_mapping(s, section[0] ? section : "<top level>", map);
	if (r < 0)
		return r;
	for (const struct key_spec *k = keys; k->key && n_known < 31; k++) {
		if (k->type != K_REJECT)
			known[n_known++] = k->key;
	}
	known[n_known] = NULL;
	for (size_t i = 0; i < map->count; i += 2) {
		const struct cfg_node *key = map->items[i];
		const struct key_spec *k;
		char path[160];

		for (k = keys; k->key; k++) {
			if (!strcmp(k->key, key->text))
				break;
		}
		if (!k->key)
			return cfg_unknown_key(s, section, key, known);
		snprintf(path, sizeof(path), "%s%s%s", section, section[0] ? "." : "", k->key);
		r = apply_key(s, path, k, key, map->items[i + 1]);
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_schema_apply(const char *name, const char *buf, size_t len,
		     const struct cfg_node *root, struct pol_config *config,
		     struct pol_diag *diag)
{
	struct schema s = { name, buf, len, diag, config };

	if (!root)
		return 0;
	if (root->kind != CFG_MAPPING)
		return cfg_fail(&s, root, "the config must be a mapping of sections (policy, risk, trust, audit, gate, ...), got %s",
			    cfg_kind_name(root));
	return walk_keys(&s, "", root, top_keys);
}
