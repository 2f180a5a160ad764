/*
 * Decoders: turn one seccomp user notification into a struct pol_action
 * (docs/decode.md). Everything the decision depends on is read from the target
 * exactly once (process_vm_readv, bounded by policy/pol_limits.h) and kept in
 * the action; sup_emulate() later acts on those copies only, never on the
 * target's memory again (docs/SECURITY.md).
 *
 * Trust: the target's memory, registers (syscall arguments) and /proc
 * entries are attacker-controlled. Every structure is bounded and
 * validated before use; any doubt is an error and the caller denies.
 *
 * Thread-safety: sup_decode() may be called from several threads at once
 * (it keeps no global state).
 */
#ifndef ATTESTA_SUP_DECODE_H
#define ATTESTA_SUP_DECODE_H

#include <stddef.h>
#include <linux/seccomp.h>

#include "policy/action.h"

struct sup_decode_opts {
	/* The workspace (cwd of attesta-run); informational, may be NULL. */
	const char *workspace;
	/* Names of environment variables copied from an exec's envp into
	 * action->env as "NAME=value" (in this order, missing ones skipped).
	 * NULL or empty: envp is not read at all. */
	const struct pol_strv *env_vars;
	/* The supervisor's own pid: the process chain stops below it.
	 * 0 means getpid(). */
	pid_t supervisor_pid;
};

/* Return values of sup_decode() besides -errno. */
enum sup_decode_result {
	/* A gated action: evaluate policy, audit, then respond (emulate for
	 * unlink/rmdir/rename/connect/sendto, CONTINUE + verify for exec). */
	SUP_DECODE_GATED = 0,
	/* sendmsg/sendmmsg that names no destination (a connected socket):
	 * nothing to decide and nothing to audit, but it must still be
	 * emulated with sup_emulate() (never CONTINUE: the msghdr is in
	 * target memory and another thread could add a msg_name after we
	 * read it). action->address is NULL in this case. */
	SUP_DECODE_NO_DESTINATION = 1,
	/* The call is refused without a policy decision (reason says why,
	 * e.g. a sendmmsg naming several destinations), and *ret_action
	 * describes it for the audit entry (its address names what was
	 * refused). Deny and audit; never emulate. */
	SUP_DECODE_REFUSED = 2,
	/* SUP_DECODE_FAILS_BASE + errno: the call is certain to fail in the
	 * kernel with that errno (exec or unlink of a path that does not
	 * exist, ENOTDIR in a parent, AF_UNIX connect to a missing socket).
	 * Answer error = -errno at once, without policy or audit: execvp()
	 * searches PATH by trying execve() in each directory and stops at the
	 * first error other than ENOENT/EACCES/ENOTDIR, so answering EPERM
	 * would break every PATH search. *ret_action is NOT set. Nothing
	 * happens, so there is nothing to gate (and no TOCTOU: the call is
	 * not continued). Use sup_decode_fails_errno(). */
	SUP_DECODE_FAILS_BASE = 0x1000,
};

/* The errno of a SUP_DECODE_FAILS_BASE result, or 0 for other results. */
static inline int sup_decode_fails_errno(int result)
{
	return result > SUP_DECODE_FAILS_BASE ? result - SUP_DECODE_FAILS_BASE : 0;
}

/*
 * Decode req into a new action. On success (SUP_DECODE_GATED or
 * SUP_DECODE_NO_DESTINATION; not for SUP_DECODE_FAILS_BASE + e) *ret_action is a new action the caller owns
 * (pol_action_free()). agent_id, session_id, environment, host and
 * function_doc (if no catalog is linked) are left for the caller to fill.
 *
 * Handled: execve, execveat, unlink, unlinkat, rmdir, rename, renameat,
 * renameat2, connect, sendto, sendmsg, sendmmsg, socket, socketpair (x86-64
 * numbers; the filter kills foreign arches).
 *
 * Before returning success it re-checks SECCOMP_IOCTL_NOTIF_ID_VALID on
 * listener_fd (pass -1 to skip, e.g. in tests); the caller should still
 * re-check right before it responds.
 *
 * Errors (the caller denies and audits reason, a one-line message):
 *   -EFAULT/-ESRCH/-EPERM/-EIO  target memory or /proc unreadable
 *   -E2BIG        argv/envp/path/payload larger than the caps
 *   -EINVAL       unknown flags, short or oversized structures
 *   -EAFNOSUPPORT unsupported address family
 *   -ENOSYS       not a syscall this decoder knows
 *   -ENOENT       the notification is no longer valid (target gone)
 *   -ENOMEM
 * *ret_action is written only on success; reason always gets a message on
 * error (and is left untouched on success).
 */
int sup_decode(int listener_fd, const struct seccomp_notif *req,
	       const struct sup_decode_opts *opts, struct pol_action **ret_action,
	       char *reason, size_t reason_size);

/* The same, and the descriptor the decision was made on, for
 * sup_emulate_at() to act on that very object: for an unlink/rmdir the
 * parent directory resolved and named (O_PATH), for connect/send the
 * pidfd_getfd() copy of the socket whose type was read, for an exec the
 * program that will run (a script's interpreter), whose identity the
 * exec check expects. The caller closes it. *ret_kept_fd is written only
 * on success. Unlike sup_decode(), a refused exec (an error other than
 * -ENOENT) may set *ret_action to what was known (path, cwd, ppid, argv
 * cut with a "...(truncated)" word): for the audit entry of the denial
 * only, never to decide on. */
int sup_decode_keep(int listener_fd, const struct seccomp_notif *req,
		    const struct sup_decode_opts *opts, struct pol_action **ret_action,
		    int *ret_kept_fd, char *reason, size_t reason_size);

/* The same with both descriptors of a rename: ret_kept_fds[0] the
 * source's parent directory, [1] the destination's (O_PATH; -1 for other
 * calls). Written only on success; the caller closes them. */
int sup_decode_keep2(int listener_fd, const struct seccomp_notif *req,
		     const struct sup_decode_opts *opts, struct pol_action **ret_action,
		     int ret_kept_fds[2], char *reason, size_t reason_size);

#endif
