/*
 * The enrollment registry (docs/fleet.md): one row per fleet node saying which
 * enrollment reference the node was enrolled with, whether it is active or
 * revoked, and where it stands in a policy rollout. The attestation
 * predicate (attest.h) joins a bundle's declared provenance against this
 * row.
 *
 * Backends:
 *   - a local JSON file (the default, ".attesta/registry.json"): every
 *     change is a locked read-modify-write (flock on "FILE.lock"), written
 *     whole to a temporary file, fsynced and renamed over the old one, mode
 *     0600, so readers see the old or the new registry, never a torn one;
 *   - PostgreSQL (spec "postgres", connection string from fleet.database)
 *     through libpq, when attesta was built with it (registry_pg.c).
 *
 * Trust: the registry file is untrusted input. It is parsed strictly (caps
 * in pol_limits.h, unknown keys, duplicate keys or nodes, bad values are
 * errors naming the file) and a corrupt file is reported, never rewritten.
 * Node ids and references are restricted to [A-Za-z0-9._:@/+=-], 1..256
 * bytes, so they are safe to print and to use as keys.
 *
 * Thread-safety: a struct pol_registry is used by one thread at a time;
 * rows returned to the caller are owned by the caller.
 */
#ifndef ATTESTA_REGISTRY_H
#define ATTESTA_REGISTRY_H

#include <stdbool.h>

#include "diag.h"

enum pol_node_status {
	POL_NODE_ACTIVE = 0,
	POL_NODE_REVOKED,
};
/* "active", "revoked"; parse returns -EINVAL for anything else. */
const char *pol_node_status_name(enum pol_node_status status);
int pol_node_status_parse(const char *name, enum pol_node_status *ret_status);

enum pol_rollout_state {
	POL_ROLLOUT_NONE = 0,
	POL_ROLLOUT_PENDING,
	POL_ROLLOUT_ACKNOWLEDGED,
	POL_ROLLOUT_ACTIVE,
	POL_ROLLOUT_ROLLBACK,
	POL_ROLLOUT_FAILED,
};
/* "none", "pending", "acknowledged", "active", "rollback", "failed". */
const char *pol_rollout_state_name(enum pol_rollout_state state);
int pol_rollout_state_parse(const char *name, enum pol_rollout_state *ret_state);

/* One node's row. Strings are owned by the row. */
struct pol_enrollment {
	char *node_id;
	char *enrollment_ref;          /* never NULL in a stored row */
	enum pol_node_status status;
	enum pol_rollout_state rollout_state;
	double enrolled_at;            /* Unix seconds of the last enroll */
	double updated_at;             /* Unix seconds of the last change */
};
void pol_enrollment_release(struct pol_enrollment *row);

/* true if name is a valid node id / enrollment ref (charset and length
 * above). */
bool pol_registry_name_valid(const char *name);

struct pol_registry;

/* Open a registry. spec is a file path, or "postgres" for the database
 * named by conninfo (a libpq connection string; NULL uses libpq's
 * defaults from the environment). Opening a file registry does not
 * create or read the file. -EINVAL (bad spec), -ENOTSUP (postgres without
 * libpq support), -ECONNREFUSED (cannot connect: diag says why), -ENOMEM. */
#define POL_REGISTRY_DEFAULT_PATH ".attesta/registry.json"
#define POL_REGISTRY_POSTGRES "postgres"
int pol_registry_open(const char *spec, const char *conninfo,
		      struct pol_registry **ret_registry, struct pol_diag *diag);
void pol_registry_free(struct pol_registry *registry);

/* "file:PATH" or "postgres", for messages. */
const char *pol_registry_describe(const struct pol_registry *registry);

/* Look a node up. On success *ret_row is filled (release it with
 * pol_enrollment_release). -ENOENT: not enrolled (a missing registry file
 * means no node is enrolled); -EINVAL: corrupt registry or invalid node id
 * (diag names the file and the problem); -EIO etc.: cannot read. */
int pol_registry_lookup(struct pol_registry *registry, const char *node_id,
			struct pol_enrollment *ret_row, struct pol_diag *diag);

/* Enroll (or re-enroll) a node: sets enrollment_ref and status active,
 * keeps an existing rollout_state (none for a new node). */
int pol_registry_enroll(struct pol_registry *registry, const char *node_id,
			const char *enrollment_ref, double now, struct pol_diag *diag);
/* Mark a node revoked. -ENOENT if it is not enrolled. */
int pol_registry_revoke(struct pol_registry *registry, const char *node_id, double now,
			struct pol_diag *diag);
/* Set a node's rollout state. -ENOENT if it is not enrolled. */
int pol_registry_set_rollout(struct pol_registry *registry, const char *node_id,
			     enum pol_rollout_state state, double now, struct pol_diag *diag);

#endif
