/*
 * Unit tests for supervisor/run/filter.c: the BPF program attesta-run
 * loads into the sandbox. Built as one translation unit with filter.c
 * (unit tests link only the policy and common libraries). Every test that
 * loads the filter does it in a forked child (docs/ARCHITECTURE.md:
 * tests never change the test process itself).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <linux/capability.h>

#include "supervisor/run/filter.c"
#include "supervisor/run/filter_tty.c"

/* The watcher (watcher.c) is not linked here: the test's parent stands
 * in for it. */
pid_t sup_watcher_pid(void)
{
	return getppid();
}

static struct pol_config *config_default(void)
{
	struct pol_config *c = pol_config_new_default();
	assert_non_null(c);
	return c;
}

static void test_sup_filter_build_prepends_x32_guard(void **state)
{
	(void)state;
	struct pol_config *c = config_default();
	struct sock_fprog prog = { 0 };
	assert_int_equal(sup_filter_build(c, getpid(), &prog), 0);
	assert_true(prog.len > 10);
	assert_int_equal(prog.filter[1].k, AUDIT_ARCH_X86_64);
	assert_int_equal(prog.filter[3].k, X32_SYSCALL_BIT);
	assert_int_equal(prog.filter[5].k, SECCOMP_RET_KILL_PROCESS);
	sup_filter_release(&prog);
	assert_null(prog.filter);
	pol_config_free(c);
}

static void test_sup_filter_is_gated_table(void **state)
{
	(void)state;
	const int gated[] = { SYS_execve, SYS_execveat, SYS_unlink, SYS_unlinkat, SYS_rmdir,
			      SYS_connect, SYS_sendto, SYS_sendmsg, SYS_sendmmsg, SYS_socket,
			      SYS_socketpair, SYS_rename, SYS_renameat, SYS_renameat2 };
	const int free_calls[] = { SYS_read, SYS_openat, SYS_getpid, SYS_linkat };
	for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
		assert_true(sup_filter_is_gated(gated[i]));
	for (size_t i = 0; i < sizeof free_calls / sizeof free_calls[0]; i++)
		assert_false(sup_filter_is_gated(free_calls[i]));
	/* every gated call is decided, never refused outright */
	for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
		assert_null(sup_filter_refusal(gated[i]));
	assert_non_null(sup_filter_refusal(SYS_kill));
	assert_non_null(sup_filter_refusal(SYS_io_uring_setup));
	assert_non_null(sup_filter_tty_refusal(TIOCSTI | (1ULL << 32)));
	assert_non_null(sup_filter_tty_refusal(TIOCSCTTY));
	assert_null(sup_filter_tty_refusal(TCGETS));
	struct seccomp_data d = { .nr = SYS_ioctl, .args = { 0, TIOCSTI } };
	assert_string_equal(sup_filter_refusal_of(&d), sup_filter_tty_refusal(TIOCSTI));
	assert_string_equal(sup_filter_syscall_name(SYS_unshare), "unshare");
	/* file handles open files around the state's read-only binds */
	assert_non_null(sup_filter_refusal(SYS_open_by_handle_at));
	assert_non_null(sup_filter_refusal(SYS_name_to_handle_at));
	assert_string_equal(sup_filter_syscall_name(SYS_open_by_handle_at), "open_by_handle_at");
	assert_string_equal(sup_filter_syscall_name(SYS_read), "unknown");
	/* credential calls: seen and continued, neither gated nor refused */
	const int creds[] = { SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid,
			      SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset };
	for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
		assert_true(sup_filter_is_creds_call(creds[i]));
		assert_false(sup_filter_is_gated(creds[i]));
		assert_null(sup_filter_refusal(creds[i]));
		assert_string_not_equal(sup_filter_syscall_name(creds[i]), "unknown");
	}
	assert_false(sup_filter_is_creds_call(SYS_prctl));
	assert_false(sup_filter_is_creds_call(SYS_capget));
}

/* Child checks, one bit each; the child exits with 1 + the number of the
 * first failed bit (0: none failed). */
enum { BAD_IOURING = 1, BAD_SECCOMP = 2, BAD_KILL_SUP = 4, BAD_KILL_ALL = 8, BAD_GETPID = 16,
       BAD_LOAD = 32, BAD_PTRACE = 64, BAD_NOTIFIED = 128, BAD_KILL_WATCHER = 256,
       BAD_TIOCSTI = 512, BAD_TIOCSCTTY = 1024, BAD_FSETOWN_HI = 2048, BAD_CREDS = 4096 };

/* Stands in for the supervisor in the child: refused calls reach the
 * listener (filter.c sends them instead of failing them in BPF); each must
 * be one sup_filter_refusal() names, and is answered EPERM. */
static int listener_fd = -1;
static volatile int served_bad, served_creds;

static void *serve_refusals(void *arg)
{
	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;

		memset(&req, 0, sizeof req);
		if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			continue;
		if (sup_filter_is_creds_call(req.data.nr)) {
			/* as notify.c: seen, then made by the kernel */
			served_creds++;
			memset(&resp, 0, sizeof resp);
			resp.id = req.id;
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			continue;
		}
		if (!sup_filter_refusal(req.data.nr) || sup_filter_is_gated(req.data.nr))
			served_bad = 1;
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.error = -EPERM;
		ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static int run_child_checks(bool allow_io_uring)
{
	struct pol_config *c = config_default();
	c->allow_io_uring = allow_io_uring;
	struct sock_fprog prog = { 0 };
	pid_t sup = getpid();
	assert_int_equal(sup_filter_build(c, sup, &prog), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;
		bool killable;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(BAD_LOAD);
		int fd = sup_filter_load(&prog, &killable);
		if (fd < 0)
			_exit(BAD_LOAD);
		listener_fd = fd;
		pthread_t server;
		if (pthread_create(&server, NULL, serve_refusals, NULL) != 0)
			_exit(BAD_LOAD);
		long r = syscall(SYS_io_uring_setup, 1, NULL);
		if (allow_io_uring ? (r < 0 && errno == EPERM) : !(r < 0 && errno == EPERM))
			bad |= BAD_IOURING;
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (!(r < 0 && errno == EPERM))
			bad |= BAD_SECCOMP;
		if (!(kill(sup, 0) < 0 && errno == EPERM))
			bad |= BAD_KILL_SUP;
		if (!(kill(-1, 0) < 0 && errno == EPERM))
			bad |= BAD_KILL_ALL;
		/* the watcher (here: the test's parent, one level up) */
		if (!(syscall(SYS_kill, sup_watcher_pid(), 0) < 0 && errno == EPERM))
			bad |= BAD_KILL_WATCHER;
		if (!(syscall(SYS_kill, -getpgid(sup_watcher_pid()), 0) < 0 && errno == EPERM))
			bad |= BAD_KILL_WATCHER;
		/* the kernel reads an ioctl request as 32 bits: upper bits set
		 * must not get past the rule */
		char ch = 'x';
		if (!(syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1UL << 32), &ch) < 0 &&
		      errno == EPERM))
			bad |= BAD_TIOCSTI;
		if (!(syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &ch) < 0 && errno == EPERM))
			bad |= BAD_TIOCSTI;
		if (!(syscall(SYS_ioctl, 0, (unsigned long)TIOCSCTTY, 1UL | (1UL << 32)) < 0 &&
		      errno == EPERM))
			bad |= BAD_TIOCSCTTY;
		/* fcntl's cmd is 32 bits too */
		if (!(syscall(SYS_fcntl, 0, (unsigned long)F_SETOWN | (1UL << 32), sup) < 0 &&
		      errno == EPERM))
			bad |= BAD_FSETOWN_HI;
		if (!(syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, sup, 0, 0) < 0 && errno == EPERM))
			bad |= BAD_PTRACE;
		if (syscall(SYS_getpid) != getpid())
			bad |= BAD_GETPID;
		/* every credential call reaches the supervisor, and is made */
		{
			gid_t groups[64];
			int ng = getgroups(64, groups);
			struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
			struct __user_cap_data_struct cd[2];
			int before = served_creds;

			if (syscall(SYS_setresuid, -1, -1, -1) < 0 ||
			    syscall(SYS_setresgid, -1, -1, -1) < 0 ||
			    syscall(SYS_setreuid, -1, -1) < 0 || syscall(SYS_setregid, -1, -1) < 0 ||
			    syscall(SYS_setuid, geteuid()) < 0 || syscall(SYS_setgid, getegid()) < 0 ||
			    (ng >= 0 && geteuid() == 0 && syscall(SYS_setgroups, ng, groups) < 0) ||
			    syscall(SYS_capget, &hdr, cd) < 0 || syscall(SYS_capset, &hdr, cd) < 0)
				bad |= BAD_CREDS;
			syscall(SYS_setfsuid, geteuid());
			syscall(SYS_setfsgid, getegid());
			if (served_creds - before != (geteuid() == 0 ? 10 : 9))
				bad |= BAD_CREDS;
		}
		if (served_bad)
			bad |= BAD_NOTIFIED;
		/* an exit status keeps 8 bits: BAD_KILL_WATCHER and above were
		 * lost as 0; exit with the number of the first failed bit + 1 */
		_exit(bad ? 1 + __builtin_ctz((unsigned)bad) : 0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	sup_filter_release(&prog);
	pol_config_free(c);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_sup_filter_load_denies_bypasses(void **state)
{
	(void)state;
	assert_int_equal(run_child_checks(false), 0);
}

static void test_sup_filter_load_allow_io_uring(void **state)
{
	(void)state;
	assert_int_equal(run_child_checks(true), 0);
}

static void test_sup_filter_load_kills_x32(void **state)
{
	(void)state;
	struct pol_config *c = config_default();
	struct sock_fprog prog = { 0 };
	assert_int_equal(sup_filter_build(c, getpid(), &prog), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool killable;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (sup_filter_load(&prog, &killable) < 0)
			_exit(1);
		syscall(0x40000000L | SYS_getpid);
		_exit(2); /* must not be reached */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	sup_filter_release(&prog);
	pol_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_filter_build_prepends_x32_guard),
		cmocka_unit_test(test_sup_filter_is_gated_table),
		cmocka_unit_test(test_sup_filter_load_denies_bypasses),
		cmocka_unit_test(test_sup_filter_load_allow_io_uring),
		cmocka_unit_test(test_sup_filter_load_kills_x32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
