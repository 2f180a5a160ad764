/*
 * gate_vfork: vfork + execve of PROG ARGS (as glibc's posix_spawn and
 * Python's subprocess do), while a second thread of the parent keeps
 * making an ungated call: the vfork child's held exec must not disturb
 * it. Prints "exec ok status=N" or "exec errno=N" and exits 0 on ok.
 *
 *   gate_vfork PROG [ARG...]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static atomic_int stop;

static void *spin(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		getppid();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gate_vfork PROG [ARG...]\n");
		return 2;
	}
	pthread_t t;
	pthread_create(&t, NULL, spin, NULL);
	volatile int exec_errno = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		execve(argv[1], argv + 1, environ);
		exec_errno = errno; /* shared with the parent until we exit */
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (exec_errno) {
		printf("exec errno=%d %s\n", exec_errno, strerror(exec_errno));
		return 1;
	}
	printf("exec ok status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
