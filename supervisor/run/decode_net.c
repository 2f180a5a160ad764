/*
 * Decoders for network calls that name a destination: connect, sendto,
 * sendmsg, sendmmsg. The address is copied once from the target (bounded
 * by its addrlen, at most a sockaddr_storage), decoded by
 * supervisor/common/sockaddr.c, and for AF_UNIX path names resolved in
 * the target's view to an absolute canonical path. The socket's facts
 * (type, domain, protocol, bound address and device) come from the
 * target's own socket (a pidfd_getfd copy), and the destination is made
 * canonical with them: the address the kernel will reach is judged and
 * used (supervisor/common/sockcanon.c, docs/decode.md).
 *
 * SECURITY: the attacker is the sandboxed program; it controls the
 * msghdr/mmsghdr structures and can change them from another thread. We
 * copy them once; the emulation sends to the decided address only and
 * re-reads nothing but the payload and the control data, which it checks
 * again on its own copy (cmsg.h). Control data that names a source, a
 * route or an identity is refused here, audited with its name
 * (docs/decode.md, "Control data"). sendmmsg naming more than one
 * destination is refused (the refusal names them).
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include "supervisor/run/cmsg.h"
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

/* SECURITY: a socket bound to a device (SO_BINDTODEVICE, or
 * IP_UNICAST_IF for UDP and raw) that sends to 0.0.0.0 reaches the
 * address the kernel picks on that device (inet_select_addr: its first
 * primary IPv4 address), not loopback. Find it in the target's network
 * namespace, which is ours (the sandbox may not unshare). */
static int device_address(struct sup_decode_ctx *ctx, int sock, struct sup_sock_facts *f)
{
	struct ifaddrs *list = NULL;
	char name[IF_NAMESIZE];
	int index = 0;
	socklen_t l = sizeof index;

	f->device_v4 = 0;
	if (f->domain != AF_INET && f->domain != AF_INET6)
		return 0;
	if (getsockopt(sock, SOL_SOCKET, SO_BINDTOIFINDEX, &index, &l) < 0)
		index = 0;
	if (!index && f->type != SOCK_STREAM) {
		uint32_t uc = 0;

		l = sizeof uc;
		if (getsockopt(sock, IPPROTO_IP, IP_UNICAST_IF, &uc, &l) == 0)
			index = (int)ntohl(uc); /* network order (ip_sockglue.c) */
	}
	if (!index)
		return 0;
	if (!if_indextoname((unsigned)index, name))
		return 0; /* gone: the kernel fails the call too */
	if (getifaddrs(&list) < 0)
		return sup_decode_fail(ctx, -errno, "cannot list interface addresses: %m");
	for (struct ifaddrs *i = list; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, name)) {
			struct sockaddr_in sin;

			memcpy(&sin, i->ifa_addr, sizeof sin);
			f->device_v4 = sin.sin_addr.s_addr;
			break;
		}
	}
	freeifaddrs(list);
	return 0;
}

/* The socket's facts (type, domain, protocol, bound address) from a
 * pidfd_getfd copy, which is kept for the emulation. */
static int socket_facts(struct sup_decode_ctx *ctx, int fd, struct sup_sock_facts *ret)
{
	int pidfd, copy, r = 0;
	bool borrowed;
	socklen_t tl = sizeof(ret->type);

	/* the calling thread's table: its own when it was cloned without
	 * CLONE_FILES (tests/helpers/gate_thread_files.c) */
	pidfd = sup_tfacts_caller_pidfd(ctx->facts, ctx->status.tgid, &borrowed);
	if (pidfd < 0)
		return sup_decode_fail(ctx, -ESRCH, "cannot open pidfd of thread %d: %s",
				       (int)ctx->tid, strerror(-pidfd));
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy < 0) {
		r = errno == EBADF ? SUP_DECODE_FAILS_BASE + EBADF
				   : sup_decode_fail(ctx, -errno, "cannot take fd %d of pid %d: %m",
						     fd, (int)ctx->tid);
		goto out;
	}
	if (getsockopt(copy, SOL_SOCKET, SO_TYPE, &ret->type, &tl) < 0) {
		r = errno == ENOTSOCK ? SUP_DECODE_FAILS_BASE + ENOTSOCK
				      : sup_decode_fail(ctx, -errno, "cannot get the type of socket %d of pid %d: %m",
							fd, (int)ctx->tid);
		goto out;
	}
	tl = sizeof(ret->domain);
	if (getsockopt(copy, SOL_SOCKET, SO_DOMAIN, &ret->domain, &tl) < 0 ||
	    (tl = sizeof(ret->protocol), getsockopt(copy, SOL_SOCKET, SO_PROTOCOL, &ret->protocol, &tl)) < 0) {
		r = sup_decode_fail(ctx, -errno, "cannot get the domain of socket %d of pid %d: %m",
				    fd, (int)ctx->tid);
		goto out;
	}
	/* the bound address decides where an unspecified destination goes
	 * (docs/decode.md, "Canonical addresses") */
	ret->bound_len = sizeof(ret->bound);
	if (getsockname(copy, (struct sockaddr *)&ret->bound, &ret->bound_len) < 0)
		ret->bound_len = 0;
	r = device_address(ctx, copy, ret);
	if (r < 0)
		goto out;
	/* the socket judged here is the one the emulation uses */
	if (ctx->kept_fd < 0) {
		ctx->kept_fd = copy;
		copy = -1;
	}
out:
	if (copy >= 0)
		close(copy);
	if (!borrowed)
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

/* The first refused control data of a call (docs/decode.md, "Control
 * data"): refused as a whole, audited with the kind's name. */
struct ctl_refusal {
	bool refused;
	size_t index; /* the message of a sendmmsg */
	char why[sizeof(((struct sup_cmsg_check *)0)->why)];
};

/* Read and check one message's control data. Malformed data fails as in
 * the kernel (EINVAL; ENOBUFS above the cap; EFAULT), without a send. The
 * emulation reads and checks it again: this copy only names a refusal. */
static int check_control(struct sup_decode_ctx *ctx, const struct msghdr *m, size_t index,
			 struct ctl_refusal *cr)
{
	struct sup_cmsg_check c;
	unsigned char *ctl = NULL;
	int r;

	if (m->msg_controllen == 0)
		return 0;
	if (m->msg_controllen > INT_MAX)
		return SUP_DECODE_FAILS_BASE + ENOBUFS; /* ____sys_sendmsg */
	r = sup_cmsg_read(ctx->tid, (uint64_t)(uintptr_t)m->msg_control, m->msg_controllen, &ctl);
	if (r == -ENOBUFS || r == -EFAULT)
		return SUP_DECODE_FAILS_BASE - r;
	if (r < 0)
		return sup_decode_fail(ctx, r, "cannot read control data of pid %d: %s",
				       (int)ctx->tid, strerror(-r));
	r = sup_cmsg_check(ctl, m->msg_controllen, &c);
	free(ctl);
	if (r == -EINVAL)
		return SUP_DECODE_FAILS_BASE + EINVAL;
	if (r == -EPERM && !cr->refused) {
		cr->refused = true;
		cr->index = index;
		memcpy(cr->why, c.why, sizeof cr->why);
	}
	return 0;
}

static int read_msghdr_dest(struct sup_decode_ctx *ctx, const struct msghdr *m, struct dest *d,
			    size_t index, struct ctl_refusal *cr)
{
	int r;

	if (m->msg_iovlen > POL_TARGET_MAX_IOV)
		return SUP_DECODE_FAILS_BASE + EMSGSIZE;
	r = check_control(ctx, m, index, cr);
	if (r != 0)
		return r;
	if (!m->msg_name) {
		d->present = false;
		return 0;
	}
	/* msg_namelen is an int to the kernel */
	return read_dest(ctx, (uint64_t)(uintptr_t)m->msg_name, (int)m->msg_namelen, d);
}

/* sendmmsg naming several destinations is refused; the refusal names
 * the first SUP_MMSG_NAMED distinct ones (and counts the rest). */
#define SUP_MMSG_NAMED 8
struct other_dests {
	size_t n;            /* distinct destinations besides the first, kept */
	size_t more;         /* distinct ones beyond those (not kept) */
	struct dest d[SUP_MMSG_NAMED - 1];
};

static bool same_dest(const struct dest *a, const struct dest *b)
{
	return a->present == b->present && a->len == b->len &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

static void add_other(struct other_dests *o, const struct dest *first, const struct dest *d)
{
	if (same_dest(first, d))
		return;
	for (size_t i = 0; i < o->n; i++)
		if (same_dest(&o->d[i], d))
			return;
	if (o->n < sizeof o->d / sizeof o->d[0])
		o->d[o->n++] = *d;
	else
		o->more++; /* may count a repeat beyond the kept ones: an upper bound */
}

static int gather_dest(struct sup_decode_ctx *ctx, struct dest *d, long *ret_flags,
		       struct other_dests *others, struct ctl_refusal *cr)
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
		return read_msghdr_dest(ctx, &m, d, 0, cr);
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
		r = read_msghdr_dest(ctx, &v[0].msg_hdr, d, 0, cr);
		for (size_t i = 1; r == 0 && i < vlen; i++) {
			memset(&other, 0, sizeof(other));
			r = read_msghdr_dest(ctx, &v[i].msg_hdr, &other, i, cr);
			if (r == 0)
				add_other(others, d, &other);
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

/* A destination in the text the audit shows, canonical (used to name the
 * destinations of a refused sendmmsg; AF_UNIX paths as given). */
static void name_dest(struct dest *d, const struct sup_sock_facts *facts, char *buf, size_t size)
{
	struct sup_sockaddr_text t;
	size_t len = d->len;

	if (!d->present) {
		snprintf(buf, size, "(no address)");
		return;
	}
	sup_sockaddr_canonicalize(d->bytes, &len, facts);
	if (sup_sockaddr_decode(d->bytes, len, &t, NULL, 0) < 0 ||
	    sup_sockaddr_format(&t, buf, size) < 0)
		snprintf(buf, size, "(undecodable address of %u bytes)", (unsigned)d->len);
}

/* SECURITY: a sendmmsg naming several destinations is refused as a whole
 * (the emulation sends to one decided address); the refusal names the
 * destinations (bounded) so that the audit shows what was refused. */
static int refuse_mmsg(struct sup_decode_ctx *ctx, struct pol_action *a, struct dest *first,
		       struct other_dests *others, const struct sup_sock_facts *facts)
{
	char list[SUP_MMSG_NAMED * (SUP_SOCKADDR_TEXT_MAX + 2) + 64], one[SUP_SOCKADDR_TEXT_MAX + 32];
	size_t o = 0;
	int r;

	name_dest(first, facts, one, sizeof one);
	o += (size_t)snprintf(list + o, sizeof list - o, "%s", one);
	for (size_t i = 0; i < others->n && o < sizeof list; i++) {
		name_dest(&others->d[i], facts, one, sizeof one);
		o += (size_t)snprintf(list + o, sizeof list - o, ", %s", one);
	}
	if (others->more && o < sizeof list)
		snprintf(list + o, sizeof list - o, " (and up to %zu more)", others->more);
	if ((r = pol_strv_push(&a->args, list, strlen(list))) < 0 ||
	    (r = pol_action_set(&a->address, list)) < 0)
		return sup_decode_fail(ctx, r, "out of memory");
	sup_decode_fail(ctx, 0, "sendmmsg with differing destinations (%zu%s distinct) is not supported",
			others->n + 1, others->more ? "+" : "");
	return SUP_DECODE_REFUSED;
}

/* SECURITY: control data that names a source, a route or an identity
 * (cmsg.c) is refused, whatever the destination; the entry names the
 * destination and the refused kind. */
static int refuse_control(struct sup_decode_ctx *ctx, struct pol_action *a, struct dest *d,
			  const struct ctl_refusal *cr, const struct sup_sock_facts *facts)
{
	char one[SUP_SOCKADDR_TEXT_MAX + 32];
	bool mmsg = ctx->req->data.nr == SYS_sendmmsg;
	int r;

	if (!d->present && ctx->kept_fd >= 0) {
		/* a connected socket: name its peer */
		struct dest peer = { .len = sizeof peer.bytes };

		if (getpeername(ctx->kept_fd, (struct sockaddr *)peer.bytes, &peer.len) == 0 &&
		    peer.len > 0 && peer.len <= sizeof peer.bytes) {
			peer.present = true;
			*d = peer;
		}
	}
	name_dest(d, facts, one, sizeof one);
	if ((r = pol_strv_push(&a->args, one, strlen(one))) < 0 ||
	    (r = pol_action_set(&a->address, one)) < 0)
		return sup_decode_fail(ctx, r, "out of memory");
	if (mmsg)
		sup_decode_fail(ctx, 0, "control data refused in message %zu: %s", cr->index, cr->why);
	else
		sup_decode_fail(ctx, 0, "control data refused: %s", cr->why);
	return SUP_DECODE_REFUSED;
}

int sup_decode_net(struct sup_decode_ctx *ctx, struct pol_action **ret_action)
{
	bool is_connect = ctx->req->data.nr == SYS_connect;
	struct sup_sock_facts facts;
	struct other_dests others;
	struct ctl_refusal cr;
	struct sup_sockaddr_text t;
	struct pol_action *a = NULL;
	struct dest d;
	char args[SUP_SOCKADDR_TEXT_MAX + 32];
	long flags = 0;
	size_t len;
	int r;

	memset(&d, 0, sizeof(d));
	memset(&others, 0, sizeof(others));
	memset(&facts, 0, sizeof(facts));
	memset(&cr, 0, sizeof(cr));
	r = gather_dest(ctx, &d, &flags, &others, &cr);
	if (r != 0)
		return r;
	if (!is_connect) {
		r = sup_flags_check_send(flags, ctx->reason, ctx->reason_size);
		if (r < 0)
			return r;
	}
	r = socket_facts(ctx, (int)ctx->req->data.args[0], &facts);
	if (r != 0)
		return r;
	facts.is_connect = is_connect;
	a = pol_action_new(is_connect ? POL_ACTION_CONNECT : POL_ACTION_SENDTO);
	if (!a)
		return sup_decode_fail(ctx, -ENOMEM, "out of memory");
	a->socktype = facts.type;
	a->pid = ctx->tid;
	a->tgid = ctx->status.tgid;
	if ((r = pol_action_set(&a->function_name, is_connect ? "connect" : "sendto")) < 0) {
		r = sup_decode_fail(ctx, r, "out of memory");
		goto out;
	}
	if (cr.refused) {
		r = refuse_control(ctx, a, &d, &cr, &facts);
		if (r == SUP_DECODE_REFUSED) {
			*ret_action = a;
			return r;
		}
		goto out;
	}
	if (others.n) {
		r = refuse_mmsg(ctx, a, &d, &others, &facts);
		if (r == SUP_DECODE_REFUSED) {
			*ret_action = a;
			return r;
		}
		goto out;
	}
	if (!d.present) {
		*ret_action = a;
		return SUP_DECODE_NO_DESTINATION;
	}
	/* SECURITY: judge (and emulate) the address the kernel will reach,
	 * not the spelling: 0.0.0.0, ::, ::ffff:0.0.0.0, stray scope ids
	 * (docs/decode.md, "Canonical addresses"). */
	len = d.len;
	sup_sockaddr_canonicalize(d.bytes, &len, &facts);
	r = sup_sockaddr_decode(d.bytes, len, &t, ctx->reason, ctx->reason_size);
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
