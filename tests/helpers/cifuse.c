/*
 * cifuse: a FUSE pass-through file system that looks names up without
 * regard to ASCII case, for tests/adversarial/casefold.sh (the kernel here
 * has no casefold ext4/tmpfs and no vfat: this is the case-insensitive
 * file system the test can mount).
 *
 *   cifuse [--noino] BACKING MOUNTPOINT [-f] [-o allow_other,...]
 *
 * Every component of a path is matched against the backing directory's
 * entries: an exact name first, else the first entry equal under ASCII
 * case folding or whose vfat-style 8.3 alias it is ("PROTEC~1.TXT" for
 * "PROTECTED.txt"), else the name as spelled (a new file). readdir returns
 * the stored names; inode numbers are the backing files' (use_ino), as
 * on vfat or casefolded ext4. --noino lets libfuse number the nodes
 * instead (stat shows a number per spelling, readdir an unknown one), as
 * many FUSE file systems do. A test helper: it trusts its caller.
 */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

static char backing[PATH_MAX];

/* The vfat-style 8.3 alias of a long name: "PROTECTED.txt" is
 * "PROTEC~1.TXT" (first six letters of the base, "~1", three of the
 * extension, upper case; collisions ignored: a test helper). */
static void short_alias(const char *name, char *out, size_t size)
{
	const char *dot = strrchr(name, '.');
	size_t n = 0, i;

	if (dot == name)
		dot = NULL;
	for (i = 0; name + i != dot && name[i] && n < 6 && n + 1 < size; i++)
		if (name[i] != '.' && name[i] != ' ')
			out[n++] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	n += (size_t)snprintf(out + n, size - n, "~1");
	if (dot && dot[1] && n + 1 < size) {
		out[n++] = '.';
		for (i = 1; dot[i] && i <= 3 && n + 1 < size; i++)
			out[n++] = (char)(dot[i] >= 'a' && dot[i] <= 'z' ? dot[i] - 32 : dot[i]);
	}
	out[n < size ? n : size - 1] = '\0';
}
static int noino;

/* The backing path of path (starts with '/'), components folded. */
static int resolve(const char *path, char *out, size_t size)
{
	char work[PATH_MAX];
	char *save = NULL, *comp;
	size_t len;

	if ((size_t)snprintf(work, sizeof(work), "%s", path) >= sizeof(work) ||
	    (size_t)snprintf(out, size, "%s", backing) >= size)
		return -ENAMETOOLONG;
	for (comp = strtok_r(work, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		char name[NAME_MAX + 1];
		struct stat st;
		struct dirent *d;
		DIR *dir;

		snprintf(name, sizeof(name), "%s", comp);
		len = strlen(out);
		if ((size_t)snprintf(out + len, size - len, "/%s", comp) >= size - len)
			return -ENAMETOOLONG;
		if (lstat(out, &st) == 0)
			continue;
		out[len] = '\0';
		dir = opendir(out);
		if (dir) {
			char alias[16];

			while ((d = readdir(dir))) {
				if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
					continue;
				short_alias(d->d_name, alias, sizeof(alias));
				if (strcasecmp(d->d_name, comp) == 0 || strcasecmp(alias, comp) == 0) {
					snprintf(name, sizeof(name), "%s", d->d_name);
					break;
				}
			}
			closedir(dir);
		}
		snprintf(out + len, size - len, "/%s", name);
	}
	return 0;
}

#define RESOLVE(p, b)                                        \
	char b[PATH_MAX];                                    \
	do {                                                 \
		int r_ = resolve((p), b, sizeof(b));         \
		if (r_ < 0)                                  \
			return r_;                           \
	} while (0)

static int ci_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	RESOLVE(path, b);
	return lstat(b, st) < 0 ? -errno : 0;
}

static int ci_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct dirent *d;
	DIR *dir;

	(void)off, (void)fi, (void)flags;
	RESOLVE(path, b);
	dir = opendir(b);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		struct stat st = { .st_ino = d->d_ino, .st_mode = (mode_t)DTTOIF(d->d_type) };

		if (fill(buf, d->d_name, &st, 0, 0))
			break;
	}
	closedir(dir);
	return 0;
}

static int ci_mkdir(const char *path, mode_t mode)
{
	RESOLVE(path, b);
	return mkdir(b, mode) < 0 ? -errno : 0;
}

static int ci_unlink(const char *path)
{
	RESOLVE(path, b);
	return unlink(b) < 0 ? -errno : 0;
}

static int ci_rmdir(const char *path)
{
	RESOLVE(path, b);
	return rmdir(b) < 0 ? -errno : 0;
}

static int ci_rename(const char *from, const char *to, unsigned int flags)
{
	char t[PATH_MAX];
	int r;

	if (flags)
		return -EINVAL;
	r = resolve(to, t, sizeof(t));
	if (r < 0)
		return r;
	RESOLVE(from, b);
	return rename(b, t) < 0 ? -errno : 0;
}

static int ci_symlink(const char *target, const char *path)
{
	RESOLVE(path, b);
	return symlink(target, b) < 0 ? -errno : 0;
}

static int ci_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	RESOLVE(path, b);
	n = readlink(b, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int ci_link(const char *from, const char *to)
{
	char t[PATH_MAX];
	int r = resolve(to, t, sizeof(t));

	if (r < 0)
		return r;
	RESOLVE(from, b);
	return link(b, t) < 0 ? -errno : 0;
}

static int ci_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	RESOLVE(path, b);
	return chmod(b, mode) < 0 ? -errno : 0;
}

static int ci_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	if (fi)
		return ftruncate((int)fi->fh, size) < 0 ? -errno : 0;
	RESOLVE(path, b);
	return truncate(b, size) < 0 ? -errno : 0;
}

static int ci_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	RESOLVE(path, b);
	return utimensat(AT_FDCWD, b, tv, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int ci_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd;

	RESOLVE(path, b);
	fd = open(b, fi->flags | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ci_open(const char *path, struct fuse_file_info *fi)
{
	int fd;

	RESOLVE(path, b);
	fd = open(b, fi->flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ci_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pread((int)fi->fh, buf, size, off);

	(void)path;
	return n < 0 ? -errno : (int)n;
}

static int ci_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, buf, size, off);

	(void)path;
	return n < 0 ? -errno : (int)n;
}

static int ci_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int ci_statfs(const char *path, struct statvfs *sv)
{
	RESOLVE(path, b);
	return statvfs(b, sv) < 0 ? -errno : 0;
}

static void *ci_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = !noino; /* the backing inode numbers, as a disk file system */
	cfg->hard_remove = 1;  /* unlink removes, never renames to .fuse_hidden */
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->attr_timeout = 0;
	return NULL;
}

static const struct fuse_operations ci_ops = {
	.init = ci_init,
	.getattr = ci_getattr,
	.readdir = ci_readdir,
	.mkdir = ci_mkdir,
	.unlink = ci_unlink,
	.rmdir = ci_rmdir,
	.rename = ci_rename,
	.symlink = ci_symlink,
	.readlink = ci_readlink,
	.link = ci_link,
	.chmod = ci_chmod,
	.truncate = ci_truncate,
	.utimens = ci_utimens,
	.create = ci_create,
	.open = ci_open,
	.read = ci_read,
	.write = ci_write,
	.release = ci_release,
	.statfs = ci_statfs,
};

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--noino") == 0) {
		noino = 1;
		argv[1] = argv[0];
		argv++, argc--;
	}
	if (argc < 3 || !realpath(argv[1], backing)) {
		fprintf(stderr, "usage: cifuse BACKING MOUNTPOINT [fuse options]\n");
		return 2;
	}
	/* fuse_main sees argv without BACKING */
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ci_ops, NULL);
}
