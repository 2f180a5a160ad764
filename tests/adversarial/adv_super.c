/*
 * Attacks on the supervisor itself. The supervisor is attesta-run, the
 * parent of PROG (getppid()); as the same uid (or root) the kernel's own
 * permission checks would let the agent signal, trace, read, write or
 * re-limit it, so the gate must refuse every route:
 *
 *   kill tkill tgkill kill-pgrp       SIGKILL to its pid / its process group
 *   kill-all-probe                    kill(-1, 0): "could I signal everyone"
 *   tkill-threads                     SIGKILL to each of its other threads
 *   rt_sigqueueinfo rt_tgsigqueueinfo SIGKILL with si_code SI_QUEUE
 *   pidfd_open                        pidfd_open, then pidfd_send_signal and
 *                                     pidfd_getfd of its fds 0..63
 *   pidfd-procdir                     pidfd_send_signal on an O_DIRECTORY fd
 *                                     of /proc/PID (accepted as a pidfd)
 *   fsetown fsetown-pgrp              F_SETOWN + F_SETSIG(SIGKILL) + O_ASYNC,
 *                                     then make the fd readable
 *   prlimit-nofile prlimit-fsize      prlimit64 on its RLIMIT_NOFILE / FSIZE
 *   ptrace-attach ptrace-seize        ptrace it
 *   process_vm_writev process_vm_readv  write / read its memory
 *   proc-mem proc-fd                  open /proc/PID/mem, /proc/PID/fd/N
 *
 * usage: adv_super ATTACK. After the attack it checks that the gate still
 * works: removing "alive.txt" (allowed) succeeds and removing
 * "PROTECTED.txt" is denied. Prints RESULT lines; exits 0 when the attack
 * was refused and the gate is alive, 1 when the attack succeeded, 2 when
 * the gate is not answering. Attacker code.
 */
#include "adv.h"

#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>

#ifndef F_SETSIG
#define F_SETSIG 10
#endif

static pid_t sup;

static int sig_info(siginfo_t *si)
{
	memset(si, 0, sizeof *si);
	si->si_signo = SIGKILL;
	si->si_code = SI_QUEUE;
	si->si_pid = getpid();
	si->si_uid = getuid();
	return 0;
}

/* 0 if any step of the attack succeeded, else the first step's -errno. */
static long attack(const char *a)
{
	siginfo_t si;
	char path[128];
	long rc = -1;

	if (!strcmp(a, "kill"))
		return syscall(SYS_kill, sup, SIGKILL);
	if (!strcmp(a, "kill-pgrp")) {
		pid_t pg = getpgid(sup);
		adv_say("INFO supervisor pgid %d (ours %d)\n", pg, getpgrp());
		if (pg <= 1 || pg == getpgrp()) {
			errno = ESRCH;
			return -1;
		}
		return syscall(SYS_kill, -pg, SIGKILL);
	}
	if (!strcmp(a, "kill-all-probe"))
		return syscall(SYS_kill, -1, 0);
	if (!strcmp(a, "tkill"))
		return syscall(SYS_tkill, sup, SIGKILL);
	if (!strcmp(a, "tgkill"))
		return syscall(SYS_tgkill, sup, sup, SIGKILL);
	if (!strcmp(a, "tkill-threads")) {
		snprintf(path, sizeof path, "/proc/%d/task", sup);
		DIR *d = opendir(path);
		struct dirent *e;
		int others = 0;
		if (!d)
			return -1;
		while ((e = readdir(d))) {
			pid_t tid = atoi(e->d_name);
			if (tid <= 0 || tid == sup)
				continue;
			others++;
			adv_say("INFO tkill(%d, SIGKILL): a thread of the supervisor\n", tid);
			rc = syscall(SYS_tkill, tid, SIGKILL);
			adv_say("INFO tkill(%d) -> %ld errno %d\n", tid, rc, rc < 0 ? errno : 0);
			if (rc == 0)
				break;
		}
		closedir(d);
		if (!others) {
			adv_say("INFO supervisor has no other threads\n");
			errno = EPERM; /* nothing to attack: counts as refused */
			return -1;
		}
		return rc;
	}
	if (!strcmp(a, "rt_sigqueueinfo")) {
		sig_info(&si);
		return syscall(SYS_rt_sigqueueinfo, sup, SIGKILL, &si);
	}
	if (!strcmp(a, "rt_tgsigqueueinfo")) {
		sig_info(&si);
		return syscall(SYS_rt_tgsigqueueinfo, sup, sup, SIGKILL, &si);
	}
	if (!strcmp(a, "pidfd_open")) {
		long pfd = syscall(SYS_pidfd_open, sup, 0);
		if (pfd < 0)
			return pfd;
		for (int fd = 0; fd < 64; fd++) {
			long got = syscall(SYS_pidfd_getfd, pfd, fd, 0);
			if (got >= 0) {
				adv_say("INFO pidfd_getfd took the supervisor's fd %d\n", fd);
				return 0;
			}
		}
		return syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	}
	if (!strcmp(a, "pidfd-procdir")) {
		snprintf(path, sizeof path, "/proc/%d", sup);
		int dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (dfd < 0)
			return -1;
		return syscall(SYS_pidfd_send_signal, dfd, SIGKILL, NULL, 0);
	}
	if (!strcmp(a, "fsetown") || !strcmp(a, "fsetown-pgrp")) {
		int p[2];
		if (pipe(p) < 0)
			return -1;
		pid_t owner = !strcmp(a, "fsetown") ? sup : -getpgid(sup);
		if (owner == -getpgrp()) {
			errno = ESRCH;
			return -1;
		}
		if ((rc = fcntl(p[0], F_SETOWN, owner)) < 0)
			return rc;
		if ((rc = fcntl(p[0], F_SETSIG, SIGKILL)) < 0)
			return rc;
		if ((rc = fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK)) < 0)
			return rc;
		(void)!write(p[1], "x", 1);
		usleep(200000);
		return 0; /* the calls worked: whether it died shows below */
	}
	if (!strcmp(a, "prlimit-nofile") || !strcmp(a, "prlimit-fsize")) {
		struct rlimit lim = { 0, 0 };
		int res = !strcmp(a, "prlimit-nofile") ? RLIMIT_NOFILE : RLIMIT_FSIZE;
		return syscall(SYS_prlimit64, sup, res, &lim, NULL);
	}
	if (!strcmp(a, "ptrace-attach"))
		return ptrace(PTRACE_ATTACH, sup, 0, 0);
	if (!strcmp(a, "ptrace-seize"))
		return ptrace(PTRACE_SEIZE, sup, 0, 0);
	if (!strcmp(a, "process_vm_writev") || !strcmp(a, "process_vm_readv")) {
		/* Any address: EFAULT would mean the permission check passed. */
		char byte = 0;
		struct iovec local = { &byte, 1 }, remote = { (void *)0x10000, 1 };
		rc = syscall(!strcmp(a, "process_vm_writev") ? SYS_process_vm_writev
							     : SYS_process_vm_readv,
			     sup, &local, 1, &remote, 1, 0);
		if (rc < 0 && errno == EFAULT) {
			adv_say("INFO %s passed the permission check (EFAULT on a junk address)\n", a);
			return 0;
		}
		return rc;
	}
	if (!strcmp(a, "proc-mem")) {
		snprintf(path, sizeof path, "/proc/%d/mem", sup);
		return open(path, O_RDWR | O_CLOEXEC);
	}
	if (!strcmp(a, "proc-fd")) {
		for (int fd = 0; fd < 64; fd++) {
			snprintf(path, sizeof path, "/proc/%d/fd/%d", sup, fd);
			rc = open(path, O_RDWR | O_CLOEXEC);
			if (rc >= 0 || (errno != ENOENT && errno != EACCES && errno != EPERM)) {
				if (rc >= 0)
					adv_say("INFO opened the supervisor's fd %d\n", fd);
				return rc >= 0 ? 0 : rc;
			}
			if (errno == EACCES || errno == EPERM)
				return rc; /* refused */
		}
		errno = EACCES;
		return -1;
	}
	adv_say("SETUP unknown attack '%s'\n", a);
	_exit(ADV_SETUP);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: adv_super ATTACK\n");
		return ADV_SETUP;
	}
	sup = getppid();
	adv_say("INFO supervisor pid %d\n", sup);
	long rc = attack(argv[1]);
	int code = adv_result(argv[1], rc, errno);
	usleep(100000);
	/* Is the gate still there and still deciding? */
	long alive = adv_unlink("alive.txt");
	int alive_code = adv_result("alive-allowed", alive, errno);
	long bad = adv_unlink("PROTECTED.txt");
	int bad_code = adv_result("alive-forbidden", bad, errno);
	if (code == ADV_OK)
		return 1;
	return alive_code == ADV_OK && bad_code == ADV_DENIED ? 0 : 2;
}
