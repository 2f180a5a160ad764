/*
 * Control data of emulated sends (cmsg.h): the table of forwarded and
 * refused ancillary data, the kernel's own walk over it, the bounded
 * read from the target, and the translation of SCM_RIGHTS descriptors.
 * Each entry follows the kernel code that consumes it on send
 * (net/core/scm.c __scm_send, net/core/sock.c __sock_cmsg_send,
 * net/ipv4/ip_sockglue.c ip_cmsg_send, net/ipv6/datagram.c
 * ip6_datagram_send_ctl, net/ipv4/udp.c udp_cmsg_send, crypto/af_alg.c
 * af_alg_cmsg_send); docs/decode.md, "Control data", has the reasons.
 */
#include "supervisor/run/cmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include "policy/pol_limits.h"
#include "supervisor/common/pidfd_compat.h"
#include "supervisor/run/target_mem.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME 61
#endif
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 4
#endif
#ifndef IPV6_2292PKTINFO
#define IPV6_2292PKTINFO 2
#define IPV6_2292HOPOPTS 3
#define IPV6_2292DSTOPTS 4
#define IPV6_2292RTHDR 5
#define IPV6_2292HOPLIMIT 8
#endif

enum kind { FORWARD, FDS, REFUSE };

struct rule {
	int level, type;
	enum kind kind;
	const char *name; /* for refusals: what it would do */
};

/* SECURITY: forwarded kinds neither change where the data goes nor are
 * checked against the caller's privileges beyond capabilities, which the
 * emulating thread holds only as far as the target does
 * (sup_creds_assume). Everything not listed is refused. */
static const struct rule rules[] = {
	{ SOL_SOCKET, SCM_RIGHTS, FDS, NULL },
	{ SOL_SOCKET, SCM_CREDENTIALS, REFUSE,
	  "SCM_CREDENTIALS (the kernel would check the claimed pid and ids against the supervisor)" },
	{ SOL_SOCKET, SCM_PIDFD, REFUSE, "SCM_PIDFD (not a send-side kind)" },
	{ SOL_SOCKET, SO_MARK, REFUSE, "SO_MARK (a routing mark: selects policy routes)" },
	{ SOL_SOCKET, SO_PRIORITY, FORWARD, NULL },
	{ SOL_SOCKET, SO_TIMESTAMPING_OLD, FORWARD, NULL },
	{ SOL_SOCKET, SO_TIMESTAMPING_NEW, FORWARD, NULL },
	{ SOL_SOCKET, SCM_TXTIME, FORWARD, NULL },
	{ SOL_SOCKET, SCM_TS_OPT_ID, FORWARD, NULL },
	{ SOL_IP, IP_TOS, FORWARD, NULL },
	{ SOL_IP, IP_TTL, FORWARD, NULL },
	{ SOL_IP, IP_PKTINFO, REFUSE, "IP_PKTINFO (chooses the source address and interface)" },
	{ SOL_IP, IP_RETOPTS, REFUSE, "IP_RETOPTS (IP options: a source route names the first hop)" },
	{ SOL_IP, IP_PROTOCOL, REFUSE, "IP_PROTOCOL (changes a raw socket's protocol)" },
	{ SOL_IPV6, IPV6_HOPLIMIT, FORWARD, NULL },
	{ SOL_IPV6, IPV6_2292HOPLIMIT, FORWARD, NULL },
	{ SOL_IPV6, IPV6_TCLASS, FORWARD, NULL },
	{ SOL_IPV6, IPV6_DONTFRAG, FORWARD, NULL },
	{ SOL_IPV6, IPV6_PKTINFO, REFUSE, "IPV6_PKTINFO (chooses the source address and interface)" },
	{ SOL_IPV6, IPV6_2292PKTINFO, REFUSE,
	  "IPV6_2292PKTINFO (chooses the source address and interface)" },
	{ SOL_IPV6, IPV6_NEXTHOP, REFUSE, "IPV6_NEXTHOP (chooses the next hop)" },
	{ SOL_IPV6, IPV6_RTHDR, REFUSE, "IPV6_RTHDR (a routing header names the first hop)" },
	{ SOL_IPV6, IPV6_2292RTHDR, REFUSE, "IPV6_2292RTHDR (a routing header names the first hop)" },
	{ SOL_IPV6, IPV6_HOPOPTS, REFUSE, "IPV6_HOPOPTS (extension header; needs CAP_NET_RAW)" },
	{ SOL_IPV6, IPV6_2292HOPOPTS, REFUSE, "IPV6_2292HOPOPTS (extension header; needs CAP_NET_RAW)" },
	{ SOL_IPV6, IPV6_DSTOPTS, REFUSE, "IPV6_DSTOPTS (extension header; needs CAP_NET_RAW)" },
	{ SOL_IPV6, IPV6_2292DSTOPTS, REFUSE, "IPV6_2292DSTOPTS (extension header; needs CAP_NET_RAW)" },
	{ SOL_IPV6, IPV6_RTHDRDSTOPTS, REFUSE, "IPV6_RTHDRDSTOPTS (extension header; needs CAP_NET_RAW)" },
	{ SOL_IPV6, IPV6_FLOWINFO, REFUSE, "IPV6_FLOWINFO (flow labels are not carried, docs/decode.md)" },
	{ SOL_UDP, UDP_SEGMENT, FORWARD, NULL },
	{ SOL_ALG, ALG_SET_IV, FORWARD, NULL },
	{ SOL_ALG, ALG_SET_OP, FORWARD, NULL },
	{ SOL_ALG, ALG_SET_AEAD_ASSOCLEN, FORWARD, NULL },
};

static const struct rule *find_rule(int level, int type)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (rules[i].level == level && rules[i].type == type)
			return &rules[i];
	return NULL;
}

/* The kernel's CMSG_ALIGN on a length already bounded by the buffer. */
static size_t align_len(size_t n)
{
	return (n + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1);
}

/* Walk as for_each_cmsghdr does: a header is read while one fits in
 * what is left; CMSG_OK rejects a length below the header or beyond the
 * buffer. fn is called on each; a non-zero return stops the walk. */
static int walk(const unsigned char *ctl, size_t len,
		int (*fn)(const struct cmsghdr *h, size_t off, void *arg), void *arg)
{
	size_t off = 0;
	int r;

	while (len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;

		memcpy(&h, ctl + off, sizeof h);
		if (h.cmsg_len < sizeof(struct cmsghdr) || h.cmsg_len > len - off)
			return -EINVAL;
		r = fn(&h, off, arg);
		if (r)
			return r;
		if (align_len(h.cmsg_len) >= len - off)
			break;
		off += align_len(h.cmsg_len);
	}
	return 0;
}

/* Descriptors in an SCM_RIGHTS cmsg, counted as scm_fp_copy does. */
static size_t fds_in(const struct cmsghdr *h)
{
	return (h->cmsg_len - sizeof(struct cmsghdr)) / sizeof(int);
}

static int check_one(const struct cmsghdr *h, size_t off, void *arg)
{
	struct sup_cmsg_check *out = arg;
	const struct rule *rule = find_rule(h->cmsg_level, h->cmsg_type);

	(void)off;
	if (!rule) {
		snprintf(out->why, sizeof out->why, "unknown control data (level %d, type %d)",
			 h->cmsg_level, h->cmsg_type);
		return -EPERM;
	}
	if (rule->kind == REFUSE) {
		snprintf(out->why, sizeof out->why, "%s", rule->name);
		return -EPERM;
	}
	if (rule->kind == FDS) {
		size_t n = fds_in(h);

		if (n > SUP_CMSG_MAX_FD || out->nfds + n > SUP_CMSG_MAX_FD)
			return -EINVAL; /* scm_fp_copy */
		out->nfds += n;
	}
	return 0;
}

int sup_cmsg_check(const unsigned char *ctl, size_t len, struct sup_cmsg_check *out)
{
	memset(out, 0, sizeof *out);
	return walk(ctl, len, check_one, out);
}

int sup_cmsg_read(pid_t tid, uint64_t addr, size_t len, unsigned char **ret)
{
	unsigned char *buf;
	int r;

	*ret = NULL;
	if (len > POL_TARGET_MAX_CONTROL)
		return -ENOBUFS;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	r = len ? sup_target_read(tid, addr, buf, len) : 0;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

struct take {
	unsigned char *ctl;
	int pidfd;
	int *fds;
	size_t *nfds;
};

static int take_one(const struct cmsghdr *h, size_t off, void *arg)
{
	struct take *t = arg;
	size_t n;

	if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
		return 0;
	n = fds_in(h);
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = t->ctl + off + sizeof(struct cmsghdr) + i * sizeof(int);
		int fd, copy;

		if (*t->nfds >= SUP_CMSG_MAX_FD)
			return -EINVAL; /* checked before: the buffer changed? */
		memcpy(&fd, p, sizeof fd);
		copy = (int)syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
		if (copy < 0)
			return errno == EBADF ? -EBADF : -errno;
		t->fds[(*t->nfds)++] = copy;
		memcpy(p, &copy, sizeof copy);
	}
	return 0;
}

int sup_cmsg_take_fds(pid_t tid, pid_t tgid, unsigned char *ctl, size_t len, int *fds,
		      size_t *nfds)
{
	struct take t = { .ctl = ctl, .fds = fds, .nfds = nfds };
	int r;

	*nfds = 0;
	/* the numbers are the calling thread's: a thread cloned without
	 * CLONE_FILES has its own table (PIDFD_THREAD, Linux 6.9; before
	 * that, the thread group's) */
	t.pidfd = sup_pidfd_open_caller(tid, tgid);
	if (t.pidfd < 0)
		return -ESRCH;
	r = walk(ctl, len, take_one, &t);
	close(t.pidfd);
	return r;
}

void sup_cmsg_close_fds(int *fds, size_t nfds)
{
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
