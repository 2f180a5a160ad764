/*
 * Control data (msg_control) of an emulated sendmsg/sendmmsg: which
 * ancillary data the supervisor forwards and which it refuses
 * (docs/decode.md, "Control data"), read once from the target, and the
 * SCM_RIGHTS descriptors replaced by the supervisor's copies of the same
 * open files.
 *
 * SECURITY: the kernel checks ancillary data against the caller, which
 * for an emulated send is the supervisor: descriptor numbers are looked
 * up in its table, SCM_CREDENTIALS against its pid and ids, SO_MARK
 * against its capabilities. So descriptors are translated, and kinds
 * that name a source, a route or an identity are refused, whatever the
 * socket (a checked socket type proves nothing: another thread may
 * dup2() a different socket onto the number). Unknown kinds are refused.
 */
#ifndef ATTESTA_SUP_CMSG_H
#define ATTESTA_SUP_CMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's cap on descriptors in one message (include/net/scm.h). */
#define SUP_CMSG_MAX_FD 253

struct sup_cmsg_check {
	size_t nfds;   /* SCM_RIGHTS descriptors, all cmsgs together */
	char why[160]; /* set on -EPERM: the refused kind, named */
};

/* Check control data ctl[0..len) as the kernel walks it
 * (for_each_cmsghdr, CMSG_OK). 0: every cmsg may be forwarded as is
 * (SCM_RIGHTS after sup_cmsg_take_fds); -EPERM: a refused kind (out->why);
 * -EINVAL: malformed lengths or more than SUP_CMSG_MAX_FD descriptors
 * (the kernel's answer). */
int sup_cmsg_check(const unsigned char *ctl, size_t len, struct sup_cmsg_check *out);

/* Read len bytes of control data at addr from tid into a new buffer
 * (*ret, free()). -ENOBUFS above POL_TARGET_MAX_CONTROL (the kernel's
 * answer above net.core.optmem_max), -EFAULT/-errno when unreadable. */
int sup_cmsg_read(pid_t tid, uint64_t addr, size_t len, unsigned char **ret);

/* Replace every SCM_RIGHTS descriptor number in ctl (already checked)
 * by a pidfd_getfd copy of thread tid's descriptor (tgid's where the
 * kernel has no PIDFD_THREAD), stored in fds[] (room for
 * SUP_CMSG_MAX_FD; *nfds set, close them with sup_cmsg_close_fds even on
 * error). -EBADF: a number that is not open in the target (the kernel's
 * answer); other -errno are internal. */
int sup_cmsg_take_fds(pid_t tid, pid_t tgid, unsigned char *ctl, size_t len, int *fds,
		      size_t *nfds);

void sup_cmsg_close_fds(int *fds, size_t nfds);

#endif
