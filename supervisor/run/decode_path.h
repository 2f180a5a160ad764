/*
 * Path resolution in a sandboxed process's view of the file system: its
 * root (/proc/PID/root), its cwd, its file descriptors, and "/proc/self"
 * meaning the target, not the supervisor. Used by the decoders (to find
 * what a path names) and by the emulation (to reopen the decided parent).
 *
 * Trust: the path is target-controlled and the file system can change
 * under us (the target or anyone else may rename or swap symlinks). The
 * walk is done one component at a time with O_PATH|O_NOFOLLOW opens so
 * every symlink is seen and interpreted in the target's view; its result
 * is an fd, and the canonical path is read back from that fd.
 */
#ifndef ATTESTA_SUP_DECODE_PATH_H
#define ATTESTA_SUP_DECODE_PATH_H

#include <linux/limits.h> /* PATH_MAX, NAME_MAX (<limits.h> is policy/pol_limits.h under -Ipolicy) */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sup_view {
	pid_t tid;
	pid_t tgid;
	int rootfd;          /* O_PATH of /proc/TID/root */
	bool borrowed;       /* rootfd belongs to the cache (decode_cache.h) */
	size_t root_len;     /* length of root_path, 0 when the target's root is ours */
	char root_path[PATH_MAX];
};

void sup_view_release(struct sup_view *view);

/* Open the base of a walk: the target's cwd (dirfd == AT_FDCWD) or its
 * descriptor dirfd, O_PATH. 0 and *ret_fd, or -errno (-EBADF when the
 * target has no such fd). */
int sup_view_open_base(const struct sup_view *view, int dirfd, int *ret_fd);

/*
 * Resolve path in the target's view, starting from base_fd for relative
 * paths (from the target root for absolute ones), following every
 * symlink, the final one too when follow_final. Returns an O_PATH fd in
 * *ret_fd. Errors: -ENOENT, -ENOTDIR, -ELOOP (more than 40 links),
 * -ENAMETOOLONG, -EACCES, ...
 */
int sup_view_walk(const struct sup_view *view, int base_fd, const char *path,
		  bool follow_final, int *ret_fd);

/* sup_view_walk() for an exec path: an absolute path with follow_final
 * is first resolved by one openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * from the target's root (the kernel follows symlinks as the exec will);
 * a magic link, a result on procfs (where "/proc/self" would name the
 * supervisor), or any error takes the component walk, which also gives
 * the precise error. The exec check verifies what actually runs. */
int sup_view_walk_exec(const struct sup_view *view, int base_fd, const char *path,
		       bool follow_final, int *ret_fd);

/*
 * The absolute path of fd as the target sees it (the supervisor's
 * /proc/self/fd/N, with the target's root prefix removed). *ret_deleted
 * is set when the kernel reports " (deleted)" or an anonymous object
 * ("/memfd:x (deleted)", "anon_inode:..."); the suffix is kept in buf.
 * -ENAMETOOLONG, -EXDEV (outside the target's root), -errno.
 */
int sup_view_fd_path(const struct sup_view *view, int fd, char *buf, size_t size,
		     bool *ret_deleted);

/*
 * Reopen an absolute, canonical (symlink-free) directory path in the
 * target's view with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS: O_PATH |
 * O_DIRECTORY. A component that has become a symlink since the decision
 * fails with -ELOOP. Used by the emulation.
 */
int sup_view_reopen_dir(const struct sup_view *view, const char *canonical, int *ret_fd);

#endif
