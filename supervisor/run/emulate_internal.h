/*
 * Shared between emulate.c and emulate_rename.c. Not a public interface.
 */
#ifndef ATTESTA_SUP_EMULATE_INTERNAL_H
#define ATTESTA_SUP_EMULATE_INTERNAL_H

#include <stdbool.h>

#include "policy/action.h"
#include "supervisor/run/decode_path.h"
#include "supervisor/run/decode_proc.h"

/* Is the entry name in dirfd one of the gate's own files or a directory
 * above one (statepaths.h)? */
bool sup_emulate_is_state(int dirfd, const char *name);

/* Rename as decided in action a: in kept_old / kept_new (the decoder's
 * held parent directories, borrowed; -1: reopened from the decided
 * paths), as the target (status). 0 with *ret_err the target's errno
 * (0: renamed), or -errno for an internal failure (the caller denies). */
int sup_emulate_rename(const struct sup_view *view, const struct sup_proc_status *status,
		       const struct pol_action *a, int kept_old, int kept_new, int *ret_err);

#endif
