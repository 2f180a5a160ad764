/*
 * Unit tests for the pinning walk cache (supervisor/run/exec_pincache.c,
 * docs/decode.md "Pinned programs: the walk cache"): a recorded walk is
 * replayed while every step is unchanged, and missed after a chmod, a
 * rename over the file, a new entry in a directory on the way, other
 * credentials; a walk whose timestamps are within the margin of its start,
 * or that went through "..", is never kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/run/exec_pincache.c"

static char base[64];
static int rootfd = -1;
static struct sup_proc_status creds = { .fsuid = 1234, .fsgid = 1234 };

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "/tmp/pincache-unit.XXXXXX");
	assert_non_null(mkdtemp(base));
	char p[128];
	snprintf(p, sizeof p, "%s/a", base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/a/b", base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/a/b/prog", base);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	close(fd);
	rootfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	for (size_t i = 0; i < SUP_PINCACHE_ENTRIES; i++)
		if (cache[i].used)
			entry_drop(&cache[i]);
	close(rootfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Walk "/a/b/prog" from rootfd as resolve_fixed would, recording it; aged:
 * the walk's start is moved later than the margin (as if every timestamp
 * on the way were old). */
static void record(bool aged, bool fixed, bool through_dotdot)
{
	struct sup_pin_trace *t = sup_pin_trace_new();
	const char *names[] = { "a", "b", "prog" };
	int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	assert_non_null(t);
	sup_pin_trace_begin(t, rootfd);
	for (size_t i = 0; i < 3; i++) {
		if (through_dotdot && i == 1)
			sup_pin_trace_fail(t);
		int next = openat(cur, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		assert_true(next >= 0);
		sup_pin_trace_step(t, names[i], next);
		sup_pin_trace_descend(t, next);
		close(cur);
		cur = next;
	}
	close(cur);
	if (aged)
		t->began.tv_sec += 2 * SUP_PINCACHE_MARGIN_S;
	sup_pin_trace_store(t, "/a/b/prog", &creds, false, fixed);
}

static bool look(bool *fixed, ino_t *ino)
{
	dev_t dev;
	return sup_pincache_lookup(rootfd, "/a/b/prog", &creds, false, fixed, &dev, ino);
}

static ino_t prog_ino(void)
{
	char p[128];
	struct stat st;
	snprintf(p, sizeof p, "%s/a/b/prog", base);
	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

static void test_lookup_replays_unchanged_walk(void **state)
{
	bool fixed = false;
	ino_t ino = 0;
	(void)state;
	record(true, true, false);
	assert_true(look(&fixed, &ino));
	assert_true(fixed);
	assert_int_equal(ino, prog_ino());
	assert_true(look(&fixed, &ino)); /* again: still there */
}

static void test_lookup_misses_after_chmod(void **state)
{
	char p[128];
	bool fixed;
	ino_t ino;
	(void)state;
	record(true, true, false);
	snprintf(p, sizeof p, "%s/a", base);
	assert_int_equal(chmod(p, 0777), 0);
	assert_false(look(&fixed, &ino));
	assert_int_equal(chmod(p, 0755), 0);
	assert_false(look(&fixed, &ino)); /* the entry was dropped */
}

/* The same mode set again: only the ctime says something happened. */
static void test_lookup_misses_after_ctime_only(void **state)
{
	char p[128];
	bool fixed;
	ino_t ino;
	(void)state;
	record(true, true, false);
	snprintf(p, sizeof p, "%s/a/b/prog", base);
	usleep(20000); /* past a coarse clock tick */
	assert_int_equal(chmod(p, 0755), 0);
	assert_false(look(&fixed, &ino));
}

static void test_lookup_misses_after_rename_over(void **state)
{
	char p[128], q[128];
	bool fixed;
	ino_t ino;
	(void)state;
	record(true, false, false);
	snprintf(p, sizeof p, "%s/a/b/new", base);
	snprintf(q, sizeof q, "%s/a/b/prog", base);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rename(p, q), 0);
	assert_false(look(&fixed, &ino));
}

static void test_lookup_misses_after_new_entry(void **state)
{
	char p[128];
	bool fixed;
	ino_t ino;
	(void)state;
	record(true, true, false);
	snprintf(p, sizeof p, "%s/a/other", base);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_false(look(&fixed, &ino));
	assert_int_equal(rmdir(p), 0);
}

static void test_lookup_needs_same_creds(void **state)
{
	bool fixed;
	dev_t dev;
	ino_t ino;
	struct sup_proc_status other = creds;
	(void)state;
	record(true, true, false);
	other.fsuid = 4321;
	assert_false(sup_pincache_lookup(rootfd, "/a/b/prog", &other, false, &fixed, &dev, &ino));
	other = creds;
	other.cap_eff = 1;
	assert_false(sup_pincache_lookup(rootfd, "/a/b/prog", &other, false, &fixed, &dev, &ino));
	assert_false(sup_pincache_lookup(rootfd, "/a/b/prog", &creds, true, &fixed, &dev, &ino));
	assert_true(look(&fixed, &ino));
}

static void test_recent_walk_not_kept(void **state)
{
	bool fixed;
	ino_t ino;
	(void)state;
	record(false, true, false); /* everything was made a moment ago */
	assert_false(look(&fixed, &ino));
}

static void test_dotdot_walk_not_kept(void **state)
{
	bool fixed;
	ino_t ino;
	(void)state;
	record(true, true, true);
	assert_false(look(&fixed, &ino));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_replays_unchanged_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_misses_after_chmod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_misses_after_ctime_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_misses_after_rename_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_misses_after_new_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_needs_same_creds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_walk_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_walk_not_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
