/*
 * Typed readers for config values (config_internal.h): booleans, strict
 * decimal numbers with ranges, strings, enumerations, and mapping checks
 * (scalar keys, no duplicates, unknown keys with a "did you mean"). The
 * nodes come from an untrusted file; every reader checks type and range
 * and reports the node's own line and column on failure.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

int cfg_fail(struct schema *s, const struct cfg_node *at, const char *fmt, ...)
{
	char message[sizeof(s->diag->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return pol_diag_set(s->diag, s->name, at->line, at->column, "%s", message);
}

const char *cfg_kind_name(const struct cfg_node *node)
{
	if (node->kind == CFG_MAPPING)
		return "a mapping";
	if (node->kind == CFG_SEQUENCE)
		return "a list";
	return node->plain ? "a value" : "a quoted string";
}

bool cfg_is_null(const struct cfg_node *node)
{
	return node->kind == CFG_SCALAR && node->plain &&
	       (!node->len || !strcmp(node->text, "~") || !strcmp(node->text, "null") ||
		!strcmp(node->text, "Null") || !strcmp(node->text, "NULL"));
}

/* "'text'" for a scalar, "a list" / "a mapping" otherwise, for messages. */
const char *cfg_describe(const struct cfg_node *v, char *buf, size_t size)
{
	if (v->kind != CFG_SCALAR)
		return cfg_kind_name(v);
	if (cfg_is_null(v))
		return "an empty value";
	snprintf(buf, size, "'%.64s%s'", v->text, v->len > 64 ? "..." : "");
	return buf;
}

/* ---- typed readers ------------------------------------------------------ */

int cfg_read_bool(struct schema *s, const char *path, const struct cfg_node *v, bool *ret)
{
	char got[80];
	/* YAML 1.1 booleans as PyYAML's safe_load reads them. */
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };

	if (v->kind == CFG_SCALAR && v->plain) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(v->text, yes[i])) {
				*ret = true;
				return 0;
			}
			if (!strcmp(v->text, no[i])) {
				*ret = false;
				return 0;
			}
		}
	}
	return cfg_fail(s, v, "'%s' must be true or false, got %s%s", path,
			cfg_describe(v, got, sizeof(got)),
			v->kind == CFG_SCALAR && !v->plain ? " (quoted)" : "");
}

/* Strict decimal: [+-]digits[.digits][e[+-]digits], no hex, inf or nan. */
static bool parse_decimal(const char *text, double *ret)
{
	const char *p = text;
	bool digits = false;
	char *end;
	double d;

	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits = true;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return false;
	errno = 0;
	d = strtod(text, &end);
	if (*end || errno == ERANGE || !isfinite(d))
		return false;
	*ret = d;
	return true;
}

static void describe_range(char *buf, size_t size, double min, double max, bool min_open)
{
	if (min_open)
		snprintf(buf, size, "greater than %g and at most %g", min, max);
	else
		snprintf(buf, size, "between %g and %g", min, max);
}

int cfg_read_double(struct schema *s, const char *path, const struct cfg_node *v,
		       double min, double max, bool min_open, double *ret)
{
	char range[96], got[80];
	double d;

	describe_range(range, sizeof(range), min, max, min_open);
	if (v->kind == CFG_SCALAR && !v->plain)
		return cfg_fail(s, v, "'%s' must be a number %s, got a quoted string", path, range);
	if (v->kind != CFG_SCALAR || !parse_decimal(v->text, &d))
		return cfg_fail(s, v, "'%s' must be a number %s, got %s", path, range,
			    cfg_describe(v, got, sizeof(got)));
	if (d < min || d > max || (min_open && d <= min))
		return cfg_fail(s, v, "'%s' is out of range: %.64s is not %s", path, v->text, range);
	*ret = d;
	return 0;
}

int cfg_read_uint(struct schema *s, const char *path, const struct cfg_node *v,
		     unsigned min, unsigned max, unsigned *ret)
{
	const char *p;
	unsigned long n;
	char *end, got[80];

	if (v->kind != CFG_SCALAR || !v->plain)
		goto bad;
	p = v->text + (v->text[0] == '+');
	if (!(*p >= '0' && *p <= '9'))
		goto bad;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || n < min || n > max)
		return cfg_fail(s, v, "'%s' is out of range: %.64s is not between %u and %u", path,
			    v->text, min, max);
	*ret = (unsigned)n;
	return 0;
bad:
	return cfg_fail(s, v, "'%s' must be a whole number between %u and %u, got %s%s", path,
		    min, max, cfg_describe(v, got, sizeof(got)),
		    v->kind == CFG_SCALAR && !v->plain ? " (quoted)" : "");
}

int cfg_read_scalar(struct schema *s, const char *path, const struct cfg_node *v)
{
	if (v->kind != CFG_SCALAR)
		return cfg_fail(s, v, "'%s' must be a string, got %s", path, cfg_kind_name(v));
	if (cfg_is_null(v) || !v->len)
		return cfg_fail(s, v, "'%s' must not be empty", path);
	return 0;
}

int cfg_read_string(struct schema *s, const char *path, const struct cfg_node *v,
		       bool nullable, char **slot)
{
	char *copy;
	int r;

	if (nullable && cfg_is_null(v)) {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	r = cfg_read_scalar(s, path, v);
	if (r < 0)
		return r;
	copy = strdup(v->text);
	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int cfg_read_enum(struct schema *s, const char *path, const struct cfg_node *v,
		     const char *const *names, unsigned *ret)
{
	char expected[256] = "", got[80];
	size_t used = 0;

	if (v->kind == CFG_SCALAR) {
		for (unsigned i = 0; names[i]; i++) {
			if (!strcasecmp(v->text, names[i])) {
				*ret = i;
				return 0;
			}
		}
	}
	for (unsigned i = 0; names[i] && used < sizeof(expected); i++) {
		int n = snprintf(expected + used, sizeof(expected) - used, "%s%s",
				 i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (v->kind != CFG_SCALAR || cfg_is_null(v))
		return cfg_fail(s, v, "'%s' must be one of %s, got %s", path, expected,
			    cfg_describe(v, got, sizeof(got)));
	return cfg_fail(s, v, "unknown value '%.64s' for '%s' (expected %s)", v->text, path,
			expected);
}

/* ---- mappings: scalar keys, no duplicates, known keys only --------------- */

int cfg_check_mapping(struct schema *s, const char *path, const struct cfg_node *map)
{
	char got[80];

	if (map->kind != CFG_MAPPING)
		return cfg_fail(s, map, "'%s' must be a mapping, got %s", path,
				cfg_describe(map, got, sizeof(got)));
	for (size_t i = 0; i < map->count; i += 2) {
		const struct cfg_node *key = map->items[i];

		if (key->kind != CFG_SCALAR)
			return cfg_fail(s, key, "keys in '%s' must be plain names, got %s", path,
				    cfg_kind_name(key));
		for (size_t j = 0; j < i; j += 2) {
			if (!strcmp(map->items[j]->text, key->text))
				return cfg_fail(s, key, "duplicate key '%.64s' in '%s' (first at line %u)",
					    key->text, path, map->items[j]->line);
		}
	}
	return 0;
}

/* Damerau-free Levenshtein distance on short keys, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

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

int cfg_unknown_key(struct schema *s, const char *path, const struct cfg_node *key,
		       const char *const *known)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	char where[160] = "";

	for (size_t i = 0; known[i]; i++) {
		size_t d = edit_distance(key->text, known[i]);

		if (d < best_distance) {
			best_distance = d;
			best = known[i];
		}
	}
	if (path[0])
		snprintf(where, sizeof(where), " in '%s'", path);
	if (best && best_distance <= 2 + strlen(best) / 6)
		return cfg_fail(s, key, "unknown key '%.64s'%s (did you mean '%s'?)", key->text, where,
			    best);
	return cfg_fail(s, key, "unknown key '%.64s'%s", key->text, where);
}

