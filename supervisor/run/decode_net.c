/*
 * Decoders for network calls that name a destination: connect, sendto,
 * sendmsg, sendmmsg. The address is copied once from the target (bounded
 * by its addrlen, at most a sockaddr_storage), decoded by
 * supervisor/common/sockaddr.c, and for AF_UNIX path names resolved in
 * the target's view to an absolute canonical path. The socket type comes
 * from the target's own socket (a pidfd_getfd copy, SO_TYPE).
 *
 * SECURITY: the attacker is the sandboxed program; it controls the
 * msghdr/mmsghdr structures and can change them from another thread. We
 * copy them once; the emulation sends to the decided address only and
 * re-reads nothing but the payload. Ancillary data (SCM_RIGHTS,
 * SCM_CREDENTIALS) cannot be sent faithfully by the supervisor and is
 * refused. sendmmsg naming more than one destination is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/common/sockaddr.h"
#include "supervisor/run/decode_internal.h"
#include "supervisor/run/target_mem.h"

/* The raw destination of a call (copied from the target). */
struct dest {
	bool present;
	socklen_t len;
	unsigned char bytes[sizeof(struct sockaddr_storage)];
};

static int read_dest(struct sup_decode_ctx *ctx, uint64_t addr, int64_t len, struct dest *d)
{
	int r;

	if (len < 0 || (uint64_t)len > sizeof(d->bytes))
		return sup_decode_fail(ctx, -EINVAL, "socket address length %lld out of range",
				       (long long)len);
	if (len == 0)
		return sup_decode_fail(ctx, -EINVAL, "empty socket address");
	r = sup_target_read(ctx->tid, addr, d->bytes, (size_t)len);
	if (r < 0)
		return sup_decode_fail(ctx, r, "cannot read socket address of pid %d: %s",
				       (int)ctx->tid, strerror(-r));
	d->present = true;
	d->len = (socklen_t)len;
	return 0;
}

static int socket_type(struct sup_decode_ctx *ctx, int fd, int *ret_type)
{
	int pidfd, copy, type = 0, r = 0;
	socklen_t tl = sizeof(type);

	pidfd = (int)syscall(SYS_pidfd_open, ctx->status.tgid, 0);
	if (pidfd < 0)
		return sup_decode_fail(ctx, -ESRCH, "cannot open pidfd of pid %d: %m",
				       (int)ctx->status.tgid);
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy < 0) {
		r = errno == EBADF ? SUP_DECODE_FAILS_BASE + EBADF
				   : sup_decode_fail(ctx, -errno, "cannot take fd %d of pid %d: %m",
						     fd, (int)ctx->tid);
		goto out;
	}
	if (getsockopt(copy, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		r = errno == ENOTSOCK ? SUP_DECODE_FAILS_BASE + ENOTSOCK
				      : sup_decode_fail(ctx, -errno, "cannot get the type of socket %d of pid %d: %m",
							fd, (int)ctx->tid);
		goto out;
	}
	*ret_type = type;
	/* the socket judged here is the one the emulation uses */
	if (ctx->kept_fd < 0) {
		ctx->kept_fd = copy;
		copy = -1;
	}
out:
	if (copy >= 0)
		close(copy);
	close(pidfd);
	return r;
}

/* Make an AF_UNIX path absolute and canonical in the target's view. */
static int resolve_unix(struct sup_decode_ctx *ctx, struct sup_sockaddr_text *t)
{
	char canon[POL_TARGET_MAX_PATH + 32];
	int base = -1, fd = -1, r;
	bool deleted = false;

	if (t->address[0] != '/') {
		r = sup_view_open_base(&ctx->view, AT_FDCWD, &base);
		if (r < 0)
			return sup_decode_fail(ctx, r, "cannot open the cwd of pid %d: %s",
					       (int)ctx->tid, strerror(-r));
	}
	r = sup_view_walk(&ctx->view, base, t->address, true, &fd);
	if (r < 0) {
		if (sup_decode_path_error(r) || r == -EACCES)
			r = SUP_DECODE_FAILS_BASE - r;
		else
			r = sup_decode_fail(ctx, r, "cannot resolve socket path '%s' of pid %d: %s",
					    t->address, (int)ctx->tid, strerror(-r));
		goto out;
	}
	r = sup_view_fd_path(&ctx->view, fd, canon, sizeof(canon), &deleted);
	if (r < 0 || deleted || canon[0] != '/') {
		r = sup_decode_fail(ctx, r < 0 ? r : -ENOENT, "cannot name socket path '%s' of pid %d",
				    t->address, (int)ctx->tid);
		goto out;
	}
	if (strlen(canon) >= sizeof(t->address)) {
		r = sup_decode_fail(ctx, -ENAMETOOLONG, "socket path '%s' too long", canon);
		goto out;
	}
	memcpy(t->address, canon, strlen(canon) + 1);
out:
	if (fd >= 0)
		close(fd);
	if (base >= 0)
		close(base);
	return r;
}

static int read_msghdr_dest(struct sup_decode_ctx *ctx, const struct msghdr *m, struct dest *d)
{
	if (m->msg_controllen > 0 && m->msg_control)
		return sup_decode_fail(ctx, -EINVAL, "sendmsg with control data not supported");
	if (m->msg_iovlen > POL_TARGET_MAX_IOV)
		return SUP_DECODE_FAILS_BASE + EMSGSIZE;
	if (!m->msg_name) {
		d->present = false;
		return 0;
	}
	/* msg_namelen is an int to the kernel */
	return read_dest(ctx, (uint64_t)(uintptr_t)m->msg_name, (int)m->msg_namelen, d);
}

static int gather_dest(struct sup_decode_ctx *ctx, struct dest *d, long *ret_flags)
{
	const __u64 *arg = ctx->req->data.args;
	int r;

	switch (ctx->req->data.nr) {
	case SYS_connect:
		*ret_flags = 0;
		return read_dest(ctx, arg[1], (int)arg[2], d);
	case SYS_sendto:
		*ret_flags = (long)(int)arg[3];
		if (arg[4] == 0)
			return 0; /* no destination */
		return read_dest(ctx, arg[4], (int)arg[5], d);
	case SYS_sendmsg: {
		struct msghdr m;

		*ret_flags = (long)(int)arg[2];
		r = sup_target_read(ctx->tid, arg[1], &m, sizeof(m));
		if (r < 0)
			return sup_decode_fail(ctx, r, "cannot read msghdr of pid %d: %s",
					       (int)ctx->tid, strerror(-r));
		return read_msghdr_dest(ctx, &m, d);
	}
	case SYS_sendmmsg: {
		size_t vlen = (unsigned int)arg[2];
		struct mmsghdr *v;
		struct dest other;

		*ret_flags = (long)(int)arg[3];
		if (vlen > POL_TARGET_MAX_MMSG)
			vlen = POL_TARGET_MAX_MMSG; /* the kernel clamps to UIO_MAXIOV too */
		if (vlen == 0)
			return 0;
		v = calloc(vlen, sizeof(*v));
		if (!v)
			return sup_decode_fail(ctx, -ENOMEM, "out of memory");
		r = sup_target_read(ctx->tid, arg[1], v, vlen * sizeof(*v));
		if (r < 0) {
			r = sup_decode_fail(ctx, r, "cannot read mmsghdr of pid %d: %s",
					    (int)ctx->tid, strerror(-r));
			goto mmsg_out;
		}
		r = read_msghdr_dest(ctx, &v[0].msg_hdr, d);
		for (size_t i = 1; r == 0 && i < vlen; i++) {
			memset(&other, 0, sizeof(other));
			r = read_msghdr_dest(ctx, &v[i].msg_hdr, &other);
			if (r == 0 && (other.present != d->present || other.len != d->len ||
				       memcmp(other.bytes, d->bytes, d->len) != 0))
				r = sup_decode_fail(ctx, -EINVAL, "sendmmsg with differing destinations");
		}
mmsg_out:
		free(v);
		return r;
	}
	default:
		return sup_decode_fail(ctx, -ENOSYS, "syscall %d is not a network call",
				       ctx->req->data.nr);
	}
}

int sup_decode_net(struct sup_decode_ctx *ctx, struct pol_action **ret_action)
{
	bool is_connect = ctx->req->data.nr == SYS_connect;
	struct sup_sockaddr_text t;
	struct pol_action *a = NULL;
	struct dest d;
	char args[SUP_SOCKADDR_TEXT_MAX + 32];
	long flags = 0;
	int socktype = 0, r;

	memset(&d, 0, sizeof(d));
	r = gather_dest(ctx, &d, &flags);
	if (r != 0)
		return r;
	if (!is_connect) {
		r = sup_flags_check_send(flags, ctx->reason, ctx->reason_size);
		if (r < 0)
			return r;
	}
	r = socket_type(ctx, (int)ctx->req->data.args[0], &socktype);
	if (r != 0)
		return r;
	a = pol_action_new(is_connect ? POL_ACTION_CONNECT : POL_ACTION_SENDTO);
	if (!a)
		return sup_decode_fail(ctx, -ENOMEM, "out of memory");
	a->socktype = socktype;
	a->pid = ctx->tid;
	a->tgid = ctx->status.tgid;
	if ((r = pol_action_set(&a->function_name, is_connect ? "connect" : "sendto")) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	if (!d.present) {
		*ret_action = a;
		return SUP_DECODE_NO_DESTINATION;
	}
	r = sup_sockaddr_decode(d.bytes, d.len, &t, ctx->reason, ctx->reason_size);
	if (r < 0)
		goto out;
	if (t.family == AF_UNIX && t.unix_unnamed) {
		r = SUP_DECODE_FAILS_BASE + EINVAL;
		goto out;
	}
	if (t.family == AF_UNIX && !t.unix_abstract) {
		r = resolve_unix(ctx, &t);
		if (r != 0)
			goto out;
	}
	a->family = t.family;
	a->port = t.port;
	if ((r = sup_sockaddr_format(&t, args, sizeof(args))) < 0 ||
	    (r = pol_action_set(&a->address, t.address)) < 0 ||
	    (r = pol_strv_push(&a->args, args, strlen(args))) < 0) {
		r = sup_decode_fail(ctx, r == -ENOMEM ? r : -EINVAL, "cannot format address");
		goto out;
	}
	*ret_action = a;
	a = NULL;
	r = SUP_DECODE_GATED;
out:
	pol_action_free(a);
	return r;
}
