/*
 * Shim-only mode, supervisor side (see shimgate.h): a listening
 * SOCK_SEQPACKET socket under a random abstract name, one connection and
 * one GATE_REQUEST per gated libc call, the verdict sent back on that
 * connection. Trusts the kernel's SO_PEERCRED and /proc for who is asking;
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
	if (bind(g->fd, (struct sockaddr *)&sun, len) < 0 || listen(g->fd, 128) < 0) {
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

int sup_shimgate_accept(struct sup_shimgate *gate, int *ret_conn, pid_t *ret_peer)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int conn;

	if (gate == NULL || ret_conn == NULL || ret_peer == NULL)
		return -EINVAL;
	conn = accept4(gate->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || uc.pid <= 0 ||
	    !descendant(uc.pid)) {
		/* Closing the connection fails the asker's call (ENOSYS). */
		close(conn);
		gate->stats.refused++;
		return -EPERM;
	}
	gate->stats.accepted++;
	*ret_conn = conn;
	*ret_peer = uc.pid;
	return 0;
}

int sup_shimgate_read(int conn, pid_t peer, struct shim_gate_request *ret_req)
{
	unsigned char buf[POL_SHIM_MAX_MSG + 1];
	struct shim_gate_request req;
	char path[64];
	struct stat st;
	ssize_t n;
	int rc;

	if (conn < 0 || ret_req == NULL)
		return -EINVAL;
	do
		n = recv(conn, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > POL_SHIM_MAX_MSG)
		return -EMSGSIZE;
	rc = sup_shim_parse_gate(buf, (size_t)n, &req);
	if (rc < 0)
		return rc;
	/* SECURITY: the kernel says who connected; the request must be about
	 * a thread of that process, whose memory the decoders then read. */
	if (req.hdr.pid != peer)
		return -EPERM;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)peer, (int)req.hdr.tid);
	if (stat(path, &st) < 0)
		return -EPERM;
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
