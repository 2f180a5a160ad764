/*
 * Unit tests for the parked descriptors of the per-thread cache
 * (supervisor/run/decode_cache.c; docs/BENCHMARKS.md, "Session 6: the
 * first decision"; docs/SECURITY.md row 112): an evicted or stale
 * entry's descriptors wait for sup_tcache_close_deferred() instead of
 * being closed inside the next thread's first decision. Attacks:
 *  - many short-lived processes, each with a first decision and no
 *    answer in between (callers that die before the answer is sent never
 *    reach the flush): the parked list stays bounded, the supervisor's
 *    descriptors too, and none of the parked descriptors belongs to a
 *    live entry;
 *  - the same under `ulimit -n 256`: the cache sizes itself to the
 *    limit and leaves FD_RESERVE descriptors to the decoders;
 *  - a pid reused while the former process's descriptors are parked
 *    (ns_last_pid, as root): the entry is read anew and shows the new
 *    process's credentials and name, never the former's, with epochs on
 *    and off.
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

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "supervisor/run/decode_cache.c"
#include "supervisor/run/decode_parked.c"
#include "supervisor/run/decode_proc.c"
#include "tcache_fixture.h"

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static bool is_parked(int fd)
{
	for (unsigned i = 0; i < n_parked; i++)
		if (parked[i] == fd)
			return true;
	return false;
}

/* No live entry holds a parked descriptor. */
static void assert_parked_disjoint(void)
{
	pthread_mutex_lock(&sup_tcache_lock);
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++) {
		struct sup_tfacts *f = table[i];

		if (!f || !f->tid)
			continue;
		assert_false(is_parked(f->procfd));
		assert_false(is_parked(f->statusfd));
		assert_false(f->statfd >= 0 && is_parked(f->statfd));
		assert_false(f->pidfd >= 0 && is_parked(f->pidfd));
		assert_false(f->commfd >= 0 && is_parked(f->commfd));
		assert_false(f->rootfd >= 0 && !f->root_shared && is_parked(f->rootfd));
	}
	pthread_mutex_unlock(&sup_tcache_lock);
}

static void test_parked_bounded(void **state)
{
	enum { N = SUP_TCACHE_ENTRIES + 3 * SUP_TCACHE_PARKED_MAX };
	static pid_t kids[N];
	int parked_copy[SUP_TCACHE_PARKED_MAX];
	unsigned n_copy;
	int base;

	(void)state;
	sup_tcache_close_deferred();
	base = open_fds();
	/* each process: a first and a second decision (pidfd and comm
	 * opened with epochs on: 4 descriptors), then it dies unanswered */
	(void)sup_tcache_creds_epochs(true);
	for (int i = 0; i < N; i++) {
		struct sup_tfacts *f;

		kids[i] = child_as("parked", -1);
		for (uint64_t id = 1; id <= 2; id++) {
			assert_int_equal(sup_tfacts_acquire(kids[i], (uint64_t)i * 4 + id, &f), 0);
			sup_tfacts_confirm(f, (uint64_t)i * 4 + id);
			sup_tfacts_release(f);
		}
		if (i >= 2)
			reap(kids[i - 2]);
		assert_true(n_parked <= max_parked);
		/* the table's descriptors (at most 6 an entry), the parked
		 * ones and the /proc descriptor: never more */
		assert_true(open_fds() <= base + (int)(max_entries * 6 + max_parked) + 1);
		assert_parked_disjoint();
	}
	/* the list filled and the rest was closed at once */
	assert_int_equal(n_parked, max_parked);
	n_copy = n_parked;
	memcpy(parked_copy, parked, sizeof parked_copy);
	sup_tcache_close_deferred();
	assert_int_equal(n_parked, 0);
	for (unsigned i = 0; i < n_copy; i++) {
		errno = 0;
		assert_int_equal(fcntl(parked_copy[i], F_GETFD), -1);
		assert_int_equal(errno, EBADF);
	}
	/* nothing parked: a no-op */
	sup_tcache_close_deferred();
	reap(kids[N - 2]);
	reap(kids[N - 1]);
}

/* Under a low descriptor limit (ulimit -n 256) the cache sizes itself
 * so that FD_RESERVE descriptors stay free for the decoders, however many
 * short-lived processes come and go. */
static void test_parked_low_limit(void **state)
{
	enum { N = 200 };
	struct rlimit old, low;
	pid_t prev = 0;

	(void)state;
	/* start afresh, as a new supervisor: no entry, the sizes read again */
	pthread_mutex_lock(&sup_tcache_lock);
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++)
		if (table[i]) {
			assert_int_equal(table[i]->refs, 0);
			entry_close(table[i]);
			free(table[i]);
			table[i] = NULL;
		}
	pthread_mutex_unlock(&sup_tcache_lock);
	sup_tcache_close_deferred();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	max_entries = max_parked = 0;
	for (int i = 0; i < N; i++) {
		struct sup_tfacts *f;
		pid_t pid = child_as("lowlimit", -1);
		unsigned live = 0;

		for (uint64_t id = 1; id <= 2; id++) {
			assert_int_equal(sup_tfacts_acquire(pid, 100000 + (uint64_t)i * 4 + id, &f), 0);
			sup_tfacts_confirm(f, 100000 + (uint64_t)i * 4 + id);
			sup_tfacts_release(f);
		}
		if (prev)
			reap(prev);
		prev = pid;
		for (size_t k = 0; k < SUP_TCACHE_ENTRIES; k++)
			live += table[k] && table[k]->tid;
		assert_true(live <= max_entries);
		assert_true(open_fds() <= 256 - FD_RESERVE);
		assert_parked_disjoint();
	}
	assert_int_equal(max_entries, 24);
	assert_int_equal(max_parked, 48);
	reap(prev);
	sup_tcache_close_deferred();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* Fork a child with uid and name at pid want (ns_last_pid); 0 if another
 * process took the number first. */
static pid_t child_at(pid_t want, const char *name, int uid)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	char v[16];
	int n;
	pid_t pid;

	if (fd < 0)
		return -1;
	n = snprintf(v, sizeof v, "%d", (int)want - 1);
	if (pwrite(fd, v, (size_t)n, 0) != n) {
		close(fd);
		return -1;
	}
	close(fd);
	pid = child_as(name, uid);
	if (pid != want) {
		reap(pid);
		return 0;
	}
	return pid;
}

static void reuse_round(bool epochs)
{
	struct sup_tfacts *f;
	pid_t old = 0, now = 0;
	uint64_t id = 1000;
	int oldfds[2] = { -1, -1 };

	assert_int_equal(sup_tcache_creds_epochs(epochs), epochs);
	for (int attempt = 0; attempt < 200 && now <= 0; attempt++) {
		sup_tcache_close_deferred();
		old = child_as("old-root", -1);
		/* the old process's entry, confirmed twice: an epoch with epochs on */
		for (int k = 0; k < 3; k++) {
			assert_int_equal(sup_tfacts_acquire(old, ++id, &f), 0);
			sup_tfacts_confirm(f, id);
			sup_tfacts_release(f);
		}
		pthread_mutex_lock(&sup_tcache_lock);
		oldfds[0] = f->procfd;
		oldfds[1] = f->statusfd;
		pthread_mutex_unlock(&sup_tcache_lock);
		reap(old);
		now = child_at(old, "new-nobody", 65534);
		if (now < 0)
			skip(); /* no ns_last_pid: not root */
	}
	if (now <= 0) {
		print_message("no pid reused in 200 tries (busy machine)\n");
		return;
	}
	print_message("pid %d reused (epochs %s)\n", (int)now, epochs ? "on" : "off");
	/* the number is the new process's; the old handles are stale and
	 * are parked; the facts are the new process's own */
	assert_int_equal(sup_tfacts_acquire(now, ++id, &f), 0);
	assert_int_equal(f->status.euid, 65534);
	assert_int_equal(f->status.fsuid, 65534);
	assert_string_equal(f->status.name, "new-nobody");
	assert_true(is_parked(oldfds[0]));
	assert_true(is_parked(oldfds[1]));
	sup_tfacts_confirm(f, id);
	sup_tfacts_release(f);
	assert_parked_disjoint();
	/* and again, with the old descriptors closed meanwhile */
	sup_tcache_close_deferred();
	assert_int_equal(sup_tfacts_acquire(now, ++id, &f), 0);
	assert_int_equal(f->status.euid, 65534);
	assert_string_equal(f->status.name, "new-nobody");
	sup_tfacts_release(f);
	reap(now);
	/* gone: not served */
	assert_int_equal(sup_tfacts_acquire(now, ++id, &f), -ESRCH);
}

static void test_parked_pid_reused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	reuse_round(false);
	if (sup_pidfd_facts_supported())
		reuse_round(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parked_bounded),
		cmocka_unit_test(test_parked_low_limit),
		cmocka_unit_test(test_parked_pid_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
