/*
 * Unit tests for sup_tcache_read_ancestor() (supervisor/run/decode_cache.c):
 * the comm and PPid of a chain's ancestor read from /proc/PID/stat must be
 * what /proc/PID/status says (docs/BENCHMARKS.md, "Session 4"), also for
 * a comm that holds ')', '(' and spaces, and a process that is gone
 * answers -ESRCH.
 */
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* The status of pid, parsed as the decoder parses it. */
static int status_read(pid_t pid, struct sup_proc_status *ret)
{
	static char buf[64 * 1024];
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return sup_proc_status_parse(buf, (size_t)n, ret);
}

static void check_same_as_status(pid_t pid)
{
	struct sup_proc_status st;
	char name[64];
	size_t len;
	pid_t ppid;

	assert_int_equal(status_read(pid, &st), 0);
	assert_int_equal(sup_tcache_read_ancestor(pid, name, sizeof name, &len, &ppid), 0);
	assert_int_equal(len, st.name_len);
	assert_memory_equal(name, st.name, len);
	assert_int_equal(ppid, st.ppid);
}

static void test_self(void **state)
{
	(void)state;
	check_same_as_status(getpid());
}

static void test_odd_names(void **state)
{
	const char *names[] = { "a) b (c", "x)", "((", "sp ace", "back\\sl", "nl\nx" };

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		pid_t pid = child_as(names[i], -1);
		char name[64];
		size_t len;
		pid_t ppid;

		check_same_as_status(pid);
		assert_int_equal(sup_tcache_read_ancestor(pid, name, sizeof name, &len, &ppid), 0);
		assert_string_equal(name, names[i]);
		assert_int_equal(ppid, getpid());
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* gone: the cached handle says so, the slot is reopened by path */
		assert_int_equal(sup_tcache_read_ancestor(pid, name, sizeof name, &len, &ppid),
				 -ESRCH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_odd_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
