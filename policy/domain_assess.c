/*
 * Domain profile scoring (see domain.h): the texts a profile matches, the
 * reference DomainRiskScorer steps 2-5, and escalation conditions.
 * Patterns come from profile files an operator wrote; subjects come from
 * the sandboxed program, so every match runs through the bounded regex
 * wrapper and a match that runs out of budget counts as a match (fail
 * closed).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "domain.h"
#include "pol_limits.h"
#include "regex.h"

/* --- texts ------------------------------------------------------------- */

static char *str_of_args(const struct pol_action *action, struct cJSON *args, struct cJSON *kwargs)
{
	struct pol_action copy = *action;

	copy.generic_args = args;
	copy.generic_kwargs = kwargs;
	return pol_risk_args_text(&copy);
}

/* "k=v k=v" with Python str() of each value, as the reference builds it. */
static char *kwargs_text(const struct pol_action *action)
{
	const cJSON *kw = action->generic_kwargs, *item;
	size_t len = 0, cap = 64;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[0] = '\0';
	cJSON_ArrayForEach(item, kw) {
		cJSON *arr = cJSON_CreateArray(), *dup = cJSON_Duplicate(item, 1);
		char *value = NULL;
		size_t need;

		if (arr && dup) {
			cJSON_AddItemToArray(arr, dup);
			dup = NULL;
			value = str_of_args(action, arr, NULL);
		}
		cJSON_Delete(dup);
		cJSON_Delete(arr);
		if (!value)
			goto fail;
		need = len + (len ? 1 : 0) + strlen(item->string ? item->string : "") + 1 + strlen(value) + 1;
		if (need > cap) {
			char *n;

			while (cap < need)
				cap *= 2;
			n = realloc(out, cap);
			if (!n) {
				free(value);
				goto fail;
			}
			out = n;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? " " : "",
					item->string ? item->string : "", value);
		free(value);
		if (len > POL_SCORE_MAX_TEXT)
			break;
	}
	return out;
fail:
	free(out);
	return NULL;
}

static char *join_texts(const char *const *parts, size_t n)
{
	size_t len = 1;
	char *out, *o;

	for (size_t i = 0; i < n; i++)
		if (parts[i])
			len += strlen(parts[i]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++) {
		size_t l;

		if (!parts[i])
			continue;
		if (o != out)
			*o++ = ' ';
		l = strlen(parts[i]);
		memcpy(o, parts[i], l);
		o += l;
	}
	*o = '\0';
	return out;
}

int pol_domain_texts_init(struct pol_domain_texts *t, const struct pol_action *action)
{
	bool generic = action->action_class == POL_ACTION_GENERIC;
	bool has_args, has_kwargs;
	const char *parts[4];

	memset(t, 0, sizeof(*t));
	t->function_name = action->function_name ? action->function_name : "";
	t->doc = action->function_doc ? action->function_doc : "";
	t->path = action->path ? action->path : "";
	t->path2 = action->dest_path ? action->dest_path : "";
	if (generic) {
		t->args = str_of_args(action, action->generic_args, NULL);
		t->kwargs = kwargs_text(action);
		has_args = cJSON_GetArraySize(action->generic_args) > 0;
		has_kwargs = cJSON_GetArraySize(action->generic_kwargs) > 0;
	} else {
		t->args = pol_risk_args_text(action);
		t->kwargs = strdup("");
		has_args = action->args.count > 0;
		has_kwargs = false;
	}
	if (action->action_class == POL_ACTION_CONNECT || action->action_class == POL_ACTION_SENDTO) {
		const char *hp[2] = { action->host, action->address };

		t->host = join_texts(hp, 2);
	} else {
		t->host = strdup("");
	}
	if (!t->args || !t->kwargs || !t->host)
		goto fail;
	parts[0] = t->function_name;
	parts[1] = has_args ? t->args : NULL;
	parts[2] = has_kwargs ? t->kwargs : NULL;
	parts[3] = *t->doc ? t->doc : NULL;
	t->full = join_texts(parts, 4);
	if (!t->full)
		goto fail;
	return 0;
fail:
	pol_domain_texts_release(t);
	return -ENOMEM;
}

void pol_domain_texts_release(struct pol_domain_texts *t)
{
	free(t->args);
	free(t->kwargs);
	free(t->host);
	free(t->full);
	memset(t, 0, sizeof(*t));
}

void pol_domain_match_release(struct pol_domain_match *match)
{
	pol_strv_release(&match->matched);
	memset(match, 0, sizeof(*match));
}

/* A search that ran out of budget counts as a match (fail closed). */
static bool regex_hit(const struct pol_regex *re, const char *text)
{
	size_t len = strnlen(text, POL_SCORE_MAX_TEXT);

	return pol_regex_search(re, text, len, NULL, NULL) != 0;
}

static bool pattern_matches(const struct pol_risk_pattern *rp, const struct pol_domain_texts *t)
{
	const char *texts[4];
	size_t n = 0;

	switch (rp->target) {
	case POL_DOMAIN_FUNCTION_NAME: texts[n++] = t->function_name; break;
	case POL_DOMAIN_ARGS: texts[n++] = t->args; break;
	case POL_DOMAIN_KWARGS: texts[n++] = t->kwargs; break;
	case POL_DOMAIN_DOCSTRING: texts[n++] = t->doc; break;
	case POL_DOMAIN_PATH:
		texts[n++] = t->path;
		if (t->path2 && t->path2[0])
			texts[n++] = t->path2; /* a rename names two paths */
		break;
	case POL_DOMAIN_HOST: texts[n++] = t->host; break;
	case POL_DOMAIN_ANY:
		texts[n++] = t->function_name;
		texts[n++] = t->args;
		texts[n++] = t->kwargs;
		texts[n++] = t->doc;
		break;
	}
	for (size_t i = 0; i < n; i++)
		if (texts[i][0] && regex_hit(rp->regex, texts[i]))
			return true;
	return false;
}

/* A growing text buffer for factor descriptions; truncates silently at
 * its cap (descriptions are for humans). */
struct text_buf {
	char data[2048];
	size_t len;
};

static void tb_add(struct text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_add(struct text_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->data) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, sizeof(b->data) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len >= sizeof(b->data))
		b->len = sizeof(b->data) - 1;
}

static double blend(double s, double c)
{
	double b = s + c * (1.0 - s);

	return b > s ? b : s;
}

int pol_domain_assess(const struct pol_domain_profile *p, const struct pol_domain_texts *t,
		      const struct pol_domain_extra *extra, double *score,
		      struct pol_assessment *a, struct pol_domain_match *match)
{
	struct text_buf names = { .len = 0 }, evidence = { .len = 0 }, refs = { .len = 0 };
	double s = *score, cmax = -1.0, smax = 0.0;
	bool critical = false, safe = false;
	char desc[512], ev[256];
	int r;

	names.data[0] = evidence.data[0] = refs.data[0] = '\0';
	/* Step 2: patterns (largest contribution, blended once). */
	for (size_t i = 0; i < p->n_patterns; i++) {
		const struct pol_risk_pattern *rp = &p->patterns[i];

		if (!pattern_matches(rp, t))
			continue;
		tb_add(&names, "%s%s", names.len ? ", " : "", rp->name);
		tb_add(&evidence, "%s%s (%s, +%.3f)", evidence.len ? "; " : "", rp->name,
		       rp->description, rp->contribution);
		for (size_t j = 0; j < rp->compliance_refs.count; j++)
			tb_add(&refs, "%s%s", refs.len ? ", " : "", rp->compliance_refs.items[j]);
		if (rp->contribution > cmax)
			cmax = rp->contribution;
		r = pol_strv_push(&match->matched, rp->name, strlen(rp->name));
		if (r < 0)
			return r;
	}
	if (extra && extra->contribution > 0.0) {
		tb_add(&names, "%s%s", names.len ? ", " : "", extra->names ? extra->names : "agent");
		tb_add(&evidence, "%s%s", evidence.len ? "; " : "", extra->evidence ? extra->evidence : "");
		if (extra->contribution > cmax)
			cmax = extra->contribution;
	}
	if (cmax >= 0.0) {
		struct text_buf d = { .len = 0 };

		tb_add(&d, "Domain patterns matched: %s.%s%s", names.data,
		       refs.len ? " Compliance: " : "", refs.data);
		r = pol_assessment_add(a, "domain_patterns", cmax, d.data, evidence.data);
		if (r < 0)
			return r;
		s = blend(s, cmax);
	}
	/* Step 3: sensitive terms (largest weight, blended). */
	evidence.len = 0;
	evidence.data[0] = '\0';
	for (size_t i = 0; i < p->n_terms; i++) {
		if (!t->full[0] || !regex_hit(p->terms[i].regex, t->full))
			continue;
		tb_add(&evidence, "%s'%s' weight=%.2f", evidence.len ? "; " : "",
		       pol_regex_pattern(p->terms[i].regex), p->terms[i].weight);
		if (p->terms[i].weight > smax)
			smax = p->terms[i].weight;
	}
	if (smax > 0.0) {
		r = pol_assessment_add(a, "sensitive_terms", smax,
				       "Domain-sensitive terminology detected.", evidence.data);
		if (r < 0)
			return r;
		s = blend(s, smax);
	}
	/* Step 4: critical floor, else safe cap. */
	for (size_t i = 0; i < p->n_critical && !critical; i++)
		critical = regex_hit(p->critical_actions[i].regex, t->function_name);
	for (size_t i = 0; i < p->n_safe && !safe; i++)
		safe = regex_hit(p->safe_actions[i].regex, t->function_name);
	if (extra && extra->critical)
		critical = true;
	if (extra && extra->safe)
		safe = true;
	snprintf(ev, sizeof(ev), "matched %s in domain '%s'",
		 extra && extra->critical ? (extra->critical_reason ? extra->critical_reason : "agent analysis")
					 : "critical_actions", p->name);
	if (critical) {
		if (s < 0.8) {
			snprintf(desc, sizeof(desc), "Function '%s' matches a domain critical action pattern.  "
				 "Score floored to 0.8.", t->function_name);
			r = pol_assessment_add(a, "critical_action_override", 0.8 - s, desc, ev);
			s = 0.8;
		} else {
			snprintf(desc, sizeof(desc), "Function '%s' matches a domain critical action pattern "
				 "(score already >= 0.8).", t->function_name);
			r = pol_assessment_add(a, "critical_action_flag", 0.0, desc, ev);
		}
		if (r < 0)
			return r;
	} else if (safe) {
		snprintf(ev, sizeof(ev), "matched %s in domain '%s'",
			 extra && extra->safe && extra->safe_reason ? extra->safe_reason : "safe_actions",
			 p->name);
		if (s > 0.15) {
			snprintf(desc, sizeof(desc), "Function '%s' matches a domain safe action pattern.  "
				 "Score capped to 0.15.", t->function_name);
			r = pol_assessment_add(a, "safe_action_override", -(s - 0.15), desc, ev);
			s = 0.15;
		} else {
			snprintf(desc, sizeof(desc), "Function '%s' matches a domain safe action pattern "
				 "(score already <= 0.15).", t->function_name);
			r = pol_assessment_add(a, "safe_action_flag", 0.0, desc, ev);
		}
		if (r < 0)
			return r;
	}
	match->critical = critical;
	match->safe = safe && !critical;
	/* Step 5: base risk floor. */
	if (p->base_risk_floor > 0.0 && s < p->base_risk_floor) {
		snprintf(desc, sizeof(desc), "Domain '%s' enforces a base risk floor of %.2f.",
			 p->name, p->base_risk_floor);
		snprintf(ev, sizeof(ev), "score %.4f raised to %.4f", s, p->base_risk_floor);
		r = pol_assessment_add(a, "domain_risk_floor", p->base_risk_floor - s, desc, ev);
		if (r < 0)
			return r;
		s = p->base_risk_floor;
	}
	*score = s;
	return 0;
}

bool pol_escalation_fires(const struct pol_escalation *rule, const char *environment,
			  double score, enum pol_level level, const struct pol_domain_match *match)
{
	switch (rule->kind) {
	case POL_COND_SCORE:
		switch (rule->op) {
		case POL_OP_GT: return score > rule->threshold;
		case POL_OP_GE: return score >= rule->threshold;
		case POL_OP_LT: return score < rule->threshold;
		case POL_OP_LE: return score <= rule->threshold;
		case POL_OP_EQ: return fabs(score - rule->threshold) < 1e-9;
		case POL_OP_NE: return fabs(score - rule->threshold) >= 1e-9;
		}
		return false;
	case POL_COND_PATTERN:
		for (size_t i = 0; match && i < match->matched.count; i++)
			if (!strcmp(match->matched.items[i], rule->operand))
				return true;
		return false;
	case POL_COND_ENVIRONMENT:
		return !strcasecmp(environment ? environment : "development", rule->operand);
	case POL_COND_LEVEL:
		return level == rule->level;
	}
	return false;
}
