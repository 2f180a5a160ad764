/*
 * Test receiver for libattesta-preload.so messages: a stand-in for
 * attesta-run's end of the shim socket. It creates a SOCK_SEQPACKET
 * socketpair, exports one end's number in ATTESTA_SHIM_FD, runs a command
 * and writes one line per received datagram to a file (never to the
 * command's stdout, so tests can compare that with a native run). It
 * exits with the command's status. Trusts nothing it receives: it checks
 * length and magic before printing and prints strings bounded.
 *
 *   shim_recv [-o FILE] [-m seqpacket|stream|file|none] -- CMD [ARG...]
 *
 * -m picks what ATTESTA_SHIM_FD names: a good socket (default), a stream
 * socket, a regular file, or a closed descriptor (the shim must then pass
 * everything through).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/common/shim_proto.h"

static const char *entry_name(unsigned e)
{
	static const char *const names[] = {
		"?", "connect", "sendto", "execve", "execv", "execvp", "execvpe", "execl",
		"execlp", "execle", "posix_spawn", "posix_spawnp", "system", "popen",
		"unlink", "unlinkat", "rmdir", "remove", "sendmsg",
	};

	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

static const char *api_name(unsigned a)
{
	static const char *const names[] = {
		"?", "getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r",
		"gethostbyname2_r",
	};

	return a <= SHIM_API_MAX ? names[a] : "?";
}

static void print_addr(FILE *out, const struct shim_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	int af = a->family == SHIM_AF_INET ? AF_INET : AF_INET6;

	if (inet_ntop(af, a->addr, buf, sizeof(buf)) == NULL)
		snprintf(buf, sizeof(buf), "?");
	if (a->port != 0)
		fprintf(out, af == AF_INET6 ? "[%s]:%u" : "%s:%u", buf, ntohs(a->port));
	else
		fprintf(out, "%s", buf);
}

static void dump(FILE *out, const unsigned char *buf, ssize_t len)
{
	struct shim_hdr h;

	if (len < (ssize_t)sizeof(h)) {
		fprintf(out, "garbage len=%zd\n", len);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != SHIM_PROTO_MAGIC || h.version != SHIM_PROTO_VERSION || h.size != (uint32_t)len) {
		fprintf(out, "garbage len=%zd\n", len);
		return;
	}
	if (h.type == SHIM_MSG_RESOLVE && len == sizeof(struct shim_resolve_msg)) {
		struct shim_resolve_msg m;

		memcpy(&m, buf, sizeof(m));
		m.name[POL_SHIM_MAX_HOST] = '\0';
		fprintf(out, "resolve pid=%d tid=%d api=%s name=%s addrs=", h.pid, h.tid,
			api_name(m.api), m.name);
		for (unsigned i = 0; i < m.naddr && i < SHIM_MAX_ADDRS; i++) {
			if (i > 0)
				fputc(',', out);
			print_addr(out, &m.addr[i]);
		}
		fprintf(out, " flags=%u\n", m.flags);
	} else if (h.type == SHIM_MSG_CALL && len == sizeof(struct shim_call_msg)) {
		struct shim_call_msg m;

		memcpy(&m, buf, sizeof(m));
		m.text[SHIM_MAX_TEXT] = '\0';
		fprintf(out, "call pid=%d tid=%d entry=%s fd=%d flags=%u", h.pid, h.tid,
			entry_name(m.entry), m.fd, m.flags);
		if (m.flags & SHIM_CALL_HAS_ADDR) {
			fprintf(out, " addr=");
			print_addr(out, &m.addr);
		}
		fprintf(out, " text_len=%u text=%s\n", m.text_len, m.text);
	} else {
		fprintf(out, "garbage len=%zd\n", len);
	}
}

static void drain(int fd, FILE *out, int flags)
{
	unsigned char buf[POL_SHIM_MAX_MSG + 64];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), flags | MSG_TRUNC);

		if (n <= 0)
			return;
		dump(out, buf, n);
		if (flags & MSG_DONTWAIT)
			continue;
		return;
	}
}

int main(int argc, char **argv)
{
	const char *outpath = NULL, *mode = "seqpacket";
	int sv[2] = { -1, -1 }, childfd = -1, opt, status = 0;
	FILE *out = stderr;
	char num[16];
	pid_t pid;

	while ((opt = getopt(argc, argv, "+o:m:")) != -1) {
		if (opt == 'o')
			outpath = optarg;
		else if (opt == 'm')
			mode = optarg;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: shim_recv [-o FILE] [-m MODE] -- CMD [ARG...]\n");
		return 2;
	}
	if (outpath != NULL && (out = fopen(outpath, "we")) == NULL) {
		perror(outpath);
		return 2;
	}
	if (strcmp(mode, "seqpacket") == 0 || strcmp(mode, "stream") == 0) {
		int type = mode[1] == 'e' ? SOCK_SEQPACKET : SOCK_STREAM;

		if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
			perror("socketpair");
			return 2;
		}
		childfd = fcntl(sv[1], F_DUPFD, 10); /* inheritable copy */
		close(sv[1]);
	} else if (strcmp(mode, "file") == 0) {
		childfd = open("/dev/null", O_WRONLY); /* inheritable on purpose */
	} else {
		childfd = 57; /* "none": a number nothing has open */
	}
	snprintf(num, sizeof(num), "%d", childfd);
	setenv(SHIM_ENV_FD, num, 1);
	fflush(out);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	if (childfd >= 0 && strcmp(mode, "none") != 0)
		close(childfd);
	for (;;) {
		if (sv[0] >= 0) {
			struct pollfd p = { .fd = sv[0], .events = POLLIN };

			if (poll(&p, 1, 50) > 0 && (p.revents & POLLIN))
				drain(sv[0], out, 0);
		}
		if (waitpid(pid, &status, sv[0] >= 0 ? WNOHANG : 0) == pid)
			break;
	}
	if (sv[0] >= 0)
		drain(sv[0], out, MSG_DONTWAIT);
	fclose(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
