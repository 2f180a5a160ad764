/*
 * gate_threads: N threads make gated calls at the same time. Thread i
 * unlinks DIR/f<i>, then connects to 127.0.0.1:PORT (if PORT > 0).
 * Prints one line per thread, "T<i> unlink ok|errno=N connect ok|errno=N",
 * in thread order, so tests can check each one.
 *
 *   gate_threads DIR N PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct job {
	int index;
	const char *dir;
	int port;
	int unlink_errno;
	int connect_errno;
};

static void *run(void *arg)
{
	struct job *j = arg;
	char path[4096];
	snprintf(path, sizeof path, "%s/f%d", j->dir, j->index);
	j->unlink_errno = unlink(path) < 0 ? errno : 0;
	if (j->port > 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)j->port) };
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		j->connect_errno = connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ? errno : 0;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gate_threads DIR N PORT\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1 || n > 256)
		return 2;
	struct job *jobs = calloc((size_t)n, sizeof *jobs);
	pthread_t *t = calloc((size_t)n, sizeof *t);
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .index = i, .dir = argv[1], .port = atoi(argv[3]) };
		pthread_create(&t[i], NULL, run, &jobs[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < n; i++) {
		printf("T%d unlink %s", i, jobs[i].unlink_errno ? "" : "ok");
		if (jobs[i].unlink_errno)
			printf("errno=%d", jobs[i].unlink_errno);
		if (jobs[i].port > 0) {
			printf(" connect %s", jobs[i].connect_errno ? "" : "ok");
			if (jobs[i].connect_errno)
				printf("errno=%d", jobs[i].connect_errno);
		}
		printf("\n");
	}
	free(jobs);
	free(t);
	return 0;
}
