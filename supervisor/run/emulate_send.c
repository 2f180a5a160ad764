/*
 * Emulated sendmsg/sendmmsg (emulate.h): the payload gathered from the
 * target's iovecs (bounded, not part of the decision), the control data
 * read once, checked again on our copy and sent with SCM_RIGHTS
 * descriptors replaced by our copies of the same open files (cmsg.h,
 * docs/decode.md "Control data"), on the socket copy, to the decided
 * destination only.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/run/cmsg.h"
#include "supervisor/run/decode_proc.h"
#include "supervisor/run/emulate_internal.h"
#include "supervisor/run/target_mem.h"

/* Copy the target's iovecs (at most cap bytes in total) into one buffer.
 * Returns the byte count, or -errno (-EFAULT/-EMSGSIZE as results). */
static ssize_t gather(pid_t tid, uint64_t iov_addr, size_t iovlen, size_t cap, char **ret_buf,
		      size_t *ret_total)
{
	struct iovec *iov = NULL;
	char *buf = NULL;
	size_t total = 0, want = 0;
	ssize_t r;

	if (iovlen > POL_TARGET_MAX_IOV)
		return -EMSGSIZE;
	if (iovlen) {
		iov = calloc(iovlen, sizeof(*iov));
		if (!iov)
			return -ENOMEM;
		r = sup_target_read(tid, iov_addr, iov, iovlen * sizeof(*iov));
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < iovlen; i++) {
		if (iov[i].iov_len > SIZE_MAX / 2 - want) {
			r = -EINVAL;
			goto out;
		}
		want += iov[i].iov_len;
	}
	*ret_total = want;
	buf = malloc(want < cap ? (want ? want : 1) : cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < iovlen && total < cap; i++) {
		size_t n = iov[i].iov_len;

		if (n > cap - total)
			n = cap - total;
		r = sup_target_read(tid, (uint64_t)(uintptr_t)iov[i].iov_base, buf + total, n);
		if (r < 0)
			goto out;
		total += n;
	}
	*ret_buf = buf;
	buf = NULL;
	r = (ssize_t)total;
out:
	free(buf);
	free(iov);
	return r;
}

/* One message's control data as sent: the target's bytes read once,
 * checked on this copy, SCM_RIGHTS numbers replaced by our descriptors. */
struct ctl {
	unsigned char *buf;
	size_t len;
	int fds[SUP_CMSG_MAX_FD];
	size_t nfds;
};

/* Read and check m's control data. 0, a positive errno that is the
 * target's result, or -errno (internal). Runs with our own credentials:
 * pidfd_getfd is not made between sup_creds_assume and restore. */
static int ctl_prepare(const struct sup_emu_send *e, const struct msghdr *m, struct ctl *c)
{
	struct sup_cmsg_check chk;
	int r;

	c->buf = NULL;
	c->len = 0;
	c->nfds = 0;
	if (m->msg_controllen == 0)
		return 0;
	if (m->msg_controllen > INT_MAX)
		return ENOBUFS;
	r = sup_cmsg_read(e->tid, (uint64_t)(uintptr_t)m->msg_control, m->msg_controllen,
			  &c->buf);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -r;
	c->len = m->msg_controllen;
	/* SECURITY: the decoder refused the kinds it saw; the target may
	 * have changed its buffer since. This copy is what is sent. */
	r = sup_cmsg_check(c->buf, c->len, &chk);
	if (r < 0)
		return -r; /* EPERM: a refused kind appeared; EINVAL: malformed */
	if (chk.nfds) {
		r = sup_cmsg_take_fds(e->tid, e->status->tgid, c->buf, c->len, c->fds, &c->nfds);
		if (r == -EBADF || r == -EINVAL)
			return -r;
		if (r < 0)
			return r;
	}
	return 0;
}

static void ctl_release(struct ctl *c)
{
	sup_cmsg_close_fds(c->fds, c->nfds);
	c->nfds = 0;
	free(c->buf);
	c->buf = NULL;
}

/* Send one message (iovecs at iov_addr, control data c) to the decided
 * destination. Returns bytes sent or a negative errno that is the
 * target's result. */
static ssize_t send_one(const struct sup_emu_send *e, uint64_t iov_addr, size_t iovlen,
			const struct ctl *c, int flags)
{
	size_t wanted = 0;
	char *buf = NULL;
	ssize_t n = gather(e->tid, iov_addr, iovlen, POL_TARGET_MAX_SEND_BYTES, &buf, &wanted);
	struct iovec one;
	struct msghdr m;

	if (n < 0)
		return n;
	if (wanted > (size_t)n && e->socktype != SOCK_STREAM) {
		/* A datagram cannot be shortened. */
		free(buf);
		return -EMSGSIZE;
	}
	one.iov_base = buf;
	one.iov_len = (size_t)n;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &one;
	m.msg_iovlen = 1;
	if (e->addr) {
		m.msg_name = (void *)e->addr;
		m.msg_namelen = e->addr_len;
	}
	if (c->len) {
		m.msg_control = c->buf;
		m.msg_controllen = c->len;
	}
	/* SIGPIPE would hit the supervisor: suppress it, re-raise below. */
	n = sendmsg(e->sock, &m, flags | MSG_NOSIGNAL);
	if (n < 0)
		n = -errno;
	if (n == -EPIPE && !(flags & MSG_NOSIGNAL))
		syscall(SYS_tgkill, e->status->tgid, e->tid, SIGPIPE);
	free(buf);
	return n;
}

/* One message of a sendmsg/sendmmsg: its control data prepared with our
 * credentials, then sent with the target's. 0 with *ret_sent or
 * *ret_err (the target's), or -errno (internal). */
static int send_msg(const struct sup_emu_send *e, const struct msghdr *m, int flags,
		    ssize_t *ret_sent, int *ret_err)
{
	struct sup_creds_saved saved;
	struct ctl c;
	ssize_t s = 0;
	int r;

	*ret_err = 0;
	r = ctl_prepare(e, m, &c);
	if (r > 0)
		*ret_err = r;
	if (r != 0)
		goto out;
	r = sup_creds_assume(e->status, &saved);
	if (r == 0)
		s = send_one(e, (uint64_t)(uintptr_t)m->msg_iov, m->msg_iovlen, &c, flags);
	sup_creds_restore(&saved);
	if (r < 0 || s == -ENOMEM) {
		r = r < 0 ? r : -ENOMEM;
		goto out;
	}
	if (s < 0)
		*ret_err = (int)-s;
	else
		*ret_sent = s;
out:
	ctl_release(&c);
	return r < 0 ? r : 0;
}

int sup_emulate_msgs(const struct sup_emu_send *e, long long *ret_val, int *ret_err)
{
	const __u64 *arg = e->args;
	int r, err;

	if (e->nr == SYS_sendmsg) {
		struct msghdr m;
		ssize_t s = 0;

		r = sup_target_read(e->tid, arg[1], &m, sizeof(m));
		if (r < 0) {
			*ret_err = -r;
			return 0;
		}
		r = send_msg(e, &m, (int)arg[2], &s, ret_err);
		if (r == 0 && !*ret_err)
			*ret_val = s;
		return r;
	}
	size_t vlen = (unsigned int)arg[2], i;
	struct mmsghdr *v;

	if (vlen > POL_TARGET_MAX_MMSG)
		vlen = POL_TARGET_MAX_MMSG;
	if (vlen == 0)
		return 0;
	v = calloc(vlen, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = sup_target_read(e->tid, arg[1], v, vlen * sizeof(*v));
	if (r < 0) {
		*ret_err = EFAULT;
		free(v);
		return 0;
	}
	for (i = 0; i < vlen; i++) {
		ssize_t s = 0;
		unsigned int len32;
		struct iovec lo, re;

		r = send_msg(e, &v[i].msg_hdr, (int)arg[3], &s, &err);
		if (r < 0 && i > 0)
			r = 0; /* the ones sent are the count */
		if (r < 0)
			break;
		if (err) {
			if (i == 0)
				*ret_err = err;
			break;
		}
		/* sendmmsg reports each message's length in msg_len */
		len32 = (unsigned int)s;
		lo.iov_base = &len32;
		lo.iov_len = sizeof(len32);
		re.iov_base = (char *)(uintptr_t)arg[1] + i * sizeof(*v) +
			      offsetof(struct mmsghdr, msg_len);
		re.iov_len = sizeof(len32);
		process_vm_writev(e->tid, &lo, 1, &re, 1, 0);
	}
	if (r == 0 && !*ret_err)
		*ret_val = (long long)i;
	free(v);
	return r;
}
