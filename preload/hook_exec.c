/*
 * Exec and spawn hooks of libattesta-preload.so: execve, execv, execvp,
 * execvpe, execl, execlp, execle, posix_spawn, posix_spawnp, system and
 * popen. Each reports, before the real call, which libc entry point is
 * about to exec and its path, file or (system, popen) command string, then
 * calls the real function. When ATTESTA_SHIM_SKIP names the program, the
 * exec and spawn entries that take or imply an environment pass the new
 * program an environment without this library in LD_PRELOAD.
 *
 * These hooks run in vfork children (Python's subprocess, posix_spawn
 * users, shells): everything lives on the stack, the thread-local depth is
 * restored before the real call (which may not return), nothing allocates.
 * Program pointers are read with shim_peek. Trust: none in the program's
 * arguments; the supervisor sees the real execve and decides on that. In
 * shim-only mode (ATTESTA_SHIM_MODE=gate, gate.c) each entry first asks the
 * supervisor about the execve it will make (system and popen: /bin/sh -c
 * COMMAND; the p variants: the file the PATH search finds) and fails with
 * the verdict's errno when denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

extern char **environ;

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

/* One exec or spawn request, whatever entry point it came through. envp
 * NULL with an entry that has no envp argument means "environ". */
struct exec_req {
	uint8_t entry;
	const char *path; /* path, or file for the p variants */
	char *const *argv;
	char *const *envp;
	pid_t *pid;
	const posix_spawn_file_actions_t *actions;
	const posix_spawnattr_t *attr;
};

static int no_real(uint8_t entry)
{
	if (entry == SHIM_ENTRY_POSIX_SPAWN || entry == SHIM_ENTRY_POSIX_SPAWNP)
		return ENOSYS;
	errno = ENOSYS;
	return -1;
}

/* Call the real function for r; env, when not NULL, replaces the
 * environment (the skip rewrite). Returns what the real function returns,
 * with its errno. */
static int exec_real(const struct exec_req *r, char *const *env)
{
	void *fn;

	switch (r->entry) {
	case SHIM_ENTRY_EXECVE:
	case SHIM_ENTRY_EXECLE:
		fn = shim_real(SHIM_SYM_EXECVE);
		return fn != NULL ? ((execve_fn)fn)(r->path, r->argv, env != NULL ? env : r->envp)
				  : no_real(r->entry);
	case SHIM_ENTRY_EXECV:
	case SHIM_ENTRY_EXECL:
		if (env != NULL) {
			fn = shim_real(SHIM_SYM_EXECVE);
			return fn != NULL ? ((execve_fn)fn)(r->path, r->argv, env) : no_real(r->entry);
		}
		fn = shim_real(SHIM_SYM_EXECV);
		return fn != NULL ? ((execv_fn)fn)(r->path, r->argv) : no_real(r->entry);
	case SHIM_ENTRY_EXECVP:
	case SHIM_ENTRY_EXECLP:
		if (env != NULL) {
			fn = shim_real(SHIM_SYM_EXECVPE);
			return fn != NULL ? ((execve_fn)fn)(r->path, r->argv, env) : no_real(r->entry);
		}
		fn = shim_real(SHIM_SYM_EXECVP);
		return fn != NULL ? ((execv_fn)fn)(r->path, r->argv) : no_real(r->entry);
	case SHIM_ENTRY_EXECVPE:
		fn = shim_real(SHIM_SYM_EXECVPE);
		return fn != NULL ? ((execve_fn)fn)(r->path, r->argv, env != NULL ? env : r->envp)
				  : no_real(r->entry);
	case SHIM_ENTRY_POSIX_SPAWN:
	case SHIM_ENTRY_POSIX_SPAWNP:
		fn = shim_real(r->entry == SHIM_ENTRY_POSIX_SPAWN ? SHIM_SYM_POSIX_SPAWN
								 : SHIM_SYM_POSIX_SPAWNP);
		return fn != NULL ? ((spawn_fn)fn)(r->pid, r->path, r->actions, r->attr, r->argv,
						   env != NULL ? env : r->envp)
				  : no_real(r->entry);
	default:
		return no_real(r->entry);
	}
}

/* The skip path: its ~12 KiB of stack is only used when a program is
 * actually skipped, hence noinline. */
__attribute__((noinline)) static int exec_skipping(const struct exec_req *r)
{
	char *env_copy[SHIM_ENV_MAX];
	char value[SHIM_ENV_VAL_MAX];
	char *const *env = r->envp;
	char **stripped;

	if (r->entry == SHIM_ENTRY_EXECV || r->entry == SHIM_ENTRY_EXECL ||
	    r->entry == SHIM_ENTRY_EXECVP || r->entry == SHIM_ENTRY_EXECLP)
		env = environ;
	stripped = shim_env_strip(env, env_copy, SHIM_ENV_MAX, value, sizeof(value));
	return exec_real(r, stripped);
}

/* The file execvp would run for file (program memory): file itself when
 * it has a '/', else the first regular, executable PATH entry (PATH
 * unset: "/bin:/usr/bin", as glibc). Builds it in buf[PATH_MAX]; returns
 * file when nothing is found, so the supervisor sees the name as given
 * (and answers ENOENT as the kernel would). */
static const char *path_search(const char *file, char *buf)
{
	char name[NAME_MAX + 1];
	const char *dirs = getenv("PATH"), *p;
	int truncated = 0;
	size_t nlen = shim_peek_str(name, sizeof(name), file, &truncated);

	if (truncated || nlen == 0 || memchr(name, '/', nlen) != NULL)
		return file;
	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	for (p = dirs;;) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		struct stat st;

		if (dlen == 0) {
			/* an empty entry is the working directory */
			memcpy(buf, name, nlen + 1);
		} else if (dlen + 1 + nlen < PATH_MAX) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, name, nlen + 1);
		} else {
			buf[0] = '\0';
		}
		if (buf[0] != '\0' && syscall(SYS_faccessat, AT_FDCWD, buf, X_OK) == 0 &&
		    syscall(SYS_newfstatat, AT_FDCWD, buf, &st, 0) == 0 && S_ISREG(st.st_mode))
			return buf;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return file;
}

/* Shim-only mode: ask before an exec or spawn entry. 0 or the errno. */
__attribute__((noinline)) static int exec_gate(const struct exec_req *r)
{
	char resolved[PATH_MAX];
	const char *path = r->path;
	char *const *envp = r->envp;
	uint64_t args[6] = { 0 };
	int saved = errno, rc;

	if (r->entry == SHIM_ENTRY_EXECVP || r->entry == SHIM_ENTRY_EXECVPE ||
	    r->entry == SHIM_ENTRY_EXECLP || r->entry == SHIM_ENTRY_POSIX_SPAWNP)
		path = path_search(r->path, resolved);
	if (r->entry == SHIM_ENTRY_EXECV || r->entry == SHIM_ENTRY_EXECL ||
	    r->entry == SHIM_ENTRY_EXECVP || r->entry == SHIM_ENTRY_EXECLP ||
	    ((r->entry == SHIM_ENTRY_POSIX_SPAWN || r->entry == SHIM_ENTRY_POSIX_SPAWNP) &&
	     envp == NULL))
		envp = environ;
	args[0] = (uint64_t)(uintptr_t)path;
	args[1] = (uint64_t)(uintptr_t)r->argv;
	args[2] = (uint64_t)(uintptr_t)envp;
	rc = shim_gate_ask(r->entry, SYS_execve, args, r->path);
	errno = saved;
	return rc;
}

static int exec_denied(const struct exec_req *r, int err)
{
	if (r->entry == SHIM_ENTRY_POSIX_SPAWN || r->entry == SHIM_ENTRY_POSIX_SPAWNP)
		return err; /* posix_spawn returns the error number */
	errno = err;
	return -1;
}

static int exec_hook(const struct exec_req *r)
{
	struct shim_call_msg msg;
	int annotate, skip;

	if (shim_gate_on()) {
		int err = exec_gate(r);

		if (err != 0)
			return exec_denied(r, err);
	}
	/* In shim-only mode the request already named the entry point. */
	annotate = !shim_gate_on() && shim_enter();

	/* Skipping works with or without the annotation socket. */
	if (!annotate && !shim_skip_active())
		return exec_real(r, NULL);
	shim_call_init(&msg, r->entry);
	shim_call_text(&msg, r->path);
	skip = !(msg.flags & SHIM_CALL_TEXT_TRUNCATED) && shim_skip_wanted(msg.text);
	if (skip)
		msg.flags |= SHIM_CALL_SKIPPED;
	if (annotate) {
		shim_send(&msg.hdr, SHIM_MSG_CALL, sizeof(msg));
		/* Before the real call: exec may not return, and in a vfork
		 * child this thread-local belongs to the suspended parent. */
		shim_leave();
	}
	return skip ? exec_skipping(r) : exec_real(r, NULL);
}

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECVE, .path = path, .argv = argv, .envp = envp };

	return exec_hook(&r);
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECV, .path = path, .argv = argv };

	return exec_hook(&r);
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECVP, .path = file, .argv = argv };

	return exec_hook(&r);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECVPE, .path = file, .argv = argv, .envp = envp };

	return exec_hook(&r);
}

/* execl* arguments: up to this many live on the stack; more (rare) go to
 * an anonymous mapping, which a successful exec discards with the image
 * (in a vfork child it stays mapped in the parent: a bounded leak on an
 * unusual path, preferred over malloc, which is unsafe there). */
#define ARGV_STACK 256

struct argv_buf {
	char *stack[ARGV_STACK];
	char **argv;
	size_t map_len;
};

/* Collect arg and the NULL-terminated variadic list the way glibc does:
 * argc counts arg plus the variadic pointers before the NULL. Returns 0 or
 * -1 with errno set. On success the caller has consumed nothing of ap2. */
static int argv_collect(struct argv_buf *b, const char *arg, va_list count_ap, va_list *fill_ap)
{
	size_t argc = 1;

	while (va_arg(count_ap, const char *) != NULL) {
		if (++argc >= INT32_MAX) {
			errno = E2BIG;
			return -1;
		}
	}
	b->map_len = 0;
	b->argv = b->stack;
	if (argc + 1 > ARGV_STACK) {
		void *m;

		b->map_len = (argc + 1) * sizeof(char *);
		m = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -1;
		b->argv = m;
	}
	b->argv[0] = (char *)arg;
	for (size_t i = 1; i <= argc; i++)
		b->argv[i] = va_arg(*fill_ap, char *);
	return 0;
}

static void argv_release(struct argv_buf *b)
{
	int saved = errno;

	if (b->map_len > 0)
		munmap(b->argv, b->map_len);
	errno = saved;
}

/* The body of execl, execlp and execle: collect arg and the list after it
 * into an argv (on the stack up to ARGV_STACK entries, no malloc: we may
 * be in a vfork child), take execle's envp from after the list's NULL,
 * and gate the exec. */
static int execl_common(struct exec_req *r, const char *arg, va_list *ap)
{
	struct argv_buf b;
	va_list cap;
	int rc;

	va_copy(cap, *ap);
	rc = argv_collect(&b, arg, cap, ap);
	va_end(cap);
	if (rc < 0)
		return -1;
	if (r->entry == SHIM_ENTRY_EXECLE)
		r->envp = va_arg(*ap, char *const *);
	r->argv = b.argv;
	rc = exec_hook(r);
	argv_release(&b);
	return rc;
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECL, .path = path };
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = execl_common(&r, arg, &ap);
	va_end(ap);
	return rc;
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECLP, .path = file };
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = execl_common(&r, arg, &ap);
	va_end(ap);
	return rc;
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
	struct exec_req r = { .entry = SHIM_ENTRY_EXECLE, .path = path };
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = execl_common(&r, arg, &ap);
	va_end(ap);
	return rc;
}

SHIM_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_POSIX_SPAWN, .path = path, .argv = argv,
			      .envp = envp, .pid = pid, .actions = actions, .attr = attr };

	return exec_hook(&r);
}

SHIM_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
			     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct exec_req r = { .entry = SHIM_ENTRY_POSIX_SPAWNP, .path = file, .argv = argv,
			      .envp = envp, .pid = pid, .actions = actions, .attr = attr };

	return exec_hook(&r);
}

/* Shim-only mode: system and popen ask about the "/bin/sh -c COMMAND"
 * libc is about to run (its internal spawn is invisible to us). */
static int shell_gate(uint8_t entry, const char *command)
{
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[4] = { sh, dash_c, (char *)command, NULL };
	uint64_t args[6] = { 0 };

	args[0] = (uint64_t)(uintptr_t)"/bin/sh";
	args[1] = (uint64_t)(uintptr_t)argv;
	args[2] = (uint64_t)(uintptr_t)environ;
	return shim_gate_ask(entry, SYS_execve, args, command);
}

/* system and popen run "/bin/sh -c COMMAND" through libc's internal spawn,
 * which we cannot see: the command string is the context worth sending. */
static void report_shell(uint8_t entry, const char *command)
{
	struct shim_call_msg msg;

	if (shim_gate_on() || !shim_enter())
		return;
	shim_call_init(&msg, entry);
	shim_call_text(&msg, command);
	shim_send(&msg.hdr, SHIM_MSG_CALL, sizeof(msg));
	shim_leave();
}

SHIM_EXPORT int system(const char *command) /* lint: allow (the hook itself) */
{
	system_fn real = (system_fn)shim_real(SHIM_SYM_SYSTEM);

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	/* A NULL command only asks whether a shell exists (glibc runs
	 * "exit 0"): not gated. */
	if (command != NULL && shim_gate_on()) {
		int err = shell_gate(SHIM_ENTRY_SYSTEM, command);

		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	report_shell(SHIM_ENTRY_SYSTEM, command);
	return real(command);
}

SHIM_EXPORT FILE *popen(const char *command, const char *mode) /* lint: allow (the hook itself) */
{
	popen_fn real = (popen_fn)shim_real(SHIM_SYM_POPEN);

	if (real == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	if (shim_gate_on()) {
		int err = shell_gate(SHIM_ENTRY_POPEN, command);

		if (err != 0) {
			errno = err;
			return NULL;
		}
	}
	report_shell(SHIM_ENTRY_POPEN, command);
	return real(command, mode);
}
