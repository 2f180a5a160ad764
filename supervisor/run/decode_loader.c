/*
 * The dynamic loader in exec decoding (docs/decode.md, "ELF interpreter
 * and the dynamic loader"): is a file the loader (by identity and by its
 * DT_SONAME, never by its name), and where does a program the loader is
 * asked to run live, resolved so that the decision cannot be redirected.
 *
 * SECURITY: `ld.so PROGRAM` maps PROGRAM itself, without an exec the
 * supervisor could verify. So the program (and --preload/--audit
 * objects) must be reached through directories and symlinks the agent
 * cannot replace, and be files it cannot write: otherwise the decision is
 * refused ("cannot verify"). The loader is recognised by what the file
 * is: a copy, a hard link or a symlink under any name is still the loader
 * (a copy keeps its DT_SONAME); only an ELF the agent modified or wrote
 * itself escapes the rule, and that is agent code under an agent-chosen
 * name, outside the gate's contract (docs/SECURITY.md, "Out of scope").
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/elfhdr.h"
#include "supervisor/run/decode_internal.h"
#include "supervisor/run/exec_pincache.h"

#define MAX_SYMLINKS 40
/* capabilities that let their holder write any file or make any path */
#define MIGHTY_CAPS                                                                          \
	(1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_FOWNER | 1ULL << CAP_CHOWN |                 \
	 1ULL << CAP_SYS_CHROOT | 1ULL << CAP_SYS_ADMIN)
#define LOADER_CACHE 32

/* Identities already classified: (dev, ino, mtime, ctime, size) -> is
 * the loader. A file changed in place gets a new ctime and is looked at
 * again. */
struct loader_seen {
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	off_t size;
	bool loader;
};
static struct loader_seen seen[LOADER_CACHE];
static size_t n_seen, next_slot;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_file(const struct loader_seen *s, const struct stat *st)
{
	return s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
	       s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       s->ctime.tv_sec == st->st_ctim.tv_sec && s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int pread_exact(void *ctx, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

bool sup_loader_cached(const struct stat *st, bool *ret_loader)
{
	bool hit = false;

	pthread_mutex_lock(&seen_lock);
	for (size_t i = 0; i < n_seen && !hit; i++) {
		if (same_file(&seen[i], st)) {
			*ret_loader = seen[i].loader;
			hit = true;
		}
	}
	pthread_mutex_unlock(&seen_lock);
	return hit;
}

int sup_loader_classify(int rdfd, const struct stat *st, const struct sup_elf_info *info,
			bool *ret_loader)
{
	*ret_loader = false;
	if (info->type != ET_DYN || info->has_interp)
		return 0; /* runs by itself only as a static(-pie) program */
	if (sup_loader_cached(st, ret_loader))
		return 0;
	char soname[SUP_ELF_SONAME_MAX];
	int fd = rdfd;
	int r = sup_elf_soname(info, pread_exact, &fd, soname, sizeof soname);
	if (r < 0)
		return r;
	bool loader = r == 1 && sup_elf_soname_is_loader(soname);
	pthread_mutex_lock(&seen_lock);
	struct loader_seen *s = &seen[n_seen < LOADER_CACHE ? n_seen++ : next_slot++ % LOADER_CACHE];
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
	s->ctime = st->st_ctim;
	s->loader = loader;
	pthread_mutex_unlock(&seen_lock);
	*ret_loader = loader;
	return 0;
}

static bool in_groups(const struct sup_proc_status *c, gid_t g)
{
	if (g == c->fsgid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

/* Does fd (a file or directory) carry a POSIX access ACL? Its grants are
 * not evaluated: any ACL makes the path unpinned (fail closed). */
static bool has_acl(int fd)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return getxattr(p, "system.posix_acl_access", NULL, 0) > 0;
}

/* Can creds change st's contents (a directory: its entries), by mode or
 * by owning it (an owner can chmod)? POSIX ACLs: see has_acl(). */
static bool writable(const struct stat *st, const struct sup_proc_status *c)
{
	if (st->st_uid == c->fsuid)
		return true;
	if (st->st_mode & S_IWOTH)
		return true;
	return (st->st_mode & S_IWGRP) && in_groups(c, st->st_gid);
}

/* Can creds replace the entry st in directory dir (rename over it,
 * unlink it)? Sticky directories protect entries of other owners. */
static bool replaceable(const struct stat *dir, const struct stat *st,
			const struct sup_proc_status *c)
{
	if (!writable(dir, c))
		return false;
	if ((dir->st_mode & S_ISVTX) && st->st_uid != c->fsuid && dir->st_uid != c->fsuid)
		return false;
	return true;
}

static bool on_proc(int fd)
{
	struct statfs s;
	return fstatfs(fd, &s) != 0 || s.f_type == PROC_SUPER_MAGIC;
}

/* For an agent that may write any file (root): was st kept as the system
 * keeps it, root's, no write bit for group or other (a symlink's mode
 * means nothing), unchanged since the session started? */
static bool kept_by_root(const struct stat *st, const struct timespec *since)
{
	if (st->st_uid != 0 || (!S_ISLNK(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH))))
		return false;
	return st->st_ctim.tv_sec < since->tv_sec ||
	       (st->st_ctim.tv_sec == since->tv_sec && st->st_ctim.tv_nsec < since->tv_nsec);
}

/* kept_by_root() for directory dir that holds entry st: a sticky
 * directory root owns (/tmp) lets no other user rename or remove root's
 * entries, whatever its write bits and however often others add files
 * (its ctime); the entry itself is checked with kept_by_root(), and such
 * a directory as an entry is judged by what it holds, one step later. */
static bool sticky_root_dir(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0;
}

static bool dir_kept_by_root(const struct stat *dir, const struct stat *st,
			     const struct timespec *since)
{
	if (sticky_root_dir(dir) && st->st_uid == 0)
		return true;
	return kept_by_root(dir, since);
}

static int resolve_fixed(const struct sup_view *view, const char *path,
			 const struct sup_proc_status *creds, const struct timespec *root_since,
			 struct sup_pin_trace *trace, int *ret_fd, bool *ret_fixed, char *why,
			 size_t why_size);

int sup_loader_resolve_fixed(const struct sup_view *view, const char *path,
			     const struct sup_proc_status *creds, int *ret_fd, bool *ret_fixed,
			     char *why, size_t why_size)
{
	return resolve_fixed(view, path, creds, NULL, NULL, ret_fd, ret_fixed, why, why_size);
}

int sup_exec_resolve_pinned(const struct sup_view *view, const char *path,
			    const struct sup_proc_status *creds, const struct timespec *since,
			    struct sup_pin_trace *trace, int *ret_fd, bool *ret_fixed, char *why,
			    size_t why_size)
{
	return resolve_fixed(view, path, creds, since, trace, ret_fd, ret_fixed, why, why_size);
}

bool sup_exec_pinned_by_root(const struct sup_proc_status *creds)
{
	return (creds->cap_eff & MIGHTY_CAPS) != 0;
}

/* trace (exec_pincache.h), when not NULL, records every step of the walk
 * so that it can be replayed with one statx per step. */
static int resolve_fixed(const struct sup_view *view, const char *path,
			 const struct sup_proc_status *creds, const struct timespec *root_since,
			 struct sup_pin_trace *trace, int *ret_fd, bool *ret_fixed, char *why,
			 size_t why_size)
{
	char todo[POL_TARGET_MAX_PATH * 2], name[NAME_MAX + 1], link[POL_TARGET_MAX_PATH + 1];
	const uint64_t mighty = MIGHTY_CAPS;
	int cur = -1, next = -1, r = 0, links = 0;
	size_t pos = 0;
	struct stat cst, st;
	/* an agent that may write anything: only what root keeps and nobody
	 * changed during the session counts (docs/scoring.md) */
	const bool by_root = root_since && (creds->cap_eff & mighty);

	*ret_fixed = true;
	why[0] = '\0';
	if (path[0] != '/') {
		/* SECURITY: a task sharing the caller's fs_struct (CLONE_FS) can
		 * chdir it between the decision and the loader's open. */
		*ret_fixed = false;
		snprintf(why, why_size, "relative to the working directory, which another task "
			 "can change");
	} else if ((creds->cap_eff & mighty) && !by_root) {
		*ret_fixed = false;
		snprintf(why, why_size, "the agent may write any file (capabilities %#llx)",
			 (unsigned long long)(creds->cap_eff & mighty));
	}
	if (strlen(path) >= sizeof todo)
		return -ENAMETOOLONG;
	snprintf(todo, sizeof todo, "%s", path);
	if (path[0] == '/')
		sup_pin_trace_begin(trace, view->rootfd);
	else
		sup_pin_trace_fail(trace);
	if (path[0] == '/') {
		cur = fcntl(view->rootfd, F_DUPFD_CLOEXEC, 3);
	} else if ((r = sup_view_open_base(view, AT_FDCWD, &cur)) < 0) {
		return r;
	}
	if (cur < 0 || fstat(cur, &cst) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		while (todo[pos] == '/')
			pos++;
		if (todo[pos] == '\0')
			break;
		size_t start = pos;
		while (todo[pos] && todo[pos] != '/')
			pos++;
		size_t len = pos - start;
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, todo + start, len);
		name[len] = '\0';
		while (todo[pos] == '/')
			pos++;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, ".."))
			sup_pin_trace_fail(trace);
		if (on_proc(cur)) {
			*ret_fixed = false;
			snprintf(why, why_size, "reached through /proc");
		}
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0) {
			r = -errno;
			goto out;
		}
		sup_pin_trace_step(trace, name, next);
		if (strcmp(name, "..") && *ret_fixed && by_root &&
		    (!dir_kept_by_root(&cst, &st, root_since) ||
		     !(sticky_root_dir(&st) || kept_by_root(&st, root_since)))) {
			*ret_fixed = false;
			snprintf(why, why_size, "'%.200s' or its directory is not root's alone or "
				 "changed during the session", name);
		}
		if (strcmp(name, "..") && *ret_fixed && !by_root &&
		    (replaceable(&cst, &st, creds) || (S_ISDIR(st.st_mode) && st.st_uid == creds->fsuid))) {
			*ret_fixed = false;
			snprintf(why, why_size, "'%.200s' can be replaced by the agent", name);
		}
		if (*ret_fixed && has_acl(cur)) {
			*ret_fixed = false;
			snprintf(why, why_size, "a directory on the way to '%.200s' has a POSIX ACL", name);
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(next, "", link, sizeof link - 1);
			if (n < 0 || (size_t)n >= sizeof link - 1 || ++links > MAX_SYMLINKS) {
				r = n < 0 ? -errno : n >= (ssize_t)sizeof link - 1 ? -ENAMETOOLONG : -ELOOP;
				goto out;
			}
			link[n] = '\0';
			close(next);
			next = -1;
			if (link[0] == '/') {
				sup_pin_trace_restart(trace);
				close(cur);
				cur = fcntl(view->rootfd, F_DUPFD_CLOEXEC, 3);
				if (cur < 0 || fstat(cur, &cst) < 0) {
					r = -errno;
					goto out;
				}
			}
			char rest[POL_TARGET_MAX_PATH * 2];
			int m = snprintf(rest, sizeof rest, "%s%s%s", link, todo[pos] ? "/" : "",
					 todo + pos);
			if (m < 0 || (size_t)m >= sizeof todo) {
				r = -ENAMETOOLONG;
				goto out;
			}
			memcpy(todo, rest, (size_t)m + 1);
			pos = 0;
			continue;
		}
		if (!strcmp(name, "..")) {
			/* the walk went back up: the parent of a directory that
			 * was reached is not re-checked here; the whole walk is
			 * refused instead when the agent could move things */
			struct stat rootst;
			if (fstat(view->rootfd, &rootst) == 0 && rootst.st_dev == cst.st_dev &&
			    rootst.st_ino == cst.st_ino) {
				close(next);
				next = -1;
				continue;
			}
		}
		sup_pin_trace_descend(trace, next);
		close(cur);
		cur = next;
		next = -1;
		cst = st;
	}
	if (!S_ISREG(cst.st_mode)) {
		r = -EACCES;
		goto out;
	}
	if (*ret_fixed && ((by_root ? !kept_by_root(&cst, root_since) : writable(&cst, creds)) ||
			   has_acl(cur))) {
		*ret_fixed = false;
		snprintf(why, why_size, "the file is writable by the agent%s",
			 has_acl(cur) ? " (or has a POSIX ACL)" : "");
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
