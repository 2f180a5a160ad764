/*
 * gate_mix: P processes of T threads each make a mix of gated calls at
 * once, ITER rounds per thread, and check every answer: unlink (allowed,
 * and under PROTECTED denied), rename (allowed), connect to 127.0.0.1
 * (allowed) and 127.0.0.2 (denied), sendto 127.0.0.1 (allowed) and
 * 127.0.0.2 (denied), an unlink of a NEEDHUMAN file (needs a human: the
 * test's gate denies it), and every EXEC_EVERY rounds an exec of
 * /bin/true (allowed) and of ./forbidden-tool (denied), each in a forked
 * child. Every name is unique (p<P>t<T>i<I>), so the test can count one
 * audit entry per call. Prints "BAD ..." for each wrong answer and one
 * line "P<p> calls=N bad=N" per process; exits 1 if any answer was wrong.
 *
 *   gate_mix DIR PORT P T ITER EXEC_EVERY
 *
 * DIR holds ok/ and PROTECTED/; PORT is a TCP port this program listens
 * on (127.0.0.1, accepted and closed by a thread of the first process)
 * and the UDP port it sends to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static int port, iters, exec_every, proc_index;
static int n_calls, n_bad; /* atomic */

#define BAD(...)                                                                                   \
	do {                                                                                       \
		__atomic_add_fetch(&n_bad, 1, __ATOMIC_RELAXED);                                   \
		printf("BAD " __VA_ARGS__);                                                        \
		fflush(stdout);                                                                    \
	} while (0)

static void expect(const char *what, const char *name, int got_errno, int want_errno)
{
	__atomic_add_fetch(&n_calls, 1, __ATOMIC_RELAXED);
	if (got_errno != want_errno)
		BAD("%s %s: errno %d, want %d\n", what, name, got_errno, want_errno);
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int err_of(int rc)
{
	return rc < 0 ? errno : 0;
}

static void addr_of(struct sockaddr_in *sin, const char *ip)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

static int tcp_connect(const char *ip)
{
	struct sockaddr_in sin;
	addr_of(&sin, ip);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int e = err_of(connect(fd, (struct sockaddr *)&sin, sizeof sin));
	close(fd);
	return e;
}

static int udp_send(const char *ip)
{
	struct sockaddr_in sin;
	addr_of(&sin, ip);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int e = err_of((int)sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof sin));
	close(fd);
	return e;
}

/* The exit status of a child that execs path: 0 ran (true), 100+errno
 * when execve failed. */
static int exec_status(const char *path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };
		char *envp[] = { NULL };
		execve(path, argv, envp);
		_exit(100 + errno);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void *run(void *arg)
{
	int t = (int)(long)arg;
	char name[64], a[4096], b[4096];

	for (int i = 0; i < iters; i++) {
		snprintf(name, sizeof name, "p%dt%di%d", proc_index, t, i);

		snprintf(a, sizeof a, "%s/ok/u_%s", dir, name);
		if (touch(a) < 0)
			BAD("cannot create %s\n", a);
		expect("unlink", name, err_of(unlink(a)), 0);
		if (access(a, F_OK) == 0)
			BAD("unlink %s: still there\n", name);

		snprintf(a, sizeof a, "%s/PROTECTED/d_%s", dir, name);
		if (touch(a) < 0)
			BAD("cannot create %s\n", a);
		expect("unlink-protected", name, err_of(unlink(a)), EPERM);
		if (access(a, F_OK) != 0)
			BAD("unlink-protected %s: removed\n", name);

		snprintf(a, sizeof a, "%s/ok/r_%s", dir, name);
		snprintf(b, sizeof b, "%s/ok/s_%s", dir, name);
		if (touch(a) < 0)
			BAD("cannot create %s\n", a);
		expect("rename", name, err_of(rename(a, b)), 0);

		expect("connect", name, tcp_connect("127.0.0.1"), 0);
		expect("connect-denied", name, tcp_connect("127.0.0.2"), EPERM);
		expect("sendto", name, udp_send("127.0.0.1"), 0);
		expect("sendto-denied", name, udp_send("127.0.0.2"), EPERM);

		snprintf(a, sizeof a, "%s/ok/NEEDHUMAN_%s", dir, name);
		if (touch(a) < 0)
			BAD("cannot create %s\n", a);
		expect("unlink-human", name, err_of(unlink(a)), EPERM);

		if (exec_every > 0 && i % exec_every == 0) {
			__atomic_add_fetch(&n_calls, 2, __ATOMIC_RELAXED);
			int st = exec_status("/bin/true");
			if (st != 0)
				BAD("exec true %s: status %d\n", name, st);
			st = exec_status("./forbidden-tool");
			if (st != 100 + EPERM)
				BAD("exec forbidden %s: status %d, want %d\n", name, st, 100 + EPERM);
		}
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	int ls = (int)(long)arg;
	for (;;) {
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			return NULL;
	}
}

static int one_process(int threads)
{
	pthread_t tid[64];
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, run, (void *)(long)t) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	printf("P%d calls=%d bad=%d\n", proc_index, n_calls, n_bad);
	fflush(stdout);
	return n_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: gate_mix DIR PORT P T ITER EXEC_EVERY\n");
		return 2;
	}
	dir = argv[1];
	port = atoi(argv[2]);
	int procs = atoi(argv[3]), threads = atoi(argv[4]);
	iters = atoi(argv[5]);
	exec_every = atoi(argv[6]);
	if (procs < 1 || procs > 64 || threads < 1 || threads > 64 || iters < 1 || port <= 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The listener (bind and listen are not gated), accepted here. */
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin;
	addr_of(&sin, "127.0.0.1");
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(ls, 4096) < 0) {
		perror("gate_mix: listen");
		return 2;
	}
	pthread_t acc;
	pthread_create(&acc, NULL, acceptor, (void *)(long)ls);

	pid_t kids[64];
	for (int p = 1; p < procs; p++) {
		kids[p] = fork();
		if (kids[p] == 0) {
			proc_index = p;
			fflush(stdout);
			_exit(one_process(threads));
		}
	}
	int rc = one_process(threads);
	for (int p = 1; p < procs; p++) {
		int st;
		if (kids[p] < 0 || waitpid(kids[p], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			printf("BAD process %d did not end well\n", p);
			rc = 1;
		}
	}
	return rc;
}
