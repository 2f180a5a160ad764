/*
 * The seccomp user-notification probe (see notifyprobe.h): a vfork()ed
 * child tries to load an allow-all filter with a listener and reports the
 * errno through its exit status. vfork: the child only makes three raw
 * system calls, and copying the supervisor's page tables for them cost
 * about a millisecond of start-up. Reads nothing from any sandbox.
 */
#include "supervisor/run/notifyprobe.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int sup_notify_probe(char *reason, size_t size)
{
	pid_t pid;
	int status = 0, err;

	pid = vfork();
	if (pid < 0) {
		err = errno;
		snprintf(reason, size, "cannot fork the seccomp probe: %s", strerror(err));
		return -err;
	}
	if (pid == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { .len = 1, .filter = &allow };
		long fd;

		/* raw calls only: this child shares the parent's memory */
		if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(errno > 0 && errno < 255 ? errno : 255);
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			     &prog);
		_exit(fd >= 0 ? 0 : errno > 0 && errno < 255 ? errno : 255);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(reason, size, "seccomp probe lost: %s", strerror(errno));
			return -ECHILD;
		}
	}
	if (!WIFEXITED(status)) {
		snprintf(reason, size, "seccomp probe died (status %d)", status);
		return -ECHILD;
	}
	err = WEXITSTATUS(status);
	if (err == 0)
		return 0;
	snprintf(reason, size, "seccomp user notification is unavailable: %s",
		 err == 255 ? "unknown error" : strerror(err));
	return err == 255 ? -ECHILD : -err;
}
