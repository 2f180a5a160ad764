/*
 * The gate's own files, computed once at start-up, and the hard rule that
 * the sandbox may not rename or remove them or a directory above them
 * (statepaths.h). Trusts the supervisor's own configuration only; the
 * actions it checks were decoded and bounded already.
 */
#include "supervisor/run/statepaths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/common/path.h"

#define STATE_MAX_FILES 16
/* every directory above a file, at most PATH_MAX / 2 levels: bounded */
#define STATE_MAX_IDS 512

static struct {
	char path[PATH_MAX];
	const char *what;
} files[STATE_MAX_FILES];
static size_t n_files;

/* Each identity is held open (O_PATH) for the supervisor's lifetime: the
 * head file and the trust store are replaced by rename when written, and
 * a freed inode number could be given to an unrelated new file of the
 * agent, which would then be refused. A held inode is never reused. */
static struct {
	dev_t dev;
	ino_t ino;
	int fd;
} ids[STATE_MAX_IDS];
static size_t n_ids;

static void add_id(const char *path)
{
	struct stat st;
	int fd;

	if (n_ids >= STATE_MAX_IDS)
		return;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < n_ids; i++) {
		if (ids[i].dev == st.st_dev && ids[i].ino == st.st_ino) {
			close(fd);
			return;
		}
	}
	ids[n_ids].dev = st.st_dev;
	ids[n_ids].ino = st.st_ino;
	ids[n_ids].fd = fd;
	n_ids++;
}

/* The absolute path with symlinked parents resolved; a final component
 * that does not exist yet (a trust store not written yet) is kept. */
static int resolve(const char *path, char *out, size_t size)
{
	char parent[PATH_MAX], name[PATH_MAX], real[PATH_MAX], abs_path[PATH_MAX];
	bool trailing;
	int n;

	if (path[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(abs_path, sizeof(abs_path), "%s/%s", cwd, path);
	} else {
		n = snprintf(abs_path, sizeof(abs_path), "%s", path);
	}
	if (n < 0 || (size_t)n >= sizeof(abs_path))
		return -ENAMETOOLONG;
	if (realpath(abs_path, real)) {
		n = snprintf(out, size, "%s", real);
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	if (sup_path_split(abs_path, parent, sizeof(parent), name, sizeof(name), &trailing) < 0)
		return -EINVAL;
	if (parent[0] && realpath(parent, real))
		n = snprintf(out, size, "%s%s%s", real, strcmp(real, "/") ? "/" : "", name);
	else
		n = snprintf(out, size, "%s", abs_path);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return sup_path_normalize(out) < 0 ? -EINVAL : 0;
}

int sup_state_paths_add(const char *path, const char *what)
{
	char resolved[PATH_MAX];
	int r;

	if (!path || !path[0])
		return 0;
	if (n_files >= STATE_MAX_FILES)
		return -ENOSPC;
	r = resolve(path, resolved, sizeof(resolved));
	if (r < 0)
		return r;
	memcpy(files[n_files].path, resolved, strlen(resolved) + 1);
	files[n_files].what = what;
	n_files++;
	/* the file and every directory above it, by identity */
	add_id(resolved);
	for (char *slash = strrchr(resolved, '/'); slash; slash = strrchr(resolved, '/')) {
		if (slash == resolved) {
			add_id("/");
			break;
		}
		*slash = '\0';
		add_id(resolved);
	}
	return 0;
}

/* Is p the file, or a directory above it? */
static bool covers(const char *p, const char *file)
{
	size_t n = strlen(p);

	if (!strcmp(p, "/"))
		return true;
	return !strncmp(p, file, n) && (file[n] == '\0' || file[n] == '/');
}

bool sup_state_paths_hit(const struct pol_action *a, char *buf, size_t size)
{
	const char *paths[2];

	if (!a || (a->action_class != POL_ACTION_UNLINK && a->action_class != POL_ACTION_RMDIR &&
		   a->action_class != POL_ACTION_RENAME))
		return false;
	paths[0] = a->path;
	paths[1] = a->action_class == POL_ACTION_RENAME ? a->dest_path : NULL;
	for (int k = 0; k < 2; k++) {
		if (!paths[k])
			continue;
		for (size_t i = 0; i < n_files; i++) {
			if (!covers(paths[k], files[i].path))
				continue;
			snprintf(buf, size, "%s of %sthe gate's %s '%s' from inside the sandbox",
				 pol_action_class_name(a->action_class),
				 strcmp(paths[k], files[i].path) ? "a directory above " : "",
				 files[i].what, files[i].path);
			return true;
		}
	}
	return false;
}

bool sup_state_paths_is_state(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n_ids; i++)
		if (ids[i].dev == dev && ids[i].ino == ino)
			return true;
	return false;
}
