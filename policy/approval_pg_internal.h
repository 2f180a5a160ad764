/*
 * Shared by approval_pg.c (connection, node side) and
 * approval_pg_client.c (approver side). Not for other modules.
 */
#ifndef ATTESTA_APPROVAL_PG_INTERNAL_H
#define ATTESTA_APPROVAL_PG_INTERNAL_H

#include "approval_pg.h"

/* Answers per part read back (a part asks at most 3; more is refused). */
#define APG_MAX_ANSWERS 16

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

struct pol_approval_pg {
	PGconn *conn;
};

/* diag = "what: first line of message". */
void apg_fail(struct pol_diag *diag, const char *what, const char *message);
/* Run sql with text parameters. *ret_rc 0, -EIO (the statement failed,
 * diag set) or -EPIPE (connection lost). The caller PQclear()s. */
PGresult *apg_exec(struct pol_approval_pg *pg, const char *sql, int n,
		   const char *const *values, const char *what, int *ret_rc,
		   struct pol_diag *diag);
#endif

#endif
