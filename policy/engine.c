/*
 * The decision pipeline (engine.h, docs/score.md steps 1-6, 8, 9). Built once
 * from a validated config: the profiles are found, loaded, merged and
 * their regexes compiled here, never per call. pol_engine_evaluate() then
 * reads only the action (untrusted: it comes from the sandboxed program
 * via the supervisor, or from a context file) and the immutable engine,
 * except for the novelty counters, which sit behind a mutex in a bounded
 * table. Every step that changes the score adds a named factor.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent.h"
#include "catalog.h"
#include "domain.h"
#include "engine.h"
#include "engine_internal.h"
#include "exec_names.h"
#include "pol_limits.h"
#include "regex.h"

#define NOVELTY_BUCKETS 1024

struct novelty_entry {
	struct novelty_entry *next;
	unsigned count;
	char key[];           /* "agent\0function" */
};

struct pol_engine {
	const struct pol_config *config;
	struct pol_domain_profile *syscall_profile; /* agent + configured domains, or NULL */
	struct pol_domain_profile *generic_profile; /* configured domains only, or NULL */
	char *home;
	char *workspace;
	pthread_mutex_t lock;
	struct novelty_entry *buckets[NOVELTY_BUCKETS];
	size_t n_novelty;
};

static int merge_list(struct pol_domain_profile **list, size_t n, struct pol_domain_profile **ret)
{
	*ret = NULL;
	if (!n)
		return 0;
	return pol_domain_merge((const struct pol_domain_profile *const *)list, n, ret);
}

static int build_profiles(struct pol_engine *e, struct pol_diag *diag)
{
	const struct pol_config *c = e->config;
	size_t n = c->domains.count, used = 0;
	struct pol_domain_profile **loaded = calloc(n + 1, sizeof(*loaded));
	struct pol_domain_profile *agent = NULL;
	bool agent_listed = false;
	int r = -ENOMEM;

	if (!loaded)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = c->domains.items[i];

		if (!strcmp(name, "agent")) {
			agent_listed = true;
			continue;
		}
		r = pol_domain_find(c, name, &loaded[used], diag);
		if (r == -ENOENT && !c->domain_strict) {
			loaded[used] = NULL;
			continue;
		}
		if (r < 0)
			goto out;
		used++;
	}
	r = merge_list(loaded, used, &e->generic_profile);
	if (r < 0)
		goto out;
	if (c->builtin_agent_profile || agent_listed) {
		r = pol_agent_profile_new(&agent);
		if (r < 0)
			goto out;
		memmove(loaded + 1, loaded, used * sizeof(*loaded));
		loaded[0] = agent;
		used++;
	}
	r = merge_list(loaded, used, &e->syscall_profile);
out:
	for (size_t i = 0; i < used; i++)
		pol_domain_free(loaded[i]);
	free(loaded);
	return r;
}

int pol_engine_new(const struct pol_config *config, struct pol_engine **ret_engine,
		   struct pol_diag *diag)
{
	struct pol_engine *e;
	const char *home = getenv("HOME");
	char cwd[POL_TARGET_MAX_PATH];
	int r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->config = config;
	pthread_mutex_init(&e->lock, NULL);
	/* Home and workspace are the supervisor's, fixed at start-up: the
	 * sandboxed program cannot move them by changing its own env or cwd. */
	e->home = home && home[0] == '/' ? strdup(home) : NULL;
	if (config->workspace)
		e->workspace = strdup(config->workspace);
	else if (getcwd(cwd, sizeof(cwd)))
		e->workspace = strdup(cwd);
	r = build_profiles(e, diag);
	if (r < 0) {
		pol_engine_free(e);
		return r;
	}
	*ret_engine = e;
	return 0;
}

void pol_engine_free(struct pol_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < NOVELTY_BUCKETS; i++) {
		struct novelty_entry *n = e->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	pol_domain_free(e->syscall_profile);
	pol_domain_free(e->generic_profile);
	pthread_mutex_destroy(&e->lock);
	free(e->home);
	free(e->workspace);
	free(e);
}

void pol_decision_release(struct pol_decision *d)
{
	if (!d)
		return;
	pol_assessment_release(&d->assessment);
	memset(d, 0, sizeof(*d));
}

/* --- novelty --------------------------------------------------------- */

static uint64_t hash_key(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

static void novelty_clear(struct pol_engine *e)
{
	for (size_t i = 0; i < NOVELTY_BUCKETS; i++) {
		struct novelty_entry *n = e->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
		e->buckets[i] = NULL;
	}
	e->n_novelty = 0;
}

/* Calls of (agent, function) seen before; counts this one if asked. */
static unsigned novelty_calls(struct pol_engine *e, const char *agent, const char *fn, bool count)
{
	size_t la = strnlen(agent, 256), lf = strnlen(fn, 256);
	uint64_t h = hash_key(agent, fn);
	struct novelty_entry *n;
	unsigned calls = 0;

	pthread_mutex_lock(&e->lock);
	for (n = e->buckets[h % NOVELTY_BUCKETS]; n; n = n->next)
		if (!strncmp(n->key, agent, la) && !n->key[la] && !strncmp(n->key + la + 1, fn, lf) &&
		    !n->key[la + 1 + lf])
			break;
	if (n)
		calls = n->count;
	if (count) {
		if (!n) {
			if (e->n_novelty >= POL_NOVELTY_MAX_ENTRIES)
				novelty_clear(e);
			n = malloc(sizeof(*n) + la + lf + 2);
			if (n) {
				memcpy(n->key, agent, la);
				n->key[la] = '\0';
				memcpy(n->key + la + 1, fn, lf);
				n->key[la + 1 + lf] = '\0';
				n->count = 0;
				n->next = e->buckets[h % NOVELTY_BUCKETS];
				e->buckets[h % NOVELTY_BUCKETS] = n;
				e->n_novelty++;
			}
		}
		if (n && n->count < 1000)
			n->count++;
	}
	pthread_mutex_unlock(&e->lock);
	return calls;
}

/* --- steps ------------------------------------------------------------- */

static double clamp01(double v)
{
	return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

static double env_multiplier(const char *env, const struct pol_domain_profile *profile)
{
	if (!strcasecmp(env, "production"))
		return profile ? profile->production_multiplier : 1.5;
	if (!strcasecmp(env, "staging"))
		return 1.2;
	if (!strcasecmp(env, "development"))
		return 0.8;
	return 1.0; /* ci and anything else */
}

static double level_score(enum pol_level level)
{
	static const double scores[POL_LEVEL_COUNT] = { 0.15, 0.45, 0.70, 0.90 };

	return scores[level];
}

/* Agent findings -> the extra contribution of the domain step. */
struct agent_summary {
	struct agent_result res;
	char names[512];
	char evidence[1536];
	struct pol_domain_extra extra;
};

static void summarize(struct agent_summary *s)
{
	enum agent_sev max = agent_max_sev(&s->res);
	size_t nl = 0, el = 0;

	s->names[0] = s->evidence[0] = '\0';
	for (size_t i = 0; i < s->res.n; i++) {
		const struct agent_finding *f = &s->res.items[i];
		int k;

		if (f->sev <= SEV_SAFE)
			continue;
		if (!strstr(s->names, f->rule)) {
			k = snprintf(s->names + nl, sizeof(s->names) - nl, "%s%s", nl ? ", " : "", f->rule);
			if (k > 0 && (size_t)k < sizeof(s->names) - nl)
				nl += (size_t)k;
		}
		k = snprintf(s->evidence + el, sizeof(s->evidence) - el, "%s%s [%s]: %s", el ? "; " : "",
			     f->rule, agent_sev_name(f->sev), f->evidence);
		if (k > 0 && (size_t)k < sizeof(s->evidence) - el)
			el += (size_t)k;
	}
	memset(&s->extra, 0, sizeof(s->extra));
	s->extra.contribution = agent_sev_contribution(max);
	s->extra.names = s->names;
	s->extra.evidence = s->evidence;
	s->extra.critical = max == SEV_CRITICAL;
	s->extra.critical_reason = "a critical syscall action";
	s->extra.safe = max <= SEV_SAFE && s->res.commands && s->res.safe_commands == s->res.commands;
	s->extra.safe_reason = "a known harmless syscall action";
}

static const char *amplifier_text(const struct pol_amplifier *amp, const struct pol_domain_texts *t,
				  size_t i)
{
	switch (amp->target) {
	case POL_TARGET_NAME: return i == 0 ? t->function_name : NULL;
	case POL_TARGET_ARGS: return i == 0 ? t->args : NULL;
	/* a rename names two paths: a path amplifier matches either */
	case POL_TARGET_PATH: return i == 0 ? t->path : i == 1 && t->path2 && t->path2[0] ? t->path2 : NULL;
	case POL_TARGET_HOST: return i == 0 ? t->host : NULL;
	case POL_TARGET_ANY:
		return i == 0 ? t->function_name : i == 1 ? t->args : i == 2 ? t->doc : NULL;
	}
	return NULL;
}

static int apply_amplifiers(const struct pol_config *c, const struct pol_domain_texts *t,
			    double *score, struct pol_assessment *a)
{
	double s = *score;
	bool any = false;

	for (size_t k = 0; k < c->n_amplifiers; k++) {
		const struct pol_amplifier *amp = &c->amplifiers[k];
		const char *text, *hit = NULL;
		char desc[256], ev[256];
		size_t start = 0, end = 0;
		int m = 0;

		for (size_t i = 0; m == 0 && (text = amplifier_text(amp, t, i)); i++) {
			if (text[0] || amp->target == POL_TARGET_NAME)
				m = pol_regex_search(amp->regex, text, strnlen(text, POL_SCORE_MAX_TEXT),
						     &start, &end);
			hit = text;
		}
		if (m == 0)
			continue;
		text = hit;
		snprintf(desc, sizeof(desc), "Config amplifier '%s' (target %s, line %u) matched: +%g",
			 amp->pattern, pol_target_name(amp->target), amp->line, amp->boost);
		if (m > 0 && text && end >= start)
			snprintf(ev, sizeof(ev), "matched '%.*s'", (int)(end - start > 200 ? 200 : end - start),
				 text + start);
		else
			snprintf(ev, sizeof(ev), "match budget exhausted: counted as a match");
		if (pol_assessment_add(a, "amplifier", amp->boost, desc, ev) < 0)
			return -ENOMEM;
		s += amp->boost;
		any = true;
	}
	if (any)
		*score = clamp01(s);
	return 0;
}

static enum pol_challenge stronger(enum pol_challenge a, enum pol_challenge b)
{
	return a > b ? a : b;
}

static int apply_escalations(const struct pol_domain_profile *p, const char *env,
			     const struct pol_domain_match *match, struct pol_decision *d)
{
	for (size_t i = 0; p && i < p->n_escalations; i++) {
		const struct pol_escalation *rule = &p->escalations[i];
		char desc[512];

		if (!pol_escalation_fires(rule, env, d->assessment.score, d->assessment.level, match))
			continue;
		switch (rule->action) {
		case POL_ESCALATE_BLOCK:
			d->blocked = true;
			break;
		case POL_ESCALATE_MULTI_PARTY:
			d->challenge = POL_CHALLENGE_MULTI_PARTY;
			if (d->approvers_required < rule->required_approvers)
				d->approvers_required = rule->required_approvers;
			if (d->approvers_required < 2)
				d->approvers_required = 2;
			break;
		case POL_ESCALATE_TEACH_BACK:
			d->challenge = stronger(d->challenge, POL_CHALLENGE_TEACH_BACK);
			break;
		case POL_ESCALATE_CONFIRMATION:
			d->challenge = stronger(d->challenge, POL_CHALLENGE_CONFIRM);
			break;
		case POL_ESCALATE_NOTIFY:
			break;
		}
		snprintf(desc, sizeof(desc), "Escalation rule of domain '%s': when '%s' then %s%s%s",
			 p->name, rule->condition, pol_escalation_action_name(rule->action),
			 rule->description && rule->description[0] ? ": " : "",
			 rule->description ? rule->description : "");
		if (pol_assessment_add(&d->assessment, "escalation", 0.0, desc,
				       pol_escalation_action_name(rule->action)) < 0)
			return -ENOMEM;
		if (rule->action == POL_ESCALATE_BLOCK && !d->reason[0])
			snprintf(d->reason, sizeof(d->reason), "blocked by domain '%s' rule '%s'", p->name,
				 rule->condition);
	}
	if (d->challenge != POL_CHALLENGE_AUTO_APPROVE && !d->approvers_required)
		d->approvers_required = 1;
	return 0;
}

static void choose_challenge(const struct pol_config *c, enum pol_level level, struct pol_decision *d)
{
	d->challenge = c->challenge_map[level];
	d->approvers_required = 0;
	if (!c->challenge_map_set[level] && c->require_multi_party[level] >= 2)
		d->challenge = POL_CHALLENGE_MULTI_PARTY;
	if (d->challenge == POL_CHALLENGE_MULTI_PARTY)
		d->approvers_required = c->require_multi_party[level] >= 2 ? c->require_multi_party[level] : 2;
	else if (d->challenge != POL_CHALLENGE_AUTO_APPROVE)
		d->approvers_required = 1;
}

int pol_engine_evaluate_one(struct pol_engine *e, const struct pol_action *action,
			    double trust, bool count_novelty, struct pol_decision *ret)
{
	const struct pol_config *c = e->config;
	bool generic = action->action_class == POL_ACTION_GENERIC;
	const struct pol_domain_profile *profile = generic ? e->generic_profile : e->syscall_profile;
	const char *env = action->environment ? action->environment
			  : c->environment ? c->environment : "development";
	const char *agent_id = action->agent_id ? action->agent_id : c->agent_id ? c->agent_id : "default";
	struct pol_domain_match match = { .critical = false };
	struct pol_domain_texts texts = { .function_name = NULL };
	struct agent_summary *summary = NULL;
	const struct pol_override *override;
	struct pol_action scored = *action;
	struct pol_decision d;
	enum pol_level level;
	char desc[512];
	double s;
	int r;

	memset(&d, 0, sizeof(d));
	pol_assessment_init(&d.assessment);
	if (!scored.function_name)
		scored.function_name = "";
	/* exec: the catalog says what the program does (docs/decode.md). */
	if (action->action_class == POL_ACTION_EXEC && !action->function_doc) {
		const struct pol_catalog_entry *entry = pol_catalog_lookup(scored.function_name);

		if (entry)
			scored.function_doc = (char *)entry->doc;
	}
	/* Step 1: the reference scorer. */
	r = pol_risk_score_reference(&scored, novelty_calls(e, agent_id, scored.function_name, count_novelty),
				     &d.assessment);
	if (r < 0)
		goto out;
	s = d.assessment.score;
	r = pol_domain_texts_init(&texts, &scored);
	if (r < 0)
		goto out;
	/* Step 2: domain profiles (and the agent analysis for syscalls). */
	if (profile) {
		const struct pol_domain_extra *extra = NULL;

		if (profile->syscall_analyzer && !generic) {
			struct agent_env aenv = { e->home, e->workspace, action->cwd ? action->cwd : e->workspace };

			summary = calloc(1, sizeof(*summary));
			if (!summary) {
				r = -ENOMEM;
				goto out;
			}
			agent_analyze(&aenv, action, &summary->res);
			summarize(summary);
			extra = &summary->extra;
			for (size_t i = 0; i < summary->res.n; i++) {
				r = pol_strv_push(&match.matched, summary->res.items[i].rule,
						  strlen(summary->res.items[i].rule));
				if (r < 0)
					goto out;
			}
		}
		r = pol_domain_assess(profile, &texts, extra, &s, &d.assessment, &match);
		if (r < 0)
			goto out;
		d.critical_action = match.critical;
	}
	/* Step 3: amplifiers. */
	r = apply_amplifiers(c, &texts, &s, &d.assessment);
	if (r < 0)
		goto out;
	/* Step 4: overrides (exact function name; for an exec also the typed
	 * name, lowering only when pinned: exec_names.h; the multiplier is
	 * skipped). */
	const struct pol_override *refused;
	override = pol_override_pick(c, &scored, s, level_score, &refused);
	if (refused) {
		snprintf(desc, sizeof(desc), "Config override '%s' -> %s not applied: '%.200s' is not reached "
			 "through links and a file the agent cannot change (docs/scoring.md)",
			 refused->function_name, pol_level_name(refused->level),
			 scored.typed_path ? scored.typed_path : scored.path ? scored.path : "");
		r = pol_assessment_add(&d.assessment, "override", 0.0, desc, refused->function_name);
		if (r < 0)
			goto out;
	}
	if (override && d.critical_action && override->level < POL_LEVEL_CRITICAL) {
		/* An override names a program ("terraform: high") to set its usual
		 * level; it never lowers what a profile found critical
		 * (terraform destroy). */
		snprintf(desc, sizeof(desc), "Config override '%s' -> %s not applied: a critical action is "
			 "never lowered by an override", override->function_name, pol_level_name(override->level));
		r = pol_assessment_add(&d.assessment, "override", 0.0, desc, override->function_name);
		if (r < 0)
			goto out;
		override = NULL;
	}
	if (override) {
		double o = level_score(override->level);

		snprintf(desc, sizeof(desc), "Config override: '%s' is %s (score %.2f); no environment multiplier",
			 override->function_name, pol_level_name(override->level), o);
		r = pol_assessment_add(&d.assessment, "override", o - s, desc, override->function_name);
		if (r < 0)
			goto out;
		s = o;
	}
	/* Step 5: environment multiplier, skipped for overrides and critical actions. */
	if (!override && !d.critical_action) {
		double m = env_multiplier(env, profile), adjusted = clamp01(s * m);

		if (m != 1.0) {
			snprintf(desc, sizeof(desc), "Environment '%s' multiplier %gx adjusted risk from %.2f to %.2f",
				 env, m, s, adjusted);
			r = pol_assessment_add(&d.assessment, "environment_multiplier", adjusted - s, desc, NULL);
			if (r < 0)
				goto out;
			s = adjusted;
		}
	}
	s = clamp01(s);
	d.raw_score = s;
	d.raw_level = pol_level_from_score(s);
	/* Step 6: trust; CRITICAL stays CRITICAL when critical_always_verify. */
	d.trust = trust;
	if (trust != 0.5) {
		double adjusted = clamp01(s * (1.0 - (trust - 0.5) * c->trust_influence));

		if (d.raw_level == POL_LEVEL_CRITICAL && c->critical_always_verify) {
			snprintf(desc, sizeof(desc), "Trust %.2f not applied: CRITICAL risk is never lowered", trust);
			r = pol_assessment_add(&d.assessment, "trust_adjustment", 0.0, desc, NULL);
		} else if (adjusted != s) {
			snprintf(desc, sizeof(desc), "Trust %.2f adjusted risk from %.2f to %.2f", trust, s, adjusted);
			r = pol_assessment_add(&d.assessment, "trust_adjustment", adjusted - s, desc, NULL);
			s = adjusted;
		}
		if (r < 0)
			goto out;
	}
	level = pol_level_from_score(s);
	d.assessment.score = s;
	d.assessment.level = level;
	snprintf(d.assessment.scorer_name, sizeof(d.assessment.scorer_name), "%s",
		 override ? "override" : profile ? "domain" : "default");
	/* Steps 9 then 8: challenge by level, raised by escalation rules. */
	choose_challenge(c, level, &d);
	r = apply_escalations(profile, env, &match, &d);
	if (r < 0)
		goto out;
	d.minimum_review_seconds = c->minimum_review_seconds[level];
	if (profile && profile->min_review[level] > d.minimum_review_seconds)
		d.minimum_review_seconds = profile->min_review[level];
	if (!d.reason[0]) {
		if (override)
			snprintf(d.reason, sizeof(d.reason), "override: %s is %s", override->function_name,
				 pol_level_name(override->level));
		else if (summary && summary->names[0])
			snprintf(d.reason, sizeof(d.reason), "profile %.40s: %.200s", profile->name, summary->evidence);
		else
			snprintf(d.reason, sizeof(d.reason), "%s risk %.2f", pol_level_name(level), s);
	}
	*ret = d;
	memset(&d, 0, sizeof(d));
	r = 0;
out:
	pol_decision_release(&d);
	pol_domain_texts_release(&texts);
	pol_domain_match_release(&match);
	free(summary);
	return r;
}

