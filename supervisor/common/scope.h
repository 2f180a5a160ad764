/*
 * Approval scopes (docs/decode.md), the pure part: which paths an approved
 * exec names (its operands, resolved against its cwd and normalized
 * lexically), whether a removed path lies under one of them, and the key
 * that makes two actions "identical" for an "approve for this session"
 * grant (same class, same normalized arguments). The table that holds
 * scopes for a running session is supervisor/run/scope.h.
 *
 * Trust: argv, cwd and paths come from the sandboxed agent through the
 * decoders (already bounded); nothing here touches the file system, so
 * the result is what the approver saw, not what a symlink says today.
 */
#ifndef ATTESTA_SUP_SCOPE_H
#define ATTESTA_SUP_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/action.h"

/* Make path absolute against cwd (when relative) and normalize it
 * lexically: repeated slashes, "." and ".." (never above "/"), no
 * trailing slash except for "/". 0, -EINVAL (relative path without an
 * absolute cwd), -ENAMETOOLONG (does not fit size). */
int sup_scope_normalize(const char *path, const char *cwd, char *buf, size_t size);

/* Whether path equals prefix or lies below it (both normalized):
 * "/w/build/a.o" is under "/w/build", "/w/builder" is not. */
bool sup_scope_path_under(const char *path, const char *prefix);

/* The operands of an exec's argv[1..] that are paths: every argument not
 * starting with '-' (all of them after "--"), normalized against cwd;
 * "" and arguments that do not normalize are skipped. Appends to
 * ret_paths. 0 or -ENOMEM. */
int sup_scope_argv_paths(const struct pol_strv *args, const char *cwd, struct pol_strv *ret_paths);

/* Session-grant key: class, program path (exec) and every argument,
 * separated by 0x1f; exec arguments that are paths relative to cwd are
 * not normalized (the agent's cwd is part of the key instead). malloc'd;
 * NULL on ENOMEM. */
char *sup_scope_action_key(const struct pol_action *action);

#endif
