/*
 * Decoder for rename, renameat and renameat2 (docs/decode.md, "rename"):
 * a rename removes names (the source's, and an existing destination's, or
 * both entries swap with RENAME_EXCHANGE), so it is decoded like an
 * unlink, twice: each parent directory resolved in the target's view
 * (cwd or dirfd, /proc/self meaning the target, symlinked parents
 * followed) and named from the kernel, the final components never
 * followed. Both parent directories are kept open for the emulation
 * (sup_decode_keep2), which renames in exactly those directories.
 *
 * SECURITY: the attacker is the sandboxed program; it controls both
 * paths, both dirfds, the flags and the tree. Unknown flag bits are
 * refused; the decided paths are canonical; what each name was when
 * decided (type, whether the destination exists) is recorded so the
 * engine can score the removals (docs/decode.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/run/decode_internal.h"

static bool is_dir(const struct pol_file_info *f)
{
	return f->known && !strcmp(f->type, "dir");
}

/* The kernel's answers that need no decision: nothing is renamed. 0 when
 * the call must be decided. */
static int kernel_result(const char *oldname, const char *newname, bool old_trailing,
			 bool new_trailing, long flags, const struct pol_file_info *src,
			 const struct pol_file_info *dst)
{
	if (!strcmp(oldname, ".") || !strcmp(oldname, "..") || !strcmp(newname, ".") ||
	    !strcmp(newname, ".."))
		return EBUSY;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return EINVAL;
	if (!src->known)
		return ENOENT;
	if ((flags & RENAME_NOREPLACE) && dst->known)
		return EEXIST;
	if ((flags & RENAME_EXCHANGE) && !dst->known)
		return ENOENT;
	/* "a/" names a directory: a trailing slash on either name is
	 * ENOTDIR unless the entry it applies to is one */
	if (old_trailing && !is_dir(src))
		return ENOTDIR;
	if (new_trailing && !is_dir((flags & RENAME_EXCHANGE) ? dst : src))
		return ENOTDIR;
	return 0;
}

/*
 * SECURITY: a moved directory takes every name under it along, and a
 * policy may guard one of them by its full path (a pattern the directory's
 * own path does not match). List them, bounded, in the target's view
 * (below the held parent, never following a symlink), for the engine to
 * score each as a removal. What cannot be listed (too many, too deep,
 * unreadable) marks the list truncated: the agent profile then rates the
 * rename at least HIGH (docs/decode.md).
 */
static void list_tree(int parent, const char *name, const char *full, unsigned depth,
		      struct pol_action *a)
{
	char path[POL_TARGET_MAX_PATH];
	struct dirent *de;
	DIR *dir;
	int fd;

	if (depth >= POL_RENAME_TREE_MAX_DEPTH) {
		a->rename_tree_truncated = true;
		return;
	}
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		a->rename_tree_truncated = true;
		return;
	}
	while ((de = readdir(dir))) {
		bool is_subdir = de->d_type == DT_DIR;
		int n;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (a->rename_tree.count >= POL_RENAME_TREE_MAX_ENTRIES) {
			a->rename_tree_truncated = true;
			break;
		}
		n = snprintf(path, sizeof(path), "%s/%s", full, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    pol_strv_push(&a->rename_tree, path, (size_t)n) < 0) {
			a->rename_tree_truncated = true;
			break;
		}
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			is_subdir = fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISDIR(st.st_mode);
		}
		if (is_subdir)
			list_tree(dirfd(dir), de->d_name, path, depth + 1, a);
	}
	closedir(dir);
}

int sup_decode_rename(struct sup_decode_ctx *ctx, int olddirfd, uint64_t old_addr, int newdirfd,
		      uint64_t new_addr, long flags, struct pol_action **ret_action)
{
	char oldpath[POL_TARGET_MAX_PATH], newpath[POL_TARGET_MAX_PATH];
	char oldfull[POL_TARGET_MAX_PATH], newfull[POL_TARGET_MAX_PATH];
	char oldname[POL_TARGET_MAX_PATH], newname[POL_TARGET_MAX_PATH];
	char scratch[POL_TARGET_MAX_PATH];
	bool old_trailing = false, new_trailing = false;
	struct pol_file_info src = { .known = false }, dst = { .known = false };
	struct pol_action *a = NULL;
	int oldpfd = -1, newpfd = -1, r;

	r = sup_flags_check_renameat2(flags, ctx->reason, ctx->reason_size);
	if (r < 0)
		return r;
	if ((r = sup_decode_read_path(ctx, old_addr, oldpath)) < 0 ||
	    (r = sup_decode_read_path(ctx, new_addr, newpath)) < 0)
		return r;
	if (oldpath[0] == '\0' || newpath[0] == '\0')
		return SUP_DECODE_FAILS_BASE + ENOENT;
	if (sup_path_split(oldpath, scratch, sizeof(scratch), oldname, sizeof(oldname),
			   &old_trailing) < 0 ||
	    sup_path_split(newpath, scratch, sizeof(scratch), newname, sizeof(newname),
			   &new_trailing) < 0)
		return sup_decode_fail(ctx, -EINVAL, "cannot rename '%s' to '%s': no final component",
				       oldpath, newpath);
	r = sup_decode_parent(ctx, olddirfd, oldpath, "rename", oldfull, oldname, &oldpfd);
	if (r != 0)
		goto out;
	r = sup_decode_parent(ctx, newdirfd, newpath, "rename", newfull, newname, &newpfd);
	if (r != 0)
		goto out;
	sup_decode_file_info(oldpfd, oldname, &src);
	sup_decode_file_info(newpfd, newname, &dst);
	r = kernel_result(oldname, newname, old_trailing, new_trailing, flags, &src, &dst);
	if (r) {
		r = SUP_DECODE_FAILS_BASE + r;
		goto out;
	}
	a = pol_action_new(POL_ACTION_RENAME);
	if (!a) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	a->file = src;
	a->dest_file = dst;
	a->rename_exchange = (flags & RENAME_EXCHANGE) != 0;
	a->rename_replaces = dst.known && !a->rename_exchange;
	a->rename_flags = (unsigned)flags;
	if (is_dir(&src))
		list_tree(oldpfd, oldname, oldfull, 0, a);
	if (a->rename_exchange && is_dir(&dst))
		list_tree(newpfd, newname, newfull, 0, a);
	if ((r = pol_action_set(&a->function_name, "rename")) < 0 ||
	    (r = pol_action_set(&a->path, oldfull)) < 0 ||
	    (r = pol_action_set(&a->dest_path, newfull)) < 0 ||
	    (r = pol_strv_push(&a->args, oldfull, strlen(oldfull))) < 0 ||
	    (r = pol_strv_push(&a->args, newfull, strlen(newfull))) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	*ret_action = a;
	a = NULL;
	r = SUP_DECODE_GATED;
	/* the directories judged here are the ones the emulation acts in */
	ctx->kept_fd = oldpfd;
	ctx->kept_fd2 = newpfd;
	oldpfd = newpfd = -1;
out:
	pol_action_free(a);
	if (oldpfd >= 0)
		close(oldpfd);
	if (newpfd >= 0)
		close(newpfd);
	return r;
}
