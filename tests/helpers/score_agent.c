/*
 * score_agent: makes one gated call read from a file, so that its own
 * command line (judged when attesta-run starts it) is always the same
 * harmless one. Used by tests/integration/score_gate.sh to compare the
 * gate's score of a call with `attesta score`'s.
 *
 *   score_agent FILE     FILE holds one word per line:
 *     exec PROG [ARG...]      execvp (PATH search as execvp does it)
 *     unlink PATH | rmdir PATH
 *     rename SRC DST
 *     connect ADDR PORT       TCP, non-blocking (never waits for a peer)
 *     sendto ADDR PORT        one UDP datagram
 *   ADDR is IPv4 or IPv6. Prints "ok" or "errno=N STRING".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_WORDS 64

static int report(int rc)
{
	if (rc < 0 && errno != EINPROGRESS) {
		int e = errno;
		printf("errno=%d %s\n", e, strerror(e));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int net(const char *op, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type = strcmp(op, "sendto") ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)atoi(port));
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)atoi(port));
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "score_agent: bad address '%s'\n", addr);
		return 2;
	}
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return report(-1);
	if (type == SOCK_DGRAM)
		return report((int)sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len));
	return report(connect(fd, (struct sockaddr *)&ss, len));
}

int main(int argc, char **argv)
{
	static char buf[65536];
	char *words[MAX_WORDS + 1];
	int n = 0;
	FILE *f;
	size_t got;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: score_agent FILE\n");
		return 2;
	}
	got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	for (char *line = strtok(buf, "\n"); line && n < MAX_WORDS; line = strtok(NULL, "\n"))
		words[n++] = line;
	words[n] = NULL;
	if (n >= 2 && !strcmp(words[0], "exec")) {
		execvp(words[1], words + 1);
		return report(-1);
	}
	if (n == 2 && !strcmp(words[0], "unlink"))
		return report(unlink(words[1]));
	if (n == 2 && !strcmp(words[0], "rmdir"))
		return report(rmdir(words[1]));
	if (n == 3 && !strcmp(words[0], "rename"))
		return report(rename(words[1], words[2]));
	if (n == 3 && (!strcmp(words[0], "connect") || !strcmp(words[0], "sendto")))
		return net(words[0], words[1], words[2]);
	fprintf(stderr, "score_agent: bad action\n");
	return 2;
}
