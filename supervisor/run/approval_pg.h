/*
 * approvals.backend: postgres in attesta-run (docs/approvals.md, "The
 * fleet approval queue"): every call held for a human is also published
 * as a pending row in the fleet database, and the answers approvers give
 * there (`attesta approve|deny --db`) are fed into the same approval
 * table as the socket's, so the audit entry, trust update and scopes are
 * the same. The database work runs on a thread of its own (the event loop
 * never waits for the database); the thread waits on LISTEN/NOTIFY.
 * Losing the database while a call is published applies fail_mode to it.
 */
#ifndef ATTESTA_SUP_APPROVAL_PG_H
#define ATTESTA_SUP_APPROVAL_PG_H

#include <stddef.h>

struct sup_loop;

/* Start the queue when loop->config asks for it (no-op otherwise), after
 * loop->approval exists. 0 or -errno with why. */
int sup_approval_pg_open(struct sup_loop *loop, char *why, size_t why_size);

#endif
