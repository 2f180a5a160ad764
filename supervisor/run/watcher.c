/*
 * The watcher half of attesta-run (watcher.h): fork the supervisor into
 * a session of its own, forward the user's signals to it, and when it is
 * gone kill whatever of the sandbox is left (re-parented to us as a child
 * subreaper) before exiting with its status. Small on purpose: it runs no
 * policy, opens no file, and never reads anything from the sandbox.
 */
#include "supervisor/run/watcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "supervisor/run/launch.h"
#include "supervisor/run/proc.h"

static pid_t watcher_pid;
static int watcher_pidfd = -1;

pid_t sup_watcher_pid(void)
{
	return watcher_pid;
}

int sup_watcher_take_pidfd(void)
{
	int fd = watcher_pidfd;
	watcher_pidfd = -1;
	return fd;
}

/* SIGKILL every child we have (the sandbox's processes, re-parented to us
 * as their ancestors died) and reap them, until none is left. A killed
 * process's children are re-parented to us before it can be reaped, so
 * each round finds the next generation. */
static void kill_orphans(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	for (;;) {
		FILE *f = fopen(path, "re");
		if (f) {
			long pid;
			while (fscanf(f, "%ld", &pid) == 1)
				if (pid > 0)
					kill((pid_t)pid, SIGKILL);
			fclose(f);
		}
		int status;
		pid_t got = waitpid(-1, &status, __WALL);
		if (got < 0 && errno == ECHILD)
			return;
		if (got < 0 && errno != EINTR)
			return;
	}
}

static __attribute__((noreturn)) void watch(pid_t sup, const sigset_t *set, bool have_modes,
					    const struct termios *modes)
{
	int code = SUP_EXIT_INTERNAL;

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (sup_proc_forwarded(sig))
				kill(sup, sig);
			continue;
		}
		int status;
		pid_t got;
		bool sup_gone = false;
		while ((got = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
			if (got == sup) {
				sup_gone = true;
				code = sup_proc_exit_code(status);
				if (!WIFEXITED(status)) {
					fprintf(stderr, "attesta-run: the supervisor was killed "
						"(signal %d): killing the sandbox\n",
						WIFSIGNALED(status) ? WTERMSIG(status) : 0);
					/* its raw mode stays on the terminal otherwise */
					if (have_modes)
						tcsetattr(STDIN_FILENO, TCSANOW, modes);
				}
			}
		}
		if (sup_gone) {
			kill_orphans();
			_exit(code);
		}
	}
}

int sup_watcher_start(void)
{
	sigset_t set, old;
	struct termios modes;

	/* SECURITY: non-dumpable like the supervisor: a same-uid agent must
	 * not open /proc/WATCHER/mem (the watcher is outside the filter). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	sup_proc_signal_set(&set); /* SIGCHLD, SIGTTOU and the forwarded ones */
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return -errno;
	bool have_modes = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &modes) == 0;
	pid_t self = getpid();
	pid_t sup = fork();
	if (sup < 0) {
		int err = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
		return -err;
	}
	if (sup > 0)
		watch(sup, &set, have_modes, &modes);

	/* The supervisor: a session of its own, so that no process group or
	 * session the sandbox can reach contains it (the sandbox has its
	 * own session too, launch.c), and no controlling terminal whose
	 * job control could stop it. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (setsid() < 0)
		return -errno;
	watcher_pid = self;
	watcher_pidfd = (int)syscall(SYS_pidfd_open, self, 0);
	/* The watcher may have died before the pidfd was taken. */
	if (watcher_pidfd < 0 || getppid() != self) {
		fprintf(stderr, "attesta-run: the watcher is gone\n");
		_exit(SUP_EXIT_INTERNAL);
	}
	fcntl(watcher_pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}
