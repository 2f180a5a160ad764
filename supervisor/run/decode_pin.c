/*
 * Is an exec'd program reached through links, directories and a file the
 * agent cannot change (docs/scoring.md, "Overrides and the name the user
 * types")? The answer decides whether a config override may lower the
 * program's risk by a name (policy/exec_names.h) and whether an approved
 * wrapper chain may cover the hop (exec_chain.h). Uses the loader's
 * resolution walk (decode_loader.c) on the path as the caller gave it and
 * requires it to end at the very file decided on (same identity).
 *
 * SECURITY: the agent writes symlinks, copies and hard links named like
 * trusted programs. A relative path, an AT_EMPTY_PATH exec, anything on
 * the way the agent's credentials could replace or write, or (for an
 * agent that may write any file, e.g. root) anything not root's alone or
 * changed since the session started, leaves the exec unpinned. Any error
 * fails the same way (unpinned: no lowering, no cover).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/run/decode_internal.h"
#include "supervisor/run/exec_pincache.h"

/* When the session started, on the file systems' coarse clock (a file
 * changed at or after it has a ctime not below it). Taken before the
 * agent exists. */
static struct timespec session_start;

__attribute__((constructor)) static void note_start(void)
{
	clock_gettime(CLOCK_REALTIME_COARSE, &session_start);
}

/* Pinned: path resolves (fixed) to the file fd is open on. The walk is
 * replayed from the cache when every step of it is unchanged
 * (exec_pincache.h), and recorded when it runs. */
static bool pinned(struct sup_decode_ctx *ctx, const char *path, int fd)
{
	char why[320];
	struct stat want, got;
	bool fixed = false;
	dev_t dev;
	ino_t ino;
	int pfd = -1;

	if (path[0] != '/' || fstat(fd, &want) < 0)
		return false;
	const bool by_root = sup_exec_pinned_by_root(&ctx->status);
	if (sup_pincache_lookup(ctx->view.rootfd, path, &ctx->status, by_root, &fixed, &dev, &ino))
		return fixed && dev == want.st_dev && ino == want.st_ino;
	struct sup_pin_trace *trace = sup_pin_trace_new();
	if (sup_exec_resolve_pinned(&ctx->view, path, &ctx->status, &session_start, trace, &pfd,
				    &fixed, why, sizeof why) < 0) {
		sup_pin_trace_free(trace);
		return false;
	}
	bool same = fstat(pfd, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino;
	close(pfd);
	sup_pin_trace_store(trace, path, &ctx->status, by_root, fixed);
	return fixed && same;
}

int sup_decode_pin(struct sup_decode_ctx *ctx, const char *path, int fd, const char *interp,
		   int prog, struct pol_action *a)
{
	if (pol_action_set(&a->typed_path, path) < 0)
		return -ENOMEM;
	a->exec_unpinned = a->exec_anonymous || !pinned(ctx, path, fd);
	a->interp_unpinned = interp && !pinned(ctx, interp, prog);
	return 0;
}
