/*
 * The trust engine (docs/trust.md): how much the gate trusts one agent, per
 * domain, computed from a persisted history summary rather than from a
 * stored score, so that the number can always be re-derived and a tampered
 * score field cannot exist.
 *
 * Model (docs/trust.md explains the reasoning and the numbers):
 *
 *   base   = (A + I*P) / (A + Wd*D + P)        Beta-style estimate with a
 *                                              prior of P pseudo-decisions
 *                                              at the initial score I;
 *                                              A approvals, D denials
 *                                              (each worth Wd failures)
 *   decay  = earned trust above I fades with inactivity:
 *            I + (base - I) * exp(-decay_rate * idle_days)  when base > I
 *            (distrust below I never fades by waiting)
 *   penalty= incident_penalty ^ (sum of incident weights, all domains)
 *   trust  = min(ceiling, decay * penalty), or 0 when revoked
 *
 * Storage: a JSON file (trust.path), written atomically (temp file in the
 * same directory, fsync, rename, fsync of the directory), mode 0600 in a
 * 0700 directory, serialized against concurrent writers with flock(2) on
 * "<path>.lock". Loading parses strictly with the caps of pol_limits.h; a
 * corrupt or oversized store is an error naming the file, never a reset.
 * A missing store is an empty one (every agent at the initial score).
 *
 * Ownership and threads: a store is one plain object; the caller
 * serializes access to it (one mutex around score/record/save is enough).
 * Concurrent *processes* are safe: pol_trust_store_save() takes the file
 * lock, re-reads the file and replays this store's unsaved events on top
 * of what other writers saved, so no update is lost.
 */
#ifndef ATTESTA_TRUST_H
#define ATTESTA_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

struct cJSON;

/* Prior weight P: the initial score counts as this many past decisions.
 * With the defaults (initial 0.3, ceiling 0.9) an agent needs 60
 * consecutive approvals to reach the ceiling; the first one moves it from
 * 0.300 to 0.364. */
#define POL_TRUST_PRIOR_WEIGHT 10.0
/* Wd: a human's denial weighs as much as this many approvals. */
#define POL_TRUST_DENIAL_WEIGHT 2.0
/* The domain used when the caller names none (the reference's default). */
#define POL_TRUST_DEFAULT_DOMAIN "general"

enum pol_trust_event {
	POL_TRUST_APPROVED = 0, /* a human approved a challenged action */
	POL_TRUST_DENIED,       /* denied, timed out or escalated */
	POL_TRUST_INCIDENT,     /* an incident of medium severity */
};

enum pol_trust_severity {
	POL_TRUST_SEVERITY_LOW = 0, /* weight 0.5 */
	POL_TRUST_SEVERITY_MEDIUM,  /* weight 1 */
	POL_TRUST_SEVERITY_HIGH,    /* weight 2 */
	POL_TRUST_SEVERITY_CRITICAL,/* weight 3 */
	POL_TRUST_SEVERITY_COUNT
};
/* "low", "medium", "high", "critical". */
const char *pol_trust_severity_name(enum pol_trust_severity severity);
/* Case-sensitive; -EINVAL for anything else. */
int pol_trust_severity_parse(const char *name, enum pol_trust_severity *ret_severity);

/* The model's parameters (copied from a config so the store does not keep
 * a pointer to it). */
struct pol_trust_params {
	double initial_score;
	double ceiling;
	double decay_rate;        /* per day of inactivity */
	double influence;
	double incident_penalty;  /* multiplicative, per incident weight unit */
};
void pol_trust_params_from_config(const struct pol_config *config,
				  struct pol_trust_params *ret_params);

/* The history summary of one (agent, domain). */
struct pol_trust_domain {
	char *name;
	uint64_t approvals;
	uint64_t denials;
	uint64_t incidents[POL_TRUST_SEVERITY_COUNT];
	double first_seen;        /* epoch seconds */
	double last_activity;     /* epoch seconds of the last event */
	double last_incident_at;  /* 0 when none */
	char *last_incident_action; /* NULL when none */
};

struct pol_trust_agent {
	char *id;
	bool revoked;
	double revoked_at;        /* 0 when never */
	uint64_t revocations;     /* how many times ever revoked */
	struct pol_trust_domain *domains; /* sorted by name */
	size_t n_domains;
};

struct pol_trust_store;

/* Read the store at path (NULL: config->trust_path). A missing file gives
 * an empty store. Errors: -EINVAL (corrupt: diag names the file and, for
 * JSON syntax, line:column; for bad content the field), -EFBIG (over
 * POL_TRUST_MAX_BYTES), -E2BIG (over POL_TRUST_MAX_AGENTS), -EACCES etc.
 * (cannot read), -ENOMEM. *ret_store is written only on success. */
int pol_trust_store_load(const char *path, const struct pol_config *config,
			 struct pol_trust_store **ret_store, struct pol_diag *diag);

/* The same from memory (nothing on disk; save then fails with -EINVAL).
 * name is used in diagnostics. */
int pol_trust_store_parse(const char *name, const char *buf, size_t len,
			  const struct pol_config *config,
			  struct pol_trust_store **ret_store, struct pol_diag *diag);

/* Persist the events recorded since load/last save: lock, re-read the
 * file, replay them, write atomically, unlock. On success the store holds
 * the merged state. On failure nothing on disk changed, the store keeps
 * its unsaved events, and the error is returned (a corrupt file on disk:
 * -EINVAL with diag; I/O: -errno with diag). */
int pol_trust_store_save(struct pol_trust_store *store, struct pol_diag *diag);

void pol_trust_store_free(struct pol_trust_store *store);

const struct pol_trust_params *pol_trust_store_params(const struct pol_trust_store *store);

/* Agents in id order; NULL when out of range / unknown. */
size_t pol_trust_agent_count(const struct pol_trust_store *store);
const struct pol_trust_agent *pol_trust_agent_at(const struct pol_trust_store *store, size_t index);
const struct pol_trust_agent *pol_trust_agent_find(const struct pol_trust_store *store,
						   const char *agent_id);

/* Trust of agent (NULL: "default") in domain at time now. domain NULL is
 * the agent as a whole (all domains' counts summed, latest activity). An
 * unknown agent or domain has the initial score (capped by the ceiling).
 * Never fails. */
double pol_trust_score(const struct pol_trust_store *store, const char *agent_id,
		       const char *domain, double now);

/* Record an event (domain NULL: "general"). POL_TRUST_INCIDENT is a
 * medium incident. 0, -EINVAL (bad id: empty or over POL_TRUST_MAX_NAME,
 * bad event), -E2BIG (store full: POL_TRUST_MAX_AGENTS /
 * POL_TRUST_MAX_DOMAINS), -ENOMEM. */
int pol_trust_record(struct pol_trust_store *store, const char *agent_id,
		     const char *domain, enum pol_trust_event event, double now);
/* Record an incident of the given severity; action (may be NULL) names
 * what happened and is kept as the domain's last incident. */
int pol_trust_incident(struct pol_trust_store *store, const char *agent_id,
		       const char *domain, enum pol_trust_severity severity,
		       const char *action, double now);
/* Revoke: trust is 0 in every domain, whatever happens next, until
 * pol_trust_reinstate(). Survives save/load. */
int pol_trust_revoke(struct pol_trust_store *store, const char *agent_id, double now);
/* Lift a revocation: the agent starts again from the initial score
 * (approvals and denials are cleared; incidents are kept and still
 * penalize). -ENOENT when the agent is not revoked. */
int pol_trust_reinstate(struct pol_trust_store *store, const char *agent_id, double now);

/* raw * (1 - (trust - 0.5) * influence), clamped to [0,1]. Trust below
 * 0.5 raises the risk; above 0.5 lowers it by at most influence/2. */
double pol_trust_effective_risk(double raw, double trust, double influence);

/* Step 6 of the pipeline: adjust a raw score by trust and give the new
 * score and level. When raw_level is CRITICAL and
 * config->critical_always_verify is set (the default), the score and the
 * level are returned unchanged: trust never downgrades CRITICAL. Always
 * returns 0. */
int pol_trust_adjust(double raw_score, enum pol_level raw_level, double trust,
		     const struct pol_config *config, double *ret_score,
		     enum pol_level *ret_level);

/* How many consecutive approvals (no denials, no incidents, no idle time)
 * take a new agent to the ceiling; 0 if it starts there, UINT64_MAX if it
 * never gets there (ceiling >= 1). */
uint64_t pol_trust_approvals_to_ceiling(const struct pol_trust_params *params);

/* JSON summary of one agent ({"agent_id", "trust", "revoked", ...,
 * "domains": [...]}) for `attesta trust --json` and audit metadata. NULL on
 * ENOMEM. agent may be NULL (an agent with no history). */
struct cJSON *pol_trust_agent_to_json(const struct pol_trust_store *store,
				      const char *agent_id, double now);

#endif
