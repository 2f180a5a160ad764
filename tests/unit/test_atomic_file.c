/*
 * Unit tests for policy/atomic_file.c: whole-file replacement (content,
 * modes, flags), the exact error and message of each failure, that no
 * temporary file is left behind when a write fails, and mkdir -p of a
 * file's parents.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "policy/atomic_file.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/attesta-atomic-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char sub[1024];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		remove_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

/* Number of entries in dir other than "." and "..". */
static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void test_pol_file_write_atomic_creates_file(void **state)
{
	char path[512], text[64];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/store.json", dir);
	assert_int_equal(pol_file_write_atomic(path, "{}", 2, 0600, 0, "store", NULL), 0);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "{}");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1);
}

static void test_pol_file_write_atomic_replaces_with_newline(void **state)
{
	char path[512], text[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/store.json", dir);
	assert_int_equal(pol_file_write_atomic(path, "old", 3, 0600, 0, NULL, NULL), 0);
	assert_int_equal(pol_file_write_atomic(path, "new", 3, 0600, POL_FILE_NEWLINE, NULL, NULL),
			 0);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "new\n");
	assert_int_equal(count_entries(dir), 1);
}

static void test_pol_file_write_atomic_mode_ignores_umask(void **state)
{
	char path[512];
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	snprintf(path, sizeof(path), "%s/bundle.tar", dir);
	assert_int_equal(pol_file_write_atomic(path, "x", 1, 0644, POL_FILE_NO_DIR_SYNC, NULL, NULL),
			 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_pol_file_write_atomic_umask_flag(void **state)
{
	char path[512];
	struct stat st;
	mode_t old = umask(027);

	(void)state;
	snprintf(path, sizeof(path), "%s/attesta.yaml", dir);
	assert_int_equal(pol_file_write_atomic(path, "x", 1, 0666, POL_FILE_UMASK, NULL, NULL), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_pol_file_write_atomic_missing_dir(void **state)
{
	struct pol_diag diag = { 0 };
	char path[600], missing[512], want[1200];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(path, sizeof(path), "%s/store.json", missing);
	assert_int_equal(pol_file_write_atomic(path, "{}", 2, 0600, 0, "trust store", &diag),
			 -ENOENT);
	assert_string_equal(diag.file, path);
	snprintf(want, sizeof(want), "cannot create temporary file in '%s': %s", missing,
		 strerror(ENOENT));
	assert_string_equal(diag.message, want);
	assert_int_equal(count_entries(dir), 0);
}

/* The rename fails (the target is a directory): the temporary file must
 * go, and the message names what was being written. */
static void test_pol_file_write_atomic_no_temp_left_on_failure(void **state)
{
	struct pol_diag diag = { 0 };
	char path[512], want[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/target", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(pol_file_write_atomic(path, "{}", 2, 0600, 0, "registry", &diag),
			 -EISDIR);
	snprintf(want, sizeof(want), "cannot write registry: %s", strerror(EISDIR));
	assert_string_equal(diag.message, want);
	assert_int_equal(count_entries(dir), 1);
}

static void test_pol_file_write_atomic_no_replace_existing(void **state)
{
	char path[512], text[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/attesta.yaml", dir);
	assert_int_equal(pol_file_write_atomic(path, "mine", 4, 0644, POL_FILE_NO_REPLACE, NULL,
					       NULL), 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(pol_file_write_atomic(path, "theirs", 6, 0644, POL_FILE_NO_REPLACE, NULL,
					       NULL), -EEXIST);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "mine");
	assert_int_equal(count_entries(dir), 1);
}

static void test_pol_file_write_atomic_path_too_long(void **state)
{
	struct pol_diag diag = { 0 };
	char *path = malloc(5000);

	(void)state;
	assert_non_null(path);
	memset(path, 'a', 4999);
	path[4999] = '\0';
	assert_int_equal(pol_file_write_atomic(path, "x", 1, 0600, 0, "trust store", &diag),
			 -ENAMETOOLONG);
	assert_string_equal(diag.message, "trust store path is too long");
	free(path);
}

/* Without a noun for messages, diag is left alone. */
static void test_pol_file_write_atomic_quiet_without_what(void **state)
{
	struct pol_diag diag = { 0 };
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/x", dir);
	assert_int_equal(pol_file_write_atomic(path, "x", 1, 0600, 0, NULL, &diag), -ENOENT);
	assert_string_equal(diag.message, "");
}

static void test_pol_file_make_parents_private(void **state)
{
	char path[512], sub[512];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/store.json", dir);
	assert_int_equal(pol_file_make_parents(path, NULL), 0);
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(pol_file_make_parents(path, NULL), 0); /* already there */
	assert_int_equal(pol_file_write_atomic(path, "{}", 2, 0600, 0, NULL, NULL), 0);
}

static void test_pol_file_make_parents_blocked_by_file(void **state)
{
	struct pol_diag diag = { 0 };
	char path[600], file[512], want[600];

	(void)state;
	snprintf(file, sizeof(file), "%s/plain", dir);
	assert_int_equal(pol_file_write_atomic(file, "x", 1, 0600, 0, NULL, NULL), 0);
	snprintf(path, sizeof(path), "%s/plain/sub/store.json", dir);
	assert_int_equal(pol_file_make_parents(path, &diag), -ENOTDIR);
	snprintf(want, sizeof(want), "cannot create directory: %s", strerror(ENOTDIR));
	assert_string_equal(diag.message, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_creates_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_replaces_with_newline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_mode_ignores_umask, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_umask_flag, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_missing_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_no_temp_left_on_failure,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_no_replace_existing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_path_too_long, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_write_atomic_quiet_without_what, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_make_parents_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_file_make_parents_blocked_by_file, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
