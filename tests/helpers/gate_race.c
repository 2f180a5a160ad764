/*
 * gate_race: the exec TOCTOU attack. A second thread keeps rewriting the
 * path buffer between GOOD and BAD while the main thread execs it, so the
 * path the gate read (and approved) may not be the one the kernel opens
 * after CONTINUE. Runs N attempts, each in a fresh child, and prints
 * "ok=A denied=D killed=K other=O" (denied: every try refused, EPERM or
 * a torn path's ENOENT). A BAD program that prints something
 * shows on stdout if it ever ran: the exec check must make that
 * impossible.
 *
 *   gate_race GOOD BAD N
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char path[4096];
static const char *good, *bad;

static void *flip(void *arg)
{
	(void)arg;
	size_t lg = strlen(good) + 1, lb = strlen(bad) + 1;
	for (;;) {
		memcpy(path, good, lg);
		for (volatile int i = 0; i < 200; i++)
			;
		memcpy(path, bad, lb);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gate_race GOOD BAD N\n");
		return 2;
	}
	good = argv[1];
	bad = argv[2];
	int n = atoi(argv[3]), ok = 0, denied = 0, killed = 0, other = 0;
	for (int i = 0; i < n; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t t;
			memcpy(path, good, strlen(good) + 1);
			pthread_create(&t, NULL, flip, NULL);
			char *args[] = { path, NULL };
			for (int tries = 0; tries < 50; tries++) {
				execve(path, args, environ);
				if (errno != EPERM && errno != ENOENT)
					break;
			}
			_exit(100 + (errno & 0x1f));
		}
		int status;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		/* refused 50 times: EPERM (the forbidden path was read), or
		 * ENOENT (a path read while the other thread was copying it
		 * names nothing, for the gate and natively alike) */
		else if (WIFEXITED(status) && (WEXITSTATUS(status) == 100 + EPERM ||
					       WEXITSTATUS(status) == 100 + ENOENT))
			denied++;
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else
			other++;
	}
	printf("ok=%d denied=%d killed=%d other=%d\n", ok, denied, killed, other);
	return 0;
}
