/*
 * Emulation of allowed calls (docs/SECURITY.md): instead of answering
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE for a call whose verdict depended on
 * pointer arguments, the supervisor performs the call itself on exactly
 * what was decided (the copies in struct pol_action) and returns the
 * result to the target:
 *
 *   unlink/rmdir       unlinkat(parent, name, flags) in the parent
 *                      directory the decoder resolved for the decision
 *                      (sup_emulate_at), or reopened O_PATH in the
 *                      target's view from the canonical path without
 *                      following symlinks (sup_emulate), with the target's
 *                      fsuid/fsgid/groups/capabilities.
 *   rename/renameat/   renameat2(oldparent, oldname, newparent, newname,
 *   renameat2          flags) in the two parent directories the decoder
 *                      resolved (sup_emulate_at2), as for unlink; a
 *                      destination absent when decided gets
 *                      RENAME_NOREPLACE (emulate_rename.c).
 *   connect            connect() on the target's own socket, taken with
 *                      pidfd_getfd(), with the supervisor's sockaddr copy.
 *   sendto/sendmsg/    the payload is copied from the target (bounded by
 *   sendmmsg           POL_TARGET_MAX_SEND_BYTES) and sent on the
 *                      pidfd_getfd copy to the decided address.
 *
 * exec cannot be emulated: sup_emulate() returns -EINVAL for exec actions
 * (the loop answers CONTINUE and verifies the new image).
 *
 * Trust: the target may change its memory at any time; nothing decided on
 * is re-read. The payload of a send is read here (after the decision): it
 * is not part of the decision.
 *
 * Blocking: sup_emulate() blocks as long as the call would block in the
 * target (a blocking connect, a send on a full buffer); run it on a worker
 * thread if the event loop must stay responsive. It changes only per-thread
 * credentials (setfsuid/setfsgid/raw setgroups/capset) and restores them
 * before returning.
 */
#ifndef ATTESTA_SUP_EMULATE_H
#define ATTESTA_SUP_EMULATE_H

#include <linux/seccomp.h>
#include <sys/types.h>

#include "policy/action.h"

/*
 * Perform the action for req and fill *ret_resp (id = req->id, flags 0,
 * val = the call's return value, error = 0 or -errno as the target should
 * see it). Returns 0 when *ret_resp is filled (even if the call itself
 * failed: that failure is the target's result), or -errno for an internal
 * failure (*ret_resp untouched; the caller denies):
 *   -EINVAL  action does not match req (class/syscall) or is exec
 *   -ESRCH   the target is gone (pidfd_open failed)
 *   -EPERM   cannot take the target's socket or assume its credentials
 *   -E2BIG   payload larger than POL_TARGET_MAX_SEND_BYTES
 *   -EFAULT  payload unreadable
 *   -ENOMEM
 */
int sup_emulate(int listener_fd, const struct seccomp_notif *req,
		const struct pol_action *action, struct seccomp_notif_resp *ret_resp);

/* The same, acting on kept_fd (from sup_decode_keep(), borrowed): the
 * directory an unlink/rmdir was decided on instead of reopening the
 * action's parent path, the socket a connect/send was decided on instead
 * of taking the target's fd again. kept_fd -1 is sup_emulate(). */
int sup_emulate_at(int listener_fd, const struct seccomp_notif *req,
		   const struct pol_action *action, int kept_fd,
		   struct seccomp_notif_resp *ret_resp);

/* The same with a rename's second directory: kept_fd the source's
 * parent, kept_fd2 the destination's (sup_decode_keep2(), borrowed). */
int sup_emulate_at2(int listener_fd, const struct seccomp_notif *req,
		    const struct pol_action *action, int kept_fd, int kept_fd2,
		    struct seccomp_notif_resp *ret_resp);

/*
 * SECURITY: the approval socket (device and inode). An emulated connect
 * or send is made by the supervisor, so the approval server would see the
 * supervisor as its peer, not the sandboxed caller: the decision refuses
 * the socket by name, and the emulation refuses it again by identity on
 * the file it is about to use, so renaming the approval socket onto an
 * allowed path between decision and emulation gains nothing (the target
 * gets EPERM). Set once before the loop runs; id is borrowed (the
 * gate's, gate.h) and must outlive every emulation.
 */
struct sup_file_id;
void sup_emulate_forbid_socket(const struct sup_file_id *id);

#endif
