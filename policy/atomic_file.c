/*
 * Whole-file replacement by temporary file + sync + rename + sync of the
 * directory, and mkdir -p of a file's parent (atomic_file.h). Trusts the path it is given (the caller's
 * config or command line) but not the directory's other contents: the
 * temporary file is created with O_EXCL | O_NOFOLLOW under a random name,
 * so a file or link planted there is never written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"

/* Attempts at a free temporary name before giving up with -EEXIST. */
#define TEMP_ATTEMPTS 64

int pol_file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pol_file_make_parents(const char *path, struct pol_diag *diag)
{
	char *dir = strdup(path);
	char *slash;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			pol_diag_set(diag, dir, 0, 0, "cannot create directory: %s", strerror(-r));
			goto out;
		}
		*p = saved;
		if (!saved)
			break;
	}
out:
	free(dir);
	return r;
}

/* Six name characters; randomness only avoids collisions (O_EXCL is what
 * makes the name safe), so a failing getrandom() falls back to the clock. */
static void random_suffix(char out[7])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[6];

	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes)) {
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 20;
		for (size_t i = 0; i < sizeof(bytes); i++, x >>= 8)
			bytes[i] = (unsigned char)x;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		out[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
	out[6] = '\0';
}

/* Create DIR/.BASE.XXXXXX exclusively; tmp (room for path + 8 bytes)
 * receives its name. */
static int create_temp(const char *path, char *tmp, size_t size, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	int prefix = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;

	for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
		char suffix[7];
		int fd;

		random_suffix(suffix);
		snprintf(tmp, size, "%.*s.%s.%s", prefix, path, base, suffix);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		r = -errno;
	close(dfd);
	return r;
}

int pol_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  unsigned flags, const char *what, struct pol_diag *diag)
{
	const char *slash = strrchr(path, '/');
	char dir[4096], tmp[4200];
	int fd, r = 0;

	if (!what)
		diag = NULL;
	if (slash)
		r = snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	else
		r = snprintf(dir, sizeof(dir), ".");
	/* the temporary name is path plus ".", "." and six characters */
	if ((size_t)r >= sizeof(dir) || strlen(path) + 8 >= sizeof(tmp)) {
		if (diag)
			pol_diag_set(diag, path, 0, 0, "%s path is too long", what);
		return -ENAMETOOLONG;
	}
	fd = create_temp(path, tmp, sizeof(tmp), mode);
	if (fd < 0) {
		if (diag)
			pol_diag_set(diag, path, 0, 0, "cannot create temporary file in '%s': %s", dir,
				     strerror(-fd));
		return fd;
	}
	r = 0;
	if (!(flags & POL_FILE_UMASK) && fchmod(fd, mode) < 0)
		r = -errno;
	if (!r)
		r = pol_file_write_all(fd, data, len);
	if (!r && (flags & POL_FILE_NEWLINE))
		r = pol_file_write_all(fd, "\n", 1);
	if (!r && ((flags & POL_FILE_DATASYNC) ? fdatasync(fd) : fsync(fd)) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && (flags & POL_FILE_NO_REPLACE) && link(tmp, path) < 0)
		r = -errno;
	if (!r && !(flags & POL_FILE_NO_REPLACE) && rename(tmp, path) < 0)
		r = -errno;
	/* after link() the temporary name goes in any case; after a
	 * successful rename() it no longer exists */
	if (r < 0 || (flags & POL_FILE_NO_REPLACE))
		unlink(tmp);
	if (r < 0) {
		if (diag)
			pol_diag_set(diag, path, 0, 0, "cannot write %s: %s", what, strerror(-r));
		return r;
	}
	if (flags & POL_FILE_NO_DIR_SYNC)
		return 0;
	r = sync_dir(dir);
	if (r < 0 && diag)
		pol_diag_set(diag, path, 0, 0, "cannot sync directory '%s': %s", dir, strerror(-r));
	return r;
}
