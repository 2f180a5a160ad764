/*
 * The trust history summary in the fleet database (docs/trust.md, "Trust
 * in the fleet database"): read into an ordinary trust store, so the score
 * is pol_trust_score() of exactly the same counts as with the local file,
 * and changed only through the schema's functions (fleet_schema.c), each
 * one statement on the server: concurrent nodes never lose an update.
 * Every value is a query parameter, never SQL text. Built only with
 * libpq's header; otherwise every function returns -ENOTSUP with a
 * message.
 *
 * A connection is used by one thread at a time.
 */
#ifndef ATTESTA_TRUST_PG_H
#define ATTESTA_TRUST_PG_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "trust.h"

struct pol_trust_pg;

/* Connect. conninfo NULL or "": libpq's environment (PGHOST, ...).
 * -ECONNREFUSED with diag (never the connection string), -ENOMEM. */
int pol_trust_pg_open(const char *conninfo, struct pol_trust_pg **ret, struct pol_diag *diag);
void pol_trust_pg_close(struct pol_trust_pg *db);
/* The connection is still usable (false after a lost connection). */
bool pol_trust_pg_ok(const struct pol_trust_pg *db);

/* Read one agent (agent_id) or every agent (NULL) into a new store with
 * config's model parameters. The store has no path: it cannot be saved to
 * a file. Rows are checked as strictly as the store file (pol_limits.h).
 * -EINVAL (bad id or row), -E2BIG, -EIO (query failed: diag), -ENOMEM. */
int pol_trust_pg_load(struct pol_trust_pg *db, const char *agent_id,
		      const struct pol_config *config, struct pol_trust_store **ret,
		      struct pol_diag *diag);

/* One human decision (domain NULL: "general"), as the node role may.
 * The time is the database server's. -EINVAL (bad id), -EACCES (the role
 * may not), -EIO with diag. */
int pol_trust_pg_record(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			bool approved, struct pol_diag *diag);
/* Operator functions: -EACCES when the role is not an operator. */
int pol_trust_pg_incident(struct pol_trust_pg *db, const char *agent_id, const char *domain,
			  enum pol_trust_severity severity, const char *action,
			  struct pol_diag *diag);
int pol_trust_pg_revoke(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag);
/* -ENOENT when the agent is not revoked. */
int pol_trust_pg_reinstate(struct pol_trust_pg *db, const char *agent_id, struct pol_diag *diag);

#endif
