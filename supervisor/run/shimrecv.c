/*
 * Receive path of the shim's annotations (see shimrecv.h): the socketpair
 * and PROG's environment, a bounded non-blocking drain into the per-tid
 * table, and the annotation of decoded actions with the libc entry point
 * and a host name that the supervisor verifies itself. Every datagram is
 * the sandbox's and hostile; only the kernel's SCM_CREDENTIALS pid, the
 * kernel's syscall arguments (already in the action) and our own
 * resolver are trusted.
 */
#include "supervisor/run/shimrecv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct sup_shimrecv {
	int fd;       /* ours: non-blocking, SO_PASSCRED */
	int child_fd; /* PROG's, until the parent closes it */
	struct sup_shim_table *table;
	struct sup_hostverify *hv;
	struct sup_shimrecv_stats stats;
};

uint64_t sup_shimrecv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int sup_shimrecv_new(const struct sup_shim_table_opts *topts, const struct sup_hostverify_opts *hopts,
		     struct sup_shimrecv **ret_recv)
{
	struct sup_shimrecv *r;
	int sv[2], one = 1, rc;

	if (ret_recv == NULL)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->fd = r->child_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto fail;
	}
	r->fd = sv[0];
	r->child_fd = sv[1];
	/* SECURITY: the kernel attaches the sender's real pid to every
	 * datagram; a process cannot speak for another (the table refuses a
	 * message whose pid field differs). */
	if (setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    fcntl(r->fd, F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The sandbox's end queues what the supervisor has not read yet
	 * (the main thread drains at most once per 10 ms, shimloop.c): a
	 * larger send buffer than the default (~200 datagrams) for a burst
	 * of RESOLVE messages; SO_SNDBUFFORCE needs CAP_NET_ADMIN, else the
	 * system's maximum. A failure only keeps the default. */
	int sndbuf = SUP_SHIMRECV_SNDBUF;
	if (setsockopt(r->child_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
		(void)setsockopt(r->child_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if ((rc = sup_shim_table_new(topts, &r->table)) < 0)
		goto fail;
	if ((rc = sup_hostverify_new(hopts, &r->hv)) < 0)
		goto fail;
	*ret_recv = r;
	return 0;
fail:
	sup_shimrecv_free(r);
	return rc;
}

void sup_shimrecv_free(struct sup_shimrecv *recv)
{
	if (recv == NULL)
		return;
	if (recv->fd >= 0)
		close(recv->fd);
	if (recv->child_fd >= 0)
		close(recv->child_fd);
	sup_shim_table_free(recv->table);
	sup_hostverify_free(recv->hv);
	free(recv);
}

int sup_shimrecv_fd(const struct sup_shimrecv *recv)
{
	return recv != NULL ? recv->fd : -1;
}

int sup_shimrecv_child_fd(const struct sup_shimrecv *recv)
{
	return recv != NULL ? recv->child_fd : -1;
}

static int usable_preload_path(const char *path)
{
	struct stat st;

	if (path[0] != '/' || strpbrk(path, ": \t\n") != NULL)
		return -EINVAL;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

int sup_shimrecv_find_preload(char **ret_path)
{
	const char *env = getenv("ATTESTA_PRELOAD_LIB");
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n;
	char *slash, *copy;
	int rc;

	if (env != NULL && *env != '\0') {
		rc = usable_preload_path(env);
		if (rc < 0)
			return rc == -ENOENT ? -ENOENT : -EINVAL;
		copy = strdup(env);
		if (copy == NULL)
			return -ENOMEM;
		*ret_path = copy;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	rc = -ENOENT;
	for (int i = 0; i < 2; i++) {
		snprintf(cand, sizeof(cand), i == 0 ? "%s/" SHIM_LIB_NAME : "%s/../lib/attesta/" SHIM_LIB_NAME,
			 exe);
		char real[PATH_MAX];

		if (realpath(cand, real) == NULL)
			continue;
		rc = usable_preload_path(real);
		if (rc == 0) {
			copy = strdup(real);
			if (copy == NULL)
				return -ENOMEM;
			*ret_path = copy;
			return 0;
		}
	}
	return rc == -ENOENT ? -ENOENT : -EINVAL;
}

static int ours(const char *entry)
{
	static const char *const names[] = { "LD_PRELOAD=", SHIM_ENV_FD "=", SHIM_ENV_MODE "=",
					     SHIM_ENV_GATE "=", SHIM_ENV_GATE_TIMEOUT "=" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* "LD_PRELOAD=<preload>[:<other entries of old, minus our library>]". */
static char *preload_var(const char *preload, const char *old)
{
	size_t cap = strlen("LD_PRELOAD=") + strlen(preload) + (old ? strlen(old) : 0) + 2;
	char *v = malloc(cap), *w;
	const size_t namelen = strlen(SHIM_LIB_NAME);

	if (v == NULL)
		return NULL;
	w = v + snprintf(v, cap, "LD_PRELOAD=%s", preload);
	while (old != NULL && *old != '\0') {
		size_t len = strcspn(old, ": \t");

		if (len > 0 &&
		    !(len >= namelen && memcmp(old + len - namelen, SHIM_LIB_NAME, namelen) == 0 &&
		      (len == namelen || old[len - namelen - 1] == '/'))) {
			*w++ = ':';
			memcpy(w, old, len);
			w += len;
		}
		old += len;
		old += strspn(old, ": \t");
	}
	*w = '\0';
	return v;
}

int sup_shimrecv_child_env(const struct sup_shimrecv *recv, char *const *base, const char *preload,
			   char *const *gate_env, char ***ret_env)
{
	size_t nbase = 0, ngate = 0, n = 0;
	const char *old_preload = NULL;
	char **env;
	char fdvar[64];

	if (recv == NULL || preload == NULL || recv->child_fd < 0 || ret_env == NULL)
		return -EINVAL;
	while (base != NULL && base[nbase] != NULL) {
		if (strncmp(base[nbase], "LD_PRELOAD=", 11) == 0)
			old_preload = base[nbase] + 11;
		nbase++;
	}
	while (gate_env != NULL && gate_env[ngate] != NULL)
		ngate++;
	env = calloc(nbase + ngate + 3, sizeof(*env));
	if (env == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nbase; i++) {
		if (ours(base[i]))
			continue;
		if ((env[n++] = strdup(base[i])) == NULL)
			goto nomem;
	}
	snprintf(fdvar, sizeof(fdvar), SHIM_ENV_FD "=%d", recv->child_fd);
	if ((env[n++] = strdup(fdvar)) == NULL)
		goto nomem;
	if ((env[n++] = preload_var(preload, old_preload)) == NULL)
		goto nomem;
	for (size_t i = 0; i < ngate; i++)
		if ((env[n++] = strdup(gate_env[i])) == NULL)
			goto nomem;
	*ret_env = env;
	return 0;
nomem:
	sup_shimrecv_env_free(env);
	return -ENOMEM;
}

void sup_shimrecv_env_free(char **env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

int sup_shimrecv_child_prepare(const struct sup_shimrecv *recv)
{
	if (recv == NULL || recv->child_fd < 0)
		return -EINVAL;
	return fcntl(recv->child_fd, F_SETFD, 0) < 0 ? -errno : 0;
}

void sup_shimrecv_parent_after_fork(struct sup_shimrecv *recv)
{
	if (recv != NULL && recv->child_fd >= 0) {
		close(recv->child_fd);
		recv->child_fd = -1;
	}
}

/* Close every descriptor a datagram carried: we never use them, and
 * keeping them would let the agent exhaust our descriptor table. */
static void close_passed_fds(struct sup_shimrecv *r, struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (fd >= 0) {
				close(fd);
				r->stats.fds_closed++;
			}
		}
	}
}

static pid_t sender_of(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			return uc.pid;
		}
	}
	return 0;
}

/* One datagram read by sup_shimrecv_drain(): n bytes (MSG_TRUNC: the
 * datagram's real length) into buf. */
static void take_one(struct sup_shimrecv *recv, const unsigned char *buf, size_t n,
		     struct msghdr *msg, uint64_t now_ms)
{
	struct sup_shim_msg parsed;

	recv->stats.received++;
	close_passed_fds(recv, msg);
	pid_t sender = sender_of(msg);
	if (n > POL_SHIM_MAX_MSG) {
		recv->stats.oversized++;
		sup_shim_table_note_garbage(recv->table);
		return;
	}
	if (sender <= 0) {
		recv->stats.no_credentials++;
		sup_shim_table_note_garbage(recv->table);
		return;
	}
	if (sup_shim_parse(buf, n, &parsed) < 0) {
		sup_shim_table_note_garbage(recv->table);
		return;
	}
	/* -EAGAIN (rate limit) and -EPERM (sender mismatch) are counted by
	 * the table; the message is dropped. */
	(void)sup_shim_table_add(recv->table, &parsed, sender, now_ms);
}

/* Datagrams read per recvmmsg: a batch that comes back short means the
 * queue was empty, so the usual drain (one CALL) is one system call, not
 * a read and an EAGAIN. */
#define DRAIN_BATCH 4

int sup_shimrecv_drain(struct sup_shimrecv *recv, uint64_t now_ms)
{
	/* One byte more than the largest message, and MSG_TRUNC: an
	 * oversized datagram is seen as oversized. */
	unsigned char buf[DRAIN_BATCH][POL_SHIM_MAX_MSG + 1];
	union {
		char bytes[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} control[DRAIN_BATCH];
	struct iovec iov[DRAIN_BATCH];
	struct mmsghdr m[DRAIN_BATCH];
	int count = 0;

	if (recv == NULL || recv->fd < 0)
		return -EINVAL;
	while (count < SUP_SHIMRECV_DRAIN_MAX) {
		const int want = SUP_SHIMRECV_DRAIN_MAX - count < DRAIN_BATCH
					 ? SUP_SHIMRECV_DRAIN_MAX - count
					 : DRAIN_BATCH;

		for (int i = 0; i < want; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = sizeof buf[i] };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
							       .msg_control = control[i].bytes,
							       .msg_controllen = sizeof control[i].bytes } };
		}
		int got = recvmmsg(recv->fd, m, (unsigned)want, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC,
				   NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		for (int i = 0; i < got; i++) {
			/* no datagram (a zero-length one still has credentials) */
			if (m[i].msg_len == 0 && m[i].msg_hdr.msg_controllen == 0)
				return count;
			count++;
			take_one(recv, buf[i], m[i].msg_len, &m[i].msg_hdr, now_ms);
		}
		if (got < want)
			break; /* the queue was empty */
	}
	return count;
}

/* The action's numeric address as a shim address (family, bytes). An
 * IPv6 scope ("%2") is dropped; v4-mapped addresses arrive as IPv4 text
 * (sockaddr.h). 0 if it is not an IP address. */
static int action_addr(const struct pol_action *a, struct shim_addr *out)
{
	char text[INET6_ADDRSTRLEN + 1];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (a->address == NULL || (a->family != AF_INET && a->family != AF_INET6))
		return 0;
	len = strcspn(a->address, "%");
	if (len >= sizeof(text))
		return 0;
	memcpy(text, a->address, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = SHIM_AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = SHIM_AF_INET6;
		return 1;
	}
	return 0;
}

/* Does a call annotation that named a destination name this one? */
static int call_matches(const struct shim_call_msg *c, const struct shim_addr *addr,
			uint16_t port_host)
{
	if (!(c->flags & SHIM_CALL_HAS_ADDR))
		return 1;
	return c->addr.family == addr->family &&
	       memcmp(c->addr.addr, addr->addr, sizeof(addr->addr)) == 0 &&
	       ntohs(c->addr.port) == port_host;
}

static int annotate_net(struct sup_shimrecv *r, struct pol_action *a, int nr, pid_t tid,
			uint64_t now_ms)
{
	struct shim_call_msg call;
	struct shim_addr addr, v4;
	char name[POL_SHIM_MAX_HOST + 1];
	uint32_t mask = nr == SYS_connect ? SUP_SHIM_MASK_CONNECT
		      : nr == SYS_sendto  ? SUP_SHIM_MASK_SENDTO
					  : SUP_SHIM_MASK_SENDMSG;
	int have_addr = action_addr(a, &addr), rc;

	if (sup_shim_table_take_call(r->table, tid, mask, now_ms, &call) == 0 &&
	    (!have_addr || call_matches(&call, &addr, a->port))) {
		if ((rc = pol_action_set(&a->libc_entry, sup_shim_entry_name(call.entry))) < 0)
			return rc;
		r->stats.annotated_calls++;
	}
	if (!have_addr || a->tgid <= 0)
		return 0;
	rc = sup_shim_table_lookup_name(r->table, a->tgid, tid, &addr, now_ms, name, sizeof(name));
	if (rc == -ENOENT && addr.family == SHIM_AF_INET6) {
		/* unreachable today (v4-mapped arrives as IPv4 text), kept
		 * for a decoder that reports the IPv6 form */
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(addr.addr, mapped, sizeof(mapped)) == 0) {
			memset(&v4, 0, sizeof(v4));
			v4.family = SHIM_AF_INET;
			memcpy(v4.addr, addr.addr + 12, 4);
			rc = sup_shim_table_lookup_name(r->table, a->tgid, tid, &v4, now_ms, name,
							sizeof(name));
		}
	}
	if (rc < 0)
		return 0; /* the shim named nothing for this address */
	/* SECURITY (docs/SECURITY.md): the name is the agent's claim. Only our
	 * own resolution containing the kernel's address verifies it. */
	rc = sup_hostverify_check(r->hv, name, &addr);
	a->host_verified = rc == SUP_HOSTVERIFY_MATCH;
	if (a->host_verified)
		r->stats.names_verified++;
	else
		r->stats.names_unverified++;
	return pol_action_set(&a->host, name);
}

static int annotate_exec(struct sup_shimrecv *r, struct pol_action *a, pid_t tid, uint64_t now_ms)
{
	struct shim_call_msg call;
	int rc = sup_shim_table_take_call(r->table, tid, SUP_SHIM_MASK_EXEC | SUP_SHIM_MASK_SPAWN,
					  now_ms, &call);

	/* posix_spawn, system and popen exec in a clone(CLONE_VM|CLONE_VFORK)
	 * child the shim cannot see: the annotation is its parent's. */
	if (rc < 0 && a->ppid > 0)
		rc = sup_shim_table_take_call_by_pid(r->table, a->ppid, SUP_SHIM_MASK_SPAWN, now_ms,
						     &call);
	if (rc < 0)
		return 0;
	if ((rc = pol_action_set(&a->libc_entry, sup_shim_entry_name(call.entry))) < 0)
		return rc;
	r->stats.annotated_calls++;
	if (call.entry == SHIM_ENTRY_SYSTEM || call.entry == SHIM_ENTRY_POPEN)
		return pol_action_set(&a->libc_command, call.text);
	return 0;
}

bool sup_shimrecv_annotates(int nr)
{
	switch (nr) {
	case SYS_connect:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
	case SYS_execve:
	case SYS_execveat:
		return true;
	default:
		return false;
	}
}

int sup_shimrecv_annotate(struct sup_shimrecv *recv, struct pol_action *action, int nr, pid_t tid,
			  uint64_t now_ms)
{
	if (recv == NULL || action == NULL || tid <= 0)
		return -EINVAL;
	switch (nr) {
	case SYS_connect:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
		return annotate_net(recv, action, nr == SYS_sendmmsg ? SYS_sendmsg : nr, tid, now_ms);
	case SYS_execve:
	case SYS_execveat:
		return annotate_exec(recv, action, tid, now_ms);
	default:
		return 0;
	}
}

void sup_shimrecv_stats(const struct sup_shimrecv *recv, struct sup_shimrecv_stats *ret_stats)
{
	if (recv == NULL || ret_stats == NULL)
		return;
	*ret_stats = recv->stats;
	sup_shim_table_stats(recv->table, &ret_stats->table);
}
