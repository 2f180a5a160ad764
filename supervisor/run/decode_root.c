/*
 * The thread's root directory in the per-thread cache (decode_cache.h):
 * opened once per thread, re-validated by identity unless roots are
 * fixed, and with roots fixed lent from one shared descriptor.
 *
 * SECURITY: a root is trusted only while its identity (device, inode and
 * mount id) is the thread's current root's; with roots fixed (the filter
 * refuses chroot, pivot_root, setns, unshare, mounts and new namespaces,
 * docs/decode.md) a thread's root cannot change after it was opened.
 */
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/decode_cache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool roots_fixed; /* sup_tcache_roots_fixed(): no task can change its root */

/* With roots fixed every sandboxed task has the root PROG had when its
 * filter was loaded: the first one opened is kept (under sup_tcache_lock) and
 * lent to each new thread whose root has the same identity (one statx
 * instead of open, statx, fstat and stat of "/"). */
static struct {
	int fd;
	struct root_id id;
	size_t len;
	char path[PATH_MAX];
} shared_root = { .fd = -1 };

static int root_identity(int dirfd, const char *name, int flags, struct root_id *ret)
{
	struct statx sx;

	if (statx(dirfd, name, flags, STATX_INO | STATX_MNT_ID, &sx) < 0)
		return -errno;
	ret->dev_major = sx.stx_dev_major;
	ret->dev_minor = sx.stx_dev_minor;
	ret->ino = sx.stx_ino;
	ret->mnt_id = sx.stx_mnt_id;
	/* without a mount id, two mounts of one directory look the same:
	 * then never trust the cached fd */
	ret->valid = (sx.stx_mask & STATX_MNT_ID) != 0;
	return 0;
}

static bool same_root(const struct root_id *a, const struct root_id *b)
{
	return a->valid && b->valid && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->ino == b->ino && a->mnt_id == b->mnt_id;
}

/* The first root opened with roots fixed becomes the shared one. */
static void keep_shared_root(const struct sup_tfacts *f)
{
	pthread_mutex_lock(&sup_tcache_lock);
	if (roots_fixed && shared_root.fd < 0 && f->root.valid) {
		int fd = fcntl(f->rootfd, F_DUPFD_CLOEXEC, 3);

		if (fd >= 0) {
			shared_root.fd = fd;
			shared_root.id = f->root;
			shared_root.len = f->root_len;
			memcpy(shared_root.path, f->root_path, f->root_len + 1);
		}
	}
	pthread_mutex_unlock(&sup_tcache_lock);
}

/* A new thread's root is the shared one: borrow it. SECURITY: only with
 * roots fixed (no sandboxed task can change its root, docs/decode.md),
 * and only when /proc/TID/root has the shared root's identity, mount id
 * included. 0 when borrowed, else -1 (open it as before). */
static int borrow_shared_root(struct sup_tfacts *f)
{
	struct root_id now;
	int r = -1;

	if (f->rootfd >= 0 || root_identity(f->procfd, "root", 0, &now) < 0)
		return -1;
	pthread_mutex_lock(&sup_tcache_lock);
	if (roots_fixed && shared_root.fd >= 0 && same_root(&now, &shared_root.id)) {
		f->rootfd = shared_root.fd;
		f->root_shared = true;
		f->root = shared_root.id;
		f->root_len = shared_root.len;
		memcpy(f->root_path, shared_root.path, shared_root.len + 1);
		r = 0;
	}
	pthread_mutex_unlock(&sup_tcache_lock);
	return r;
}

/* Reopen the root and work out whether it is ours (as sup_view_open). */
static int reopen_root(struct sup_tfacts *f)
{
	struct stat ours, theirs;
	ssize_t n;
	int fd;

	if (f->rootfd >= 0 && !f->root_shared)
		close(f->rootfd);
	f->rootfd = -1;
	f->root_shared = false;
	f->root.valid = false;
	fd = openat(f->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (root_identity(fd, "", AT_EMPTY_PATH, &f->root) < 0 || fstat(fd, &theirs) < 0 ||
	    stat("/", &ours) < 0)
		goto fail;
	f->root_len = 0;
	f->root_path[0] = '\0';
	if (!(ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)) {
		n = readlinkat(f->procfd, "root", f->root_path, sizeof(f->root_path) - 1);
		if (n <= 0 || (size_t)n >= sizeof(f->root_path) - 1)
			goto fail;
		f->root_path[n] = '\0';
		f->root_len = (size_t)n;
		if (strcmp(f->root_path, "/") == 0)
			f->root_len = 0;
	}
	f->rootfd = fd;
	keep_shared_root(f);
	return 0;
fail:
	{
		int e = errno ? errno : EIO;

		close(fd);
		f->root.valid = false;
		return -e;
	}
}

int sup_tfacts_view(struct sup_tfacts *f, struct sup_view *view)
{
	int r = 0;

	/* With roots fixed (the filter refuses chroot, pivot_root, setns,
	 * unshare, mount and new namespaces to every sandboxed task), the
	 * root opened for this thread is still its root: no statx. */
	bool fixed = roots_fixed && f->rootfd >= 0 && f->root.valid;

	if (!fixed && (!f->root_checked || f->root_checked_for != f->notif_id)) {
		struct root_id now;

		if (f->rootfd >= 0 && root_identity(f->procfd, "root", 0, &now) == 0 &&
		    same_root(&now, &f->root))
			r = 0;
		else if (f->rootfd < 0 && roots_fixed && borrow_shared_root(f) == 0)
			r = 0;
		else
			r = reopen_root(f);
		if (r < 0)
			return r;
		f->root_checked = true;
		f->root_checked_for = f->notif_id;
	}
	memset(view, 0, sizeof(*view));
	view->tid = f->tid;
	view->tgid = f->status.tgid;
	view->rootfd = f->rootfd;
	view->borrowed = true;
	view->root_len = f->root_len;
	if (f->root_len)
		memcpy(view->root_path, f->root_path, f->root_len + 1);
	return 0;
}

void sup_tcache_roots_fixed(bool on)
{
	pthread_mutex_lock(&sup_tcache_lock);
	roots_fixed = on;
	pthread_mutex_unlock(&sup_tcache_lock);
}
