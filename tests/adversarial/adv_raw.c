/*
 * One forbidden call per run, made the way an agent that knows about the
 * gate would make it: raw syscall() (the shim never sees it; the test
 * also builds this file with -static), through a dirfd, /proc/self/fd/N,
 * /dev/fd/N, /proc/self/cwd, /proc/thread-self, a symlinked parent, a
 * user+mount namespace (chroot or bind mount), the high 32 bits of an int
 * argument, exec through a symlink / an fd / a memfd / a deleted file,
 * UDP sends without connect (sendmmsg with the forbidden address hidden
 * in the last of many messages, IPv4-mapped IPv6), x32 syscall numbers
 * and i386 int 0x80 from a 64-bit process.
 *
 *   adv_raw [-n] [-V] MODE ARGS...
 *     -n  make this process non-dumpable first (PR_SET_DUMPABLE 0), so
 *         the supervisor cannot read its memory unless it is privileged
 *     -V  make the call in a clone(CLONE_VM|CLONE_VFORK) child, as
 *         posix_spawn and Python's subprocess do
 *
 * Prints a RESULT line and exits as adv.h says (0 = the call succeeded).
 * Attacker code: trusts nothing, needs nothing but libc.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

static char **g_argv;
static int g_argc;

static const char *arg(int i)
{
	if (i >= g_argc) {
		adv_say("SETUP missing argument %d\n", i);
		_exit(ADV_SETUP);
	}
	return g_argv[i];
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		adv_die(dir);
	return fd;
}

/* A sockaddr for "ADDR" (IPv4 or IPv6 text, e.g. ::ffff:127.0.0.2). */
static socklen_t make_addr(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)atoi(port));
		return sizeof *in4;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(port));
		return sizeof *in6;
	}
	adv_say("SETUP bad address '%s'\n", addr);
	_exit(ADV_SETUP);
}

static int udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		adv_die("socket");
	return fd;
}

static int do_sendmmsg_mixed(void)
{
	/* N-1 datagrams to the allowed address, the last one to the
	 * forbidden one: a decoder that looks only at the first few
	 * messages, or only at the first, lets it through. */
	struct sockaddr_storage ok, bad;
	socklen_t oklen = make_addr(arg(2), arg(3), &ok);
	socklen_t badlen = make_addr(arg(4), arg(5), &bad);
	unsigned n = (unsigned)atoi(arg(6));
	if (n < 1 || n > 1024)
		n = 1024;
	struct mmsghdr *v = calloc(n, sizeof *v);
	struct iovec iov = { .iov_base = "adv-sendmmsg", .iov_len = 12 };
	if (!v)
		adv_die("calloc");
	for (unsigned i = 0; i < n; i++) {
		v[i].msg_hdr.msg_name = i + 1 == n ? (void *)&bad : (void *)&ok;
		v[i].msg_hdr.msg_namelen = i + 1 == n ? badlen : oklen;
		v[i].msg_hdr.msg_iov = &iov;
		v[i].msg_hdr.msg_iovlen = 1;
	}
	int fd = udp_socket(ok.ss_family);
	long rc = syscall(SYS_sendmmsg, fd, v, n, 0);
	int err = errno;
	adv_say("INFO sendmmsg-mixed sent %ld of %u\n", rc, n);
	/* Success means the last (forbidden) datagram went out too. */
	return adv_result("sendmmsg-mixed", rc == (long)n ? 0 : -1, rc == (long)n ? 0 : (rc < 0 ? err : EPERM));
}

static int do_net(const char *mode)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(arg(2), arg(3), &ss);
	struct iovec iov = { .iov_base = "adv-payload", .iov_len = 11 };
	struct msghdr mh = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };
	long rc;

	if (!strcmp(mode, "connect")) {
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			adv_die("socket");
		rc = syscall(SYS_connect, fd, &ss, len);
		return adv_result(mode, rc, errno);
	}
	if (!strcmp(mode, "connect-udp")) {
		int fd = udp_socket(ss.ss_family);
		rc = syscall(SYS_connect, fd, &ss, len);
		int err = errno;
		if (rc == 0)
			rc = syscall(SYS_write, fd, "adv-connected", 13);
		return adv_result(mode, rc, rc < 0 ? err : 0);
	}
	int fd = udp_socket(ss.ss_family);
	if (!strcmp(mode, "sendto"))
		rc = syscall(SYS_sendto, fd, "adv-sendto", 10, 0, &ss, len);
	else if (!strcmp(mode, "sendmsg"))
		rc = syscall(SYS_sendmsg, fd, &mh, 0);
	else {
		struct mmsghdr mm = { .msg_hdr = mh };
		rc = syscall(SYS_sendmmsg, fd, &mm, 1, 0);
		if (rc == 0) { /* sent nothing */
			rc = -1;
			errno = EPERM;
		}
	}
	return adv_result(mode, rc, errno);
}

static int copy_to_fd(const char *src, int dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(dst, buf, (size_t)n) != n) {
			close(in);
			return -1;
		}
	close(in);
	return n < 0 ? -1 : 0;
}

static int do_exec(const char *mode)
{
	const char *path = arg(2);
	char *argv[] = { (char *)path, "adv-exec", NULL };
	char buf[64];
	long rc;

	if (!strcmp(mode, "exec")) {
		rc = syscall(SYS_execve, path, argv, environ);
	} else if (!strcmp(mode, "execveat-dirfd")) {
		rc = syscall(SYS_execveat, open_dir(path), arg(3), argv, environ, 0);
	} else if (!strcmp(mode, "fexecve") || !strcmp(mode, "fexecve-opath")) {
		int fd = open(path, (!strcmp(mode, "fexecve") ? O_RDONLY : O_PATH));
		if (fd < 0)
			adv_die(path);
		rc = syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	} else if (!strcmp(mode, "exec-procfd") || !strcmp(mode, "exec-devfd")) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			adv_die(path);
		snprintf(buf, sizeof buf, "%s/%d", !strcmp(mode, "exec-procfd") ? "/proc/self/fd" : "/dev/fd", fd);
		rc = syscall(SYS_execve, buf, argv, environ);
	} else if (!strcmp(mode, "exec-memfd") || !strcmp(mode, "exec-memfd-procfd")) {
		int fd = (int)syscall(SYS_memfd_create, "innocent", 0);
		if (fd < 0 || copy_to_fd(path, fd) < 0)
			adv_die("memfd");
		if (!strcmp(mode, "exec-memfd")) {
			rc = syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
		} else {
			snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
			rc = syscall(SYS_execve, buf, argv, environ);
		}
	} else if (!strcmp(mode, "exec-deleted")) {
		/* copy, open, unlink the copy (an allowed, LOW removal), exec
		 * the open file: no name left to judge it by */
		const char *tmp = arg(3);
		int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
		if (fd < 0 || copy_to_fd(path, fd) < 0)
			adv_die(tmp);
		close(fd);
		fd = open(tmp, O_RDONLY);
		if (fd < 0 || adv_unlink(tmp) < 0)
			adv_die("unlink copy");
		rc = syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	} else {
		return -1;
	}
	return adv_result(mode, rc, errno);
}

/* Become root of a new user namespace (any uid can, NO_NEW_PRIVS does not
 * stop it), so chroot and bind mounts are allowed. */
static void enter_userns(bool mountns)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | (mountns ? CLONE_NEWNS : 0)) < 0)
		adv_die("unshare");
	int fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		adv_die("uid_map");
	close(fd);
	snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		adv_die("gid_map");
	close(fd);
}

/* int 0x80 from a 64-bit process: the i386 table, where unlink is 10.
 * The path must sit below 4 GiB for a 32-bit pointer. */
static long i386_unlink(const char *path)
{
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	if (low == MAP_FAILED)
		adv_die("mmap 32bit");
	snprintf(low, 4096, "%s", path);
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(10L), "b"(low) : "memory", "cc");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int run_mode(void)
{
	const char *mode = arg(1);
	char buf[4200];
	long rc;

	if (!strcmp(mode, "unlink"))
		rc = adv_unlink(arg(2));
	else if (!strcmp(mode, "rmdir"))
		rc = syscall(SYS_rmdir, arg(2));
	else if (!strcmp(mode, "unlinkat-dirfd"))
		rc = adv_unlinkat(open_dir(arg(2)), arg(3), 0);
	else if (!strcmp(mode, "rmdirat-dirfd"))
		rc = adv_unlinkat(open_dir(arg(2)), arg(3), AT_REMOVEDIR);
	else if (!strcmp(mode, "unlink-procfd") || !strcmp(mode, "unlink-devfd")) {
		snprintf(buf, sizeof buf, "%s/%d/%s",
			 !strcmp(mode, "unlink-procfd") ? "/proc/self/fd" : "/dev/fd", open_dir(arg(2)),
			 arg(3));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "unlinkat-procfd")) {
		/* dirfd AT_FDCWD, path through /proc/self/fd of a dirfd */
		snprintf(buf, sizeof buf, "/proc/self/fd/%d/%s", open_dir(arg(2)), arg(3));
		rc = adv_unlinkat(AT_FDCWD, buf, 0);
	} else if (!strcmp(mode, "unlink-proccwd")) {
		snprintf(buf, sizeof buf, "/proc/self/cwd/%s", arg(2));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "unlink-threadself")) {
		snprintf(buf, sizeof buf, "/proc/thread-self/cwd/%s", arg(2));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "unlink-procpid")) {
		snprintf(buf, sizeof buf, "/proc/%d/cwd/%s", getpid(), arg(2));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "unlink-procroot")) {
		snprintf(buf, sizeof buf, "/proc/self/root%s", arg(2));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "unlinkat-cwd32")) {
		/* AT_FDCWD in the low 32 bits only: the kernel reads an int */
		rc = adv_unlinkat(0xffffff9cL, arg(2), 0);
	} else if (!strcmp(mode, "unlinkat-flaghi")) {
		/* flags with only bit 32 set: the kernel sees 0 (unlink) */
		rc = adv_unlinkat(AT_FDCWD, arg(2), 1L << 32);
	} else if (!strcmp(mode, "rmdirat-flaghi")) {
		rc = adv_unlinkat(AT_FDCWD, arg(2), (1L << 32) | AT_REMOVEDIR);
	} else if (!strcmp(mode, "userns-chroot-unlink")) {
		/* chroot into the protected dir: the call names "/NAME" */
		enter_userns(false);
		if (chroot(arg(2)) < 0 || chdir("/") < 0)
			adv_die("chroot");
		snprintf(buf, sizeof buf, "/%s", arg(3));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "userns-bind-unlink")) {
		/* bind the protected dir over an allowed one, remove there */
		enter_userns(true);
		if (mount(arg(2), arg(3), NULL, MS_BIND, NULL) < 0)
			adv_die("bind mount");
		snprintf(buf, sizeof buf, "%s/%s", arg(3), arg(4));
		rc = adv_unlink(buf);
	} else if (!strcmp(mode, "x32-unlink")) {
		rc = syscall(0x40000000L | SYS_unlink, arg(2));
	} else if (!strcmp(mode, "i386-unlink")) {
		rc = i386_unlink(arg(2));
	} else if (!strcmp(mode, "sendmmsg-mixed")) {
		return do_sendmmsg_mixed();
	} else if (!strncmp(mode, "connect", 7) || !strncmp(mode, "send", 4)) {
		return do_net(mode);
	} else {
		int r = do_exec(mode);
		if (r >= 0)
			return r;
		adv_say("SETUP unknown mode '%s'\n", mode);
		return ADV_SETUP;
	}
	return adv_result(mode, rc, errno);
}

static int vfork_child(void *unused)
{
	(void)unused;
	_exit(run_mode());
}

int main(int argc, char **argv)
{
	bool vfork_mode = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2]; i++) {
		if (argv[i][1] == 'n') {
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
				adv_die("PR_SET_DUMPABLE");
			adv_say("INFO dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
		} else if (argv[i][1] == 'V') {
			vfork_mode = true;
		} else {
			break;
		}
	}
	g_argv = argv + i - 1;
	g_argc = argc - i + 1;
	if (g_argc < 2) {
		fprintf(stderr, "usage: adv_raw [-n] [-V] MODE ARGS...\n");
		return ADV_SETUP;
	}
	if (!vfork_mode)
		return run_mode();

	static char stack[256 * 1024] __attribute__((aligned(16)));
	pid_t pid = clone(vfork_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		adv_die("clone");
	int status;
	if (waitpid(pid, &status, 0) < 0)
		adv_die("waitpid");
	if (WIFSIGNALED(status)) {
		adv_say("INFO vfork child killed by signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
