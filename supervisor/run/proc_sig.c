/*
 * The signals of attesta-run (proc.h): which are forwarded to PROG, the
 * set the supervisor and the watcher block and read, and the exit code
 * of a wait status. Pure helpers, shared by the loop, the watcher and
 * proc.c.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/wait.h>

#include "supervisor/run/proc.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

void sup_proc_signal_set(sigset_t *ret_set)
{
	sigemptyset(ret_set);
	sigaddset(ret_set, SIGCHLD);
	sigaddset(ret_set, SIGTTOU);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(ret_set, forwarded[i]);
}

bool sup_proc_forwarded(int sig)
{
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		if (forwarded[i] == sig)
			return true;
	return false;
}

int sup_proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}
