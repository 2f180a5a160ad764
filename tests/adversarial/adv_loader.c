/*
 * The agent running a program through the dynamic loader or an ELF
 * interpreter (tests/adversarial/exec_loader.sh): one raw execve/execveat
 * with the argv it is given, so the loader's options reach it untouched.
 *
 *   adv_loader exec PROG ARGS...      execve(PROG, [PROG, ARGS...])
 *   adv_loader fexecve PROG ARGS...   open(PROG, O_RDONLY), execveat(fd, "", AT_EMPTY_PATH)
 *   adv_loader opath PROG ARGS...     the same with an O_PATH descriptor
 *   adv_loader bigargv PROG           execve with 4 arguments of 96 KiB
 *                                     (over the supervisor's argv cap)
 *   adv_loader loop N PROG ARGS...    fork + execve N times (a race driver)
 *
 * Prints "RESULT MODE rc= errno=" when the exec returns (see adv.h).
 */
#include "adv.h"

#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 3)
		return ADV_SETUP;
	const char *mode = argv[1];
	long rc;
	if (!strcmp(mode, "loop")) {
		if (argc < 4)
			return ADV_SETUP;
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				syscall(SYS_execve, argv[3], argv + 3, environ);
				_exit(127);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		adv_say("RESULT loop rc=0 errno=0 (done)\n");
		return ADV_OK;
	}
	if (!strcmp(mode, "bigargv")) {
		static char big[4][96 * 1024];
		char *av[6] = { argv[2], big[0], big[1], big[2], big[3], NULL };
		for (int i = 0; i < 4; i++) {
			memset(big[i], 'a' + i, sizeof big[i] - 1);
			big[i][sizeof big[i] - 1] = '\0';
		}
		rc = syscall(SYS_execve, argv[2], av, environ);
		return adv_result(mode, rc, errno);
	}
	if (!strcmp(mode, "exec")) {
		rc = syscall(SYS_execve, argv[2], argv + 2, environ);
	} else if (!strcmp(mode, "fexecve") || !strcmp(mode, "opath")) {
		int fd = open(argv[2], !strcmp(mode, "opath") ? O_PATH | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return adv_result(mode, -1, errno);
		rc = syscall(SYS_execveat, fd, "", argv + 2, environ, AT_EMPTY_PATH);
	} else {
		return ADV_SETUP;
	}
	return adv_result(mode, rc, errno);
}
