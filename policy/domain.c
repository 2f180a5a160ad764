/*
 * Domain profiles: names, escalation conditions, building and merging
 * (see domain.h; scoring is in domain_assess.c). Merging follows the
 * reference DomainRegistry.merge so a profile set written for the Python
 * SDK combines the same way here. Patterns and conditions come from
 * profile files an operator wrote: each is validated and compiled once.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "pol_limits.h"
#include "regex.h"

static const char *const target_names[] = {
	[POL_DOMAIN_FUNCTION_NAME] = "function_name",
	[POL_DOMAIN_ARGS] = "args",
	[POL_DOMAIN_KWARGS] = "kwargs",
	[POL_DOMAIN_DOCSTRING] = "docstring",
	[POL_DOMAIN_ANY] = "any",
	[POL_DOMAIN_PATH] = "path",
	[POL_DOMAIN_HOST] = "host",
};

static const char *const escalation_names[] = {
	[POL_ESCALATE_BLOCK] = "block",
	[POL_ESCALATE_MULTI_PARTY] = "require_multi_party",
	[POL_ESCALATE_TEACH_BACK] = "require_teach_back",
	[POL_ESCALATE_CONFIRMATION] = "require_confirmation",
	[POL_ESCALATE_NOTIFY] = "notify_compliance",
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

int pol_domain_target_parse(const char *name, enum pol_domain_target *ret_target)
{
	for (size_t i = 0; i < N_ELEM(target_names); i++) {
		if (!strcmp(name, target_names[i])) {
			*ret_target = (enum pol_domain_target)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pol_escalation_action_name(enum pol_escalation_action action)
{
	if ((size_t)action < N_ELEM(escalation_names))
		return escalation_names[action];
	return "?";
}

int pol_escalation_action_parse(const char *name, enum pol_escalation_action *ret_action)
{
	for (size_t i = 0; i < N_ELEM(escalation_names); i++) {
		if (!strcmp(name, escalation_names[i])) {
			*ret_action = (enum pol_escalation_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	return s;
}

/* Reference: ^risk_score\s*(>=|<=|>|<|==|!=)\s*([0-9]*\.?[0-9]+)$ after strip(). */
static int parse_score_condition(const char *s, struct pol_escalation *rule)
{
	static const struct { const char *text; enum pol_condition_op op; } ops[] = {
		{ ">=", POL_OP_GE }, { "<=", POL_OP_LE }, { ">", POL_OP_GT },
		{ "<", POL_OP_LT }, { "==", POL_OP_EQ }, { "!=", POL_OP_NE },
	};
	const char *p = skip_space(s + strlen("risk_score"));
	size_t i, digits = 0, frac = 0;
	char *end;

	for (i = 0; i < N_ELEM(ops); i++)
		if (!strncmp(p, ops[i].text, strlen(ops[i].text)))
			break;
	if (i == N_ELEM(ops))
		return -EINVAL;
	p = skip_space(p + strlen(ops[i].text));
	/* [0-9]*\.?[0-9]+ exactly, nothing after (trailing space was stripped). */
	const char *q = p;
	while (isdigit((unsigned char)*q)) {
		q++;
		digits++;
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			q++;
			frac++;
		}
		if (!frac)
			return -EINVAL;
	} else if (!digits) {
		return -EINVAL;
	}
	if (*q)
		return -EINVAL;
	rule->threshold = strtod(p, &end);
	rule->op = ops[i].op;
	rule->kind = POL_COND_SCORE;
	return 0;
}

int pol_escalation_parse_condition(const char *condition, struct pol_escalation *rule)
{
	static const struct { const char *prefix; enum pol_condition_kind kind; } prefixes[] = {
		{ "matches_pattern:", POL_COND_PATTERN },
		{ "environment:", POL_COND_ENVIRONMENT },
		{ "risk_level:", POL_COND_LEVEL },
	};
	char *copy, *s, *end;
	int r = -EINVAL;

	copy = strdup(condition);
	if (!copy)
		return -ENOMEM;
	s = (char *)skip_space(copy);
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!strncmp(s, "risk_score", strlen("risk_score"))) {
		r = parse_score_condition(s, rule);
		goto out;
	}
	for (size_t i = 0; i < N_ELEM(prefixes); i++) {
		const char *operand;

		if (strncmp(s, prefixes[i].prefix, strlen(prefixes[i].prefix)))
			continue;
		operand = skip_space(s + strlen(prefixes[i].prefix));
		if (!*operand)
			goto out;
		if (prefixes[i].kind == POL_COND_LEVEL &&
		    pol_level_parse(operand, &rule->level) < 0)
			goto out;
		free(rule->operand);
		rule->operand = strdup(operand);
		if (!rule->operand) {
			r = -ENOMEM;
			goto out;
		}
		rule->kind = prefixes[i].kind;
		r = 0;
		goto out;
	}
out:
	free(copy);
	return r;
}

void pol_escalation_release(struct pol_escalation *rule)
{
	if (!rule)
		return;
	free(rule->condition);
	free(rule->operand);
	free(rule->description);
	pol_strv_release(&rule->notify_roles);
	memset(rule, 0, sizeof(*rule));
}

struct pol_domain_profile *pol_domain_new(const char *name)
{
	struct pol_domain_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name);
	p->display_name = strdup(name);
	p->description = strdup(name);
	p->production_multiplier = 1.5;
	if (!p->name || !p->display_name || !p->description) {
		pol_domain_free(p);
		return NULL;
	}
	return p;
}

static void globs_free(struct pol_action_glob *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].glob);
		pol_regex_free(g[i].regex);
	}
	free(g);
}

void pol_domain_free(struct pol_domain_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_patterns; i++) {
		free(p->patterns[i].name);
		free(p->patterns[i].description);
		free(p->patterns[i].pattern);
		pol_regex_free(p->patterns[i].regex);
		pol_strv_release(&p->patterns[i].compliance_refs);
	}
	free(p->patterns);
	for (size_t i = 0; i < p->n_terms; i++) {
		free(p->terms[i].term);
		pol_regex_free(p->terms[i].regex);
	}
	free(p->terms);
	globs_free(p->critical_actions, p->n_critical);
	globs_free(p->safe_actions, p->n_safe);
	for (size_t i = 0; i < p->n_escalations; i++)
		pol_escalation_release(&p->escalations[i]);
	free(p->escalations);
	pol_strv_release(&p->compliance_frameworks);
	pol_strv_release(&p->required_vocabulary);
	free(p->name);
	free(p->display_name);
	free(p->description);
	free(p);
}

/* Grow an array by one element; returns the new slot zeroed, or NULL. */
static void *grow(void **array, size_t *count, size_t elem)
{
	char *n;

	if (*count >= POL_CONFIG_MAX_ITEMS)
		return NULL;
	n = realloc(*array, (*count + 1) * elem);
	if (!n)
		return NULL;
	*array = n;
	memset(n + *count * elem, 0, elem);
	return n + (*count)++ * elem;
}

int pol_domain_add_pattern(struct pol_domain_profile *profile, const char *name,
			   const char *description, const char *pattern,
			   enum pol_domain_target target, double contribution,
			   char *err, size_t err_size)
{
	struct pol_regex *re = NULL;
	struct pol_risk_pattern *slot;
	int r;

	if (!(contribution >= 0.0 && contribution <= 1.0))
		return -EINVAL;
	r = pol_regex_compile(pattern, POL_REGEX_CASELESS, &re, err, err_size, NULL);
	if (r < 0)
		return r;
	slot = grow((void **)&profile->patterns, &profile->n_patterns, sizeof(*slot));
	if (!slot) {
		pol_regex_free(re);
		return -ENOMEM;
	}
	slot->regex = re;
	slot->target = target;
	slot->contribution = contribution;
	slot->name = strdup(name);
	slot->description = strdup(description ? description : "");
	slot->pattern = strdup(pattern);
	if (!slot->name || !slot->description || !slot->pattern)
		return -ENOMEM; /* freed with the profile */
	return 0;
}

/* Python re.escape for ASCII punctuation: a backslash before any ASCII
 * character that is not alphanumeric or '_' is a literal in PCRE2 too. */
static char *regex_escape(const char *s, const char *star)
{
	size_t n = strlen(s);
	char *out = malloc(n * 2 + 7), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '*' && star) {
			memcpy(o, star, strlen(star));
			o += strlen(star);
			continue;
		}
		if (c < 0x80 && !isalnum(c) && c != '_')
			*o++ = '\\';
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

int pol_domain_add_term(struct pol_domain_profile *profile, const char *term, double weight,
			char *err, size_t err_size)
{
	struct pol_sensitive_term *slot;
	struct pol_regex *re = NULL;
	char *escaped, *pattern;
	size_t len;
	int r;

	if (!(weight >= 0.0 && weight <= 1.0))
		return -EINVAL;
	for (size_t i = 0; i < profile->n_terms; i++) {
		if (!strcmp(profile->terms[i].term, term)) {
			if (weight > profile->terms[i].weight)
				profile->terms[i].weight = weight;
			return 0;
		}
	}
	escaped = regex_escape(term, NULL);
	if (!escaped)
		return -ENOMEM;
	len = strlen(escaped) + 5;
	pattern = malloc(len);
	if (!pattern) {
		free(escaped);
		return -ENOMEM;
	}
	snprintf(pattern, len, "\\b%s\\b", escaped);
	free(escaped);
	r = pol_regex_compile(pattern, POL_REGEX_CASELESS, &re, err, err_size, NULL);
	free(pattern);
	if (r < 0)
		return r;
	slot = grow((void **)&profile->terms, &profile->n_terms, sizeof(*slot));
	if (!slot) {
		pol_regex_free(re);
		return -ENOMEM;
	}
	slot->regex = re;
	slot->weight = weight;
	slot->term = strdup(term);
	return slot->term ? 0 : -ENOMEM;
}

/* Reference _glob_to_regex: text with regex metacharacters is a regex;
 * otherwise escaped with '*' as '.*'. Matched by unanchored search. */
static char *glob_to_regex(const char *glob)
{
	if (strpbrk(glob, "()[]{}+?^$|\\"))
		return strdup(glob);
	return regex_escape(glob, ".*");
}

int pol_domain_add_action(struct pol_domain_profile *profile, bool critical, const char *glob,
			  char *err, size_t err_size)
{
	struct pol_action_glob **array = critical ? &profile->critical_actions : &profile->safe_actions;
	size_t *count = critical ? &profile->n_critical : &profile->n_safe;
	struct pol_action_glob *slot;
	struct pol_regex *re = NULL;
	char *pattern;
	int r;

	for (size_t i = 0; i < *count; i++)
		if (!strcmp((*array)[i].glob, glob))
			return 0; /* de-duplicated, order kept */
	pattern = glob_to_regex(glob);
	if (!pattern)
		return -ENOMEM;
	r = pol_regex_compile(pattern, POL_REGEX_CASELESS, &re, err, err_size, NULL);
	free(pattern);
	if (r < 0)
		return r;
	slot = grow((void **)array, count, sizeof(*slot));
	if (!slot) {
		pol_regex_free(re);
		return -ENOMEM;
	}
	slot->regex = re;
	slot->glob = strdup(glob);
	return slot->glob ? 0 : -ENOMEM;
}

int pol_domain_add_escalation(struct pol_domain_profile *profile, struct pol_escalation *rule)
{
	struct pol_escalation *slot;

	slot = grow((void **)&profile->escalations, &profile->n_escalations, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = *rule;
	memset(rule, 0, sizeof(*rule));
	return 0;
}

static int strv_push_unique(struct pol_strv *v, const char *s)
{
	for (size_t i = 0; i < v->count; i++)
		if (!strcmp(v->items[i], s))
			return 0;
	return pol_strv_push(v, s, strlen(s));
}

static char *join_names(const struct pol_domain_profile *const *profiles, size_t n,
			size_t offset, const char *sep)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(*(char *const *)((const char *)profiles[i] + offset)) + strlen(sep);
	out = calloc(1, len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, sep, len - strlen(out) - 1);
		strncat(out, *(char *const *)((const char *)profiles[i] + offset),
			len - strlen(out) - 1);
	}
	return out;
}

static int copy_escalation(struct pol_escalation *dst, const struct pol_escalation *src)
{
	memset(dst, 0, sizeof(*dst));
	*dst = *src;
	dst->condition = strdup(src->condition);
	dst->operand = src->operand ? strdup(src->operand) : NULL;
	dst->description = strdup(src->description ? src->description : "");
	memset(&dst->notify_roles, 0, sizeof(dst->notify_roles));
	for (size_t i = 0; i < src->notify_roles.count; i++)
		if (pol_strv_push(&dst->notify_roles, src->notify_roles.items[i],
				  strlen(src->notify_roles.items[i])) < 0)
			return -ENOMEM;
	if (!dst->condition || (src->operand && !dst->operand) || !dst->description)
		return -ENOMEM;
	return 0;
}

int pol_domain_merge(const struct pol_domain_profile *const *profiles, size_t n,
		     struct pol_domain_profile **ret_profile)
{
	struct pol_domain_profile *m;
	int r = -ENOMEM;

	if (n == 0)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = join_names(profiles, n, offsetof(struct pol_domain_profile, name), "+");
	m->display_name = join_names(profiles, n, offsetof(struct pol_domain_profile, display_name), " + ");
	m->description = join_names(profiles, n, offsetof(struct pol_domain_profile, description), " | ");
	if (!m->name || !m->display_name || !m->description)
		goto out;
	/* A single profile keeps its own multiplier; merge starts at 1.0. */
	m->production_multiplier = n == 1 ? profiles[0]->production_multiplier : 1.0;
	for (size_t i = 0; i < n; i++) {
		const struct pol_domain_profile *p = profiles[i];

		for (size_t k = 0; k < p->n_patterns; k++) {
			const struct pol_risk_pattern *rp = &p->patterns[k];

			r = pol_domain_add_pattern(m, rp->name, rp->description, rp->pattern,
						   rp->target, rp->contribution, NULL, 0);
			if (r < 0)
				goto out;
			for (size_t j = 0; j < rp->compliance_refs.count; j++) {
				const char *ref = rp->compliance_refs.items[j];

				r = pol_strv_push(&m->patterns[m->n_patterns - 1].compliance_refs,
						  ref, strlen(ref));
				if (r < 0)
					goto out;
			}
		}
		for (size_t k = 0; k < p->n_terms; k++)
			if ((r = pol_domain_add_term(m, p->terms[k].term, p->terms[k].weight, NULL, 0)) < 0)
				goto out;
		for (size_t k = 0; k < p->n_critical; k++)
			if ((r = pol_domain_add_action(m, true, p->critical_actions[k].glob, NULL, 0)) < 0)
				goto out;
		for (size_t k = 0; k < p->n_safe; k++)
			if ((r = pol_domain_add_action(m, false, p->safe_actions[k].glob, NULL, 0)) < 0)
				goto out;
		for (size_t k = 0; k < p->compliance_frameworks.count; k++)
			if ((r = strv_push_unique(&m->compliance_frameworks, p->compliance_frameworks.items[k])) < 0)
				goto out;
		for (size_t k = 0; k < p->required_vocabulary.count; k++)
			if ((r = strv_push_unique(&m->required_vocabulary, p->required_vocabulary.items[k])) < 0)
				goto out;
		for (size_t k = 0; k < p->n_escalations; k++) {
			struct pol_escalation copy;

			r = copy_escalation(&copy, &p->escalations[k]);
			if (r == 0)
				r = pol_domain_add_escalation(m, &copy);
			pol_escalation_release(&copy);
			if (r < 0)
				goto out;
		}
		for (int l = 0; l < POL_LEVEL_COUNT; l++)
			if (p->min_review[l] > m->min_review[l])
				m->min_review[l] = p->min_review[l];
		if (p->base_risk_floor > m->base_risk_floor)
			m->base_risk_floor = p->base_risk_floor;
		if (p->production_multiplier > m->production_multiplier)
			m->production_multiplier = p->production_multiplier;
		m->syscall_analyzer = m->syscall_analyzer || p->syscall_analyzer;
	}
	*ret_profile = m;
	m = NULL;
	r = 0;
out:
	pol_domain_free(m);
	return r;
}

