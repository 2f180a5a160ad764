/*
 * Writing the trust store file safely: parent directories created 0700,
 * and whole-file replacement by temp file + fsync + rename + fsync of the
 * directory, so a crash leaves the old or the new store, never a torn one.
 * Trusts the path it is given (the caller's config or command line).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust_internal.h"

/* mkdir -p of path's parent directory, new components 0700. */
int trust_make_parent_dirs(const char *path, struct pol_diag *diag)
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

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replace path with text: temp file in the same directory, fsync, rename,
 * fsync of the directory, so a crash leaves the old or the new store. */
int trust_write_atomic(const char *path, const char *text, struct pol_diag *diag)
{
	const char *slash = strrchr(path, '/');
	char dir[4096], tmp[4096 + 32];
	int fd = -1, dfd = -1, r;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path) >=
	    sizeof(tmp))
		return pol_diag_set(diag, path, 0, 0, "trust store path is too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot create temporary file in '%s': %s", dir,
			     strerror(-r));
		return r;
	}
	if (fchmod(fd, 0600) < 0 || (r = write_all(fd, text, strlen(text))) < 0 ||
	    (r = write_all(fd, "\n", 1)) < 0 || fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot sync directory '%s': %s", dir, strerror(-r));
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	close(dfd);
	return 0;
fail:
	pol_diag_set(diag, path, 0, 0, "cannot write trust store: %s", strerror(-r));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}
