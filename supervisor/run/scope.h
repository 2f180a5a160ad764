/*
 * The approval scopes of one attesta-run session (docs/decode.md):
 *  - exec scope: when a human approves an exec, the file removals that
 *    this process then makes under the paths its argv names are covered
 *    by that approval (decision_source "scope:<entry_id>"), unless their
 *    own level is higher than the approved one. The scope lasts until the
 *    process execs again or exits (its start time is kept, so a reused
 *    pid never inherits it).
 *  - session grants: "approve for this session" covers identical actions
 *    (sup_scope_action_key) at the same or a lower level until the
 *    session ends (decision_source "session:<entry_id>").
 * Covered calls are still scored and audited; only the prompt is skipped.
 * Single-threaded (the supervisor's loop). Bounded: at most
 * SUP_SCOPE_MAX entries of each kind; past that, nothing more is granted
 * (a prompt is shown instead), which fails safe.
 */
#ifndef ATTESTA_SUP_RUN_SCOPE_H
#define ATTESTA_SUP_RUN_SCOPE_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy/action.h"
#include "policy/config.h"

#define SUP_SCOPE_MAX 1024

struct sup_scope_table;

int sup_scope_table_new(struct sup_scope_table **ret_table);
void sup_scope_table_free(struct sup_scope_table *table);

/* An exec of process tgid was decided (approved or not): its previous
 * exec scope ends. */
void sup_scope_exec_seen(struct sup_scope_table *table, pid_t tgid);

/* A human approved exec action at level, audited as entry_id: remember
 * the paths its argv names. 0, -ENOSPC (table full), -ENOMEM. */
int sup_scope_add_exec(struct sup_scope_table *table, const struct pol_action *exec,
		       enum pol_level level, const char *entry_id);

/* Whether an unlink/rmdir at level (or a rename, when both its paths are
 * under the paths the exec named) is covered by an exec scope of its
 * process's tgid: the approving entry id (borrowed), else NULL. Pure (no
 * syscall): whether the tgid is still the same process is
 * sup_scope_exec_current()'s question, asked only when this says yes. */
const char *sup_scope_exec_covers(const struct sup_scope_table *table,
				  const struct pol_action *removal, enum pol_level level);

/* Whether the exec scope of removal's tgid still belongs to the same
 * process (its start time, /proc/PID/stat); a scope of a reused pid is
 * dropped (false). */
bool sup_scope_exec_current(struct sup_scope_table *table, const struct pol_action *removal);

/* Grant identical actions for the session. 0, -ENOSPC, -ENOMEM. */
int sup_scope_grant_session(struct sup_scope_table *table, const struct pol_action *action,
			    enum pol_level level, const char *entry_id);

/* The granting entry id for an identical action at level or below, else NULL. */
const char *sup_scope_session_covers(const struct sup_scope_table *table, const struct pol_action *action,
				     enum pol_level level);

#endif
