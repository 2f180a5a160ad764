/*
 * Does an execve() name a program that is not there? A PATH search
 * (execvp, posix_spawnp, make, CPython's subprocess) tries execve() in
 * each directory of PATH until one exists: with a long PATH most of a
 * workload's exec notifications are of that kind, and each was handed
 * from a decision thread to the loop thread (the exec check's tracer,
 * workers.c) only for the loop to answer ENOENT (docs/BENCHMARKS.md,
 * "Session 6: where the gated workloads wait"). This asks the question
 * the full decoder (decode_exec.c) asks first, in the same way, so that
 * a decision thread can give the same kernel errno itself.
 *
 * Fail closed: only an error answer comes of it. Anything else (the path
 * resolves, cannot be read, is not a plain execve, any doubt) is 0, and
 * the exec goes to the loop for the whole decode and decision as before;
 * a program created after the probe is then simply not found, as it
 * would not have been a moment earlier natively (no exec is continued
 * here, so there is nothing to check at PTRACE_EVENT_EXEC).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/run/decode_internal.h"

int sup_decode_exec_probe(const struct seccomp_notif *req)
{
	char path[POL_TARGET_MAX_PATH];
	struct sup_decode_ctx ctx = {
		.req = req, .tid = (pid_t)req->pid, .kept_fd = -1, .kept_fd2 = -1,
	};
	int base = -1, fd = -1, r, e = 0;

	ctx.view.rootfd = -1;
	/* execveat's flags and descriptors stay with the full decoder */
	if (req->data.arch != AUDIT_ARCH_X86_64 || req->data.nr != SYS_execve)
		return 0;
	if (sup_tfacts_acquire(ctx.tid, req->id, &ctx.facts) < 0)
		return 0;
	if (sup_tfacts_view(ctx.facts, &ctx.view) < 0)
		goto out;
	/* as sup_decode_exec(): the path read once, resolved in the
	 * target's view from its cwd or root, following links */
	if (sup_decode_read_path(&ctx, req->data.args[0], path) < 0)
		goto out;
	if (path[0] == '\0') {
		e = ENOENT;
		goto out;
	}
	if (path[0] != '/' && sup_view_open_base(&ctx.view, AT_FDCWD, &base) < 0)
		goto out;
	r = sup_view_walk_exec(&ctx.view, base, path, true, &fd);
	if (r < 0 && sup_decode_path_error(r))
		e = -r;
out:
	if (fd >= 0)
		close(fd);
	if (base >= 0)
		close(base);
	sup_view_release(&ctx.view);
	sup_tfacts_release(ctx.facts);
	return e;
}
