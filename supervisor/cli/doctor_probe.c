/*
 * The probes of `attesta doctor` (see doctor_probe.h): each tries one
 * kernel feature the gate relies on, the way attesta-run uses it, on a
 * harmless target (getppid held and answered, a helper child's memory
 * read, an exec of this very binary traced). Every probe runs in a forked
 * child of the doctor and its own helpers die with it; the only thing a
 * probe trusts is the kernel's answers. Probes report, they never fix.
 */
#include "supervisor/cli/doctor_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/common/pidfd_compat.h"
#include "supervisor/common/seccomp_compat.h"

#define PROBE_SPOOFED_RET 4242  /* what the held getppid() is answered with */
#define PROBE_REMOTE_FD 57      /* where ADDFD places a descriptor in the helper */
#define PROBE_WAIT_MS 3000      /* how long a probe waits for its helper */

static void set_result(struct doctor_result *r, enum doctor_status status, int err,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_result(struct doctor_result *r, enum doctor_status status, int err,
		       const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Fork a helper that dies with the probe and runs fn; -errno on failure. */
static pid_t spawn_helper(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		_exit(fn(arg));
	}
	return pid;
}

static void reap(pid_t pid, int *ret_status)
{
	int status = 0;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
	if (ret_status)
		*ret_status = status;
}

/* Wait for one byte on fd (helper is ready); false on timeout or EOF. */
static bool wait_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, PROBE_WAIT_MS) == 1 && read(fd, &c, 1) == 1;
}

/* --- seccomp user notification -------------------------------------------- */

enum notif_extra { NOTIF_PLAIN = 0, NOTIF_KILLABLE, NOTIF_SYNC_WAKE, NOTIF_ADDFD };

static int notif_helper(void *arg)
{
	enum notif_extra extra = *(enum notif_extra *)arg;

	if (syscall(SYS_getppid) != PROBE_SPOOFED_RET)
		return 1; /* the answer did not come from our listener */
	if (extra == NOTIF_ADDFD && fcntl(PROBE_REMOTE_FD, F_GETFD) < 0)
		return 2;
	return 0;
}

/* Install a filter that hands getppid to a listener, make a helper call
 * it, receive the notification, answer it with a spoofed value and check
 * the helper saw that value: the whole path a held call takes. */
static void notif_round_trip(enum notif_extra extra, struct doctor_result *r)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct pollfd p;
	int listener, status = 0;
	pid_t helper;

	if (extra == NOTIF_KILLABLE)
		flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return;
	}
	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (listener < 0) {
		set_result(r, DOCTOR_MISSING, errno, "seccomp(SECCOMP_SET_MODE_FILTER%s): %s",
			   extra == NOTIF_KILLABLE ? ", NEW_LISTENER|WAIT_KILLABLE_RECV" :
			   ", NEW_LISTENER", strerror(errno));
		return;
	}
	if (extra == NOTIF_SYNC_WAKE &&
	    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "SECCOMP_IOCTL_NOTIF_SET_FLAGS: %s",
			   strerror(errno));
		return;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "SECCOMP_GET_NOTIF_SIZES: %s", strerror(errno));
		return;
	}
	req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
	resp = calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp :
			 sizeof(*resp));
	if (!req || !resp) {
		set_result(r, DOCTOR_MISSING, ENOMEM, "out of memory");
		goto out;
	}
	helper = spawn_helper(notif_helper, &extra);
	if (helper < 0) {
		set_result(r, DOCTOR_MISSING, -helper, "fork: %s", strerror(-helper));
		goto out;
	}
	p = (struct pollfd){ .fd = listener, .events = POLLIN };
	if (poll(&p, 1, PROBE_WAIT_MS) != 1) {
		set_result(r, DOCTOR_MISSING, ETIMEDOUT, "no notification within %d ms",
			   PROBE_WAIT_MS);
		reap(helper, NULL);
		goto out;
	}
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
		reap(helper, NULL);
		goto out;
	}
	if (extra == NOTIF_KILLABLE)
		set_result(r, DOCTOR_OK, 0, "filter accepted with WAIT_KILLABLE_RECV, a held call answered");
	else if (extra == NOTIF_SYNC_WAKE)
		set_result(r, DOCTOR_OK, 0, "flag accepted on the listener, a held call answered");
	else
		set_result(r, DOCTOR_OK, 0, "held getppid() of a helper and answered it");
	if (extra == NOTIF_ADDFD) {
		struct seccomp_notif_addfd add = {
			.id = req->id, .flags = SECCOMP_ADDFD_FLAG_SETFD,
			.newfd = PROBE_REMOTE_FD, .newfd_flags = O_CLOEXEC,
		};
		int src = open("/dev/null", O_RDONLY | O_CLOEXEC);

		add.srcfd = src < 0 ? 0 : (unsigned)src;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0)
			set_result(r, DOCTOR_MISSING, errno, "SECCOMP_IOCTL_NOTIF_ADDFD: %s",
				   strerror(errno));
		else
			set_result(r, DOCTOR_OK, 0, "installed a descriptor in a held helper");
	}
	resp->id = req->id;
	resp->val = PROBE_SPOOFED_RET;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));
		reap(helper, NULL);
		goto out;
	}
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (r->status == DOCTOR_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		set_result(r, DOCTOR_MISSING, 0, "the helper did not see the answer (status 0x%x)",
			   status);
out:
	free(req);
	free(resp);
}

static void probe_user_notif(struct doctor_result *r) { notif_round_trip(NOTIF_PLAIN, r); }
static void probe_killable(struct doctor_result *r) { notif_round_trip(NOTIF_KILLABLE, r); }
static void probe_sync_wake(struct doctor_result *r) { notif_round_trip(NOTIF_SYNC_WAKE, r); }
static void probe_addfd(struct doctor_result *r) { notif_round_trip(NOTIF_ADDFD, r); }

/* --- a helper to look at: pidfd_getfd, process_vm_readv --------------------- */

static char helper_marker[64];

struct target_helper {
	int ready[2];
};

/* Fill the marker, open "/" at PROBE_REMOTE_FD, say ready, wait to die. */
static int target_helper(void *arg)
{
	struct target_helper *t = arg;
	int fd = open("/", O_PATH | O_CLOEXEC);

	snprintf(helper_marker, sizeof(helper_marker), "attesta-doctor-%d", (int)getpid());
	if (fd < 0 || dup2(fd, PROBE_REMOTE_FD) < 0)
		return 1;
	if (write(t->ready[1], "r", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static pid_t start_target(struct target_helper *t, struct doctor_result *r)
{
	pid_t pid;

	if (pipe2(t->ready, O_CLOEXEC) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = spawn_helper(target_helper, t);
	if (pid < 0) {
		set_result(r, DOCTOR_MISSING, -pid, "fork: %s", strerror(-pid));
		return -1;
	}
	if (!wait_byte(t->ready[0])) {
		set_result(r, DOCTOR_MISSING, EIO, "the helper did not start");
		reap(pid, NULL);
		return -1;
	}
	return pid;
}

static void probe_pidfd(struct doctor_result *r)
{
	struct target_helper t;
	struct stat want, got;
	pid_t pid = start_target(&t, r);
	int pidfd, fd;

	if (pid < 0)
		return;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		set_result(r, DOCTOR_MISSING, errno, "pidfd_open: %s", strerror(errno));
	} else if ((fd = (int)syscall(SYS_pidfd_getfd, pidfd, PROBE_REMOTE_FD, 0)) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "pidfd_getfd: %s", strerror(errno));
	} else if (fstat(fd, &got) < 0 || stat("/", &want) < 0 || got.st_dev != want.st_dev ||
		   got.st_ino != want.st_ino) {
		set_result(r, DOCTOR_MISSING, 0, "pidfd_getfd returned another file");
	} else {
		set_result(r, DOCTOR_OK, 0, "took a descriptor from a helper process");
	}
	reap(pid, NULL);
}

/* A thread pidfd and PIDFD_GET_INFO with credentials, as attesta-run's
 * credential epochs use them (docs/decode.md). */
static void probe_pidfd_info(struct doctor_result *r)
{
	struct sup_pidfd_info info;
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)syscall(SYS_gettid), PIDFD_THREAD);

	if (fd < 0) {
		set_result(r, DOCTOR_MISSING, errno, "pidfd_open(PIDFD_THREAD): %s", strerror(errno));
		return;
	}
	memset(&info, 0, sizeof(info));
	info.mask = SUP_PIDFD_INFO_CREDS;
	if (ioctl(fd, SUP_PIDFD_GET_INFO, &info) < 0)
		set_result(r, DOCTOR_MISSING, errno, "PIDFD_GET_INFO: %s", strerror(errno));
	else if (!(info.mask & SUP_PIDFD_INFO_CREDS) || info.euid != geteuid())
		set_result(r, DOCTOR_MISSING, 0, "PIDFD_GET_INFO gave no credentials");
	else
		set_result(r, DOCTOR_OK, 0, "read this thread's ids through a thread pidfd");
	close(fd);
}

static void probe_vm_read(struct doctor_result *r)
{
	struct target_helper t;
	char want[sizeof(helper_marker)], got[sizeof(helper_marker)] = "";
	struct iovec local = { got, sizeof(got) }, remote = { helper_marker, sizeof(got) };
	pid_t pid = start_target(&t, r);
	int vm_err = 0;

	if (pid < 0)
		return;
	snprintf(want, sizeof(want), "attesta-doctor-%d", (int)pid);
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(got) &&
	    strcmp(got, want) == 0) {
		set_result(r, DOCTOR_OK, 0, "read a helper's memory with process_vm_readv");
	} else {
		char path[64];
		int fd;

		vm_err = errno;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		memset(got, 0, sizeof(got));
		if (fd >= 0 && pread(fd, got, sizeof(got), (off_t)(uintptr_t)helper_marker) > 0 &&
		    strcmp(got, want) == 0)
			set_result(r, DOCTOR_OK, 0, "process_vm_readv failed (%s); /proc/PID/mem works",
				   strerror(vm_err));
		else
			set_result(r, DOCTOR_MISSING, vm_err,
				   "process_vm_readv: %s; /proc/PID/mem: %s", strerror(vm_err),
				   strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	reap(pid, NULL);
}

/* --- openat2 ------------------------------------------------------------------ */

static void probe_openat2(struct doctor_result *r)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	long fd = root < 0 ? -1 : syscall(SYS_openat2, root, "proc", &how, sizeof(how));

	if (fd < 0)
		set_result(r, DOCTOR_MISSING, errno, "openat2(RESOLVE_IN_ROOT): %s", strerror(errno));
	else
		set_result(r, DOCTOR_OK, 0, "openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS");
}

/* --- ptrace ------------------------------------------------------------------- */

static bool has_cap_sys_ptrace(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective & CAP_TO_MASK(CAP_SYS_PTRACE);
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void probe_yama(struct doctor_result *r)
{
	char buf[32];
	int rc = read_small_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf));

	if (rc == -ENOENT) {
		set_result(r, DOCTOR_OK, 0, "Yama not enabled");
		snprintf(r->consequence, sizeof(r->consequence),
			 "ordinary ptrace rules apply: the supervisor may trace and read its own sandbox");
		return;
	}
	if (rc < 0) {
		set_result(r, DOCTOR_MISSING, -rc, "cannot read ptrace_scope: %s", strerror(-rc));
		return;
	}
	set_result(r, DOCTOR_OK, 0, "ptrace_scope %s", buf);
	if (!strcmp(buf, "0") || !strcmp(buf, "1")) {
		snprintf(r->consequence, sizeof(r->consequence),
			 "the supervisor may trace and read its own descendants, which is all the gate needs");
	} else if (!strcmp(buf, "2")) {
		if (has_cap_sys_ptrace()) {
			snprintf(r->consequence, sizeof(r->consequence),
				 "only CAP_SYS_PTRACE may attach, and this process has it");
		} else {
			r->status = DOCTOR_MISSING;
			snprintf(r->consequence, sizeof(r->consequence),
				 "only CAP_SYS_PTRACE may attach: without it, reading the sandbox's memory, "
				 "taking its descriptors and exec verification all fail");
		}
	} else {
		r->status = DOCTOR_MISSING;
		snprintf(r->consequence, sizeof(r->consequence),
			 "ptrace attach is disabled for everyone: the supervisor cannot read the sandbox "
			 "or take its listener, so attesta-run cannot run");
	}
}

struct exec_helper {
	int go[2];
};

/* Wait for the tracer, then exec this binary harmlessly ("version"). */
static int exec_helper(void *arg)
{
	struct exec_helper *h = arg;
	char *argv[] = { "attesta", "version", NULL };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char c;

	if (read(h->go[0], &c, 1) != 1)
		return 1;
	if (null >= 0)
		dup2(null, STDOUT_FILENO);
	execv("/proc/self/exe", argv);
	return 127;
}

/* What attesta-run does for exec verification (execcheck.h): seize a
 * process before its exec with PTRACE_O_TRACEEXEC and stop at
 * PTRACE_EVENT_EXEC, when the new image is mapped and has not run. */
static void probe_exec_trace(struct doctor_result *r)
{
	struct exec_helper h;
	char want[4096], got[4096], path[64];
	int status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(h.go, O_CLOEXEC) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "pipe: %s", strerror(errno));
		return;
	}
	pid = spawn_helper(exec_helper, &h);
	if (pid < 0) {
		set_result(r, DOCTOR_MISSING, -pid, "fork: %s", strerror(-pid));
		return;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0) {
		set_result(r, DOCTOR_MISSING, errno, "PTRACE_SEIZE: %s", strerror(errno));
		reap(pid, NULL);
		return;
	}
	if (write(h.go[1], "g", 1) != 1) {
		set_result(r, DOCTOR_MISSING, errno, "cannot start the helper");
		reap(pid, NULL);
		return;
	}
	alarm(PROBE_WAIT_MS / 1000 + 1); /* the runner's timeout ends a hung wait */
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
	if (!(WIFSTOPPED(status) && status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))) {
		set_result(r, DOCTOR_MISSING, 0, "no PTRACE_EVENT_EXEC stop (status 0x%x)", status);
		reap(pid, NULL);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, got, sizeof(got) - 1);
	got[n < 0 ? 0 : n] = '\0';
	n = readlink("/proc/self/exe", want, sizeof(want) - 1);
	want[n < 0 ? 0 : n] = '\0';
	if (strcmp(got, want) != 0)
		set_result(r, DOCTOR_MISSING, 0, "/proc/PID/exe at the exec stop is '%s'", got);
	else
		set_result(r, DOCTOR_OK, 0, "stopped a traced exec before its first instruction");
	reap(pid, NULL);
}

/* --- host facts ------------------------------------------------------------------ */

static void probe_io_uring(struct doctor_result *r)
{
	struct io_uring_params params;
	char buf[32];
	int rc = read_small_file("/proc/sys/kernel/io_uring_disabled", buf, sizeof(buf));
	long fd;

	memset(&params, 0, sizeof(params));
	fd = syscall(SYS_io_uring_setup, 1, &params);
	if (fd >= 0) {
		set_result(r, DOCTOR_NOTE, 0, "io_uring_setup works%s%s", rc == 0 ? ", io_uring_disabled " : "",
			   rc == 0 ? buf : "");
		snprintf(r->consequence, sizeof(r->consequence),
			 "io_uring could unlink and connect without a gated syscall: attesta-run denies "
			 "it inside the sandbox unless gate.allow_io_uring is set");
	} else {
		set_result(r, DOCTOR_NOTE, errno, "io_uring_setup: %s%s%s", strerror(errno),
			   rc == 0 ? ", io_uring_disabled " : "", rc == 0 ? buf : "");
		snprintf(r->consequence, sizeof(r->consequence),
			 "io_uring is unavailable to this process, so it cannot be used to bypass the gate");
	}
}

static void probe_root(struct doctor_result *r)
{
	if (geteuid() == 0) {
		set_result(r, DOCTOR_NOTE, 0, "euid 0");
		snprintf(r->consequence, sizeof(r->consequence),
			 "the agent runs as root too: attesta-run drops CAP_SYS_PTRACE from it, but it "
			 "keeps root's other powers outside the gated calls");
	} else {
		set_result(r, DOCTOR_NOTE, 0, "euid %d", (int)geteuid());
		snprintf(r->consequence, sizeof(r->consequence),
			 "the agent runs as this user and cannot reach the supervisor's memory or "
			 "descriptors");
	}
}

static void probe_cap_ptrace(struct doctor_result *r)
{
	if (has_cap_sys_ptrace())
		set_result(r, DOCTOR_OK, 0, "in the effective set");
	else
		set_result(r, DOCTOR_MISSING, 0, "not in the effective set");
}

static void probe_kernel(struct doctor_result *r)
{
	char buf[128];
	int rc = read_small_file("/proc/sys/kernel/osrelease", buf, sizeof(buf));

	set_result(r, DOCTOR_NOTE, rc < 0 ? -rc : 0, "%s", rc < 0 ? "unknown" : buf);
	snprintf(r->consequence, sizeof(r->consequence),
		 "user notification needs 5.5, pidfd_getfd 5.6, WAIT_KILLABLE_RECV 5.19, "
		 "SYNC_WAKE_UP 6.6");
}

static void probe_actions(struct doctor_result *r)
{
	char buf[256];
	int rc = read_small_file("/proc/sys/kernel/seccomp/actions_avail", buf, sizeof(buf));

	if (rc < 0) {
		set_result(r, DOCTOR_MISSING, -rc, "cannot read actions_avail: %s", strerror(-rc));
		return;
	}
	set_result(r, strstr(buf, "user_notif") && strstr(buf, "errno") ? DOCTOR_OK : DOCTOR_MISSING,
		   0, "%s", buf);
}

static const struct doctor_check checks[] = {
	{ "user_notification", "seccomp user notification", DOCTOR_REQUIRED, probe_user_notif,
	  "exec, unlink and connect calls can be held while the policy decides",
	  "no user notification: the gate cannot hold any call, so it cannot protect anything" },
	{ "pidfd_getfd", "pidfd_open + pidfd_getfd", DOCTOR_REQUIRED, probe_pidfd,
	  "the supervisor can take the listener and the sandbox's sockets",
	  "attesta-run takes its listener with pidfd_getfd: it cannot start" },
	{ "process_vm_readv", "reading a child's memory", DOCTOR_REQUIRED, probe_vm_read,
	  "paths, argv and addresses of held calls can be read",
	  "held calls cannot be decoded: every gated call would be denied" },
	{ "wait_killable_recv", "WAIT_KILLABLE_RECV", DOCTOR_RECOMMENDED, probe_killable,
	  "a held call stays one call when signals arrive",
	  "signals restart held calls: each restart is a fresh notification (de-duplicated, "
	  "but a signal storm costs supervisor time)" },
	{ "exec_verification", "ptrace exec verification", DOCTOR_RECOMMENDED, probe_exec_trace,
	  "what an approved exec runs is checked before its first instruction",
	  "exec verification unavailable: an exec racing its own argv could run unapproved code" },
	{ "openat2", "openat2 (RESOLVE_IN_ROOT)", DOCTOR_RECOMMENDED, probe_openat2,
	  "allowed removals are done by the supervisor in the sandbox's view of the tree",
	  "removals cannot be emulated safely: every unlink and rmdir is denied, even allowed ones" },
	{ "yama_ptrace_scope", "Yama ptrace_scope", DOCTOR_RECOMMENDED, probe_yama, "", "" },
	{ "cap_sys_ptrace", "CAP_SYS_PTRACE", DOCTOR_INFO, probe_cap_ptrace,
	  "sandboxed programs that make themselves non-dumpable can still be read",
	  "a sandboxed program that makes itself non-dumpable cannot be read: its gated calls "
	  "are denied (fail closed)" },
	{ "sync_wake_up", "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP", DOCTOR_INFO, probe_sync_wake,
	  "the kernel can hand held calls to the supervisor with less scheduling latency",
	  "held calls are woken the ordinary way: slightly slower, no less safe" },
	{ "addfd", "SECCOMP_IOCTL_NOTIF_ADDFD", DOCTOR_INFO, probe_addfd,
	  "descriptors can be injected into a held call (not needed by this version)",
	  "descriptors cannot be injected into held calls (not needed by this version)" },
	{ "pidfd_info", "PIDFD_THREAD + PIDFD_GET_INFO", DOCTOR_INFO, probe_pidfd_info,
	  "a thread's credentials are read once per credential epoch, not per decision",
	  "each decision reads the thread's /proc status (3-5 us more; no less safe)" },
	{ "procmap_query", "PROCMAP_QUERY", DOCTOR_INFO, doctor_probe_procmap,
	  "the exec check reads a new image's mappings with an ioctl",
	  "the exec check parses /proc/PID/maps text (a few us more per exec; no less safe)" },
	{ "io_uring", "io_uring", DOCTOR_INFO, probe_io_uring, "", "" },
	{ "root", "effective user", DOCTOR_INFO, probe_root, "", "" },
	{ "kernel", "kernel version", DOCTOR_INFO, probe_kernel, "", "" },
	{ "seccomp_actions", "seccomp actions_avail", DOCTOR_INFO, probe_actions,
	  "the kernel lists user_notif and errno among its seccomp actions",
	  "the kernel does not list user_notif and errno among its seccomp actions" },
	{ "state_protection", "state files out of the agent's reach", DOCTOR_RECOMMENDED,
	  doctor_probe_state, "", "" },
};

const struct doctor_check *doctor_checks(unsigned *ret_count)
{
	*ret_count = sizeof(checks) / sizeof(checks[0]);
	return checks;
}
