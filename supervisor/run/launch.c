/*
 * The launcher: fork PROG into its own session with NO_NEW_PRIVS
 * and the gate's seccomp filter, take its listener over a socketpair, and
 * release it to exec once the supervisor is ready to answer that first
 * (gated) exec. PROG inherits the preload shim's socket and gets the
 * environment the shim needs; in shim-only mode there is no filter and
 * the child asks the shim gate about that first exec itself. Trusts the
 * user's command line; reads nothing from the sandbox.
 */
#include "supervisor/run/launch.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/common/seccomp_compat.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/sandbox_ns.h"
#include "supervisor/run/shimgate.h"
#include "supervisor/run/shimrecv.h"
#include "supervisor/run/tty.h"

extern char **environ;

/* What the child sends with the listener (or instead of it). */
struct child_report {
	int stage;    /* 0 ok; else which setup step failed */
	int err;      /* errno of that step */
	int killable; /* WAIT_KILLABLE_RECV accepted */
	int listener; /* the listener's fd number in the child */
	int pty_master; /* PROG's pty master in the sandbox's devpts, -1: none */
	int unprotected; /* the state protection failed, --unprotected-state */
	char detail[160]; /* STAGE_SANDBOX: the step that failed */
};

enum { STAGE_OK = 0, STAGE_NNP, STAGE_CAPS, STAGE_FILTER, STAGE_SEND, STAGE_TTY, STAGE_SANDBOX,
       STAGE_SESSION };

static const char *stage_name(int stage)
{
	switch (stage) {
	case STAGE_NNP: return "cannot set no_new_privs";
	case STAGE_CAPS: return "cannot drop CAP_SYS_PTRACE";
	case STAGE_FILTER: return "cannot load the seccomp filter";
	case STAGE_SEND: return "cannot pass the listener";
	case STAGE_TTY: return "cannot attach PROG to its pseudo-terminal";
	case STAGE_SANDBOX: return "cannot keep the gate's state files out of the agent's reach";
	case STAGE_SESSION: return "cannot start PROG's session";
	default: return "child setup failed";
	}
}

static int is_exec_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

int sup_launch_resolve(const char *prog, char **ret_path)
{
	char *path;
	int rc;

	if (!prog || !*prog)
		return -ENOENT;
	if (strchr(prog, '/')) {
		rc = is_exec_file(prog);
		if (rc < 0)
			return rc == -ENOENT || rc == -ENOTDIR ? -ENOENT : -EACCES;
		path = strdup(prog);
		if (!path)
			return -ENOMEM;
		*ret_path = path;
		return 0;
	}
	const char *search = getenv("PATH");
	if (!search)
		search = "/usr/local/bin:/usr/bin:/bin";
	bool seen_eacces = false;
	for (const char *p = search;; ) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		size_t len = (dlen ? dlen : 1) + 1 + strlen(prog) + 1;
		path = malloc(len);
		if (!path)
			return -ENOMEM;
		snprintf(path, len, "%.*s/%s", (int)(dlen ? dlen : 1), dlen ? p : ".", prog);
		rc = is_exec_file(path);
		if (rc == 0) {
			*ret_path = path;
			return 0;
		}
		/* like a shell: "not executable" only for a file that exists,
		 * not for a PATH directory we may not search */
		if (rc == -EACCES && access(path, F_OK) == 0)
			seen_eacces = true;
		free(path);
		if (!*end)
			break;
		p = end + 1;
	}
	return seen_eacces ? -EACCES : -ENOENT;
}

/* SECURITY: an agent running as root keeps CAP_SYS_PTRACE otherwise, and
 * with it could open the (non-dumpable) supervisor's /proc/PID/mem or
 * take its fds with pidfd_getfd. Drop it from the bounding set and from
 * every capability set, before exec; NO_NEW_PRIVS keeps it dropped. */
static int drop_ptrace_cap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	const unsigned idx = CAP_TO_INDEX(CAP_SYS_PTRACE);
	const __u32 mask = CAP_TO_MASK(CAP_SYS_PTRACE);

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_CAPBSET_READ, CAP_SYS_PTRACE, 0, 0, 0) == 1 &&
	    prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) < 0 && errno != EPERM)
		return -errno;
	if (!((data[idx].effective | data[idx].permitted | data[idx].inheritable) & mask))
		return 0;
	data[idx].effective &= ~mask;
	data[idx].permitted &= ~mask;
	data[idx].inheritable &= ~mask;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* write(), not sendmsg(): once the filter is loaded, sendmsg is a gated
 * call and nobody would answer it yet. The parent takes the listener with
 * pidfd_getfd() instead of SCM_RIGHTS for the same reason. */
static int send_report(int sock, const struct child_report *rep)
{
	ssize_t n;
	do
		n = write(sock, rep, sizeof *rep);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *rep ? 0 : -1;
}

static void child_fail(int sock, int stage, int err)
{
	struct child_report rep = { .stage = stage, .err = err };
	send_report(sock, &rep);
	_exit(SUP_EXIT_INTERNAL);
}

static __attribute__((noreturn)) void child_main(int sock, const struct sup_launch_opts *opts)
{
	sigset_t none;
	struct child_report rep = { 0 };
	char go;

	/* The supervisor blocks the signals it reads with signalfd; PROG
	 * must start with the ordinary defaults. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* SECURITY: a session of its own in every mode (also a new group),
	 * so no process of the sandbox can join the supervisor's or the
	 * watcher's process group (setpgid fails across sessions) or be
	 * given the user's terminal (docs/attesta-run.md, "Process life").
	 * Its pty becomes its controlling terminal after the sandbox. */
	if (setsid() < 0)
		child_fail(sock, STAGE_SESSION, errno);
	/* The supervisor made itself non-dumpable before the fork; the
	 * child must be dumpable for the parent to take its listener
	 * (pidfd_getfd) and trace it. execve resets this anyway. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	/* The gate's state out of reach (sandbox_ns.h), before the filter:
	 * it refuses the mounts and namespaces this needs. */
	bool own_devpts = false;
	if (opts->sandbox) {
		int r = sup_sandbox_enter(opts->sandbox, &own_devpts, rep.detail,
					  sizeof rep.detail);
		if (r < 0) {
			rep.stage = STAGE_SANDBOX;
			rep.err = -r;
			send_report(sock, &rep);
			_exit(SUP_EXIT_INTERNAL);
		}
		rep.unprotected = r > 0;
	}
	/* PROG's terminal: with a devpts instance of the sandbox's own, a
	 * pty made there (ttyname() works inside), whose master the parent
	 * takes; else the supervisor's pty (docs/attesta-run.md,
	 * "Terminals"). After the --user switch: the slave is the agent's. */
	int pty_master = -1;
	if (opts->tty) {
		int slave = sup_tty_slave_fd(opts->tty);
		int r = own_devpts ? sup_tty_child_own_pty(slave, &pty_master)
				   : sup_tty_child_attach(slave);
		if (r < 0)
			child_fail(sock, STAGE_TTY, -r);
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sock, STAGE_NNP, errno);
	int rc = drop_ptrace_cap();
	if (rc < 0)
		child_fail(sock, STAGE_CAPS, -rc);
	bool killable = false;
	int listener = -1;
	if (opts->filter) {
		listener = sup_filter_load(opts->filter, &killable);
		if (listener < 0)
			child_fail(sock, STAGE_FILTER, -listener);
	}
	/* The shim's socket is the one descriptor of ours PROG inherits. */
	if (opts->shim && (rc = sup_shimrecv_child_prepare(opts->shim)) < 0)
		child_fail(sock, STAGE_SEND, -rc);
	rep.killable = killable;
	rep.listener = listener;
	rep.pty_master = pty_master;
	if (send_report(sock, &rep) < 0)
		_exit(SUP_EXIT_INTERNAL);

	/* The parent has taken its copy when it says go. */
	ssize_t n;
	do
		n = read(sock, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(SUP_EXIT_INTERNAL); /* the supervisor went away */
	/* SECURITY: no copy of the listener may stay in the sandbox, or the
	 * agent could answer its own notifications, nor of the pty master,
	 * or it could read what is typed while a prompt is up and answer it
	 * (both are O_CLOEXEC too). */
	if (listener >= 0)
		close(listener);
	if (pty_master >= 0)
		close(pty_master);
	close(sock);

	if (!opts->filter && opts->gate) {
		/* Shim-only mode: no kernel gate holds this first exec and the
		 * shim is not loaded here yet, so ask the supervisor exactly as
		 * the shim would (the loop is serving by now). */
		uint64_t args[6] = { (uint64_t)(uintptr_t)opts->path, (uint64_t)(uintptr_t)opts->argv,
				     (uint64_t)(uintptr_t)(opts->envp ? opts->envp : environ) };
		int err = sup_shimgate_ask(opts->gate, SHIM_ENTRY_EXECVE, SYS_execve, args, opts->path);

		if (err != 0) {
			dprintf(STDERR_FILENO, "attesta-run: cannot execute '%s': %s\n",
				opts->argv[0], strerror(err));
			_exit(err == ENOENT || err == ENOTDIR ? SUP_EXIT_NOT_FOUND : SUP_EXIT_CANNOT_EXEC);
		}
	}

	execve(opts->path, opts->argv, opts->envp ? opts->envp : environ);
	int err = errno;
	dprintf(STDERR_FILENO, "attesta-run: cannot execute '%s': %s\n", opts->argv[0],
		strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? SUP_EXIT_NOT_FOUND : SUP_EXIT_CANNOT_EXEC);
}

static int recv_report(int sock, struct child_report *rep)
{
	ssize_t n;
	do
		n = read(sock, rep, sizeof *rep);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof *rep ? 0 : -EPROTO;
}

/* A copy of the child's fd number fd, with pidfd_getfd. */
static int take_fd(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); /* O_CLOEXEC by the kernel */
	int err = errno;
	close(pidfd);
	return got < 0 ? -err : got;
}

/* Take the child's listener (fd number fd in pid). */
static int take_listener(pid_t pid, int fd)
{
	int got = take_fd(pid, fd);
	if (got < 0)
		return got;
	/* Ask the kernel to run the woken side on the waking CPU (Linux
	 * 6.6+): the target is blocked while we decide, so a notification and
	 * its answer become a direct hand-off instead of a cross-CPU wake-up
	 * (about +14 us instead of +23 us per round trip here, see
	 * ../shared/bench/floor). Older kernels refuse the flag: nothing is
	 * lost but speed, and `attesta doctor` reports it. */
	if (!getenv("ATTESTA_NO_SYNC_WAKEUP"))
		(void)ioctl(got, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	return got;
}

int sup_launch_start(const struct sup_launch_opts *opts, struct sup_child *ret_child,
		     char *reason, size_t reason_size)
{
	int sv[2];
	int rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(reason, reason_size, "cannot create socketpair: %s", strerror(-rc));
		return rc;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(reason, reason_size, "cannot fork: %s", strerror(-rc));
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], opts);
	}
	close(sv[1]);
	/* No setpgid from here: the child's setsid() makes its group (and
	 * would fail with EPERM if it were a group leader already); it has
	 * run before the child's report arrives. */

	struct child_report rep = { 0 };
	int listener = -1;
	rc = recv_report(sv[0], &rep);
	if (rc == 0 && rep.stage == STAGE_OK && !opts->filter) {
		listener = -1; /* shim-only mode: no listener */
	} else if (rc == 0 && rep.stage == STAGE_OK) {
		listener = take_listener(pid, rep.listener);
		if (listener < 0) {
			rc = listener;
			snprintf(reason, reason_size, "cannot take the listener: %s", strerror(-rc));
		}
	} else if (rc == 0 && rep.stage != STAGE_OK) {
		snprintf(reason, reason_size, "%s: %s%s%s", stage_name(rep.stage),
			 rep.detail[0] ? rep.detail : "", rep.detail[0] ? ": " : "", strerror(rep.err));
		rc = -rep.err;
		if (rc == 0)
			rc = -EPROTO;
	} else {
		snprintf(reason, reason_size, "no report from child: %s", strerror(-rc));
	}
	if (rc == 0 && rep.stage == STAGE_OK && rep.pty_master >= 0) {
		/* before go: PROG's terminal is relayed from its first byte */
		int m = opts->tty ? take_fd(pid, rep.pty_master) : -EPROTO;
		rc = m < 0 ? m : sup_tty_adopt_master(opts->tty, m);
		if (rc < 0)
			snprintf(reason, reason_size, "cannot take PROG's terminal: %s",
				 strerror(-rc));
	}
	if (rc < 0) {
		if (listener >= 0)
			close(listener);
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rc;
	}
	if (opts->give_terminal && !opts->tty)
		tcsetpgrp(STDIN_FILENO, pid);
	ret_child->traced = false;
	ret_child->trace_errno = 0;
	if (opts->trace) {
		/* The child is blocked reading the go byte, before its first
		 * exec: seizing now means PROG's own exec is verified (later
		 * execs are seized when approved, execcheck.h). EXITKILL: if
		 * the supervisor dies, nothing runs on unverified. */
		long o = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
		if (ptrace(PTRACE_SEIZE, pid, 0, (void *)o) == 0)
			ret_child->traced = true;
		else
			ret_child->trace_errno = errno;
	}
	ret_child->pid = pid;
	ret_child->listener = listener;
	ret_child->control = sv[0];
	ret_child->killable = rep.killable != 0;
	ret_child->unprotected = rep.unprotected != 0;
	if (ret_child->unprotected)
		snprintf(reason, reason_size, "%s: %s", stage_name(STAGE_SANDBOX), rep.detail);
	return 0;
}

int sup_launch_go(struct sup_child *child)
{
	char go = 'g';
	ssize_t n;
	do
		n = write(child->control, &go, 1);
	while (n < 0 && errno == EINTR);
	int rc = n == 1 ? 0 : -errno;
	close(child->control);
	child->control = -1;
	return rc;
}
