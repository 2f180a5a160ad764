/*
 * Decoders for file removal: unlink, unlinkat (with and without
 * AT_REMOVEDIR) and rmdir. The action's path is absolute in the target's
 * view: the parent directory resolved there (cwd or dirfd, /proc/self
 * meaning the target, symlinked parents followed) and read back from the
 * kernel, plus the final component, which is never followed (unlink
 * removes a symlink, not its target).
 *
 * SECURITY: the attacker is the sandboxed program, which controls the
 * path and the directory tree. The decided path is canonical (no symlink,
 * no "." or "..", the names as stored on a case-insensitive file system:
 * decode_fold.h), and the parent directory opened to name it is handed
 * to the emulation (sup_decode_keep), which removes the final component
 * in that very directory: later renames or symlink swaps of its path
 * cannot redirect the removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/run/decode_fold.h"
#include "supervisor/run/decode_internal.h"

static void file_info(int parent, const char *name, struct pol_file_info *info)
{
	struct stat st;
	const char *type = "file";

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: type = "dir"; break;
	case S_IFLNK: type = "symlink"; break;
	case S_IFSOCK: type = "socket"; break;
	case S_IFIFO: type = "fifo"; break;
	case S_IFCHR: type = "char"; break;
	case S_IFBLK: type = "block"; break;
	default: break;
	}
	info->known = true;
	snprintf(info->type, sizeof(info->type), "%s", type);
	info->size = (uint64_t)st.st_size;
	info->owner = st.st_uid;
	info->dev = st.st_dev;
	info->ino = st.st_ino;
}

/*
 * The common case in one syscall: a parent path without any symlink,
 * opened with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from
 * the target's root (absolute path, RESOLVE_IN_ROOT: ".." stays inside
 * it, as in sup_view_walk) or from its cwd/dirfd (relative path,
 * RESOLVE_BENEATH: a ".." that climbs out of it fails and takes the slow
 * path). Any failure, a symlink anywhere included ("/proc/self" is one),
 * returns -1 and the caller does the component walk, which interprets
 * symlinks in the target's view and gives the precise error.
 *
 * SECURITY: without symlinks the resolution is purely lexical, so for an
 * absolute path the canonical name is the normalized path itself, in the
 * target's view (chroot included); a relative one is named from the fd as
 * in the slow path. The emulation acts in the directory opened here.
 */
static int fast_parent(struct sup_decode_ctx *ctx, int base, const char *parent, char *canon,
		       size_t canon_size, int *ret_fd, bool *ret_have_canon)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = parent;
	long fd;

	if (parent[0] == '/') {
		if (ctx->view.rootfd < 0 || strlen(parent) >= canon_size)
			return -1;
		how.resolve |= RESOLVE_IN_ROOT;
		while (*rel == '/')
			rel++;
		if (*rel == '\0')
			rel = ".";
		base = ctx->view.rootfd;
	} else {
		if (base < 0)
			return -1;
		how.resolve |= RESOLVE_BENEATH;
	}
	fd = syscall(SYS_openat2, base, rel, &how, sizeof(how));
	if (fd < 0)
		return -1;
	if (parent[0] == '/') {
		memcpy(canon, parent, strlen(parent) + 1);
		if (sup_path_normalize(canon) < 0) {
			close((int)fd);
			return -1;
		}
		*ret_have_canon = true;
	}
	*ret_fd = (int)fd;
	return 0;
}

int sup_decode_parent(struct sup_decode_ctx *ctx, int dirfd, const char *path, const char *what,
		      char *full, char *name, int *ret_pfd)
{
	char parent[POL_TARGET_MAX_PATH], canon[POL_TARGET_MAX_PATH + 32];
	char why[POL_TARGET_MAX_PATH + 128];
	int base = -1, pfd = -1, r, n;
	bool trailing = false, deleted = false, have_canon = false;

	r = sup_path_split(path, parent, sizeof(parent), name, POL_TARGET_MAX_PATH, &trailing);
	if (r < 0)
		return sup_decode_fail(ctx, -EINVAL, "cannot %s '%s': no final component", what,
				       path);
	if (path[0] != '/') {
		r = sup_view_open_base(&ctx->view, dirfd, &base);
		if (r < 0) {
			if (r == -EBADF)
				return SUP_DECODE_FAILS_BASE + EBADF;
			return sup_decode_fail(ctx, r, "cannot open dirfd %d of pid %d: %s", dirfd,
					       (int)ctx->tid, strerror(-r));
		}
	}
	if (parent[0] == '\0') {
		pfd = base;
		base = -1;
	} else if (fast_parent(ctx, base, parent, canon, sizeof(canon), &pfd, &have_canon) == 0) {
		/* resolved without a symlink in one openat2 */
	} else {
		r = sup_view_walk(&ctx->view, base, parent, true, &pfd);
		if (r < 0) {
			if (sup_decode_path_error(r)) {
				r = SUP_DECODE_FAILS_BASE - r;
				goto out;
			}
			r = sup_decode_fail(ctx, r, "cannot resolve '%s' of pid %d: %s", parent,
					    (int)ctx->tid, strerror(-r));
			goto out;
		}
	}
	r = have_canon ? 0 : sup_view_fd_path(&ctx->view, pfd, canon, sizeof(canon), &deleted);
	if (r < 0 || deleted || canon[0] != '/') {
		r = sup_decode_fail(ctx, r < 0 ? r : -ENOENT,
				    "cannot name the parent of '%s' of pid %d: %s", path, (int)ctx->tid,
				    r < 0 ? strerror(-r) : "deleted or not a directory");
		goto out;
	}
	/* SECURITY: on a case-insensitive file system or directory the
	 * spelling is the agent's; decide on the names stored on disk
	 * (docs/decode.md, "Case-insensitive file systems"). */
	r = sup_fold_names(&ctx->view, pfd, canon, sizeof(canon), name, POL_TARGET_MAX_PATH, why,
			   sizeof(why));
	if (r < 0) {
		r = sup_decode_fail(ctx, r, "%s", why);
		goto out;
	}
	n = snprintf(full, POL_TARGET_MAX_PATH, "%s%s%s", canon, strcmp(canon, "/") ? "/" : "",
		     name);
	if (n < 0 || n >= POL_TARGET_MAX_PATH) {
		r = SUP_DECODE_FAILS_BASE + ENAMETOOLONG;
		goto out;
	}
	*ret_pfd = pfd;
	pfd = -1;
	r = 0;
out:
	if (pfd >= 0)
		close(pfd);
	if (base >= 0)
		close(base);
	return r;
}

void sup_decode_file_info(int parent, const char *name, struct pol_file_info *info)
{
	file_info(parent, name, info);
}

int sup_decode_unlink(struct sup_decode_ctx *ctx, int dirfd, uint64_t path_addr, long flags,
		      bool is_rmdir, struct pol_action **ret_action)
{
	char path[POL_TARGET_MAX_PATH], name[POL_TARGET_MAX_PATH], full[POL_TARGET_MAX_PATH];
	char parent[POL_TARGET_MAX_PATH];
	struct pol_action *a = NULL;
	int pfd = -1, r;
	bool trailing = false;

	r = sup_flags_check_unlinkat(flags, ctx->reason, ctx->reason_size);
	if (r < 0)
		return r;
	r = sup_decode_read_path(ctx, path_addr, path);
	if (r < 0)
		return r;
	if (path[0] == '\0')
		return SUP_DECODE_FAILS_BASE + ENOENT;
	r = sup_path_split(path, parent, sizeof(parent), name, sizeof(name), &trailing);
	if (r < 0)
		return sup_decode_fail(ctx, -EINVAL, "cannot %s '%s': no final component",
				       is_rmdir ? "rmdir" : "unlink", path);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		/* the kernel answers EINVAL (".") or ENOTEMPTY (".."); either
		 * way nothing is removed */
		return SUP_DECODE_FAILS_BASE + (strcmp(name, ".") == 0 ? EINVAL : ENOTEMPTY);
	if (trailing && !is_rmdir)
		/* unlink("x/"): EISDIR for a directory, ENOTDIR otherwise, and
		 * never removes anything */
		return sup_decode_fail(ctx, -EINVAL, "unlink of '%s' with a trailing slash", path);
	r = sup_decode_parent(ctx, dirfd, path, is_rmdir ? "rmdir" : "unlink", full, name, &pfd);
	if (r != 0)
		return r;
	a = pol_action_new(is_rmdir ? POL_ACTION_RMDIR : POL_ACTION_UNLINK);
	if (!a) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	file_info(pfd, name, &a->file);
	if (!a->file.known) {
		/* Nothing to remove: the kernel answers ENOENT (rm -f, probes). */
		r = SUP_DECODE_FAILS_BASE + ENOENT;
		goto out;
	}
	if ((r = pol_action_set(&a->function_name, is_rmdir ? "rmdir" : "unlink")) < 0 ||
	    (r = pol_action_set(&a->path, full)) < 0 ||
	    (r = pol_strv_push(&a->args, full, strlen(full))) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	*ret_action = a;
	a = NULL;
	r = SUP_DECODE_GATED;
	/* the directory judged here is the one the emulation acts in */
	ctx->kept_fd = pfd;
	pfd = -1;
out:
	pol_action_free(a);
	if (pfd >= 0)
		close(pfd);
	return r;
}
