/*
 * Exercises every hook of libattesta-preload.so and prints what the
 * program saw (results and errno names), so a test can run it natively and
 * under LD_PRELOAD and require identical output, and can check the
 * messages shim_recv received. Output is deterministic: no pids, no
 * addresses that depend on the machine beyond 127.0.0.1.
 *
 *   shim_client resolve NAME | connect PORT | sendto PORT | unix PATH |
 *               badptr | exec KIND | vfork | threads N | reuse | skip PROG
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void show(const char *what, int rc, int err)
{
	printf("%s rc=%d errno=%s\n", what, rc, rc < 0 ? strerrorname_np(err) : "-");
}

static int do_resolve(const char *name)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
	struct hostent he, *result = NULL, *h;
	char buf[4096], txt[64];
	int rc, herr = 0;

	rc = getaddrinfo(name, "80", &hints, &res);
	if (rc == 0) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, txt, sizeof(txt));
		printf("getaddrinfo %s -> %s\n", name, txt);
		freeaddrinfo(res);
	} else {
		printf("getaddrinfo %s failed %d\n", name, rc);
	}
	h = gethostbyname(name);
	printf("gethostbyname %s\n", h != NULL ? "ok" : "failed");
	h = gethostbyname2(name, AF_INET);
	printf("gethostbyname2 %s\n", h != NULL ? "ok" : "failed");
	rc = gethostbyname_r(name, &he, buf, sizeof(buf), &result, &herr);
	printf("gethostbyname_r rc=%d %s\n", rc, result != NULL ? "ok" : "failed");
	result = NULL;
	rc = gethostbyname2_r(name, AF_INET, &he, buf, sizeof(buf), &result, &herr);
	printf("gethostbyname2_r rc=%d %s\n", rc, result != NULL ? "ok" : "failed");
	return 0;
}

static int tcp_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, err;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	show("connect", rc, err);
	close(fd);
	return 0;
}

static int udp_sendto(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;
	ssize_t rc;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	show("sendto", (int)rc, err);
	close(fd);
	return 0;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, err;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	show("unix connect", rc, err);
	close(fd);
	return 0;
}

/* Bad pointers must fail with EFAULT exactly as without the shim. */
static int bad_pointers(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, err;
	char *argv[] = { "x", NULL };
	/* volatile: keep the compiler from proving the pointer bad. */
	const char *volatile bad_path = (const char *)8;

	rc = connect(fd, (struct sockaddr *)8, sizeof(struct sockaddr_in));
	err = errno;
	show("connect badptr", rc, err);
	rc = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)8, sizeof(struct sockaddr_in));
	err = errno;
	show("sendto badptr", rc, err);
	rc = execve(bad_path, argv, environ);
	err = errno;
	show("execve badptr", rc, err);
	rc = execve("/nonexistent/prog", argv, environ);
	err = errno;
	show("execve missing", rc, err);
	close(fd);
	return 0;
}

static int run_exec(const char *kind)
{
	char *argv[] = { "echo", "exec", (char *)kind, NULL };
	char *envp[] = { "SHIM_CLIENT=1", NULL };
	pid_t pid;
	int status = 0;

	fflush(stdout);
	if (strcmp(kind, "posix_spawn") == 0 || strcmp(kind, "posix_spawnp") == 0) {
		int rc = kind[11] == 'p' ? posix_spawnp(&pid, "echo", NULL, NULL, argv, environ)
					 : posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);
		if (rc != 0)
			return printf("spawn failed %d\n", rc), 1;
		waitpid(pid, &status, 0);
		return WEXITSTATUS(status);
	}
	if (strcmp(kind, "system") == 0)
		return WEXITSTATUS(system("echo exec system"));
	if (strcmp(kind, "popen") == 0) {
		char line[128];
		FILE *p = popen("echo exec popen", "r");

		if (p == NULL)
			return 1;
		while (fgets(line, sizeof(line), p) != NULL)
			fputs(line, stdout);
		return WEXITSTATUS(pclose(p));
	}
	pid = strcmp(kind, "vfork") == 0 ? vfork() : fork();
	if (pid == 0) {
		if (strcmp(kind, "execl") == 0)
			execl("/bin/echo", "echo", "exec", kind, (char *)NULL);
		else if (strcmp(kind, "execlp") == 0)
			execlp("echo", "echo", "exec", kind, (char *)NULL);
		else if (strcmp(kind, "execle") == 0)
			execle("/usr/bin/env", "env", (char *)NULL, envp);
		else if (strcmp(kind, "execv") == 0)
			execv("/bin/echo", argv);
		else if (strcmp(kind, "execvp") == 0)
			execvp("echo", argv);
		else if (strcmp(kind, "execvpe") == 0)
			execvpe("env", (char *[]){ "env", NULL }, envp);
		else
			execve("/bin/echo", argv, environ);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

static void *thread_main(void *arg)
{
	struct addrinfo *res = NULL;

	(void)arg;
	for (int i = 0; i < 20; i++) {
		if (getaddrinfo("localhost", NULL, NULL, &res) == 0)
			freeaddrinfo(res);
	}
	return NULL;
}

static int threads(int n)
{
	pthread_t t[32];

	if (n > 32)
		n = 32;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, thread_main, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads done\n");
	return 0;
}

/* Close the shim's descriptor and put our own seqpacket socket on its
 * number: the shim must not write into it. */
static int reuse(void)
{
	const char *s = getenv("ATTESTA_SHIM_FD");
	int sv[2], fd;
	char buf[2048];
	ssize_t n;

	if (s == NULL)
		return printf("no fd\n"), 0;
	fd = atoi(s);
	close(fd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return 1;
	dup2(sv[1], fd);
	tcp_connect(1);
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	printf("foreign socket received %zd\n", n);
	return n > 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "resolve") == 0 && argc > 2)
		return do_resolve(argv[2]);
	if (strcmp(argv[1], "connect") == 0 && argc > 2)
		return tcp_connect(atoi(argv[2]));
	if (strcmp(argv[1], "sendto") == 0 && argc > 2)
		return udp_sendto(atoi(argv[2]));
	if (strcmp(argv[1], "unix") == 0 && argc > 2)
		return unix_connect(argv[2]);
	if (strcmp(argv[1], "badptr") == 0)
		return bad_pointers();
	if (strcmp(argv[1], "exec") == 0 && argc > 2)
		return run_exec(argv[2]);
	if (strcmp(argv[1], "threads") == 0 && argc > 2)
		return threads(atoi(argv[2]));
	if (strcmp(argv[1], "reuse") == 0)
		return reuse();
	return 2;
}
