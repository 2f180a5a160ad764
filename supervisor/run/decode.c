/*
 * sup_decode(): one seccomp notification -> one struct pol_action (docs/decode.md). Dispatches on the syscall number and fills the fields every action
 * shares (ids, exe, cwd, chain, time); exec is in decode_exec.c, file
 * removal in decode_fs.c, network calls in decode_net.c.
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

static int dispatch(struct sup_decode_ctx *ctx, struct pol_action **ret_action)
{
	const __u64 *arg = ctx->req->data.args;

	switch (ctx->req->data.nr) {
	case SYS_execve:
		return sup_decode_exec(ctx, AT_FDCWD, arg[0], arg[1], arg[2], 0, ret_action);
	case SYS_execveat:
		return sup_decode_exec(ctx, (int)arg[0], arg[1], arg[2], arg[3], (long)(int)arg[4],
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
	struct pol_action *a = NULL;
	int r = sup_decode_keep(listener_fd, req, opts, &a, &kept_fd, reason, reason_size);

	if (kept_fd >= 0)
		close(kept_fd);
	if (r < 0)
		pol_action_free(a); /* a refused exec's partial action: see sup_decode_keep */
	else if (a)
		*ret_action = a;
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
	/* A refused exec still names what it refused (path, cwd, ppid, argv
	 * as far as it was read): the partial action goes to the audit entry
	 * of the denial, never to a decision. */
	if (r < 0 && r != -ENOENT && ctx.partial) {
		char why[512];

		snprintf(why, sizeof why, "%s", reason && reason_size ? reason : "");
		if (fill_common(&ctx, ctx.partial) < 0 && reason && reason_size)
			snprintf(reason, reason_size, "%s", why);
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
	/* The caller was held through every read: its status was its own
	 * (docs/decode.md, "Credential epochs"). */
	if (listener_fd >= 0)
		sup_tfacts_confirm(ctx.facts, req->id);
	*ret_action = a;
	a = NULL;
	ret_kept_fds[0] = ctx.kept_fd;
	ret_kept_fds[1] = ctx.kept_fd2;
	ctx.kept_fd = ctx.kept_fd2 = -1;
out:
	if (r < 0 && r != -ENOENT && ctx.partial) {
		*ret_action = ctx.partial;
		ctx.partial = NULL;
	}
	pol_action_free(ctx.partial);
	if (ctx.kept_fd >= 0)
		close(ctx.kept_fd);
	if (ctx.kept_fd2 >= 0)
		close(ctx.kept_fd2);
	pol_action_free(a);
	sup_view_release(&ctx.view);
	sup_tfacts_release(ctx.facts);
	return r;
}
