/*
 * The launched child's side of PROG's terminal (tty.h): make a pty slave
 * its controlling terminal and put it on the fds 0-2 that were the
 * user's terminal. Inside a sandbox with a devpts instance of its own
 * (sandbox_ns.h) the pty is made there, so that ttyname() works for the
 * agent (`tty`, GPG_TTY, tmux), and its master goes to the supervisor,
 * which relays through it instead of the pty it made before the fork
 * (docs/attesta-run.md, "Terminals"). Runs between fork and exec of a
 * multithreaded process: system calls only (async-signal-safe).
 *
 * SECURITY: the master is O_CLOEXEC and closed before exec; the agent
 * holds only the slave, as with the supervisor's own pty.
 */
#include "supervisor/run/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int sup_tty_child_attach(int slave_fd)
{
	if (ioctl(slave_fd, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int fd = 0; fd <= 2; fd++) {
		/* Only what was the terminal moves to the pty: a redirected
		 * stdout keeps going where the user sent it. */
		if (isatty(fd) && dup2(slave_fd, fd) < 0)
			return -errno;
	}
	if (slave_fd > 2)
		close(slave_fd);
	return 0;
}

int sup_tty_child_setup(int slave_fd)
{
	if (setsid() < 0)
		return -errno;
	return sup_tty_child_attach(slave_fd);
}

int sup_tty_child_own_pty(int host_slave, int *ret_master)
{
	struct termios tio;
	struct winsize ws;
	int unlock = 0, slave = -1, r;

	*ret_master = -1;
	/* /dev/pts/ptmx itself, not the /dev/ptmx bind: it can only be the
	 * instance the namespace mounted (sandbox_ns.c, private_devpts). */
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	/* The slave by its master (TIOCGPTPEER), not by a path name. */
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	/* the modes and size the supervisor gave its own pty (the user's) */
	if (tcgetattr(host_slave, &tio) == 0 && tcsetattr(slave, TCSANOW, &tio) < 0) {
		r = -errno;
		goto fail;
	}
	if (ioctl(host_slave, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(slave, TIOCSWINSZ, &ws);
	if ((r = sup_tty_child_attach(slave)) < 0)
		goto fail;
	slave = -1; /* on fds 0-2 now (or closed, if none was a terminal) */
	if (host_slave > 2)
		close(host_slave);
	*ret_master = master;
	return 0;
fail:
	if (slave > 2)
		close(slave);
	close(master);
	return r;
}
