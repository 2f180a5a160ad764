/*
 * The child's side of keeping the gate's state out of the agent's reach
 * (docs/SECURITY.md, "The gate's own files"): before NO_NEW_PRIVS and the
 * filter, PROG's child enters a new mount namespace (unprivileged: inside
 * a new user namespace with an identity map), makes its mounts private,
 * pins the directories above each state path with a writable self-bind
 * (a mount point cannot be renamed or removed inside the namespace),
 * bind-mounts each state path read-only onto itself, checks the result,
 * joins a Landlock domain (so it cannot reach another namespace through
 * /proc/PID/root of a process outside), switches to the --user account
 * when asked, and drops every capability it got from the user namespace.
 * The plan (which paths, which mode) is made by the parent
 * (state_protect.h); nothing here reads the sandbox.
 */
#ifndef ATTESTA_SUP_SANDBOX_NS_H
#define ATTESTA_SUP_SANDBOX_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sup_sandbox_path {
	char *path;       /* canonical absolute path, no symlinks */
	bool readonly;    /* true: a state path, bound read-only; false: an ancestor pin */
	dev_t dev;        /* identity of a read-only path when planned */
	ino_t ino;
};

struct sup_sandbox {
	bool mount_ns;    /* enter a new mount namespace and bind the paths */
	bool user_ns;     /* unprivileged: a new user namespace first (identity map) */
	bool landlock;    /* join a Landlock domain (ptrace scoping, no device nodes) */
	bool optional;    /* --unprotected-state: a failure is reported, not fatal */
	uid_t map_uid;    /* the identity map: our uid and gid */
	gid_t map_gid;
	struct sup_sandbox_path *paths; /* pins (shallowest first), then read-only paths */
	size_t n_paths;
	/* --user (root only): become this account before the filter */
	bool switch_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t n_groups;
};

/* In the child. 0: applied; 1: mount protection failed but sb->optional
 * (PROG runs unprotected, the account switch still happened); -errno:
 * failed (step names the step, for the parent's one-line reason).
 * *ret_own_devpts: /dev/pts and /dev/ptmx are a devpts instance of the
 * namespace's own (also after a later step failed with sb->optional), so
 * PROG's terminal must come from there (tty.h, sup_tty_child_own_pty). */
int sup_sandbox_enter(const struct sup_sandbox *sb, bool *ret_own_devpts, char *step,
		      size_t step_size);

/* Landlock ABI version of this kernel, 0 when Landlock is unavailable. */
int sup_sandbox_landlock_abi(void);

#endif
