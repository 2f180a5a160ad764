/*
 * The gate's own state on disk (docs/attesta-run.md, "The gate's own
 * files"): the audit log, its head file, the HMAC key file, the trust
 * store, the config file and the approval socket. A removal or rename
 * from inside the sandbox whose source or destination is one of them, or
 * a directory above one of them, is refused as a hard rule (not scored,
 * not softened by any mode).
 *
 * The list is computed once at start-up (resolved absolute paths, and the
 * device and inode of each file and of each directory above it where they
 * exist, each held open so its inode is never reused) and read-only
 * afterwards: lookups are safe from any thread.
 *
 * SECURITY: the attacker is the sandboxed program, which may try to move
 * the log away (rename, then unlink under an unguarded name), replace it,
 * or move a directory above it. The decision refuses the decided paths by
 * name (sup_state_paths_hit); the emulation refuses the entries it is
 * about to rename or remove by identity (sup_state_paths_is_state), so a
 * hard link or a rename between decision and emulation gains nothing.
 */
#ifndef ATTESTA_SUP_STATEPATHS_H
#define ATTESTA_SUP_STATEPATHS_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy/action.h"

/* Record one state file; what names it in reasons ("audit log"). A path
 * that does not exist yet is resolved through its parent. NULL or "" is
 * ignored. Start-up only (not thread-safe). 0, -ENOSPC (table full),
 * -ENAMETOOLONG, -ENOMEM. */
int sup_state_paths_add(const char *path, const char *what);

/* The hard rule by name: for an unlink, rmdir or rename, the first state
 * file that one of its paths is, or is a directory above, as a reason
 * ("rename of the audit log '/x/audit.jsonl'") in buf; false otherwise. */
bool sup_state_paths_hit(const struct pol_action *action, char *buf, size_t size);

/* The hard rule by identity: is (dev, ino) a state file or a directory
 * above one? */
bool sup_state_paths_is_state(dev_t dev, ino_t ino);

#endif
