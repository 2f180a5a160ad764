/*
 * Stored names on case-insensitive file systems (see decode_fold.h and
 * docs/decode.md, "Case-insensitive file systems").
 *
 * SECURITY: the attacker is the sandboxed program, which chooses the
 * spelling of every component ("protected/x" for "PROTECTED/x") and may
 * create entries, hard links and directories where it can write. The
 * kernel and the file system decide what a spelling reaches; the decision
 * must read that, so the stored name is found by what the lookup reached
 * (device and inode), confirmed with fstatat, never by the spelling alone.
 * Where that cannot be done within the caps, or more than one entry could
 * be the one reached, the removal is refused with a reason (fail closed).
 */
#include "supervisor/run/decode_fold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/run/decode_foldsb.h"

/* Case-insensitive by design (vfat, exfat, ntfs, hfs, isofs), or decided
 * by a server that is so in practice and numbers inodes loosely (SMB):
 * always searched. FUSE (sshfs, rclone, gocryptfs, ...) is mostly
 * case-sensitive, and searching every directory on every removal would
 * make rm -r quadratic over the network: a plain ASCII name is probed
 * like on a local file system, any name an ASCII probe cannot vouch for
 * is searched (see fuse_needs_search). NFS, 9p and ceph are probed: their
 * inode numbers are the server's. */
#define FOLD_FUSE 0x65735546u
#define FOLD_CIFS 0xff534d42u
#define FOLD_SMB2 0xfe534d42u
#define FOLD_SMB 0x517bu
#define FOLD_MSDOS 0x4d44u
#define FOLD_EXFAT 0x2011bab0u
#define FOLD_NTFS 0x5346544eu
#define FOLD_NTFS3 0x7366746eu
#define FOLD_HFS 0x4244u
#define FOLD_HFSPLUS 0x482bu
#define FOLD_ISOFS 0x9660u

/* 1 when file systems of this type fold case whatever the name, -1 for
 * FUSE (probe or search by the name), 0 for the others (probe); sets
 * *weak for those whose readdir inode numbers may differ from stat's. */
static int type_folds(uint32_t type, bool *weak)
{
	switch (type) {
	case FOLD_FUSE:
		*weak = true;
		return -1;
	case FOLD_CIFS: case FOLD_SMB2: case FOLD_SMB:
		*weak = true;
		return 1;
	case FOLD_MSDOS: case FOLD_EXFAT: case FOLD_NTFS: case FOLD_NTFS3: case FOLD_HFS:
	case FOLD_HFSPLUS: case FOLD_ISOFS:
		*weak = false;
		return 1;
	default:
		*weak = false;
		return 0;
	}
}

/*
 * On FUSE the daemon decides what a name reaches. SECURITY: the probe
 * only sees ASCII case folding; a name without an ASCII letter, with a
 * byte outside ASCII (Unicode folding, normalization), ending in '.' or
 * ' ' (stripped by Windows-like file systems) or with '~' (an 8.3 alias)
 * could reach another stored name without the probe noticing: searched.
 */
static bool fuse_needs_search(const char *name)
{
	size_t len = strlen(name);
	bool letters = false;

	if (len == 0 || name[len - 1] == '.' || name[len - 1] == ' ' || strchr(name, '~'))
		return true;
	for (; *name; name++) {
		if ((unsigned char)*name >= 0x80)
			return true;
		if ((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z'))
			letters = true;
	}
	return !letters;
}

int sup_fold_dir_folds(int dir, const char *spelled, const struct stat *target,
		       bool *ret_weak_ino)
{
	char swapped[NAME_MAX + 1];
	struct statfs sfs;
	struct stat st, own;
	bool weak = false, letters = false;
	size_t i, len = strlen(spelled);
	int kind;

	if (fstatfs(dir, &sfs) < 0)
		return -errno;
	kind = type_folds((uint32_t)sfs.f_type, &weak);
	if (kind == 0 && sup_fold_type_never((uint32_t)sfs.f_type)) {
		*ret_weak_ino = false;
		return 0; /* this kernel cannot fold it (decode_foldsb.h) */
	}
	if (kind > 0 || (kind < 0 && fuse_needs_search(spelled))) {
		*ret_weak_ino = weak;
		return 1;
	}
	/* Any other file system (ext4, tmpfs or f2fs with casefolded
	 * directories, XFS ascii-ci, NFS, one we do not know) and plain
	 * names on FUSE: ask it. A name with no ASCII letter cannot be
	 * respelled in ASCII case. */
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i <= len; i++) {
		char c = spelled[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A'), letters = true;
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a'), letters = true;
		swapped[i] = c;
	}
	*ret_weak_ino = weak;
	if (!letters)
		return 0;
	/* the common case, one failed lookup (a cached negative dentry) */
	if (fstatat(dir, swapped, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	/* SECURITY: a FUSE daemon may number each spelling's node apart
	 * (libfuse without use_ino): that the swapped spelling exists is
	 * enough (a case-sensitive one holding both costs a search). */
	if (weak)
		return 1;
	if (!target) {
		if (fstatat(dir, spelled, &own, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
		target = &own;
	}
	return st.st_dev == target->st_dev && st.st_ino == target->st_ino;
}

struct fold_pick {
	int count;
	char name[NAME_MAX + 1];
};

static void pick_add(struct fold_pick *p, const char *name)
{
	if (p->count++ == 0)
		snprintf(p->name, sizeof(p->name), "%s", name);
}

int sup_fold_find_stored(int dir, const char *spelled, const struct stat *want, bool weak_ino,
			 char *out, size_t out_size)
{
	uint64_t buf[1024]; /* 8-byte aligned, as getdents64's records are */
	struct fold_pick fold = { 0 }, other = { 0 }, weak = { 0 };
	size_t entries = 0, stats = 0;
	const char *found = NULL;
	int rfd, r = 0;

	rfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	while (!found) {
		ssize_t n = getdents64(rfd, buf, sizeof(buf));
		size_t off;

		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n && !found;) {
			const struct dirent64 *d = (const struct dirent64 *)((char *)buf + off);
			size_t room = d->d_reclen - offsetof(struct dirent64, d_name);
			const char *nm = d->d_name;
			bool exact, folded;
			struct stat st;

			if (d->d_reclen == 0 || off + d->d_reclen > (size_t)n) {
				r = -EIO;
				goto out;
			}
			off += d->d_reclen;
			if (strnlen(nm, room) >= room || strnlen(nm, room) > NAME_MAX) {
				r = -EIO;
				goto out;
			}
			if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
				continue;
			if (++entries > POL_FOLD_MAX_DIR_ENTRIES) {
				r = -E2BIG;
				goto out;
			}
			exact = strcmp(nm, spelled) == 0;
			folded = !exact && strcasecmp(nm, spelled) == 0;
			if (!exact && !folded && d->d_ino != want->st_ino)
				continue;
			if (++stats > POL_FOLD_MAX_CANDIDATES) {
				r = -E2BIG;
				goto out;
			}
			/* fstatat crosses a mount point, as the lookup did */
			if (fstatat(dir, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue; /* gone since: not what the lookup reached */
			if (st.st_dev == want->st_dev && st.st_ino == want->st_ino) {
				if (exact)
					found = spelled;
				else
					pick_add(folded ? &fold : &other, nm);
			} else if (folded) {
				pick_add(&weak, nm);
			}
		}
	}
	if (found)
		;
	else if (fold.count)
		found = fold.count == 1 ? fold.name : NULL;
	else if (other.count)
		found = other.count == 1 ? other.name : NULL;
	else if (weak_ino && weak.count == 1)
		found = weak.name;
	if (!found) {
		r = fold.count > 1 || other.count > 1 || (weak_ino && weak.count > 1) ? -ENOTUNIQ
										     : -ENOENT;
		goto out;
	}
	if (strlen(found) >= out_size) {
		r = -ENAMETOOLONG;
		goto out;
	}
	memmove(out, found, strlen(found) + 1);
out:
	close(rfd);
	return r;
}

static void fold_why(char *why, size_t why_size, int err, const char *dir, const char *spelled)
{
	char cap[96];
	const char *what = cap;

	switch (err) {
	case -E2BIG:
		snprintf(cap, sizeof(cap), "more than %d entries or %d candidates",
			 POL_FOLD_MAX_DIR_ENTRIES, POL_FOLD_MAX_CANDIDATES);
		break;
	case -ENOTUNIQ: what = "several entries could be it"; break;
	case -ENOENT: what = "no entry is the file it reaches"; break;
	default: what = strerror(-err); break;
	}
	snprintf(why, why_size,
		 "cannot find the stored name of '%s' in case-insensitive directory '%s': %s",
		 spelled, dir, what);
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool has_ascii_letter(const char *s)
{
	for (; *s; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			return true;
	return false;
}

/*
 * For a final name without an ASCII letter ("123"), which the probe
 * cannot respell: does the directory holding the nearest component of
 * canon that has one fold? SECURITY: else "/ci/protected/123" in a
 * casefolded directory would skip the walk that finds "PROTECTED".
 * 1, 0 or -errno.
 */
static int ancestor_folds(const struct sup_view *view, int pfd, const char *canon)
{
	char comp[NAME_MAX + 1];
	size_t end = strlen(canon), start;
	int cur, par, r = 0;
	bool weak;

	cur = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	while (end > 0) {
		struct stat st;

		start = end;
		while (start > 0 && canon[start - 1] != '/')
			start--;
		if (end == start || end - start > NAME_MAX || same_inode(cur, view->rootfd))
			break;
		memcpy(comp, canon + start, end - start);
		comp[end - start] = '\0';
		par = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (par < 0 || fstat(cur, &st) < 0) {
			r = -errno;
			if (par >= 0)
				close(par);
			break;
		}
		close(cur);
		cur = par;
		if (has_ascii_letter(comp)) {
			r = sup_fold_dir_folds(par, comp, &st, &weak);
			break;
		}
		end = start - 1;
	}
	close(cur);
	return r;
}

int sup_fold_names(const struct sup_view *view, int pfd, char *canon, size_t canon_size,
		   char *name, size_t name_size, char *why, size_t why_size)
{
	char stored[NAME_MAX + 1], comp[NAME_MAX + 1];
	char tail[POL_TARGET_MAX_PATH * 2];
	size_t tpos = sizeof(tail) - 1, end, start = 0, len;
	struct stat want;
	bool weak = false;
	int cur = -1, par = -1, r;

	comp[0] = '\0';
	r = sup_fold_dir_folds(pfd, name, NULL, &weak);
	if (r == 0 && !has_ascii_letter(name))
		r = ancestor_folds(view, pfd, canon);
	if (r <= 0) {
		if (r < 0)
			fold_why(why, why_size, r, canon, name);
		return r;
	}
	if (fstatat(pfd, name, &want, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* nothing to name: the caller answers ENOENT */
	r = sup_fold_find_stored(pfd, name, &want, weak, stored, sizeof(stored));
	if (r < 0 || strlen(stored) >= name_size) {
		r = r < 0 ? r : -ENAMETOOLONG;
		fold_why(why, why_size, r, canon, name);
		return r;
	}
	memcpy(name, stored, strlen(stored) + 1);

	/* The ancestors: canon names pfd, so its last component is the
	 * entry of pfd's parent, and so on up. Rebuilt from the right. */
	tail[tpos] = '\0';
	cur = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0) {
		r = -errno;
		fold_why(why, why_size, r, canon, name);
		return r;
	}
	end = strlen(canon);
	while (end > 0) {
		struct stat st;

		start = end;
		while (start > 0 && canon[start - 1] != '/')
			start--;
		len = end - start;
		if (len == 0 || same_inode(cur, view->rootfd))
			break;
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, canon + start, len);
		comp[len] = '\0';
		par = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (par < 0 || fstat(cur, &st) < 0) {
			r = -errno;
			goto fail;
		}
		r = sup_fold_dir_folds(par, comp, &st, &weak);
		if (r > 0)
			r = sup_fold_find_stored(par, comp, &st, weak, comp, sizeof(comp));
		if (r < 0)
			goto fail;
		len = strlen(comp);
		if (len + 1 > tpos) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		tpos -= len;
		memcpy(tail + tpos, comp, len);
		tail[--tpos] = '/';
		close(cur);
		cur = par;
		par = -1;
		end = start - 1; /* the '/' before the component */
	}
	close(cur);
	len = sizeof(tail) - 1 - tpos;
	if (end + len + 1 > canon_size || end + len + 1 > POL_TARGET_MAX_PATH) {
		fold_why(why, why_size, -ENAMETOOLONG, canon, name);
		return -ENAMETOOLONG;
	}
	memcpy(canon + end, tail + tpos, len + 1);
	if (canon[0] == '\0')
		memcpy(canon, "/", 2);
	return 0;
fail:
	canon[start > 1 ? start - 1 : 1] = '\0'; /* the directory searched */
	fold_why(why, why_size, r, canon, comp);
	if (par >= 0)
		close(par);
	close(cur);
	return r;
}

/*
 * The object fd is on a file system that cannot fold on this kernel
 * (decode_foldsb.h) and is not itself a mount point: then the directory
 * that holds it under its path is on the same mount, so the lookup of its
 * name there cannot fold either, and sup_fold_names() would stop there
 * for a name with an ASCII letter. A bind-mounted file (a mount root) may
 * sit in a directory of another file system: probed as before.
 */
static bool fd_never_folds(int fd)
{
	struct statfs sfs;
	struct statx sx;

	if (fstatfs(fd, &sfs) < 0 || !sup_fold_type_never((uint32_t)sfs.f_type))
		return false;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &sx) < 0)
		return false;
	return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int sup_fold_fd_path(const struct sup_view *view, int fd, char *path, size_t path_size, char *why,
		     size_t why_size)
{
	char dir[POL_TARGET_MAX_PATH + 32], name[NAME_MAX + 1];
	struct stat want, st;
	const char *slash = strrchr(path, '/');
	size_t dlen;
	int dfd = -1, r;

	if (path[0] != '/' || !slash || slash[1] == '\0')
		return 0; /* "/" itself, or not a path (memfd: the caller's) */
	/* a name without ASCII letters still has its ancestors probed
	 * (ancestor_folds), which may be on another mount */
	if (has_ascii_letter(slash + 1) && fd_never_folds(fd))
		return 0;
	dlen = slash == path ? 1 : (size_t)(slash - path);
	if (dlen >= sizeof(dir) || strlen(slash + 1) > NAME_MAX) {
		snprintf(why, why_size, "cannot name '%s': too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	snprintf(name, sizeof(name), "%s", slash + 1);
	r = sup_view_reopen_dir(view, dir, &dfd);
	if (r == 0 && (fstat(fd, &want) < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0))
		r = -errno;
	if (r == 0 && (st.st_dev != want.st_dev || st.st_ino != want.st_ino))
		r = -ESTALE; /* renamed since it was read back */
	if (r < 0) {
		snprintf(why, why_size, "cannot find '%s' again to read its stored name: %s", path,
			 strerror(-r));
		goto out;
	}
	r = sup_fold_names(view, dfd, dir, sizeof(dir), name, sizeof(name), why, why_size);
	if (r < 0)
		goto out;
	if ((size_t)snprintf(path, path_size, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) >=
	    path_size) {
		snprintf(why, why_size, "cannot name '%s': too long", dir);
		r = -ENAMETOOLONG;
	}
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}
