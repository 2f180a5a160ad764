/*
 * Attacks on the supervisor (the parent, getppid()) and on the watcher
 * (the supervisor's parent: attesta-run as the user started it) through
 * process groups, sessions and the watcher's pid (docs/attesta-run.md,
 * "Process life"):
 *
 *   setpgid-kill        setpgid(0, <supervisor's group>) then kill(0, SIGKILL)
 *   kill-sid            kill(-<supervisor's session id>, SIGKILL)
 *   kill-watcher        kill(<watcher>, SIGKILL)
 *   stop-watcher        kill(<watcher>, SIGSTOP): succeeded if it stops
 *                       (then SIGCONT so the control does not hang)
 *   kill-watcher-pgrp   kill(-<watcher's group>, SIGKILL)
 *   kill-watcher-sid    kill(-<watcher's session id>, SIGKILL)
 *   setpgid-watcher     setpgid(0, <watcher's group>) then kill(0, SIGKILL)
 *   tgkill-watcher      tgkill(<watcher>, <watcher>, SIGKILL)
 *   fsetown-watcher     F_SETOWN <watcher> + F_SETSIG SIGKILL + O_ASYNC
 *   fsetown-hi          F_SETOWN with bit 32 set in the command (the
 *                       kernel reads 32 bits), owner: the supervisor
 *   prlimit-watcher     RLIMIT_NOFILE 0 on the watcher
 *
 * Prints RESULT lines; afterwards checks the gate still answers (removing
 * alive.txt allowed, PROTECTED.txt denied). Exits 0 when the attack was
 * refused and the gate is alive, 1 when it succeeded, 2 when the gate is
 * not answering. Attacker code.
 */
#include "adv.h"

#include <signal.h>
#include <sys/resource.h>

#ifndef F_SETSIG
#define F_SETSIG 10
#endif

static pid_t sup, watcher;

/* Field 4 (ppid) and the state of /proc/PID/stat. */
static pid_t parent_of(pid_t pid, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	int pp;
	char st;
	if (!p || sscanf(p + 1, " %c %d", &st, &pp) != 2)
		return -1;
	if (state)
		*state = st;
	return pp;
}

static long join_and_kill(pid_t leader)
{
	pid_t pg = getpgid(leader);
	adv_say("INFO joining group %d (ours %d, session %d)\n", pg, getpgrp(), getsid(0));
	if (pg <= 1 || pg == getpgrp()) {
		errno = ESRCH;
		return -1;
	}
	if (setpgid(0, pg) < 0)
		return -1;
	adv_say("RESULT joined rc=0 errno=0 (ok)\n");
	return syscall(SYS_kill, 0, SIGKILL);
}

static long fsetown(pid_t owner, unsigned long hi)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	long rc = syscall(SYS_fcntl, p[0], (unsigned long)F_SETOWN | hi, owner);
	if (rc < 0)
		return rc;
	if (fcntl(p[0], F_SETSIG, SIGKILL) < 0 || fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
		return -1;
	(void)!write(p[1], "x", 1);
	usleep(200000);
	return 0; /* the calls worked: whether it died shows below */
}

static long attack(const char *a)
{
	if (!strcmp(a, "setpgid-kill"))
		return join_and_kill(sup);
	if (!strcmp(a, "kill-sid"))
		return syscall(SYS_kill, -getsid(sup), SIGKILL);
	if (!strcmp(a, "fsetown-hi"))
		return fsetown(sup, 1UL << 32);
	if (watcher <= 1) {
		adv_say("SETUP no watcher above the supervisor\n");
		_exit(ADV_SETUP);
	}
	if (!strcmp(a, "kill-watcher"))
		return syscall(SYS_kill, watcher, SIGKILL);
	if (!strcmp(a, "stop-watcher")) {
		long rc = syscall(SYS_kill, watcher, SIGSTOP);
		if (rc < 0)
			return rc;
		char st = '?';
		for (int i = 0; i < 50 && st != 'T'; i++) {
			usleep(10000);
			parent_of(watcher, &st);
		}
		syscall(SYS_kill, watcher, SIGCONT);
		adv_say("INFO watcher state after SIGSTOP: %c\n", st);
		if (st == 'T')
			return 0;
		errno = ESRCH;
		return -1;
	}
	if (!strcmp(a, "kill-watcher-pgrp"))
		return syscall(SYS_kill, -getpgid(watcher), SIGKILL);
	if (!strcmp(a, "kill-watcher-sid"))
		return syscall(SYS_kill, -getsid(watcher), SIGKILL);
	if (!strcmp(a, "setpgid-watcher"))
		return join_and_kill(watcher);
	if (!strcmp(a, "tgkill-watcher"))
		return syscall(SYS_tgkill, watcher, watcher, SIGKILL);
	if (!strcmp(a, "fsetown-watcher"))
		return fsetown(watcher, 0);
	if (!strcmp(a, "prlimit-watcher")) {
		struct rlimit lim = { 0, 0 };
		return syscall(SYS_prlimit64, watcher, RLIMIT_NOFILE, &lim, NULL);
	}
	adv_say("SETUP unknown attack '%s'\n", a);
	_exit(ADV_SETUP);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: adv_pgroup ATTACK\n");
		return ADV_SETUP;
	}
	sup = getppid();
	watcher = parent_of(sup, NULL);
	adv_say("INFO supervisor %d (group %d, session %d), watcher %d (group %d, session %d)\n",
		sup, getpgid(sup), getsid(sup), watcher, getpgid(watcher), getsid(watcher));
	errno = 0;
	long rc = attack(argv[1]);
	int code = adv_result(argv[1], rc, errno);
	usleep(100000);
	long alive = adv_unlink("alive.txt");
	int alive_code = adv_result("alive-allowed", alive, errno);
	long bad = adv_unlink("PROTECTED.txt");
	int bad_code = adv_result("alive-forbidden", bad, errno);
	if (code == ADV_OK)
		return 1;
	return alive_code == ADV_OK && bad_code == ADV_DENIED ? 0 : 2;
}
