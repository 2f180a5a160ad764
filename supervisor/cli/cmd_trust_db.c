/*
 * `attesta trust --db` (trust_db.h): the same commands as on the local
 * store, through the schema's functions in the fleet database (docs/trust.md,
 * "Trust in the fleet database"). The database role decides what is
 * allowed (revoke, reinstate and incident need attesta_operator); the
 * connection string is never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "policy/trust_pg.h"
#include "trust_db.h"

static int say(const struct pol_diag *diag, int r, const char *what)
{
	char buf[1200];

	if (diag->message[0]) {
		pol_diag_format(diag, buf, sizeof(buf));
		fprintf(stderr, "attesta: %s\n", buf);
	} else {
		fprintf(stderr, "attesta: %s: %s\n", what, strerror(-r));
	}
	if (r == -EACCES)
		fprintf(stderr, "attesta: (this needs a role in attesta_operator: docs/trust.md)\n");
	return CLI_EXIT_INVALID;
}

int trust_db_run(const char *conninfo, const struct pol_config *config,
		 const struct trust_db_change *c, struct pol_trust_store **ret_store)
{
	struct pol_trust_pg *db = NULL;
	struct pol_diag diag = { 0 };
	int r, rc = CLI_EXIT_INVALID;

	r = pol_trust_pg_open(conninfo, &db, &diag);
	if (r < 0)
		return say(&diag, r, "fleet database");
	if (!strcmp(c->verb, "revoke"))
		r = pol_trust_pg_revoke(db, c->agent, &diag);
	else if (!strcmp(c->verb, "reinstate"))
		r = pol_trust_pg_reinstate(db, c->agent, &diag);
	else if (!strcmp(c->verb, "incident"))
		r = pol_trust_pg_incident(db, c->agent, c->domain, c->severity, c->action, &diag);
	if (r == -ENOENT) {
		fprintf(stderr, "attesta: agent '%s' is not revoked\n", c->agent);
		goto out;
	}
	if (r == -EINVAL) {
		fprintf(stderr, "attesta: cannot %s '%s': invalid agent id or domain\n", c->verb,
			c->agent);
		goto out;
	}
	if (r < 0) {
		say(&diag, r, c->verb);
		goto out;
	}
	r = pol_trust_pg_load(db, strcmp(c->verb, "list") ? c->agent : NULL, config, ret_store,
			      &diag);
	if (r == -EINVAL && !diag.message[0]) {
		fprintf(stderr, "attesta: invalid agent id '%s'\n", c->agent);
		goto out;
	}
	if (r < 0) {
		say(&diag, r, "reading trust");
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	pol_trust_pg_close(db);
	return rc;
}
