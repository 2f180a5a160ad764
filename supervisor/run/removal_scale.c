/*
 * Measuring what a removal deletes (removal_scale.h), before a human is
 * asked and never on the auto-approve path. The supervisor reads the tree
 * as itself, read-only, and only counts: no name from inside the tree is
 * shown to anyone, nothing is written.
 *
 * SECURITY: the tree belongs to the sandboxed agent, which can change it
 * while we walk and may have laid traps. No symlink is ever followed (the
 * start is resolved with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * from the decoder's kept parent directory or the target's root / cwd, and
 * every directory below is opened with openat(O_NOFOLLOW | O_DIRECTORY)
 * from its parent's descriptor); only directories are opened (a FIFO or
 * device is only fstatat'd, never opened); the walk stays on the start's
 * file system (another mount is not entered: that is a lower bound, said
 * as such); and it stops at SUP_SCALE_DEADLINE_MS, SUP_SCALE_MAX_ENTRIES or
 * SUP_SCALE_MAX_DEPTH, holding at most one descriptor per level. The
 * numbers are shown to the approver as "at least" when cut short; they
 * are advice to a human, never an input to a verdict (docs/challenges.md).
 */
#include "supervisor/run/removal_scale.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "policy/action.h"
#include "supervisor/run/loop.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct walk {
	struct pol_removal_scale *s;
	uint64_t start_ms, deadline_ms;
	unsigned long entries, max_entries;
	dev_t dev;
};

/* false: stop (deadline or cap); the result is then incomplete. */
static bool budget_left(struct walk *w)
{
	if (w->entries >= w->max_entries || now_ms() >= w->deadline_ms) {
		w->s->complete = false;
		return false;
	}
	return true;
}

static void count(struct walk *w, const struct stat *st)
{
	w->entries++;
	if (S_ISDIR(st->st_mode)) {
		w->s->dirs++;
		return;
	}
	w->s->files++;
	if (S_ISREG(st->st_mode))
		w->s->bytes += (uint64_t)st->st_size;
}

/* Count what is under the open directory fd (consumed). Iterative: one
 * DIR per level, at most SUP_SCALE_MAX_DEPTH. */
static void walk_tree(struct walk *w, int fd)
{
	DIR *stack[SUP_SCALE_MAX_DEPTH];
	size_t depth = 0;

	if (!(stack[depth] = fdopendir(fd))) {
		close(fd);
		w->s->complete = false;
		return;
	}
	depth++;
	while (depth > 0) {
		DIR *d = stack[depth - 1];
		struct dirent *de;
		struct stat st;

		if (!budget_left(w))
			break;
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				w->s->complete = false;
			closedir(d);
			depth--;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0) {
			w->s->complete = false; /* gone or unreadable: not counted */
			continue;
		}
		count(w, &st);
		if (!S_ISDIR(st.st_mode))
			continue;
		if (st.st_dev != w->dev || depth >= SUP_SCALE_MAX_DEPTH) {
			w->s->complete = false; /* another file system, or too deep */
			continue;
		}
		int child = openat(dirfd(d), de->d_name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		DIR *cd = child >= 0 ? fdopendir(child) : NULL;
		if (!cd) {
			if (child >= 0)
				close(child);
			w->s->complete = false;
			continue;
		}
		stack[depth++] = cd;
	}
	while (depth > 0)
		closedir(stack[--depth]);
}

/* Add what removing the object at (fd, O_PATH, not followed) deletes. */
static void measure_fd(struct walk *w, int fd, bool recursive)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		w->s->complete = false;
		return;
	}
	if (S_ISDIR(st.st_mode) && !recursive)
		return; /* rm without -r removes no directory; rmdir only an empty one */
	count(w, &st);
	if (!S_ISDIR(st.st_mode))
		return;
	w->dev = st.st_dev;
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	if (dir < 0) {
		w->s->complete = false;
		return;
	}
	walk_tree(w, dir);
}

/* openat2 from base without following any symlink; absolute paths in the
 * target's root (".." stays inside), relative ones beneath base. */
static int open_nofollow(int base, const char *path, bool in_root)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   (in_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH),
	};
	while (in_root && *path == '/')
		path++;
	long fd = syscall(SYS_openat2, base, *path ? path : ".", &how, sizeof how);
	return fd < 0 ? -1 : (int)fd;
}

static void walk_init(struct walk *w, struct pol_removal_scale *s, unsigned deadline_ms,
		      unsigned long max_entries)
{
	memset(s, 0, sizeof *s);
	s->complete = true;
	w->s = s;
	w->start_ms = now_ms();
	w->deadline_ms = w->start_ms + (deadline_ms ? deadline_ms : SUP_SCALE_DEADLINE_MS);
	w->entries = 0;
	w->max_entries = max_entries ? max_entries : SUP_SCALE_MAX_ENTRIES;
}

static void walk_done(struct walk *w)
{
	uint64_t ms = now_ms() - w->start_ms;
	w->s->elapsed_ms = ms > 1000000u ? 1000000u : (unsigned)ms;
}

void sup_removal_scale_at(int dirfd, const char *name, bool recursive, unsigned deadline_ms,
			  unsigned long max_entries, struct pol_removal_scale *ret)
{
	struct walk w;
	walk_init(&w, ret, deadline_ms, max_entries);
	int fd = open_nofollow(dirfd, name, false);
	if (fd < 0) {
		memset(ret, 0, sizeof *ret);
		return;
	}
	ret->measured = true;
	measure_fd(&w, fd, recursive);
	close(fd);
	walk_done(&w);
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

/* `rm` operands and whether it recurses (-r, -R, --recursive, in any
 * bundle of short options); true when argv is an rm's. */
static bool rm_operands(const struct pol_action *a, bool *ret_recursive, size_t *ret_first)
{
	const char *prog = base_name(a->path ? a->path : a->function_name);
	bool recursive = false;
	size_t i = 0;

	if (!prog || strcmp(prog, "rm"))
		return false;
	for (; i < a->args.count; i++) {
		const char *arg = a->args.items[i];
		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			continue;
		if (!strcmp(arg, "--recursive"))
			recursive = true;
		else if (arg[1] != '-' && strpbrk(arg + 1, "rR"))
			recursive = true;
	}
	*ret_recursive = recursive;
	*ret_first = 0;
	return true;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

/* exec of rm: every operand, resolved in the target's view (its root for
 * an absolute path, its cwd for a relative one; a ".." operand is not
 * measured: a lower bound). */
static void measure_rm(const struct pol_action *a, struct walk *w)
{
	bool recursive, options_done = false;
	size_t first;
	char proc[64];
	int root = -1, cwd = -1;
	pid_t pid = a->tgid ? a->tgid : a->pid;

	if (!rm_operands(a, &recursive, &first) || pid <= 0)
		return;
	snprintf(proc, sizeof proc, "/proc/%d/root", (int)pid);
	root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(proc, sizeof proc, "/proc/%d/cwd", (int)pid);
	cwd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || cwd < 0)
		goto out;
	w->s->measured = true;
	for (size_t i = first; i < a->args.count; i++) {
		const char *arg = a->args.items[i];
		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1])
			continue;
		if (!budget_left(w))
			break;
		int fd = has_dotdot(arg) ? -1 : open_nofollow(arg[0] == '/' ? root : cwd, arg,
							      arg[0] == '/');
		if (fd < 0) {
			/* missing (rm -f), through a symlink, or climbing out:
			 * not counted */
			if (errno != ENOENT)
				w->s->complete = false;
			continue;
		}
		measure_fd(w, fd, recursive);
		close(fd);
	}
out:
	if (root >= 0)
		close(root);
	if (cwd >= 0)
		close(cwd);
}

void sup_removal_scale_measure(const struct sup_held *held, struct pol_removal_scale *ret)
{
	const struct pol_action *a = held ? held->action : NULL;
	struct walk w;

	walk_init(&w, ret, 0, 0);
	if (!a) {
		ret->measured = false;
		return;
	}
	switch (a->action_class) {
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR:
		if (held->kept_fd >= 0 && a->path) {
			int fd = open_nofollow(held->kept_fd, base_name(a->path), false);
			if (fd >= 0) {
				ret->measured = true;
				measure_fd(&w, fd, a->action_class == POL_ACTION_RMDIR);
				close(fd);
			}
		}
		break;
	case POL_ACTION_RENAME:
		/* the destination a rename replaces is removed (an empty
		 * directory, or a file) */
		if (a->rename_replaces && !a->rename_exchange && held->kept_fd2 >= 0 && a->dest_path) {
			int fd = open_nofollow(held->kept_fd2, base_name(a->dest_path), false);
			if (fd >= 0) {
				ret->measured = true;
				measure_fd(&w, fd, true);
				close(fd);
			}
		}
		break;
	case POL_ACTION_EXEC:
		measure_rm(a, &w);
		break;
	default:
		break;
	}
	if (!ret->measured) {
		memset(ret, 0, sizeof *ret);
		return;
	}
	walk_done(&w);
}
