/*
 * Path resolution in the target's view (see decode_path.h).
 *
 * SECURITY: the attacker is the sandboxed program, which controls the path
 * string and can create symlinks, including ones into /proc/self (which,
 * resolved by the supervisor's kernel walk, would name the supervisor).
 * So the walk is done here one component at a time: each component is
 * opened O_PATH|O_NOFOLLOW relative to the previous fd; a symlink is read
 * and its text spliced into the remaining path (absolute links restart at
 * the target's root fd, never ours); procfs "self"/"thread-self" are
 * replaced by the target's ids; procfs magic links (fd/N, cwd, root, exe)
 * are followed by the kernel, which resolves them to the target's objects
 * because the walk already names the target's pid. ".." never leaves the
 * target's root.
 */
#include "supervisor/run/decode_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"

#define MAX_SYMLINKS 40
#define PROC_ROOT_INO 1

void sup_view_release(struct sup_view *view)
{
	if (view->rootfd >= 0 && !view->borrowed)
		close(view->rootfd);
	view->rootfd = -1;
}

int sup_view_open_base(const struct sup_view *view, int dirfd, int *ret_fd)
{
	char p[64];
	int fd;

	if (dirfd == AT_FDCWD)
		snprintf(p, sizeof(p), "/proc/%d/cwd", (int)view->tid);
	else if (dirfd < 0)
		return -EBADF;
	else
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)view->tid, dirfd);
	fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (dirfd == AT_FDCWD ? -ESRCH : -EBADF) : -errno;
	*ret_fd = fd;
	return 0;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_proc_root(int fd)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	return fstat(fd, &st) == 0 && st.st_ino == PROC_ROOT_INO;
}

static bool is_proc(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Replace the todo buffer with head + "/" + rest (rest may be ""). */
static int path_splice(char *todo, size_t size, const char *head, const char *rest)
{
	char tmp[POL_TARGET_MAX_PATH * 2];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s%s%s", head, rest[0] ? "/" : "", rest);
	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= size)
		return -ENAMETOOLONG;
	memcpy(todo, tmp, (size_t)n + 1);
	return 0;
}

int sup_view_walk_exec(const struct sup_view *view, int base_fd, const char *path,
		       bool follow_final, int *ret_fd)
{
	if (path[0] == '/' && follow_final && view->rootfd >= 0) {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel = path;
		int fd;

		while (*rel == '/')
			rel++;
		fd = (int)syscall(SYS_openat2, view->rootfd, *rel ? rel : ".", &how, sizeof(how));
		/* SECURITY: "/proc/self" names the supervisor here, the target
		 * in the kernel's exec. Only magic links leave procfs from
		 * there (refused above), so a result outside procfs was not
		 * reached through it; anything in procfs takes the walk. */
		if (fd >= 0 && !is_proc(fd)) {
			*ret_fd = fd;
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	return sup_view_walk(view, base_fd, path, follow_final, ret_fd);
}

int sup_view_walk(const struct sup_view *view, int base_fd, const char *path,
		  bool follow_final, int *ret_fd)
{
	char todo[POL_TARGET_MAX_PATH * 2];
	char name[NAME_MAX + 1];
	char link[POL_TARGET_MAX_PATH + 1];
	int cur = -1, next = -1, r = 0, links = 0;
	size_t pos = 0;

	if (strlen(path) >= sizeof(todo))
		return -ENAMETOOLONG;
	if (path[0] == '\0')
		return -ENOENT;
	snprintf(todo, sizeof(todo), "%s", path);
	cur = fcntl(path[0] == '/' ? view->rootfd : base_fd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;

	for (;;) {
		size_t start, len;
		bool last;
		struct stat st;

		while (todo[pos] == '/')
			pos++;
		if (todo[pos] == '\0')
			break;
		start = pos;
		while (todo[pos] && todo[pos] != '/')
			pos++;
		len = pos - start;
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, todo + start, len);
		name[len] = '\0';
		while (todo[pos] == '/')
			pos++;
		last = todo[pos] == '\0';

		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (same_inode(cur, view->rootfd))
				continue; /* ".." at the target's root stays there */
			next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (next < 0) {
				r = -errno;
				goto out;
			}
			close(cur);
			cur = next;
			next = -1;
			continue;
		}
		if (is_proc_root(cur) &&
		    (strcmp(name, "self") == 0 || strcmp(name, "thread-self") == 0)) {
			/* SECURITY: resolved by us these would name the supervisor. */
			char head[64];

			if (strcmp(name, "self") == 0)
				snprintf(head, sizeof(head), "%d", (int)view->tgid);
			else
				snprintf(head, sizeof(head), "%d/task/%d", (int)view->tgid,
					 (int)view->tid);
			r = path_splice(todo, sizeof(todo), head, todo + pos);
			if (r < 0)
				goto out;
			pos = 0;
			if (++links > MAX_SYMLINKS) {
				r = -ELOOP;
				goto out;
			}
			continue;
		}
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = -errno;
			goto out;
		}
		if (fstat(next, &st) < 0) {
			r = -errno;
			goto out;
		}
		if (S_ISLNK(st.st_mode) && (!last || follow_final)) {
			ssize_t n = readlinkat(next, "", link, sizeof(link) - 1);

			if (n < 0) {
				r = -errno;
				goto out;
			}
			if ((size_t)n >= sizeof(link) - 1) {
				r = -ENAMETOOLONG;
				goto out;
			}
			link[n] = '\0';
			if (++links > MAX_SYMLINKS) {
				r = -ELOOP;
				goto out;
			}
			if (is_proc(cur) && (link[0] == '/' || strchr(link, ':'))) {
				/* A procfs magic link (fd/N, cwd, root, exe): the
				 * kernel follows it to the target's object. */
				close(next);
				next = openat(cur, name, O_PATH | O_CLOEXEC);
				if (next < 0) {
					r = -errno;
					goto out;
				}
				close(cur);
				cur = next;
				next = -1;
				continue;
			}
			close(next);
			next = -1;
			if (link[0] == '/') {
				int root = fcntl(view->rootfd, F_DUPFD_CLOEXEC, 3);

				if (root < 0) {
					r = -errno;
					goto out;
				}
				close(cur);
				cur = root;
			}
			r = path_splice(todo, sizeof(todo), link, todo + pos);
			if (r < 0)
				goto out;
			pos = 0;
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
		close(cur);
		cur = next;
		next = -1;
	}
	*ret_fd = cur;
	cur = -1;
out:
	if (next >= 0)
		close(next);
	if (cur >= 0)
		close(cur);
	return r;
}

int sup_view_fd_path(const struct sup_view *view, int fd, char *buf, size_t size,
		     bool *ret_deleted)
{
	char p[64], tmp[PATH_MAX + 32];
	ssize_t n;
	bool deleted = false;
	size_t len;
	const char *s = tmp;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, tmp, sizeof(tmp) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(tmp) - 1)
		return -ENAMETOOLONG;
	tmp[n] = '\0';
	len = (size_t)n;
	if (len >= 10 && strcmp(tmp + len - 10, " (deleted)") == 0)
		deleted = true;
	if (tmp[0] != '/') {
		deleted = true; /* "anon_inode:[...]", "pipe:[...]" */
	} else if (strncmp(tmp, "/memfd:", 7) == 0) {
		deleted = true;
	} else if (view->root_len) {
		if (strncmp(tmp, view->root_path, view->root_len) != 0 ||
		    (tmp[view->root_len] != '/' && tmp[view->root_len] != '\0'))
			return -EXDEV;
		s = tmp + view->root_len;
		if (*s == '\0')
			s = "/";
	}
	if (strlen(s) + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, s, strlen(s) + 1);
	*ret_deleted = deleted;
	return 0;
}

int sup_view_reopen_dir(const struct sup_view *view, const char *canonical, int *ret_fd)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = canonical;
	long fd;

	if (canonical[0] != '/')
		return -EINVAL;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	fd = syscall(SYS_openat2, view->rootfd, rel, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	*ret_fd = (int)fd;
	return 0;
}
