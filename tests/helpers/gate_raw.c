/*
 * gate_raw: makes gated calls with raw syscall(2), bypassing every libc
 * wrapper, and prints what the kernel answered. Used by the integration
 * tests to show the gate holds calls that no preload library could see.
 *
 *   gate_raw unlink PATH | unlinkat PATH | rmdir PATH
 *   gate_raw connect IPV4 PORT          TCP connect
 *   gate_raw sendto IPV4 PORT MSG       UDP sendto with an address
 *   gate_raw sendmsg IPV4 PORT MSG      UDP sendmsg with msg_name
 *   gate_raw exec PATH [ARG...]         raw execve
 *   gate_raw x32-unlink PATH            unlink with the x32 bit (must be killed)
 *   gate_raw i386-unlink PATH           unlink through int 0x80 (must be killed)
 *
 * Prints "ok" or "errno=N STRING" and exits 0 or 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static int report(long rc)
{
	if (rc < 0) {
		int e = errno;
		printf("errno=%d %s\n", e, strerror(e));
		fflush(stdout);
		return 1;
	}
	printf("ok\n");
	fflush(stdout);
	return 0;
}

static int inet_addr_of(const char *ip, const char *port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gate_raw OP ARGS...\n");
		return 2;
	}
	const char *op = argv[1];
	if (!strcmp(op, "unlink"))
		return report(syscall(SYS_unlink, argv[2]));
	if (!strcmp(op, "unlinkat"))
		return report(syscall(SYS_unlinkat, AT_FDCWD, argv[2], 0));
	if (!strcmp(op, "rmdir"))
		return report(syscall(SYS_rmdir, argv[2]));
	if (!strcmp(op, "x32-unlink"))
		return report(syscall(0x40000000L | SYS_unlink, argv[2]));
	if (!strcmp(op, "i386-unlink")) {
#if defined(__x86_64__)
		/* i386 unlink is 10; the pointer must fit in 32 bits. */
		static char low[256];
		snprintf(low, sizeof low, "%s", argv[2]);
		long rc;
		__asm__ volatile("int $0x80" : "=a"(rc) : "a"(10L), "b"((long)(unsigned long)low)
				 : "memory");
		if (rc < 0) {
			errno = (int)-rc;
			return report(-1);
		}
		return report(0);
#else
		return 2;
#endif
	}
	if (!strcmp(op, "exec")) {
		syscall(SYS_execve, argv[2], argv + 2, environ);
		return report(-1);
	}
	if (argc < 4) {
		fprintf(stderr, "usage: gate_raw %s IPV4 PORT\n", op);
		return 2;
	}
	struct sockaddr_in sin;
	if (inet_addr_of(argv[2], argv[3], &sin) < 0) {
		fprintf(stderr, "gate_raw: bad address\n");
		return 2;
	}
	if (!strcmp(op, "connect")) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return report(syscall(SYS_connect, fd, &sin, sizeof sin));
	}
	const char *msg = argc > 4 ? argv[4] : "hello";
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!strcmp(op, "sendto"))
		return report(syscall(SYS_sendto, fd, msg, strlen(msg), 0, &sin, sizeof sin));
	if (!strcmp(op, "sendmsg")) {
		struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
		struct msghdr mh = { .msg_name = &sin, .msg_namelen = sizeof sin,
				     .msg_iov = &iov, .msg_iovlen = 1 };
		return report(syscall(SYS_sendmsg, fd, &mh, 0));
	}
	fprintf(stderr, "gate_raw: unknown op '%s'\n", op);
	return 2;
}
