/*
 * A network client for the host-verification tests (issue 7):
 *
 *   shim_netclient connect NAME PORT   getaddrinfo(NAME) through libc (the
 *                                      shim reports the answer), then
 *                                      connect to its first address
 *   shim_netclient lie NAME ADDR PORT  an agent that lies: write a forged
 *                                      RESOLVE annotation "NAME resolved to
 *                                      ADDR" straight onto ATTESTA_SHIM_FD
 *                                      (no getaddrinfo at all), then
 *                                      connect to ADDR:PORT
 *
 * Prints "connect ADDR:PORT rc=R errno=E"; exits 0 when the connect call
 * was made (whatever its result), 2 on usage or setup errors. IPv4 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/common/shim_proto.h"

static int do_connect(const struct in_addr *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr = *addr };
	char txt[INET_ADDRSTRLEN];
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, err;

	if (s < 0)
		return 2;
	rc = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	inet_ntop(AF_INET, addr, txt, sizeof(txt));
	printf("connect %s:%d rc=%d errno=%s\n", txt, port, rc, rc < 0 ? strerrorname_np(err) : "-");
	close(s);
	return 0;
}

static int lie(const char *name, const char *addr_text, int port)
{
	struct shim_resolve_msg m;
	struct in_addr addr;
	const char *fd_text = getenv(SHIM_ENV_FD);
	size_t len = strlen(name);

	if (inet_pton(AF_INET, addr_text, &addr) != 1 || len == 0 || len > POL_SHIM_MAX_HOST)
		return 2;
	if (fd_text != NULL) {
		memset(&m, 0, sizeof(m));
		m.hdr.magic = SHIM_PROTO_MAGIC;
		m.hdr.version = SHIM_PROTO_VERSION;
		m.hdr.type = SHIM_MSG_RESOLVE;
		m.hdr.size = sizeof(m);
		m.hdr.tid = (int32_t)syscall(SYS_gettid);
		m.hdr.pid = (int32_t)getpid();
		m.api = SHIM_API_GETADDRINFO;
		m.naddr = 1;
		m.addr[0].family = SHIM_AF_INET;
		memcpy(m.addr[0].addr, &addr, 4);
		m.name_len = (uint16_t)len;
		memcpy(m.name, name, len);
		/* Raw syscall, no destination: exactly what the shim does. */
		if (syscall(SYS_sendto, atoi(fd_text), &m, sizeof(m), MSG_NOSIGNAL, NULL, 0) !=
		    (long)sizeof(m))
			fprintf(stderr, "shim_netclient: cannot send the forged annotation\n");
	}
	return do_connect(&addr, port);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "connect") == 0) {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
		int rc = getaddrinfo(argv[2], NULL, &hints, &res);

		if (rc != 0) {
			printf("getaddrinfo %s: %s\n", argv[2], gai_strerror(rc));
			return 2;
		}
		struct in_addr a = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;

		freeaddrinfo(res);
		return do_connect(&a, atoi(argv[3]));
	}
	if (argc == 5 && strcmp(argv[1], "lie") == 0)
		return lie(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: shim_netclient connect NAME PORT | lie NAME ADDR PORT\n");
	return 2;
}
