/*
 * Shared between the decoders (decode.c, decode_fs.c, decode_net.c) and
 * the emulation. Not a public interface.
 */
#ifndef ATTESTA_SUP_DECODE_INTERNAL_H
#define ATTESTA_SUP_DECODE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <linux/seccomp.h>

#include "policy/action.h"
#include "supervisor/run/decode.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/decode_path.h"
#include "supervisor/run/decode_proc.h"

struct sup_decode_ctx {
	const struct seccomp_notif *req;
	const struct sup_decode_opts *opts;
	pid_t tid;
	struct sup_tfacts *facts; /* cached /proc handles of tid */
	struct sup_proc_status status;
	struct sup_view view;
	char *reason;
	size_t reason_size;
	int kept_fd;              /* out: unlink/rmdir's parent directory (O_PATH), the
	                           * socket copy or the exec'd program (decode.h); or -1 */
	int kept_fd2;             /* out: a rename's destination parent (O_PATH), or -1 */
	struct pol_action *partial; /* out: what a failed exec decode knew, for the
	                           * audit entry of the denial (sup_decode_keep) */
};

/* Fill ctx->reason and return err. */
int sup_decode_fail(struct sup_decode_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read a path argument (bounded, POL_TARGET_MAX_PATH). buf must hold
 * POL_TARGET_MAX_PATH bytes. */
int sup_decode_read_path(struct sup_decode_ctx *ctx, uint64_t addr, char *buf);

/* unlink, unlinkat, rmdir. */
int sup_decode_unlink(struct sup_decode_ctx *ctx, int dirfd, uint64_t path_addr, long flags,
		      bool is_rmdir, struct pol_action **ret_action);
/* Resolve the parent of path (relative to dirfd, in the target's view,
 * symlinked parents followed, the final component not) to an O_PATH
 * directory *ret_pfd, the absolute canonical full path (POL_TARGET_MAX_PATH
 * bytes) and the final component name (POL_TARGET_MAX_PATH bytes). what
 * names the call in messages. 0, SUP_DECODE_FAILS_BASE + errno, or -errno
 * with ctx->reason set. */
int sup_decode_parent(struct sup_decode_ctx *ctx, int dirfd, const char *path, const char *what,
		      char *full, char *name, int *ret_pfd);
/* lstat of name in parent into info (info->known false when missing). */
void sup_decode_file_info(int parent, const char *name, struct pol_file_info *info);
/* rename, renameat, renameat2 (decode_rename.c). */
int sup_decode_rename(struct sup_decode_ctx *ctx, int olddirfd, uint64_t old_addr, int newdirfd,
		      uint64_t new_addr, long flags, struct pol_action **ret_action);
/* execve, execveat (decode_exec.c). */
int sup_decode_exec(struct sup_decode_ctx *ctx, int dirfd, uint64_t path_addr,
		    uint64_t argv_addr, uint64_t envp_addr, long flags,
		    struct pol_action **ret_action);

/* decode_loader.c: is the ELF at rdfd (st, parsed info) the dynamic
 * loader (by identity and DT_SONAME, cached)? 0 or -errno. */
struct stat;
struct sup_elf_info;
int sup_loader_classify(int rdfd, const struct stat *st, const struct sup_elf_info *info,
			bool *ret_loader);
/* The cached answer for the file st (same identity, size, mtime, ctime):
 * true and *ret_loader, or false (not seen). */
bool sup_loader_cached(const struct stat *st, bool *ret_loader);
/* Resolve path in the target's view (O_PATH fd of a regular file in
 * *ret_fd) and tell whether the result is fixed: no directory, symlink
 * or file on the way that creds could replace or write (else *ret_fixed
 * is false and why says what). 0 or -errno. */
int sup_loader_resolve_fixed(const struct sup_view *view, const char *path,
			     const struct sup_proc_status *creds, int *ret_fd, bool *ret_fixed,
			     char *why, size_t why_size);

/* The same walk for an exec's typed path (decode_pin.c): for an agent
 * that may write any file, fixed means kept by root (owned by root, no
 * group or other write bit) and unchanged (ctime) since `since`. */
struct timespec;
struct sup_pin_trace;
int sup_exec_resolve_pinned(const struct sup_view *view, const char *path,
			    const struct sup_proc_status *creds, const struct timespec *since,
			    struct sup_pin_trace *trace, int *ret_fd, bool *ret_fixed, char *why,
			    size_t why_size);
/* Does sup_exec_resolve_pinned() judge creds by the rule for an agent
 * that may write any file (root)? */
bool sup_exec_pinned_by_root(const struct sup_proc_status *creds);
/* decode_pin.c: set a->typed_path, a->exec_unpinned (path as given, the
 * program fd decided) and a->interp_unpinned (a script's interpreter
 * program at prog, when interp). 0 or -ENOMEM; any other failure leaves
 * the exec unpinned. */
int sup_decode_pin(struct sup_decode_ctx *ctx, const char *path, int fd, const char *interp,
		   int prog, struct pol_action *a);

/* connect, sendto, sendmsg, sendmmsg. */
int sup_decode_net(struct sup_decode_ctx *ctx, struct pol_action **ret_action);
/* socket, socketpair (decode_sock.c). */
int sup_decode_socket(struct sup_decode_ctx *ctx, struct pol_action **ret_action);

/* Is errno a "this call fails in the kernel anyway" result for a path? */
static inline bool sup_decode_path_error(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -ENAMETOOLONG || err == -ELOOP;
}

#endif
