/*
 * Sealed programs: may the mapping check of an approved exec be left out
 * (see execseal.h for what "sealed" means and why it is enough).
 *
 * SECURITY: every doubt answers false (the mapping check runs, as before
 * this file existed). Trusts fstat, fstatfs and readlinkat on descriptors
 * the supervisor opened, /proc/PID/status of PROG when it is handed over, and
 * the ELF headers of a file only root can write.
 */
#include "supervisor/run/execseal.h"

#include "supervisor/common/elfhdr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#define SEAL_CACHE 32
#define SEAL_MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

#ifndef EROFS_SUPER_MAGIC_V1
#define EROFS_SUPER_MAGIC_V1 0xe0f5e1e2
#endif

struct seal_entry {
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	bool sealed;      /* program and interpreter walk sealed */
	bool has_interp;
	dev_t idev;       /* the interpreter the walk reached */
	ino_t iino;
};

struct sup_execseal {
	int sandbox; /* 0 not yet known, 1 unprivileged, -1 not */
	struct seal_entry cache[SEAL_CACHE];
	size_t n, next;
};

int sup_execseal_new(struct sup_execseal **ret)
{
	struct sup_execseal *s = calloc(1, sizeof *s);

	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void sup_execseal_free(struct sup_execseal *seal)
{
	free(seal);
}

/* Local disk file systems: what an inode and a name are is decided by the
 * kernel from the disk, not by a daemon or a server. */
static bool local_disk(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return false;
	switch ((uint32_t)sfs.f_type) {
	case EXT4_SUPER_MAGIC: /* ext2/3/4 share it */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case EROFS_SUPER_MAGIC_V1:
	case SQUASHFS_MAGIC:
		return true;
	default:
		return false;
	}
}

/* Owned by root, no group or other write bit (a symlink's own mode means
 * nothing: its parent directory is what protects it). */
static bool root_only(const struct stat *st)
{
	if (st->st_uid != 0)
		return false;
	return S_ISLNK(st->st_mode) || !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* "Uid:\tr\te\ts\tfs" all non-zero, every capability set empty,
 * NoNewPrivs 1. */
static bool status_unprivileged(const char *buf)
{
	const char *caps[] = { "\nCapInh:\t", "\nCapPrm:\t", "\nCapEff:\t", "\nCapAmb:\t" };
	const char *p = strstr(buf, "\nUid:\t");
	unsigned long u[4];

	if (!p || sscanf(p + 6, "%lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (u[i] == 0)
			return false;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		p = strstr(buf, caps[i]);
		if (!p || strtoull(p + strlen(caps[i]), NULL, 16) != 0)
			return false;
	}
	p = strstr(buf, "\nNoNewPrivs:\t");
	return p && p[13] == '1';
}

static int sandbox_state(pid_t tid)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof buf - 1)
		return -1;
	buf[n] = '\0';
	return status_unprivileged(buf) ? 1 : -1;
}

/* Walk the absolute path in the sandbox's root as binfmt_elf's open_exec
 * would (symlinks followed), requiring every directory searched, every
 * symlink and the file reached to be root_only() on a local disk. 0 and
 * the file's stat when sealed, -EPERM when something on the way is not,
 * -errno on errors. */
static int sealed_walk(pid_t tid, const char *path, struct stat *ret)
{
	char todo[2 * PATH_MAX], name[NAME_MAX + 1], link[PATH_MAX], rest[2 * PATH_MAX], p[64];
	struct stat cst, st;
	size_t pos = 0;
	int root, cur = -1, next = -1, links = 0, r = -EPERM;

	if (path[0] != '/' || strlen(path) >= sizeof todo)
		return -EPERM;
	snprintf(todo, sizeof todo, "%s", path);
	snprintf(p, sizeof p, "/proc/%d/root", (int)tid);
	root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (cur < 0 || fstat(cur, &cst) < 0 || !root_only(&cst) || !local_disk(cur))
		goto out;
	for (;;) {
		while (todo[pos] == '/')
			pos++;
		if (todo[pos] == '\0')
			break;
		size_t start = pos, len;
		while (todo[pos] && todo[pos] != '/')
			pos++;
		len = pos - start;
		if (len > NAME_MAX)
			goto out;
		memcpy(name, todo + start, len);
		name[len] = '\0';
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, ".."))
			goto out; /* not worth proving: the mapping check runs */
		/* cur is a directory searched: root_only() was checked */
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0 || !root_only(&st) || !local_disk(next))
			goto out;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(next, "", link, sizeof link - 1);
			if (n <= 0 || (size_t)n >= sizeof link - 1 || ++links > SEAL_MAX_LINKS)
				goto out;
			link[n] = '\0';
			close(next);
			next = -1;
			if (link[0] == '/') {
				close(cur);
				cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
				if (cur < 0)
					goto out;
			}
			int m = snprintf(rest, sizeof rest, "%s%s%s", link, todo[pos] ? "/" : "",
					 todo + pos);
			if (m < 0 || (size_t)m >= sizeof todo)
				goto out;
			memcpy(todo, rest, (size_t)m + 1);
			pos = 0;
			continue;
		}
		if (!S_ISDIR(st.st_mode) && todo[pos] != '\0')
			goto out;
		close(cur);
		cur = next;
		next = -1;
		cst = st;
	}
	if (S_ISREG(cst.st_mode)) {
		*ret = cst;
		r = 0;
	}
out:
	if (next >= 0)
		close(next);
	if (cur >= 0)
		close(cur);
	close(root);
	return r;
}

static int pread_exact(void *ctx, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

/* The PT_INTERP of the ELF program prog (an O_PATH fd is fine): 1 with
 * interp filled, 0 for none, -errno (not ELF: -ENOEXEC). */
static int read_interp(int prog, char *interp, size_t size)
{
	unsigned char head[1024];
	struct sup_elf_info info;
	char p[64];
	ssize_t n;
	int fd, r;

	snprintf(p, sizeof p, "/proc/self/fd/%d", prog);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = pread(fd, head, sizeof head, 0);
	if (n <= 0 || !sup_elf_is_elf(head, (size_t)n))
		r = -ENOEXEC;
	else
		r = sup_elf_parse(head, (size_t)n, pread_exact, &fd, &info);
	close(fd);
	if (r < 0)
		return r;
	if (!info.has_interp)
		return 0;
	if (strlen(info.interp) >= size)
		return -ENAMETOOLONG;
	memcpy(interp, info.interp, strlen(info.interp) + 1);
	return 1;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static struct seal_entry *lookup(struct sup_execseal *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n; i++) {
		struct seal_entry *e = &s->cache[i];
		if (e->dev == st->st_dev && e->ino == st->st_ino && same_time(&e->mtime, &st->st_mtim) &&
		    same_time(&e->ctime, &st->st_ctim))
			return e;
	}
	return NULL;
}

/* Work out and remember whether prog (sealed itself) has a sealed
 * interpreter walk. NULL on errors (nothing remembered). */
static struct seal_entry *learn(struct sup_execseal *s, pid_t tid, int prog,
				const struct stat *st)
{
	char interp[SUP_ELF_INTERP_MAX];
	struct seal_entry e = { .dev = st->st_dev, .ino = st->st_ino, .mtime = st->st_mtim,
				.ctime = st->st_ctim };
	struct stat ist = { 0 };
	int r = read_interp(prog, interp, sizeof interp);

	if (r < 0 && r != -ENOEXEC)
		return NULL;
	if (r == 0) {
		e.sealed = true;
	} else if (r == 1) {
		e.has_interp = true;
		int w = sealed_walk(tid, interp, &ist);
		if (w < 0 && w != -EPERM)
			return NULL;
		e.sealed = w == 0;
		e.idev = w == 0 ? ist.st_dev : 0;
		e.iino = w == 0 ? ist.st_ino : 0;
	} /* not ELF (binfmt_misc): never sealed */
	struct seal_entry *slot;
	if (s->n < SEAL_CACHE) {
		slot = &s->cache[s->n++];
	} else {
		slot = &s->cache[s->next];
		s->next = (s->next + 1) % SEAL_CACHE;
	}
	*slot = e;
	return slot;
}

void sup_execseal_latch(struct sup_execseal *seal, pid_t tid)
{
	if (seal && seal->sandbox == 0)
		seal->sandbox = sandbox_state(tid);
}

bool sup_execseal_fixed(struct sup_execseal *seal, pid_t tid, int prog, const struct stat *st,
			bool want_interp, dev_t idev, ino_t iino)
{
	if (!seal || seal->sandbox <= 0) /* not latched yet: no shortcut */
		return false;
	if (prog < 0 || !S_ISREG(st->st_mode) || !root_only(st))
		return false;
	/* An entry is learned only for a program on a local disk, so the
	 * same device, inode, mtime and ctime is that file there: no
	 * fstatfs again (the agent cannot mount, docs/BENCHMARKS.md
	 * "Session 5"). */
	struct seal_entry *e = lookup(seal, st);
	if (!e && local_disk(prog))
		e = learn(seal, tid, prog, st);
	if (!e || !e->sealed || e->has_interp != want_interp)
		return false;
	return !want_interp || (e->idev == idev && e->iino == iino);
}
