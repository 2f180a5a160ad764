/*
 * Exec decoding: execve and execveat -> an exec action (docs/decode.md).
 * Resolves the program in the target's view, follows "#!" interpreters
 * as binfmt_script does, reads the ELF headers of what will run and
 * resolves its PT_INTERP as binfmt_elf does, and, when what runs is the
 * dynamic loader itself, finds the program the loader is asked to run
 * (decode_loader.c). argv and the configured env vars are read once.
 *
 * SECURITY: the attacker is the sandboxed program. It writes the files
 * exec'd (a script's "#!" line, an ELF's PT_INTERP) and the argv. Every
 * read is bounded; a header the kernel would read differently, an
 * interpreter or a loader target that cannot be resolved or pinned, is a
 * decode failure: the caller denies and audits it, and the denial names
 * what was refused (ctx->partial).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/catalog.h"
#include "policy/pol_limits.h"
#include "supervisor/common/elfhdr.h"
#include "supervisor/common/ldso_args.h"
#include "supervisor/common/path.h"
#include "supervisor/run/decode_fold.h"
#include "supervisor/run/decode_internal.h"
#include "supervisor/run/target_mem.h"

/* binfmt_script: 4 nested interpreters, a 256-byte first line. The head
 * read also serves the ELF header and, usually, the program headers and
 * PT_INTERP (one pread for all). */
#define SHEBANG_BUF 256
#define SHEBANG_DEPTH 4
#define HEAD_BUF 1024
/* argv kept in the audit entry of an exec refused for its size */
#define PARTIAL_ARGC 16
#define PARTIAL_ARG_BYTES 256

static int pick_env(struct sup_decode_ctx *ctx, uint64_t envp, struct pol_action *a)
{
	const struct pol_strv *names = ctx->opts ? ctx->opts->env_vars : NULL;
	struct pol_strv env = { 0 };
	int r = 0;

	if (!names || names->count == 0)
		return 0;
	r = sup_target_read_strv(ctx->tid, envp, POL_TARGET_MAX_ENVC, POL_TARGET_MAX_ENV_BYTES,
				 &env);
	if (r < 0) {
		r = sup_decode_fail(ctx, r, "cannot read envp of pid %d: %s", (int)ctx->tid,
				    r == -E2BIG ? "larger than the cap" : strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < names->count; i++) {
		size_t n = strlen(names->items[i]);

		for (size_t j = 0; j < env.count; j++) {
			if (strncmp(env.items[j], names->items[i], n) == 0 &&
			    env.items[j][n] == '=') {
				r = pol_strv_push(&a->env, env.items[j], strlen(env.items[j]));
				if (r < 0)
					goto out;
				break;
			}
		}
	}
out:
	pol_strv_release(&env);
	return r;
}

/* The first bytes of a program, and a readable descriptor for more. */
struct head {
	int rdfd;
	size_t len;
	unsigned char buf[HEAD_BUF];
};

static void head_close(struct head *h)
{
	if (h->rdfd >= 0)
		close(h->rdfd);
	h->rdfd = -1;
	h->len = 0;
}

/* SECURITY: a file the supervisor cannot read is not judged blind
 * (-EACCES: deny); other open errors leave an empty head (the kernel's
 * exec decides; the exec check verifies what runs). */
static int read_head(int opath_fd, struct head *h)
{
	char proc[64];

	head_close(h);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", opath_fd);
	h->rdfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (h->rdfd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	ssize_t n = pread(h->rdfd, h->buf, sizeof h->buf, 0);
	h->len = n > 0 ? (size_t)n : 0;
	return 0;
}

/* A "#!" line in h: 1 with interp (and the optional arg), 0 none. */
static int parse_shebang(const struct head *h, char *interp, size_t isize, char *arg, size_t asize)
{
	char line[SHEBANG_BUF + 1];
	size_t n = h->len < SHEBANG_BUF ? h->len : SHEBANG_BUF;

	interp[0] = arg[0] = '\0';
	if (n < 3 || h->buf[0] != '#' || h->buf[1] != '!')
		return 0;
	memcpy(line, h->buf, n);
	line[n] = '\0';
	char *p = line + 2, *end = memchr(line, '\n', n);
	if (!end)
		end = line + n;
	*end = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, " \t");
	if (len == 0 || len >= isize)
		return len ? -ENAMETOOLONG : 0;
	memcpy(interp, p, len);
	interp[len] = '\0';
	p += len;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= asize)
		return -ENAMETOOLONG;
	memcpy(arg, p, len);
	arg[len] = '\0';
	return 1;
}

/* SECURITY: a "#!" script runs its interpreter, which the agent chose by
 * writing the script: `./innocent.sh` starting with "#!/path/forbidden"
 * runs the forbidden program. The chain is followed as binfmt_script does
 * in the target's view; on return *io_fd is the final program, h its head
 * and inserted the words the kernel puts before the script (outermost
 * interpreter first). *io_fd is replaced (and closed, unless it is keep,
 * the caller's) at each "#!" level. 0 or -errno. */
static int follow_shebangs(struct sup_decode_ctx *ctx, int *io_fd, int keep,
			   struct pol_strv *inserted, struct head *h)
{
	char interp[SHEBANG_BUF], arg[SHEBANG_BUF];
	for (int depth = 0;; depth++) {
		int r = read_head(*io_fd, h);
		if (r < 0)
			return r;
		r = parse_shebang(h, interp, sizeof interp, arg, sizeof arg);
		if (r <= 0)
			return r;
		if (depth == SHEBANG_DEPTH)
			return -ELOOP;
		/* SECURITY: open_exec() resolves a relative interpreter against
		 * the caller's cwd, never against execveat's dirfd. */
		int next = -1, cwd = -1;
		if (interp[0] != '/' && (r = sup_view_open_base(&ctx->view, AT_FDCWD, &cwd)) < 0)
			return r;
		r = sup_view_walk(&ctx->view, cwd, interp, true, &next);
		if (cwd >= 0)
			close(cwd);
		if (r < 0)
			return r;
		if (*io_fd != keep)
			close(*io_fd);
		*io_fd = next;
		struct pol_strv level = { 0 };
		if ((r = pol_strv_push(&level, interp, strlen(interp))) < 0 ||
		    (arg[0] && (r = pol_strv_push(&level, arg, strlen(arg))) < 0)) {
			pol_strv_release(&level);
			return r;
		}
		for (size_t i = 0; i < inserted->count; i++)
			if ((r = pol_strv_push(&level, inserted->items[i], strlen(inserted->items[i]))) < 0) {
				pol_strv_release(&level);
				return r;
			}
		pol_strv_release(inserted);
		*inserted = level;
	}
}

static int pread_exact(void *c, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(*(int *)c, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

/* PT_INTERP: binfmt_elf opens it with open_exec() in the caller's root
 * and cwd, following symlinks. Its identity is recorded for the exec
 * check; a loader needs no judgement of its own (the program is judged),
 * anything else is judged like `INTERP PROGRAM ARGS` (decide_exec.c). */
static int resolve_elf_interp(struct sup_decode_ctx *ctx, const char *interp,
			      struct pol_action *a)
{
	char path[POL_TARGET_MAX_PATH + 32];
	int base = -1, fd = -1, r;
	bool deleted = false, loader = false;
	struct stat st;
	struct head h = { .rdfd = -1 };

	if (interp[0] != '/' && (r = sup_view_open_base(&ctx->view, AT_FDCWD, &base)) < 0)
		return r;
	r = sup_view_walk_exec(&ctx->view, base, interp, true, &fd);
	if (r < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if ((r = sup_view_fd_path(&ctx->view, fd, path, sizeof path, &deleted)) < 0)
		goto out;
	/* the system loader is seen on every dynamic exec: its class is
	 * cached by identity, the file is read once */
	if (!sup_loader_cached(&st, &loader)) {
		struct sup_elf_info info;
		if ((r = read_head(fd, &h)) < 0)
			goto out;
		if (h.rdfd >= 0 && sup_elf_is_elf(h.buf, h.len) &&
		    sup_elf_parse(h.buf, h.len, pread_exact, &h.rdfd, &info) == 0)
			r = sup_loader_classify(h.rdfd, &st, &info, &loader);
		if (r < 0)
			goto out;
	}
	a->elf_interp_dev = st.st_dev;
	a->elf_interp_ino = st.st_ino;
	a->elf_interp_loader = loader && S_ISREG(st.st_mode);
	r = pol_action_set(&a->elf_interp, path);
out:
	head_close(&h);
	if (fd >= 0)
		close(fd);
	if (base >= 0)
		close(base);
	return r;
}

/* What the loader will run: the exec's argv as the kernel passes it to
 * the loader (after "#!" words), parsed like rtld; the program and any
 * --preload/--audit object must be pinned (decode_loader.c). */
static int decode_loader_run(struct sup_decode_ctx *ctx, const struct pol_strv *kargv,
			     struct pol_action *a)
{
	struct sup_ldso_args la;
	char why[300], path[POL_TARGET_MAX_PATH + 32];
	bool fixed, deleted;
	int fd = -1, r;

	r = sup_ldso_parse(kargv->items, kargv->count, &la, why, sizeof why);
	if (r < 0)
		return sup_decode_fail(ctx, r, "dynamic loader: %s", why);
	if (!la.prog)
		return 0; /* --help, --version ...: judged as the loader */
	const char *word = kargv->items[la.prog];
	if (!strchr(word, '/'))
		return sup_decode_fail(ctx, -EINVAL, "not supported: the dynamic loader asked to "
				       "run '%.200s' without a '/' (it would search the library path)", word);
	r = sup_loader_resolve_fixed(&ctx->view, word, &ctx->status, &fd, &fixed, why, sizeof why);
	if (sup_decode_path_error(r))
		return SUP_DECODE_FAILS_BASE - r; /* the loader fails to open it too */
	if (r < 0)
		return sup_decode_fail(ctx, r, "dynamic loader target '%.200s': %s", word, strerror(-r));
	struct stat st;
	if (fstat(fd, &st) < 0 || sup_view_fd_path(&ctx->view, fd, path, sizeof path, &deleted) < 0) {
		close(fd);
		return sup_decode_fail(ctx, -EIO, "dynamic loader target '%.200s' cannot be named", word);
	}
	close(fd);
	a->loader_target_dev = st.st_dev;
	a->loader_target_ino = st.st_ino;
	if ((r = pol_action_set(&a->loader_target, path)) < 0 ||
	    (r = pol_strv_push(&a->loader_argv, la.argv0 ? la.argv0 : word,
			       strlen(la.argv0 ? la.argv0 : word))) < 0)
		return sup_decode_fail(ctx, -ENOMEM, "out of memory");
	for (size_t i = la.prog + 1; i < kargv->count; i++)
		if ((r = pol_strv_push(&a->loader_argv, kargv->items[i], strlen(kargv->items[i]))) < 0)
			return sup_decode_fail(ctx, -ENOMEM, "out of memory");
	/* SECURITY: no exec follows: the loader maps the file itself, so
	 * nothing verifies later what it opens (docs/decode.md). */
	if (!fixed)
		return sup_decode_fail(ctx, -EPERM, "loader target writable by the agent: cannot "
				       "verify '%.200s' (%s)", path, why);
	for (size_t k = 0; k < la.n_preload + la.n_audit; k++) {
		const char *list = k < la.n_preload ? la.preload[k] : la.audit[k - la.n_preload];
		char obj[POL_TARGET_MAX_PATH];
		const char *p = list;
		while (*p) {
			size_t n = strcspn(p, ": ");
			if (n && n < sizeof obj) {
				memcpy(obj, p, n);
				obj[n] = '\0';
				if (obj[0] != '/')
					return sup_decode_fail(ctx, -EPERM, "loader object '%.200s' is "
							       "not an absolute path: cannot verify", obj);
				r = sup_loader_resolve_fixed(&ctx->view, obj, &ctx->status, &fd, &fixed,
							     why, sizeof why);
				/* never -ENOENT: that means "the caller is gone" */
				if (r < 0)
					return sup_decode_fail(ctx, r == -ENOENT ? -EPERM : r,
							       "loader object '%.200s': %s", obj,
							       strerror(-r));
				close(fd);
				if (!fixed)
					return sup_decode_fail(ctx, -EPERM, "loader object writable by the "
							       "agent: cannot verify '%.200s' (%s)", obj, why);
			} else if (n) {
				return sup_decode_fail(ctx, -ENAMETOOLONG, "loader object name too long");
			}
			p += n;
			p += strspn(p, ": ");
		}
	}
	return 0;
}

/* After "#!" following: what the final program's ELF headers say. */
static int decode_elf(struct sup_decode_ctx *ctx, int prog, struct head *h, const char *path,
		      const struct pol_strv *inserted, const struct pol_strv *argv,
		      struct pol_action *a)
{
	struct sup_elf_info info;
	struct stat st;
	int r;

	if (h->rdfd < 0 || !sup_elf_is_elf(h->buf, h->len))
		return 0; /* not ELF: the kernel fails it (or binfmt_misc runs it) */
	r = sup_elf_parse(h->buf, h->len, pread_exact, &h->rdfd, &info);
	if (r < 0)
		return sup_decode_fail(ctx, r, "malformed ELF headers in '%.200s': %s", path,
				       strerror(-r));
	if (info.has_interp) {
		r = resolve_elf_interp(ctx, info.interp, a);
		if (sup_decode_path_error(r))
			return SUP_DECODE_FAILS_BASE - r; /* the exec fails the same way */
		if (r < 0)
			return sup_decode_fail(ctx, r, "cannot resolve the ELF interpreter '%.200s' "
					       "of '%.200s': %s", info.interp, path, strerror(-r));
		return 0;
	}
	bool loader = false;
	if (fstat(prog, &st) < 0)
		return sup_decode_fail(ctx, -errno, "cannot stat '%.200s'", path);
	if ((r = sup_loader_classify(h->rdfd, &st, &info, &loader)) < 0)
		return sup_decode_fail(ctx, r, "malformed ELF dynamic section in '%.200s': %s", path,
				       strerror(-r));
	if (!loader)
		return 0;
	/* the loader's own argv: for a "#!" chain ending in the loader, the
	 * kernel's words, then the script path and argv[1..] */
	struct pol_strv kargv = { 0 };
	if (inserted->count) {
		for (size_t i = 0; r == 0 && i < inserted->count; i++)
			r = pol_strv_push(&kargv, inserted->items[i], strlen(inserted->items[i]));
		if (r == 0)
			r = pol_strv_push(&kargv, path, strlen(path));
		for (size_t i = 1; r == 0 && i < argv->count; i++)
			r = pol_strv_push(&kargv, argv->items[i], strlen(argv->items[i]));
	} else {
		for (size_t i = 0; r == 0 && i < argv->count; i++)
			r = pol_strv_push(&kargv, argv->items[i], strlen(argv->items[i]));
	}
	if (r == 0 && kargv.count == 0)
		r = pol_strv_push(&kargv, "", 0);
	if (r < 0)
		r = sup_decode_fail(ctx, r, "out of memory");
	else
		r = decode_loader_run(ctx, &kargv, a);
	pol_strv_release(&kargv);
	return r;
}

/* The first PARTIAL_ARGC words of argv, each cut at PARTIAL_ARG_BYTES
 * (ending "..."), for the audit entry of an exec refused because argv is
 * over the cap; a last word "...(truncated)" says the list is not whole. */
static void partial_argv(struct sup_decode_ctx *ctx, uint64_t argv_addr, struct pol_action *a)
{
	char word[PARTIAL_ARG_BYTES + 1];
	for (size_t i = 0; i < PARTIAL_ARGC; i++) {
		uint64_t p = 0;
		size_t len = 0;
		if (sup_target_read(ctx->tid, argv_addr + i * 8, &p, sizeof p) < 0 || !p)
			break;
		int r = sup_target_read_string(ctx->tid, p, word, PARTIAL_ARG_BYTES, &len);
		if (r == -E2BIG) {
			memcpy(word + PARTIAL_ARG_BYTES - 3, "...", 4);
			len = PARTIAL_ARG_BYTES;
		} else if (r < 0) {
			break;
		}
		if (i == 0)
			pol_action_set(&a->argv0, word);
		else
			pol_strv_push(&a->args, word, strlen(word));
	}
	pol_strv_push(&a->args, "...(truncated)", strlen("...(truncated)"));
}

int sup_decode_exec(struct sup_decode_ctx *ctx, int dirfd, uint64_t path_addr,
		    uint64_t argv_addr, uint64_t envp_addr, long flags,
		    struct pol_action **ret_action)
{
	char path[POL_TARGET_MAX_PATH], resolved[POL_TARGET_MAX_PATH + 32];
	char program[POL_TARGET_MAX_PATH + 32];
	char why[POL_TARGET_MAX_PATH + 128];
	bool deleted_prog = false;
	struct pol_strv interpreters = { 0 };
	struct pol_strv argv = { 0 };
	struct pol_action *a = NULL;
	struct head h = { .rdfd = -1 };
	int base = -1, fd = -1, prog = -1, r;
	bool deleted = false;
	const char *slash;
	char *name = NULL;

	r = sup_flags_check_execveat(flags, ctx->reason, ctx->reason_size);
	if (r < 0)
		return r;
	r = sup_decode_read_path(ctx, path_addr, path);
	if (r < 0)
		return r;
	/* From here a denial can name the program: keep what is known (the
	 * path as given until it is resolved). */
	a = pol_action_new(POL_ACTION_EXEC);
	if (!a || pol_action_set(&a->path, path) < 0) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	if (path[0] != '/' || (path[0] == '\0' && (flags & AT_EMPTY_PATH))) {
		r = sup_view_open_base(&ctx->view, dirfd, &base);
		if (r < 0) {
			r = sup_decode_fail(ctx, r == -EBADF ? SUP_DECODE_FAILS_BASE + EBADF : r,
					    "cannot open dirfd %d of pid %d: %s", dirfd,
					    (int)ctx->tid, strerror(-r));
			goto out;
		}
	}
	if (path[0] == '\0') {
		if (!(flags & AT_EMPTY_PATH)) {
			r = SUP_DECODE_FAILS_BASE + ENOENT;
			goto out;
		}
		fd = base;
		base = -1;
	} else {
		r = sup_view_walk_exec(&ctx->view, base, path, !(flags & AT_SYMLINK_NOFOLLOW), &fd);
		if (r < 0) {
			if (sup_decode_path_error(r)) {
				r = SUP_DECODE_FAILS_BASE - r;
				goto out;
			}
			r = sup_decode_fail(ctx, r, "cannot resolve exec path '%s' of pid %d: %s",
					    path, (int)ctx->tid, strerror(-r));
			goto out;
		}
	}
	r = sup_view_fd_path(&ctx->view, fd, resolved, sizeof(resolved), &deleted);
	if (r < 0) {
		r = sup_decode_fail(ctx, r, "cannot name exec target '%s' of pid %d: %s", path,
				    (int)ctx->tid, strerror(-r));
		goto out;
	}
	/* SECURITY: on a case-insensitive file system "FORBIDDEN-TOOL" runs
	 * the file stored as "forbidden-tool": name it as stored
	 * (docs/decode.md, "Case-insensitive file systems"). */
	if (!deleted && (r = sup_fold_fd_path(&ctx->view, fd, resolved, sizeof(resolved), why,
					      sizeof(why))) < 0) {
		r = sup_decode_fail(ctx, r, "%s", why);
		goto out;
	}
	a->exec_anonymous = deleted;
	/* function_name: basename of what actually runs (symlinks followed,
	 * a shebang script is named by the script, not its interpreter). */
	if (deleted) {
		size_t n = strlen(resolved);

		if (n >= 10 && strcmp(resolved + n - 10, " (deleted)") == 0)
			n -= 10;
		slash = memrchr(resolved, '/', n);
		name = strndup(slash ? slash + 1 : resolved, n - (size_t)(slash ? slash + 1 - resolved : 0));
	} else {
		slash = strrchr(resolved, '/');
		name = strdup(slash ? slash + 1 : resolved);
	}
	if (!name || (r = pol_action_set(&a->path, resolved)) < 0 ||
	    (r = pol_action_set(&a->function_name, name)) < 0) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	r = sup_target_read_strv(ctx->tid, argv_addr, POL_TARGET_MAX_ARGC,
				 POL_TARGET_MAX_ARGV_BYTES, &argv);
	if (r < 0) {
		if (r == -E2BIG)
			partial_argv(ctx, argv_addr, a);
		r = sup_decode_fail(ctx, r, "cannot read argv of pid %d: %s", (int)ctx->tid,
				    r == -E2BIG ? "larger than the cap" : strerror(-r));
		goto out;
	}
	if ((r = pol_action_set(&a->argv0, argv.count ? argv.items[0] : "")) < 0) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 1; i < argv.count; i++) {
		r = pol_strv_push(&a->args, argv.items[i], strlen(argv.items[i]));
		if (r < 0) {
			r = sup_decode_fail(ctx, r, "out of memory");
			goto out;
		}
	}
	/* prog is fd itself until a "#!" line names another file (no dup
	 * for a program that is not a script) */
	prog = fd;
	r = follow_shebangs(ctx, &prog, fd, &interpreters, &h);
	if (r == 0 && interpreters.count)
		r = sup_view_fd_path(&ctx->view, prog, program, sizeof(program), &deleted_prog);
	if (r == 0 && interpreters.count && !deleted_prog &&
	    (r = sup_fold_fd_path(&ctx->view, prog, program, sizeof(program), why,
				  sizeof(why))) < 0) {
		r = sup_decode_fail(ctx, r, "%s", why);
		goto out;
	}
	if (r < 0) {
		r = sup_decode_fail(ctx, r, "cannot follow the '#!' interpreter of '%s' (pid %d): %s",
				    resolved, (int)ctx->tid, strerror(-r));
		goto out;
	}
	/* The script keeps its own name (policies name programs by
	 * basename); what it really runs is judged too (decide_exec.c). */
	if (interpreters.count && (r = pol_action_set(&a->interpreter, program)) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < interpreters.count; i++)
		if ((r = pol_strv_push(&a->interp_argv, interpreters.items[i],
				       strlen(interpreters.items[i]))) < 0) {
			r = sup_decode_fail(ctx, r, "out of memory");
			goto out;
		}
	/* Typed name and whether the agent could have changed the way to
	 * the program (decode_pin.c): no lowering by a name otherwise. */
	if ((r = sup_decode_pin(ctx, path, fd, interpreters.count ? program : NULL, prog, a)) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	r = decode_elf(ctx, prog, &h, interpreters.count ? program : path, &interpreters, &argv, a);
	if (r != 0)
		goto out;
	r = pick_env(ctx, envp_addr, a);
	if (r < 0)
		goto out;
	{
		const struct pol_catalog_entry *entry = pol_catalog_lookup(a->function_name);

		if (entry && entry->doc && (r = pol_action_set(&a->function_doc, entry->doc)) < 0) {
			r = sup_decode_fail(ctx, r, "out of memory");
			goto out;
		}
	}
	/* the program that will run (the interpreter of a script): its
	 * identity is what the exec check expects (execcheck.h) */
	if (ctx->kept_fd < 0) {
		ctx->kept_fd = prog;
		if (prog == fd)
			fd = -1;
		prog = -1;
	}
	*ret_action = a;
	a = NULL;
	r = SUP_DECODE_GATED;
out:
	if (a && r < 0 && r != -ENOENT && !ctx->partial) {
		ctx->partial = a; /* the denial's audit entry names it */
		a = NULL;
	}
	head_close(&h);
	if (prog >= 0 && prog != fd)
		close(prog);
	free(name);
	pol_strv_release(&argv);
	pol_strv_release(&interpreters);
	pol_action_free(a);
	if (fd >= 0)
		close(fd);
	if (base >= 0)
		close(base);
	return r;
}
