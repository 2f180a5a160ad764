/*
 * Exec verification table: what each thread was allowed to exec (as a
 * file identity, following "#!" to the interpreter), checked against
 * /proc/PID/exe at PTRACE_EVENT_EXEC. Trusts stat() and the kernel's exe
 * link; reads the approved file's first line, which the target controls,
 * with a fixed bound.
 */
#include "supervisor/run/execcheck.h"

#include "policy/pol_limits.h"
#include "supervisor/run/execmaps.h"
#include "supervisor/run/execseal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

/* binfmt_script allows 4 nested interpreters (and BINPRM_BUF_SIZE 256). */
#define SHEBANG_MAX_DEPTH 4
#define SHEBANG_MAX_LINE 256

struct sup_exec_expect {
	pid_t tid;
	bool known;
	dev_t dev;
	ino_t ino;
	char path[256]; /* for the audit reason */
	bool script;    /* approved file was a "#!" script */
	char *argv;     /* approved argv, NUL-separated (argv0 then args) */
	size_t argv_len;
	bool want_interp; /* a dynamic ELF: its PT_INTERP must be what is mapped */
	dev_t idev;
	ino_t iino;
	char ipath[256];
	bool sealed; /* nothing in the sandbox can change program or
		      * interpreter: no mapping check (execseal.h) */
};

struct sup_execcheck {
	struct sup_exec_expect *items;
	size_t count, capacity;
	pid_t *traced;          /* tasks we are the tracer of (seized for an exec) */
	size_t n_traced, cap_traced;
	struct sup_execseal *seal;
	pthread_mutex_t seal_lock; /* the seal's cache: expectations are built
	                            * on the decision threads too (sup_exec_expect_new) */
};

int sup_execcheck_new(struct sup_execcheck **ret_check)
{
	struct sup_execcheck *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	if (sup_execseal_new(&c->seal) < 0) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->seal_lock, NULL);
	*ret_check = c;
	return 0;
}

void sup_execcheck_free(struct sup_execcheck *check)
{
	if (!check)
		return;
	for (size_t i = 0; i < check->count; i++)
		free(check->items[i].argv);
	free(check->items);
	free(check->traced);
	sup_execseal_free(check->seal);
	pthread_mutex_destroy(&check->seal_lock);
	free(check);
}

static struct sup_exec_expect *find(struct sup_execcheck *c, pid_t tid)
{
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i].tid == tid)
			return &c->items[i];
	return NULL;
}

/* The interpreter named by a "#!" line of the file at fd, or "" if none. */
static void read_shebang(int fd, char *interp, size_t size)
{
	char line[SHEBANG_MAX_LINE + 1];
	interp[0] = '\0';
	ssize_t n = pread(fd, line, SHEBANG_MAX_LINE, 0);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return;
	line[n] = '\0';
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, " \t\n");
	if (len == 0 || len >= size)
		return;
	memcpy(interp, p, len);
	interp[len] = '\0';
}

/* Identity of path as tid sees it, following shebangs. */
static int identify(pid_t tid, const char *path, dev_t *ret_dev, ino_t *ret_ino,
		    bool *ret_script)
{
	char cur[PATH_MAX], full[PATH_MAX + 64], interp[SHEBANG_MAX_LINE];
	snprintf(cur, sizeof cur, "%s", path);
	for (int depth = 0; depth <= SHEBANG_MAX_DEPTH; depth++) {
		if (cur[0] != '/')
			return -EINVAL;
		snprintf(full, sizeof full, "/proc/%d/root%s", (int)tid, cur);
		int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return -errno;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		read_shebang(fd, interp, sizeof interp);
		close(fd);
		if (!interp[0]) {
			*ret_script = depth > 0;
			*ret_dev = st.st_dev;
			*ret_ino = st.st_ino;
			return 0;
		}
		snprintf(cur, sizeof cur, "%s", interp);
	}
	return -ELOOP;
}

void sup_execcheck_expect(struct sup_execcheck *check, pid_t tid,
			  const struct pol_action *action)
{
	sup_execcheck_expect_fd(check, tid, action, -1);
}

/* Fill e (zeroed here; e->argv is freed first) with what tid may exec. */
static void expect_fill(struct sup_execcheck *check, struct sup_exec_expect *e, pid_t tid,
			const struct pol_action *action, int prog_fd)
{
	free(e->argv);
	memset(e, 0, sizeof *e);
	e->tid = tid;
	snprintf(e->path, sizeof e->path, "%s", action->path ? action->path : "?");
	struct stat st;
	if (prog_fd >= 0) {
		if (fstat(prog_fd, &st) == 0) {
			e->dev = st.st_dev;
			e->ino = st.st_ino;
			e->script = action->interpreter != NULL;
			e->known = true;
			pthread_mutex_lock(&check->seal_lock);
			e->sealed = sup_execseal_fixed(check->seal, tid, prog_fd, &st,
						       action->elf_interp != NULL,
						       (dev_t)action->elf_interp_dev,
						       (ino_t)action->elf_interp_ino);
			pthread_mutex_unlock(&check->seal_lock);
		}
	} else if (action->path &&
		   identify(tid, action->path, &e->dev, &e->ino, &e->script) == 0) {
		e->known = true;
	}
	if (action->elf_interp) {
		e->want_interp = true;
		e->idev = (dev_t)action->elf_interp_dev;
		e->iino = (ino_t)action->elf_interp_ino;
		snprintf(e->ipath, sizeof e->ipath, "%s", action->elf_interp);
	}
	/* argv as approved, NUL-separated like /proc/PID/cmdline */
	size_t len = strlen(action->argv0 ? action->argv0 : "") + 1;
	for (size_t i = 0; i < action->args.count; i++)
		len += strlen(action->args.items[i]) + 1;
	e->argv = malloc(len);
	if (!e->argv) {
		e->known = false; /* cannot check argv: fail closed */
		return;
	}
	size_t at = 0;
	const char *a0 = action->argv0 ? action->argv0 : "";
	memcpy(e->argv, a0, strlen(a0) + 1);
	at = strlen(a0) + 1;
	for (size_t i = 0; i < action->args.count; i++) {
		size_t l = strlen(action->args.items[i]) + 1;
		memcpy(e->argv + at, action->args.items[i], l);
		at += l;
	}
	e->argv_len = at;
}

void sup_execcheck_expect_fd(struct sup_execcheck *check, pid_t tid,
			     const struct pol_action *action, int prog_fd)
{
	struct sup_exec_expect *e = find(check, tid);
	if (!e) {
		if (check->count == check->capacity) {
			size_t cap = check->capacity ? 2 * check->capacity : 16;
			struct sup_exec_expect *n = realloc(check->items, cap * sizeof *n);
			if (!n)
				return; /* no expectation: the exec will be killed (fail closed) */
			check->items = n;
			check->capacity = cap;
		}
		e = &check->items[check->count++];
		e->argv = NULL;
	}
	expect_fill(check, e, tid, action, prog_fd);
}

struct sup_exec_expect *sup_exec_expect_new(struct sup_execcheck *check, pid_t tid,
					    const struct pol_action *action, int prog_fd)
{
	struct sup_exec_expect *e = calloc(1, sizeof *e);

	if (e)
		expect_fill(check, e, tid, action, prog_fd);
	return e;
}

void sup_exec_expect_free(struct sup_exec_expect *e)
{
	if (!e)
		return;
	free(e->argv);
	free(e);
}

static bool untrack(struct sup_execcheck *c, pid_t tid)
{
	for (size_t i = 0; i < c->n_traced; i++) {
		if (c->traced[i] == tid) {
			c->traced[i] = c->traced[--c->n_traced];
			return true;
		}
	}
	return false;
}

int sup_execcheck_track(struct sup_execcheck *check, pid_t tid)
{
	/* the first task tracked is PROG (execseal.h) */
	pthread_mutex_lock(&check->seal_lock);
	sup_execseal_latch(check->seal, tid);
	pthread_mutex_unlock(&check->seal_lock);
	for (size_t i = 0; i < check->n_traced; i++)
		if (check->traced[i] == tid)
			return 0;
	if (check->n_traced == check->cap_traced) {
		size_t cap = check->cap_traced ? 2 * check->cap_traced : 16;
		pid_t *n = realloc(check->traced, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		check->traced = n;
		check->cap_traced = cap;
	}
	check->traced[check->n_traced++] = tid;
	return 0;
}

int sup_execcheck_attach(struct sup_execcheck *check, pid_t tid)
{
	const long opts = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	int r;

	for (size_t i = 0; i < check->n_traced; i++)
		if (check->traced[i] == tid)
			return 0; /* ours already (PROG before its first exec, or an
				   * approved exec that failed) */
	/* Reserve first: a seized task we could not remember would never be
	 * detached. */
	if ((r = sup_execcheck_track(check, tid)) < 0)
		return r;
	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)opts) < 0) {
		r = -errno;
		untrack(check, tid);
		return r;
	}
	return 0;
}

void sup_execcheck_detach(struct sup_execcheck *check, pid_t pid, pid_t former_tid)
{
	ptrace(PTRACE_DETACH, pid, 0, 0);
	untrack(check, pid);
	untrack(check, former_tid);
}

void sup_execcheck_forget(struct sup_execcheck *check, pid_t tid)
{
	struct sup_exec_expect *e = find(check, tid);

	untrack(check, tid);
	if (!e)
		return;
	free(e->argv);
	*e = check->items[--check->count];
}

/* The new image's argv (read from its fresh stack, before it ran) must
 * be the approved one; for a script the kernel puts the interpreter (and
 * its optional argument) and the script path first, so only the approved
 * args (after argv0) must end it. */
static bool argv_matches(pid_t pid, const struct sup_exec_expect *e)
{
	char path[64];
	bool ok = false;
	size_t cap = POL_TARGET_MAX_ARGV_BYTES + 2 * PATH_MAX;
	char *buf = malloc(cap + 1);
	if (!buf)
		return false;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0;
	if (fd >= 0) {
		ssize_t n;
		while (have < cap && (n = read(fd, buf + have, cap - have)) > 0)
			have += (size_t)n;
		close(fd);
	}
	if (fd < 0 || have >= cap)
		goto out;
	if (!e->script) {
		ok = have == e->argv_len && memcmp(buf, e->argv, have) == 0;
		goto out;
	}
	size_t a0 = strlen(e->argv) + 1; /* skip approved argv0 */
	size_t tail = e->argv_len - a0;
	ok = have >= tail && memcmp(buf + have - tail, e->argv + a0, tail) == 0;
out:
	free(buf);
	return ok;
}

/* The mapping half (execmaps.h), for what e approved. */
static int check_mappings(pid_t pid, const struct sup_exec_expect *e, char *reason, size_t size)
{
	const struct sup_execmaps_want want = {
		.path = e->path,
		.dev = e->dev,
		.ino = e->ino,
		.want_interp = e->want_interp,
		.idev = e->idev,
		.iino = e->iino,
		.ipath = e->ipath,
	};
	return sup_execmaps_check(pid, &want, SUP_EXECMAPS_AUTO, reason, size);
}

/* Whether what runs as pid is what e approved (NULL: nothing was). 0, or
 * -EPERM with reason filled. */
static int expect_check(const struct sup_exec_expect *e, pid_t pid, pid_t former_tid,
			char *reason, size_t reason_size)
{
	char exe[64];
	struct stat st;
	if (!e) {
		snprintf(reason, reason_size, "exec verification: no approved exec for thread %d",
			 (int)former_tid);
		return -EPERM;
	}
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
	int rc = stat(exe, &st);
	bool ok = rc == 0 && e->known && st.st_dev == e->dev && st.st_ino == e->ino;
	if (ok && !argv_matches(pid, e)) {
		snprintf(reason, reason_size,
			 "exec verification: argv of '%s' differs from the approved one", e->path);
		return -EPERM;
	}
	/* a sealed program and interpreter (execseal.h): what the kernel
	 * mapped is what was decided once /proc/PID/exe is */
	if (ok && !e->sealed && check_mappings(pid, e, reason, reason_size) < 0)
		return -EPERM;
	if (!ok) {
		char actual[256] = "?";
		ssize_t n = readlink(exe, actual, sizeof actual - 1);
		if (n >= 0)
			actual[n] = '\0';
		snprintf(reason, reason_size,
			 "exec verification: '%s' runs, '%s' was approved%s", actual, e->path,
			 e->known ? "" : " (approved file could not be identified)");
	}
	return ok ? 0 : -EPERM;
}

int sup_exec_expect_verify(const struct sup_exec_expect *e, pid_t pid, pid_t former_tid,
			   char *reason, size_t reason_size)
{
	return expect_check(e, pid, former_tid, reason, reason_size);
}

int sup_execcheck_verify(struct sup_execcheck *check, pid_t pid, pid_t former_tid,
			 char *reason, size_t reason_size)
{
	const struct sup_exec_expect *e = find(check, former_tid);
	int rc = expect_check(e, pid, former_tid, reason, reason_size);

	if (e)
		sup_execcheck_forget(check, former_tid);
	return rc;
}

bool sup_execcheck_traces(const struct sup_execcheck *check, pid_t tid)
{
	for (size_t i = 0; i < check->n_traced; i++)
		if (check->traced[i] == tid)
			return true;
	return false;
}
