/*
 * Which config override names a program (docs/scoring.md, "Overrides and
 * the name the user types"). An exec has two names: the basename of the
 * path as the caller gave it (the typed name: `python3`) and the basename
 * of the file that runs (the resolved name: `python3.11` behind Debian's
 * symlink). A raising override matches either name; a lowering one only
 * when the decoder found the exec'd file reached through links,
 * directories and a file the agent cannot change (action->exec_unpinned
 * false), so that a symlink, hard link or copy the agent made and named
 * like a trusted program never borrows its lower risk. Pure functions of
 * the config and the action.
 */
#ifndef ATTESTA_POLICY_EXEC_NAMES_H
#define ATTESTA_POLICY_EXEC_NAMES_H

#include <stddef.h>

#include "action.h"
#include "config.h"

/* The last override named name exactly, else the last one named by the
 * part after name's last '.', else NULL. */
const struct pol_override *pol_override_find(const struct pol_config *config, const char *name);

/* The override that applies to action, whose score before overrides is
 * score (level_score maps an override's level to its score), or NULL.
 * When an override matched but was refused (a lowering one for an exec
 * that is not pinned), *ret_refused names it (else NULL). */
const struct pol_override *pol_override_pick(const struct pol_config *config,
					     const struct pol_action *action, double score,
					     double (*level_score)(enum pol_level),
					     const struct pol_override **ret_refused);

/* The typed name of an exec when it differs from its resolved name (the
 * basename of action->typed_path), else NULL. */
const char *pol_exec_typed_name(const struct pol_action *action);

/* Is the exec a wrapper hop that runs another program in its place: a
 * shell or a wrapper (env, nice, ...) by name, or a "#!" script whose
 * interpreter is one (a pyenv/asdf/rbenv shim)? The first exec of a
 * chain that is not one is the program the chain ends in
 * (supervisor/run/exec_chain.h). */
bool pol_exec_is_wrapper(const struct pol_action *action);

/* Does an exec with args carry the args of the chain's head, head_args:
 * head_args a suffix of args (a shim puts words in front: `pyenv exec
 * python3 ...`), or args a non-empty suffix of head_args (env takes
 * words away: `env python3 ...`)? */
bool pol_exec_carries(const struct pol_strv *head_args, const struct pol_strv *args);

#endif
