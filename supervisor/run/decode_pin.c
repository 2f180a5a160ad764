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

/* When the session started, on the file systems' coarse clock (a file
 * changed at or after it has a ctime not below it). Taken before the
 * agent exists. */
static struct timespec session_start;

__attribute__((constructor)) static void note_start(void)
{
	clock_gettime(CLOCK_REALTIME_COARSE, &session_start);
}

/* Pinned: path resolves (fixed) to the file fd is open on. */
static bool pinned(struct sup_decode_ctx *ctx, const char *path, int fd)
{
	char why[320];
	struct stat want, got;
	bool fixed = false;
	int pfd = -1;

	if (path[0] != '/' || fstat(fd, &want) < 0)
		return false;
	if (sup_exec_resolve_pinned(&ctx->view, path, &ctx->status, &session_start, &pfd, &fixed,
				    why, sizeof why) < 0)
		return false;
	bool same = fstat(pfd, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino;
	close(pfd);
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
