/*
 * Unit tests for policy/file_read.c, the bounded whole-file reader:
 * exact contents and NUL termination, the cap at its edge (cap bytes
 * read, cap + 1 refused), files whose reported size is wrong (/proc, a
 * file that grows), directories, FIFOs and pipes with and without
 * POL_READ_ANY_TYPE, and a missing file.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/file_read.h"

static char dir[256], path[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/attesta-read-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/f", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static void write_bytes(size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
}

static void test_reads_whole_file_nul_terminated(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	write_bytes(10000);
	assert_int_equal(pol_file_read(path, 10000, 0, &buf, &len), 0);
	assert_int_equal(len, 10000);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(buf[9999], 'a' + 9999 % 26);
	assert_int_equal(buf[10000], '\0');
	free(buf);
}

static void test_cap_plus_one_is_refused(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	write_bytes(101);
	assert_int_equal(pol_file_read(path, 100, 0, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_string_equal(pol_file_read_strerror(-EFBIG), "larger than its size limit");
}

static void test_empty_file(void **state)
{
	char *buf = NULL;
	size_t len = 7;

	(void)state;
	write_bytes(0);
	assert_int_equal(pol_file_read(path, 100, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

/* /proc files report size 0 and hold more than the first guess of 4096 */
static void test_size_zero_proc_file_read_to_end(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/maps", &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(pol_file_read("/proc/self/maps", 1 << 20, 0, &buf, &len), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "test_file_read"));
	free(buf);
	/* and its cap holds while reading, though fstat said 0 */
	assert_int_equal(pol_file_read("/proc/self/maps", 16, 0, &buf, &len), -EFBIG);
}

static void test_file_grown_after_open_past_cap(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	write_bytes(50);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* fstat inside sees 50 bytes; the file then holds 200 */
	write_bytes(200);
	assert_int_equal(pol_file_read_fd(fd, 100, 0, &buf, &len), -EFBIG);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pol_file_read_fd(fd, 200, 0, &buf, &len), 0);
	assert_int_equal(len, 200);
	free(buf);
	close(fd);
}

static void test_directory_and_missing(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pol_file_read(dir, 100, 0, &buf, &len), -EISDIR);
	assert_int_equal(pol_file_read(dir, 100, POL_READ_ANY_TYPE, &buf, &len), -EISDIR);
	assert_int_equal(pol_file_read("/nonexistent/x", 100, 0, &buf, &len), -ENOENT);
	assert_null(buf);
}

static void test_fifo_needs_any_type(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int fds[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pol_file_read_fd(fds[0], 100, 0, &buf, &len), -EINVAL);
	assert_string_equal(pol_file_read_strerror(-EINVAL), "not a regular file");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char chunk[1000];

		close(fds[0]);
		memset(chunk, 'x', sizeof(chunk));
		for (int i = 0; i < 9; i++)
			if (write(fds[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(pol_file_read_fd(fds[0], 9000, POL_READ_ANY_TYPE, &buf, &len), 0);
	assert_int_equal(len, 9000);
	assert_int_equal(buf[8999], 'x');
	assert_int_equal(buf[9000], '\0');
	free(buf);
	close(fds[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	/* a pipe holding more than the cap */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "0123456789", 10), 10);
	close(fds[1]);
	assert_int_equal(pol_file_read_fd(fds[0], 9, POL_READ_ANY_TYPE, &buf, &len), -EFBIG);
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_whole_file_nul_terminated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_plus_one_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_zero_proc_file_read_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_grown_after_open_past_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_needs_any_type, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
