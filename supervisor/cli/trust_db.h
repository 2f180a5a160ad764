/*
 * `attesta trust --db`: the trust records in the fleet database
 * (docs/trust.md, "Trust in the fleet database"), for cmd_trust.c.
 */
#ifndef ATTESTA_CLI_TRUST_DB_H
#define ATTESTA_CLI_TRUST_DB_H

#include "policy/config.h"
#include "policy/trust.h"

struct trust_db_change {
	const char *verb;    /* show, list, revoke, reinstate, incident */
	const char *agent;   /* NULL for list */
	const char *domain;
	const char *action;
	enum pol_trust_severity severity;
};

/* Apply the change (if the verb is one) in the database at conninfo (NULL:
 * libpq's environment), then read the agent (or every agent, for list)
 * into *ret_store. Errors are printed. CLI_EXIT_OK or CLI_EXIT_INVALID. */
int trust_db_run(const char *conninfo, const struct pol_config *config,
		 const struct trust_db_change *c, struct pol_trust_store **ret_store);

#endif
