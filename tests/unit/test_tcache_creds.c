/*
 * Unit tests for credential epochs (supervisor/run/decode_cache.c,
 * decode_proc.c; docs/decode.md, "Credential epochs"): the comm parser,
 * the PIDFD_GET_INFO wrapper on thread pidfds (a reaped thread answers
 * -ESRCH), and the cache's rules: a full read becomes an epoch only when
 * confirmed for the same notification with no mark in between; within
 * an epoch the credentials are served and ppid/comm read; a credential
 * call, an exec, other ids or a dead thread end it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "supervisor/run/decode_cache.c"
#include "supervisor/run/decode_parked.c"
#include "supervisor/run/decode_proc.c"
#include "tcache_fixture.h"

static void test_sup_proc_comm_parse_table(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int want;
		const char *name;
	} cases[] = {
		{ "bash\n", 5, 0, "bash" },
		{ "a\nb\n", 4, 0, "a\nb" },  /* a '\n' in the name itself */
		{ "x) (y\n", 6, 0, "x) (y" },
		{ "\n", 1, 0, "" },
		{ "", 0, -EIO, NULL },
		{ "noeol", 5, -EIO, NULL },
		{ "123456789012345\n", 16, 0, "123456789012345" },
	};
	char name[64];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = sup_proc_comm_parse(cases[i].in, cases[i].len, name, sizeof name, &len);

		assert_int_equal(r, cases[i].want);
		if (r == 0) {
			assert_int_equal(len, strlen(cases[i].name));
			assert_memory_equal(name, cases[i].name, len + 1);
		}
	}
	/* longer than the caller's buffer: refused, not cut */
	assert_int_equal(sup_proc_comm_parse("abcdef\n", 7, name, 4, &len), -EIO);
}

static volatile pid_t thread_tid;

static void *wait_tid(void *arg)
{
	int *p = arg;
	char c;

	thread_tid = (pid_t)syscall(SYS_gettid);
	(void)!read(p[0], &c, 1);
	return NULL;
}

static void test_sup_pidfd_facts_read_thread_then_reaped(void **state)
{
	struct sup_pidfd_facts pf;
	pthread_t t;
	int p[2], fd;
	char path[64];

	(void)state;
	if (!sup_pidfd_facts_supported())
		skip();
	assert_int_equal(pipe(p), 0);
	thread_tid = 0;
	assert_int_equal(pthread_create(&t, NULL, wait_tid, p), 0);
	while (!thread_tid)
		usleep(100);
	/* a non-leader thread: PIDFD_THREAD is what makes this possible */
	fd = sup_pidfd_open_thread(thread_tid);
	assert_true(fd >= 0);
	assert_int_equal(sup_pidfd_facts_read(fd, &pf), 0);
	assert_int_equal(pf.tgid, getpid());
	assert_int_equal(pf.ppid, getppid());
	assert_int_equal(pf.euid, geteuid());
	assert_int_equal(pf.egid, getegid());
	assert_int_equal(pf.fsuid, geteuid());
	assert_int_equal(pf.fsgid, getegid());
	(void)!write(p[1], "x", 1);
	pthread_join(t, NULL);
	snprintf(path, sizeof path, "/proc/self/task/%d", (int)thread_tid);
	for (int i = 0; i < 10000 && access(path, F_OK) == 0; i++)
		usleep(100);
	assert_int_equal(sup_pidfd_facts_read(fd, &pf), -ESRCH);
	close(fd);
	close(p[0]);
	close(p[1]);
	/* not a pidfd at all */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(sup_pidfd_facts_read(fd, &pf) < 0);
	close(fd);
}

#define SENTINEL 0x5a5a5a5a5a5aULL

/* Acquire pid for notification id, tag the cached capabilities with a
 * sentinel (a full read replaces it, an epoch keeps it), release.
 * Returns whether the sentinel from the call before survived. */
static bool acquire_kept_sentinel(pid_t pid, uint64_t id, bool confirm)
{
	struct sup_tfacts *f;
	bool kept;

	assert_int_equal(sup_tfacts_acquire(pid, id, &f), 0);
	kept = f->status.cap_eff == SENTINEL;
	if (confirm)
		sup_tfacts_confirm(f, id);
	f->status.cap_eff = SENTINEL;
	sup_tfacts_release(f);
	return kept;
}

static void test_sup_tfacts_epoch_rules(void **state)
{
	struct sup_tfacts *f;
	pid_t pid;

	(void)state;
	if (!sup_tcache_creds_epochs(true))
		skip();
	pid = child_as("epoch-a", -1);
	/* 1st notification: a full read, not pinned (one-shot threads) */
	assert_false(acquire_kept_sentinel(pid, 1, true));
	/* 2nd: full read, pinned, confirmed: the epoch starts */
	assert_false(acquire_kept_sentinel(pid, 2, true));
	assert_true(acquire_kept_sentinel(pid, 3, false));
	assert_true(acquire_kept_sentinel(pid, 4, false));

	/* a credential call ends it; a confirm for another id starts none */
	sup_tcache_creds_changing(pid);
	assert_int_equal(sup_tfacts_acquire(pid, 5, &f), 0);
	assert_true(f->status.cap_eff != SENTINEL);
	f->status.cap_eff = SENTINEL;
	sup_tfacts_confirm(f, 99);
	sup_tfacts_release(f);
	assert_false(acquire_kept_sentinel(pid, 6, false));

	/* a mark between the read and its confirm: no epoch */
	assert_int_equal(sup_tfacts_acquire(pid, 7, &f), 0);
	sup_tcache_creds_changing(pid);
	sup_tfacts_confirm(f, 7);
	f->status.cap_eff = SENTINEL;
	sup_tfacts_release(f);
	assert_false(acquire_kept_sentinel(pid, 8, true));
	assert_true(acquire_kept_sentinel(pid, 9, false));

	/* an exec ends it */
	sup_tcache_exec_seen(pid);
	assert_false(acquire_kept_sentinel(pid, 10, true));
	assert_true(acquire_kept_sentinel(pid, 11, false));

	/* ids the kernel does not hold: read in full, never served */
	assert_int_equal(sup_tfacts_acquire(pid, 12, &f), 0);
	f->status.euid = 4242;
	sup_tfacts_release(f);
	assert_int_equal(sup_tfacts_acquire(pid, 13, &f), 0);
	assert_int_equal(f->status.euid, geteuid());
	sup_tfacts_confirm(f, 13);
	sup_tfacts_release(f);

	/* within an epoch comm and ppid are read now */
	assert_int_equal(sup_tfacts_acquire(pid, 14, &f), 0);
	assert_string_equal(f->status.name, "epoch-a");
	assert_int_equal(f->status.ppid, getpid());
	memcpy(f->status.name, "stale", 6);
	f->status.ppid = 1;
	f->status.cap_eff = SENTINEL;
	sup_tfacts_release(f);
	assert_int_equal(sup_tfacts_acquire(pid, 15, &f), 0);
	assert_true(f->status.cap_eff == SENTINEL); /* still the epoch */
	assert_string_equal(f->status.name, "epoch-a");
	assert_int_equal(f->status.ppid, getpid());
	sup_tfacts_release(f);

	/* a name's leading blanks are its own, in the status as in comm */
	prctl(PR_SET_NAME, " \tlead", 0, 0, 0);
	{
		struct sup_proc_status st;
		static char buf[64 * 1024];
		int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
		ssize_t n = read(fd, buf, sizeof buf - 1);

		close(fd);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_int_equal(sup_proc_status_parse(buf, (size_t)n, &st), 0);
		assert_string_equal(st.name, " \tlead");
		prctl(PR_SET_NAME, "test_tcache_cre", 0, 0, 0);
	}

	/* the thread is gone: its epoch is not served to anyone */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(sup_tfacts_acquire(pid, 16, &f), -ESRCH);

	/* epochs off: every notification reads in full */
	pid = child_as("epoch-b", -1);
	assert_false(acquire_kept_sentinel(pid, 20, true));
	assert_false(acquire_kept_sentinel(pid, 21, true));
	assert_true(acquire_kept_sentinel(pid, 22, false));
	assert_false(sup_tcache_creds_epochs(false));
	assert_false(acquire_kept_sentinel(pid, 23, true));
	assert_false(acquire_kept_sentinel(pid, 24, true));
	assert_false(acquire_kept_sentinel(pid, 25, true));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The pidfd is the thread's own: it opens the same files as the thread */
static bool pidfd_names(int pidfd, pid_t pid)
{
	struct sup_pidfd_facts pf;

	return sup_pidfd_facts_read(pidfd, &pf) == 0 && pf.tgid == pid;
}

/* sup_tfacts_caller_pidfd: the entry's pidfd is lent only when the
 * acquisition was served by the epoch (which found the thread alive);
 * otherwise a new one, which the caller closes. */
static void test_sup_tfacts_caller_pidfd_lent_within_epoch(void **state)
{
	struct sup_tfacts *f;
	bool borrowed;
	pid_t pid;
	int fd;

	(void)state;
	if (!sup_tcache_creds_epochs(true))
		skip();
	pid = child_as("pidfd-a", -1);
	/* 1st and 2nd notifications: full reads, a new pidfd each */
	for (uint64_t id = 1; id <= 2; id++) {
		assert_int_equal(sup_tfacts_acquire(pid, id, &f), 0);
		fd = sup_tfacts_caller_pidfd(f, pid, &borrowed);
		assert_true(fd >= 0);
		assert_false(borrowed);
		assert_true(pidfd_names(fd, pid));
		assert_true(fd != f->pidfd);
		close(fd);
		sup_tfacts_confirm(f, id);
		sup_tfacts_release(f);
	}
	/* 3rd: served by the epoch: the entry's own, lent */
	assert_int_equal(sup_tfacts_acquire(pid, 3, &f), 0);
	fd = sup_tfacts_caller_pidfd(f, pid, &borrowed);
	assert_true(borrowed);
	assert_int_equal(fd, f->pidfd);
	assert_true(pidfd_names(fd, pid));
	sup_tfacts_release(f);
	/* a credential call ends the epoch: a new one again */
	sup_tcache_creds_changing(pid);
	assert_int_equal(sup_tfacts_acquire(pid, 4, &f), 0);
	fd = sup_tfacts_caller_pidfd(f, pid, &borrowed);
	assert_true(fd >= 0);
	assert_false(borrowed);
	close(fd);
	sup_tfacts_release(f);
	/* the thread is gone: nothing is acquired, nothing lent */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(sup_tfacts_acquire(pid, 5, &f), -ESRCH);
	assert_false(sup_tcache_creds_epochs(false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_proc_comm_parse_table),
		cmocka_unit_test(test_sup_pidfd_facts_read_thread_then_reaped),
		cmocka_unit_test(test_sup_tfacts_epoch_rules),
		cmocka_unit_test(test_sup_tfacts_caller_pidfd_lent_within_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
