/*
 * Which of the gate's own files the agent must not reach, and how
 * (docs/SECURITY.md, "The gate's own files"; docs/attesta-run.md, --user
 * and --unprotected-state): the audit log, its head file, the HMAC key,
 * the trust store, the config file, the profile directories and the
 * approval socket's directory. The parent makes the plan (canonical
 * paths, files created before the agent starts, hard links refused), the
 * child applies it (sandbox_ns.h), and the supervisor refuses to remove
 * a protected file on the agent's behalf (sup_state_is_protected).
 * Trusts the user's config; reads the state paths with O_NOFOLLOW checks.
 */
#ifndef ATTESTA_SUP_STATE_PROTECT_H
#define ATTESTA_SUP_STATE_PROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/action.h"

#include "supervisor/run/sandbox_ns.h"

struct pol_config;
struct pol_audit_log;
struct pol_trust_store;

struct sup_state_plan {
	struct sup_sandbox sb;     /* what the child applies */
	char *audit_path;          /* canonical audit log path (the supervisor uses it) */
	char *trust_path;          /* canonical trust store path */
	char *key_path;            /* canonical key file or NULL */
	char *config_path;         /* canonical config file or NULL (defaults) */
	char **profile_dirs;       /* existing profile search directories */
	size_t n_profile_dirs;
	char *cwd;                 /* canonical working directory and workspace */
	char *workspace;
	char *spelled[4];          /* audit, trust, key, config as configured (absolute) */
	bool unprotected_ok;       /* --unprotected-state */
	bool defer_trust;          /* the trust store is bound by file: save it at the end */
	const char *mode;          /* "another uid and a mount namespace", ... */
};

/* Before the audit log and trust store are opened: canonical absolute
 * paths for them (their directories are created, 0700, as the log would
 * be), the key, the config file and the profile directories. On success
 * the caller opens the audit log at plan->audit_path, and config's
 * trust.path now names plan->trust_path. 0, or -errno with why filled. */
int sup_state_plan_paths(struct sup_state_plan *plan, struct pol_config *config,
			 const char *audit_override, bool unprotected_ok, char *why,
			 size_t why_size);

/* --user NAME (root only): the account, its groups, and the environment
 * changes PROG gets (*env_io is replaced by a new malloc'd array when
 * non-NULL; NULL means environ). 0 or -errno with why filled. */
int sup_state_plan_user(struct sup_state_plan *plan, const char *name, char ***env_io,
			char *why, size_t why_size);

/* After the log, the trust store and the approval socket exist: create a
 * missing head file and trust store, refuse state files with more than
 * one hard link, choose the mode (shim: no filter in the child) and fill
 * plan->sb. 0, or -errno with why filled (the caller exits 125). */
int sup_state_plan_finish(struct sup_state_plan *plan, struct pol_audit_log *audit,
			  struct pol_trust_store *trust, const char *approval_socket,
			  bool shim_mode, char *why, size_t why_size);

/* The one-line warnings of the plan on stderr (root agent, unprotected). */
void sup_state_plan_warn(const struct sup_state_plan *plan, bool applied);

void sup_state_plan_release(struct sup_state_plan *plan);

/* SECURITY: true when (dev, ino) is one of the protected state files or
 * directories. The supervisor removes files for the agent in its own
 * mount namespace, where they are no mount points: without this check an
 * approved unlink of the trust store would detach the agent's read-only
 * bind and let it plant a new one. */
bool sup_state_is_protected(dev_t dev, ino_t ino);

/* The decision's check of an unlink or rmdir (pipeline.c): the entry as
 * the decoder saw it (file: its identity when decoded) is protected, or
 * dirfd (the decoder's held parent) is a protected directory. Without a
 * held parent or a decoded identity, path is looked up, not followed. */
bool sup_state_is_protected_entry(int dirfd, const struct pol_file_info *file,
				  const char *path);

/* SECURITY: the identity check of a removal the supervisor makes itself
 * (emulate.c), at the removal: true when the entry name in dirfd, not
 * followed, is a state path or a directory above one (statepaths.h), or
 * is protected here, or dirfd is a protected directory. One lookup of the
 * name for both lists. dir_checked: dirfd is the descriptor the decision
 * checked with sup_state_is_protected_entry() (the decoder's held
 * parent); its inode cannot have changed and the guards are fixed at
 * start-up, so it is not looked at again (docs/BENCHMARKS.md, "Session
 * 7"). A name that does not exist is no one's: false, and the removal
 * fails as the kernel says. */
bool sup_state_refuses_at(int dirfd, const char *name, bool dir_checked);

#endif
