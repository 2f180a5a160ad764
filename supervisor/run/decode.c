/*
 * sup_decode(): one seccomp notification -> one struct pol_action (DESIGN
 * §3). Dispatches on the syscall number, fills the fields every action
 * shares (ids, exe, cwd, chain, time) and decodes exec itself; file
 * removal is in decode_fs.c, network calls in decode_net.c.
 *
 * SECURITY: the attacker is the sandboxed program. It controls the
 * syscall arguments and the memory they point to, and other threads of it
 * may change that memory while we read. Everything is read once, bounded,
 * into the action; the response (emulation, or CONTINUE + verification
 * for exec) uses only those copies. Any doubt is an error: the caller
 * denies and audits the reason.
 */
#include "supervisor/run/decode.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "policy/catalog.h"
#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/run/decode_fold.h"
#include "supervisor/run/decode_internal.h"
#include "supervisor/run/target_mem.h"

int sup_decode_fail(struct sup_decode_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (ctx->reason && ctx->reason_size) {
		va_start(ap, fmt);
		vsnprintf(ctx->reason, ctx->reason_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

int sup_decode_read_path(struct sup_decode_ctx *ctx, uint64_t addr, char *buf)
{
	size_t len;
	int r = sup_target_read_string(ctx->tid, addr, buf, POL_TARGET_MAX_PATH - 1, &len);

	if (r == -E2BIG)
		return sup_decode_fail(ctx, r, "path of pid %d longer than %d bytes", (int)ctx->tid,
				       POL_TARGET_MAX_PATH - 1);
	if (r < 0)
		return sup_decode_fail(ctx, r, "cannot read path of pid %d: %s", (int)ctx->tid,
				       strerror(-r));
	return 0;
}

static double now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fields shared by every action. */
static int fill_common(struct sup_decode_ctx *ctx, struct pol_action *a)
{
	pid_t stop = ctx->opts && ctx->opts->supervisor_pid ? ctx->opts->supervisor_pid : getpid();
	int r;

	a->pid = ctx->tid;
	a->tgid = ctx->status.tgid;
	a->ppid = ctx->status.ppid;
	a->intercepted_at = now_utc();
	r = sup_tfacts_exe(ctx->facts, &a->exe);
	if (r < 0 && r != -ENOMEM)
		r = 0; /* a kernel thread or an exe on a vanished mount: leave NULL */
	if (r == 0) {
		r = sup_tfacts_readlink(ctx->facts, "cwd", &a->cwd);
		if (r < 0 && r != -ENOMEM)
			r = 0;
	}
	/* The chain starts at the process (its main thread's comm); for a
	 * call from the main thread that is the status just read. */
	if (r == 0 && ctx->status.tgid > 1 && ctx->status.tgid != stop) {
		if (ctx->status.tgid == ctx->tid)
			r = sup_proc_chain_from(ctx->status.name, ctx->status.name_len,
						ctx->status.ppid, stop, &a->chain);
		else
			r = sup_proc_chain(ctx->status.tgid, stop, &a->chain);
	}
	if (r < 0)
		return sup_decode_fail(ctx, r, "cannot describe pid %d: %s", (int)ctx->tid,
				       strerror(-r));
	/* A chrooted target: show cwd in its own view. */
	if (a->cwd && ctx->view.root_len &&
	    strncmp(a->cwd, ctx->view.root_path, ctx->view.root_len) == 0) {
		const char *rest = a->cwd + ctx->view.root_len;

		r = pol_action_set(&a->cwd, rest[0] ? rest : "/");
		if (r < 0)
			return sup_decode_fail(ctx, r, "out of memory");
	}
	return 0;
}

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


/* SECURITY: a "#!" script runs its interpreter, which the agent chose by
 * writing the script: `./innocent.sh` starting with "#!/path/forbidden"
 * runs the forbidden program. The interpreter chain is followed as
 * binfmt_script does (at most 4 levels, first 256 bytes, one optional
 * argument) in the target's view and recorded in action->interpreter, so
 * the verdict path judges the interpreter as well as the script. A file
 * the supervisor cannot read is not judged blind: decoding fails (deny). */
#define SHEBANG_BUF 256
#define SHEBANG_DEPTH 4

static int read_shebang_fd(int opath_fd, char *interp, size_t isize, char *arg, size_t asize)
{
	char proc[64], line[SHEBANG_BUF + 1];
	int fd;
	ssize_t n;

	interp[0] = arg[0] = '\0';
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", opath_fd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	n = pread(fd, line, SHEBANG_BUF, 0);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	char *p = line + 2, *end = memchr(line, '\n', (size_t)n);
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

/* Follow the "#!" chain from fd (O_PATH); on return *io_fd is the final
 * program and inserted holds the words the kernel will put before the
 * script (outermost interpreter first). 0 or -errno. */
static int follow_shebangs(struct sup_decode_ctx *ctx, int base, int *io_fd,
			   struct pol_strv *inserted)
{
	char interp[SHEBANG_BUF], arg[SHEBANG_BUF];
	for (int depth = 0;; depth++) {
		int r = read_shebang_fd(*io_fd, interp, sizeof interp, arg, sizeof arg);
		if (r <= 0)
			return r;
		if (depth == SHEBANG_DEPTH)
			return -ELOOP;
		int next = -1;
		r = sup_view_walk(&ctx->view, base, interp, true, &next);
		if (r < 0)
			return r;
		close(*io_fd);
		*io_fd = next;
		/* kernel argv: interp [arg] script ...; collected innermost
		 * last, so prepend this level's words. */
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

static int decode_exec(struct sup_decode_ctx *ctx, int dirfd, uint64_t path_addr,
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
	int base = -1, fd = -1, r;
	bool deleted = false;
	const char *slash;
	char *name = NULL;

	r = sup_flags_check_execveat(flags, ctx->reason, ctx->reason_size);
	if (r < 0)
		return r;
	r = sup_decode_read_path(ctx, path_addr, path);
	if (r < 0)
		return r;
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
	{
		int prog = -1;
		prog = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (prog < 0) {
			r = sup_decode_fail(ctx, -errno, "out of descriptors");
			goto out;
		}
		r = follow_shebangs(ctx, base, &prog, &interpreters);
		if (r == 0 && interpreters.count)
			r = sup_view_fd_path(&ctx->view, prog, program, sizeof(program), &deleted_prog);
		if (r == 0 && interpreters.count && !deleted_prog &&
		    (r = sup_fold_fd_path(&ctx->view, prog, program, sizeof(program), why,
					  sizeof(why))) < 0) {
			close(prog);
			r = sup_decode_fail(ctx, r, "%s", why);
			goto out;
		}
		/* the program that will run (the interpreter of a script): its
		 * identity is what the exec check expects (execcheck.h) */
		if (r == 0 && ctx->kept_fd < 0)
			ctx->kept_fd = prog;
		else
			close(prog);
		if (r < 0) {
			r = sup_decode_fail(ctx, r, "cannot follow the '#!' interpreter of '%s' (pid %d): %s",
					    resolved, (int)ctx->tid, strerror(-r));
			goto out;
		}
	}
	r = sup_target_read_strv(ctx->tid, argv_addr, POL_TARGET_MAX_ARGC,
				 POL_TARGET_MAX_ARGV_BYTES, &argv);
	if (r < 0) {
		r = sup_decode_fail(ctx, r, "cannot read argv of pid %d: %s", (int)ctx->tid,
				    r == -E2BIG ? "larger than the cap" : strerror(-r));
		goto out;
	}
	a = pol_action_new(POL_ACTION_EXEC);
	if (!a) {
		r = sup_decode_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	a->exec_anonymous = deleted;
	/* The script keeps its own name (policies name programs by
	 * basename); what it really runs is judged too (verdict.c). */
	if (interpreters.count && (r = pol_action_set(&a->interpreter, program)) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
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
	    (r = pol_action_set(&a->function_name, name)) < 0 ||
	    (r = pol_action_set(&a->argv0, argv.count ? argv.items[0] : "")) < 0) {
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
	*ret_action = a;
	a = NULL;
	r = SUP_DECODE_GATED;
out:
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

static int dispatch(struct sup_decode_ctx *ctx, struct pol_action **ret_action)
{
	const __u64 *arg = ctx->req->data.args;

	switch (ctx->req->data.nr) {
	case SYS_execve:
		return decode_exec(ctx, AT_FDCWD, arg[0], arg[1], arg[2], 0, ret_action);
	case SYS_execveat:
		return decode_exec(ctx, (int)arg[0], arg[1], arg[2], arg[3], (long)(int)arg[4],
				   ret_action);
	case SYS_unlink:
		return sup_decode_unlink(ctx, AT_FDCWD, arg[0], 0, false, ret_action);
	case SYS_rmdir:
		return sup_decode_unlink(ctx, AT_FDCWD, arg[0], AT_REMOVEDIR, true, ret_action);
	case SYS_unlinkat:
		return sup_decode_unlink(ctx, (int)arg[0], arg[1], (long)(int)arg[2],
					 ((int)arg[2] & AT_REMOVEDIR) != 0, ret_action);
	case SYS_rename:
		return sup_decode_rename(ctx, AT_FDCWD, arg[0], AT_FDCWD, arg[1], 0, ret_action);
	case SYS_renameat:
		return sup_decode_rename(ctx, (int)arg[0], arg[1], (int)arg[2], arg[3], 0, ret_action);
	case SYS_renameat2:
		return sup_decode_rename(ctx, (int)arg[0], arg[1], (int)arg[2], arg[3], (long)arg[4],
					 ret_action);
	case SYS_connect:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
		return sup_decode_net(ctx, ret_action);
	case SYS_socket:
	case SYS_socketpair:
		return sup_decode_socket(ctx, ret_action);
	default:
		return sup_decode_fail(ctx, -ENOSYS, "syscall %d is not decoded", ctx->req->data.nr);
	}
}

int sup_decode(int listener_fd, const struct seccomp_notif *req,
	       const struct sup_decode_opts *opts, struct pol_action **ret_action,
	       char *reason, size_t reason_size)
{
	int kept_fd = -1;
	int r = sup_decode_keep(listener_fd, req, opts, ret_action, &kept_fd, reason,
				reason_size);

	if (kept_fd >= 0)
		close(kept_fd);
	return r;
}

int sup_decode_keep(int listener_fd, const struct seccomp_notif *req,
		    const struct sup_decode_opts *opts, struct pol_action **ret_action,
		    int *ret_kept_fd, char *reason, size_t reason_size)
{
	int kept[2] = { -1, -1 };
	int r = sup_decode_keep2(listener_fd, req, opts, ret_action, kept, reason, reason_size);

	if (kept[1] >= 0)
		close(kept[1]);
	if (r >= 0 && r < SUP_DECODE_FAILS_BASE)
		*ret_kept_fd = kept[0];
	return r;
}

int sup_decode_keep2(int listener_fd, const struct seccomp_notif *req,
		     const struct sup_decode_opts *opts, struct pol_action **ret_action,
		     int ret_kept_fds[2], char *reason, size_t reason_size)
{
	struct sup_decode_ctx ctx = {
		.req = req, .opts = opts, .tid = (pid_t)req->pid,
		.reason = reason, .reason_size = reason_size, .kept_fd = -1, .kept_fd2 = -1,
	};
	struct pol_action *a = NULL;
	int r;

	ctx.view.rootfd = -1;
	if (req->data.arch != AUDIT_ARCH_X86_64)
		return sup_decode_fail(&ctx, -ENOSYS, "foreign architecture 0x%x",
				       req->data.arch);
	r = sup_tfacts_acquire(ctx.tid, req->id, &ctx.facts);
	if (r < 0) {
		r = sup_decode_fail(&ctx, r == -ESRCH ? -ENOENT : r,
				    "cannot read status of pid %d: %s", (int)ctx.tid, strerror(-r));
		goto out;
	}
	ctx.status = *sup_tfacts_status(ctx.facts);
	r = sup_tfacts_view(ctx.facts, &ctx.view);
	if (r < 0) {
		r = sup_decode_fail(&ctx, r == -ESRCH ? -ENOENT : r,
				    "cannot open the file system view of pid %d: %s", (int)ctx.tid,
				    strerror(-r));
		goto out;
	}
	r = dispatch(&ctx, &a);
	if (r == SUP_DECODE_GATED || r == SUP_DECODE_REFUSED) {
		int c = fill_common(&ctx, a);

		if (c < 0)
			r = c;
	}
	if (r < 0 && listener_fd >= 0 &&
	    ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		/* the failure was the target dying under us */
		r = sup_decode_fail(&ctx, -ENOENT, "notification %llu is no longer valid",
				    (unsigned long long)req->id);
	else if (r == -ENOENT)
		/* SECURITY: -ENOENT tells the loop the target is gone (decode.h)
		 * and it drops the call unanswered and unaudited; a decoder's own
		 * ENOENT (a deleted parent, a stored name not found) with the
		 * target still waiting is a denial like any other failure. */
		r = -EIO;
	if (r < 0 || r >= SUP_DECODE_FAILS_BASE)
		goto out;
	/* Everything was read: make sure it was read from the process that
	 * made the call and not from a recycled pid. */
	if (listener_fd >= 0 && ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
		r = sup_decode_fail(&ctx, -ENOENT, "notification %llu is no longer valid",
				    (unsigned long long)req->id);
		goto out;
	}
	*ret_action = a;
	a = NULL;
	ret_kept_fds[0] = ctx.kept_fd;
	ret_kept_fds[1] = ctx.kept_fd2;
	ctx.kept_fd = ctx.kept_fd2 = -1;
out:
	if (ctx.kept_fd >= 0)
		close(ctx.kept_fd);
	if (ctx.kept_fd2 >= 0)
		close(ctx.kept_fd2);
	pol_action_free(a);
	sup_view_release(&ctx.view);
	sup_tfacts_release(ctx.facts);
	return r;
}
