/*
 * Unit tests for the audit log's durability (audit_write.c; docs/audit.md,
 * `audit.sync`): when each tier is due, appends from several threads
 * sharing one fdatasync, the background group commit's pacing during a
 * burst (docs/SECURITY.md row 114), the file lock shared with another
 * writer while the background thread holds it, and a copytruncate while
 * it does.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit_fixture.h"

static void test_pol_audit_sync_due_ms_tiers(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_log *log;
	int due;

	f->config->audit_sync_window_ms = 50;
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	assert_int_equal(pol_audit_sync_due_ms(log), -1);
	/* a deny is durable on return: nothing pending but the head file */
	assert_int_equal(append_n(log, 1, POL_AUDIT_DENY), 0);
	due = pol_audit_sync_due_ms(log);
	assert_true(due > 50 && due <= 1000);
	/* an auto-approval is due within the window */
	assert_int_equal(append_n(log, 1, POL_AUDIT_AUTO), 0);
	due = pol_audit_sync_due_ms(log);
	assert_true(due >= 0 && due <= 50);
	assert_int_equal(pol_audit_sync(log), 0);
	assert_int_equal(pol_audit_sync_due_ms(log), -1);
	pol_audit_close(log);
}

static void *thread_appends(void *arg)
{
	return (void *)(intptr_t)append_n(arg, 50, POL_AUDIT_DENY);
}

static void test_pol_audit_append_threads_share_syncs(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct problems ps;
	pthread_t t[4];
	void *rv;

	f->config->audit_sync = POL_SYNC_ALWAYS;
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_appends, log), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_int_equal((intptr_t)rv, 0);
	}
	assert_int_equal(pol_audit_sync_due_ms(log) <= 1000, true);
	pol_audit_close(log);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 200);
}

/* Every fdatasync of the library goes through here (the executable's
 * definition wins over libc's for the static policy library): count them
 * and keep the longest gap between two while a test watches. */
static int sync_calls;
static long sync_gap_max_ms;
static struct timespec sync_last;

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

int fdatasync(int fd)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (__atomic_fetch_add(&sync_calls, 1, __ATOMIC_RELAXED) > 0 &&
	    ms_between(&sync_last, &now) > sync_gap_max_ms)
		sync_gap_max_ms = ms_between(&sync_last, &now);
	sync_last = now;
	return (int)syscall(SYS_fdatasync, fd);
}

/* Group commit under a steady stream of auto-approved entries: one
 * fdatasync per window, not one after another (the entries a sync did not
 * cover were written after it began, so their window starts there), and
 * still one at least every window while the stream lasts. */
static void test_pol_audit_background_sync_paces_a_burst(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct problems ps;
	struct timespec t0, now;
	long ms;
	int n = 0, first_calls;

	f->config->audit_sync_window_ms = 20;
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	assert_int_equal(pol_audit_background_sync(log), 0);
	assert_int_equal(append_n(log, 1, POL_AUDIT_AUTO), 0);
	usleep(60 * 1000);
	first_calls = sync_calls;
	assert_true(first_calls >= 1);
	sync_gap_max_ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sync_last = t0; /* the first gap is from the burst's start */
	do {
		assert_int_equal(append_n(log, 1, POL_AUDIT_AUTO), 0);
		n++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = ms_between(&t0, &now);
	} while (ms < 500);
	int calls = sync_calls - first_calls;

	pol_audit_close(log);
	print_message("burst: %d entries in %ld ms, %d fdatasync, longest gap %ld ms\n", n, ms,
		      calls, sync_gap_max_ms);
	/* 500 ms / 20 ms = 25 windows; back to back it was thousands */
	assert_true(calls <= 25 + 15);
	/* durable within the window while the burst lasts (slack for a
	 * loaded or sanitized machine) */
	assert_true(calls >= 5);
	assert_true(sync_gap_max_ms <= 20 + 150);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, (uint64_t)n + 1);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[512];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (!fp)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Background sync: appends keep the file lock, another writer of the same
 * log (a second open file description, as another process would have)
 * gets it within the window, the chain stays whole, and the head file
 * follows about a second later without any pol_audit_sync() call. */
static void test_pol_audit_background_sync_shares_lock(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log, *other;
	struct problems ps;
	struct timespec t0, t1;
	char head[160];
	long ms;

	f->config->audit_sync_window_ms = 50;
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	assert_int_equal(pol_audit_background_sync(log), 0);
	assert_int_equal(append_n(log, 20, POL_AUDIT_AUTO), 0);
	assert_int_equal(pol_audit_sync_due_ms(log), -1);
	assert_int_equal(pol_audit_open(f->config, f->log, &other, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(append_n(other, 3, POL_AUDIT_DENY), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 1000);
	pol_audit_close(other);
	assert_int_equal(append_n(log, 5, POL_AUDIT_AUTO), 0);
	snprintf(head, sizeof(head), "%s.head", f->log);
	for (int i = 0; i < 40 && !file_has(head, "\"count\":28,"); i++)
		usleep(100 * 1000);
	assert_true(file_has(head, "\"count\":28,"));
	pol_audit_close(log);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 28);
}
/* The file's bytes, whole (small logs only). */
static size_t slurp(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "re");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size, fp);
	fclose(fp);
	return n;
}

/* A copytruncate (logrotate) while the background sync keeps the file
 * lock: the writer does not look at the file before each append then, so
 * the entries after the truncation go to the emptied file as they would
 * anyway and continue the chain; a short write before the writer noticed
 * the truncation cuts only its own bytes (not back to the size it last
 * knew, which would leave a hole of zeros); after the lock's release the
 * writer notices and goes on. */
static void test_pol_audit_copytruncate_while_lock_kept(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct problems ps;
	static char buf[64 * 1024];
	char rotated[160];
	struct stat st;
	size_t n;
	FILE *fp;

	f->config->audit_sync_window_ms = 200;
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	assert_int_equal(pol_audit_background_sync(log), 0);
	assert_int_equal(append_n(log, 5, POL_AUDIT_AUTO), 0);
	/* copy, then truncate in place */
	n = slurp(f->log, buf, sizeof(buf));
	snprintf(rotated, sizeof(rotated), "%s.1", f->log);
	assert_non_null(fp = fopen(rotated, "we"));
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	fclose(fp);
	assert_int_equal(truncate(f->log, 0), 0);
	assert_int_equal(append_n(log, 3, POL_AUDIT_AUTO), 0);
	assert_int_equal(stat(f->log, &st), 0);
	expect_short_append(f, log, st.st_size, POL_AUDIT_AUTO);
	n = slurp(f->log, buf, sizeof(buf));
	assert_int_equal(n, (size_t)st.st_size);
	assert_null(memchr(buf, '\0', n));
	/* the child's failure released the shared file lock: the next
	 * append takes it again and looks at the file */
	assert_int_equal(append_n(log, 2, POL_AUDIT_AUTO), 0);
	usleep(500 * 1000);
	assert_int_equal(append_n(log, 2, POL_AUDIT_AUTO), 0);
	pol_audit_close(log);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_true(res.continuation);
	assert_int_equal(res.first_seq, 5);
	assert_int_equal(res.entries, 7);
	assert_int_equal(verify(rotated, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pol_audit_sync_due_ms_tiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_background_sync_shares_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_append_threads_share_syncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_background_sync_paces_a_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_copytruncate_while_lock_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
