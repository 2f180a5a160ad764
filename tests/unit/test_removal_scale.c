/*
 * Unit tests for the removal scale walk (supervisor/run/removal_scale.c,
 * docs/challenges.md "Scale of a removal"): files, directories and bytes
 * under a tree; symlinks counted, never followed (neither at the start nor
 * below); a FIFO counted without being opened; a directory without -r
 * removes nothing; the entry cap gives a lower bound ("at least").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/run/removal_scale.c"

static char root[64];

static void put(const char *rel, const char *data)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/attesta-scale-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* t/: a (5 bytes), sub/b (7 bytes), sub/deep/c (0), a FIFO, a
	 * symlink to /usr (never followed), a symlink to sub */
	dir("t");
	dir("t/sub");
	dir("t/sub/deep");
	put("t/a", "12345");
	put("t/sub/b", "1234567");
	put("t/sub/deep/c", "");
	snprintf(path, sizeof(path), "%s/t/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/t/usr-link", root);
	assert_int_equal(symlink("/usr", path), 0);
	snprintf(path, sizeof(path), "%s/t/sub-link", root);
	assert_int_equal(symlink("sub", path), 0);
	snprintf(path, sizeof(path), "%s/t-link", root);
	assert_int_equal(symlink("t", path), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int open_root(void)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_scale_counts_tree_without_following_links(void **state)
{
	struct pol_removal_scale s;
	int fd = open_root();

	(void)state;
	sup_removal_scale_at(fd, "t", true, 0, 0, &s);
	assert_true(s.measured);
	assert_true(s.complete);
	/* a, b, c, fifo, usr-link, sub-link */
	assert_int_equal(s.files, 6);
	/* t, sub, deep */
	assert_int_equal(s.dirs, 3);
	assert_int_equal(s.bytes, 12);
	assert_true(s.elapsed_ms <= SUP_SCALE_DEADLINE_MS + 1000);
	close(fd);
}

static void test_scale_start_symlink_is_one_file(void **state)
{
	struct pol_removal_scale s;
	int fd = open_root();

	(void)state;
	/* rm -rf t-link removes the link, not the tree it names */
	sup_removal_scale_at(fd, "t-link", true, 0, 0, &s);
	assert_true(s.measured);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.dirs, 0);
	assert_int_equal(s.bytes, 0);
	/* through a symlink: not measured at all */
	sup_removal_scale_at(fd, "t-link/a", true, 0, 0, &s);
	assert_false(s.measured);
	close(fd);
}

static void test_scale_not_recursive_and_missing(void **state)
{
	struct pol_removal_scale s;
	int fd = open_root();

	(void)state;
	sup_removal_scale_at(fd, "t", false, 0, 0, &s);
	assert_true(s.measured);
	assert_int_equal(s.files + s.dirs, 0);
	sup_removal_scale_at(fd, "t/a", false, 0, 0, &s);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.bytes, 5);
	sup_removal_scale_at(fd, "no-such", true, 0, 0, &s);
	assert_false(s.measured);
	/* climbing out of the start is refused (RESOLVE_BENEATH) */
	sup_removal_scale_at(fd, "../", true, 0, 0, &s);
	assert_false(s.measured);
	close(fd);
}

static void test_scale_entry_cap_is_a_lower_bound(void **state)
{
	struct pol_removal_scale s;
	int fd = open_root();

	(void)state;
	sup_removal_scale_at(fd, "t", true, 0, 3, &s);
	assert_true(s.measured);
	assert_false(s.complete);
	assert_true(s.files + s.dirs <= 4);
	assert_true(s.files + s.dirs >= 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_counts_tree_without_following_links),
		cmocka_unit_test(test_scale_start_symlink_is_one_file),
		cmocka_unit_test(test_scale_not_recursive_and_missing),
		cmocka_unit_test(test_scale_entry_cap_is_a_lower_bound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
