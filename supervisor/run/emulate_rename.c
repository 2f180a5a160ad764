/*
 * Emulation of an allowed rename (docs/decode.md, "rename"): renameat2()
 * by the supervisor in the two parent directories the decoder resolved
 * and held open for the decision, with the final names it decided on and
 * the target's credentials; the result (errno) is the target's.
 *
 * SECURITY: the attacker is the sandboxed program. After the decision it
 * may rename the parents, swap a component for a symlink, or put another
 * entry at a decided name. The held directories cannot be redirected;
 * the names are looked up once more by the kernel inside them only. A
 * destination that was absent when decided is renamed to with
 * RENAME_NOREPLACE, so an entry that appears there meanwhile is not
 * silently replaced (the decision did not cover removing it). The gate's
 * own files and the directories above them are refused by identity
 * (statepaths.h), whatever their names now.
 */
#include "supervisor/run/emulate_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/run/statepaths.h"

/* The decided parent of path: the held one, or reopened without
 * following symlinks. 0, a positive errno for the target, or -errno. */
static int parent_of(const struct sup_view *view, const char *path, int kept, char *name,
		     int *ret_fd, bool *ret_owned)
{
	char parent[POL_TARGET_MAX_PATH];
	bool trailing;
	int r;

	if (!path || sup_path_split(path, parent, sizeof(parent), name, POL_TARGET_MAX_PATH,
				    &trailing) < 0 || parent[0] != '/')
		return -EINVAL;
	if (kept >= 0) {
		*ret_fd = kept;
		*ret_owned = false;
		return 0;
	}
	r = sup_view_reopen_dir(view, parent, ret_fd);
	if (r == -ELOOP || r == -EXDEV)
		return EPERM; /* a parent became a symlink: not the decided path */
	if (r < 0)
		return -r;
	*ret_owned = true;
	return 0;
}

/* Is the entry name in dirfd one of the gate's own files or a directory
 * above one (statepaths.h)? */
static bool is_state(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       sup_state_paths_is_state(st.st_dev, st.st_ino);
}

int sup_emulate_rename(const struct sup_view *view, const struct sup_proc_status *status,
		       const struct pol_action *a, int kept_old, int kept_new, int *ret_err)
{
	char oldname[POL_TARGET_MAX_PATH], newname[POL_TARGET_MAX_PATH];
	int oldfd = -1, newfd = -1, r, err = 0;
	bool old_owned = false, new_owned = false;
	unsigned flags = a->rename_flags;
	struct sup_creds_saved saved;
	struct stat st;

	r = parent_of(view, a->path, kept_old, oldname, &oldfd, &old_owned);
	if (r == 0)
		r = parent_of(view, a->dest_path, kept_new, newname, &newfd, &new_owned);
	if (r != 0) {
		if (r > 0) {
			*ret_err = r;
			r = 0;
		}
		goto out;
	}
	/* SECURITY: the gate's own files, by identity (statepaths.h). */
	if (is_state(oldfd, oldname) || is_state(newfd, newname)) {
		*ret_err = EPERM;
		goto out;
	}
	if (!a->rename_replaces && !a->rename_exchange)
		flags |= RENAME_NOREPLACE;
	r = sup_creds_assume(status, &saved);
	if (r == 0) {
		long rc = syscall(SYS_renameat2, oldfd, oldname, newfd, newname, flags);

		err = rc < 0 ? errno : 0;
		/* A file system without RENAME_NOREPLACE (EINVAL): the plain
		 * rename, if the destination is still absent. */
		if (err == EINVAL && flags != a->rename_flags &&
		    fstatat(newfd, newname, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
			rc = syscall(SYS_renameat2, oldfd, oldname, newfd, newname, a->rename_flags);
			err = rc < 0 ? errno : 0;
		}
	}
	sup_creds_restore(&saved);
	if (r == 0)
		*ret_err = err;
out:
	if (old_owned && oldfd >= 0)
		close(oldfd);
	if (new_owned && newfd >= 0)
		close(newfd);
	return r;
}
