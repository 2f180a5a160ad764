/*
 * Shim-only mode, supervisor side (see shimgate.h): a listening
 * SOCK_SEQPACKET socket under a random abstract name, one connection and
 * one GATE_REQUEST per gated libc call, the verdict sent back on that
 * connection. Trusts the kernel's SCM_CREDENTIALS and /proc for who is asking;
 * the request itself is the sandbox's claim and goes through the same
 * bounded decoders as a seccomp notification.
 */
#include "supervisor/run/shimgate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct sup_shimgate {
	int fd;
	char name[64];       /* "attesta-gate-<32 hex>", without the leading NUL */
	char env_mode[32];
	char env_gate[96];
	char env_timeout[64];
	char *env[4];
	struct sup_shimgate_stats stats;
};

int sup_shimgate_new(struct sup_shimgate **ret_gate)
{
	struct sup_shimgate *g;
	struct sockaddr_un sun;
	unsigned char raw[16];
	socklen_t len;
	int rc;

	if (ret_gate == NULL)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->fd = -1;
	/* SECURITY: abstract names are visible to every process in the
	 * network namespace; 128 random bits keep outsiders from guessing
	 * it, and sup_shimgate_accept refuses peers outside the sandbox. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		rc = -EIO;
		goto fail;
	}
	memcpy(g->name, "attesta-gate-", 13);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(g->name + 13 + 2 * i, 3, "%02x", raw[i]);
	g->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (g->fd < 0) {
		rc = -errno;
		goto fail;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, g->name, strlen(g->name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(g->name));
	/* SO_PASSCRED (inherited by accepted sockets): every request carries
	 * its sender's pid, checked by the kernel at send time. */
	if (setsockopt(g->fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0 ||
	    bind(g->fd, (struct sockaddr *)&sun, len) < 0 || listen(g->fd, 128) < 0) {
		rc = -errno;
		goto fail;
	}
	*ret_gate = g;
	return 0;
fail:
	sup_shimgate_free(g);
	return rc;
}

void sup_shimgate_free(struct sup_shimgate *gate)
{
	if (gate == NULL)
		return;
	if (gate->fd >= 0)
		close(gate->fd);
	free(gate);
}

int sup_shimgate_fd(const struct sup_shimgate *gate)
{
	return gate != NULL ? gate->fd : -1;
}

char *const *sup_shimgate_env(struct sup_shimgate *gate, unsigned timeout_s)
{
	snprintf(gate->env_mode, sizeof(gate->env_mode), SHIM_ENV_MODE "=gate");
	snprintf(gate->env_gate, sizeof(gate->env_gate), SHIM_ENV_GATE "=@%s", gate->name);
	snprintf(gate->env_timeout, sizeof(gate->env_timeout), SHIM_ENV_GATE_TIMEOUT "=%u",
		 timeout_s > 0 ? timeout_s : 3600);
	gate->env[0] = gate->env_mode;
	gate->env[1] = gate->env_gate;
	gate->env[2] = gate->env_timeout;
	gate->env[3] = NULL;
	return gate->env;
}

/* Parent pid of pid from /proc/PID/stat, 0 if unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	ssize_t n;
	char *close_paren;
	long ppid;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) S PPID ...": COMM may contain anything, even ')'. */
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1 || ppid < 0)
		return 0;
	return (pid_t)ppid;
}

/* Is pid a descendant of this process (a child, or re-parented to us as
 * the sandbox's subreaper)? */
static bool descendant(pid_t pid)
{
	pid_t self = getpid();

	for (int depth = 0; depth < 256 && pid > 1; depth++) {
		pid_t parent = parent_of(pid);

		if (parent == self)
			return true;
		pid = parent;
	}
	return false;
}

int sup_shimgate_accept(struct sup_shimgate *gate, int *ret_conn)
{
	int conn;

	if (gate == NULL || ret_conn == NULL)
		return -EINVAL;
	conn = accept4(gate->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	gate->stats.accepted++;
	*ret_conn = conn;
	return 0;
}

/* The kernel's sender pid of a datagram (0 if none); closes any passed
 * descriptors. */
static pid_t sender_of(struct msghdr *msg)
{
	pid_t pid = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			pid = uc.pid;
		} else if (c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0)) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < nfd; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				if (fd >= 0)
					close(fd);
			}
		}
	}
	return pid;
}

int sup_shimgate_read(struct sup_shimgate *gate, int conn, struct shim_gate_request *ret_req)
{
	unsigned char buf[POL_SHIM_MAX_MSG + 1];
	union {
		char bytes[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
			      .msg_controllen = sizeof(control.bytes) };
	struct shim_gate_request req;
	char path[64];
	struct stat st;
	ssize_t n;
	pid_t sender;
	int rc;

	if (gate == NULL || conn < 0 || ret_req == NULL)
		return -EINVAL;
	do
		n = recvmsg(conn, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	sender = sender_of(&msg);
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > POL_SHIM_MAX_MSG)
		return -EMSGSIZE;
	rc = sup_shim_parse_gate(buf, (size_t)n, &req);
	if (rc < 0)
		return rc;
	/* SECURITY: the kernel says which process sent the request (at send
	 * time: SO_PEERCRED would name whoever connected, which is an outer
	 * supervisor when the connect itself was emulated). It must be in
	 * the sandbox, and the request must be about one of its threads,
	 * whose memory the decoders then read. */
	if (sender <= 0 || req.hdr.pid != sender || !descendant(sender)) {
		gate->stats.refused++;
		return -EPERM;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)sender, (int)req.hdr.tid);
	if (stat(path, &st) < 0) {
		gate->stats.refused++;
		return -EPERM;
	}
	*ret_req = req;
	return 0;
}

void sup_shimgate_to_notif(const struct shim_gate_request *req, uint64_t id,
			   struct seccomp_notif *ret_notif)
{
	struct seccomp_notif n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	n.pid = (__u32)req->hdr.tid;
	n.data.nr = req->nr;
	n.data.arch = AUDIT_ARCH_X86_64;
	for (int i = 0; i < 6; i++)
		n.data.args[i] = req->args[i];
	*ret_notif = n;
}

int sup_shimgate_answer(int conn, const struct shim_gate_request *req, int allow, int error)
{
	struct shim_gate_verdict v;
	ssize_t n;

	if (conn < 0 || req == NULL)
		return -EINVAL;
	sup_shim_gate_verdict(req, allow, error, &v);
	do
		n = send(conn, &v, sizeof(v), MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(v) ? 0 : -EIO;
}

void sup_shimgate_stats(const struct sup_shimgate *gate, struct sup_shimgate_stats *ret_stats)
{
	if (gate != NULL && ret_stats != NULL)
		*ret_stats = gate->stats;
}

void sup_shimgate_note_garbage(struct sup_shimgate *gate)
{
	if (gate != NULL)
		gate->stats.garbage++;
}

int sup_shimgate_ask(const struct sup_shimgate *gate, uint8_t entry, int nr, const uint64_t args[6],
		     const char *text)
{
	struct shim_gate_request req;
	struct shim_gate_verdict v;
	unsigned char buf[sizeof(v) + 1];
	struct sockaddr_un sun;
	size_t nlen, tlen;
	ssize_t n;
	int s, result = ENOSYS;

	if (gate == NULL)
		return ENOSYS;
	memset(&req, 0, sizeof(req));
	req.hdr.magic = SHIM_PROTO_MAGIC;
	req.hdr.version = SHIM_PROTO_VERSION;
	req.hdr.type = SHIM_MSG_GATE_REQUEST;
	req.hdr.size = sizeof(req);
	req.hdr.tid = (int32_t)gettid();
	req.hdr.pid = (int32_t)getpid();
	req.request_id = 1;
	req.entry = entry;
	req.nr = nr;
	for (int i = 0; i < 6; i++)
		req.args[i] = args[i];
	tlen = text != NULL ? strnlen(text, SHIM_GATE_MAX_TEXT + 1) : 0;
	if (tlen > SHIM_GATE_MAX_TEXT) {
		tlen = SHIM_GATE_MAX_TEXT;
		req.flags |= SHIM_CALL_TEXT_TRUNCATED;
	}
	memcpy(req.text, text != NULL ? text : "", tlen);
	req.text_len = (uint16_t)tlen;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	nlen = strlen(gate->name);
	memcpy(sun.sun_path + 1, gate->name, nlen);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ENOSYS;
	if (connect(s, (struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nlen)) < 0 ||
	    send(s, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		goto out;
	do
		n = recv(s, buf, sizeof(buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(v))
		goto out;
	memcpy(&v, buf, sizeof(v));
	if (v.hdr.magic != SHIM_PROTO_MAGIC || v.hdr.type != SHIM_MSG_GATE_VERDICT ||
	    v.request_id != req.request_id)
		goto out;
	if (v.decision == SHIM_GATE_ALLOW && v.error == 0)
		result = 0;
	else if (v.decision == SHIM_GATE_DENY && v.error >= 1 && v.error <= 4095)
		result = v.error;
out:
	close(s);
	return result;
}
