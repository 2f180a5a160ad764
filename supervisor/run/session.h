/*
 * The session entries of the audit log (docs/audit.md, "Sessions"):
 * attesta-run appends one when it has set up and before PROG runs, and
 * one at every orderly exit (PROG exited or was killed, or attesta-run's
 * own error after start-up), so `attesta audit verify` can tell a trail
 * that was closed from one whose supervisor died.
 */
#ifndef ATTESTA_SUP_SESSION_H
#define ATTESTA_SUP_SESSION_H

#include "supervisor/run/loop.h"

/* Append the session-start entry (loop->gate->audit, session_id, agent_id,
 * environment set; cwd is attesta-run's working directory). Not synced
 * here (POL_AUDIT_DEFERRED): the fdatasync of the first entry that must be
 * durable covers it, and the sync window bounds the rest. 0 or -errno:
 * the caller must not run PROG without it (fail closed). */
int sup_session_start(struct sup_loop *loop, char *const *prog_argv, const char *cwd);

/* Append the closing entry if the session is open: error NULL means PROG
 * ended (loop->prog_status says how); else attesta-run stops on its own
 * error (exit_code). The caller syncs the log after (the loop's final
 * pol_audit_sync, or pol_audit_close). Prints a warning on failure. */
void sup_session_end(struct sup_loop *loop, const char *error, int exit_code);

#endif
