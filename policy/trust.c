/*
 * The trust model (see trust.h and docs/trust.md): scores derived from a
 * per-(agent, domain) history summary, the events that change that
 * summary, and the risk adjustment of pipeline step 6. Pure: no I/O (the
 * file format and locking live in trust_store.c). Trusts its callers for
 * timestamps; agent ids and domain names are validated because they come
 * from configs, CLI arguments and the store file.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pol_limits.h"
#include "trust_internal.h"

static const char *const severity_names[POL_TRUST_SEVERITY_COUNT] = {
	[POL_TRUST_SEVERITY_LOW] = "low",
	[POL_TRUST_SEVERITY_MEDIUM] = "medium",
	[POL_TRUST_SEVERITY_HIGH] = "high",
	[POL_TRUST_SEVERITY_CRITICAL] = "critical",
};

/* How many units of incident_penalty one incident of each severity costs. */
static const double severity_weights[POL_TRUST_SEVERITY_COUNT] = { 0.5, 1.0, 2.0, 3.0 };

const char *pol_trust_severity_name(enum pol_trust_severity severity)
{
	if ((unsigned)severity >= POL_TRUST_SEVERITY_COUNT)
		return "unknown";
	return severity_names[severity];
}

int pol_trust_severity_parse(const char *name, enum pol_trust_severity *ret_severity)
{
	if (!name)
		return -EINVAL;
	for (unsigned i = 0; i < POL_TRUST_SEVERITY_COUNT; i++) {
		if (!strcmp(name, severity_names[i])) {
			*ret_severity = (enum pol_trust_severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

void pol_trust_params_from_config(const struct pol_config *config,
				  struct pol_trust_params *ret_params)
{
	ret_params->initial_score = config->trust_initial_score;
	ret_params->ceiling = config->trust_ceiling;
	ret_params->decay_rate = config->trust_decay_rate;
	ret_params->influence = config->trust_influence;
	ret_params->incident_penalty = config->trust_incident_penalty;
}

bool trust_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, POL_TRUST_MAX_NAME + 1);
	if (len == 0 || len > POL_TRUST_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* --- table -------------------------------------------------------------- */

static void domain_release(struct pol_trust_domain *domain)
{
	free(domain->name);
	free(domain->last_incident_action);
}

static void agent_release(struct pol_trust_agent *agent)
{
	for (size_t i = 0; i < agent->n_domains; i++)
		domain_release(&agent->domains[i]);
	free(agent->domains);
	free(agent->id);
}

void trust_table_release(struct trust_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		agent_release(&table->agents[i]);
	free(table->agents);
	table->agents = NULL;
	table->count = table->capacity = 0;
}

/* Index of id, or of where it would go (*found false). */
static size_t table_search(const struct trust_table *table, const char *id, bool *found)
{
	size_t lo = 0, hi = table->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(table->agents[mid].id, id);
		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct pol_trust_agent *trust_table_agent(struct trust_table *table, const char *id,
					  bool create, int *err)
{
	bool found;
	size_t at;
	char *copy;

	if (!trust_name_valid(id)) {
		*err = -EINVAL;
		return NULL;
	}
	at = table_search(table, id, &found);
	if (found)
		return &table->agents[at];
	if (!create) {
		*err = -ENOENT;
		return NULL;
	}
	if (table->count >= POL_TRUST_MAX_AGENTS) {
		*err = -E2BIG;
		return NULL;
	}
	if (table->count == table->capacity) {
		size_t cap = table->capacity ? table->capacity * 2 : 8;
		struct pol_trust_agent *grown = realloc(table->agents, cap * sizeof(*grown));
		if (!grown) {
			*err = -ENOMEM;
			return NULL;
		}
		table->agents = grown;
		table->capacity = cap;
	}
	copy = strdup(id);
	if (!copy) {
		*err = -ENOMEM;
		return NULL;
	}
	memmove(&table->agents[at + 1], &table->agents[at],
		(table->count - at) * sizeof(table->agents[0]));
	memset(&table->agents[at], 0, sizeof(table->agents[0]));
	table->agents[at].id = copy;
	table->count++;
	return &table->agents[at];
}

struct pol_trust_domain *trust_agent_domain(struct pol_trust_agent *agent, const char *name,
					    bool create, double now, int *err)
{
	size_t at = 0;
	struct pol_trust_domain *grown;
	char *copy;

	if (!trust_name_valid(name)) {
		*err = -EINVAL;
		return NULL;
	}
	for (; at < agent->n_domains; at++) {
		int cmp = strcmp(agent->domains[at].name, name);
		if (cmp == 0)
			return &agent->domains[at];
		if (cmp > 0)
			break;
	}
	if (!create) {
		*err = -ENOENT;
		return NULL;
	}
	if (agent->n_domains >= POL_TRUST_MAX_DOMAINS) {
		*err = -E2BIG;
		return NULL;
	}
	grown = realloc(agent->domains, (agent->n_domains + 1) * sizeof(*grown));
	if (!grown) {
		*err = -ENOMEM;
		return NULL;
	}
	agent->domains = grown;
	copy = strdup(name);
	if (!copy) {
		*err = -ENOMEM;
		return NULL;
	}
	memmove(&agent->domains[at + 1], &agent->domains[at],
		(agent->n_domains - at) * sizeof(agent->domains[0]));
	memset(&agent->domains[at], 0, sizeof(agent->domains[0]));
	agent->domains[at].name = copy;
	agent->domains[at].first_seen = now;
	agent->domains[at].last_activity = now;
	agent->n_domains++;
	return &agent->domains[at];
}

static void touch(struct pol_trust_domain *domain, double now)
{
	if (now > domain->last_activity)
		domain->last_activity = now;
}

static void bump(uint64_t *count)
{
	/* Saturate: counts beyond 2^53 could not round-trip through JSON. */
	if (*count < (UINT64_C(1) << 53) - 1)
		(*count)++;
}

int trust_table_apply(struct trust_table *table, const struct trust_op *op)
{
	struct pol_trust_agent *agent;
	struct pol_trust_domain *domain;
	const char *domain_name = op->domain ? op->domain : POL_TRUST_DEFAULT_DOMAIN;
	int err = 0;

	agent = trust_table_agent(table, op->agent_id, op->kind != TRUST_OP_REINSTATE, &err);
	if (!agent)
		return err;
	switch (op->kind) {
	case TRUST_OP_DECISION:
	case TRUST_OP_INCIDENT:
		domain = trust_agent_domain(agent, domain_name, true, op->now, &err);
		if (!domain)
			return err;
		if (op->kind == TRUST_OP_INCIDENT) {
			char *action = NULL;
			if (op->action) {
				action = strndup(op->action, POL_TRUST_MAX_NAME);
				if (!action)
					return -ENOMEM;
			}
			bump(&domain->incidents[op->severity]);
			free(domain->last_incident_action);
			domain->last_incident_action = action;
			domain->last_incident_at = op->now;
		} else if (op->event == POL_TRUST_APPROVED) {
			bump(&domain->approvals);
		} else {
			bump(&domain->denials);
		}
		touch(domain, op->now);
		return 0;
	case TRUST_OP_REVOKE:
		/* Idempotent: a second revoke keeps the first time. */
		if (!agent->revoked) {
			agent->revoked = true;
			agent->revoked_at = op->now;
			bump(&agent->revocations);
		}
		return 0;
	case TRUST_OP_REINSTATE:
		if (!agent->revoked)
			return -ENOENT;
		agent->revoked = false;
		/* A fresh start: what was earned before the revocation does not
		 * come back, but incidents keep penalizing (docs/trust.md). */
		for (size_t i = 0; i < agent->n_domains; i++) {
			agent->domains[i].approvals = 0;
			agent->domains[i].denials = 0;
			touch(&agent->domains[i], op->now);
		}
		return 0;
	}
	return -EINVAL;
}

/* --- the model ---------------------------------------------------------- */

static double clamp01(double x)
{
	if (isnan(x))
		return 0.0;
	return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

struct trust_totals {
	double approvals, denials, incident_units, last_activity;
};

static double incident_units(const struct pol_trust_domain *domain)
{
	double units = 0.0;

	for (unsigned s = 0; s < POL_TRUST_SEVERITY_COUNT; s++)
		units += (double)domain->incidents[s] * severity_weights[s];
	return units;
}

static double model_score(const struct pol_trust_params *p, const struct trust_totals *t,
			  double now)
{
	double initial = clamp01(p->initial_score);
	double base, idle_days, score;

	base = (t->approvals + initial * POL_TRUST_PRIOR_WEIGHT) /
	       (t->approvals + POL_TRUST_DENIAL_WEIGHT * t->denials + POL_TRUST_PRIOR_WEIGHT);
	idle_days = (now - t->last_activity) / 86400.0;
	if (t->last_activity > 0 && idle_days > 0 && base > initial)
		base = initial + (base - initial) * exp(-p->decay_rate * idle_days);
	score = base * pow(p->incident_penalty, t->incident_units);
	if (score > p->ceiling)
		score = p->ceiling;
	return clamp01(score);
}

static const struct pol_trust_agent *find_agent(const struct pol_trust_store *store,
						const char *agent_id)
{
	bool found;
	size_t at;

	if (!trust_name_valid(agent_id))
		return NULL;
	at = table_search(&store->table, agent_id, &found);
	return found ? &store->table.agents[at] : NULL;
}

double pol_trust_score(const struct pol_trust_store *store, const char *agent_id,
		       const char *domain, double now)
{
	const struct pol_trust_agent *agent = find_agent(store, agent_id ? agent_id : "default");
	struct trust_totals totals = { 0 };

	if (agent && agent->revoked)
		return 0.0;
	if (agent) {
		for (size_t i = 0; i < agent->n_domains; i++) {
			const struct pol_trust_domain *d = &agent->domains[i];
			/* Incidents anywhere lower trust everywhere. */
			totals.incident_units += incident_units(d);
			if (domain && strcmp(d->name, domain))
				continue;
			totals.approvals += (double)d->approvals;
			totals.denials += (double)d->denials;
			if (d->last_activity > totals.last_activity)
				totals.last_activity = d->last_activity;
		}
	}
	return model_score(&store->params, &totals, now);
}

uint64_t pol_trust_approvals_to_ceiling(const struct pol_trust_params *params)
{
	struct trust_totals totals = { 0 };
	double initial = clamp01(params->initial_score);
	double need;

	if (initial >= params->ceiling)
		return 0;
	if (params->ceiling >= 1.0)
		return UINT64_MAX;
	/* Solve (a + I*P) / (a + P) = c for a, then check by evaluation so
	 * rounding can never make the documented number wrong by one. */
	need = ceil(POL_TRUST_PRIOR_WEIGHT * (params->ceiling - initial) / (1.0 - params->ceiling));
	if (need < 0)
		need = 0;
	totals.approvals = need > 1 ? need - 1 : 0;
	while (model_score(params, &totals, 0) < params->ceiling)
		totals.approvals += 1;
	return (uint64_t)totals.approvals;
}

/* --- events ------------------------------------------------------------- */

static void op_release(struct trust_op *op)
{
	free(op->agent_id);
	free(op->domain);
	free(op->action);
}

/* Apply op to the in-memory table and keep it for replay at save time. */
static int store_event(struct pol_trust_store *store, struct trust_op *op)
{
	struct trust_op copy = *op;
	int r;

	if (!trust_name_valid(op->agent_id) || (op->domain && !trust_name_valid(op->domain)))
		return -EINVAL;
	if (store->n_pending == store->cap_pending) {
		size_t cap = store->cap_pending ? store->cap_pending * 2 : 8;
		struct trust_op *grown = realloc(store->pending, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		store->pending = grown;
		store->cap_pending = cap;
	}
	copy.agent_id = strdup(op->agent_id);
	copy.domain = op->domain ? strdup(op->domain) : NULL;
	copy.action = op->action ? strndup(op->action, POL_TRUST_MAX_NAME) : NULL;
	if (!copy.agent_id || (op->domain && !copy.domain) || (op->action && !copy.action)) {
		op_release(&copy);
		return -ENOMEM;
	}
	r = trust_table_apply(&store->table, &copy);
	if (r < 0) {
		op_release(&copy);
		return r;
	}
	store->pending[store->n_pending++] = copy;
	return 0;
}

int pol_trust_record(struct pol_trust_store *store, const char *agent_id,
		     const char *domain, enum pol_trust_event event, double now)
{
	struct trust_op op = { .agent_id = (char *)(agent_id ? agent_id : "default"),
			       .domain = (char *)domain, .now = now };

	switch (event) {
	case POL_TRUST_APPROVED:
	case POL_TRUST_DENIED:
		op.kind = TRUST_OP_DECISION;
		op.event = event;
		break;
	case POL_TRUST_INCIDENT:
		op.kind = TRUST_OP_INCIDENT;
		op.severity = POL_TRUST_SEVERITY_MEDIUM;
		break;
	default:
		return -EINVAL;
	}
	return store_event(store, &op);
}

int pol_trust_incident(struct pol_trust_store *store, const char *agent_id,
		       const char *domain, enum pol_trust_severity severity,
		       const char *action, double now)
{
	struct trust_op op = { .kind = TRUST_OP_INCIDENT,
			       .agent_id = (char *)(agent_id ? agent_id : "default"),
			       .domain = (char *)domain, .severity = severity,
			       .action = (char *)action, .now = now };

	if ((unsigned)severity >= POL_TRUST_SEVERITY_COUNT)
		return -EINVAL;
	return store_event(store, &op);
}

int pol_trust_revoke(struct pol_trust_store *store, const char *agent_id, double now)
{
	struct trust_op op = { .kind = TRUST_OP_REVOKE,
			       .agent_id = (char *)(agent_id ? agent_id : "default"), .now = now };

	return store_event(store, &op);
}

int pol_trust_reinstate(struct pol_trust_store *store, const char *agent_id, double now)
{
	struct trust_op op = { .kind = TRUST_OP_REINSTATE,
			       .agent_id = (char *)(agent_id ? agent_id : "default"), .now = now };
	const struct pol_trust_agent *agent = find_agent(store, op.agent_id);

	if (!trust_name_valid(op.agent_id))
		return -EINVAL;
	if (!agent || !agent->revoked)
		return -ENOENT;
	return store_event(store, &op);
}

/* --- risk adjustment ------------------------------------------------------ */

double pol_trust_effective_risk(double raw, double trust, double influence)
{
	return clamp01(raw * (1.0 - (trust - 0.5) * influence));
}

int pol_trust_adjust(double raw_score, enum pol_level raw_level, double trust,
		     const struct pol_config *config, double *ret_score,
		     enum pol_level *ret_level)
{
	double score;

	/* SECURITY: the agent earns trust by being approved, so an agent
	 * that farmed approvals on harmless calls must still face a human
	 * for anything CRITICAL (critical_always_verify). */
	if (raw_level == POL_LEVEL_CRITICAL && config->critical_always_verify) {
		*ret_score = raw_score;
		*ret_level = raw_level;
		return 0;
	}
	score = pol_trust_effective_risk(raw_score, trust, config->trust_influence);
	*ret_score = score;
	*ret_level = pol_level_from_score(score);
	return 0;
}

/* --- accessors ------------------------------------------------------------ */

const struct pol_trust_params *pol_trust_store_params(const struct pol_trust_store *store)
{
	return &store->params;
}

size_t pol_trust_agent_count(const struct pol_trust_store *store)
{
	return store->table.count;
}

const struct pol_trust_agent *pol_trust_agent_at(const struct pol_trust_store *store, size_t index)
{
	return index < store->table.count ? &store->table.agents[index] : NULL;
}

const struct pol_trust_agent *pol_trust_agent_find(const struct pol_trust_store *store,
						   const char *agent_id)
{
	return find_agent(store, agent_id);
}

void trust_store_pending_release(struct pol_trust_store *store)
{
	for (size_t i = 0; i < store->n_pending; i++)
		op_release(&store->pending[i]);
	store->n_pending = 0;
}

struct cJSON *pol_trust_agent_to_json(const struct pol_trust_store *store,
				      const char *agent_id, double now)
{
	const struct pol_trust_agent *agent = find_agent(store, agent_id ? agent_id : "default");
	cJSON *root = cJSON_CreateObject(), *domains, *d, *inc;
	bool ok = root != NULL;

	if (!ok)
		return NULL;
	ok = cJSON_AddStringToObject(root, "agent_id", agent_id ? agent_id : "default") &&
	     cJSON_AddNumberToObject(root, "trust", pol_trust_score(store, agent_id, NULL, now)) &&
	     cJSON_AddBoolToObject(root, "known", agent != NULL) &&
	     cJSON_AddBoolToObject(root, "revoked", agent && agent->revoked) &&
	     (agent && agent->revoked ? cJSON_AddNumberToObject(root, "revoked_at", agent->revoked_at)
				      : cJSON_AddNullToObject(root, "revoked_at")) &&
	     cJSON_AddNumberToObject(root, "revocations", agent ? (double)agent->revocations : 0) &&
	     (domains = cJSON_AddArrayToObject(root, "domains")) != NULL;
	for (size_t i = 0; ok && agent && i < agent->n_domains; i++) {
		const struct pol_trust_domain *dom = &agent->domains[i];
		ok = (d = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(domains, d) &&
		     cJSON_AddStringToObject(d, "domain", dom->name) &&
		     cJSON_AddNumberToObject(d, "trust", pol_trust_score(store, agent->id, dom->name, now)) &&
		     cJSON_AddNumberToObject(d, "approvals", (double)dom->approvals) &&
		     cJSON_AddNumberToObject(d, "denials", (double)dom->denials) &&
		     (inc = cJSON_AddObjectToObject(d, "incidents")) != NULL &&
		     cJSON_AddNumberToObject(d, "first_seen", dom->first_seen) &&
		     cJSON_AddNumberToObject(d, "last_activity", dom->last_activity) &&
		     (dom->last_incident_action
			      ? cJSON_AddStringToObject(d, "last_incident_action", dom->last_incident_action)
			      : cJSON_AddNullToObject(d, "last_incident_action"));
		for (unsigned s = 0; ok && s < POL_TRUST_SEVERITY_COUNT; s++)
			ok = cJSON_AddNumberToObject(inc, severity_names[s], (double)dom->incidents[s]) != NULL;
	}
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
